"""The timeline in the terminal, with rich: context lines, one table per phase, the disclaimer."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..model import Plan
from .common import (
    DISCLAIMER,
    check_label,
    drug_name,
    indication_name,
    phase_titles,
    planning_line,
    protocol_lines,
    window_text,
)

KIND_STYLE = {"screening": "magenta", "lab": "cyan", "review": "yellow", "milestone": "green"}


def render_terminal(plan: Plan, console: Console, sources: bool = False) -> None:
    console.print(
        Text(f"{drug_name(plan)} monitoring plan: {indication_name(plan)}", style="bold"),
    )
    console.print(f"Start (first dose) {plan.start.isoformat()}, plan to {plan.end.isoformat()} ({plan.months} months)")
    for ln in protocol_lines(plan):
        console.print(Text(ln))
    console.print(Text(planning_line(plan), style="dim"))
    for u in plan.protocol.unverified:
        console.print(Text(f"Check the current label: {u.topic}. {u.detail}", style="yellow"))

    titles = phase_titles(plan)
    groups: dict[str, list] = {}
    for ev in plan.events:
        groups.setdefault(ev.phase, []).append(ev)
    for phase, events in groups.items():
        table = Table(title=titles.get(phase, phase), title_justify="left", show_lines=False, expand=False)
        table.add_column("Date", no_wrap=True)
        table.add_column("Window", no_wrap=True)
        table.add_column("When", max_width=20)
        table.add_column("Kind")
        table.add_column("What")
        if sources:
            table.add_column("Source")
        for ev in events:
            what = Text(ev.title)
            what.append("\n" + "; ".join(check_label(c) for c in ev.checks), style="dim")
            for extra in ev.conditions + ev.patient_notes:
                what.append(f"\n! {extra}", style="yellow")
            row = [ev.date.isoformat(), window_text(ev), ev.relative, Text(ev.kind, style=KIND_STYLE.get(ev.kind, "")), what]
            if sources:
                row.append(ev.citation.text())
            table.add_row(*row)
        console.print(table)
    console.print(Text(DISCLAIMER, style="bold"))
