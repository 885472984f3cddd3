"""The rule engine: a pure function from (protocol, patient, start date, horizon) to ordered events.

No I/O and no printing happen here; load a protocol with :mod:`jakplan.catalog.loader` and render the plan
with :mod:`jakplan.render`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta

from jakplan.engine.conditions import Match, check_condition, effective_factors, match
from jakplan.engine.dosing import course_for, dose_advice, risk_notes, unverified_for
from jakplan.engine.renal import computed_factors
from jakplan.engine.timing import Occurrence, check_range, occurrences, pause_shift, relative_label, shift
from jakplan.engine.visits import merge_reviews
from jakplan.errors import JakplanError
from jakplan.model import Event, Patient, Plan, Protocol, Rule, Skip

MAX_MONTHS = 120

__all__ = ["build_plan", "applicability", "check_condition", "horizon_end", "MAX_MONTHS"]


def applicability(rule: Rule, patient: Patient, factors: dict[str, Any] | None = None) -> Match:
    """Does the rule apply to the patient (see :func:`jakplan.engine.conditions.match`)?"""
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


def _check_request(protocol: Protocol, patient: Patient, months: int) -> None:
    if protocol.fragment:
        raise JakplanError(f"protocol '{protocol.id}' is a fragment for other protocols to include, not a plan")
    if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= MAX_MONTHS:
        raise JakplanError(f"months must be a whole number from 1 to {MAX_MONTHS}, not {months!r}")
    if protocol.indications and patient.indication not in protocol.indications:
        raise JakplanError(
            f"protocol '{protocol.id}' for {protocol.drug} does not cover indication '{patient.indication}'; "
            f"it covers: {', '.join(protocol.indications)}"
        )


def _event(protocol: Protocol, start: dt.date, rule: Rule, occ: Occurrence, open_conds) -> Event:
    return Event(
        date=occ.date, window_start=occ.window_start, window_end=occ.window_end, kind=rule.kind, rule=rule.id,
        title=rule.title, checks=rule.checks, citation=rule.citation, relative=occ.relative,
        phase=_phase(protocol, start, occ.date), occurrence=occ.n, notes=rule.notes,
        patient_notes=rule.patient_notes, conditions=open_conds, anchor=rule.anchor, origin=rule.origin,
    )


def _course_end_event(protocol: Protocol, start: dt.date, course, course_end: dt.date) -> Event:
    """A fixed course ends on its last day: one milestone event, made from the course entry itself."""
    return Event(
        date=course_end, window_start=course_end, window_end=course_end, kind="milestone", rule=course.id,
        title=course.text, checks=("course_end",), citation=course.citation,
        relative=f"{relative_label(course.length)} (last day)", phase=_phase(protocol, start, course_end),
        origin=f"{protocol.drug}/{protocol.id}",
    )


def _visit_events(protocol: Protocol, start: dt.date, events: list[Event], deferred) -> list[Event]:
    """each_visit rules ride on every in-treatment day that a lab check falls on."""
    visits: dict[dt.date, Event] = {}
    for ev in sorted(events, key=lambda e: e.sort_key):
        if ev.kind == "lab" and ev.date >= start:
            visits.setdefault(ev.date, ev)
    out = []
    for rule, open_conds in deferred:
        for n, (day, lab) in enumerate(sorted(visits.items()), start=1):
            occ = Occurrence(n, day, lab.window_start, lab.window_end, lab.relative)
            out.append(_event(protocol, start, rule, occ, open_conds))
    return out


def with_pauses(events: list[Event], start: dt.date, pauses: tuple) -> list[Event]:
    """Treatment-time clock (a planning assumption the output states): an in-treatment event dated on or
    after the day a closed pause began moves later by the pause's length; from the first day of a pause with
    no restart recorded, events are on hold. Screening before the first dose never moves."""
    closed = tuple(p for p in pauses if p.end is not None)
    open_p = next((p for p in pauses if p.end is None), None)
    out = []
    for ev in events:
        if ev.date < start:
            out.append(ev)
            continue
        moved = pause_shift(ev.date, start, closed)
        if moved:
            d = dt.timedelta(days=moved)
            ev = ev._replace(date=ev.date + d, window_start=ev.window_start + d, window_end=ev.window_end + d,
                             planned=ev.date, shifted_days=moved)
        if open_p is not None and ev.date >= open_p.start:
            ev = ev._replace(on_hold=True)
        out.append(ev)
    return out


def build_plan(protocol: Protocol, patient: Patient, start: dt.date, months: int = 12, pauses: tuple = ()) -> Plan:
    """Every event of ``protocol`` for ``patient`` from ``start`` (screening before it) to ``months`` after.

    Events are sorted by date, then kind (screening, lab, review, milestone), then rule id. Each event's date
    lies inside [window_start, window_end]; only screening events fall before ``start``. A review whose window
    holds a lab visit is on that visit's day, and reviews of the same kind that can share a day do
    (:func:`jakplan.engine.visits.merge_reviews`; ``nominal`` keeps the date the timing gives). ``pauses`` (treatment
    interruptions) move later events by their length (see :func:`with_pauses`); the plan then ends that many
    days later too.
    """
    _check_request(protocol, patient, months)
    check_range(start, months)
    end = horizon_end(start, months)
    factors, derived = computed_factors(effective_factors(patient.factors, start))
    course = course_for(protocol, patient)
    course_end = shift(start, course.length) - dt.timedelta(days=1) if course else None
    last_day = min(end, course_end) if course_end else end
    events: list[Event] = []
    skipped: list[Skip] = []
    deferred: list[tuple[Rule, tuple]] = []
    for rule in protocol.rules:
        m = applicability(rule, patient, factors)
        if m.applies and m.open and rule.if_unknown == "skip":
            m = m._replace(applies=False)
        if not m.applies:
            skipped.append(Skip(rule.id, m.indications, m.failed, m.open))
        elif rule.timing.type == "each_visit":
            deferred.append((rule, m.open))
        else:
            events += [_event(protocol, start, rule, occ, m.open)
                       for occ in occurrences(rule.timing, start, last_day, protocol.planning)]
    if course and course_end is not None and course_end <= end:
        events.append(_course_end_event(protocol, start, course, course_end))
    events += _visit_events(protocol, start, events, deferred)
    events = [ev._replace(phase=_phase(protocol, start, ev.date)) if ev.nominal else ev
              for ev in merge_reviews(events, start)]
    events = with_pauses(events, start, pauses)
    events.sort(key=lambda e: e.sort_key)
    paused = sum(p.days for p in pauses if p.end is not None)
    return Plan(
        drug=protocol.drug, indication=patient.indication, protocol=protocol, start=start,
        end=end + dt.timedelta(days=paused), months=months, events=tuple(events), skipped=tuple(skipped),
        patient=Patient(patient.indication, factors), dose=dose_advice(protocol, patient, factors),
        risks=risk_notes(protocol, patient, factors), course=course, course_end=course_end,
        unverified=unverified_for(protocol, patient, factors), pauses=tuple(pauses), derived=derived,
        silent=tuple(s for s in protocol.silent if not s.indications or patient.indication in s.indications),
    )
