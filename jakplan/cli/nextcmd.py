"""`jakplan next`: one short block with the next visit, its window, what to do and prepare, and what is overdue."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from jakplan.cli.base import app
from jakplan.cli.common import EXIT_OVERDUE, clean_errors, write_stdout
from jakplan.cli.planopts import PlanOptions, with_plan_options


class NextFormat(str, Enum):
    text = "text"
    json = "json"


@app.command(name="next")
@with_plan_options
def next_(
    plan_options: PlanOptions,
    file: Optional[str] = typer.Argument(None, help="A plan file (with its records) or a profile; same as --profile."),
    today: Optional[str] = typer.Option(None, "--today", help="Count from this day, YYYY-MM-DD (default: today)."),
    fmt: NextFormat = typer.Option(NextFormat.text, "--format", help="text or json."),
) -> None:
    """The next visit, its window, what to do and to prepare (fasting), and anything overdue. From a plan file
    the records say what is overdue; exits 1 when something is."""
    with clean_errors():
        import datetime as dt

        from jakplan.errors import JakplanError
        from jakplan.render.nextvisit import next_answer, next_dict, next_from_status, next_lines
        from jakplan.cli.common import parse_date

        if file is not None:
            if plan_options.values.get("profile"):
                raise JakplanError("give the file once: as FILE or with --profile")
            plan_options.values["profile"] = file
        day = parse_date(today, "--today") if today is not None else dt.date.today()
        ans = None
        path = plan_options.values.get("profile")
        if path and _is_plan_file_only(plan_options):
            from pathlib import Path

            from jakplan.records.planfile import load_planfile
            from jakplan.engine.tracking import status_for

            pf = load_planfile(path)
            h = pf.history
            if h.done or h.labs or h.pauses:
                ans = next_from_status(status_for(pf, day), Path(path).name)
        if ans is None:
            ans = next_answer(plan_options.build(), day)
        if fmt is NextFormat.json:
            import json

            write_stdout(json.dumps(next_dict(ans), indent=2, ensure_ascii=False))
        else:
            import shutil

            write_stdout("\n".join(next_lines(ans, shutil.get_terminal_size((80, 24)).columns)))
    if ans.overdue:
        n = len(ans.overdue)
        typer.echo(f"{n} check{'s' if n != 1 else ''} overdue on {day.isoformat()}", err=True)
        raise typer.Exit(EXIT_OVERDUE)


def _is_plan_file_only(plan_options: PlanOptions) -> bool:
    """True when only the file describes the plan (no option laid over it): its records then apply."""
    return all(v in (None, [], False) for k, v in plan_options.values.items() if k != "profile")
