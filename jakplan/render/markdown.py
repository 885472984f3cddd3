"""The timeline as Markdown: a heading, the context lines, and one table per phase."""

from __future__ import annotations

from itertools import groupby

from jakplan.escape import markdown_table
from jakplan.escape import markdown_text as _md
from jakplan.model import Event, Plan
from jakplan.render.common import (
    DISCLAIMER,
    check_label,
    course_line,
    dose_view,
    drug_name,
    horizon_text,
    indication_name,
    patient_line,
    phase_titles,
    planning_line,
    protocol_lines,
    risk_lines,
    silence_lines,
    unverified_lines,
    window_text,
)
from jakplan.render.words import cite_full, open_texts


def _row(ev: Event, sources: bool) -> list[str]:
    row = [ev.date.isoformat(), window_text(ev), ev.relative, ev.kind, _what(ev),
           ", ".join(check_label(c) for c in ev.checks)]
    return row + ([cite_full(ev.citation)] if sources else [])


def _what(ev: Event) -> str:
    parts = [ev.title]
    parts += open_texts(ev.conditions)
    parts += ev.patient_notes
    return "; ".join(parts)


def render_markdown(plan: Plan, sources: bool = False) -> str:
    lines = [
        f"# {drug_name(plan)} monitoring plan: {indication_name(plan)}",
        "",
        f"- Start (first dose): {plan.start.isoformat()}; plan to {horizon_text(plan)}",
    ]
    # every line below carries text from the protocol file: escaped (no HTML, no new Markdown structure)
    if course_line(plan, sources):
        lines.append(f"- **{_md(course_line(plan, sources))}**")
    lines += [f"- {_md(ln.strip())}" for ln in protocol_lines(plan)]
    lines.append(f"- {_md(planning_line(plan))}")
    lines += [f"- {_md(ln)}" for ln in unverified_lines(plan) + silence_lines(plan, sources)]
    lines += ["", "## For this patient", "", f"- {_md(patient_line(plan))}"]
    view = dose_view(plan, sources)
    if view is not None:
        lines.append(f"- **{_md(view.headline)}**")
        for item in view.items:
            if item.text:
                lines.append(f"  - {_md(item.text)}")
            lines += [f"    - {_md(c.text)}" for c in item.children]
    lines += [f"- {_md(ln)}" for ln in risk_lines(plan, sources)]
    titles = phase_titles(plan)
    header = ["Date", "Window", "When", "Kind", "What", "Checks"] + (["Source"] if sources else [])

    for phase, events in groupby(plan.events, key=lambda ev: ev.phase):
        lines += ["", f"## {_md(titles.get(phase, phase))}", ""]
        lines += markdown_table(header, [_row(ev, sources) for ev in events])
    lines += ["", f"_{DISCLAIMER}_", ""]
    return "\n".join(lines)
