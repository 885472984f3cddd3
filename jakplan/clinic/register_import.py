"""Creating and updating a register's plan files from a CSV of profiles (``jakplan cohort import``).

:func:`import_rows` creates or updates plan files from a CSV of profiles (the columns of
:mod:`jakplan.records.csvrows`): a new id becomes a new plan file; for an existing one every profile value the
row gives (a non-empty cell) that differs from the file is changed, and each change is reported as
``old -> new``. An empty cell means "not given" and changes nothing. The history (``[[done]]``, ``[[lab]]``,
``[[pause]]``) is never touched. Columns jakplan does not know are refused by name, unless ``keep_columns``:
then they are kept as text in the plan file's ``[columns]`` table. Every write goes through
:mod:`jakplan.records.planfile` (lock, tomlkit, check it reads back, atomic replace).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from jakplan.api import plan_for_record
from jakplan.catalog.vocab import vocabulary
from jakplan.clinic.history_import import apply_history, history_cells
from jakplan.errors import JakplanError
from jakplan.fileio import clean_stale_temps
from jakplan.records.clinicsettings import load_settings
from jakplan.records.csvrows import PROFILE_COLUMNS, csv_header, extra_columns, read_rows, record_from_row
from jakplan.records.patient import PatientRecord
from jakplan.records.planfile import _read_text, create_planfile, edit_planfile, parse_toml_text, planfile_from_raw
from jakplan.records.profile import as_date
from jakplan.records.register import EXTRA_TABLE

# -- import ----------------------------------------------------------------------------------------------


class Change(NamedTuple):
    """One profile value a re-import changed: its name ('egfr', 'patient.name'), the old and the new value as
    stored (None: not set)."""

    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ImportResult:
    pid: str
    where: str
    """The CSV file and line."""
    action: str
    """created, updated, unchanged or error."""
    path: str = ""
    changes: tuple[Change, ...] = ()
    """The profile values changed (an updated row)."""
    last_done: tuple[str, ...] = ()
    """The checks its last_* columns recorded done ('rule day')."""
    message: str = ""


_TOP = ("drug", "indication", "protocol", "start", "months")


def _wanted(row, prof, extras: list[str]) -> dict[tuple[str | None, str], Any]:
    """The profile values a row gives (non-empty cells only), keyed as they sit in a plan file."""
    cells = row.cells
    out: dict[tuple[str | None, str], Any] = {}
    for key in _TOP:
        if cells.get(key):
            out[(None, key)] = getattr(prof, key)
    for key, val in prof.identity._asdict().items():
        if val:
            out[("patient", key)] = val
    for key, val in prof.factors.items():
        out[("factors", key)] = val
    for key in extras:
        if cells.get(key):
            out[(EXTRA_TABLE, key)] = cells[key]
    return out


def _current(raw: dict[str, Any], table: str | None, key: str) -> Any:
    if table is None:
        return raw.get(key)
    t = raw.get(table)
    return t.get(key) if isinstance(t, dict) else None


def _label(table: str | None, key: str) -> str:
    return key if table in (None, "factors") else f"{table}.{key}"


def _differences(raw: dict[str, Any], wanted: dict) -> list[tuple[str | None, str, Any, Any]]:

    out = []
    for (table, key), new in wanted.items():
        old = _current(raw, table, key)
        if (table, key) == (None, "start") and isinstance(old, str):
            try:
                old = as_date(old, "start")
            except JakplanError:
                pass
        if old != new:
            out.append((table, key, old, new))
    return out


def _check_plan(record: PatientRecord) -> Any:

    return plan_for_record(record)


def import_one(row, folder: Path, extras: list[str], clean: bool = True) -> ImportResult:
    """Create or update the plan file of one CSV row (never raises for the row's own problems); its ``last_*``
    cells (the day each check was last done) are then recorded (:mod:`jakplan.clinic.history_import`).
    ``clean=False``: the caller removed stale temporary files from the folder once before the batch."""
    res = _import_profile(row, folder, extras, clean)
    if res.action == "error":
        return res
    return _with_history(res, row, clean)


def _with_history(res: ImportResult, row, clean: bool = True) -> ImportResult:


    try:
        last = history_cells(row.cells, row.where, dt.date.today())
    except JakplanError as exc:
        return replace(res, action="error", message=str(exc))
    if not last:
        return res
    h = apply_history(res.path, last, Path(row.source).name, row.where, dt.date.today(), clean=clean)
    if h.action == "error":
        return replace(res, action="error", message=h.message)
    if not h.recorded:
        return res
    return replace(res, action="updated" if res.action == "unchanged" else res.action,
                   last_done=res.last_done + tuple(h.recorded))


def _import_profile(row, folder: Path, extras: list[str], clean: bool = True) -> ImportResult:
    """Create or update the profile of one CSV row's plan file."""

    pid = row.cells.get("id", "?")
    try:
        pid, rec = record_from_row(row)
        target = folder / f"{pid}.toml"
        prof = rec.profile
        prof.source = target  # a protocol path in the row is read relative to the plan file's folder
        plan = _check_plan(PatientRecord(prof, where=rec.where))
        prof.indication = plan.indication  # stored canonical ('ra' -> rheumatoid_arthritis, 'Olumiant' ->
        if prof.drug:  # baricitinib), so an unchanged row is not reported as a change on every re-import
            prof.drug = plan.protocol.drug
        wanted = _wanted(row, prof, extras)
        if not target.exists():
            create_planfile(target, prof, clean=clean)
            keep = {k: v for k, v in wanted.items() if k[0] == EXTRA_TABLE}
            if keep:
                with edit_planfile(target, clean=clean) as pf:
                    for (table, key), val in keep.items():
                        pf.set_value(table, key, val)
            return ImportResult(pid, row.where, "created", str(target))
        raw = parse_toml_text(_read_text(target), target)
        if not _differences(raw, wanted):
            planfile_from_raw(raw, target)  # an unchanged file must still be a valid plan file
            return ImportResult(pid, row.where, "unchanged", str(target))
        with edit_planfile(target, clean=clean) as pf:
            diffs = _differences(parse_toml_text(_read_text(target), target), wanted)
            merged = pf.profile.merged(**{k: getattr(prof, k) for k in _TOP if (None, k) in wanted},
                                       factors={k: v for (t, k), v in wanted.items() if t == "factors"},
                                       identity=prof.identity)
            _check_plan(PatientRecord(merged, pf.history, str(target)))
            for table, key, _old, new in diffs:
                pf.set_value(table, key, new)
        changes = tuple(Change(_label(t, k), old, new) for t, k, old, new in diffs)
        return ImportResult(pid, row.where, "updated", str(target), changes)
    except JakplanError as exc:
        msg = str(exc)
        if not msg.startswith(row.source):
            msg = f"{row.where} (id {pid}): {msg}"
        return ImportResult(pid, row.where, "error", message=msg)


def import_rows(csv_path: str | os.PathLike, folder: str | os.PathLike, keep_columns: bool = False,
                columns: dict[str, str] | None = None) -> Iterator[ImportResult]:
    """One :class:`ImportResult` per data row of the CSV, in order (see the module docstring).

    The header is checked first (a bad header or an unknown column raises before anything is written)."""

    d = Path(folder)
    if not d.exists() and d.parent.is_dir():
        d.mkdir()
    if not d.is_dir():
        raise JakplanError(f"{d}: not a folder, and its parent folder does not exist")
    if columns is None:

        columns = load_settings(d).columns
    rows = read_rows(csv_path, allow_extra=True, columns=columns)
    extras = extra_columns(csv_header(csv_path, columns))
    if extras and not keep_columns:

        rows.close()  # type: ignore[attr-defined]  # a generator: closing it closes the file
        raise JakplanError(
            f"{csv_path} line 1: unknown column(s) {', '.join(extras)}; known: {', '.join(PROFILE_COLUMNS)} and "
            f"patient factors {', '.join(sorted(vocabulary()['factors']))}. Rename them, or give --keep-columns to "
            f"keep them as text in each plan file's [{EXTRA_TABLE}] table")

    def results() -> Iterator[ImportResult]:

        clean_stale_temps(d)  # once per import, not once per plan file written
        # ids folded for case -> (id, where): two ids that differ only in case would be one file on a
        # case-insensitive file system (macOS, Windows) and one patient's values would reach the other's file
        files = {p.stem.casefold(): (p.stem, f"the plan file {p.name} in {d}") for p in d.glob("*.toml")
                 if not p.name.startswith(".")}
        seen: dict[str, tuple[str, str]] = {}
        for row in rows:
            pid = row.cells.get("id", "")
            earlier = seen.get(pid.casefold()) if pid else None
            if earlier is not None and earlier[0] == pid:
                yield ImportResult(pid, row.where, "error", message=f"{row.where}: id '{pid}' is used by an earlier row")
                continue
            other = earlier or (files.get(pid.casefold()) if pid else None)
            if other is not None and other[0] != pid:
                yield ImportResult(pid, row.where, "error", message=(
                    f"{row.where}: id '{pid}' and id '{other[0]}' ({other[1]}) differ only in case; they would share "
                    f"one plan file where file names ignore case: nothing imported for this row (rename one id)"))
                continue
            if pid:
                seen[pid.casefold()] = (pid, row.where)
            yield import_one(row, d, extras, clean=False)

    return results()



