"""The plan as an HL7 FHIR R4 CarePlan, and a clinic's due checks as FHIR Tasks (plain JSON data; no FHIR
library needed to write it).

- one ``activity`` per planned event, and one per LOINC-coded test in it: ``detail.kind`` ServiceRequest
  (screening, lab) or Appointment (review, milestone), ``detail.scheduledTiming`` the planned date (``event``)
  inside its window (``repeat.boundsPeriod``). A test with LOINC order codes in ``jakplan/data/loinc.toml``
  [orders] gets an activity of its own per code, ``detail.code`` holding the LOINC coding (id
  ``<rule>-<occurrence>-<LOINC>``); what is left of the event (questions, assessments, tests without a
  verified code) stays in the activity ``<rule>-<occurrence>`` with ``detail.code.text`` the rule's title.
  The ids are stable so a receiver can match re-imports;
- ``detail.status`` is "scheduled" for a plan, or, given a tracking status (a plan file on a day), what was
  done: completed, scheduled (due or upcoming), not-started (overdue), on-hold (paused) or cancelled (missed
  because a later check replaced it, waived or not applicable, with the recorded reason), with ``statusReason``
  in words;
- every cited source is a contained DocumentReference (``#src-<id>``) that the activities name in
  ``detail.reasonReference``; their URLs are also listed in ``instantiatesUri``;
- ``note`` carries the disclaimer, the protocol in force, the "check the current label" items and the tests
  that have no verified LOINC code.

:func:`tasks` turns the checks due or overdue on a day into Task resources (status ``requested``) and the
ones done into ``completed`` Tasks, each with the LOINC code of its test, the patient, the window
(``restriction.period``) and the CarePlan it is based on.

The tests validate the output with the ``fhir.resources`` R4B models (CarePlan and Task are the same in R4 and R4B).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from dataclasses import dataclass
from typing import Any

from jakplan.catalog.loinc import loinc_table
from jakplan.dates import plural
from jakplan.engine.tracking import Item, Status
from jakplan.model import Citation, Plan
from jakplan.render.common import (
    DISCLAIMER,
    check_label,
    dose_lines,
    drug_name,
    indication_name,
    planning_line,
    protocol_lines,
    risk_lines,
    unverified_lines,
)
from jakplan.render.jsontext import json_text
from jakplan.render.scores import score_observation
from jakplan.render.words import cite_full, item_note_text, open_texts, skip_text

KIND = {"screening": "ServiceRequest", "lab": "ServiceRequest", "review": "Appointment", "milestone": "Appointment"}
_ID_BAD = re.compile(r"[^A-Za-z0-9\-.]")


def fhir_id(text: str) -> str:
    """A FHIR resource id ([A-Za-z0-9-.], at most 64 characters) made from ``text``."""
    return _ID_BAD.sub("-", text)[:64] or "x"


LOINC = "http://loinc.org"
LOCAL_IDENTIFIER = "urn:jakplan:identifier"
"""The identifier system of a patient identifier whose system is not known (no clinic.toml [identifiers] system
matches its prefix): a local identifier, as written in the plan file."""
PLAN_FILE_SYSTEM = "urn:jakplan:plan-file"
"""The identifier system of a register's plan file name, used when the file gives no patient identifier."""
ACTIVITY_STATUS = {"done": "completed", "due": "scheduled", "upcoming": "scheduled", "overdue": "not-started",
                   "on_hold": "on-hold", "missed": "cancelled", "waived": "cancelled", "not_applicable": "cancelled"}
"""Tracking state -> CarePlan.activity.detail.status."""


@dataclass(frozen=True)
class _Row:
    """One planned occurrence of a rule: from the plan's events, or from a tracking status's items."""

    rule: str
    occurrence: int
    kind: str
    title: str
    checks: tuple[str, ...]
    citation: Citation
    date: dt.date
    window_start: dt.date
    window_end: dt.date
    relative: str
    extra: tuple[str, ...] = ()
    item: Item | None = None


def _rows(plan: Plan, status: Status | None) -> list[_Row]:
    events = {(ev.rule, ev.occurrence): ev for ev in plan.events}
    if status is None:
        return [_Row(ev.rule, ev.occurrence, ev.kind, ev.title, ev.checks, ev.citation, ev.date, ev.window_start,
                     ev.window_end, ev.relative, (*open_texts(ev.conditions), *ev.notes, *ev.patient_notes)) for ev in plan.events]
    out = []
    for it in sorted(status.items, key=lambda i: (i.date, i.rule, i.occurrence)):
        ev = events.get((it.rule, it.occurrence))
        try:
            checks = plan.protocol.rule(it.rule).checks
        except KeyError:
            checks = ev.checks if ev else ()
        extra = (*open_texts(ev.conditions), *ev.notes, *ev.patient_notes) if ev else ()
        out.append(_Row(it.rule, it.occurrence, it.kind, it.title, checks, it.citation, it.date, it.window_start,
                        it.window_end, it.relative, extra, it))
    return out


def coded_tests(checks: tuple[str, ...]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Split checks into LOINC-coded tests [(check, code, long name)] and the rest (in order)."""

    orders = loinc_table().orders
    coded: list[tuple[str, str, str]] = []
    rest: list[str] = []
    for c in checks:
        if c in orders:
            coded += [(c, code, name) for code, name in orders[c]]
        else:
            rest.append(c)
    return coded, rest


def _loinc_concept(check: str, code: str, name: str) -> dict[str, Any]:

    several = len(loinc_table().orders[check]) > 1
    return {"coding": [{"system": LOINC, "code": code, "display": name}],
            "text": f"{check_label(check)}: {name.split(' [')[0]}" if several else check_label(check)}


def _state_text(it: Item) -> str:
    if it.state == "done":
        late = f", {plural(it.days_late, 'day')} after the window closed" if it.days_late else ""
        return f"done on {it.done_on.isoformat() if it.done_on else '?'}{late}"
    if it.state == "overdue":
        return f"overdue by {plural(it.days_late, 'day')} (window closed {it.window_end.isoformat()})"
    if it.state == "due":
        return f"due now (window {it.window_start.isoformat()} to {it.window_end.isoformat()})"
    if it.state == "on_hold":
        return "on hold while treatment is paused"
    if it.state in ("waived", "not_applicable"):
        return item_note_text(it) or it.state.replace("_", " ")
    if it.state == "missed":
        return "missed: a later check of the same kind replaced it" + (f" ({item_note_text(it)})" if it.notes else "")
    return f"upcoming on {it.date.isoformat()}"


def _activity_detail(row: _Row, code: dict[str, Any], desc: str, kind: str, extra: str, when: str) -> dict[str, Any]:
    """One activity's ``detail`` for ``row``: its code, words, dates, source and (tracked) status."""
    src = row.citation.source
    d: dict[str, Any] = {
        "kind": kind,
        "code": code,
        "status": "scheduled",
        "description": f"{desc}{extra} {when}",
        "scheduledTiming": {
            "event": [row.date.isoformat()],
            "repeat": {"boundsPeriod": {"start": row.window_start.isoformat(),
                                        "end": row.window_end.isoformat()}},
        },
        "reasonReference": [{"reference": f"#src-{fhir_id(src.id)}", "display": cite_full(row.citation)}],
    }
    if row.item is not None:
        d["status"] = ACTIVITY_STATUS[row.item.state]
        d["statusReason"] = {"text": _state_text(row.item)}
    if src.url:
        d["instantiatesUri"] = [src.url]
    return d


def _row_activities(row: _Row, table: Any, uncoded: dict[str, None]) -> list[dict[str, Any]]:
    """The activities of one row (the uncoded rest, then one per LOINC code); notes its uncoded tests."""
    coded, rest = coded_tests(row.checks)
    uncoded.update((c, None) for c in rest if c in table.uncoded)
    when = f"({row.relative}; window {row.window_start.isoformat()} to {row.window_end.isoformat()})"
    extra = (". " + " ".join(row.extra)) if row.extra else ""
    activities = []
    base = f"{row.rule}-{row.occurrence}"
    if rest or not coded:
        desc = "; ".join(check_label(c) for c in (rest if coded else row.checks))
        activities.append({"id": base, "detail": _activity_detail(row, {"text": row.title}, desc, KIND[row.kind],
                                                                  extra, when)})
    for check, code, name in coded:
        activities.append({"id": f"{base}-{code}", "detail": _activity_detail(
            row, _loinc_concept(check, code, name), f"{row.title}: {check_label(check)}", "ServiceRequest",
            extra, when)})
    return activities


def _contained_sources(sources: dict[str, Any]) -> list[dict[str, Any]]:
    """Each cited source as a contained DocumentReference."""
    contained = []
    for sid, src in sources.items():
        doc: dict[str, Any] = {
            "resourceType": "DocumentReference",
            "id": f"src-{fhir_id(sid)}",
            "status": "current",
            "description": f"[{sid}] {src.document}" + (" " + src.grade_note() if src.grade_note() else ""),
            "content": [{"attachment": {"title": src.document, **({"url": src.url} if src.url else {})}}],
        }
        contained.append(doc)
    return contained


def _careplan_notes(plan: Plan, table: Any, uncoded: dict[str, None]) -> list[str]:
    """The CarePlan's notes: disclaimer, protocol, doses and risks, unverified items, skips, uncoded tests."""
    notes = [DISCLAIMER, *[ln.strip() for ln in protocol_lines(plan)], planning_line(plan)]
    notes += [ln.strip() for ln in dose_lines(plan) + risk_lines(plan)]
    notes += unverified_lines(plan)
    notes += [f"Not applicable: {s.rule} ({skip_text(s)})" for s in plan.skipped]
    notes += [f"No LOINC code on '{check_label(c)}': {table.uncoded[c]}." for c in uncoded]
    return notes


def _score_outcomes(status: Status, activities: list[dict[str, Any]], subject: dict[str, Any]) -> list[dict[str, Any]]:
    """Each score that answers a response milestone as a contained Observation, named by the outcomeReference
    of that milestone's activities."""

    out = []
    for v in status.responses:
        if v.current is None:
            continue
        obs_id = fhir_id(f"score-{v.rule}-{v.occurrence}")
        out.append(score_observation(v, obs_id, subject))
        for a in activities:
            if a["id"] == f"{v.rule}-{v.occurrence}" or a["id"].startswith(f"{v.rule}-{v.occurrence}-"):
                a.setdefault("outcomeReference", []).append({"reference": f"#{obs_id}"})
    return out


def patient_identifier(number: str, systems: dict[str, str] | None = None) -> dict[str, str]:
    """A FHIR Identifier for ``number``: the system of clinic.toml ``[identifiers] systems`` (URI = prefix) whose
    prefix starts it, with the prefix taken off ('CHI 1007965639' -> the CHI system, '1007965639'), else the
    local system :data:`LOCAL_IDENTIFIER` with the number as written."""
    squeezed = re.sub(r"\s+", "", number).upper()
    for uri, prefix in sorted((systems or {}).items(), key=lambda kv: -len(kv[1])):
        p = re.sub(r"\s+", "", prefix).upper()
        if p and squeezed.startswith(p) and len(squeezed) > len(p):
            value = re.sub(r"\s+", "", number)[len(p):].lstrip(":-#")
            return {"system": uri, "value": value}
    return {"system": LOCAL_IDENTIFIER, "value": number}


def subject_of(plan: Plan, patient: str | None = None, systems: dict[str, str] | None = None) -> dict[str, Any]:
    """The CarePlan's subject: the patient's name (or identifier, or ``patient``) as display, and an identifier
    with a system: the plan's patient identifier, else ``patient`` (a register's plan file name)."""
    ident = getattr(plan, "identity", None)
    name = (getattr(ident, "name", "") or "") if ident else ""
    number = (getattr(ident, "identifier", "") or "") if ident else ""
    subject: dict[str, Any] = {"display": name or number or patient or "the patient this plan was made for"}
    if number:
        subject["identifier"] = patient_identifier(number, systems)
    elif patient:
        subject["identifier"] = {"system": PLAN_FILE_SYSTEM, "value": patient}
    return subject


def careplan(plan: Plan, patient: str | None = None, status: Status | None = None,
             systems: dict[str, str] | None = None) -> dict[str, Any]:
    """The plan as a FHIR R4 CarePlan resource (a JSON-ready dict). ``patient`` names the subject.

    With ``status`` (:func:`jakplan.engine.tracking.track` of this plan), each activity's status says what was
    done, and its dates are the tracked ones (moved by pauses). ``systems``: clinic.toml identifier systems
    (URI = prefix) for the subject's identifier."""
    p = plan.protocol
    title = f"{drug_name(plan)} monitoring plan: {indication_name(plan)}"
    sources: dict[str, Any] = {}
    activities = []
    uncoded: dict[str, None] = {}

    table = loinc_table()
    for row in _rows(plan, status):
        src = row.citation.source
        sources.setdefault(src.id, src)
        activities += _row_activities(row, table, uncoded)

    contained = _contained_sources(sources)
    notes = _careplan_notes(plan, table, uncoded)
    subject = subject_of(plan, patient, systems)
    if status is not None:
        contained += _score_outcomes(status, activities, subject)
    out: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": fhir_id(f"jakplan-{patient or plan.drug}-{p.id}-{plan.start.isoformat()}"),
        "text": {
            "status": "generated",
            "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>'
            + html.escape(f"{title}. First dose {plan.start.isoformat()}; protocol {p.drug}/{p.id}.")
            + "</p><p>" + html.escape(DISCLAIMER) + "</p></div>",
        },
        "contained": contained,
        "instantiatesUri": list(dict.fromkeys(s.url for s in sources.values() if s.url)),
        "status": "active",
        "intent": "plan",
        "category": [{"text": "Medication monitoring plan"}],
        "title": title,
        "description": f"{drug_name(plan)} for {indication_name(plan).lower()}, protocol {p.drug}/{p.id} "
        f"({p.title}), first dose {plan.start.isoformat()}. {DISCLAIMER}",
        "subject": subject,
        "period": {"start": plan.start.isoformat(), "end": plan.end.isoformat()},
        "activity": activities,
        "note": [{"text": n} for n in notes],
    }
    return out


def careplan_json(plan: Plan, patient: str | None = None, status: Status | None = None,
                  systems: dict[str, str] | None = None) -> str:

    return json_text(careplan(plan, patient, status, systems))


def _task_id(text: str) -> str:
    """A resource id for a Task: :func:`fhir_id`, with a digest of the full text when it must be shortened."""
    out = _ID_BAD.sub("-", text)
    if len(out) <= 64:
        return out

    return out[:51] + "-" + hashlib.sha1(text.encode()).hexdigest()[:12]


TASK_STATUS = {"overdue": "requested", "due": "requested", "done": "completed"}
"""Tracking state -> Task.status; other states (upcoming, on hold, missed) make no Task."""


def tasks(status: Status, patient: str, since: dt.date | None = None, until: dt.date | None = None) -> list[dict[str, Any]]:
    """The checks due or overdue on the status day as ``requested`` Tasks, and those done as ``completed``
    Tasks (done on or after ``since`` when given), one per LOINC-coded test (else one per check day).

    ``until``: also request the checks whose window opens by this day (the rest of a week's worklist)."""
    plan = status.plan
    cp_id = careplan(plan, patient)["id"]
    out = []
    for row in _rows(plan, status):
        it = row.item
        assert it is not None
        state = it.state
        if state == "upcoming" and until is not None and it.window_start <= until:
            state = "due"
        if state not in TASK_STATUS:
            continue
        if state == "done" and since is not None and (it.done_on is None or it.done_on < since):
            continue
        coded, rest = coded_tests(row.checks)
        parts: list[tuple[str, dict[str, Any], str]] = []
        if rest or not coded:
            parts.append(("", {"text": row.title}, "; ".join(check_label(c) for c in (rest if coded else row.checks))))
        parts += [(f"-{code}", _loinc_concept(check, code, name), check_label(check)) for check, code, name in coded]
        for suffix, code, what in parts:
            key = f"{row.rule}-{row.occurrence}{suffix}"
            task: dict[str, Any] = {
                "resourceType": "Task",
                "id": _task_id(f"{patient}-{key}"),
                "identifier": [{"system": "urn:jakplan:task", "value": f"{patient}/{key}"}],
                "basedOn": [{"reference": f"CarePlan/{cp_id}"}],
                "status": TASK_STATUS[state],
                "businessStatus": {"text": _state_text(it) if state == it.state else
                                   f"due this week (window {it.window_start.isoformat()} to {it.window_end.isoformat()})"},
                "intent": "plan",
                "priority": "urgent" if state == "overdue" else "routine",
                "code": code,
                "description": f"{row.title}: {what} ({row.relative})",
                "for": {"identifier": {"value": patient}, "display": patient},
                "restriction": {"period": {"start": it.window_start.isoformat(), "end": it.window_end.isoformat()}},
                "reasonCode": {"text": cite_full(row.citation)},
                "note": [{"text": DISCLAIMER}],
            }
            if state == "done" and it.done_on:
                task["executionPeriod"] = {"start": it.done_on.isoformat(), "end": it.done_on.isoformat()}
            out.append(task)
    return out


def task_bundle(status: Status, patient: str, since: dt.date | None = None, until: dt.date | None = None) -> dict[str, Any]:
    """:func:`tasks` as a FHIR ``collection`` Bundle."""
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": t} for t in tasks(status, patient, since, until)]}
