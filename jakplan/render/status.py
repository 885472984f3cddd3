"""A plan file's status: the JSON contract of ``jakplan status --format json`` and the terminal view."""

from __future__ import annotations

from typing import Any

from jakplan.dates import plural
from jakplan.engine.tracking import Item, Status
from jakplan.engine.visits import weekday
from jakplan.render.common import (
    DISCLAIMER,
    check_label,
    derived_how,
    dose_dict,
    dose_view,
    drug_name,
    indication_name,
    silence_dicts,
    silence_summary,
)
from jakplan.render.grid import grid_lines
from jakplan.render.nextvisit import planned_pause_text, status_summary
from jakplan.render.scores import response_dict, response_text, shown
from jakplan.render.words import item_note_text, lab_action_text, not_assessed_line, status_note_text, unmatched_text

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
        "note": item_note_text(i),
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

    out["summary"] = status_summary(st)
    out["dose"] = dose_dict(plan)
    out["not_addressed_by_source"] = silence_dicts(plan)
    out["derived_factors"] = [{"factor": dv.name, "value": dv.value, "kind": dv.kind, "how": derived_how(dv),
                               "on": dv.on.isoformat() if dv.on else None} for dv in plan.derived]
    for key, _ in SECTIONS:
        out[key] = [item_dict(i) for i in section_items(st, key)]
    out["lab_actions"] = [
        {"on": a.on.isoformat(), "analyte": a.analyte, "value": a.value, "action": a.action, "tier": a.tier,
         "text": lab_action_text(a), "current": a.current,
         "laboratory": a.signal.as_dict() if a.signal is not None else None,
         "answered_on": a.answered_on.isoformat() if a.answered_on else None, "answered_by": a.answered_by or None,
         "decision": a.decision or None}
        for a in st.lab_actions if a.tier != "not_assessed"
    ]
    out["worst"] = st.worst or None
    out["not_assessed"] = st.not_assessed
    out["pauses"] = [
        {"from": p.start.isoformat(), "to": p.end.isoformat() if p.end else None, "reason": p.reason}
        for p in st.pauses
    ]
    out["planned_pauses"] = [
        {"from": p.start.isoformat(), "to": p.end.isoformat() if p.end else None, "reason": p.reason}
        for p in st.planned_pauses
    ]
    out["decisions"] = [{"on": d.on.isoformat(), "text": d.text, "note": d.note} for d in st.decisions]
    out["every_visit"] = [{"rule": r.id, "title": r.title, "checks": list(r.checks)} for r in st.visit_rules]
    out["unmatched"] = [{"rule": r, "on": d.isoformat(), "why": unmatched_text(why), "code": why}
                        for r, d, why in st.unmatched]
    out["notes"] = [status_note_text(n) for n in st.notes]
    out["responses"] = [response_dict(v) for v in st.responses]
    out["disclaimer"] = DISCLAIMER
    return out


def _when(i: Item) -> str:
    """The Date cell: the date, the date it was before a pause moved it, the window (month-day)."""
    s = f"{i.date.isoformat()} {weekday(i.date)}"
    if i.planned:
        s += f"\nwas {i.planned.isoformat()}"
    if i.window_start != i.window_end:
        s += f"\n{i.window_start.strftime('%m-%d')} to {i.window_end.strftime('%m-%d')}"
    return s


def render_status(st: Status, console, file: str = "", *, brief: bool = False, done: bool = False) -> None:
    """The terminal view, fitted to the console's width with no word cut (:mod:`jakplan.render.grid`).

    ``brief``: the summary, the dose, what needs action now (overdue, due, lab results) in one line each.
    ``done``: list every check recorded done (by default one line says how many and when the last was)."""
    from rich.text import Text

    _print_status_head(st, console, file)
    _print_lab_findings(st, console)
    if brief:
        for line, style in brief_lines(st):
            console.print(Text(line, style=style))
        console.print(Text(DISCLAIMER, style="bold"))
        return
    width = max(40, console.width)
    for key, title in SECTIONS:
        items = section_items(st, key)
        if not items:
            continue
        if key == "done" and not done:
            last = max((i.done_on for i in items if i.done_on), default=None)
            console.print(Text(f"{title}: {len(items)}" + (f", the last on {last.isoformat()}" if last else "")
                               + " (--done lists them)", style="bold"))
            continue
        lines = _done_grid(items, title, width) if key == "done" else _section_grid(items, key, title, width)
        console.print(Text(lines[0], style="bold"))
        style = "red" if key == "overdue" else ""
        for ln in lines[1:]:
            console.print(Text(ln, style=style), soft_wrap=True)
    _print_status_tail(st, console)
    console.print(Text(DISCLAIMER, style="bold"))


def brief_lines(st: Status) -> list[tuple[str, str]]:
    """``status --brief``: one line per check overdue or due, and the lab results that call for action now."""
    out: list[tuple[str, str]] = []
    for i in section_items(st, "overdue"):
        out.append((f"Overdue: {i.date.isoformat()} {i.rule}: {i.title} ({plural(i.days_late, 'day')} late)", "bold red"))
    for i in section_items(st, "due"):
        out.append((f"Due now: {i.date.isoformat()} {i.rule}: {i.title} (window to {i.window_end.isoformat()})", ""))
    return out


def _print_status_head(st: Status, console, file: str) -> None:
    """The title, the summary, the start and protocol line, the dose on the status day and the notes."""
    from rich.text import Text

    plan = st.plan
    head = f"{drug_name(plan)} monitoring plan: {indication_name(plan)}"
    console.print(Text(head + (f" ({file})" if file else ""), style="bold"))

    console.print(Text(status_summary(st), style="bold"))
    console.print(f"Start {plan.start.isoformat()}, protocol {plan.drug}/{plan.protocol.id}; status on {st.today.isoformat()}")
    view = dose_view(plan)
    if view is not None:  # the dose on the status day: a recorded eGFR, creatinine clearance or weight changes it
        console.print(Text(view.headline, style="bold" if view.settled else "bold yellow"))
        for item in view.of("derived"):  # a recorded or computed value behind the dose
            console.print(Text(f"  {item.text}", style="dim"))
    for note in st.notes:
        console.print(Text(status_note_text(note), style="yellow"))

    for p in st.planned_pauses:
        console.print(Text(planned_pause_text(p), style="yellow"))
    if silence_summary(plan):
        console.print(Text(silence_summary(plan), style="dim"))
    for v in shown(st.responses):
        console.print(Text(response_text(v), style="bold red" if v.needs_action else "yellow" if v.state == "due" else ""))


def _print_lab_findings(st: Status, console) -> None:
    """The latest lab results that need action, then those the laboratory flagged (the protocol gives no limit),
    then one line naming the analytes nothing judged: right under the summary, before any check."""
    from rich.text import Text

    current = [a for a in st.lab_actions if a.current and a.tier != "not_assessed"]
    for tier, title, style in (("action", "Lab results that need action (a protocol limit is crossed):", "bold red"),
                               ("flag", "Lab results the laboratory flagged (no limit in this protocol):", "bold yellow")):
        found = [a for a in current if a.tier == tier]
        if found:
            console.print(Text(title, style="bold"))
            for a in found:
                answered = _answer_text(a)
                console.print(Text(f"  {lab_action_text(a)}{answered}", style="dim" if answered else style))
    if st.not_assessed:

        console.print(Text(not_assessed_line(st.not_assessed), style="dim"))


def _answer_text(a) -> str:
    """' (answered: treatment paused from ...)' or ' (answered: decision on ...: continue ...)'; '' while open."""
    if a.answered_on is None:
        return ""
    if a.answered_by == "decision":
        return f" (answered: decision on {a.answered_on}: {a.decision})"
    return f" (answered: treatment paused from {a.answered_on})"


def _done_grid(items, title: str, width: int) -> list[str]:
    """The checks recorded done, as a table that fits ``width`` (the title first)."""

    rows = [[i.done_on.isoformat() if i.done_on else "", i.rule, i.title,
             f"{i.date.isoformat()} ({i.relative})" + (f"; {item_note_text(i)}" if i.notes else "")] for i in items]
    return [f"{title}: {len(items)}"] + grid_lines(["Done on", "Check", "What", "Planned"], rows, width, nowrap=(0, 1))


def _section_grid(items, key: str, title: str, width: int) -> list[str]:
    """One status section other than done (overdue, due, on hold, next, missed, waived), fitted to ``width``."""

    rows = []
    for i in items:
        if key == "overdue":
            state = f"{plural(i.days_late, 'day')} late (window closed {i.window_end.isoformat()})"
        elif key == "waived":
            state = item_note_text(i)
        else:
            state = item_note_text(i) or i.state.replace("_", " ")
        rows.append([_when(i), i.rule, f"{i.title} ({i.relative}; counted from {i.anchor_text})", state])
    return [f"{title}: {len(items)}"] + grid_lines(["Date", "Check", "What", "Status"], rows, width, nowrap=(0, 1))


def _print_status_tail(st: Status, console) -> None:
    """Lab results that call for action, the every-visit checks and records that matched no check."""
    from rich.text import Text

    earlier = [a for a in st.lab_actions if a.tier != "not_assessed" and not a.current]
    if earlier:
        console.print(Text("Earlier lab results that crossed a limit or that the laboratory flagged:", style="bold"))
        for a in earlier:
            console.print(Text(f"  {a.on.isoformat()}: {lab_action_text(a)}", style="dim"))
    if st.visit_rules:
        for r in st.visit_rules:
            console.print(Text(f"At every visit: {r.title}: " + "; ".join(check_label(c) for c in r.checks), style="dim"))
    for rule, day, why in st.unmatched:
        console.print(Text(f"Recorded {rule} on {day.isoformat()}: {unmatched_text(why)}", style="yellow"))
