"""A register's history brought in: the day each check was last done, per patient (``jakplan cohort history
import``, or ``last_*`` columns on ``jakplan cohort import``), so a new register starts with a true worklist.

A history CSV has an ``id`` column (the plan file ``<id>.toml`` of the register) and one column per check or
rule, named ``last_<check>`` (a check code of vocabulary.toml [checks] such as ``last_cbc_diff``, or its short
name with underscores such as ``last_blood_count``, ``last_liver``, ``last_kidney``, ``last_lipids``) or
``last_<rule id>`` of the patient's protocol; a cell is the day it was last done (YYYY-MM-DD; empty: not known).
Which rules the days close is the engine's (:func:`jakplan.engine.tracking.done_from_history`); each is written
as a ``[[done]]`` entry whose note names the file, so ``status`` and the audit say where it came from. A rule
already recorded done on that day or later is left as it is: importing the same file twice adds nothing.
Other columns (the profile's, a clinic's own) are not read.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from jakplan.api import plan_for_record
from jakplan.dates import parse_user_date
from jakplan.engine.tracking import HISTORY_PREFIX, done_from_history, history_check
from jakplan.errors import JakplanError
from jakplan.fileio import clean_stale_temps, open_regular
from jakplan.records.csvrows import _ID, _delimiter, _mapped
from jakplan.records.patient import load_record
from jakplan.records.planfile import edit_planfile

ID_COLUMNS = ("id", "patient", "patient_id")


def is_history_column(name: str) -> bool:
    return name.strip().lower().startswith(HISTORY_PREFIX)


@dataclass(frozen=True)
class HistoryResult:
    pid: str
    where: str
    action: str
    """'recorded' (new [[done]] entries), 'unchanged', or 'error'."""
    path: str = ""
    recorded: tuple[str, ...] = ()
    """'bloods_every_3_months 2024-07-01' for each entry written."""
    unused: tuple[str, ...] = ()
    """History columns with a day that close nothing in this patient's plan."""
    message: str = ""


def history_cells(cells: dict[str, str], where: str, today: dt.date) -> dict[str, dt.date]:
    """The ``last_*`` cells of a row that hold a day: name without ``last_`` -> day (an empty cell is not known).
    A day that is not a date, or in the future, is refused naming the column."""

    out: dict[str, dt.date] = {}
    for col, text in cells.items():
        if not is_history_column(col) or not text.strip():
            continue
        day = parse_user_date(text, f"{where}: column {col}")
        if day > today:
            raise JakplanError(f"{where}: column {col}: {day.isoformat()} is in the future (a history says when a "
                               f"check was last done)")
        out[col.strip().lower()[len(HISTORY_PREFIX):]] = day
    return out


def apply_history(path: str | os.PathLike, last: dict[str, dt.date], source: str, where: str,
                  today: dt.date, clean: bool = True) -> HistoryResult:
    """Record in one plan file the rules ``last`` closes (see the module doc); never raises for the row.
    ``clean=False``: the caller removed stale temporary files from the folder once before the batch."""

    p = Path(path)
    pid = p.stem
    try:
        if not p.is_file():
            raise JakplanError(f"no plan file {p.name} in the register")
        plan = plan_for_record(load_record(p), today=today)
        known_rules = {r.id for r in plan.protocol.rules}
        for name in last:
            if history_check(name) is None and name not in known_rules:
                raise JakplanError(f"column {HISTORY_PREFIX}{name}: not a check jakplan knows (a code or short name "
                                   f"of vocabulary.toml [checks]) nor a rule of this patient's protocol "
                                   f"({plan.drug}/{plan.protocol.id})")
        closes, unused = done_from_history(plan, last)
        recorded: list[str] = []
        if closes:
            with edit_planfile(p, clean=clean) as pf:
                for rule, day, how in closes:
                    if any(d.rule == rule and d.on >= day for d in pf.history.done):
                        continue  # recorded already (this import before, or a later record)
                    pf.add_done(rule, day, via="history", basis=(source, *how))
                    recorded.append(f"{rule} {day.isoformat()}")
        return HistoryResult(pid, where, "recorded" if recorded else "unchanged", str(p), tuple(recorded),
                             tuple(HISTORY_PREFIX + n for n in unused))
    except JakplanError as exc:
        msg = str(exc)
        return HistoryResult(pid, where, "error", str(p), message=msg if msg.startswith(where) else f"{where} (id {pid}): {msg}")


def import_history(csv_path: str | os.PathLike, folder: str | os.PathLike, columns: dict[str, str] | None = None,
                   today: dt.date | None = None) -> Iterator[HistoryResult]:
    """One :class:`HistoryResult` per data row of a history CSV (see the module doc). The header is checked first:
    it needs an id column and at least one ``last_*`` column."""

    day = today or dt.date.today()
    reg = Path(folder)
    if not reg.is_dir():
        raise JakplanError(f"{reg}: not a folder (the register: a folder of plan files)")
    p = Path(csv_path)
    fh = open_regular(p, "CSV file", newline="", encoding="utf-8-sig", errors="replace")
    first = fh.readline()
    fh.seek(0)
    reader = csv.reader(fh, delimiter=_delimiter(first))
    try:
        header = [h.strip().lower() for h in _mapped(next(reader), columns)]
    except StopIteration:
        fh.close()
        raise JakplanError(f"{p}: empty file; the first line must name the columns (id,last_...)") from None
    idcol = next((c for c in ID_COLUMNS if c in header), None)
    hist = [h for h in header if is_history_column(h)]
    if idcol is None or not hist:
        fh.close()
        raise JakplanError(f"{p} line 1: a history needs an 'id' column and at least one 'last_<check>' column "
                           f"(e.g. last_blood_count, last_liver, last_kidney, last_lipids, or last_<rule id>); "
                           f"found {', '.join(header) or 'none'}; map the clinic's own with --map \"HEADER=column\"")

    def rows() -> Iterator[HistoryResult]:

        clean_stale_temps(reg)  # once per import, not once per plan file written
        with fh:
            for cells in reader:
                where = f"{p} line {reader.line_num}"
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) != len(header):
                    yield HistoryResult("?", where, "error",
                                        message=f"{where}: {len(cells)} fields, the header has {len(header)}")
                    continue
                row = dict(zip(header, (c.strip() for c in cells), strict=True))
                pid = row[idcol]
                if not _ID.match(pid):
                    yield HistoryResult(pid or "?", where, "error", message=f"{where}: id {pid!r} is not a plan file name")
                    continue
                try:
                    last = history_cells(row, where, day)
                except JakplanError as exc:
                    yield HistoryResult(pid, where, "error", message=str(exc))
                    continue
                if not last:
                    yield HistoryResult(pid, where, "unchanged", str(reg / f"{pid}.toml"))
                    continue
                yield apply_history(reg / f"{pid}.toml", last, p.name, where, day, clean=False)

    return rows()
