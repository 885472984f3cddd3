"""The plan as an HL7 FHIR R4 CarePlan (plain JSON data; no FHIR library needed to write it).

- one ``activity`` per planned event: ``detail.kind`` ServiceRequest (screening, lab) or Appointment
  (review, milestone), ``detail.code.text`` the rule's title, ``detail.scheduledTiming`` the planned date
  (``event``) inside its window (``repeat.boundsPeriod``), ``detail.status`` "scheduled";
  the activity's element id is ``<rule>-<occurrence>`` so a receiver can match re-imports;
- every cited source is a contained DocumentReference (``#src-<id>``) that the activities name in
  ``detail.reasonReference``; their URLs are also listed in ``instantiatesUri``;
- ``note`` carries the disclaimer, the protocol in force and the "check the current label" items.

The tests validate the output with the ``fhir.resources`` R4B models (CarePlan is the same in R4 and R4B).
"""

from __future__ import annotations

from jakplan.render.words import cite_full, open_texts, skip_text

import html
import re
from typing import Any

from jakplan.model import Plan
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

KIND = {"screening": "ServiceRequest", "lab": "ServiceRequest", "review": "Appointment", "milestone": "Appointment"}
_ID_BAD = re.compile(r"[^A-Za-z0-9\-.]")


def fhir_id(text: str) -> str:
    """A FHIR resource id ([A-Za-z0-9-.], at most 64 characters) made from ``text``."""
    return _ID_BAD.sub("-", text)[:64] or "x"


def careplan(plan: Plan, patient: str | None = None) -> dict[str, Any]:
    """The plan as a FHIR R4 CarePlan resource (a JSON-ready dict). ``patient`` names the subject."""
    p = plan.protocol
    title = f"{drug_name(plan)} monitoring plan: {indication_name(plan)}"
    sources: dict[str, Any] = {}
    activities = []
    for ev in plan.events:
        src = ev.citation.source
        sources.setdefault(src.id, src)
        desc = "; ".join(check_label(c) for c in ev.checks)
        extra = [*open_texts(ev.conditions), *ev.notes, *ev.patient_notes]
        if extra:
            desc += ". " + " ".join(extra)
        detail: dict[str, Any] = {
            "kind": KIND[ev.kind],
            "code": {"text": ev.title},
            "status": "scheduled",
            "description": f"{desc} ({ev.relative}; window {ev.window_start.isoformat()} to {ev.window_end.isoformat()})",
            "scheduledTiming": {
                "event": [ev.date.isoformat()],
                "repeat": {"boundsPeriod": {"start": ev.window_start.isoformat(), "end": ev.window_end.isoformat()}},
            },
            "reasonReference": [{"reference": f"#src-{fhir_id(src.id)}", "display": cite_full(ev.citation)}],
        }
        if src.url:
            detail["instantiatesUri"] = [src.url]
        activities.append({"id": f"{ev.rule}-{ev.occurrence}", "detail": detail})

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

    notes = [DISCLAIMER, *[ln.strip() for ln in protocol_lines(plan)], planning_line(plan)]
    notes += [ln.strip() for ln in dose_lines(plan) + risk_lines(plan)]
    notes += unverified_lines(plan)
    notes += [f"Not applicable: {s.rule} ({skip_text(s)})" for s in plan.skipped]
    subject: dict[str, Any] = {"display": patient or "the patient this plan was made for"}
    if patient:
        subject["identifier"] = {"value": patient}
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


def careplan_json(plan: Plan, patient: str | None = None) -> str:
    import json

    return json.dumps(careplan(plan, patient), indent=2, ensure_ascii=False)
