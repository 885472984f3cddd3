"""Loading and validating protocol files: schema checks, ``extends`` and ``[[include]]``, combining.

A protocol file holds ``[[rule]]`` (dated checks), ``[[threshold]]`` (lab values that change treatment),
``[[dose]]`` (the label's dose by indication and patient factor), ``[[risk]]`` (warnings that apply to a
patient profile), ``[[course]]`` (a fixed course length) and ``[[unverified]]`` (points shown as "check the
current label"). docs/protocol-format.md documents every field; :mod:`jakplan.catalog.resolve` says what a
protocol reference names.

Every problem in a file raises :class:`JakplanError` with one line naming the file, the rule and the field.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, NoReturn

from jakplan.catalog.files import data_path, read_toml
from jakplan.catalog.requirements import check
from jakplan.catalog.resolve import Confinement, resolve
from jakplan.catalog.scores import score_table
from jakplan.catalog.silent import parse_silent
from jakplan.catalog.vocab import drug_info, drugs, factor_values, planning_defaults, sources, vocabulary
from jakplan.errors import JakplanError
from jakplan.escape import has_controls, one_line
from jakplan.model import (
    DOSE_OUTCOMES,
    KINDS,
    UNITS,
    Citation,
    Condition,
    Course,
    Dose,
    Include,
    Offset,
    Phase,
    Planning,
    Protocol,
    ResponseSpec,
    Risk,
    Rule,
    Threshold,
    Timing,
    Unverified,
)

SCHEMA = 1
TIMING_TYPES = ("before_start", "at", "every", "each_visit")
ANCHORS = ("start", "last_done")
CONDITION_OPS = ("is", "min", "max", "above", "below", "has")


MAX_NUMBER = 1e9
"""No number in a protocol file is larger than this (a threshold, an offset, a count)."""
MAX_OFFSET_YEARS = 100
MAX_OFFSET = {"days": 36525, "weeks": 5218, "months": 1200, "years": MAX_OFFSET_YEARS}
"""The longest offset a protocol may give (a timing, a window, a lead, a course length): 100 years."""
MAX_COUNT = 10000
"""The most occurrences an ``every`` timing may ask for."""
MAX_THRESHOLD = 1e6
"""The largest lab threshold (in the analyte's canonical unit; platelets are 10^9/L, so 1e6 is far beyond)."""


class _Checker:
    """Validation helpers that prefix every message with file, rule and field."""

    def __init__(self, path: Path | str):
        self.path = path

    def fail(self, where: str, msg: str) -> NoReturn:
        raise JakplanError(f"{self.path}: {where}: {msg}")

    def get(self, table: dict, key: str, where: str, types: type | tuple, required: bool = True, default=None):
        if key not in table:
            if required:
                self.fail(where, f"field '{key}' is missing")
            return default
        val = table[key]
        if isinstance(val, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            self.fail(where, f"field '{key}' must be {_type_name(types)}, not {val!r}")
        if not isinstance(val, types):
            self.fail(where, f"field '{key}' must be {_type_name(types)}, not {val!r}")
        return val

    def offset(self, val: Any, where: str, allow_zero: bool = True) -> Offset:
        if not isinstance(val, dict) or len(val) != 1:
            self.fail(where, f"must be one of {{ days | weeks | months | years = N }}, not {val!r}")
        (unit, n), = val.items()
        if unit not in UNITS:
            self.fail(where, f"unit '{unit}' is not one of {', '.join(UNITS)}")
        if not isinstance(n, int) or isinstance(n, bool) or n < 0 or (n == 0 and not allow_zero):
            self.fail(where, f"{unit} must be a whole number {'>= 0' if allow_zero else '> 0'}, not {n!r}")
        if n > MAX_OFFSET[unit]:
            self.fail(where, f"{unit} = {n} is more than {MAX_OFFSET_YEARS} years (at most {MAX_OFFSET[unit]} {unit})")
        return Offset(n, unit)

    def scan(self, raw: Any, where: str = "") -> None:
        """Every value of a parsed file, before its meaning is read: text without control characters (line
        breaks and tabs allowed), numbers finite and at most MAX_NUMBER in size."""

        if isinstance(raw, dict):
            for k, v in raw.items():
                if has_controls(str(k)):
                    self.fail(where or "top level", f"key '{one_line(k)}' holds a control character")
                self.scan(v, f"{where}.{k}" if where else str(k))
        elif isinstance(raw, list):
            for i, v in enumerate(raw):
                self.scan(v, f"{where}[{i}]")
        elif isinstance(raw, str):
            if has_controls(raw, allow_newlines=True):
                self.fail(f"field '{where}'", f"'{one_line(raw)}' holds a control character; write plain text")
        elif isinstance(raw, float):
            if not math.isfinite(raw) or abs(raw) > MAX_NUMBER:
                self.fail(f"field '{where}'", f"{raw!r} is not a finite number of at most {MAX_NUMBER:g}")
        elif isinstance(raw, int) and not isinstance(raw, bool):
            if abs(raw) > MAX_NUMBER:
                self.fail(f"field '{where}'", f"{raw} is larger than {MAX_NUMBER:g}")


def _type_name(types) -> str:
    names = {str: "text", int: "a whole number", float: "a number", list: "a list", dict: "a table", bool: "true or false"}
    ts = types if isinstance(types, tuple) else (types,)
    return " or ".join(names.get(t, t.__name__) for t in ts)


def _planning(ck: _Checker, raw: dict | None) -> Planning:
    base = planning_defaults()
    merged = {**base, **(raw or {})}
    phases = []
    for i, ph in enumerate(merged.get("phases", [])):
        w = f"planning.phases[{i}]"
        phases.append(
            Phase(
                id=ck.get(ph, "id", w, str),
                title=ck.get(ph, "title", w, str),
                before_start=bool(ph.get("before_start", False)),
                until=ck.offset(ph["until"], w + ".until") if "until" in ph else None,
            )
        )
    return Planning(
        screening_lead=ck.offset(merged["screening_lead"], "planning.screening_lead"),
        tolerance=ck.offset(merged["tolerance"], "planning.tolerance"),
        phases=tuple(phases),
    )


def _citation(ck: _Checker, raw: dict, where: str) -> Citation:
    ref = ck.get(raw, "source", where, str)
    known = sources()
    if ref not in known:
        ck.fail(where, f"field 'source': unknown source '{ref}' (declare it in sources.toml)")
    return Citation(known[ref], ck.get(raw, "section", where, str, required=False, default=""))


def _timing(ck: _Checker, raw: Any, where: str) -> Timing:
    where = f"{where}: field 'timing'"
    if not isinstance(raw, dict):
        ck.fail(where, "must be a table such as { type = \"at\", at = { weeks = 12 } }")
    ttype = raw.get("type")
    if ttype not in TIMING_TYPES:
        ck.fail(where, f"type must be one of {', '.join(TIMING_TYPES)}, not {ttype!r}")
    allowed = {
        "before_start": {"type", "lead"},
        "at": {"type", "at", "earliest", "latest"},
        "every": {"type", "every", "from", "until", "count"},
        "each_visit": {"type"},
    }[ttype]
    extra = set(raw) - allowed
    if extra:
        ck.fail(where, f"unknown key(s) for type '{ttype}': {', '.join(sorted(extra))}")

    def off(key, allow_zero=True):
        return ck.offset(raw[key], f"{where}.{key}", allow_zero) if key in raw else None

    if ttype == "at" and "at" not in raw:
        ck.fail(where, "type 'at' needs 'at', e.g. at = { weeks = 12 }")
    if ttype == "every" and "every" not in raw:
        ck.fail(where, "type 'every' needs 'every', e.g. every = { months = 3 }")
    count = raw.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_COUNT):
        ck.fail(where + ".count", f"must be a whole number from 1 to {MAX_COUNT}, not {count!r}")
    t = Timing(
        type=ttype,
        at=off("at"),
        earliest=off("earliest"),
        latest=off("latest"),
        lead=off("lead", allow_zero=False),
        every=off("every", allow_zero=False),
        start_from=off("from"),
        until=off("until", allow_zero=False),
        times=count,
    )
    return t


def _conditions(ck: _Checker, raw: Any, where: str, factors: dict) -> tuple[tuple[str, ...], tuple[Condition, ...]]:
    where = f"{where}: field 'applies'"
    if raw is None:
        return (), ()
    if not isinstance(raw, dict):
        ck.fail(where, "must be a table with 'indications' and/or 'all'")
    extra = set(raw) - {"indications", "all"}
    if extra:
        ck.fail(where, f"unknown key(s): {', '.join(sorted(extra))}")
    inds = raw.get("indications", [])
    if not isinstance(inds, list) or not all(isinstance(i, str) for i in inds):
        ck.fail(where + ".indications", "must be a list of indication codes")
    conds = []
    for i, c in enumerate(raw.get("all", [])):
        w = f"{where}.all[{i}]"
        if not isinstance(c, dict):
            ck.fail(w, "must be a table such as { factor = \"age\", min = 65 }")
        factor = ck.get(c, "factor", w, str)
        if factor not in factors:
            ck.fail(w, f"unknown patient factor '{factor}'; known: {', '.join(sorted(factors))}")
        ops = [k for k in c if k != "factor"]
        if len(ops) != 1 or ops[0] not in CONDITION_OPS:
            ck.fail(w, f"needs exactly one of {', '.join(CONDITION_OPS)}")
        op = ops[0]
        val = c[op]
        ftype = factors[factor]["type"]
        if op == "has":
            if ftype != "list":
                ck.fail(w, f"'has' needs a list factor such as 'with', not '{factor}'")
            allowed = factor_values(factor) or []
            for v in val if isinstance(val, list) else [val]:
                if v not in allowed:
                    ck.fail(w, f"factor '{factor}': unknown value {v!r}; known: {', '.join(allowed)}")
            conds.append(Condition(factor, op, val))
            continue
        if ftype in ("list", "date"):
            ck.fail(w, f"factor '{factor}' cannot be tested with '{op}'")
        if op != "is" and (ftype != "number" or isinstance(val, bool) or not isinstance(val, (int, float))):
            ck.fail(w, f"'{op}' needs a number and a numeric factor")
        if op == "is":
            vals = val if isinstance(val, list) else [val]
            for v in vals:
                if ftype == "bool" and not isinstance(v, bool):
                    ck.fail(w, f"factor '{factor}' is true/false, not {v!r}")
                if ftype == "choice" and v not in factors[factor]["values"]:
                    ck.fail(w, f"factor '{factor}' takes {', '.join(factors[factor]['values'])}, not {v!r}")
        conds.append(Condition(factor, op, val))
    return tuple(inds), tuple(conds)


def _response(ck: _Checker, raw: Any, where: str, kind: str) -> ResponseSpec | None:
    """A milestone's ``response = { scores = [...], criterion = "..." }``: ids in data/scores.toml."""
    if raw is None:
        return None

    table = score_table()
    if kind != "milestone":
        ck.fail(where, f"field 'response': only a milestone expects a score, not a '{kind}' rule")
    if not isinstance(raw, dict) or set(raw) - {"scores", "criterion"}:
        ck.fail(where, "field 'response' must be a table with 'scores' and 'criterion'")
    scores = raw.get("scores")
    if not isinstance(scores, list) or not scores or not all(isinstance(x, str) and x in table.scores for x in scores):
        ck.fail(where, f"field 'response': 'scores' must list known scores ({', '.join(table.scores)})")
    crit = raw.get("criterion")
    if crit not in table.criteria:
        ck.fail(where, f"field 'response': criterion {crit!r} is not one of {', '.join(table.criteria)}")
    needs = table.criteria[crit].scores
    if needs and not set(scores) <= set(needs):
        ck.fail(where, f"field 'response': criterion '{crit}' reads only {', '.join(needs)}")
    return ResponseSpec(tuple(scores), crit)


def _rule(ck: _Checker, raw: Any, index: int, origin: str, vocab: dict) -> Rule:
    if not isinstance(raw, dict):
        ck.fail(f"rule #{index + 1}", "must be a table")
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        ck.fail(f"rule #{index + 1}", "field 'id' is missing or not text")
    where = f"rule '{rid}'"
    known = {"id", "kind", "title", "checks", "timing", "applies", "source", "section", "anchor", "notes", "patient_notes",
             "if_unknown", "response"}
    extra = set(raw) - known
    if extra:
        ck.fail(where, f"unknown field(s): {', '.join(sorted(extra))}")
    kind = ck.get(raw, "kind", where, str)
    if kind not in KINDS:
        ck.fail(where, f"field 'kind': '{kind}' is not one of {', '.join(KINDS)}")
    checks = ck.get(raw, "checks", where, list)
    if not checks:
        ck.fail(where, "field 'checks' is empty")
    for c in checks:
        if c not in vocab["checks"]:
            ck.fail(where, f"field 'checks': unknown check '{c}' (not in the vocabulary)")
    timing = _timing(ck, raw.get("timing"), where)
    if kind == "screening" and timing.type != "before_start":
        ck.fail(where, "field 'timing': a screening rule must use type 'before_start'")
    if kind != "screening" and timing.type == "before_start":
        ck.fail(where, f"field 'timing': only screening rules fall before the start, not '{kind}'")
    anchor = ck.get(raw, "anchor", where, str, required=False, default="start")
    if anchor not in ANCHORS:
        ck.fail(where, f"field 'anchor': '{anchor}' is not one of {', '.join(ANCHORS)}")
    inds, conds = _conditions(ck, raw.get("applies"), where, vocab["factors"])
    notes = ck.get(raw, "notes", where, list, required=False, default=[])
    pnotes = ck.get(raw, "patient_notes", where, list, required=False, default=[])
    if_unknown = ck.get(raw, "if_unknown", where, str, required=False, default="keep")
    if if_unknown not in ("keep", "skip"):
        ck.fail(where, f"field 'if_unknown': '{if_unknown}' is not one of keep, skip")
    response = _response(ck, raw.get("response"), where, kind)
    return Rule(
        id=rid,
        kind=kind,
        title=ck.get(raw, "title", where, str),
        checks=tuple(checks),
        timing=timing,
        citation=_citation(ck, raw, where),
        indications=inds,
        conditions=conds,
        anchor=anchor,
        notes=tuple(map(str, notes)),
        patient_notes=tuple(map(str, pnotes)),
        origin=origin,
        if_unknown=if_unknown,
        response=response,
    )


def _threshold(ck: _Checker, raw: Any, index: int, vocab: dict) -> Threshold:
    tid = raw.get("id") if isinstance(raw, dict) else None
    where = f"threshold '{tid}'" if tid else f"threshold #{index + 1}"
    if not isinstance(raw, dict) or not tid:
        ck.fail(where, "needs a table with an 'id'")
    known = {"id", "analyte", "below", "above", "drop", "before_start", "during", "resume", "source", "section",
             "indications", "confirm", "notes"}
    extra = set(raw) - known
    if extra:
        ck.fail(where, f"unknown field(s): {', '.join(sorted(extra))}")
    analyte = ck.get(raw, "analyte", where, str)
    if analyte not in vocab["analytes"]:
        ck.fail(where, f"field 'analyte': unknown analyte '{analyte}'; known: {', '.join(sorted(vocab['analytes']))}")
    cmp = [k for k in ("below", "above", "drop") if k in raw]
    if len(cmp) != 1:
        ck.fail(where, "needs exactly one of 'below', 'above' or 'drop' (a fall from baseline)")
    value = ck.get(raw, cmp[0], where, (int, float))
    if value < 0:
        ck.fail(where, f"field '{cmp[0]}' must not be negative, not {value!r}")
    if not math.isfinite(value) or value > MAX_THRESHOLD:
        ck.fail(where, f"field '{cmp[0]}' must be a number from 0 to {MAX_THRESHOLD:g}, not {value!r}")
    inds = ck.get(raw, "indications", where, list, required=False, default=[])
    if not all(isinstance(i, str) for i in inds):
        ck.fail(where, "field 'indications' must be a list of indication codes")
    notes = ck.get(raw, "notes", where, list, required=False, default=[])
    actions = {}
    for phase in ("before_start", "during"):
        act = ck.get(raw, phase, where, str, required=False)
        if act == "not_assessed":
            ck.fail(where, f"field '{phase}': 'not_assessed' is what jakplan says when a protocol has no limit; "
                           f"a threshold must name an action")
        if act is not None and act not in vocab["actions"]:
            ck.fail(where, f"field '{phase}': unknown action '{act}'; known: {', '.join(vocab['actions'])}")
        actions[phase] = act
    if not any(actions.values()):
        ck.fail(where, "needs an action for 'before_start' and/or 'during'")
    if cmp[0] == "drop" and actions["before_start"]:
        ck.fail(where, "field 'before_start': a fall from baseline ('drop') is an in-treatment rule; before the "
                       "first dose there is no baseline to fall from (give 'during' only)")
    return Threshold(
        id=tid,
        analyte=analyte,
        comparison=cmp[0],
        value=float(value),
        unit=vocab["analytes"][analyte]["unit"],
        before_start=actions["before_start"],
        during=actions["during"],
        citation=_citation(ck, raw, where),
        resume=ck.get(raw, "resume", where, str, required=False, default=""),
        indications=tuple(inds),
        confirm=ck.get(raw, "confirm", where, bool, required=False, default=False),
        notes=tuple(map(str, notes)),
    )


def _applies(ck: _Checker, raw: dict, where: str, vocab: dict) -> tuple[tuple[str, ...], tuple[Condition, ...]]:
    return _conditions(ck, raw.get("applies"), where, vocab["factors"])


def _check_known(ck: _Checker, raw: Any, index: int, what: str, known: set[str]) -> tuple[str, str]:
    """The entry's id and its 'where' label; fails on a non-table, a missing id or an unknown field."""
    eid = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(eid, str) or not eid:
        ck.fail(f"{what} #{index + 1}", "must be a table with a text field 'id'")
    where = f"{what} '{eid}'"
    extra = set(raw) - known
    if extra:
        ck.fail(where, f"unknown field(s): {', '.join(sorted(extra))}")
    return eid, where


def _dose(ck: _Checker, raw: Any, index: int, origin: str, vocab: dict) -> Dose:
    did, where = _check_known(ck, raw, index, "dose",
                              {"id", "outcome", "dose", "why", "applies", "source", "section", "notes"})
    outcome = ck.get(raw, "outcome", where, str)
    if outcome not in DOSE_OUTCOMES:
        ck.fail(where, f"field 'outcome': '{outcome}' is not one of {', '.join(DOSE_OUTCOMES)}")
    dose = ck.get(raw, "dose", where, str, required=outcome in ("standard", "adjusted"), default="")
    why = ck.get(raw, "why", where, str, required=outcome != "standard", default="")
    inds, conds = _applies(ck, raw, where, vocab)
    notes = ck.get(raw, "notes", where, list, required=False, default=[])
    return Dose(id=did, outcome=outcome, citation=_citation(ck, raw, where), dose=dose, why=why,
                indications=inds, conditions=conds, notes=tuple(map(str, notes)), origin=origin)


def _risk(ck: _Checker, raw: Any, index: int, origin: str, vocab: dict) -> Risk:
    rid, where = _check_known(ck, raw, index, "risk", {"id", "level", "text", "applies", "source", "section"})
    level = ck.get(raw, "level", where, str)
    if level not in vocab["risk_levels"]:
        ck.fail(where, f"field 'level': '{level}' is not one of {', '.join(vocab['risk_levels'])}")
    inds, conds = _applies(ck, raw, where, vocab)
    return Risk(id=rid, level=level, text=ck.get(raw, "text", where, str), citation=_citation(ck, raw, where),
                indications=inds, conditions=conds, origin=origin)


def _course(ck: _Checker, raw: Any, index: int, vocab: dict) -> Course:
    cid, where = _check_known(ck, raw, index, "course", {"id", "length", "text", "applies", "source", "section"})
    if "length" not in raw:
        ck.fail(where, "field 'length' is missing, e.g. length = { days = 14 }")
    length = ck.offset(raw["length"], f"{where}: field 'length'", allow_zero=False)
    inds, conds = _applies(ck, raw, where, vocab)
    if conds:
        ck.fail(where, "field 'applies': a course applies by indication only ('all' is not allowed)")
    return Course(id=cid, length=length, text=ck.get(raw, "text", where, str), citation=_citation(ck, raw, where),
                  indications=inds)


TOP_LEVEL = {"schema", "id", "drug", "title", "jurisdiction", "indications", "summary", "fragment", "extends",
             "planning", "include", "rule", "threshold", "unverified", "dose", "risk", "course", "silent"}
SECTIONS = ("rule", "threshold", "dose", "risk", "course")


class _Parts:
    """A protocol being assembled: its entries by section (inherited, borrowed, then its own)."""

    def __init__(self, base: Protocol | None):
        self.base = base
        self.tables: dict[str, dict] = {
            "rule": {r.id: r for r in base.rules} if base else {},
            "threshold": {t.id: t for t in base.thresholds} if base else {},
            "dose": {d.id: d for d in base.doses} if base else {},
            "risk": {r.id: r for r in base.risks} if base else {},
            "course": {c.id: c for c in base.courses} if base else {},
        }
        self.own: dict[str, set[str]] = {s: set() for s in SECTIONS}
        self.includes: list[Include] = list(base.includes) if base else []
        self.unverified: list[Unverified] = list(base.unverified) if base else []


def _header(ck: _Checker, raw: dict) -> tuple[str, str, bool]:
    """(id, drug, fragment) after checking the schema version and the top-level fields."""
    schema = raw.get("schema")
    if schema != SCHEMA:
        if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA:
            ck.fail("top level", f"schema {schema} is newer than this jakplan understands ({SCHEMA}); upgrade jakplan")
        ck.fail("top level", f"field 'schema' must be {SCHEMA}")
    extra = set(raw) - TOP_LEVEL
    if extra:
        ck.fail("top level", f"unknown field(s): {', '.join(sorted(extra))}")
    pid = ck.get(raw, "id", "top level", str)
    drug = ck.get(raw, "drug", "top level", str)
    fragment = ck.get(raw, "fragment", "top level", bool, required=False, default=False)
    if not fragment and drug not in drugs():
        ck.fail("top level", f"field 'drug': unknown drug '{drug}'; known drugs: {', '.join(sorted(drugs()))}")
    return pid, drug, fragment


def _ref_path(ck: _Checker, ref: str, drug: str, where: str, confine: Confinement) -> Path:
    try:
        return resolve(ref, None if drug == "common" else drug, Path(ck.path).parent, confine)
    except JakplanError as exc:
        ck.fail(where, str(exc))
        raise  # unreachable: fail raises


def _include(ck: _Checker, inc: Any, i: int) -> tuple[str, list, list, str, list]:
    """(protocol reference, rule ids, risk ids, why, indications) of one [[include]] table, validated."""
    w = f"include #{i + 1}"
    if not isinstance(inc, dict):
        ck.fail(w, "must be a table")
    extra = set(inc) - {"protocol", "rules", "risks", "why", "indications"}
    if extra:
        ck.fail(w, f"unknown field(s): {', '.join(sorted(extra))}")
    ids = ck.get(inc, "rules", w, list, required="risks" not in inc, default=[])
    if not all(isinstance(r, str) for r in ids):
        ck.fail(w, "field 'rules' must be a list of rule ids")
    risk_ids = ck.get(inc, "risks", w, list, required=False, default=[])
    inds = ck.get(inc, "indications", w, list, required=False, default=[])
    if not all(isinstance(x, str) for x in inds):
        ck.fail(w, "field 'indications' must be a list of indication codes")
    return ck.get(inc, "protocol", w, str), ids, risk_ids, ck.get(inc, "why", w, str), inds


def _narrowed(entry, inds: list[str]):
    """A borrowed entry limited to the include's indications (if it names any)."""
    if not inds:
        return entry
    return entry._replace(indications=tuple(i for i in inds if not entry.indications or i in entry.indications))


def _borrow(ck: _Checker, parts: _Parts, raw: dict, drug: str, confine: Confinement) -> None:
    """Take the rules and risk notes each [[include]] names from the protocol it names."""
    for i, inc in enumerate(ck.get(raw, "include", "top level", list, required=False, default=[])):
        ref, ids, risk_ids, why, inds = _include(ck, inc, i)
        w = f"include #{i + 1}"
        other = _load(_ref_path(ck, ref, drug, w, confine), (), True, confine)
        for rid in ids:
            try:
                parts.tables["rule"][rid] = _narrowed(other.rule(rid), inds)
            except KeyError:
                ck.fail(w, f"rule '{rid}' is not defined in protocol '{ref}'")
        other_risks = {r.id: r for r in other.risks}
        for rid in risk_ids:
            if rid not in other_risks:
                ck.fail(w, f"risk '{rid}' is not defined in protocol '{ref}'")
            parts.tables["risk"][rid] = _narrowed(other_risks[rid], inds)
        parts.includes.append(Include(protocol=f"{other.drug}/{other.id}", rules=tuple(ids), why=why,
                                      indications=tuple(inds), risks=tuple(risk_ids)))


def _own(ck: _Checker, parts: _Parts, raw: dict, origin: str, vocab: dict) -> None:
    """The file's own entries of every section; an id defined twice in the file is an error."""
    parsers: dict[str, Callable[[Any, int], Any]] = {
        "rule": lambda e, i: _rule(ck, e, i, origin, vocab),
        "threshold": lambda e, i: _threshold(ck, e, i, vocab),
        "dose": lambda e, i: _dose(ck, e, i, origin, vocab),
        "risk": lambda e, i: _risk(ck, e, i, origin, vocab),
        "course": lambda e, i: _course(ck, e, i, vocab),
    }
    for section, parse in parsers.items():
        for i, e in enumerate(ck.get(raw, section, "top level", list, required=False, default=[])):
            item = parse(e, i)
            if item.id in parts.own[section]:
                ck.fail(f"{section} '{item.id}'", "field 'id': defined twice in this file")
            parts.own[section].add(item.id)
            parts.tables[section][item.id] = item
    for i, u in enumerate(ck.get(raw, "unverified", "top level", list, required=False, default=[])):
        parts.unverified.append(_unverified(ck, u, i, vocab))


def _unverified(ck: _Checker, u: Any, i: int, vocab: dict) -> Unverified:
    w = f"unverified #{i + 1}"
    if not isinstance(u, dict):
        ck.fail(w, "must be a table with 'topic' and 'detail'")
    extra = set(u) - {"topic", "detail", "applies", "dose"}
    if extra:
        ck.fail(w, f"unknown field(s): {', '.join(sorted(extra))}")
    inds, conds = _conditions(ck, u.get("applies"), w, vocab["factors"])
    return Unverified(ck.get(u, "topic", w, str), ck.get(u, "detail", w, str), inds, conds,
                      ck.get(u, "dose", w, bool, required=False, default=False))


def _indications(ck: _Checker, raw: dict, drug: str, fragment: bool, base: Protocol | None) -> list[str]:
    inds = ck.get(raw, "indications", "top level", list, required=False, default=list(base.indications) if base else [])
    if not fragment and drug in drugs():
        known = drugs()[drug].get("indications", {})
        for ind in inds:
            if ind not in known:
                ck.fail("top level", f"field 'indications': unknown indication '{ind}' for {drug}; known: {', '.join(known)}")
    return inds


def _narrow_to(ck: _Checker, parts: _Parts, indications: list[str]) -> None:
    """The file's own entries may only name the protocol's indications; inherited or borrowed entries for
    indications this protocol does not cover (a clinic file narrowing a shipped one) are dropped."""
    if not indications:
        return
    parts.unverified = [u for u in parts.unverified if not u.indications or any(i in indications for i in u.indications)]
    for what, table in parts.tables.items():
        for eid, entry in list(table.items()):
            outside = [i for i in entry.indications if i not in indications]
            if outside and eid in parts.own[what]:
                field = "applies.indications" if what != "threshold" else "indications"
                ck.fail(f"{what} '{eid}'", f"field '{field}': '{outside[0]}' is not an indication of this protocol")
            if entry.indications and len(outside) == len(entry.indications):
                del table[eid]


def _planning_of(ck: _Checker, raw: dict, base: Protocol | None) -> Planning:
    planning_raw = raw.get("planning")
    if planning_raw is not None and not isinstance(planning_raw, dict):
        ck.fail("top level", "field 'planning' must be a table")
    return base.planning if base and planning_raw is None else _planning(ck, planning_raw)


def _shipped(path: Path) -> bool:
    """A protocol file shipped in jakplan/data (its text is the package's own, scanned by the test suite)."""
    try:
        return path.resolve().is_relative_to(data_path().resolve())
    except OSError:
        return False


def _load(path: Path, stack: tuple[str, ...], own_only: bool, confine: Confinement) -> Protocol:
    """One protocol file with its ``extends`` base and (unless ``own_only``) the entries it borrows."""
    key = str(path.resolve())
    if key in stack:
        raise JakplanError(f"{path}: include/extends cycle: {' -> '.join(stack + (key,))}")
    raw = read_toml(path)
    ck = _Checker(path)
    if not _shipped(path):  # a shipped file is scanned by the tests (test_protocol_format), not on every start
        ck.scan(raw)
    vocab = vocabulary()
    pid, drug, fragment = _header(ck, raw)
    base: Protocol | None = None
    extends = ck.get(raw, "extends", "top level", str, required=False, default="")
    if extends:
        base = _load(_ref_path(ck, extends, drug, "field 'extends'", confine), stack + (key,), False, confine)
        if base.drug != drug:
            ck.fail("top level", f"field 'extends': '{extends}' is for {base.drug}, not {drug}")
    parts = _Parts(base)
    if not own_only:
        _borrow(ck, parts, raw, drug, confine)
    _own(ck, parts, raw, f"{drug}/{pid}", vocab)
    indications = _indications(ck, raw, drug, fragment, base)
    _narrow_to(ck, parts, indications)
    if not fragment and not parts.tables["rule"]:
        ck.fail("top level", "a protocol needs at least one rule")
    t = parts.tables
    protocol = Protocol(
        id=pid, drug=drug, title=ck.get(raw, "title", "top level", str),
        jurisdiction=ck.get(raw, "jurisdiction", "top level", str, required=False, default=base.jurisdiction if base else ""),
        indications=tuple(indications), rules=tuple(t["rule"].values()), thresholds=tuple(t["threshold"].values()),
        planning=_planning_of(ck, raw, base), doses=tuple(t["dose"].values()), risks=tuple(t["risk"].values()),
        courses=tuple(t["course"].values()), includes=tuple(parts.includes), unverified=tuple(parts.unverified),
        summary=ck.get(raw, "summary", "top level", str, required=False, default=base.summary if base else ""),
        path=str(path), fragment=fragment, extends=base.id if base else "",
        silent=parse_silent(ck, raw, base, indications, _citation),
    )
    if _shipped(path):  # a shipped file is checked by the tests (test_class_requirements), not on every start
        return protocol
    return _without_contradicted_silences(ck, protocol, raw)


def _without_contradicted_silences(ck: _Checker, protocol: Protocol, raw: dict) -> Protocol:
    """A ``[[silent]]`` entry says the source does not address an item; an entry of the same protocol that
    encodes the item for one of its indications contradicts it. The file's own silence is an error (one line,
    naming the entry that encodes it); one inherited by ``extends`` gives way to the encoding."""

    if not protocol.silent:
        return protocol
    own = {(x.get("item"), tuple(x.get("indications", ()))) for x in raw.get("silent", []) if isinstance(x, dict)}
    encoded = {ind: {st.item: st.evidence for st in check(protocol, ind) if st.status == "encoded"}
               for ind in protocol.indications}  # the checklist once per indication, not once per silence
    keep = []
    for s in protocol.silent:
        evidence = next((encoded[ind][s.item] for ind in (s.indications or protocol.indications)
                         if s.item in encoded.get(ind, {})), "")
        if not evidence:
            keep.append(s)
        elif (s.item, s.indications) in own:
            ck.fail(f"silent '{s.item}'", f"the protocol encodes this item ({evidence}); remove the silence or "
                                         f"narrow its 'indications'")
    return protocol if len(keep) == len(protocol.silent) else protocol._replace(silent=tuple(keep))


def load_protocol_file(path: Path | str, confine: Confinement | None = None) -> Protocol:
    """Load and validate one protocol file, resolving its ``extends`` and ``[[include]]`` references.

    An include takes rules that the other protocol defines itself (or inherits by ``extends``), not rules
    that it includes in turn, so two variants may borrow from each other without a cycle. References inside
    the file resolve relative to it and may not leave its folder (see :mod:`jakplan.catalog.resolve`).
    """
    path = Path(path)
    return _load(path, (), False, confine or Confinement.around(path))


_CACHE: dict[tuple, Protocol] = {}


def load_protocol(drug: str | None, ref: str | None = None, base: Path | str | None = None,
                  confine: Confinement | None = None) -> Protocol:
    """The protocol a reference names (see :func:`jakplan.catalog.resolve.resolve`); the drug's default when
    ``ref`` is None. Protocols are cached within a run by file, size and modification time."""
    if ref is None:
        if drug is None:
            raise JakplanError("name a drug or a protocol")
        ref = drug_info(drug)["default_protocol"]
    path = resolve(ref, drug, base, confine)
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns, confine)
    except OSError:
        key = None
    proto = _CACHE.get(key) if key else None
    if proto is None:
        proto = load_protocol_file(path, _confine_for(path, confine))
        if key:
            _CACHE[key] = proto
    if drug is not None and proto.drug != drug:
        raise JakplanError(f"{ref}: protocol is for {proto.drug}, not {drug}")
    return proto


def _confine_for(path: Path, confine: Confinement | None) -> Confinement:
    """References inside a protocol file stay in its folder (plus folders the user named)."""
    extra = confine.roots if confine else ()
    return Confinement.around(path, extra)
