"""Use cases that show one patient's plan (`schedule`, `next`, `checklist`, `export`): the plan through the one path
(:func:`jakplan.api.plan_for_record`) and, from a plan file with records, what they say on a day.

The results are typed NamedTuples, not dataclasses: this module is on `schedule`'s start-up path, and a frozen
dataclass costs about 0.35 ms to create at import (bench/bench_startup.py), a NamedTuple about 0.05 ms."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, NamedTuple

from jakplan.actions import clinic_days_from_text, next_visit, visit_on, week_day
from jakplan.api import plan_for_record, status_for_record
from jakplan.dates import clock_today
from jakplan.engine.visits import next_open_visit
from jakplan.errors import JakplanError
from jakplan.fileio import read_bytes
from jakplan.model import Plan
from jakplan.records.patient import PatientRecord

NO_MARKS: tuple[frozenset, frozenset, frozenset] = (frozenset(), frozenset(), frozenset())


class ScheduleView(NamedTuple):
    plan: Plan
    marks: tuple[frozenset, frozenset, frozenset] = NO_MARKS
    """From a plan file's records on the day asked: the visit days with a check overdue, those with every check
    done, and those with a check missed (a later one replaces it)."""
    status: Any = None
    """The course tracked on the day the plan was made for (a CarePlan's activities say what was done)."""


def has_records(record: PatientRecord) -> bool:
    h = record.history
    return bool(h.done or h.labs or h.pauses)


def schedule_view(record: PatientRecord, over: dict[str, Any], day: dt.date | None = None, *,
                  marks: bool = False, tracked: bool = False) -> ScheduleView:
    """`jakplan schedule`: the plan (a patient named by a file is planned on ``day``, default today: a rolling
    horizon), with the marks of ``day`` (``marks``) or the course tracked today (``tracked``) from its records."""
    plan = plan_for_record(record, over, today=(day or clock_today()) if record.where else None)
    if not has_records(record):
        return ScheduleView(plan)
    if marks and day is not None:
        return ScheduleView(plan, recorded_marks(record, over, day))
    if tracked:
        return ScheduleView(plan, status=status_for_record(record, clock_today(), over))
    return ScheduleView(plan)


def recorded_marks(record: PatientRecord, over: dict[str, Any], day: dt.date) -> tuple[frozenset, frozenset, frozenset]:
    st = status_for_record(record, day, over)
    overdue = frozenset(d for i in st.overdue for d in (i.date, i.planned) if d is not None)
    states: dict = {}
    for i in st.items:
        for d in {i.date, i.planned} - {None}:
            states.setdefault(d, set()).add(i.state)
    done = frozenset(d for d, s in states.items() if s == {"done"})
    missed = frozenset(d for d, s in states.items() if "missed" in s)
    return overdue, done, missed


class NextBasis(NamedTuple):
    """What `jakplan next` answers from: the status on the day (a plan file with records, which say what is done
    and overdue) or the plan alone."""

    day: dt.date
    status: Any = None
    plan: Plan | None = None
    source: str = ""


def next_basis(record: PatientRecord, over: dict[str, Any], day: dt.date) -> NextBasis:
    h = record.history
    if h.done or h.labs or h.pauses or h.scores:
        return NextBasis(day, status=status_for_record(record, day, over), source=Path(record.where).name)
    return NextBasis(day, plan=plan_for_record(record, over, today=day))


class ChosenVisit(NamedTuple):
    """`jakplan checklist`: the visit asked for (by ``--week``, ``--on`` or ``--next``) and on which ``day``;
    ``visit`` is None when nothing is due that day (``found`` then names the nearest visits)."""

    plan: Plan
    day: dt.date
    visit: Any
    found: Any = None
    """The :class:`jakplan.engine.visits.Lookup` for ``--week``/``--on`` (None for ``--next``)."""
    by_next: bool = False
    status: Any = None
    """A plan file's course (:class:`jakplan.engine.tracking.Status`) when it has records: the checklist leads
    with what they say (results beyond a limit, flags, a pause, what is overdue)."""


def course_status(record: PatientRecord, over: dict[str, Any], day: dt.date | None = None) -> Any:
    """A plan file's course on ``day`` (default today) when it has records (done, results, pauses, scores), else
    None: the checklist and the sheet then lead with what the records say and fill in what is done."""
    h = record.history
    if not (h.done or h.labs or h.pauses or h.scores):
        return None
    return status_for_record(record, day or clock_today(), over)


def checklist_visit(plan: Plan, *, week: int | None = None, on: dt.date | None = None,
                    next_from: dt.date | None = None, status: Any = None) -> ChosenVisit:
    """The visit of ``plan`` whose checklist is asked for: the next one open or to come on ``next_from``, or
    the one whose window holds week ``week``'s day or ``on``. With a plan file's course (``status``, see
    :func:`course_status`), ``--next`` is the next visit with a check still open, as `jakplan next` says."""
    if next_from is not None and status is not None:
        visit = next_open_visit(status)
        if visit is not None:
            return ChosenVisit(plan, status.today, visit, by_next=True, status=status)
    if next_from is not None:
        return ChosenVisit(plan, next_from, next_visit(plan, next_from), by_next=True, status=status)
    if week is not None:
        day, option = week_day(plan, week), f"--week {week}:"
    else:
        assert on is not None
        day, option = on, "--on"
    found = visit_on(plan, day, option)
    return ChosenVisit(plan, day, found.visit, found, status=status)


class CalendarInputs(NamedTuple):
    """`jakplan export`: the plan, the calendar exported before (its events' SEQUENCE and cancellations), and the
    clinic's days."""

    plan: Plan
    previous: bytes | None
    clinic_days: tuple[int, ...]


def calendar_inputs(record: PatientRecord, over: dict[str, Any], *, clinic_days: str = "mon-fri",
                    previous_file: str | None = None, replacing: str | None = None) -> CalendarInputs:
    """The plan (a patient named by a file: planned on today, a rolling horizon) and the calendar it replaces:
    ``previous_file`` when named (it must be an iCalendar file), else the file being replaced (``replacing``,
    with --force), if it can be read."""
    plan = plan_for_record(record, over, today=clock_today() if record.where else None)
    previous = None
    if previous_file is not None:  # named: it must be readable
        previous = read_bytes(previous_file)
        if b"BEGIN:VCALENDAR" not in previous[:4096]:
            raise JakplanError(f"--previous {previous_file}: not an iCalendar (.ics) file")
    elif replacing is not None:  # the export this one replaces: revised events get a higher SEQUENCE
        try:
            previous = read_bytes(replacing)
        except (OSError, JakplanError):
            previous = None
    return CalendarInputs(plan, previous, clinic_days_from_text(clinic_days, "--clinic-days"))
