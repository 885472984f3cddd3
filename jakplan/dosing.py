"""Patient-specific reading of a protocol (pure): which dose entries, risk notes and course apply.

A dose, risk or course entry applies when the patient's indication is among its indications (or it names
none) and every condition holds. A condition on a factor the patient did not give is left open: the entry
is then shown as "applies if ..." rather than silently applied or dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta

from .model import (
    DOSE_OUTCOMES,
    Condition,
    Course,
    Dose,
    DoseAdvice,
    DoseLine,
    Patient,
    Protocol,
    RiskNote,
    Unverified,
)
from .protocols import medicine_classes, vocabulary


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day`` for someone born on ``born``."""
    return relativedelta(day, born).years


def effective_factors(factors: dict[str, Any], on: dt.date | None) -> dict[str, Any]:
    """The factors with ``age`` derived from ``born`` (at ``on``, the start date) when age is not given."""
    out = dict(factors)
    born = out.get("born")
    if out.get("age") is None and isinstance(born, dt.date) and on is not None:
        out["age"] = age_on(born, on)
    return out


def check_condition(cond: Condition, factors: dict[str, Any]) -> bool | None:
    """True/False when the patient's factor is known, None when it is not given."""
    if factors.get(cond.factor) is None:
        return None
    val = factors[cond.factor]
    if cond.op == "has":
        classes = medicine_classes()
        have: set[str] = set()
        for name in val:
            have |= classes.get(name, frozenset([name]))
            have.add(name)
        wanted = cond.value if isinstance(cond.value, list) else [cond.value]
        return any(w in have for w in wanted)
    if cond.op == "is":
        allowed = cond.value if isinstance(cond.value, list) else [cond.value]
        return val in allowed
    ops = {
        "min": lambda a, b: a >= b,
        "max": lambda a, b: a <= b,
        "above": lambda a, b: a > b,
        "below": lambda a, b: a < b,
    }
    return ops[cond.op](val, cond.value)


def match(indications: tuple[str, ...], conditions: tuple[Condition, ...], patient: Patient,
          factors: dict[str, Any] | None = None) -> tuple[bool, str, tuple[str, ...]]:
    """(applies, reason if not, conditions left open because the factor was not given)."""
    if indications and patient.indication not in indications:
        return False, f"only for {', '.join(indications)}", ()
    facts = patient.factors if factors is None else factors
    open_conds = []
    for cond in conditions:
        ok = check_condition(cond, facts)
        if ok is False:
            return False, f"applies only if {cond.text()}", ()
        if ok is None:
            open_conds.append(f"applies if {condition_text(cond)} ({factor_label(cond.factor)} not given)")
    return True, "", tuple(open_conds)


def factor_label(name: str) -> str:
    """The factor's label from the vocabulary ('creatinine clearance'), or its name with spaces."""
    return vocabulary()["factors"].get(name, {}).get("label", name.replace("_", " "))


def condition_text(cond: Condition) -> str:
    """'age > 50', 'creatinine clearance >= 30', 'taking a strong OAT3 inhibitor', 'pregnancy possible'."""
    if cond.op == "has":
        names = vocabulary().get("medicine_classes", {})
        vals = cond.value if isinstance(cond.value, list) else [cond.value]
        return "taking a " + " or ".join(names.get(v, v.replace("_", " ")) for v in vals)
    if cond.op == "is" and not isinstance(cond.value, bool):
        vals = cond.value if isinstance(cond.value, list) else [cond.value]
        return f"{factor_label(cond.factor)} is {' or '.join(map(str, vals))}"
    if cond.op == "is":
        return factor_label(cond.factor) if cond.value else f"no {factor_label(cond.factor)}"
    return Condition(factor_label(cond.factor), cond.op, cond.value).text()


def missing_factors(conditions: tuple[Condition, ...], factors: dict[str, Any]) -> list[str]:
    """Factors a set of conditions needs that the patient did not give."""
    return list(dict.fromkeys(c.factor for c in conditions if factors.get(c.factor) is None))


def _rank(d: Dose) -> int:
    return DOSE_OUTCOMES.index(d.outcome)


def dose_advice(protocol: Protocol, patient: Patient, factors: dict[str, Any] | None = None) -> DoseAdvice:
    """The label's dose for this patient: the most restrictive dose entry that applies, with every reason.

    Adjusted doses from several entries that disagree (say a renal and an age adjustment) are all listed
    with ``conflict=True``: how they combine is the prescriber's decision, not jakplan's.
    """
    applies: list[Dose] = []
    possible: list[DoseLine] = []
    open_standard: list[DoseLine] = []
    for d in protocol.doses:
        ok, _, open_conds = match(d.indications, d.conditions, patient, factors)
        if not ok:
            continue
        if open_conds:
            (open_standard if d.outcome == "standard" else possible).append(DoseLine(d, open_conds))
            continue
        applies.append(d)
    check, check_open = [], []
    for u in protocol.unverified:
        if not u.dose:
            continue
        ok, _, open_conds = match(u.indications, u.conditions, patient, factors)
        if ok:
            (check_open.append((u, open_conds)) if open_conds else check.append(u))
    if not applies:
        return DoseAdvice("check_label" if check else "unknown", "", (), tuple(possible + open_standard),
                          check_label=tuple(check), check_label_possible=tuple(check_open))
    top = max(_rank(d) for d in applies)
    chosen = [d for d in applies if _rank(d) == top]
    outcome = DOSE_OUTCOMES[top]
    doses = list(dict.fromkeys(d.dose for d in chosen if d.dose))
    dose = " / ".join(doses) if outcome in ("standard", "adjusted") else ""
    if check and outcome in ("standard", "adjusted"):
        # an unverified point decides this patient's dose: no number, "check the current label"
        outcome, dose = "check_label", ""
    # an open entry only matters if it is at least as restrictive as what already applies
    possible = [p for p in possible if _rank(p.entry) >= top and p.entry not in chosen]
    return DoseAdvice(outcome, dose, tuple(DoseLine(d) for d in chosen), tuple(possible),
                      conflict=len(doses) > 1, check_label=tuple(check), check_label_possible=tuple(check_open))


def risk_notes(protocol: Protocol, patient: Patient, factors: dict[str, Any] | None = None) -> tuple[RiskNote, ...]:
    """Risk notes that apply to the patient, then those that may apply (a factor not given)."""
    sure, maybe = [], []
    for r in protocol.risks:
        ok, _, open_conds = match(r.indications, r.conditions, patient, factors)
        if ok:
            (maybe if open_conds else sure).append(RiskNote(r, open_conds))
    return tuple(sure + maybe)


def course_for(protocol: Protocol, patient: Patient) -> Course | None:
    for c in protocol.courses:
        if not c.indications or patient.indication in c.indications:
            return c
    return None


def unverified_for(protocol: Protocol, patient: Patient,
                   factors: dict[str, Any] | None = None) -> tuple[tuple[Unverified, tuple[str, ...]], ...]:
    """The protocol's unverified points that concern this patient, with any conditions left open."""
    out = []
    for u in protocol.unverified:
        ok, _, open_conds = match(u.indications, u.conditions, patient, factors)
        if ok:
            out.append((u, open_conds))
    return tuple(out)
