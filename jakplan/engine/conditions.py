"""Patient conditions (pure): does a rule, dose, risk note or course entry apply to this patient?

An entry applies when the patient's indication is among its indications (or it names none) and every
condition holds. A condition on a factor the patient did not give is left *open*: the entry is then shown as
"applies if ..." rather than silently applied or dropped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping, NamedTuple

from dateutil.relativedelta import relativedelta

from jakplan.catalog.medicines import medicine_classes
from jakplan.model import Condition, Patient


def age_on(born: dt.date, day: dt.date) -> int:
    """Whole years of age on ``day`` for someone born on ``born``."""
    return relativedelta(day, born).years


def effective_factors(factors: Mapping[str, Any], on: dt.date | None) -> dict[str, Any]:
    """The factors with ``age`` derived from ``born`` (at ``on``, the start date) when age is not given."""
    out = dict(factors)
    born = out.get("born")
    if out.get("age") is None and isinstance(born, dt.date) and on is not None:
        out["age"] = age_on(born, on)
    return out


def check_condition(cond: Condition, factors: Mapping[str, Any]) -> bool | None:
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


class Match(NamedTuple):
    """Whether an entry applies to a patient, as data (renderers word it).

    ``indications``: set when the entry is only for other indications; ``failed``: the condition the patient's
    factors do not meet; ``open``: conditions whose factor was not given (the entry applies *if* they hold).
    """

    applies: bool
    indications: tuple[str, ...] = ()
    failed: Condition | None = None
    open: tuple[Condition, ...] = ()


def match(indications: tuple[str, ...], conditions: tuple[Condition, ...], patient: Patient,
          factors: dict[str, Any] | None = None) -> Match:
    """Does an entry with these indications and conditions apply to the patient?"""
    if indications and patient.indication not in indications:
        return Match(False, indications=tuple(indications))
    facts = patient.factors if factors is None else factors
    open_conds = []
    for cond in conditions:
        ok = check_condition(cond, facts)
        if ok is False:
            return Match(False, failed=cond)
        if ok is None:
            open_conds.append(cond)
    return Match(True, open=tuple(open_conds))


def missing_factors(conditions: tuple[Condition, ...], factors: Mapping[str, Any]) -> list[str]:
    """Factors a set of conditions needs that the patient did not give."""
    return list(dict.fromkeys(c.factor for c in conditions if factors.get(c.factor) is None))
