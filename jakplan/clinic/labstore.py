"""Imported lab results into a clinic's plan files (``jakplan cohort labs import FILE --into clinic/``).

:func:`store_imports` takes what :mod:`jakplan.records.labimport` read (already converted and checked by the lab-value
path) and appends it to each patient's plan file through the plan-file writer
(:func:`jakplan.records.planfile.edit_planfile`: lock, validate, atomic replace, comments kept):

- a patient is found by plan file name (``<id>.toml``), else by the ``identifier`` in a plan file's profile;
  a patient with no plan file is reported with the lines that name them, and nothing is written for them;
- one ``[[lab]]`` entry per patient and day, with a note naming the file(s) it came from;
- a value already in the plan file (same day, same analyte, same value) is skipped, so importing the same
  file twice adds nothing and a plan file with nothing new is not rewritten;
- a different value for the same day and analyte (in the plan file, or twice in the import) is reported and
  not written, except ALT and AST on one day (both stored as 'ALT/AST x ULN'): the higher is kept, since the
  labels' limits name either enzyme.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from jakplan.errors import JakplanError
from jakplan.records.labimport import ImportedLab, ImportResult, Problem


def same_value(a: float, b: float) -> bool:
    """Equal as stored, to 6 significant digits: plan files written while the lab-value path read values back at
    6 digits still hold such values, and must still match their source on a re-import."""
    return abs(a - b) <= 1e-9 or f"{a:.6g}" == f"{b:.6g}"


@dataclass
class PatientOutcome:
    patient: str
    path: Path
    added: dict[dt.date, dict[str, float]] = field(default_factory=dict)
    already: int = 0
    """Values skipped because the plan file already had them."""

    @property
    def added_count(self) -> int:
        return sum(len(v) for v in self.added.values())


@dataclass
class StoreSummary:
    folder: Path
    patients: list[PatientOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(p.added_count for p in self.patients)

    @property
    def already(self) -> int:
        return sum(p.already for p in self.patients)


def _index(folder: Path) -> tuple[dict[str, Path], list[Path]]:
    if not folder.is_dir():
        raise JakplanError(f"{folder}: not a folder of plan files")
    files = sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))
    return {p.stem: p for p in files}, files


def _by_identifier(files: list[Path], wanted: set[str]) -> dict[str, Path]:
    """Plan files whose profile identifier is one of ``wanted`` (read only when a name did not match)."""
    from jakplan.records.planfile import load_planfile

    out: dict[str, Path] = {}
    for p in files:
        try:
            ident = load_planfile(p, need_start=False).profile.identity.identifier
        except JakplanError:
            continue
        if ident in wanted and ident not in out:
            out[ident] = p
    return out


def _lines(recs: Iterable[ImportedLab]) -> str:
    return ", ".join(r.where for r in recs)


def store_imports(results: list[ImportResult], folder: str | Path, write: bool = True) -> StoreSummary:
    """Append every imported record to its patient's plan file in ``folder`` (see the module text).
    ``write=False``: work out what would be added and report it, changing no file."""
    folder = Path(folder)
    summary = StoreSummary(folder)
    by_name, files = _index(folder)
    records = [r for res in results for r in res.records]
    patients = list(dict.fromkeys(r.patient_id for r in records))
    missing = {p for p in patients if p not in by_name}
    by_ident = _by_identifier(files, missing) if missing else {}
    for pid in patients:
        mine = [r for r in records if r.patient_id == pid]
        path = by_name.get(pid) or by_ident.get(pid)
        if path is None:
            summary.problems.append(Problem(
                f"patient '{pid}'", f"no plan file {pid}.toml (or with identifier '{pid}') in {folder}; "
                f"{len(mine)} value(s) not imported ({_lines(mine)})"))
            continue
        try:
            summary.patients.append(_store_patient(pid, path, mine, summary.problems, write))
        except JakplanError as exc:
            summary.problems.append(Problem(str(path), f"{exc}; {len(mine)} value(s) not imported"))
    return summary


def _wanted(mine: list[ImportedLab], problems: list[Problem]) -> dict[dt.date, dict[str, tuple[float, list[ImportedLab]]]]:
    """Values per day and analyte from the import itself, with conflicts inside it resolved or reported."""
    grouped: dict[dt.date, dict[str, list[ImportedLab]]] = {}
    for r in mine:
        grouped.setdefault(r.on, {}).setdefault(r.analyte, []).append(r)
    out: dict[dt.date, dict[str, tuple[float, list[ImportedLab]]]] = {}
    for day, analytes in sorted(grouped.items()):
        for analyte, recs in analytes.items():
            values = sorted({float(f"{r.value:.6g}") for r in recs})
            if len(values) > 1 and analyte == "alt_uln":
                value = values[-1]  # ALT and AST on one day: the higher multiple of ULN
            elif len(values) > 1:
                shown = ", ".join(f"{r.value:g} ({r.where})" for r in recs)
                for r in recs:
                    problems.append(Problem(r.where, f"{analyte} on {day} has different values in this import "
                                            f"({shown}); none of them imported"))
                continue
            else:
                value = values[0]
            out.setdefault(day, {})[analyte] = (value, recs)
    return out


def _store_patient(pid: str, path: Path, mine: list[ImportedLab], problems: list[Problem],
                   write: bool = True) -> PatientOutcome:
    from jakplan.records.planfile import edit_planfile, load_planfile

    outcome = PatientOutcome(pid, path)
    wanted = _wanted(mine, problems)

    def new_values(history) -> tuple[dict[dt.date, dict[str, tuple[float, list[ImportedLab]]]], int, list[Problem]]:
        have: dict[tuple[dt.date, str], list[float]] = {}
        for rec in history.labs:
            for a, v in rec.values.items():
                have.setdefault((rec.on, a), []).append(v)
        add: dict[dt.date, dict[str, tuple[float, list[ImportedLab]]]] = {}
        already = 0
        found: list[Problem] = []
        for day, analytes in wanted.items():
            for analyte, (value, recs) in analytes.items():
                old = have.get((day, analyte))
                if old and any(same_value(v, value) for v in old):
                    already += len(recs)
                elif old:
                    for r in recs:
                        found.append(Problem(r.where, f"{path.name} already has {analyte} "
                                             f"{', '.join(f'{v:g}' for v in old)} on {day}; the file says {value:g}: "
                                             f"not imported (correct the plan file or the lab file)"))
                else:
                    add.setdefault(day, {})[analyte] = (value, recs)
        return add, already, found

    add, _, _ = new_values(load_planfile(path).history)
    if add and write:
        with edit_planfile(path) as pf:  # locked: recompute against what is there now
            add, already, found = new_values(pf.history)
            for day, analytes in sorted(add.items()):
                sources = sorted({Path(r.where.split(" ")[0]).name for _, recs in analytes.values() for r in recs})
                pf.add_lab(day, {a: v for a, (v, _) in analytes.items()}, f"imported from {', '.join(sources)}")
    else:
        add, already, found = new_values(load_planfile(path).history)
    problems += found
    outcome.already = already
    outcome.added = {day: {a: v for a, (v, _) in analytes.items()} for day, analytes in add.items()}
    return outcome
