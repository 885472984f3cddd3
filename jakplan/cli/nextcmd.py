"""`jakplan next`: one short block with the next visit, its window, what to do and prepare, and what is overdue."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import typer

from jakplan.actions.plans import next_basis
from jakplan.cli.base import app
from jakplan.cli.common import EXIT_OVERDUE, clean_errors, format_enum, format_option, parse_date, show
from jakplan.cli.guard import echo_err
from jakplan.cli.planopts import PlanOptions, with_plan_options
from jakplan.render.nextvisit import next_answer_for

NextFormat = format_enum("next")


@app.command(name="next")
@with_plan_options
def next_(
    plan_options: PlanOptions,
    today: Optional[str] = typer.Option(None, "--today", help="Count from this day, YYYY-MM-DD (default: today)."),
    fmt: NextFormat = format_option("next"),  # type: ignore[valid-type]
) -> None:
    """The next visit, its window, what to do and to prepare (fasting), and anything overdue. From a plan file
    the records say what is overdue; exits 1 when something is."""
    with clean_errors():
        day = parse_date(today, "--today") if today is not None else dt.date.today()
        ans = next_answer_for(next_basis(plan_options.record(), plan_options.overrides(), day))
        show("next", fmt, answer=ans)
    if ans.actions:
        echo_err(f"a lab result needs action on {day.isoformat()}")
        raise typer.Exit(EXIT_OVERDUE)
    if ans.overdue:
        n = len(ans.overdue)
        echo_err(f"{n} check{'s' if n != 1 else ''} overdue on {day.isoformat()}")
        raise typer.Exit(EXIT_OVERDUE)
    if any(v.state == "not_met" for v in ans.responses):
        echo_err(f"a response criterion is not met on {day.isoformat()}")
        raise typer.Exit(EXIT_OVERDUE)
