"""The rule engine: a pure function from (protocol, patient, start date, horizon) to ordered events.

No I/O and no printing happen here; load a protocol with :mod:`jakplan.protocols` and render the plan
with :mod:`jakplan.render`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta

from .errors import JakplanError
from .model import Condition, Event, Patient, Plan, Protocol, Rule
from .timing import Occurrence, occurrences, shift

MAX_MONTHS = 120


def check_condition(cond: Condition, factors: dict[str, Any]) -> bool | None:
    """True/False when the patient's factor is known, None when it is not given."""
    if factors.get(cond.factor) is None:
        return None
    val = factors[cond.factor]
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


def applicability(rule: Rule, patient: Patient) -> tuple[bool, str, tuple[str, ...]]:
    """(applies, reason if not, conditions left open because the patient factor was not given)."""
    if rule.indications and patient.indication not in rule.indications:
        return False, f"only for {', '.join(rule.indications)}", ()
    open_conds = []
    for cond in rule.conditions:
        ok = check_condition(cond, patient.factors)
        if ok is False:
            return False, f"applies only if {cond.text()}", ()
        if ok is None:
            open_conds.append(f"applies if {cond.text()} ({cond.factor.replace('_', ' ')} not given)")
    return True, "", tuple(open_conds)


def _phase(protocol: Protocol, start: dt.date, day: dt.date) -> str:
    phases = protocol.planning.phases
    for ph in phases:
        if ph.before_start:
            if day < start:
                return ph.id
            continue
        if ph.until is None or day <= shift(start, ph.until):
            return ph.id
    return phases[-1].id if phases else ""


def horizon_end(start: dt.date, months: int) -> dt.date:
    return start + relativedelta(months=months)


def build_plan(protocol: Protocol, patient: Patient, start: dt.date, months: int = 12) -> Plan:
    """Every event of ``protocol`` for ``patient`` from ``start`` (screening before it) to ``months`` after.

    Events are sorted by date, then kind (screening, lab, review, milestone), then rule id.
    Each event's date lies inside [window_start, window_end]; only screening events fall before ``start``.
    """
    if protocol.fragment:
        raise JakplanError(f"protocol '{protocol.id}' is a fragment for other protocols to include, not a plan")
    if not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        raise JakplanError(f"months must be a whole number from 1 to {MAX_MONTHS}, not {months!r}")
    if protocol.indications and patient.indication not in protocol.indications:
        raise JakplanError(
            f"protocol '{protocol.id}' for {protocol.drug} does not cover indication '{patient.indication}'; "
            f"it covers: {', '.join(protocol.indications)}"
        )
    end = horizon_end(start, months)
    events: list[Event] = []
    skipped: list[tuple[str, str]] = []
    deferred: list[tuple[Rule, tuple[str, ...]]] = []

    def make(rule: Rule, occ, open_conds) -> Event:
        return Event(
            date=occ.date,
            window_start=occ.window_start,
            window_end=occ.window_end,
            kind=rule.kind,
            rule=rule.id,
            title=rule.title,
            checks=rule.checks,
            citation=rule.citation,
            relative=occ.relative,
            phase=_phase(protocol, start, occ.date),
            occurrence=occ.n,
            notes=rule.notes,
            patient_notes=rule.patient_notes,
            conditions=open_conds,
            anchor=rule.anchor,
            origin=rule.origin,
        )

    for rule in protocol.rules:
        ok, why, open_conds = applicability(rule, patient)
        if not ok:
            skipped.append((rule.id, why))
            continue
        if rule.timing.type == "each_visit":
            deferred.append((rule, open_conds))
            continue
        for occ in occurrences(rule.timing, start, end, protocol.planning):
            events.append(make(rule, occ, open_conds))

    # each_visit rules ride on every in-treatment day that a lab check falls on.
    visits: dict[dt.date, Event] = {}
    for ev in sorted(events, key=lambda e: e.sort_key):
        if ev.kind == "lab" and ev.date >= start:
            visits.setdefault(ev.date, ev)
    for rule, open_conds in deferred:
        for n, (day, lab) in enumerate(sorted(visits.items()), start=1):
            occ = Occurrence(n, day, lab.window_start, lab.window_end, lab.relative)
            events.append(make(rule, occ, open_conds))

    events.sort(key=lambda e: e.sort_key)
    return Plan(
        drug=protocol.drug,
        indication=patient.indication,
        protocol=protocol,
        start=start,
        end=end,
        months=months,
        events=tuple(events),
        skipped=tuple(skipped),
    )

