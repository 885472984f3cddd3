"""`jakplan schedule`: the monitoring timeline for one patient and start date."""

from __future__ import annotations

from typing import Optional

import typer

from jakplan.actions.plans import schedule_view
from jakplan.cli.base import app
from jakplan.cli.common import clean_errors, format_enum, format_option, parse_date, show
from jakplan.cli.planopts import PlanOptions, with_plan_options
from jakplan.errors import JakplanError

ScheduleFormat = format_enum("schedule")


@app.command()
@with_plan_options
def schedule(
    plan_options: PlanOptions,
    fmt: ScheduleFormat = format_option("schedule"),  # type: ignore[valid-type]
    sources: bool = typer.Option(False, "--sources", help="Show each row's citation (the detailed view)."),
    details: bool = typer.Option(False, "--details", help="One row per rule with its title, checks and notes, and the "
                                 "dose and risk box in full (the default is one row per visit day)."),
    today: Optional[str] = typer.Option(None, "--today", help="Mark each visit day past, open, next (and overdue, "
                                        "from a plan file's records) on this day, YYYY-MM-DD."),
) -> None:
    """Print the monitoring timeline: one row per visit day with everything due that day in short words, the
    questions asked at every visit once above it, and the dose and risk notes in short (--details for all of it)."""
    with clean_errors():
        compact = fmt == "table" and not details and not sources
        if today is not None and not compact:
            raise JakplanError("--today marks the compact view: leave out --details, --sources and --format")
        day = parse_date(today, "--today") if today is not None else None
        view = schedule_view(plan_options.record(), plan_options.overrides(), day,
                             marks=compact and day is not None, tracked=fmt == "fhir")
        show("timeline" if compact else "schedule", fmt, plan=view.plan, today=day, marks=view.marks,
             status=view.status, sources=sources)
