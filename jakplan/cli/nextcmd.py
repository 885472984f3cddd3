"""`jakplan next`: one short block with the next visit, its window, what to do and prepare, and what is overdue."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from jakplan.cli.base import app
from jakplan.cli.common import EXIT_OVERDUE, clean_errors, write_stdout
from jakplan.cli.guard import echo_err
from jakplan.cli.planopts import PlanOptions, with_plan_options


class NextFormat(str, Enum):
    text = "text"
    json = "json"


@app.command(name="next")
@with_plan_options
def next_(
    plan_options: PlanOptions,
    file: Optional[str] = typer.Argument(None, metavar="FILE", help="A plan file (with its records) or a profile; same as --profile.", show_default=False),
    today: Optional[str] = typer.Option(None, "--today", help="Count from this day, YYYY-MM-DD (default: today)."),
    fmt: NextFormat = typer.Option(NextFormat.text, "--format", help="text or json."),
) -> None:
    """The next visit, its window, what to do and to prepare (fasting), and anything overdue. From a plan file
    the records say what is overdue; exits 1 when something is."""
    with clean_errors():
        import datetime as dt

        from jakplan.cli.common import parse_date
        from jakplan.errors import JakplanError
        from jakplan.render.nextvisit import next_answer, next_dict, next_from_status, next_lines

        if file is not None:
            if plan_options.values.get("profile"):
                raise JakplanError("give the file once: as FILE or with --profile")
            plan_options.values["profile"] = file
        day = parse_date(today, "--today") if today is not None else dt.date.today()
        record = plan_options.record()
        h = record.history
        if h.done or h.labs or h.pauses or h.scores:  # a plan file with records: they say what is done and overdue
            from pathlib import Path

            from jakplan.api import status_for_record

            ans = next_from_status(status_for_record(record, day, plan_options.overrides()), Path(record.where).name)
        else:
            ans = next_answer(plan_options.build(today=day), day)
        if fmt is NextFormat.json:
            import json

            write_stdout(json.dumps(next_dict(ans), indent=2, ensure_ascii=False))
        else:
            import shutil

            write_stdout("\n".join(next_lines(ans, shutil.get_terminal_size((80, 24)).columns)))
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
