"""What every renderer shares: the disclaimer, names for codes, and the plan as plain data (JSON contract)."""

from __future__ import annotations

from typing import Any

from ..model import Event, Plan
from ..protocols import data_path, drugs, vocabulary

DISCLAIMER = "jakplan is a planning aid, not medical advice: the prescriber's instructions come first."


def drug_name(plan: Plan) -> str:
    return drugs().get(plan.drug, {}).get("name", plan.drug)


def indication_name(plan: Plan) -> str:
    return drugs().get(plan.drug, {}).get("indications", {}).get(plan.indication, plan.indication)


def check_label(code: str) -> str:
    return vocabulary()["checks"].get(code, {}).get("label", code)


def phase_titles(plan: Plan) -> dict[str, str]:
    return {ph.id: ph.title for ph in plan.protocol.planning.phases}


def window_text(ev: Event) -> str:
    if ev.window_start == ev.window_end:
        return ev.window_start.isoformat()
    return f"{ev.window_start.isoformat()} to {ev.window_end.isoformat()}"


def protocol_lines(plan: Plan) -> list[str]:
    """Which protocol variant is in force, and what it borrows from where (one line each)."""
    p = plan.protocol
    lines = [f"Protocol: {p.drug}/{p.id} - {p.title}" + (f" ({p.jurisdiction})" if p.jurisdiction else "")]
    if p.extends:
        lines.append(f"  extends {p.drug}/{p.extends}")
    for inc in p.includes:
        lines.append(f"  {', '.join(inc.rules)} from {inc.protocol}: {inc.why}")
    return lines


def planning_line(plan: Plan) -> str:
    pl = plan.protocol.planning
    return (
        f"Windows: +/- {pl.tolerance.label()} unless the source gives a range; screening opens "
        f"{pl.screening_lead.label()} before the first dose (planning assumptions, not label figures)."
    )


def protocol_file(plan: Plan) -> str:
    """The protocol's file: 'jakplan/data/...' for a shipped one (same on every machine), else as given."""
    path = plan.protocol.path
    root = str(data_path())
    if path.startswith(root):
        return "jakplan/data" + path[len(root):].replace("\\", "/")
    return path


def event_dict(ev: Event) -> dict[str, Any]:
    return {
        "date": ev.date.isoformat(),
        "window_start": ev.window_start.isoformat(),
        "window_end": ev.window_end.isoformat(),
        "kind": ev.kind,
        "rule": ev.rule,
        "title": ev.title,
        "checks": list(ev.checks),
        "source": ev.citation.as_dict(),
        "relative": ev.relative,
        "phase": ev.phase,
        "anchor": ev.anchor,
        "notes": list(ev.notes),
        "patient_notes": list(ev.patient_notes),
        "conditions": list(ev.conditions),
        "origin": ev.origin,
    }


def plan_dict(plan: Plan) -> dict[str, Any]:
    """The JSON contract of ``--format json``: start, drug, indication, protocol, events (+ context)."""
    p = plan.protocol
    return {
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "months": plan.months,
        "drug": plan.drug,
        "indication": plan.indication,
        "protocol": p.id,
        "protocol_detail": {
            "title": p.title,
            "jurisdiction": p.jurisdiction,
            "file": protocol_file(plan),
            "extends": p.extends,
            "borrowed": [{"protocol": i.protocol, "rules": list(i.rules), "why": i.why} for i in p.includes],
            "planning": planning_line(plan),
        },
        "check_current_label": [{"topic": u.topic, "detail": u.detail} for u in p.unverified],
        "not_applicable": [{"rule": r, "reason": why} for r, why in plan.skipped],
        "events": [event_dict(e) for e in plan.events],
        "disclaimer": DISCLAIMER,
    }
