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
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from jakplan.catalog.loinc import LOINC_CODE, LoincCode, loinc_table
from jakplan.engine.units import ENZYME_UNITS, unit_key
from jakplan.errors import JakplanError

LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
FINAL_FHIR = ("final", "amended", "corrected")
FINAL_HL7 = ("F", "C")
_LOINC_CODE = LOINC_CODE


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


@dataclass(frozen=True)
class Problem:
    where: str
    message: str
    kind: str = "error"
    """'error' (bad data) or 'not_followed' (a valid result for a test jakplan does not follow)."""

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


def measure(analyte: str, value: str, unit: str, *, uln: str | None = None, enzyme: bool = False,
            label: str = "", mass_or_moles: str = "") -> tuple[float, str, str]:
    """Convert one value to the canonical unit of ``analyte`` through the one lab-value path
    (:func:`jakplan.records.labvalues.lab_measurement`, the same as ``jakplan labs`` and ``record --lab``).

    ``enzyme``: the value is an enzyme activity (ALT/AST) that jakplan judges as a multiple of the upper
    limit of normal: a unit of U/L (or ukat/L, x 60) needs ``uln`` in the same unit; 'x ULN' needs nothing.
    ``mass_or_moles``: the kind of unit the code is defined in; a unit of the other kind is refused.
    Returns (value, canonical unit, given text). Raises JakplanError with a one-line reason.
    """
    from jakplan.records.labvalues import lab_measurement

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


def _by_code(code: str, display: str, unit: str, value: str, uln: str | None) -> tuple[LoincCode, float, str, str]:
    table = loinc_table()
    entry = table.codes.get(code)
    if entry is None:
        if code in table.unmapped:
            known, reason = table.unmapped[code]
            raise _NotFollowed(f"LOINC {code} ({known}) is not imported: {reason}")
        named = f" ({display})" if display else ""
        raise _NotFollowed(f"LOINC {code}{named} is not a lab result jakplan follows; not imported")
    kinds = {_unit_kind(u) for u in entry.units} - {""}
    val, canon, given = measure(entry.analyte, value, unit, uln=uln, enzyme=entry.uln,
                                label=f"LOINC {code} ({_short(entry)})",
                                mass_or_moles=kinds.pop() if len(kinds) == 1 else "")
    return entry, val, canon, given


def _short(entry: LoincCode) -> str:
    from jakplan.catalog.vocab import vocabulary

    return vocabulary()["analytes"][entry.analyte]["label"] if not entry.uln else entry.name.split(" [")[0]


class _NotFollowed(JakplanError):
    pass


def _check_day(day: dt.date, today: dt.date) -> dt.date:
    if day > today:
        raise JakplanError(f"date {day} is in the future (today is {today})")
    if day.year < 1900:
        raise JakplanError(f"date {day} is before 1900")
    return day


def _iso_day(text: str) -> dt.date:
    """A day from a file: a date (the one parser of typed dates, :func:`jakplan.dates.parse_user_date`) or an
    ISO date-time (the day as written, in its own time zone)."""
    from jakplan.dates import parse_user_date

    t = str(text).strip()
    if len(t) > 10 and t[10] in "T ":
        try:
            return dt.datetime.fromisoformat(t.replace("Z", "+00:00")).date()
        except ValueError:
            raise JakplanError(f"date '{t}' is not an ISO date and time") from None
    return parse_user_date(t, "date")


# -- CSV ------------------------------------------------------------------------------------------------

CSV_COLUMNS = {
    "patient": ("patient", "patient_id", "id", "pid"),
    "date": ("date", "on", "collected"),
    "analyte": ("analyte", "loinc", "code", "test"),
    "value": ("value", "result"),
    "unit": ("unit", "units"),
    "uln": ("uln", "upper_limit_of_normal", "reference_high"),
}
REQUIRED_CSV = ("patient", "date", "analyte", "value")


def _col(name: str) -> str | None:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    for col, names in CSV_COLUMNS.items():
        if key in names:
            return col
    return None


def _csv_columns(header: list[str]) -> tuple[dict[str, int], str | None]:
    """The header's columns (column -> index), or an error message for the header line."""
    cols: dict[str, int] = {}
    unknown = []
    for i, h in enumerate(header):
        c = _col(h)
        if c is None:
            unknown.append(h.strip() or f"(column {i + 1} has no name)")
        elif c in cols:
            return cols, f"two columns mean '{c}': {header[cols[c]]!r} and {h!r}"
        else:
            cols[c] = i
    if unknown:
        return cols, (f"unknown column(s) {', '.join(repr(u) for u in unknown)}; "
                      f"known: patient, date, analyte, value, unit, uln")
    missing = [c for c in REQUIRED_CSV if c not in cols]
    if missing:
        return cols, (f"missing column(s): {', '.join(missing)} "
                      f"(expected patient, date, analyte, value, unit)")
    return cols, None


def _csv_record(get: dict[str, str], where: str, today: dt.date, table: Any, analytes: dict) -> ImportedLab:
    """One CSV data row (column -> stripped text) as an imported lab value; a JakplanError says what is wrong."""
    pid = get["patient"]
    if not pid:
        raise JakplanError("no patient id")
    day = _check_day(_iso_day(get["date"]), today) if get["date"] else None
    if day is None:
        raise JakplanError("no date")
    what = get["analyte"]
    unit = get.get("unit", "")
    uln = get.get("uln") or None
    if _LOINC_CODE.match(what):
        entry, val, canon, given = _by_code(what, "", unit, get["value"], uln)
        analyte = entry.analyte
    else:
        word = re.sub(r"[\s\-]+", "_", what.lower())
        analyte = table.aliases.get(word, word)
        if analyte not in analytes:
            raise JakplanError(f"unknown analyte '{what}': use a LOINC code or one of "
                               f"{', '.join(sorted(set(analytes) | set(table.aliases)))}")
        enzyme = word in ("alt", "ast")
        val, canon, given = measure(analyte, get["value"], unit, uln=uln, enzyme=enzyme,
                                    label=word if enzyme else analyte)
    return ImportedLab(pid, day, analyte, val, canon, where, what, given)


def _csv_rows(reader: Any, header: list[str], cols: dict[str, int], name: str, res: ImportResult,
              today: dt.date) -> None:
    """Read the data rows into ``res``: each row a record or a problem."""
    table = loinc_table()
    from jakplan.catalog.vocab import vocabulary

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
            res.records.append(_csv_record(get, where, today, table, analytes))
        except _NotFollowed as exc:
            res.problems.append(Problem(where, str(exc), "not_followed"))
        except JakplanError as exc:
            res.problems.append(Problem(where, str(exc)))


def import_csv(path: str | Path, today: dt.date | None = None, text: str | None = None) -> ImportResult:
    """Read a lab CSV: columns patient id, date, analyte (LOINC code or jakplan name), value, and optionally
    unit and uln (the upper limit of normal, for ALT/AST in U/L). Commas separate the fields, or semicolons or
    tabs when the header has those and no comma (a decimal comma in a value is still refused as ambiguous)."""
    res, text = _begin(path, "csv", text)
    if text is None:
        return res
    today, name = today or dt.date.today(), str(path)
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return _fatal(res, f"{name} line 1", f"not a CSV file: {exc}")
    if not header or not any(h.strip() for h in header):
        return _fatal(res, f"{name} line 1", "empty file: expected a header row (patient, date, analyte, value, unit)")
    cols, error = _csv_columns(header)
    if error:
        return _fatal(res, f"{name} line 1", error)
    _csv_rows(reader, header, cols, name, res, today)
    return res


# -- FHIR R4 Bundle --------------------------------------------------------------------------------------


def import_fhir(path: str | Path, today: dt.date | None = None, text: str | None = None) -> ImportResult:
    """Read a FHIR R4 Bundle of Observations (LOINC codes, UCUM units). The patient id is the subject's
    identifier, else the identifier of the Patient the subject references in the bundle, else the id in the
    reference ('Patient/p0001' -> 'p0001'); the day is effectiveDateTime (or effectivePeriod.start)."""
    res, text = _begin(path, "fhir", text)
    if text is None:
        return res
    today, name = today or dt.date.today(), str(path)
    try:
        bundle = json.loads(text, parse_constant=lambda c: float("nan"))
    except json.JSONDecodeError as exc:
        return _fatal(res, name, f"not JSON: {exc.msg} at line {exc.lineno}")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        kind = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle).__name__
        return _fatal(res, name, f"not a FHIR Bundle (resourceType {kind!r}); expected a Bundle of Observations")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        return _fatal(res, name, "'entry' is not a list")
    patients: dict[str, str] = {}
    for e in entries:
        r = e.get("resource") if isinstance(e, dict) else None
        if isinstance(r, dict) and r.get("resourceType") == "Patient":
            ident = _first_identifier(r.get("identifier"))
            if ident:
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
        if not any(k.startswith("value") for k in r) and (r.get("hasMember") or r.get("component")):
            continue  # a panel that groups other Observations (or a multi-component observation): no value
        try:
            rec = _observation(r, where, patients, today)
            res.records.append(rec)
        except _NotFollowed as exc:
            res.problems.append(Problem(where, str(exc), "not_followed"))
        except JakplanError as exc:
            res.problems.append(Problem(where, str(exc)))
        except (AttributeError, TypeError, KeyError, ValueError) as exc:  # a shape the FHIR spec does not allow
            res.problems.append(Problem(where, f"not a valid FHIR Observation ({type(exc).__name__}: {exc})"))
    return res


def _first_identifier(idents: Any) -> str:
    if isinstance(idents, list):
        for ident in idents:
            if isinstance(ident, dict) and isinstance(ident.get("value"), str) and ident["value"].strip():
                return ident["value"].strip()
    return ""


def _observation(r: dict, where: str, patients: dict[str, str], today: dt.date) -> ImportedLab:
    status = r.get("status")
    if status not in FINAL_FHIR:
        raise JakplanError(f"status {status!r}: only final, amended or corrected results are imported")
    code_cc = r.get("code") or {}
    codings = [c for c in code_cc.get("coding", []) if isinstance(c, dict)]
    loinc = next((c for c in codings if c.get("system") == LOINC_SYSTEM and c.get("code")), None)
    display = (loinc or {}).get("display") or code_cc.get("text") or ""
    if loinc is None:
        shown = code_cc.get("text") or ", ".join(f"{c.get('system')}|{c.get('code')}" for c in codings) or "no code"
        raise JakplanError(f"no LOINC code (code.coding with system {LOINC_SYSTEM}) for '{shown}'")
    code = str(loinc["code"]).strip()
    subject = r.get("subject") or {}
    pid = ""
    if isinstance(subject.get("identifier"), dict):
        pid = str(subject["identifier"].get("value") or "").strip()
    ref = subject.get("reference")
    if not pid and isinstance(ref, str) and ref:
        pid = patients.get(ref) or ("" if ref.startswith("urn:") else ref.rstrip("/").split("/")[-1])
    if not pid:
        raise JakplanError("no patient: subject has no identifier or Patient reference")
    when = r.get("effectiveDateTime") or (r.get("effectivePeriod") or {}).get("start") or r.get("effectiveInstant")
    if not when:
        raise JakplanError("no date (effectiveDateTime)")
    if len(str(when)) < 10:
        raise JakplanError(f"date '{when}' is not a full day (YYYY-MM-DD)")
    day = _check_day(_iso_day(when), today)
    q = r.get("valueQuantity")
    if not isinstance(q, dict):
        other = next((k for k in r if k.startswith("value")), None)
        raise JakplanError(f"LOINC {code} ({display or 'no name given'}): no valueQuantity"
                           + (f" ({other} is not a number with a unit)" if other else ""))
    if q.get("comparator"):
        raise JakplanError(f"LOINC {code}: value '{q['comparator']}{q.get('value')}' is censored (below or above "
                           f"what the lab can measure); jakplan cannot judge it")
    v = q.get("value")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise JakplanError(f"LOINC {code}: valueQuantity.value {v!r} is not a number")
    unit = q.get("code") if q.get("system") == UCUM_SYSTEM and q.get("code") else (q.get("unit") or q.get("code") or "")
    if not unit:
        raise JakplanError(f"LOINC {code}: valueQuantity has no unit")
    uln = None
    for rr in r.get("referenceRange") or []:
        high = (rr or {}).get("high") or {}
        if isinstance(high.get("value"), (int, float)) and not isinstance(high.get("value"), bool):
            high_unit = high.get("code") or high.get("unit") or unit
            if unit_key(high_unit) != unit_key(unit):
                raise JakplanError(f"LOINC {code}: the reference range is in '{high_unit}' but the value in "
                                   f"'{unit}'; jakplan does not mix them")
            uln = repr(high["value"])
            break
    entry, val, canon, given = _by_code(code, display, unit, repr(v) if isinstance(v, float) else str(v), uln)
    return ImportedLab(pid, day, entry.analyte, val, canon, where, code, given)


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
    m = re.match(r"^(\d{4})(\d{2})(\d{2})", ts.strip())
    if not m:
        raise JakplanError(f"'{ts}' is not an HL7 date (YYYYMMDD...)")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise JakplanError(f"'{ts}' is not a real date") from None


def _uln_from_range(text: str) -> str | None:
    m = re.match(r"^\s*(?:[-+]?[\d.]+\s*-\s*|<=?\s*)([\d.]+)\s*$", text or "")
    return m.group(1) if m else None


def _hl7_field(msg: Any, sname: str, k: int):
    """fld(field, component=1, repetition=1) of the ``k``-th ``sname`` segment of ``msg`` ("" when absent)."""
    def fld(f: int, c: int = 1, r: int = 1) -> str:
        try:
            return str(msg.extract_field(sname, k, f, r, c)).strip()
        except (IndexError, KeyError):
            return ""

    return fld


def _hl7_segments(msg: Any, where_msg: str, res: ImportResult, today: dt.date) -> None:
    """Each OBX of one ORU^R01 message into ``res`` (a record or a problem), with the PID and OBR before it."""
    pid = ""
    obr_day = ""
    counts: dict[str, int] = {}
    obx_n = 0
    for seg in msg:
        sname = str(seg[0])
        counts[sname] = counts.get(sname, 0) + 1
        fld = _hl7_field(msg, sname, counts[sname])
        if sname == "PID":
            pid = fld(3)
            obr_day = ""
        elif sname == "OBR":
            obr_day = fld(7)
        elif sname == "OBX":
            obx_n += 1
            where = f"{where_msg} segment OBX {obx_n}"
            try:
                res.records.append(_obx(fld, pid, obr_day, where, today))
            except _NotFollowed as exc:
                res.problems.append(Problem(where, str(exc), "not_followed"))
            except JakplanError as exc:
                res.problems.append(Problem(where, str(exc)))


def _hl7_message(segs: list[str], where_msg: str, res: ImportResult, today: dt.date) -> None:
    """One message's segments parsed; an ORU^R01 has its results read into ``res``, any other is a problem."""
    import hl7

    try:
        msg = hl7.parse("\r".join(segs))
        mtype = (msg.extract_field("MSH", 1, 9, 1, 1), msg.extract_field("MSH", 1, 9, 1, 2))
    except Exception as exc:  # python-hl7 raises several kinds on malformed text
        res.problems.append(Problem(where_msg, f"not an HL7 v2 message ({exc})"))
        return
    obx_total = sum(1 for s in segs if s.startswith("OBX"))
    if tuple(str(x) for x in mtype) != ("ORU", "R01"):
        res.problems.append(Problem(where_msg, f"message type {'^'.join(map(str, mtype))}, not ORU^R01: "
                                    f"{obx_total} OBX segment(s) not imported"))
        return
    _hl7_segments(msg, where_msg, res, today)


def import_hl7(path: str | Path, today: dt.date | None = None, text: str | None = None) -> ImportResult:
    """Read HL7 v2 ORU^R01 messages (python-hl7 parses each message): PID-3 the patient id, OBX-3 the LOINC
    code (coding system LN), OBX-5 the value, OBX-6 the unit, OBX-7 the reference range (for the ULN of
    ALT/AST), OBX-11 the result status (F or C), OBX-14 or else OBR-7 the day."""
    import hl7  # noqa: F401  (python-hl7 is needed before anything is read)

    res, text = _begin(path, "hl7", text)
    if text is None:
        return res
    today, name = today or dt.date.today(), str(path)
    found = False
    for n, segs, stray in _hl7_messages(text):
        if stray:
            res.problems.append(Problem(f"{name} message {max(n, 1)}" if n else name,
                                        f"{len(stray)} line(s) outside any message (before an MSH segment), "
                                        f"starting '{stray[0][:20]}'"))
        if not segs:
            continue
        found = True
        _hl7_message(segs, f"{name} message {n}", res, today)
    if not found and not res.problems:
        return _fatal(res, name, "no HL7 v2 message (no MSH segment)")
    if not found:
        res.fatal = True
    return res


def _obx(fld, pid: str, obr_day: str, where: str, today: dt.date) -> ImportedLab:
    if not pid:
        raise JakplanError("no patient id (PID-3) before this result")
    code, text, system = fld(3, 1), fld(3, 2), fld(3, 3)
    if system != "LN":
        alt_code, alt_text, alt_system = fld(3, 4), fld(3, 5), fld(3, 6)
        if alt_system == "LN" and alt_code:
            code, text = alt_code, alt_text or text
        else:
            raise JakplanError(f"OBX-3 '{code}^{text}' is not coded in LOINC (coding system LN, "
                               f"found '{system or 'none'}')")
    status = fld(11)
    if status not in FINAL_HL7:
        raise JakplanError(f"LOINC {code} ({text or 'no name given'}): result status (OBX-11) "
                           f"'{status or 'none'}': only final (F) or corrected (C) results are imported")
    vtype = fld(2)
    value = fld(5)
    if vtype == "SN":  # structured numeric: comparator ^ number [^ separator ^ number]
        comparator, num, sep = fld(5, 1), fld(5, 2), fld(5, 3)
        if comparator or sep:
            raise JakplanError(f"LOINC {code}: value '{comparator}{num}{sep}{fld(5, 4)}' is not a single number "
                               f"jakplan can judge (censored or a range)")
        value = num
    elif vtype not in ("NM", ""):
        loinc = loinc_table().codes.get(code)
        if loinc is None:
            _by_code(code, text, "", "0", None)  # reports a code jakplan does not follow as such
        raise JakplanError(f"LOINC {code} ({text or 'no name given'}): value type (OBX-2) '{vtype}' is not numeric")
    unit = fld(6, 1) or fld(6, 2)
    if not unit:
        if code in loinc_table().codes:
            raise JakplanError(f"LOINC {code} ({text or 'no name given'}): no unit (OBX-6)")
    when = fld(14) or obr_day
    if not when:
        raise JakplanError(f"LOINC {code}: no date (OBX-14 or OBR-7)")
    day = _check_day(_hl7_day(when), today)
    entry, val, canon, given = _by_code(code, text, unit, value, _uln_from_range(fld(7)))
    return ImportedLab(pid, day, entry.analyte, val, canon, where, code, given)


# -- any file --------------------------------------------------------------------------------------------


MAX_LAB_FILE_BYTES = 64 << 20
"""A lab file is read whole: at most this many bytes (about a million result rows)."""


def _read(path: str | Path, res: ImportResult) -> str | None:
    """The file's text through :func:`jakplan.fileio.read_bytes` (regular files only, never blocking on a FIFO,
    size-capped); a problem is the result's one fatal line."""
    from jakplan.fileio import read_bytes

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


def import_file(path: str | Path, today: dt.date | None = None, fmt: str | None = None) -> ImportResult:
    """Import a lab file of any supported kind (``fmt`` 'csv' / 'fhir' / 'hl7', or guessed from the file)."""
    res = ImportResult(str(path), fmt or "?")
    text = _read(path, res)
    if text is None:
        return res
    kind = fmt or sniff(path, text)
    reader = {"csv": import_csv, "fhir": import_fhir, "hl7": import_hl7}.get(kind)
    if reader is None:
        return _fatal(res, str(path), f"unknown lab file format '{kind}'; use csv, fhir or hl7")
    return reader(path, today, text=text)


def import_files(paths: Iterable[str | Path], today: dt.date | None = None) -> list[ImportResult]:
    return [import_file(p, today) for p in paths]
