"""`jakplan export`: the plan as an .ics calendar file, one all-day event per visit day."""

from __future__ import annotations

import datetime as dt
import re
from typing import Optional

import typer

from jakplan.actions.plans import calendar_inputs
from jakplan.cli.base import app
from jakplan.cli.common import clean_errors, write_stdout
from jakplan.cli.guard import echo_err
from jakplan.cli.planopts import PlanOptions, with_plan_options
from jakplan.dates import plural
from jakplan.errors import JakplanError
from jakplan.fileio import atomic_write, check_writable
from jakplan.render.ics import calendar_bytes, identity_label  # export's own module: icalendar is what it needs

_DURATION = re.compile(r"^\s*(\d{1,4})\s*([wdhm])\s*$", re.IGNORECASE)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
MAX_REMIND = dt.timedelta(weeks=8)


def parse_remind(value: str) -> dt.timedelta | None:
    """'2d', '36h', '90m', '1w' -> a timedelta; 'none' -> None. Anything else raises JakplanError."""
    if value.strip().lower() in ("none", "off", "no"):
        return None
    m = _DURATION.match(value)
    if not m:
        raise JakplanError(
            f"--remind '{value}' is not a duration; write a number and a unit (w, d, h or m), e.g. 2d or 36h, or 'none'"
        )
    delta = dt.timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})
    if delta > MAX_REMIND:
        raise JakplanError(f"--remind '{value}' is more than {MAX_REMIND.days // 7} weeks before the visit")
    return delta


@app.command()
@with_plan_options
def export(
    plan_options: PlanOptions,
    out: str = typer.Option(..., "--out", help="The .ics file to write, or - for standard output.", show_default=False),
    force: bool = typer.Option(False, "--force", help="Replace --out if it already exists."),
    remind: str = typer.Option(
        "15h",
        "--remind",
        help="Alarm this long before each visit day starts (local midnight): e.g. 15h = 09:00 the day before, "
        "2d, 36h, 1w; 'none' for no alarm. Some calendar services (Google Calendar, Outlook, some Android "
        "calendars) ignore alarms in imported files.",
    ),
    show_name: bool = typer.Option(False, "--show-name", help="Start each event's title with the patient's name "
                                   "and identifier from the profile (calendars are often shared: off by default)."),
    title_prefix: Optional[str] = typer.Option(None, "--title-prefix", help="Start each event's title with this "
                                               "text, e.g. initials.", show_default=False),
    clinic_days: str = typer.Option("mon-fri", "--clinic-days", metavar="DAYS",
                                    help="The days the clinic sees patients, e.g. mon-fri or tue,thu: a visit on "
                                    "another day names a clinic day inside its window."),
    previous_file: Optional[str] = typer.Option(
        None, "--previous", metavar="FILE", show_default=False,
        help="The calendar file exported before (default with --force: the --out file being replaced): events "
        "whose text changed get a higher SEQUENCE, and events that no longer exist are written as cancelled, so a "
        "calendar that imports the new file drops them."),
) -> None:
    """Write the plan as an iCalendar (.ics) file: one all-day event per visit day, with the checks due,
    preparation notes and sources. Import it into a calendar; re-importing the same plan updates its events
    (stable UIDs) instead of duplicating them."""
    with clean_errors():
        alarm = parse_remind(remind)
        if show_name and title_prefix is not None:
            raise JakplanError("give --show-name or --title-prefix, not both")
        if out != "-":
            check_writable(out, overwrite=force)  # refused before the plan is built
        cal = calendar_inputs(plan_options.record(), plan_options.overrides(), clinic_days=clinic_days,
                              previous_file=previous_file, replacing=out if out != "-" and force else None)
        prefix = title_prefix or ""
        if show_name:
            prefix = identity_label(cal.plan)
            if not prefix:
                raise JakplanError("--show-name: the profile gives no patient name or identifier "
                                   "([patient] name = ..., identifier = ...)")
        data = calendar_bytes(cal.plan, alarm, title_prefix=prefix, previous=cal.previous,
                              clinic_days=cal.clinic_days)
        if out == "-":
            write_stdout(data.decode("utf-8"))
            return
        path = atomic_write(out, data, overwrite=force)
        cancelled = data.count(b"STATUS:CANCELLED")
        echo_err(f"Wrote {path} ({plural(data.count(b'BEGIN:VEVENT') - cancelled, 'visit day')}"
                 + (f"; {plural(cancelled, 'earlier event')} cancelled" if cancelled else "") + ").")
