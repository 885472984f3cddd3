"""Use cases of following a course with a plan file (`record`, `pause`, `resume`, `undo`): each changes the
plan file through :mod:`jakplan.records.planfile` and returns what happened as data; ``render/course.py``
words it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jakplan.actions import recorded_lab_actions, resolve_rule_ids
from jakplan.api import check_protocol_reference, factor_updates, plan_for_record, status_for_record
from jakplan.engine.tracking import lab_actions
from jakplan.errors import JakplanError
from jakplan.history import History, Pause
from jakplan.model import Plan, Skip
from jakplan.records.labvalues import parse_lab_item
from jakplan.records.patient import load_record
from jakplan.records.planfile import Removed, edit_planfile

URGENT = ("interrupt", "stop", "discontinue", "do_not_start")
"""Lab actions after which the prescriber is to be contacted."""


class RuleDoesNotApply(JakplanError):
    """`record --rule ID` for a check that is not in this patient's plan; ``render/course.error_text`` words
    why (the skip)."""

    def __init__(self, rule: str, skip: Skip):
        super().__init__(f"--rule '{rule}' does not apply to this patient")
        self.rule, self.skip = rule, skip


@dataclass(frozen=True)
class CheckEntry:
    """A check recorded: done on ``on``, or closed by a decision (``waived``, ``not_applicable``) with a reason."""

    rule: str
    on: dt.date
    outcome: str
    reason: str = ""


@dataclass(frozen=True)
class Recorded:
    """What `record` added to a plan file and what the protocol says about the lab values just recorded."""

    planfile: str
    checks: tuple[CheckEntry, ...] = ()
    lab_day: dt.date | None = None
    values: dict[str, float] = field(default_factory=dict)
    lab_actions: tuple[Any, ...] = ()
    """:class:`jakplan.engine.tracking.LabAction` of the values just recorded that call for something."""
    dose_factors: tuple[str, ...] = ()
    """Factors whose recorded value (measured on ``lab_day``) the dose advice now uses."""
    plan: Plan | None = None
    """The plan with the new values (for the dose advice they change)."""

    @property
    def urgent(self) -> bool:
        return any(a.action in URGENT for a in self.lab_actions)


def lab_values(items: list[str], alt_uln: str | None) -> dict[str, float]:
    """The ``--lab`` items as {analyte: value} through the one lab-value path (the same refusals as `jakplan
    labs`), refusing an analyte given twice."""
    values: dict[str, float] = {}
    for item in items:
        name, value = parse_lab_item(item, "--lab", uln=alt_uln)
        if name in values:
            raise JakplanError(f"--lab {name} is given twice")
        values[name] = value
    return values


def record_entries(planfile: str, rules: list[str], done_day: dt.date | None, lab_day: dt.date | None,
                   labs: list[str], alt_uln: str | None, note: str, outcome: str = "done",
                   reason: str = "") -> Recorded:
    """`jakplan record`: the checks (done on ``done_day`` or closed by ``outcome`` with ``reason``) and the lab
    values of ``lab_day`` added to the plan file; a bad value, an unknown check or one that does not apply to
    the patient leaves the file untouched. The values just recorded are judged with the whole history (so a
    fall from the baseline and a repeat that confirms an earlier result count)."""
    values = lab_values(labs, alt_uln)
    if rules and done_day is None:
        raise JakplanError("--done DAY is missing: say when the check was done")
    if values and lab_day is None:
        raise JakplanError("--on DAY is missing: say when the lab values were measured")
    plan = plan_for_record(load_record(planfile))
    rules = resolve_rule_ids(rules, plan)  # any case, '-' for '_'; a near miss is named, never taken
    skipped = {s.rule: s for s in plan.skipped}
    for rid in rules:
        if rid in skipped:
            raise RuleDoesNotApply(rid, skipped[rid])
    with edit_planfile(planfile) as pf:
        for rid in rules:
            assert done_day is not None
            pf.add_done(rid, done_day, note, outcome, reason)
        if values:
            assert lab_day is not None
            pf.add_lab(lab_day, values, note)
        history = pf.history
    checks = tuple(CheckEntry(rid, done_day, outcome, reason) for rid in rules if done_day is not None)
    if not values or lab_day is None:
        return Recorded(planfile, checks)
    return _judged(Recorded(planfile, checks, lab_day, values), history)


def _judged(rec: Recorded, history: History) -> Recorded:
    assert rec.lab_day is not None
    record = load_record(rec.planfile)
    today = max(rec.lab_day, dt.date.today())
    plan = plan_for_record(record, today=today)
    found = tuple(recorded_lab_actions(plan, history, rec.lab_day, set(rec.values)))
    changed = tuple(f for f, (_, on) in factor_updates(record, today).items() if on == rec.lab_day)
    return Recorded(rec.planfile, rec.checks, rec.lab_day, rec.values, found, changed, plan)


@dataclass(frozen=True)
class Undone:
    planfile: str
    removed: Removed | None
    """What was removed (render/course.py words it)."""
    dry_run: bool


class _DryRun(Exception):
    pass


def undo_last(planfile: str, dry_run: bool = False) -> Undone:
    """`jakplan undo`: remove the last entry added to the plan file (nothing changed on a dry run)."""
    removed = None
    check_protocol_reference(load_record(planfile))  # as status reads it: a protocol outside the folder is refused
    try:
        with edit_planfile(planfile) as pf:
            removed = pf.undo_last()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return Undone(planfile, removed, dry_run)


def start_pause(planfile: str, day: dt.date, reason: str, end: dt.date | None = None, planned: bool = False) -> Pause:
    """`jakplan pause`: treatment interrupted from ``day``; with ``planned``, a pause recorded ahead (``day`` may be
    to come; ``end`` the planned restart), which is an ordinary pause from its first day."""
    if end is not None and end < day:
        raise JakplanError(f"--to {end} is before --from {day}")
    if planned and end is not None and end <= dt.date.today():
        raise JakplanError(f"--to {end} is not in the future: record a pause that has happened with `jakplan pause` "
                           "and `jakplan resume`")
    check_protocol_reference(load_record(planfile))  # as status reads it: a protocol outside the folder is refused
    with edit_planfile(planfile) as pf:
        return pf.start_pause(day, reason, end)


@dataclass(frozen=True)
class DecisionRecorded:
    """`record --decision`: the decision added and the results beyond a protocol limit it answers."""

    planfile: str
    decision: Any
    answers: tuple[Any, ...]
    """:class:`jakplan.engine.tracking.LabAction` now answered by this decision."""


def record_decision(planfile: str, day: dt.date, text: str, note: str = "") -> DecisionRecorded:
    """`jakplan record --decision TEXT --on DAY`: the prescriber's decision added to the plan file; it answers the
    results beyond a protocol limit recorded up to ``day`` that nothing answered yet (`undo` removes it)."""

    before = status_for_record(load_record(planfile), max(day, dt.date.today()))
    with edit_planfile(planfile) as pf:
        rec = pf.add_decision(day, text, note)
    answers = tuple(a for a in before.open_actions if a.on <= day)
    return DecisionRecorded(planfile, rec, answers)


@dataclass(frozen=True)
class Resumed:
    """`jakplan resume`: the pause closed, and what the recorded values say on the day treatment restarts."""

    planfile: str
    pause: Pause
    still: tuple[Any, ...]
    """Lab actions still beyond a protocol limit at their last value."""
    began: dt.date | None
    """The day the pause began (None when no pause ends on the day)."""
    measured_since: bool
    """Whether any value was recorded since the pause began."""


def end_pause(planfile: str, day: dt.date) -> Resumed:
    """`jakplan resume`: close the open pause on ``day`` and check the protocol's resume limits against the
    last recorded values (reading the plan file as it is after the resume was recorded)."""
    check_protocol_reference(load_record(planfile))  # as status reads it: a protocol outside the folder is refused
    with edit_planfile(planfile) as pf:
        p = pf.end_pause(day)
    still, began, since = resume_check(planfile, day)
    return Resumed(planfile, p, tuple(still), began, since)


def resume_check(path: str | Path, day: dt.date):
    """What the recorded values say on the day treatment restarts: (the results still beyond a protocol limit at
    their last value, the day the pause began, whether any value was recorded since)."""
    record = load_record(path)
    history = record.history.as_of(day)
    plan = plan_for_record(record, today=day)
    still = [a for a in lab_actions(plan, history) if a.current and a.action != "not_assessed"]
    pause = next((p for p in reversed(history.pauses) if p.end == day), None)
    since = pause is not None and any(r.on >= pause.start for r in history.labs)
    return still, (pause.start if pause else None), since
