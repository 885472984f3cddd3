"""A clinic's profiles CSV: one patient per row, read lazily with line numbers.

Columns: ``id`` and ``start`` (required), ``drug``, ``indication``, ``protocol``, ``months``, and any patient
factor of the vocabulary (``age``, ``egfr``, ``smoker`` ...; an empty cell means "not given"). A bad row
becomes one error naming the file, line and column; the other rows are still read.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from jakplan.catalog.vocab import vocabulary
from jakplan.errors import JakplanError

PROFILE_COLUMNS = ("id", "start", "drug", "indication", "protocol", "months", "name", "identifier", "contact")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Row:
    source: str
    line: int
    cells: dict[str, str]

    @property
    def where(self) -> str:
        return f"{self.source} line {self.line}"


def read_rows(path: str | os.PathLike, allow_extra: bool = False) -> Iterator[Row]:
    """The data rows of a profiles CSV, lazily, with their line numbers; a bad header raises at once.

    ``allow_extra``: columns that are neither profile columns nor patient factors are kept in the rows (for
    the caller to handle; :func:`record_from_row` ignores them) instead of refused."""
    from jakplan.fileio import open_regular

    p = Path(path)
    # a regular file only (never blocks on a FIFO); read as a stream, so its size does not matter.
    # A byte that is not UTF-8 becomes U+FFFD, which no column accepts: that row is reported, the rest go on.
    fh = open_regular(p, "CSV file", newline="", encoding="utf-8-sig", errors="replace")
    reader = csv.reader(fh)
    try:
        header = _header(p, reader, allow_extra)
    except BaseException:
        fh.close()
        raise
    return _rows(p, fh, reader, header)


def extra_columns(header: list[str] | tuple[str, ...]) -> list[str]:
    """Columns that are neither profile columns nor patient factors."""
    factors = vocabulary()["factors"]
    return [h for h in header if h not in PROFILE_COLUMNS and h not in factors]


def _header(p: Path, reader, allow_extra: bool = False) -> list[str]:
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise JakplanError(f"{p}: empty file; the first line must name the columns (id,start,...)") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise JakplanError(f"{p} line 1: not a readable CSV header: {exc}") from None
    factors = vocabulary()["factors"]
    unknown = extra_columns(header)
    if unknown and not allow_extra:
        raise JakplanError(f"{p} line 1: unknown column(s) {', '.join(unknown)}; known: "
                           f"{', '.join(PROFILE_COLUMNS)} and patient factors {', '.join(sorted(factors))}")
    for need in ("id", "start"):
        if need not in header:
            raise JakplanError(f"{p} line 1: column '{need}' is missing")
    if len(set(header)) != len(header):
        raise JakplanError(f"{p} line 1: a column is named twice")
    return header


def _rows(p: Path, fh, reader, header: list[str]) -> Iterator[Row]:
    with fh:
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                yield Row(str(p), reader.line_num, {"__error__": f"not readable CSV: {exc}"})
                if isinstance(exc, UnicodeDecodeError):
                    return
                continue
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                yield Row(str(p), reader.line_num,
                          {"__error__": f"{len(cells)} cells, but the header names {len(header)} columns"})
                continue
            yield Row(str(p), reader.line_num, {h: c.strip() for h, c in zip(header, cells, strict=False)})


def record_from_row(row: Row):
    """(patient id, PatientRecord) from one CSV row; raises JakplanError naming the file, line and column.

    A protocol path in a cell is relative to the CSV's folder and may not leave it."""
    from jakplan.catalog.factors import parse_text
    from jakplan.records.patient import PatientRecord
    from jakplan.records.profile import Identity, Profile, check_months

    where = row.where
    if "__error__" in row.cells:
        raise JakplanError(f"{where}: {row.cells['__error__']}")
    c = row.cells
    pid = c.get("id", "")
    if not _ID.match(pid):
        raise JakplanError(f"{where}: id '{pid}' must be 1-64 letters, digits, '_', '.' or '-' (it names the files)")
    where = f"{where} (id {pid})"
    try:
        start = dt.date.fromisoformat(c.get("start", ""))
    except ValueError:
        raise JakplanError(f"{where}: start '{c.get('start', '')}' is not a date (YYYY-MM-DD)") from None
    prof = Profile(start=start, source=Path(row.source), identity=Identity(*(c.get(k, "") for k in ("name", "identifier", "contact"))))
    for key in ("drug", "indication", "protocol"):
        if c.get(key):
            setattr(prof, key, c[key])
    if c.get("months"):
        m = c["months"]
        if not (m.isascii() and m.isdigit()):
            raise JakplanError(f"{where}: months '{m}' is not a whole number")
        prof.months = check_months(int(m), where)
    factor_names = vocabulary()["factors"]
    for name, raw in c.items():
        if name in factor_names and raw:
            prof.factors[name] = parse_text(name, raw, where)
    return pid, PatientRecord(prof, where=where)


def count_rows(csv_path: str | os.PathLike) -> int:
    """Data lines in a CSV (a cheap pass for the progress bar and the pool decision)."""
    from jakplan.fileio import _open_regular_fd

    try:
        with os.fdopen(_open_regular_fd(csv_path), "rb") as fh:
            return max(0, sum(1 for line in fh if line.strip()) - 1)
    except (OSError, JakplanError):
        return 0  # read_rows says what is wrong with the file
