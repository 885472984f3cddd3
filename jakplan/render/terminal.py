"""The timeline in the terminal, with rich: context lines, one table per phase, the disclaimer."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from jakplan.engine.visits import weekday
from jakplan.model import Plan
from jakplan.render.common import (
    DISCLAIMER,
    check_label,
    course_line,
    dose_lines,
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
from jakplan.render.grid import print_grid
from jakplan.render.words import cite_full, open_texts


def render_terminal(plan: Plan, console: Console, sources: bool = False) -> None:
    head = Text(f"{drug_name(plan)} monitoring plan: {indication_name(plan)}\n", style="bold")
    head.append(f"Start (first dose) {plan.start.isoformat()}, plan to {horizon_text(plan)}\n")
    if course_line(plan, sources):
        head.append(course_line(plan, sources) + "\n", style="bold")
    for ln in protocol_lines(plan):
        head.append(ln + "\n")
    head.rstrip()
    console.print(head)
    render_patient_block(plan, console, sources)
    notes = Text(planning_line(plan), style="dim")
    for ln in unverified_lines(plan) + silence_lines(plan, sources):
        notes.append("\n" + ln, style="yellow")
    console.print(notes)

    titles = phase_titles(plan)
    groups: dict[str, list] = {}
    for ev in plan.events:
        groups.setdefault(ev.phase, []).append(ev)

    for phase, events in groups.items():  # one table per phase, fitted to the terminal, no word cut
        heads = ["Date", "Window", "When", "Kind", "What"] + (["Source"] if sources else [])
        rows = []
        for ev in events:
            what = ev.title + "\n" + "; ".join(check_label(c) for c in ev.checks)
            for extra in (*open_texts(ev.conditions), *ev.patient_notes):
                what += f"\n! {extra}"
            row = [f"{ev.date.isoformat()} {weekday(ev.date)}", window_text(ev), ev.relative, ev.kind, what]
            if sources:
                row.append(cite_full(ev.citation))
            rows.append(row)
        print_grid(console, heads, rows, title=titles.get(phase, phase), nowrap=(0,))
    console.print(Text(DISCLAIMER, style="bold"))


def render_patient_block(plan: Plan, console: Console, sources: bool = False) -> None:
    """The dose for this patient (or why the drug is not recommended) and the risk notes, before the timeline."""
    from rich.panel import Panel

    body = Text()
    dl = dose_lines(plan, sources)
    verdict_style = "bold red" if plan.dose and plan.dose.outcome in ("not_recommended", "contraindicated",
                                                                       "check_label") else "bold"
    body.append(patient_line(plan) + "\n", style="dim")
    for i, ln in enumerate(dl):
        body.append(ln + "\n", style=verdict_style if i == 0 else "")
    for ln in risk_lines(plan, sources):
        body.append("! " + ln + "\n", style="yellow")
    body.rstrip()
    console.print(Panel(body, title="For this patient", title_align="left", expand=False))
