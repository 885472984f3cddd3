"""What is next: the next visit, its window, what to do and prepare, and what is overdue (``jakplan next``).

:func:`next_answer` finds the answer as data, from a plan alone (nothing is known about what was done) or from a
plan file's tracked status (overdue checks, moved dates, on hold); :func:`next_lines` and :func:`next_dict` only
put it into words or JSON. :func:`status_summary` is the one line at the top of ``jakplan status``.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass
from typing import Any

from jakplan.catalog.units import analyte_label
from jakplan.dates import plural
from jakplan.engine.labs import action_label
from jakplan.engine.visits import WEEKDAYS, Visit, next_open_visit, suggested_day, visits, weekday
from jakplan.model import Plan
from jakplan.render.common import DISCLAIMER, drug_name, indication_name
from jakplan.render.compact import note_word, visit_words, window_short
from jakplan.render.scores import response_dict, response_text, shown
from jakplan.render.words import lab_signal_text


@dataclass(frozen=True)
class NextAnswer:
    plan: Plan
    today: dt.date
    visit: Visit | None
    """The first visit whose window has not closed (an open window counts), or None when the plan has none left."""
    overdue: tuple | None
    """Overdue tracking items from a plan file's records; None when there are no records to tell."""
    on_hold: int = 0
    source: str = ""
    """Where the records came from (the plan file's name), '' without records."""
    responses: tuple = ()
    """The response milestones judged on the day (:class:`jakplan.engine.scores.ResponseVerdict`)."""
    actions: tuple = ()
    """Open action-tier lab results (:attr:`jakplan.engine.tracking.Status.open_actions`), most severe first."""
    flags: tuple = ()
    """Open flag-tier lab results (:attr:`jakplan.engine.tracking.Status.open_flags`): no protocol limit, but the
    laboratory flagged them."""
    planned_pauses: tuple = ()
    """Pauses recorded ahead that begin after the day (:attr:`jakplan.engine.tracking.Status.planned_pauses`)."""

    @property
    def due_now(self) -> bool:
        return self.visit is not None and self.visit.window_start <= self.today

    @property
    def days_until(self) -> int | None:
        return None if self.visit is None else (self.visit.date - self.today).days


def next_answer(plan: Plan, today: dt.date) -> NextAnswer:
    """From the plan alone: the first visit whose window is still open or yet to open on ``today``."""
    for v in visits(plan):
        if v.window_end >= today:
            return NextAnswer(plan, today, v, None)
    return NextAnswer(plan, today, None, None)


def next_from_status(st, source: str = "") -> NextAnswer:
    """From a plan file's status (:class:`jakplan.tracking.Status`): checks already done are left out, dates
    moved by a pause are used, and the overdue checks are listed."""
    plan = st.plan
    visit = next_open_visit(st)
    return NextAnswer(plan, st.today, visit, tuple(st.overdue), on_hold=len(st.by_state("on_hold")), source=source,
                      responses=st.responses, actions=tuple(st.open_actions), flags=tuple(st.open_flags),
                      planned_pauses=tuple(st.planned_pauses))


def next_answer_for(basis) -> NextAnswer:
    """The answer from :func:`jakplan.actions.plans.next_basis`: the status on the day, or the plan alone."""
    if basis.status is not None:
        return next_from_status(basis.status, basis.source)
    return next_answer(basis.plan, basis.day)


def prepare_notes(visit: Visit) -> list[str]:
    """The patient notes of the visit (fasting ...), once each, in full."""
    return list(dict.fromkeys(n for ev in visit.events for n in ev.patient_notes))


def _in_days(n: int) -> str:
    if n == 0:
        return "today"
    if n > 0:
        return f"in {n} day{'s' if n != 1 else ''}"
    return f"{-n} day{'s' if n != -1 else ''} ago"


def next_lines(ans: NextAnswer, width: int = 80) -> list[str]:
    """The short block: next visit, window, what to do, what to prepare, overdue; then the plan and disclaimer,
    wrapped to ``width`` columns."""

    out: list[str] = []
    for ln in _next_lines(ans):
        lead = len(ln) - len(ln.lstrip())
        indent = " " * (lead + (4 if lead else 2))
        out += textwrap.wrap(ln, width=max(width, 40), subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False) or [""]
    return out


def _next_lines(ans: NextAnswer) -> list[str]:
    plan, v = ans.plan, ans.visit
    out: list[str] = [open_actions_text(ans.actions)] if ans.actions else []
    if ans.flags:
        out.append(open_flags_text(ans.flags))
    if v is None:
        out.append(f"Next visit: none left in the plan (it ends {plan.end.isoformat()}); plan further with --months.")
    else:
        when = "before the first dose" if v.before_start else v.label
        state = "open now" if ans.due_now else f"opens {v.window_start.isoformat()}"
        if v.before_start:  # screening: its deadline is the first dose, not the first day of its window
            out.append(f"Next visit: before the first dose, by {weekday(plan.start)} {plan.start.isoformat()} "
                       f"({_in_days((plan.start - ans.today).days)})")
        else:
            out.append(f"Next visit: {weekday(v.date)} {v.date.isoformat()} "
                       f"({_in_days((v.date - ans.today).days)}), {when}")
        out.append(f"  Window: {v.window_start.isoformat()} to {v.window_end.isoformat()} ({state})")
        better = suggested_day(v)
        if better is not None and better >= ans.today:
            out.append(f"  {WEEKDAYS[v.date.weekday()]} is not a clinic day: {weekday(better, False)} "
                       f"{better.isoformat()} is in the window")
        out.append(f"  To do: {visit_words(v)}")
        notes = prepare_notes(v)
        out.append("  Notes for you: " + (" ".join(notes) if notes else "none (nothing to prepare that the protocol asks for)"))
    if ans.overdue is None:
        out.append("Overdue: not known (no records; a plan file from `jakplan init` keeps them)")
    elif not ans.overdue:
        out.append(f"Overdue: nothing (records in {ans.source or 'the plan file'})")
    else:
        n = len(ans.overdue)
        out.append(f"Overdue: {n} check{'s' if n != 1 else ''} (records in {ans.source or 'the plan file'})")
        for i in ans.overdue:
            out.append(f"  {i.rule}: {i.title}; window closed {i.window_end.isoformat()}, {plural(i.days_late, 'day')} late")
    if ans.on_hold:
        out.append(f"On hold: {ans.on_hold} check{'s' if ans.on_hold != 1 else ''} (treatment paused)")
    out += [planned_pause_text(p) for p in ans.planned_pauses]

    out += [response_text(v) for v in shown(ans.responses)]
    out.append(f"Plan: {drug_name(plan)} for {indication_name(plan)}, protocol {plan.drug}/{plan.protocol.id}, "
               f"first dose {plan.start.isoformat()}; on {ans.today.isoformat()}.")
    out.append(DISCLAIMER)
    return out


def next_dict(ans: NextAnswer) -> dict[str, Any]:

    v = ans.visit
    visit: dict[str, Any] | None = None
    if v is not None:
        visit = {
            "date": v.date.isoformat(),
            "window_start": v.window_start.isoformat(),
            "window_end": v.window_end.isoformat(),
            "when": "before the first dose" if v.before_start else v.label,
            "due_now": ans.due_now,
            "days_until": ans.days_until,
            "checks": list(v.checks()),
            "rules": [e.rule for e in v.events],
            "to_do": visit_words(v),
            "prepare": prepare_notes(v),
            "prepare_short": [w for w in (note_word(n) for n in prepare_notes(v)) if w],
        }
    return {
        "today": ans.today.isoformat(),
        "start": ans.plan.start.isoformat(),
        "drug": ans.plan.drug,
        "indication": ans.plan.indication,
        "protocol": ans.plan.protocol.id,
        "next_visit": visit,
        "overdue": None if ans.overdue is None else [
            {"rule": i.rule, "title": i.title, "date": i.date.isoformat(), "window_end": i.window_end.isoformat(),
             "days_late": i.days_late} for i in ans.overdue],
        "on_hold": ans.on_hold,
        "planned_pauses": [{"from": p.start.isoformat(), "to": p.end.isoformat() if p.end else None,
                            "reason": p.reason} for p in ans.planned_pauses],
        "responses": [response_dict(v) for v in ans.responses],
        "actions": [{"on": a.on.isoformat(), "analyte": a.analyte, "value": a.value, "action": a.action}
                    for a in ans.actions],
        "flags": [{"on": a.on.isoformat(), "analyte": a.analyte, "value": a.value, **a.signal.as_dict()}
                  for a in ans.flags],
        "disclaimer": DISCLAIMER,
    }


def open_actions_text(actions) -> str:
    """'ACTION: Stop treatment (...): absolute neutrophil count 0.5 on 2024-06-03; ...' for the open
    action-tier lab results, most severe first."""

    items = "; ".join(f"{action_label(a.action)}: {analyte_label(a.analyte).lower()} {a.value:g} on {a.on.isoformat()}"
                      for a in actions)
    return f"ACTION: {items} (until a pause, a later value within limits or the prescriber's decision)"


def open_flags_text(flags) -> str:
    """'FLAGGED BY THE LAB: platelets 48 on 2024-06-03 (critically low ...)' for the open flag-tier results:
    no protocol limit decides them, the laboratory flagged them."""

    items = "; ".join(f"{analyte_label(a.analyte).lower()} {a.value:g} on {a.on.isoformat()} "
                      f"({lab_signal_text(a.signal, a.finding.unit)})" for a in flags)
    who = "BY THE LAB" if all(getattr(a.signal, "shipped", None) is None for a in flags) else \
        "BEYOND A CRITICAL LIMIT" if all(getattr(a.signal, "shipped", None) is not None for a in flags) else \
        "BY THE LAB OR BEYOND A CRITICAL LIMIT"
    return f"FLAGGED {who} (no limit in this protocol): {items}: show the prescriber"


def planned_pause_text(p, *, commands: bool = True) -> str:
    """'Pause planned from 2027-02-01 to 2027-02-15 (surgery): ...' for a pause recorded ahead (``commands=False``:
    no jakplan command named, for the patient's sheet)."""
    return (f"Pause planned from {p.start}" + (f" to {p.end}" if p.end else "") + (f" ({p.reason})" if p.reason else "")
            + ": in-treatment checks from that day go on hold" + (" until the restart" if p.end or not commands else
                                                                 " until the restart is recorded (jakplan resume)")
            + ".")


def status_summary(st) -> str:
    """One line for the top of ``jakplan status``: overdue, due now, on hold and the next visit."""
    ans = next_from_status(st)
    parts = [f"{len(st.overdue)} overdue", f"{len(st.due)} due now"]
    unmet = [v for v in st.responses if v.state == "not_met"]
    if unmet:  # what needs action comes first
        parts.insert(0, f"response criterion not met ({', '.join(v.relative or v.rule for v in unmet)}): review "
                        f"with the prescriber")
    if st.open_flags:  # a result the laboratory flagged, with no protocol limit: before anything overdue
        parts.insert(0, open_flags_text(st.open_flags))
    if st.open_actions:  # a result that crosses a limit comes before everything
        parts.insert(0, open_actions_text(st.open_actions))
    held = len(st.by_state("on_hold"))
    if held:
        parts.append(f"{held} on hold")
    if ans.visit is not None:
        v = ans.visit
        state = ", open now" if ans.due_now else ""
        parts.append(f"next visit {v.date.isoformat()} (window {window_short(v)}{state})")
    else:
        parts.append("no visit left in the plan")
    return f"On {st.today.isoformat()}: " + "; ".join(parts) + "."
