"""`jakplan checklist`: what to do at one visit (tests, assessments, questions, thresholds, sources)."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from jakplan.cli.base import app
from jakplan.cli.common import EXIT_NOTHING_FOUND, clean_errors, make_console, write_stdout
from jakplan.cli.guard import echo_err
from jakplan.cli.planopts import PlanOptions, with_plan_options


class ChecklistFormat(str, Enum):
    terminal = "terminal"
    text = "text"
    markdown = "markdown"
    html = "html"


@app.command()
@with_plan_options
def checklist(
    plan_options: PlanOptions,
    week: Optional[int] = typer.Option(None, "--week", help="The visit N weeks after the first dose (0 = the first dose)."),
    on: Optional[str] = typer.Option(None, "--on", help="The visit whose window holds this date, YYYY-MM-DD."),
    next_: bool = typer.Option(False, "--next", help="The next visit whose window is open or still to come on --today."),
    today: Optional[str] = typer.Option(None, "--today", help="With --next: the day to count from (default: today)."),
    fmt: ChecklistFormat = typer.Option(
        ChecklistFormat.terminal, "--format", help="terminal (on screen), text, markdown or html (a print-ready page)."
    ),
    out: Optional[str] = typer.Option(None, "--out", help="Write the checklist to this file (- for standard output)."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it already exists."),
    strict: bool = typer.Option(False, "--strict", help="Exit 3 when nothing is due on the day asked for."),
) -> None:
    """Print the checklist for one visit: tests to take (with preparation), what to assess, questions to ask,
    the lab results that would change treatment, and the sources. Choose the visit with --week, --on or --next."""
    with clean_errors():
        if out == "-":
            out = None  # standard output, as with `export --out -`

        from jakplan.render import checklist as render

        _check_checklist_options(week, on, next_, today, fmt, out, force)
        plan = plan_options.build()
        st = _course(plan_options, today)
        chosen = _choose_visit(plan, week, on, next_, today, out, strict, st)
        if chosen is None:
            return
        visit, context = chosen
        cl = render.build_checklist(plan, visit, context, render.course_lead(st) if st is not None else ())
        _emit_checklist(cl, fmt, out, force)


def _check_checklist_options(week: Optional[int], on: Optional[str], next_: bool, today: Optional[str],
                             fmt: ChecklistFormat, out: Optional[str], force: bool) -> None:
    """Refuse option combinations `checklist` cannot act on, and an --out it must not write."""
    from jakplan.errors import JakplanError

    chosen = [name for name, given in (("--week", week is not None), ("--on", on is not None), ("--next", next_)) if given]
    if len(chosen) != 1:
        raise JakplanError("choose the visit with exactly one of --week N, --on YYYY-MM-DD or --next"
                           + (f" (got {' and '.join(chosen)})" if chosen else ""))
    if today is not None and not next_:
        raise JakplanError("--today goes with --next")
    if out is not None and fmt is ChecklistFormat.terminal:
        raise JakplanError("--out writes a file: choose --format text, markdown or html")
    if out is not None and out != "-":
        from jakplan.fileio import check_writable

        check_writable(out, overwrite=force)  # refused before the plan is built


def _course(plan_options: PlanOptions, today: Optional[str]):
    """A plan file's course on ``--today`` (default today) when it has records, else None: the checklist then
    leads with what they say, and --next skips what they record done."""
    from jakplan.api import status_for_record
    from jakplan.cli.common import parse_date
    from jakplan.dates import clock_today

    record = plan_options.record()
    h = record.history
    if not (h.done or h.labs or h.pauses or h.scores):
        return None
    day = parse_date(today, "--today") if today is not None else clock_today()
    return status_for_record(record, day, plan_options.overrides())


def _choose_visit(plan, week: Optional[int], on: Optional[str], next_: bool, today: Optional[str],
                  out: Optional[str], strict: bool, st=None):
    """(visit, context lines) for the visit asked for; None when nothing is due that day (after saying so).
    With a plan file's records (``st``), --next is the next visit with a check still open (as `jakplan next`)."""
    import datetime as dt

    from jakplan.actions import next_visit, visit_on, week_day
    from jakplan.cli.common import parse_date
    from jakplan.render import checklist as render

    context: tuple[str, ...] = ()
    if next_ and st is not None:
        from jakplan.render.nextvisit import next_from_status

        visit = next_from_status(st).visit
        if visit is not None:
            if visit.date < st.today:
                context = (f"On {st.today.isoformat()} this visit's window is open (planned {visit.date.isoformat()}).",)
            return visit, context
    if next_:
        day = parse_date(today, "--today") if today is not None else dt.date.today()
        visit = next_visit(plan, day)
        if visit.date < day:
            context = (f"On {day.isoformat()} this visit's window is open (planned {visit.date.isoformat()}).",)
        return visit, context
    if week is not None:
        day, option = week_day(plan, week), f"--week {week}:"
    else:
        day, option = parse_date(on or "", "--on"), "--on"
    found = visit_on(plan, day, option)
    if found.visit is None:
        write_stdout(render.nothing_due_text(found) + ("(Nothing was written.)" if out else ""))
        if strict:
            echo_err(f"nothing is due on {day.isoformat()} (--strict: exit {EXIT_NOTHING_FOUND})")
            raise typer.Exit(EXIT_NOTHING_FOUND)
        return None
    visit = found.visit
    context = render.window_context(day, visit, found.open_windows)
    return visit, context


def _emit_checklist(cl, fmt: ChecklistFormat, out: Optional[str], force: bool) -> None:
    """Show the checklist on screen, print it, or write it to --out."""
    from jakplan.render import checklist as render

    if fmt is ChecklistFormat.terminal:
        render.render_terminal(cl, make_console())
        return
    text = {
        ChecklistFormat.text: render.render_text,
        ChecklistFormat.markdown: render.render_markdown,
        ChecklistFormat.html: render.render_html,
    }[fmt](cl)
    if out is None:
        write_stdout(text)
        return
    from jakplan.fileio import atomic_write

    path = atomic_write(out, text, overwrite=force)
    echo_err(f"Wrote {path}.")
