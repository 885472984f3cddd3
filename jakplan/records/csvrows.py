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

from jakplan.catalog.factors import parse_text
from jakplan.catalog.vocab import vocabulary
from jakplan.errors import JakplanError
from jakplan.fileio import _open_regular_fd, open_regular
from jakplan.records.patient import PatientRecord
from jakplan.records.profile import Identity, Profile, check_months

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


IGNORED = "-"
"""A column mapped to '-' (``--map "Flag=-"``) is not read."""


def _delimiter(first: str) -> str:
    """',' unless the header line has semicolons (or tabs) and no comma: a spreadsheet saved in a locale
    whose decimal mark is the comma."""
    return ";" if ";" in first and "," not in first else "\t" if "\t" in first and "," not in first else ","


def _mapped(header: list[str], columns: dict[str, str] | None) -> list[str]:
    """The header with the clinic's own names mapped to jakplan's (clinic.toml [columns] or --map)."""
    m = {k.strip().lower(): v for k, v in (columns or {}).items()}
    return [m.get(h.strip().lower(), h.strip()) for h in header]


def csv_header(path: str | os.PathLike, columns: dict[str, str] | None = None) -> list[str]:
    """The header of a profiles CSV as jakplan reads it (mapped; ignored columns left out)."""

    with open_regular(Path(path), "CSV file", newline="", encoding="utf-8-sig", errors="replace") as fh:
        first = fh.readline()
        fh.seek(0)
        header = next(csv.reader(fh, delimiter=_delimiter(first)), [])
    return [h for h in _mapped(header, columns) if h != IGNORED]


def read_rows(path: str | os.PathLike, allow_extra: bool = False, columns: dict[str, str] | None = None) -> Iterator[Row]:
    """The data rows of a profiles CSV, lazily, with their line numbers; a bad header raises at once.

    ``allow_extra``: columns that are neither profile columns nor patient factors are kept in the rows (for
    the caller to handle; :func:`record_from_row` ignores them) instead of refused. ``columns``: the clinic's
    header -> jakplan's column ('-' ignores it). Semicolon-separated files are read as such."""

    p = Path(path)
    # a regular file only (never blocks on a FIFO); read as a stream, so its size does not matter.
    # A byte that is not UTF-8 becomes U+FFFD, which no column accepts: that row is reported, the rest go on.
    fh = open_regular(p, "CSV file", newline="", encoding="utf-8-sig", errors="replace")
    try:
        first = fh.readline()
        fh.seek(0)
        reader = csv.reader(fh, delimiter=_delimiter(first))
        header = _header(p, reader, allow_extra, columns)
    except BaseException:
        fh.close()
        raise
    return _rows(p, fh, reader, header)


HISTORY_PREFIX = "last_"
"""History columns (``last_<check>``: the day a check was last done; see jakplan.clinic.history_import)."""


def extra_columns(header: list[str] | tuple[str, ...]) -> list[str]:
    """Columns that are neither profile columns, patient factors nor history columns."""
    factors = vocabulary()["factors"]
    return [h for h in header if h not in PROFILE_COLUMNS and h not in factors
            and not h.strip().lower().startswith(HISTORY_PREFIX)]


def _header(p: Path, reader, allow_extra: bool = False, columns: dict[str, str] | None = None) -> list[str]:
    try:
        header = _mapped(next(reader), columns)
    except StopIteration:
        raise JakplanError(f"{p}: empty file; the first line must name the columns (id,start,...)") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise JakplanError(f"{p} line 1: not a readable CSV header: {exc}") from None
    factors = vocabulary()["factors"]
    unknown = [h for h in extra_columns(header) if h != IGNORED]
    if unknown and not allow_extra:
        raise JakplanError(f"{p} line 1: unknown column(s) {', '.join(unknown)}; known: "
                           f"{', '.join(PROFILE_COLUMNS)} and patient factors {', '.join(sorted(factors))}; "
                           f"map the clinic's own with --map \"HEADER=column\" (or [columns] in clinic.toml)")
    for need in ("id", "start"):
        if need not in header:
            raise JakplanError(f"{p} line 1: column '{need}' is missing (header: {', '.join(header)}); map the "
                               f"clinic's own with --map \"HEADER={need}\" (or [columns] in clinic.toml)")
    named = [h for h in header if h != IGNORED]
    if len(set(named)) != len(named):
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
            yield Row(str(p), reader.line_num, {h: c.strip() for h, c in zip(header, cells, strict=False)
                                                if h != IGNORED})


def record_from_row(row: Row):
    """(patient id, PatientRecord) from one CSV row; raises JakplanError naming the file, line and column.

    A protocol path in a cell is relative to the CSV's folder and may not leave it."""

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
            try:
                prof.factors[name] = parse_text(name, raw, where)
            except JakplanError as exc:  # name the column the bad cell is in
                msg = str(exc)
                raise JakplanError(msg if f"'{name}'" in msg or f"{where}: {name}" in msg else
                                   msg.replace(f"{where}", f"{where} column '{name}'", 1)) from None
    return pid, PatientRecord(prof, where=where)


def count_rows(csv_path: str | os.PathLike) -> int:
    """Data lines in a CSV (a cheap pass for the progress bar and the pool decision)."""

    try:
        with os.fdopen(_open_regular_fd(csv_path), "rb") as fh:
            return max(0, sum(1 for line in fh if line.strip()) - 1)
    except (OSError, JakplanError):
        return 0  # read_rows says what is wrong with the file
