"""A clinic's register: a folder of plan files, one per patient (``<id>.toml``), the clinic's source of truth.

- :func:`plan_files` lists the plan files of a folder: the ``*.toml`` files directly in it, not hidden ones
  (lock files, editor files) and not those in subfolders (a clinic keeps its own protocols in ``protocols/``).
- :func:`read_record` reads one with ``tomli``, the compiled standard tomllib (tomlkit is used only to write), and returns None for a TOML
  file that is not a plan file (no top-level ``jakplan = 1``, e.g. a protocol file), so it can be skipped.
- ``cohort import`` (creating and updating plan files from a CSV) is
  :mod:`jakplan.clinic.register_import`: it checks each row through the api, which sits above records/.
"""

from __future__ import annotations

import os
from pathlib import Path

from jakplan.errors import JakplanError
from jakplan.records.patient import PatientRecord
from jakplan.records.planfile import _read_text, parse_toml_text, planfile_from_raw

EXTRA_TABLE = "columns"
"""The plan-file table that keeps a CSV's extra columns (``--keep-columns``) as text."""


def plan_files(folder: str | os.PathLike) -> list[Path]:
    """The candidate plan files of a register folder, sorted by name (see the module docstring)."""
    return [Path(p) for p in plan_file_names(folder)]


def plan_file_names(folder: str | os.PathLike) -> list[str]:
    """:func:`plan_files` as paths in text: a register of 50,000 plan files is listed in about 8 MiB, not the
    19 MiB its Path objects take (what `cohort export` holds for the whole run)."""
    d = Path(folder)
    if not d.is_dir():
        raise JakplanError(f"{d}: not a folder of plan files")
    with os.scandir(d) as entries:
        names = sorted(e.name for e in entries if e.name.endswith(".toml") and not e.name.startswith(".")
                       and e.name != "clinic.toml"  # the clinic's settings (docs/clinic-settings.md), not a patient
                       and not e.is_dir())
    files = [os.path.join(d, n) for n in names]
    if not files:
        others = sum(1 for p in d.iterdir() if not p.name.startswith("."))
        raise JakplanError(f"{d}: no plan files (*.toml) in this folder"
                           + (f" ({others} other file(s))" if others else "")
                           + "; give the register folder that `jakplan cohort import` wrote")
    return files


def read_record(path: str | os.PathLike) -> PatientRecord | None:
    """The plan file at ``path`` as a patient record, or None if it is TOML but not a plan file."""

    p = Path(path)
    raw = parse_toml_text(_read_text(p), p)
    if "jakplan" not in raw:
        return None
    pf = planfile_from_raw(raw, p)
    extra = raw.get(EXTRA_TABLE)
    kept = tuple((str(k), str(v)) for k, v in extra.items()) if isinstance(extra, dict) else ()
    return PatientRecord(pf.profile, pf.history, str(p), kept)
