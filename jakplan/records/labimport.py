"""Lab results in: parse a CSV file, a FHIR R4 Bundle of Observations or HL7 v2 ORU^R01 messages (pure: reads
the file, writes nothing) into :class:`ImportedLab` records in jakplan's canonical units.

    >>> from jakplan.records.labimport import import_file
    >>> result = import_file("examples/clinic/labs.csv")          # doctest: +SKIP
    >>> result.records[0].analyte, [str(p) for p in result.problems]   # doctest: +SKIP

Every value goes through the same lab-value path as ``jakplan labs`` and ``record --lab``
(:func:`jakplan.records.labvalues.lab_measurement`: explicit or defaulted units, the same conversions, the vocabulary's
plausibility ranges; NaN and infinity refused). Codes are LOINC codes looked up in the reviewed table
``jakplan/data/loinc.toml`` (key on the code only, never on display text). ALT and AST arrive in U/L and are
judged as a multiple of the upper limit of normal, so they need the lab's reference range (FHIR
``referenceRange.high``, HL7 OBX-7, or a ``uln`` CSV column).

A bad row, entry or segment becomes one :class:`Problem` naming the file and the line / entry / segment, and
the rest are imported: each CSV data row, each FHIR Observation carrying a value and each HL7 OBX segment gives
exactly one record or one problem. A code jakplan does not follow is reported by its code and name, never
dropped silently. A file that cannot be read at all gives one problem and ``fatal``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Iterator

from jakplan.catalog.loinc import LOINC_CODE, LoincCode, loinc_table
from jakplan.catalog.units import ENZYME_UNITS, unit_key
from jakplan.catalog.vocab import vocabulary
from jakplan.dates import parse_user_date
from jakplan.errors import JakplanError
from jakplan.escape import one_line
from jakplan.fileio import read_bytes
from jakplan.records.clinicsettings import ClinicSettings
from jakplan.records.labvalues import lab_measurement

LOINC_SYSTEM = "http://loinc.org"
LOINC_OID = "2.16.840.1.113883.6.1"
LOINC_SYSTEMS = (LOINC_SYSTEM, f"urn:oid:{LOINC_OID}")
LOINC_HL7 = ("LN", LOINC_OID, "LOINC")
UCUM_SYSTEM = "http://unitsofmeasure.org"
FINAL_FHIR = ("final", "amended", "corrected")
PRELIMINARY_FHIR = ("preliminary",)
FINAL_HL7 = ("F", "C")
PRELIMINARY_HL7 = ("P",)
_LOINC_CODE = LOINC_CODE


_PLACE = re.compile(r" (?:line \d+|entry \d+(?: component \d+)?|message \d+(?: segment OBX \d+)?)$")


def source_file(where: str) -> str:
    """The file a record's ``where`` names ('my labs.csv line 3' -> 'my labs.csv'; a name may hold spaces)."""
    return _PLACE.sub("", where)


@dataclass(frozen=True)
class ImportedLab:
    """One lab value read from a file, converted to jakplan's canonical unit for its analyte."""

    patient_id: str
    on: dt.date
    analyte: str
    value: float
    unit: str
    where: str
    """'FILE line N', 'FILE entry N' or 'FILE message N segment OBX M'."""
    code: str = ""
    """The LOINC code, or the name the file used (CSV)."""
    given: str = ""
    """The value as the file gave it, with its unit (and the ULN for ALT/AST)."""
    at: str = ""
    """The time of day the sample was taken ('08:30'), when the file gives one."""
    censor: str = ""
    """'<', '<=', '>' or '>=' for a censored value ('>90': ``value`` is the bound 90, the result above it)."""
    status: str = ""
    """'preliminary' for a result the laboratory has not finalised; '' for final, amended or corrected."""
    patient_system: str = ""
    """The identifier system the file named for the patient (FHIR identifier.system, HL7 PID-3.4)."""
    low: float | None = None
    high: float | None = None
    """The laboratory's reference range in the canonical unit (HL7 OBX-7, FHIR referenceRange, CSV range/uln/low
    columns); None where the file gives no bound."""
    flag: str = ""
    """The laboratory's abnormal flag as sent (HL7 OBX-8, FHIR interpretation code, CSV flag column)."""


@dataclass(frozen=True)
class Problem:
    where: str
    message: str
    kind: str = "error"
    """'error' (bad data), 'not_followed' (a valid result for a test jakplan does not follow), 'no_value' (the
    laboratory sent no value and said why) or 'needs_uln' (ALT/AST with no upper limit of normal)."""
    group: str = ""
    """The message without what differs from row to row: identical problems are reported once with their places."""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class ImportResult:
    path: str
    format: str
    records: list[ImportedLab] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    fatal: bool = False
    """Nothing in the file could be read (not CSV / JSON / HL7, missing columns ...)."""

    @property
    def errors(self) -> list[str]:
        """One line per problem, naming the file and where in it."""
        return [str(p) for p in self.problems]


# -- one value through the lab-value path ---------------------------------------------------------------

_ULN_UNITS = ("xuln", "×uln", "uln", "x")


@functools.lru_cache(maxsize=1024)  # twice per imported value, over a few spellings
def _unit_kind(unit: str) -> str:
    u = unit.strip().lower()
    if re.search(r"mol/", u):
        return "moles"
    if re.match(r"^[mµμunk]?g/", u):
        return "mass"
    return ""


def _number(text: str, where_label: str) -> float:
    t = text.strip()
    if re.match(r"^[<>≤≥]=?", t):
        raise JakplanError(f"{where_label} '{t}' is a censored value (below or above what the lab can measure); "
                           f"jakplan cannot judge it: enter the value by hand if the prescriber wants it kept")
    if re.match(r"^[+-]?\d*,\d", t):
        raise JakplanError(f"{where_label} '{t}': a comma is ambiguous (decimal or thousands?); write 1.2 or 1200 "
                           f"without commas")
    try:
        x = float(t)
    except ValueError:
        raise JakplanError(f"{where_label} '{t}' is not a number") from None
    if not math.isfinite(x):
        raise JakplanError(f"{where_label} '{t}' is not a finite number")
    return x


_CENSOR = re.compile(r"^\s*(<=|>=|≤|≥|<|>)\s*(.*)$")


def split_censor(text: str) -> tuple[str, str]:
    """('>', '90') for '>90', ('', '4.2') for '4.2': a censored value (below or above what the laboratory
    measures) is kept as its bound and the side it lies on."""
    m = _CENSOR.match(str(text))
    if not m:
        return "", str(text).strip()
    return {"≤": "<=", "≥": ">="}.get(m.group(1), m.group(1)), m.group(2).strip()


def measure(analyte: str, value: str, unit: str, *, uln: str | None = None, enzyme: bool = False,
            label: str = "", mass_or_moles: str = "") -> tuple[float, str, str]:
    """Convert one value to the canonical unit of ``analyte`` through the one lab-value path
    (:func:`jakplan.records.labvalues.lab_measurement`, the same as ``jakplan labs`` and ``record --lab``).

    ``enzyme``: the value is an enzyme activity (ALT/AST) that jakplan judges as a multiple of the upper
    limit of normal: a unit of U/L (or ukat/L, x 60) needs ``uln`` in the same unit; 'x ULN' needs nothing.
    ``mass_or_moles``: the kind of unit the code is defined in; a unit of the other kind is refused.
    Returns (value, canonical unit, given text). Raises JakplanError with a one-line reason.
    """

    label = label or analyte
    value = str(value).strip()
    unit = str(unit or "").strip()
    if not value:
        raise JakplanError(f"{label}: no value")
    number = _number(value, label)  # NaN, inf, censored and non-numbers refused with a clear line
    given = f"{value} {unit}".strip()
    key = unit_key(unit)
    if enzyme and key not in _ULN_UNITS:
        if key not in ENZYME_UNITS:
            raise JakplanError(f"{label} '{given}': unit '{unit or '(none)'}' is not an enzyme activity unit "
                               f"jakplan converts; use U/L (with the upper limit of normal) or x ULN")
        if uln is None or not str(uln).strip():
            raise JakplanError(f"{label} '{given}': no upper limit of normal (reference range) given; jakplan "
                               f"judges ALT/AST as a multiple of it, so it cannot judge this value")
        top = _number(str(uln), f"{label} upper limit of normal")
        m = lab_measurement("alt_uln", f"{number!r} {unit}", None, label, uln=repr(top))
        return m.value, m.unit, f"{given} (ULN {str(uln).strip()} {unit})"
    if mass_or_moles and unit:
        kind = _unit_kind(unit)
        if kind and kind != mass_or_moles:
            raise JakplanError(f"{label} '{given}': this code is a {mass_or_moles} concentration, but the unit "
                               f"'{unit}' is a {kind} unit (wrong code or wrong unit)")
    m = lab_measurement(analyte, f"{value} {unit}".strip(), None, label)
    return m.value, m.unit, given


@dataclass(frozen=True)
class Context:
    """What an import knows besides the file: the clinic's settings (``clinic.toml``) and the day it runs."""

    today: dt.date
    settings: ClinicSettings = field(default_factory=ClinicSettings)
    columns: dict[str, str] = field(default_factory=dict)
    """header -> column from ``--map`` (over the settings' [columns])"""


def _enzyme_of(entry: LoincCode | None, word: str = "") -> str:
    name = entry.name if entry is not None else word
    return "ast" if name.lower().startswith(("aspartate", "ast")) else "alt"


def _clinic_uln(enzyme: str, unit: str, uln: str | None, ctx: Context, lab: str, label: str) -> tuple[str | None, str]:
    """The upper limit of normal to judge an enzyme value by: the file's own, else the clinic's (clinic.toml)."""
    if uln is not None and str(uln).strip():
        return uln, ""
    key = unit_key(unit)
    if key in _ULN_UNITS or key not in ENZYME_UNITS:
        return None, ""
    top = ctx.settings.uln_for(enzyme, lab)
    if top is None:
        at = f" at '{lab}'" if lab else ""
        raise _NeedsUln(f"{label}: no reference range in the file; needs the laboratory's upper limit{at} "
                        f"(set it in clinic.toml: [uln] {enzyme} = ...)",
                        f"{enzyme.upper()} without a reference range: needs the laboratory's upper limit{at} "
                        f"(set it in clinic.toml: [uln] {enzyme} = ...)")
    factor = 60.0 if key.startswith("ukat") else 1.0
    return repr(top / factor), f"clinic.toml {enzyme} ULN {top:g} U/L"


def _by_code(code: str, display: str, unit: str, value: str, uln: str | None, ctx: Context | None = None,
             lab: str = "") -> tuple[LoincCode, float, str, str, str]:
    """(entry, value, canonical unit, given text, censor) of one coded result."""
    table = loinc_table()
    entry = table.codes.get(code)
    if entry is None:
        if code in table.unmapped:
            known, reason = table.unmapped[code]
            raise _NotFollowed(f"LOINC {code} ({known}) is not imported: {reason}")
        named = f" ({display})" if display else ""
        raise _NotFollowed(f"LOINC {code}{named} is not a lab result jakplan follows; not imported",
                           f"LOINC {code}{named} is not a lab result jakplan follows; not imported")
    label = f"LOINC {code} ({_short(entry)})"
    kinds = {_unit_kind(u) for u in entry.units} - {""}
    kind = kinds.pop() if len(kinds) == 1 else ""
    source = ""
    if entry.uln:
        uln, source = _clinic_uln(_enzyme_of(entry), unit, uln, ctx or Context(dt.date.today()), lab, label)
    other = _unit_kind(unit) if unit else ""
    if kind and other and other != kind:
        raise _Grouped(f"{label} '{value} {unit}': this code is a {kind} concentration, but the unit "
                       f"'{unit}' is a {other} unit (wrong code or wrong unit)",
                       f"{label} is a {kind} code but the unit is {unit}")
    censor, number = split_censor(value)
    val, canon, given = measure(entry.analyte, number, unit, uln=uln, enzyme=entry.uln, label=label,
                                mass_or_moles=kind)
    if source:
        given = f"{given.split(' (ULN')[0]} ({source})"
    return entry, val, canon, censor + given, censor


def _short(entry: LoincCode) -> str:

    return vocabulary()["analytes"][entry.analyte]["label"] if not entry.uln else entry.name.split(" [")[0]


class _Grouped(JakplanError):
    """A problem that is the same for many rows: ``group`` is its message without the row's value."""

    def __init__(self, message: str, group: str = "") -> None:
        super().__init__(message)
        self.group = group


class _NotFollowed(_Grouped):
    pass


class _NeedsUln(_Grouped):
    pass


def _problem(where: str, exc: JakplanError) -> Problem:
    kind = "not_followed" if isinstance(exc, _NotFollowed) else "needs_uln" if isinstance(exc, _NeedsUln) \
        else "no_value" if isinstance(exc, _NoValue) else "error"
    return Problem(where, str(exc), kind, getattr(exc, "group", ""))


class _NoValue(_Grouped):
    pass


def _group_uln(res: ImportResult) -> ImportResult:
    """ALT/AST results with no upper limit of normal: one line for the file, naming each place."""
    need = [p for p in res.problems if p.kind == "needs_uln"]
    if need:
        rest = [p for p in res.problems if p.kind != "needs_uln"]
        groups: dict[str, list[Problem]] = {}
        for p in need:
            groups.setdefault(p.group, []).append(p)
        for group, ps in groups.items():
            places = ", ".join(p.where.removeprefix(res.path).strip() for p in ps)
            rest.append(Problem(res.path, f"{len(ps)} result(s) of {group} ({places})", "needs_uln", group))
        res.problems = rest
    return res


def _check_day(day: dt.date, today: dt.date) -> dt.date:
    if day > today:
        raise JakplanError(f"date {day} is in the future (today is {today})")
    if day.year < 1900:
        raise JakplanError(f"date {day} is before 1900")
    return day


def _iso_day(text: str) -> dt.date:
    return _iso_when(text)[0]


def _iso_when(text: str, column: str = "date") -> tuple[dt.date, str]:
    """A day from a file, and its time of day when given ('08:30'): a date (the one parser of typed dates,
    :func:`jakplan.dates.parse_user_date`) or an ISO date-time (the day and time as written, in its own zone)."""

    t = str(text).strip()
    if len(t) > 10 and t[10] in "T ":
        try:
            moment = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
        except ValueError:
            raise JakplanError(f"{column} '{t}' is not an ISO date and time (YYYY-MM-DDTHH:MM)") from None
        return moment.date(), moment.strftime("%H:%M")
    try:
        return parse_user_date(t, column), ""
    except JakplanError as exc:
        msg = str(exc)
        raise JakplanError(msg if column in msg else f"{column} {msg}") from None


# -- CSV ------------------------------------------------------------------------------------------------

CSV_COLUMNS = {
    "patient": ("patient", "patient_id", "id", "pid"),
    "date": ("date", "on", "collected"),
    "time": ("time",),
    "analyte": ("analyte", "loinc", "code", "test"),
    "value": ("value", "result"),
    "unit": ("unit", "units"),
    "uln": ("uln", "upper_limit_of_normal", "reference_high"),
    "range": ("range", "reference_range", "refrange"),
    "lab": ("lab", "laboratory"),
    "status": ("status",),
    "low": ("low", "reference_low", "lln", "lower_limit_of_normal"),
    "flag": ("flag", "abnormal_flag", "flags", "interpretation"),
}
REQUIRED_CSV = ("patient", "date", "analyte", "value")
IGNORE = "-"


def _col(name: str, columns: dict[str, str] | None = None) -> str | None:
    mapped = (columns or {}).get(name.strip().lower())
    if mapped is not None:
        name = mapped
        if name == IGNORE:
            return IGNORE
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    for col, names in CSV_COLUMNS.items():
        if key in names:
            return col
    return None


def _csv_columns(header: list[str], columns: dict[str, str] | None = None) -> tuple[dict[str, int], str | None]:
    """The header's columns (column -> index), or an error message for the header line."""
    cols: dict[str, int] = {}
    unknown = []
    for i, h in enumerate(header):
        c = _col(h, columns)
        if c == IGNORE:
            continue
        if c is None:
            unknown.append(h.strip() or f"(column {i + 1} has no name)")
        elif c in cols:
            return cols, f"two columns mean '{c}': {header[cols[c]]!r} and {h!r}"
        else:
            cols[c] = i
    if unknown:
        return cols, (f"unknown column(s) {', '.join(repr(u) for u in unknown)}; "
                      f"known: {', '.join(CSV_COLUMNS)}; map the clinic's own with --map \"HEADER=column\" "
                      f"(or [columns] in clinic.toml; \"HEADER=-\" ignores a column)")
    missing = [c for c in REQUIRED_CSV if c not in cols]
    if missing:
        return cols, (f"missing column(s): {', '.join(missing)} "
                      f"(expected patient, date, analyte, value, unit; map others with --map \"HEADER=column\")")
    return cols, None


def _status(text: str, where_label: str) -> str:
    """'' for a final result, 'preliminary' for one not yet final; anything else is refused."""
    t = text.strip().lower()
    if t in ("", "final", "f", "amended", "corrected", "c"):
        return ""
    if t in ("preliminary", "p"):
        return "preliminary"
    raise JakplanError(f"{where_label}status '{text}': only final, amended, corrected (imported) or preliminary "
                       f"(imported and marked) results are read")


def _csv_record(get: dict[str, str], where: str, ctx: Context, table: Any, analytes: dict) -> ImportedLab:
    """One CSV data row (column -> stripped text) as an imported lab value; a JakplanError says what is wrong."""
    pid = get["patient"]
    if not pid:
        raise JakplanError("no patient id")
    if not get["date"]:
        raise JakplanError("no date")
    day, at = _iso_when(get["date"], "date")
    _check_day(day, ctx.today)
    if get.get("time") and not at:
        m = re.match(r"^(\d{1,2}):(\d{2})", get["time"])
        if not m or int(m.group(1)) > 23:
            raise JakplanError(f"time '{get['time']}' is not a time of day (HH:MM)")
        at = f"{int(m.group(1)):02d}:{m.group(2)}"
    status = _status(get.get("status", ""), "")
    what = get["analyte"]
    unit = get.get("unit", "")
    uln = get.get("uln") or _uln_from_range(get.get("range", "")) or None
    lab = get.get("lab", "")
    if _LOINC_CODE.match(what):
        entry, val, canon, given, censor = _by_code(what, "", unit, get["value"], uln, ctx, lab)
        analyte = entry.analyte
    else:
        word = re.sub(r"[\s\-]+", "_", what.lower())
        analyte = table.aliases.get(word, word)
        if analyte not in analytes:
            raise _Grouped(f"unknown analyte '{what}': use a LOINC code or one of "
                           f"{', '.join(sorted(set(analytes) | set(table.aliases)))}",
                           f"unknown analyte '{what}'")
        enzyme = word in ("alt", "ast")
        source = ""
        if enzyme:
            uln, source = _clinic_uln(word, unit, uln, ctx, lab, word)
        censor, number = split_censor(get["value"])
        val, canon, given = measure(analyte, number, unit, uln=uln, enzyme=enzyme,
                                    label=word if enzyme else analyte)
        given = censor + (f"{given.split(' (ULN')[0]} ({source})" if source else given)
    rec = ImportedLab(pid, day, analyte, val, canon, where, what, given, at, censor, status)
    low, high = _bounds_from_range(get.get("range", ""))
    return _with_reference(rec, get["value"], get.get("low") or low, get.get("uln") or high, get.get("flag", ""))


def _csv_rows(reader: Any, header: list[str], cols: dict[str, int], name: str, res: ImportResult,
              ctx: Context) -> None:
    """Read the data rows into ``res``: each row a record or a problem."""
    table = loinc_table()

    analytes = vocabulary()["analytes"]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            res.problems.append(Problem(f"{name} line {reader.line_num}", f"not valid CSV: {exc}"))
            continue
        where = f"{name} line {reader.line_num}"
        if not any(c.strip() for c in row):
            continue  # a blank line is not a row
        if len(row) != len(header):
            res.problems.append(Problem(where, f"{len(row)} fields, the header has {len(header)}"))
            continue
        get = {c: row[i].strip() for c, i in cols.items()}
        try:
            res.records.append(_csv_record(get, where, ctx, table, analytes))
        except JakplanError as exc:
            res.problems.append(_problem(where, exc))


def _context(today: dt.date | None, ctx: Context | None) -> Context:
    return ctx if ctx is not None else Context(today or dt.date.today())


def import_csv(path: str | Path, today: dt.date | None = None, text: str | None = None,
               ctx: Context | None = None) -> ImportResult:
    """Read a lab CSV: columns patient id, date, analyte (LOINC code or jakplan name), value, and optionally
    unit, uln (the upper limit of normal, for ALT/AST in U/L) or range (the reference range, '0-40'), time, lab
    and status; the clinic's own headers are mapped by ``ctx.columns`` (--map) or clinic.toml [columns]. Commas
    separate the fields, or semicolons or tabs when the header has those and no comma (a decimal comma in a value
    is still refused as ambiguous)."""
    res, text = _begin(path, "csv", text)
    if text is None:
        return res
    ctx = _context(today, ctx)
    name = str(path)
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return _fatal(res, f"{name} line 1", f"not a CSV file: {exc}")
    if not header or not any(h.strip() for h in header):
        return _fatal(res, f"{name} line 1", "empty file: expected a header row (patient, date, analyte, value, unit)")
    cols, error = _csv_columns(header, {**ctx.settings.columns, **ctx.columns})
    if error:
        return _fatal(res, f"{name} line 1", error)
    _csv_rows(reader, header, cols, name, res, ctx)
    return _group_uln(res)


# -- FHIR R4 Bundle --------------------------------------------------------------------------------------


MAX_JSON_DEPTH = 64
"""The deepest nesting a FHIR lab file may have (a Bundle of Observations nests about 8 levels)."""

MAX_JSON_NUMBER = 64
"""The most characters a JSON number may have (a result is a few digits; 5,000 digits is not a lab value)."""


class _JsonTooBig(ValueError):
    pass


def _json_number(text: str) -> None:
    if len(text) > MAX_JSON_NUMBER:
        raise _JsonTooBig(f"a number of {len(text)} characters ('{text[:12]}...'): more than {MAX_JSON_NUMBER}, "
                          f"not a lab value; not a FHIR Bundle jakplan reads")


def _json_int(text: str) -> int:
    _json_number(text)
    return int(text)


def _json_float(text: str) -> float:
    _json_number(text)
    return float(text)


def _json_depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value`` (without recursion; stops counting past the limit)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def import_fhir(path: str | Path, today: dt.date | None = None, text: str | None = None,
                ctx: Context | None = None) -> ImportResult:
    """Read a FHIR R4 Bundle of Observations (LOINC codes, UCUM units). The patient id is the subject's
    identifier, else the identifier of the Patient the subject references in the bundle, else the id in the
    reference ('Patient/p0001' -> 'p0001'); the day is effectiveDateTime (or effectivePeriod.start). An
    Observation with ``component``s (a full blood count sent as one resource) gives one result per component."""
    res, text = _begin(path, "fhir", text)
    if text is None:
        return res
    ctx = _context(today, ctx)
    name = str(path)
    try:
        bundle = json.loads(text, parse_constant=lambda c: float("nan"), parse_int=_json_int, parse_float=_json_float)
    except json.JSONDecodeError as exc:
        return _fatal(res, name, f"not JSON: {exc.msg} at line {exc.lineno}")
    except _JsonTooBig as exc:
        return _fatal(res, name, str(exc))
    except RecursionError:
        return _fatal(res, name, f"JSON nested too deeply (more than {MAX_JSON_DEPTH} levels); not a FHIR Bundle")
    if _json_depth(bundle) > MAX_JSON_DEPTH:
        return _fatal(res, name, f"JSON nested too deeply (more than {MAX_JSON_DEPTH} levels); not a FHIR Bundle")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        kind = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle).__name__
        return _fatal(res, name, f"not a FHIR Bundle (resourceType {kind!r}); export the results as a Bundle")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        return _fatal(res, name, "'entry' is not a list")
    patients: dict[str, tuple[str, str]] = {}
    for e in entries:
        r = e.get("resource") if isinstance(e, dict) else None
        if isinstance(r, dict) and r.get("resourceType") == "Patient":
            ident = _first_identifier(r.get("identifier"))
            if ident[0]:
                if r.get("id"):
                    patients[f"Patient/{r['id']}"] = ident
                if isinstance(e.get("fullUrl"), str):
                    patients[e["fullUrl"]] = ident
    for i, e in enumerate(entries, start=1):
        where = f"{name} entry {i}"
        r = e.get("resource") if isinstance(e, dict) else None
        if not isinstance(r, dict):
            res.problems.append(Problem(where, "no resource"))
            continue
        if r.get("resourceType") != "Observation":
            continue  # Patient, DiagnosticReport, Specimen ...: context, not results
        has_value = any(k.startswith("value") for k in r)
        components = r.get("component")
        parts: list[tuple[str, dict]] = []
        if isinstance(components, list) and components:
            parts = [(f"{where} component {j}", c) for j, c in enumerate(components, start=1)]
            if has_value:
                parts.insert(0, (where, r))
        elif not has_value and r.get("hasMember") and not r.get("dataAbsentReason"):
            continue  # a panel that groups other Observations (each its own entry)
        else:
            parts = [(where, r)]
        for place, part in parts:
            try:
                res.records.append(_observation(r, part, place, patients, ctx))
            except JakplanError as exc:
                res.problems.append(_problem(place, exc))
            except (AttributeError, TypeError, KeyError, ValueError) as exc:  # a shape the FHIR spec does not allow
                res.problems.append(Problem(place, f"not a valid FHIR Observation ({type(exc).__name__}: {exc})"))
    return _group_uln(res)


def _first_identifier(idents: Any) -> tuple[str, str]:
    """(value, system) of the first identifier with a value."""
    if isinstance(idents, list):
        for ident in idents:
            if isinstance(ident, dict) and isinstance(ident.get("value"), str) and ident["value"].strip():
                return ident["value"].strip(), str(ident.get("system") or "")
    return "", ""


def _coded(cc: Any) -> tuple[str, str, list[dict]]:
    """(LOINC code, display, codings) of a CodeableConcept; code '' when it has no LOINC coding."""
    cc = cc or {}
    codings = [c for c in cc.get("coding", []) if isinstance(c, dict)]
    loinc = next((c for c in codings if c.get("system") in LOINC_SYSTEMS and c.get("code")), None)
    display = (loinc or {}).get("display") or cc.get("text") or ""
    return (str(loinc["code"]).strip() if loinc else ""), display, codings


def _observation(r: dict, part: dict, where: str, patients: dict[str, tuple[str, str]], ctx: Context) -> ImportedLab:
    """One result: ``part`` is the Observation itself or one of its components (which share its subject,
    time and status)."""
    status = r.get("status")
    if status not in FINAL_FHIR + PRELIMINARY_FHIR:
        raise _Grouped(f"status {status!r}: only final, amended, corrected (imported) or preliminary (imported "
                       f"and marked) results are read", f"status {status!r}: not a result to import")
    code, display, codings = _coded(part.get("code"))
    if not code:
        cc = part.get("code") or {}
        shown = cc.get("text") or ", ".join(f"{c.get('system')}|{c.get('code')}" for c in codings) or "no code"
        raise JakplanError(f"no LOINC code (code.coding with system {LOINC_SYSTEM}) for '{shown}'")
    subject = r.get("subject") or {}
    pid, system = "", ""
    if isinstance(subject.get("identifier"), dict):
        pid = str(subject["identifier"].get("value") or "").strip()
        system = str(subject["identifier"].get("system") or "")
    ref = subject.get("reference")
    if not pid and isinstance(ref, str) and ref:
        pid, system = patients.get(ref) or (("" if ref.startswith("urn:") else ref.rstrip("/").split("/")[-1]), "")
    if not pid:
        raise JakplanError("no patient: subject has no identifier or Patient reference")
    when = r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start") or r.get("effectiveInstant")
    if not when:
        raise JakplanError("no date (effectiveDateTime)")
    if len(str(when)) < 10:
        raise JakplanError(f"effectiveDateTime '{when}' is not a full day (YYYY-MM-DD)")
    day, at = _iso_when(when, "effectiveDateTime")
    _check_day(day, ctx.today)
    lab = next((str(p.get("display")) for p in r.get("performer") or [] if isinstance(p, dict) and p.get("display")), "")
    name = display or "no name given"
    absent = part.get("dataAbsentReason")
    q = part.get("valueQuantity")
    censor = ""
    if isinstance(q, dict):
        if q.get("comparator"):
            censor = str(q["comparator"])
            if censor not in ("<", "<=", ">", ">="):
                raise JakplanError(f"LOINC {code}: comparator {censor!r} is not <, <=, > or >=")
        v = q.get("value")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise JakplanError(f"LOINC {code}: valueQuantity.value {v!r} is not a number")
        unit = q.get("code") if q.get("system") == UCUM_SYSTEM and q.get("code") else (q.get("unit") or q.get("code") or "")
        if not unit:
            raise JakplanError(f"LOINC {code}: valueQuantity has no unit")
        value = censor + (repr(v) if isinstance(v, float) else str(v))
    elif isinstance(part.get("valueString"), str) and re.match(r"^\s*(<=|>=|<|>|≤|≥)?\s*[\d.]+\s*$", part["valueString"]):
        value, unit = part["valueString"].strip(), ""
        if code in loinc_table().codes and loinc_table().codes[code].analyte not in ("egfr",):
            raise JakplanError(f"LOINC {code} ({name}): valueString '{value}' has no unit; send a valueQuantity")
    elif absent:
        reason = absent.get("text") or next((c.get("display") or c.get("code") for c in absent.get("coding", [])
                                             if isinstance(c, dict)), "") if isinstance(absent, dict) else ""
        raise _NoValue(f"LOINC {code} ({name}): no value; the laboratory says why (dataAbsentReason: "
                       f"{reason or 'given'})")
    else:
        other = next((k for k in part if k.startswith("value")), None)
        raise JakplanError(f"LOINC {code} ({name}): no valueQuantity"
                           + (f" ({other} is not a number with a unit)" if other else ""))
    uln = None
    low = None
    for rr in part.get("referenceRange") or []:
        high = (rr or {}).get("high") or {}
        if isinstance(high.get("value"), (int, float)) and not isinstance(high.get("value"), bool):
            high_unit = high.get("code") or high.get("unit") or unit
            if unit_key(high_unit) != unit_key(unit):
                raise JakplanError(f"LOINC {code}: the reference range is in '{high_unit}' but the value in "
                                   f"'{unit}'; jakplan does not mix them")
            uln = repr(high["value"])
        lo = (rr or {}).get("low") or {}
        if isinstance(lo.get("value"), (int, float)) and not isinstance(lo.get("value"), bool) \
                and unit_key(lo.get("code") or lo.get("unit") or unit) == unit_key(unit):
            low = repr(lo["value"])
        if uln is not None or low is not None:
            break
    entry, val, canon, given, censor = _by_code(code, display, unit, value, uln, ctx, lab)
    rec = ImportedLab(pid, day, entry.analyte, val, canon, where, code, given, at, censor,
                      "preliminary" if status in PRELIMINARY_FHIR else "", system)
    return _with_reference(rec, value, low, uln, _interpretation(part.get("interpretation") or r.get("interpretation")))


def _interpretation(ccs: Any) -> str:
    """The first code (else text) of FHIR Observation.interpretation (a list of CodeableConcepts)."""
    for cc in ccs if isinstance(ccs, list) else []:
        if not isinstance(cc, dict):
            continue
        code = next((str(c["code"]) for c in cc.get("coding") or [] if isinstance(c, dict) and c.get("code")), "")
        if code or cc.get("text"):
            return code or str(cc["text"])
    return ""


# -- HL7 v2 ORU^R01 --------------------------------------------------------------------------------------


def _hl7_messages(text: str) -> Iterator[tuple[int, list[str], list[str]]]:
    """(message number, its segments, stray lines before it) for each MSH in the file."""
    lines = [ln.strip() for ln in re.split(r"\r\n|\r|\n", text)]
    current: list[str] | None = None
    stray: list[str] = []
    n = 0
    for ln in lines:
        if not ln or ln[:3] in ("FHS", "BHS", "BTS", "FTS"):
            continue
        if ln.startswith("MSH"):
            if current is not None:
                yield n, current, stray
                stray = []
            n += 1
            current = [ln]
        elif current is None:
            stray.append(ln)
        else:
            current.append(ln)
    if current is not None:
        yield n, current, stray
    elif stray:
        yield 0, [], stray


def _hl7_day(ts: str) -> dt.date:
    return _hl7_when(ts)[0]


def _hl7_when(ts: str) -> tuple[dt.date, str]:
    """The day of an HL7 timestamp (YYYYMMDD[HHMM...]) and its time of day when it has one."""
    m = re.match(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2}))?", ts.strip())
    if not m:
        raise JakplanError(f"'{ts}' is not an HL7 date (YYYYMMDD...)")
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise JakplanError(f"'{ts}' is not a real date") from None
    if m.group(4) and int(m.group(4)) < 24 and int(m.group(5)) < 60:
        return day, f"{m.group(4)}:{m.group(5)}"
    return day, ""


def _uln_from_range(text: str) -> str | None:
    m = re.match(r"^\s*(?:[-+]?[\d.]+\s*-\s*|<=?\s*)([\d.]+)\s*$", text or "")
    return m.group(1) if m else None


def _bounds_from_range(text: str) -> tuple[str | None, str | None]:
    """('150', '400') for '150-400', (None, '40') for '<40', ('60', None) for '>60'; (None, None) otherwise."""
    t = (text or "").strip()
    m = re.match(r"^([-+]?[\d.]+)\s*(?:-|–|to)\s*([\d.]+)$", t)
    if m:
        return m.group(1), m.group(2)
    m = re.match(r"^(<=?|>=?|≤|≥)\s*([\d.]+)$", t)
    if m:
        return (None, m.group(2)) if m.group(1) in ("<", "<=", "≤") else (m.group(2), None)
    return None, None


def _canonical_range(number: str, val: float, low: str | None, high: str | None) -> tuple[float | None, float | None]:
    """The reference range bounds (in the value's unit as sent) in the canonical unit: the same factor as the
    value (units are proportional; ALT/AST in U/L become multiples of the ULN); (None, None) when unusable."""
    try:
        raw = float(number)
        ratio = val / raw
    except (ValueError, ZeroDivisionError):
        return None, None

    def conv(b: str | None) -> float | None:
        try:
            x = float(b) * ratio if b is not None else None
        except ValueError:
            return None
        return None if x is None or not math.isfinite(x) else float(f"{x:.6g}")

    lo, hi = conv(low), conv(high)
    return (lo, hi) if lo is None or hi is None or lo <= hi else (None, None)


def _with_reference(rec: ImportedLab, number: str, low: str | None, high: str | None, flag: str) -> ImportedLab:
    """``rec`` carrying the laboratory's reference range and abnormal flag (see :class:`ImportedLab`)."""


    lo, hi = _canonical_range(split_censor(number)[1], rec.value, low, high)
    return replace(rec, low=lo, high=hi, flag=one_line(flag.strip())[:40]) if (lo, hi, flag.strip()) != (None, None, "") else rec


def _hl7_field(seg: Any):
    """fld(field, component=1, repetition=1) of one parsed segment ("" when absent); reads the segment itself,
    never walking the whole message again."""
    def fld(f: int, c: int = 1, r: int = 1) -> str:
        try:
            return str(seg.extract_field(1, f, r, c)).strip()
        except (IndexError, KeyError):
            return ""

    return fld


def _hl7_parsed(msg: Any, segs: list[str]) -> Iterator[Any]:
    """The message's segments parsed one at a time (python-hl7 ``hl7.parse`` of the message header's separators
    and one segment), so that a message of many OBX segments is never held parsed whole: its memory stays that of
    one segment and its time linear (a parsed message of n segments kept the garbage collector re-scanning
    millions of containers). ``msg`` is the parsed header (MSH), or the whole message. Each segment parses exactly
    as in the whole message: python-hl7 splits a message into segments first and parses each on its own."""
    import hl7

    if not _by_segment(segs):
        yield from msg  # parsed whole
        return
    head = segs[0]
    prefix = head[:head.find(head[3], 4) + 1] + "\r"
    yield msg[0]
    for text in segs[1:]:
        yield hl7.parse(prefix + text)[1]


def _by_segment(segs: list[str]) -> bool:
    """Whether a message's segments can be parsed one by one: its MSH has a field after the encoding characters
    (otherwise python-hl7 would look for the separators past the header: the message is parsed whole, as ever)."""
    head = segs[0]
    return len(head) > 3 and head.find(head[3], 4) >= 0


def _hl7_segments(msg: Any, where_msg: str, res: ImportResult, ctx: Context) -> None:
    """Each OBX of one ORU^R01 message into ``res`` (a record or a problem), with the PID and OBR before it
    (``msg``: the message's parsed segments, in order)."""
    pid: tuple[str, str] = ("", "")
    obr_day = ""
    obx_n = 0
    lab = ""
    for seg in msg:
        sname = str(seg[0])
        fld = _hl7_field(seg)
        if sname == "MSH":
            lab = fld(4)
        elif sname == "PID":
            pid = (fld(3), fld(3, 4))
            obr_day = ""
        elif sname == "OBR":
            obr_day = fld(7)
        elif sname == "OBX":
            obx_n += 1
            where = f"{where_msg} segment OBX {obx_n}"
            try:
                res.records.append(_obx(fld, pid, obr_day, where, ctx, lab))
            except JakplanError as exc:
                res.problems.append(_problem(where, exc))
        elif sname.startswith("OBX"):  # 'OBX0|...': a result segment with a broken name is reported, not skipped
            obx_n += 1
            res.problems.append(Problem(f"{where_msg} segment OBX {obx_n}",
                                        f"segment name '{sname[:12]}' is not OBX (a result segment starts 'OBX|'): "
                                        "not imported"))


def _hl7_message(segs: list[str], where_msg: str, res: ImportResult, ctx: Context) -> None:
    """One message's segments parsed; an ORU^R01 has its results read into ``res``, any other is a problem."""
    import hl7

    try:
        # the header alone: the separators and the message type (the other segments are parsed one by one)
        msg = hl7.parse(segs[0] if _by_segment(segs) else "\r".join(segs))
        mtype = (msg.extract_field("MSH", 1, 9, 1, 1), msg.extract_field("MSH", 1, 9, 1, 2))
    except Exception as exc:  # python-hl7 raises several kinds on malformed text
        res.problems.append(Problem(where_msg, f"not an HL7 v2 message ({exc})"))
        return
    obx_total = sum(1 for s in segs if s.startswith("OBX"))
    if tuple(str(x) for x in mtype) != ("ORU", "R01"):
        res.problems.append(Problem(where_msg, f"message type {'^'.join(map(str, mtype))}, not ORU^R01: "
                                    f"{obx_total} OBX segment(s) not imported"))
        return
    _hl7_segments(_hl7_parsed(msg, segs), where_msg, res, ctx)


MAX_HL7_MESSAGE = 1 << 20
"""The largest HL7 v2 message jakplan parses (characters from MSH to the next MSH): one patient's results are a
few KiB; a larger message is refused with one line (a file may hold many messages, up to MAX_LAB_FILE_BYTES)."""


def import_hl7(path: str | Path, today: dt.date | None = None, text: str | None = None,
               ctx: Context | None = None) -> ImportResult:
    """Read HL7 v2 ORU^R01 messages (python-hl7 parses each message): PID-3 the patient id (PID-3.4 its
    assigning authority), OBX-3 the LOINC code (coding system LN, or LOINC's OID 2.16.840.1.113883.6.1), OBX-5
    the value ('>90' or SN '>^90' censored), OBX-6 the unit, OBX-7 the reference range (for the ULN of ALT/AST;
    else clinic.toml's for the laboratory in MSH-4), OBX-11 the result status (F or C; P imported and marked),
    OBX-14 or else OBR-7 the day and time."""
    import hl7  # noqa: F401  (python-hl7 is needed before anything is read)

    res, text = _begin(path, "hl7", text)
    if text is None:
        return res
    ctx = _context(today, ctx)
    name = str(path)
    found = False
    for n, segs, stray in _hl7_messages(text):
        if stray:
            res.problems.append(Problem(f"{name} message {max(n, 1)}" if n else name,
                                        f"{len(stray)} line(s) outside any message (before an MSH segment), "
                                        f"starting '{stray[0][:20]}'"))
        if not segs:
            continue
        found = True
        size = sum(len(seg) + 1 for seg in segs)
        if size > MAX_HL7_MESSAGE:
            res.problems.append(Problem(f"{name} message {n}", f"{size // 1024} KiB, larger than the {MAX_HL7_MESSAGE // 1024} "
                                        f"KiB jakplan reads as one HL7 message; not imported (send one message per "
                                        f"patient or order)"))
            continue
        _hl7_message(segs, f"{name} message {n}", res, ctx)
    if not found and not res.problems:
        return _fatal(res, name, "no HL7 v2 message (no MSH segment)")
    if not found:
        res.fatal = True
    return _group_uln(res)


def _obx(fld, pid: tuple[str, str], obr_day: str, where: str, ctx: Context, lab: str = "") -> ImportedLab:
    if not pid[0]:
        raise JakplanError("no patient id (PID-3) before this result")
    code, text, system = fld(3, 1), fld(3, 2), fld(3, 3)
    if system not in LOINC_HL7:
        alt_code, alt_text, alt_system = fld(3, 4), fld(3, 5), fld(3, 6)
        if alt_system in LOINC_HL7 and alt_code:
            code, text = alt_code, alt_text or text
        else:
            raise _Grouped(f"OBX-3 '{code}^{text}' is not coded in LOINC (coding system LN or {LOINC_OID}, "
                           f"found '{system or 'none'}')", f"OBX-3 coding system '{system or 'none'}' is not LOINC")
    status = fld(11)
    if status not in FINAL_HL7 + PRELIMINARY_HL7:
        raise _Grouped(f"LOINC {code} ({text or 'no name given'}): result status (OBX-11) "
                       f"'{status or 'none'}': only final (F), corrected (C) or preliminary (P, marked) results "
                       f"are imported", f"result status (OBX-11) '{status or 'none'}' is not F, C or P")
    vtype = fld(2)
    value = fld(5)
    if vtype == "SN":  # structured numeric: comparator ^ number [^ separator ^ number]
        comparator, num, sep = fld(5, 1), fld(5, 2), fld(5, 3)
        if sep or comparator not in ("", "<", "<=", ">", ">="):
            raise JakplanError(f"LOINC {code}: value '{comparator}{num}{sep}{fld(5, 4)}' is not a single number "
                               f"jakplan can judge (a range or ratio)")
        value = comparator + num
    elif vtype not in ("NM", "") and not (vtype == "ST" and re.match(r"^\s*(<=|>=|<|>)?\s*[\d.]+\s*$", value)):
        loinc = loinc_table().codes.get(code)
        if loinc is None:
            _by_code(code, text, "", "0", None)  # reports a code jakplan does not follow as such
        raise JakplanError(f"LOINC {code} ({text or 'no name given'}): value type (OBX-2) '{vtype}' is not numeric")
    if not value.strip():
        raise _NoValue(f"LOINC {code} ({text or 'no name given'}): no value (OBX-5 is empty)")
    unit = fld(6, 1) or fld(6, 2)
    if not unit:
        if code in loinc_table().codes:
            raise JakplanError(f"LOINC {code} ({text or 'no name given'}): no unit (OBX-6)")
    when = fld(14) or obr_day
    if not when:
        raise JakplanError(f"LOINC {code}: no date (OBX-14 or OBR-7)")
    day, at = _hl7_when(when)
    _check_day(day, ctx.today)
    entry, val, canon, given, censor = _by_code(code, text, unit, value, _uln_from_range(fld(7)), ctx, lab)
    rec = ImportedLab(pid[0], day, entry.analyte, val, canon, where, code, given, at, censor,
                      "preliminary" if status in PRELIMINARY_HL7 else "", pid[1])
    low, high = _bounds_from_range(fld(7))
    return _with_reference(rec, value, low, high, fld(8))


# -- any file --------------------------------------------------------------------------------------------


MAX_LAB_FILE_BYTES = 64 << 20
"""A lab file is read whole: at most this many bytes (about a million result rows)."""


def _read(path: str | Path, res: ImportResult) -> str | None:
    """The file's text through :func:`jakplan.fileio.read_bytes` (regular files only, never blocking on a FIFO,
    size-capped); a problem is the result's one fatal line."""

    try:
        raw = read_bytes(path, MAX_LAB_FILE_BYTES)
    except JakplanError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        _fatal(res, str(path), "no such file" if reason == "file not found" else reason)
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        _fatal(res, str(path), "not UTF-8 text")
        return None


def _begin(path: str | Path, kind: str, text: str | None) -> tuple[ImportResult, str | None]:
    """The result an importer fills, and the text to read (given, or read from ``path``)."""
    res = ImportResult(str(path), kind)
    return res, (text if text is not None else _read(path, res))


def _fatal(res: ImportResult, where: str, message: str) -> ImportResult:
    res.problems.append(Problem(where, message))
    res.fatal = True
    return res


def sniff(path: str | Path, text: str) -> str:
    """'csv', 'fhir' or 'hl7', from the extension, else from the first characters."""
    ext = Path(path).suffix.lower()
    if ext == ".csv":
        return "csv"
    if ext == ".json":
        return "fhir"
    if ext in (".hl7", ".oru", ".hl7v2"):
        return "hl7"
    head = text.lstrip()[:3]
    if head.startswith(("{", "[")):
        return "fhir"
    if head in ("MSH", "FHS", "BHS"):
        return "hl7"
    return "csv"


def import_file(path: str | Path, today: dt.date | None = None, fmt: str | None = None,
                ctx: Context | None = None) -> ImportResult:
    """Import a lab file of any supported kind (``fmt`` 'csv' / 'fhir' / 'hl7', or guessed from the file);
    ``ctx`` carries the clinic's settings (clinic.toml) and column mapping."""
    res = ImportResult(str(path), fmt or "?")
    text = _read(path, res)
    if text is None:
        return res
    kind = fmt or sniff(path, text)
    reader = {"csv": import_csv, "fhir": import_fhir, "hl7": import_hl7}.get(kind)
    if reader is None:
        return _fatal(res, str(path), f"unknown lab file format '{kind}'; use csv, fhir or hl7")
    return reader(path, today, text=text, ctx=ctx)


def import_files(paths: Iterable[str | Path], today: dt.date | None = None) -> list[ImportResult]:
    return [import_file(p, today) for p in paths]
