"""Disease-activity scores and the response criteria that read them (pure).

- :func:`compute` turns a score's inputs into its value by the formula in ``data/scores.toml`` (each input
  checked against its range first: :func:`check_inputs`).
- :func:`eular_response` is the EULAR response (good, moderate, none) from a baseline and a current DAS28.
- :func:`responses` judges each response milestone of a plan against the scores recorded: which score it expects,
  the baseline (the last score of that kind on or before the first dose), the score that answers it (the first
  recorded from the opening of its window), and what the criterion concludes. The result is data (codes and
  numbers); :mod:`jakplan.render.words` words it. It never decides treatment: "not met" means "review with the
  prescriber".
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Iterable

from jakplan.catalog.scores import EULAR_CATEGORIES, Criterion, ScoreDef, ScoreTable, score_table
from jakplan.errors import JakplanError
from jakplan.history import History, ScoreRecord
from jakplan.model import Citation, Plan

_F = {"identity": lambda x: x, "sqrt": math.sqrt, "ln": math.log, "ln1p": math.log1p}


def check_inputs(score: ScoreDef, given: dict[str, float], table: ScoreTable | None = None) -> dict[str, float]:
    """The inputs the score needs, each a finite number in its range (whole where the instrument counts);
    anything missing, extra or out of range is one line naming it, its range and unit."""
    table = table or score_table()
    need = score.inputs
    missing = [n for n in need if n not in given]
    if missing:
        raise JakplanError(f"{score.label} needs {', '.join('--' + n.replace('_', '-') for n in missing)} "
                           f"({'; '.join(_describe(table, n) for n in missing)})")
    extra = sorted(set(given) - set(need))
    if extra:
        raise JakplanError(f"{score.label} does not use {', '.join('--' + n.replace('_', '-') for n in extra)}; "
                           f"it is computed from {', '.join(need)}")
    out = {}
    for name in need:
        spec = table.inputs[name]
        val = given[name]
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val):
            raise JakplanError(f"--{name.replace('_', '-')} {val!r}: not a number")
        if not spec.lo <= val <= spec.hi:
            raise JakplanError(f"--{name.replace('_', '-')} {val:g}: out of range for the {spec.label} "
                               f"({spec.lo:g} to {spec.hi:g} {spec.unit})")
        if spec.integer and val != int(val):
            raise JakplanError(f"--{name.replace('_', '-')} {val:g}: the {spec.label} is a whole number")
        out[name] = float(val)
    return out


def _describe(table: ScoreTable, name: str) -> str:
    spec = table.inputs[name]
    return f"{spec.label}, {spec.lo:g} to {spec.hi:g} {spec.unit}"


def compute(score: ScoreDef, given: dict[str, float], table: ScoreTable | None = None) -> float:
    """The score's value from its inputs, rounded to the decimals the score is reported with."""
    inputs = check_inputs(score, given, table)
    raw = score.constant + sum(t.coef * _F[t.f](inputs[t.input]) for t in score.terms)
    return round(raw, score.decimals)


def score_range(score: ScoreDef, table: ScoreTable | None = None) -> tuple[float, float]:
    """The lowest and highest value the formula gives over its inputs' ranges (every term rises with its
    input when its coefficient is positive, falls when negative)."""
    table = table or score_table()
    lo = hi = score.constant
    for t in score.terms:
        spec = table.inputs[t.input]
        a, b = t.coef * _F[t.f](spec.lo), t.coef * _F[t.f](spec.hi)
        lo, hi = lo + min(a, b), hi + max(a, b)
    return round(lo, score.decimals), round(hi, score.decimals)


def check_value(score: ScoreDef, value: float, table: ScoreTable | None = None) -> float:
    """A score given directly (``--score das28crp=4.1``): a finite number the formula can give."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise JakplanError(f"{score.label} {value!r}: not a number")
    lo, hi = score_range(score, table)
    if not lo <= value <= hi:
        raise JakplanError(f"{score.label} {value:g}: out of range ({lo:g} to {hi:g})")
    return round(float(value), score.decimals)


def eular_response(baseline: float, current: float, crit: Criterion) -> tuple[str, float]:
    """(category, improvement): the EULAR response from the baseline and current DAS28 (van Gestel 1996).

    good: current <= good_at_most with an improvement > improvement_large; none: an improvement <=
    improvement_small, or <= improvement_large with current > high_above; moderate otherwise. The improvement
    is rounded to 2 decimals (DAS28 is reported so) before it is compared, so 4.4 -> 3.2 is an improvement
    of exactly 1.2."""
    good_at_most, high_above, large, small = crit.bounds
    improvement = round(baseline - current, 2)
    if improvement > large and current <= good_at_most:
        return "good", improvement
    if improvement <= small or (improvement <= large and current > high_above):
        return "none", improvement
    return "moderate", improvement


@dataclass(frozen=True)
class ResponseVerdict:
    """What a response milestone concludes on a day. ``state``:

    - ``upcoming``: its window has not opened; ``due``: open, no score yet; ``missing``: closed with no score
      (overdue);
    - ``no_baseline``: a score is recorded but no score of the same kind before the first dose to compare;
    - ``met`` / ``not_met``: the criterion's verdict (``category``: the EULAR category);
    - ``recorded``: a score is recorded and the source gives no number to judge it by (the prescriber judges).
    """

    rule: str
    occurrence: int
    date: dt.date
    window_start: dt.date
    window_end: dt.date
    scores: tuple[str, ...]
    criterion: str
    state: str
    citation: Citation
    baseline: ScoreRecord | None = None
    current: ScoreRecord | None = None
    category: str = ""
    improvement: float | None = None
    relative: str = ""
    """When the milestone falls, as the plan words it ('6 months after the first dose')."""

    @property
    def needs_action(self) -> bool:
        """Overdue, or a criterion not met: a review with the prescriber is needed."""
        return self.state in ("missing", "not_met")


def baseline(scores: Iterable[ScoreRecord], kind: str, start: dt.date) -> ScoreRecord | None:
    """The last score of ``kind`` recorded on or before the first dose."""
    before = [s for s in scores if s.score == kind and s.on <= start]
    return max(before, key=lambda s: s.on) if before else None


def responses(plan: Plan, history: History, today: dt.date, table: ScoreTable | None = None) -> tuple[ResponseVerdict, ...]:
    """Every response milestone of the plan judged on ``today`` (records after ``today`` left out)."""
    table = table or score_table()
    rules = {r.id: r for r in plan.protocol.rules if r.response is not None}
    recorded = sorted((s for s in history.scores if s.on <= today), key=lambda s: s.on)
    out = []
    for ev in sorted(plan.events, key=lambda e: e.sort_key):
        rule = rules.get(ev.rule)
        if rule is None or rule.response is None:
            continue
        out.append(_verdict(ev, rule.response.scores, table.criteria[rule.response.criterion], plan.start,
                            recorded, today, rule.citation))
    return tuple(out)


def _verdict(ev, kinds: tuple[str, ...], crit: Criterion, start: dt.date, recorded: list[ScoreRecord],
             today: dt.date, citation: Citation) -> ResponseVerdict:
    common = dict(rule=ev.rule, occurrence=ev.occurrence, date=ev.date, window_start=ev.window_start,
                  window_end=ev.window_end, scores=kinds, criterion=crit.id, citation=citation,
                  relative=ev.relative)
    answers = [s for s in recorded if s.score in kinds and s.on >= ev.window_start and s.on > start]
    if not answers:
        state = "upcoming" if today < ev.window_start else "due" if today <= ev.window_end else "missing"
        return ResponseVerdict(state=state, **common)
    # prefer a score of a kind that has a baseline, so the change can be measured
    with_base = [s for s in answers if baseline(recorded, s.score, start) is not None]
    current = (with_base or answers)[0]
    base = baseline(recorded, current.score, start)
    if crit.kind == "judged":
        return ResponseVerdict(state="recorded", baseline=base, current=current,
                               improvement=None if base is None else round(base.value - current.value, 6), **common)
    if base is None:
        return ResponseVerdict(state="no_baseline", current=current, **common)
    category, improvement = eular_response(base.value, current.value, crit)
    met = EULAR_CATEGORIES.index(category) >= EULAR_CATEGORIES.index(crit.at_least)
    return ResponseVerdict(state="met" if met else "not_met", baseline=base, current=current, category=category,
                           improvement=improvement, **common)
