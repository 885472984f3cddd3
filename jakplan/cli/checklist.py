"""`jakplan checklist`: what to do at one visit (tests, assessments, questions, thresholds, sources)."""

from __future__ import annotations

from typing import Optional

import typer

from jakplan.actions.plans import checklist_visit, course_status
from jakplan.cli.base import app
from jakplan.cli.common import (
    EXIT_NOTHING_FOUND,
    clean_errors,
    format_enum,
    format_option,
    parse_date,
    show,
    write_stdout,
)
from jakplan.cli.guard import echo_err
from jakplan.cli.planopts import PlanOptions, with_plan_options
from jakplan.dates import clock_today
from jakplan.errors import JakplanError
from jakplan.fileio import atomic_write, check_writable
from jakplan.render.checklist import nothing_due_text
from jakplan.render.registry import render

ChecklistFormat = format_enum("checklist")


@app.command()
@with_plan_options
def checklist(
    plan_options: PlanOptions,
    week: Optional[int] = typer.Option(None, "--week", help="The visit N weeks after the first dose (0 = the first dose)."),
    on: Optional[str] = typer.Option(None, "--on", help="The visit whose window holds this date, YYYY-MM-DD."),
    next_: bool = typer.Option(False, "--next", help="The next visit whose window is open or still to come on --today."),
    today: Optional[str] = typer.Option(None, "--today", help="With --next: the day to count from (default: today)."),
    fmt: ChecklistFormat = format_option("checklist"),  # type: ignore[valid-type]
    out: Optional[str] = typer.Option(None, "--out", help="Write the checklist to this file (- for standard output)."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it already exists."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when nothing is due on the day asked for."),
) -> None:
    """Print the checklist for one visit: tests to take (with preparation), what to assess, questions to ask,
    the lab results that would change treatment, and the sources. Choose the visit with --week, --on or --next."""
    with clean_errors():
        if out == "-":
            out = None  # standard output, as with `export --out -`
        _check_checklist_options(week, on, next_, today, fmt, out, force)
        day = parse_date(today, "--today") if today is not None else clock_today()
        status = course_status(plan_options.record(), plan_options.overrides(), day)
        if next_:
            chosen = checklist_visit(plan_options.build(), next_from=day, status=status)
        else:
            chosen = checklist_visit(plan_options.build(), week=week,
                                     on=parse_date(on, "--on") if on is not None else None, status=status)
        if chosen.visit is None:
            write_stdout(nothing_due_text(chosen.found) + ("(Nothing was written.)" if out else ""))
            if strict:
                echo_err(f"nothing is due on {chosen.day.isoformat()} (--strict: exit {EXIT_NOTHING_FOUND})")
                raise typer.Exit(EXIT_NOTHING_FOUND)
            return
        if out is None:
            show("checklist", fmt, chosen=chosen)
            return
        path = atomic_write(out, render("checklist", fmt, chosen=chosen).text or "", overwrite=force)
        echo_err(f"Wrote {path}.")


def _check_checklist_options(week: Optional[int], on: Optional[str], next_: bool, today: Optional[str],
                             fmt, out: Optional[str], force: bool) -> None:
    """Refuse option combinations `checklist` cannot act on, and an --out it must not write."""
    chosen = [name for name, given in (("--week", week is not None), ("--on", on is not None), ("--next", next_)) if given]
    if len(chosen) != 1:
        raise JakplanError("choose the visit with exactly one of --week N, --on YYYY-MM-DD or --next"
                           + (f" (got {' and '.join(chosen)})" if chosen else ""))
    if today is not None and not next_:
        raise JakplanError("--today goes with --next")
    if out is not None and fmt == "terminal":
        raise JakplanError("--out writes a file: choose --format text, markdown or html")
    if out is not None and out != "-":
        check_writable(out, overwrite=force)  # refused before the plan is built
