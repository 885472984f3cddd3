"""The rule engine: a pure function from (protocol, patient, start date, horizon) to ordered events.

No I/O and no printing happen here; load a protocol with :mod:`jakplan.catalog.loader` and render the plan
with :mod:`jakplan.render`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta

from jakplan.engine.conditions import check_condition, effective_factors, match
from jakplan.engine.dosing import course_for, dose_advice, risk_notes, unverified_for
from jakplan.errors import JakplanError
from jakplan.model import Event, Patient, Plan, Protocol, Rule
from jakplan.engine.timing import Occurrence, occurrences, relative_label, shift

MAX_MONTHS = 120

__all__ = ["build_plan", "applicability", "check_condition", "horizon_end", "MAX_MONTHS"]


def applicability(rule: Rule, patient: Patient, factors: dict[str, Any] | None = None) -> tuple[bool, str, tuple[str, ...]]:
    """(applies, reason if not, conditions left open because the patient factor was not given)."""
    return match(rule.indications, rule.conditions, patient, factors)


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
    factors = effective_factors(patient.factors, start)
    course = course_for(protocol, patient)
    course_end = shift(start, course.length) - dt.timedelta(days=1) if course else None
    last_day = min(end, course_end) if course_end else end
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
        ok, why, open_conds = applicability(rule, patient, factors)
        if ok and open_conds and rule.if_unknown == "skip":
            ok, why = False, "; ".join(open_conds)
        if not ok:
            skipped.append((rule.id, why))
            continue
        if rule.timing.type == "each_visit":
            deferred.append((rule, open_conds))
            continue
        for occ in occurrences(rule.timing, start, last_day, protocol.planning):
            events.append(make(rule, occ, open_conds))

    if course and course_end is not None and course_end <= end:
        # a fixed course ends on its last day: one milestone event, made from the course entry itself
        rel = f"{relative_label(course.length)} (last day)"
        events.append(Event(
            date=course_end, window_start=course_end, window_end=course_end, kind="milestone", rule=course.id,
            title=course.text, checks=("course_end",), citation=course.citation, relative=rel,
            phase=_phase(protocol, start, course_end), origin=f"{protocol.drug}/{protocol.id}",
        ))

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
        patient=Patient(patient.indication, factors),
        dose=dose_advice(protocol, patient, factors),
        risks=risk_notes(protocol, patient, factors),
        course=course,
        course_end=course_end,
        unverified=unverified_for(protocol, patient, factors),
    )

