"""`jakplan schedule`: the monitoring timeline for one patient and start date."""

from __future__ import annotations

from typing import Optional

import typer

from jakplan.cli.base import app
from jakplan.cli.common import Format, clean_errors, make_console, write_stdout
from jakplan.cli.planopts import PlanOptions, with_plan_options


@app.command()
@with_plan_options
def schedule(
    plan_options: PlanOptions,
    fmt: Format = typer.Option(Format.table, "--format", help="table (terminal), markdown, json or fhir (an HL7 FHIR R4 CarePlan)."),
    sources: bool = typer.Option(False, "--sources", help="Show each row's citation (the detailed view)."),
    details: bool = typer.Option(False, "--details", help="One row per rule with its title, checks and notes, and the "
                                 "dose and risk box in full (the default is one row per visit day)."),
    today: Optional[str] = typer.Option(None, "--today", help="Mark each visit day past, open, next (and overdue, "
                                        "from a plan file's records) on this day, YYYY-MM-DD."),
) -> None:
    """Print the monitoring timeline: one row per visit day with everything due that day in short words, the
    questions asked at every visit once above it, and the dose and risk notes in short (--details for all of it)."""
    with clean_errors():
        from jakplan.errors import JakplanError

        compact = fmt is Format.table and not details and not sources
        if today is not None and not compact:
            raise JakplanError("--today marks the compact view: leave out --details, --sources and --format")
        from jakplan.cli.common import parse_date

        day = parse_date(today, "--today") if today is not None else None
        plan = plan_options.build(today=day if plan_options.values.get("profile") else None)
        if compact:
            import shutil

            from jakplan.render.compact import compact_text

            overdue, done, missed = _recorded_days(plan_options, day) if day else (frozenset(),) * 3
            width = shutil.get_terminal_size((80, 24)).columns
            write_stdout(compact_text(plan, width=width, today=day, overdue=overdue, done=done, missed=missed))
        elif fmt is Format.json:
            import json

            from jakplan.render.common import plan_dict

            write_stdout(json.dumps(plan_dict(plan), indent=2, ensure_ascii=False))
        elif fmt is Format.fhir:
            from jakplan.render.fhir import careplan_json

            write_stdout(careplan_json(plan, status=_tracked(plan_options, plan)))
        elif fmt is Format.markdown:
            from jakplan.render.markdown import render_markdown

            write_stdout(render_markdown(plan, sources=sources))
        else:
            from jakplan.render.terminal import render_terminal

            render_terminal(plan, make_console(), sources=sources)


def _tracked(plan_options: PlanOptions, plan):
    """A plan file's course tracked on the day its plan was made for (so a CarePlan's activities say what was
    done), or None without records."""
    record = plan_options.record()
    h = record.history
    if not (h.done or h.labs or h.pauses):
        return None
    from jakplan.api import status_for_record
    from jakplan.dates import clock_today

    return status_for_record(record, clock_today(), plan_options.overrides())


def _recorded_days(plan_options: PlanOptions, day) -> tuple[frozenset, frozenset, frozenset]:
    """From a plan file's records on ``day``: the visit days with a check overdue, those with every check done,
    and those with a check missed (a later one replaces it); all empty without records."""
    record = plan_options.record()
    h = record.history
    if not (h.done or h.labs or h.pauses):
        return frozenset(), frozenset(), frozenset()
    from jakplan.api import status_for_record

    st = status_for_record(record, day, plan_options.overrides())
    overdue = frozenset(d for i in st.overdue for d in (i.date, i.planned) if d is not None)
    states: dict = {}
    for i in st.items:
        for d in {i.date, i.planned} - {None}:
            states.setdefault(d, set()).add(i.state)
    done = frozenset(d for d, s in states.items() if s == {"done"})
    missed = frozenset(d for d, s in states.items() if "missed" in s)
    return overdue, done, missed
