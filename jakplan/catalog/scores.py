"""The disease-activity score table (``data/scores.toml``): inputs, formulas, response criteria, validated.

Each score is a sum of terms over named inputs (each input with its range and unit), with the publication that
defines it; each response criterion a protocol milestone can name. Read once, checked on read: a term naming an
unknown input or function, a score without a known source, or a criterion without its bounds is one line.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from jakplan.catalog.files import data_path, read_toml
from jakplan.catalog.names import canonical
from jakplan.catalog.vocab import sources
from jakplan.errors import JakplanError

FUNCTIONS = ("identity", "sqrt", "ln", "ln1p")
EULAR_CATEGORIES = ("none", "moderate", "good")
"""The EULAR response categories, worst first."""


class ScoreInput(NamedTuple):
    name: str
    label: str
    unit: str
    lo: float
    hi: float
    integer: bool = False


class Term(NamedTuple):
    coef: float
    input: str
    f: str = "identity"


class ScoreDef(NamedTuple):
    id: str
    label: str
    indications: tuple[str, ...]
    terms: tuple[Term, ...]
    constant: float
    decimals: int
    source: str
    section: str
    loinc: str = ""
    """The LOINC code of the total score, where loinc.org shows one ('' otherwise)."""

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.input for t in self.terms))


class Criterion(NamedTuple):
    id: str
    label: str
    kind: str
    """'eular' (the EULAR response categories from DAS28) or 'judged' (the source gives no number)."""
    at_least: str = ""
    scores: tuple[str, ...] = ()
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    """(good_at_most, high_above, improvement_large, improvement_small) for 'eular'."""
    source: str = ""
    section: str = ""


class ScoreTable(NamedTuple):
    inputs: dict[str, ScoreInput]
    scores: dict[str, ScoreDef]
    criteria: dict[str, Criterion]


def _need(cond: bool, where: str, msg: str) -> None:
    if not cond:
        raise JakplanError(f"scores.toml: {where}: {msg}")


def _num(val: Any, where: str, key: str) -> float:
    _need(isinstance(val, (int, float)) and not isinstance(val, bool), where, f"field '{key}' must be a number")
    return float(val)


def _inputs(raw: dict[str, Any]) -> dict[str, ScoreInput]:
    out = {}
    for name, spec in raw.items():
        w = f"input '{name}'"
        _need(isinstance(spec, dict), w, "must be a table")
        lo, hi = _num(spec.get("min"), w, "min"), _num(spec.get("max"), w, "max")
        _need(lo < hi, w, "'min' must be below 'max'")
        out[name] = ScoreInput(name, str(spec.get("label", name)), str(spec.get("unit", "")), lo, hi,
                               bool(spec.get("integer", False)))
    return out


def _score(sid: str, spec: Any, inputs: dict[str, ScoreInput], known_sources: set[str]) -> ScoreDef:
    w = f"score '{sid}'"
    _need(isinstance(spec, dict), w, "must be a table")
    terms = []
    for i, t in enumerate(spec.get("terms", []), start=1):
        _need(isinstance(t, dict), w, f"term {i} must be a table")
        _need(t.get("input") in inputs, w, f"term {i}: unknown input {t.get('input')!r}")
        f = t.get("f", "identity")
        _need(f in FUNCTIONS, w, f"term {i}: function {f!r} is not one of {', '.join(FUNCTIONS)}")
        if f == "ln":
            _need(inputs[t["input"]].lo > 0, w, f"term {i}: ln of '{t['input']}' needs a minimum above 0")
        terms.append(Term(_num(t.get("coef"), w, "coef"), t["input"], f))
    _need(bool(terms), w, "has no terms")
    _need(spec.get("source") in known_sources, w, f"source {spec.get('source')!r} is not in sources.toml")
    _need(isinstance(spec.get("section"), str) and spec["section"], w, "needs a 'section' (what the source says)")
    return ScoreDef(sid, str(spec.get("label", sid)), tuple(spec.get("indications", [])), tuple(terms),
                    _num(spec.get("constant", 0.0), w, "constant"), int(spec.get("decimals", 2)), spec["source"],
                    spec["section"], str(spec.get("loinc", "")))


def _criterion(cid: str, spec: Any, scores: dict[str, ScoreDef], known_sources: set[str]) -> Criterion:
    w = f"criterion '{cid}'"
    _need(isinstance(spec, dict), w, "must be a table")
    kind = spec.get("kind")
    _need(kind in ("eular", "judged"), w, f"kind {kind!r} is not one of eular, judged")
    if kind == "judged":
        return Criterion(cid, str(spec.get("label", cid)), kind)
    _need(spec.get("at_least") in EULAR_CATEGORIES[1:], w, "'at_least' must be moderate or good")
    names = tuple(spec.get("scores", []))
    _need(bool(names) and all(s in scores for s in names), w, "'scores' must name known scores")
    _need(spec.get("source") in known_sources, w, f"source {spec.get('source')!r} is not in sources.toml")
    bounds = tuple(_num(spec.get(k), w, k) for k in ("good_at_most", "high_above", "improvement_large",
                                                    "improvement_small"))
    return Criterion(cid, str(spec.get("label", cid)), kind, spec["at_least"], names,
                     (bounds[0], bounds[1], bounds[2], bounds[3]), spec["source"], str(spec.get("section", "")))


@lru_cache(maxsize=None)
def score_table() -> ScoreTable:

    raw = read_toml(data_path() / "scores.toml")
    known = set(sources())
    inputs = _inputs(raw.get("inputs", {}))
    scores = {sid: _score(sid, spec, inputs, known) for sid, spec in raw.get("scores", {}).items()}
    criteria = {cid: _criterion(cid, spec, scores, known) for cid, spec in raw.get("criteria", {}).items()}
    return ScoreTable(inputs, scores, criteria)


def canonical_score(text: str, option: str = "--score") -> str:
    """A score named as typed ('DAS28-CRP', 'das28crp'), or one line naming the known ones."""

    known = score_table().scores
    aliases = {s.label: sid for sid, s in known.items()}
    return canonical("score", text, known, aliases, option)
