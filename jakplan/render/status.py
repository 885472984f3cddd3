"""A plan file's status: the JSON contract of ``jakplan status --format json`` and the terminal view."""

from __future__ import annotations

from typing import Any

from jakplan.engine.tracking import Item, Status
from jakplan.render.common import (
    DISCLAIMER,
    check_label,
    dose_dict,
    dose_view,
    drug_name,
    indication_name,
    silence_dicts,
    silence_summary,
)
from jakplan.render.scores import response_dict, response_text, shown
from jakplan.render.words import lab_action_text

SECTIONS = (
    ("overdue", "Overdue"),
    ("due", "Due now (window open)"),
    ("on_hold", "On hold (treatment paused)"),
    ("next", "Next for each check"),
    ("done", "Done"),
    ("missed", "Missed (a later check replaces it)"),
    ("waived", "Closed by a decision (waived, or not applicable), with the reason"),
)


def item_dict(i: Item) -> dict[str, Any]:
    return {
        "rule": i.rule,
        "title": i.title,
        "kind": i.kind,
        "occurrence": i.occurrence,
        "state": i.state,
        "date": i.date.isoformat(),
        "window_start": i.window_start.isoformat(),
        "window_end": i.window_end.isoformat(),
        "relative": i.relative,
        "anchor": i.anchor,
        "anchor_date": i.anchor_date.isoformat(),
        "planned": i.planned.isoformat() if i.planned else None,
        "shifted_days": i.shifted_days,
        "done_on": i.done_on.isoformat() if i.done_on else None,
        "days_late": i.days_late,
        "note": i.note,
        "source": i.citation.as_dict(),
    }


def section_items(st: Status, key: str) -> list[Item]:
    if key == "next":
        return [i for i in st.next if i.state == "upcoming"]
    if key == "done":
        return st.done
    if key == "waived":
        return sorted(st.by_state("waived") + st.by_state("not_applicable"), key=lambda i: (i.date, i.rule))
    return st.by_state(key)


def status_dict(st: Status, file: str = "") -> dict[str, Any]:
    plan = st.plan
    out: dict[str, Any] = {
        "file": file,
        "today": st.today.isoformat(),
        "start": plan.start.isoformat(),
        "drug": plan.drug,
        "indication": plan.indication,
        "protocol": plan.protocol.id,
        "counts": {key: len(section_items(st, key)) for key, _ in SECTIONS},
    }
    from jakplan.render.nextvisit import status_summary

    out["summary"] = status_summary(st)
    out["dose"] = dose_dict(plan)
    out["not_addressed_by_source"] = silence_dicts(plan)
    out["derived_factors"] = [{"factor": dv.name, "value": dv.value, "kind": dv.kind, "how": dv.how,
                               "on": dv.on.isoformat() if dv.on else None} for dv in plan.derived]
    for key, _ in SECTIONS:
        out[key] = [item_dict(i) for i in section_items(st, key)]
    out["lab_actions"] = [
        {"on": a.on.isoformat(), "analyte": a.analyte, "value": a.value, "action": a.action, "text": lab_action_text(a),
         "current": a.current}
        for a in st.lab_actions
    ]
    out["pauses"] = [
        {"from": p.start.isoformat(), "to": p.end.isoformat() if p.end else None, "reason": p.reason}
        for p in st.pauses
    ]
    out["every_visit"] = [{"rule": r.id, "title": r.title, "checks": list(r.checks)} for r in st.visit_rules]
    out["unmatched"] = [{"rule": r, "on": d.isoformat(), "why": why} for r, d, why in st.unmatched]
    out["notes"] = list(st.notes)
    out["responses"] = [response_dict(v) for v in st.responses]
    out["disclaimer"] = DISCLAIMER
    return out


def _when(i: Item) -> str:
    s = i.date.isoformat()
    if i.planned:
        s += f"\n(was {i.planned.isoformat()})"
    return s + f"\nfrom {i.window_start.isoformat()}\nto {i.window_end.isoformat()}"


def render_status(st: Status, console, file: str = "") -> None:
    from rich.text import Text

    _print_status_head(st, console, file)
    for key, title in SECTIONS:
        items = section_items(st, key)
        if not items:
            continue
        console.print(_done_table(items, title) if key == "done" else _section_table(items, key, title))
    _print_status_tail(st, console)
    console.print(Text(DISCLAIMER, style="bold"))


def _print_status_head(st: Status, console, file: str) -> None:
    """The title, the summary, the start and protocol line, the dose on the status day and the notes."""
    from rich.text import Text

    plan = st.plan
    head = f"{drug_name(plan)} monitoring plan: {indication_name(plan)}"
    console.print(Text(head + (f" ({file})" if file else ""), style="bold"))
    from jakplan.render.nextvisit import status_summary

    console.print(Text(status_summary(st), style="bold"))
    console.print(f"Start {plan.start.isoformat()}, protocol {plan.drug}/{plan.protocol.id}; status on {st.today.isoformat()}")
    view = dose_view(plan)
    if view is not None:  # the dose on the status day: a recorded eGFR, creatinine clearance or weight changes it
        console.print(Text(view.headline, style="bold" if view.settled else "bold yellow"))
        for item in view.of("derived"):  # a recorded or computed value behind the dose
            console.print(Text(f"  {item.text}", style="dim"))
    for note in st.notes:
        console.print(Text(note, style="yellow"))
    if silence_summary(plan):
        console.print(Text(silence_summary(plan), style="dim"))
    for v in shown(st.responses):
        console.print(Text(response_text(v), style="bold red" if v.needs_action else "yellow" if v.state == "due" else ""))


def _done_table(items, title: str):
    """The table of checks recorded done."""
    from rich.table import Table

    table = Table(title=f"{title}: {len(items)}", title_justify="left")
    table.add_column("Done on", no_wrap=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("What")
    table.add_column("Planned")
    for i in items:
        planned = f"{i.date.isoformat()} ({i.relative})" + (f"\n{i.note}" if i.note else "")
        table.add_row(i.done_on.isoformat() if i.done_on else "", i.rule, i.title, planned)
    return table


def _section_table(items, key: str, title: str):
    """The table of one status section other than done (overdue, waived, due ...)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{title}: {len(items)}", title_justify="left")
    table.add_column("Date", no_wrap=True)
    table.add_column("Check", no_wrap=True)
    table.add_column("What")
    table.add_column("Counted from", min_width=16)
    table.add_column("Status")
    for i in items:
        if key == "overdue":
            state = Text(f"{i.days_late} days late (window closed {i.window_end.isoformat()})", style="bold red")
        elif key == "waived":
            state = Text(i.note)
        else:
            state = Text(i.note or i.state.replace("_", " "))
        table.add_row(_when(i), i.rule, i.title, f"{i.anchor_text}\n{i.relative}", state)
    return table


def _print_status_tail(st: Status, console) -> None:
    """Lab results that call for action, the every-visit checks and records that matched no check."""
    from rich.text import Text

    if st.lab_actions:
        console.print(Text("Lab results that call for action, or that this protocol gives no limit for:", style="bold"))
        for a in st.lab_actions:
            style = "bold red" if a.current else "dim"
            console.print(Text(f"  {a.on.isoformat()}: {lab_action_text(a)}" + ("" if a.current else " (earlier result)"), style=style))
    if st.visit_rules:
        for r in st.visit_rules:
            console.print(Text(f"At every visit: {r.title}: " + "; ".join(check_label(c) for c in r.checks), style="dim"))
    for rule, day, why in st.unmatched:
        console.print(Text(f"Recorded {rule} on {day.isoformat()}: {why}", style="yellow"))
