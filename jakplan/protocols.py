"""Loading and validating protocol data files (TOML, read with tomllib).

Shipped data lives in ``jakplan/data``:

- ``vocabulary.toml``  check codes, analytes, actions and patient factors (the controlled vocabulary)
- ``sources.toml``     cited documents, keyed by the tags of the reference fact sheet
- ``planning.toml``    calendar-placement defaults (not clinical figures)
- ``drugs.toml``       drugs, their indications and default protocol
- ``protocols/<drug>/<variant>.toml``  one file per drug and protocol variant;
  ``protocols/common/*.toml`` holds guideline fragments that drug protocols include.

A protocol file holds ``[[rule]]`` (dated checks), ``[[threshold]]`` (lab values that change treatment),
``[[dose]]`` (the label's dose by indication and patient factor), ``[[risk]]`` (warnings that apply to a
patient profile), ``[[course]]`` (a fixed course length) and ``[[unverified]]`` (points shown as "check the
current label"). docs/protocol-format.md documents every field.

Every problem in a file raises :class:`JakplanError` with one line naming the file, the rule and the field.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import JakplanError
from .model import (
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
    Risk,
    Rule,
    Source,
    Threshold,
    Timing,
    Unverified,
)

SCHEMA = 1
TIMING_TYPES = ("before_start", "at", "every", "each_visit")
ANCHORS = ("start", "last_done")
CONDITION_OPS = ("is", "min", "max", "above", "below", "has")


_DATA = Path(__file__).resolve().parent / "data"


def data_path() -> Path:
    """The folder of shipped data files (inside the installed package)."""
    return _DATA


BUNDLE_NAME = "parsed.json"
"""Pre-parsed copies of the shipped TOML files (see :mod:`jakplan.databundle`): parsing a dozen TOML files
with the pure-Python tomllib is most of a plan's start-up time, decoding JSON is a fraction of it."""


@lru_cache(maxsize=None)
def _bundle() -> dict[str, list]:
    import json

    try:
        return json.loads((_DATA / BUNDLE_NAME).read_bytes())
    except (OSError, ValueError):
        return {}


def fingerprint(raw: bytes) -> str:
    """What ties a bundle entry to the exact bytes of its file (length and CRC-32)."""
    import zlib

    return f"{len(raw)}:{zlib.crc32(raw):08x}"


def _bundled(path: Path, raw: bytes) -> dict[str, Any] | None:
    """The pre-parsed content of a shipped file, if the bundle holds these exact bytes."""
    try:
        rel = Path(path).resolve().relative_to(_DATA).as_posix()
    except ValueError:
        return None
    entry = _bundle().get(rel)
    if entry and entry[0] == fingerprint(raw):
        import json

        return json.loads(entry[1])
    return None


def parse_toml_bytes(raw: bytes, path: Path | str) -> dict[str, Any]:
    import tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise JakplanError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise JakplanError(f"{path}: not valid TOML: not UTF-8 text") from None


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file (a shipped one from the pre-parsed bundle when its bytes match)."""
    from .fileio import read_bytes

    raw = read_bytes(path)
    bundled = _bundled(path, raw)
    if bundled is not None:
        return bundled
    return parse_toml_bytes(raw, path)


@lru_cache(maxsize=None)
def vocabulary() -> dict[str, Any]:
    return read_toml(data_path() / "vocabulary.toml")


@lru_cache(maxsize=None)
def sources() -> dict[str, Source]:
    raw = read_toml(data_path() / "sources.toml")
    out = {}
    for key, val in raw.items():
        if key == "schema":
            continue
        out[key] = Source(id=key, document=val["document"], url=val.get("url", ""), weak=bool(val.get("weak", False)))
    return out


@lru_cache(maxsize=None)
def drugs() -> dict[str, dict[str, Any]]:
    raw = read_toml(data_path() / "drugs.toml")
    return {k: v for k, v in raw.items() if k != "schema"}


def factor_values(name: str) -> list[str] | None:
    """The values a choice or list factor may take (None for numbers, dates and true/false)."""
    vocab = vocabulary()
    spec = vocab["factors"][name]
    if "values" in spec:
        return list(spec["values"])
    if "values_from" in spec:
        out: list[str] = []
        for table in spec["values_from"]:
            out += list(vocab.get(table, {}))
        return out
    return None


@lru_cache(maxsize=None)
def medicine_classes() -> dict[str, frozenset[str]]:
    """Each medicine name a user may give with --with, and the interaction classes it belongs to."""
    vocab = vocabulary()
    out = {name: frozenset(spec.get("classes", [])) for name, spec in vocab.get("medicines", {}).items()}
    for cls in vocab.get("medicine_classes", {}):
        out.setdefault(cls, frozenset([cls]))
    return out


def drug_info(drug: str) -> dict[str, Any]:
    known = drugs()
    if drug not in known:
        raise JakplanError(f"unknown drug '{drug}'; known drugs: {', '.join(sorted(known))}")
    return known[drug]


def default_protocol(drug: str, indication: str | None = None) -> str:
    """The shipped protocol used when none is named: the drug's default, or the one drugs.toml names for an
    indication the default does not cover."""
    info = drug_info(drug)
    if indication:
        return info.get("default_protocols", {}).get(indication, info["default_protocol"])
    return info["default_protocol"]


def shipped_protocols(drug: str) -> list[str]:
    """Ids of the selectable protocol variants shipped for ``drug``."""
    folder = data_path() / "protocols" / drug
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


class _Checker:
    """Validation helpers that prefix every message with file, rule and field."""

    def __init__(self, path: Path | str):
        self.path = path

    def fail(self, where: str, msg: str) -> None:
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
        return Offset(n, unit)


def _type_name(types) -> str:
    names = {str: "text", int: "a whole number", float: "a number", list: "a list", dict: "a table", bool: "true or false"}
    ts = types if isinstance(types, tuple) else (types,)
    return " or ".join(names.get(t, t.__name__) for t in ts)


@lru_cache(maxsize=None)
def _planning_defaults() -> dict[str, Any]:
    return read_toml(data_path() / "planning.toml")


def _planning(ck: _Checker, raw: dict | None) -> Planning:
    base = _planning_defaults()
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
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        ck.fail(where + ".count", f"must be a whole number >= 1, not {count!r}")
    t = Timing(
        type=ttype,
        at=off("at"),
        earliest=off("earliest"),
        latest=off("latest"),
        lead=off("lead", allow_zero=False),
        every=off("every", allow_zero=False),
        start_from=off("from"),
        until=off("until", allow_zero=False),
        count=count,
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


def _rule(ck: _Checker, raw: Any, index: int, origin: str, vocab: dict) -> Rule:
    if not isinstance(raw, dict):
        ck.fail(f"rule #{index + 1}", "must be a table")
    rid = raw.get("id")
    if not isinstance(rid, str) or not rid:
        ck.fail(f"rule #{index + 1}", "field 'id' is missing or not text")
    where = f"rule '{rid}'"
    known = {"id", "kind", "title", "checks", "timing", "applies", "source", "section", "anchor", "notes", "patient_notes",
             "if_unknown"}
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
    inds = ck.get(raw, "indications", where, list, required=False, default=[])
    if not all(isinstance(i, str) for i in inds):
        ck.fail(where, "field 'indications' must be a list of indication codes")
    notes = ck.get(raw, "notes", where, list, required=False, default=[])
    actions = {}
    for phase in ("before_start", "during"):
        act = ck.get(raw, phase, where, str, required=False)
        if act is not None and act not in vocab["actions"]:
            ck.fail(where, f"field '{phase}': unknown action '{act}'; known: {', '.join(vocab['actions'])}")
        actions[phase] = act
    if not any(actions.values()):
        ck.fail(where, "needs an action for 'before_start' and/or 'during'")
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


def _resolve_ref(ref: str, drug: str, here: Path | None) -> Path:
    """A protocol reference: 'variant' (same drug), 'drug/variant', or a path to a .toml file."""
    if ref.endswith(".toml"):
        p = Path(ref)
        if not p.is_absolute() and here is not None:
            p = here.parent / p
        return p
    if "/" in ref:
        d, v = ref.split("/", 1)
    else:
        d, v = drug, ref
    return data_path() / "protocols" / d / f"{v}.toml"


def load_protocol_file(path: Path | str, _stack: tuple[str, ...] = (), _own_only: bool = False) -> Protocol:
    """Load and validate one protocol file, resolving its ``extends`` and ``[[include]]`` references.

    An include takes rules that the other protocol defines itself (or inherits by ``extends``), not rules
    that it includes in turn, so two variants may borrow from each other without a cycle.
    """
    path = Path(path)
    key = str(path.resolve())
    if key in _stack:
        raise JakplanError(f"{path}: include/extends cycle: {' -> '.join(_stack + (key,))}")
    raw = read_toml(path)
    ck = _Checker(path)
    vocab = vocabulary()
    schema = raw.get("schema")
    if schema != SCHEMA:
        if isinstance(schema, int) and schema > SCHEMA:
            ck.fail("top level", f"schema {schema} is newer than this jakplan understands ({SCHEMA}); upgrade jakplan")
        ck.fail("top level", f"field 'schema' must be {SCHEMA}")
    known_top = {"schema", "id", "drug", "title", "jurisdiction", "indications", "summary", "fragment", "extends",
                 "planning", "include", "rule", "threshold", "unverified", "dose", "risk", "course"}
    extra = set(raw) - known_top
    if extra:
        ck.fail("top level", f"unknown field(s): {', '.join(sorted(extra))}")
    pid = ck.get(raw, "id", "top level", str)
    drug = ck.get(raw, "drug", "top level", str)
    fragment = bool(raw.get("fragment", False))
    if not fragment and drug not in drugs():
        ck.fail("top level", f"field 'drug': unknown drug '{drug}'; known drugs: {', '.join(sorted(drugs()))}")
    origin = f"{drug}/{pid}"

    base: Protocol | None = None
    extends = ck.get(raw, "extends", "top level", str, required=False, default="")
    if extends:
        base = load_protocol_file(_resolve_ref(extends, drug, path), _stack + (key,))
        if base.drug != drug:
            ck.fail("top level", f"field 'extends': '{extends}' is for {base.drug}, not {drug}")

    rules: dict[str, Rule] = {r.id: r for r in base.rules} if base else {}
    borrowed_risks: dict[str, Risk] = {}
    includes = list(base.includes) if base else []
    for i, inc in enumerate(ck.get(raw, "include", "top level", list, required=False, default=[])):
        w = f"include #{i + 1}"
        if not isinstance(inc, dict):
            ck.fail(w, "must be a table")
        extra = set(inc) - {"protocol", "rules", "risks", "why", "indications"}
        if extra:
            ck.fail(w, f"unknown field(s): {', '.join(sorted(extra))}")
        ref = ck.get(inc, "protocol", w, str)
        ids = ck.get(inc, "rules", w, list, required="risks" not in inc, default=[])
        risk_ids = ck.get(inc, "risks", w, list, required=False, default=[])
        why = ck.get(inc, "why", w, str)
        inc_inds = ck.get(inc, "indications", w, list, required=False, default=[])
        if not all(isinstance(i, str) for i in inc_inds):
            ck.fail(w, "field 'indications' must be a list of indication codes")
        if _own_only:
            continue
        other = load_protocol_file(_resolve_ref(ref, drug, path), (), _own_only=True)
        for rid in ids:
            if not isinstance(rid, str):
                ck.fail(w, f"field 'rules': {rid!r} is not a rule id")
            try:
                borrowed = other.rule(rid)
            except KeyError:
                ck.fail(w, f"rule '{rid}' is not defined in protocol '{ref}'")
            if inc_inds:
                narrowed = tuple(i for i in inc_inds if not borrowed.indications or i in borrowed.indications)
                borrowed = borrowed._replace(indications=narrowed)
            rules[rid] = borrowed
        other_risks = {r.id: r for r in other.risks}
        for rid in risk_ids:
            if rid not in other_risks:
                ck.fail(w, f"risk '{rid}' is not defined in protocol '{ref}'")
            rk = other_risks[rid]
            if inc_inds:
                rk = rk._replace(indications=tuple(i for i in inc_inds if not rk.indications or i in rk.indications))
            borrowed_risks[rid] = rk
        includes.append(Include(protocol=f"{other.drug}/{other.id}", rules=tuple(ids), why=why,
                                indications=tuple(inc_inds), risks=tuple(risk_ids)))

    own_ids = set()
    for i, r in enumerate(ck.get(raw, "rule", "top level", list, required=False, default=[])):
        rule = _rule(ck, r, i, origin, vocab)
        if rule.id in own_ids:
            ck.fail(f"rule '{rule.id}'", "field 'id': defined twice in this file")
        own_ids.add(rule.id)
        rules[rule.id] = rule

    thresholds = {t.id: t for t in base.thresholds} if base else {}
    own_thresholds = set()
    for i, t in enumerate(ck.get(raw, "threshold", "top level", list, required=False, default=[])):
        th = _threshold(ck, t, i, vocab)
        if th.id in own_thresholds:
            ck.fail(f"threshold '{th.id}'", "field 'id': defined twice in this file")
        own_thresholds.add(th.id)
        thresholds[th.id] = th

    own: dict[str, set[str]] = {"rule": own_ids, "threshold": own_thresholds}

    def entries(section: str, parse, inherited) -> dict:
        out = {e.id: e for e in inherited}
        own[section] = set()
        for i, e in enumerate(ck.get(raw, section, "top level", list, required=False, default=[])):
            item = parse(e, i)
            if item.id in own[section]:
                ck.fail(f"{section} '{item.id}'", "field 'id': defined twice in this file")
            own[section].add(item.id)
            out[item.id] = item
        return out

    doses = entries("dose", lambda e, i: _dose(ck, e, i, origin, vocab), base.doses if base else ())
    risks = entries("risk", lambda e, i: _risk(ck, e, i, origin, vocab),
                    (base.risks if base else ()) + tuple(borrowed_risks.values()))
    courses = entries("course", lambda e, i: _course(ck, e, i, vocab), base.courses if base else ())

    unverified = list(base.unverified) if base else []
    for i, u in enumerate(ck.get(raw, "unverified", "top level", list, required=False, default=[])):
        w = f"unverified #{i + 1}"
        if not isinstance(u, dict):
            ck.fail(w, "must be a table with 'topic' and 'detail'")
        extra = set(u) - {"topic", "detail", "applies", "dose"}
        if extra:
            ck.fail(w, f"unknown field(s): {', '.join(sorted(extra))}")
        u_inds, u_conds = _conditions(ck, u.get("applies"), w, vocab["factors"])
        unverified.append(Unverified(ck.get(u, "topic", w, str), ck.get(u, "detail", w, str), u_inds, u_conds,
                                     ck.get(u, "dose", w, bool, required=False, default=False)))

    indications = ck.get(raw, "indications", "top level", list, required=False,
                         default=list(base.indications) if base else [])
    if not fragment and drug in drugs():
        known_inds = drugs()[drug].get("indications", {})
        for ind in indications:
            if ind not in known_inds:
                ck.fail("top level", f"field 'indications': unknown indication '{ind}' for {drug}; known: {', '.join(known_inds)}")
    # The file's own entries may only name the protocol's indications; inherited or borrowed entries for
    # indications this protocol does not cover (a clinic file narrowing a shipped one) are dropped.
    unverified = [u for u in unverified if not (u.indications and indications)
                  or any(i in indications for i in u.indications)]
    for what, table in (("rule", rules), ("threshold", thresholds), ("dose", doses), ("risk", risks), ("course", courses)):
        for eid, entry in list(table.items()):
            inds = entry.indications
            if not inds or not indications:
                continue
            outside = [i for i in inds if i not in indications]
            if outside and eid in own[what]:
                field = "applies.indications" if what != "threshold" else "indications"
                ck.fail(f"{what} '{eid}'", f"field '{field}': '{outside[0]}' is not an indication of this protocol")
            if len(outside) == len(inds):
                del table[eid]
    if not fragment and not rules:
        ck.fail("top level", "a protocol needs at least one rule")

    planning_raw = raw.get("planning")
    if planning_raw is not None and not isinstance(planning_raw, dict):
        ck.fail("top level", "field 'planning' must be a table")
    planning = base.planning if base and planning_raw is None else _planning(ck, planning_raw)

    return Protocol(
        id=pid,
        drug=drug,
        title=ck.get(raw, "title", "top level", str),
        jurisdiction=ck.get(raw, "jurisdiction", "top level", str, required=False, default=base.jurisdiction if base else ""),
        indications=tuple(indications),
        rules=tuple(rules.values()),
        thresholds=tuple(thresholds.values()),
        planning=planning,
        doses=tuple(doses.values()),
        risks=tuple(risks.values()),
        courses=tuple(courses.values()),
        includes=tuple(includes),
        unverified=tuple(unverified),
        summary=ck.get(raw, "summary", "top level", str, required=False, default=base.summary if base else ""),
        path=str(path),
        fragment=fragment,
        extends=base.id if base else "",
    )


def load_protocol(drug: str, protocol: str | None = None) -> Protocol:
    """The protocol ``protocol`` (a shipped variant id, or a path to a .toml file) for ``drug``.

    With no ``protocol``, the drug's default variant.
    """
    info = drug_info(drug)
    name = protocol or info["default_protocol"]
    if name.endswith(".toml") or "/" in name or "\\" in name:
        proto = load_protocol_file(Path(name))
        if proto.drug != drug:
            raise JakplanError(f"{name}: protocol is for {proto.drug}, not {drug}")
        return proto
    known = shipped_protocols(drug)
    if name not in known:
        raise JakplanError(f"unknown protocol '{name}' for {drug}; known: {', '.join(known)} (or a path to a .toml file)")
    return load_protocol_file(data_path() / "protocols" / drug / f"{name}.toml")
