"""The week's worklist of a clinic: what needs doing, for whom, in the order it needs doing (pure, no I/O).

:func:`week_rows` turns one patient's :class:`~jakplan.engine.tracking.Status` on the Monday of a week into rows:

1. ``lab``: a current lab result that calls for action under the protocol's thresholds (the most recent value of
   an analyte; stop / discontinue first, then interrupt / do not start, then reduce the dose, then the rest, and
   last a value the protocol gives no limit for: not assessed, check the label);
2. ``overdue``: a check whose window closed before the Monday (sorted by days late, most first);
3. ``due``: a check still open whose date falls on or before the Sunday (its date or the end of its window in
   the week, or a date already passed with the window still open). A check dated later is not listed even if
   its window is already open: it is not this week's work.

Checks waived or not applicable, done, missed (replaced by a later one) or on hold (treatment paused) are not
listed. :func:`sort_rows` orders the rows of all patients. Each row is a plain dict (the JSON contract of
``jakplan cohort due --format json``; the CSV has the same columns).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

COLUMNS = ("kind", "patient", "name", "identifier", "drug", "check", "tests", "date", "window_start", "window_end",
           "days_late", "lab_action", "lab", "file")
"""The columns of the worklist (CSV header, JSON keys of each row)."""

ACTION_RANK = {"stop": 0, "discontinue": 0, "interrupt": 1, "do_not_start": 1, "reduce_dose": 2, "not_assessed": 4}
"""Lab actions in order of urgency (others after these; a value the protocol has no limit for is listed last,
"not assessed: check the label", never left out)."""


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _tests(rule) -> str:
    from jakplan.render.common import check_label

    return "; ".join(check_label(c) for c in rule.checks) if rule is not None else ""


def week_rows(st, pid: str, file: str, week_start: dt.date) -> list[dict[str, Any]]:
    """The worklist rows of one patient for the week from ``week_start`` (a Monday); ``st`` is the status on it."""
    from jakplan.engine.labs import action_label
    from jakplan.render.common import drug_name
    from jakplan.render.words import lab_action_text

    week_end = week_start + dt.timedelta(days=6)
    plan = st.plan
    ident = plan.identity
    who = {"patient": pid, "name": ident.name if ident else "", "identifier": ident.identifier if ident else "",
           "drug": drug_name(plan)}
    # only results that cross a protocol limit and are not answered are actions; values within limits are quiet
    actions = sorted(st.open_actions, key=lambda a: (ACTION_RANK.get(a.action, 3), a.on))
    unassessed = sorted({a.analyte for a in st.lab_actions if a.current and a.tier == "not_assessed"})
    lab_summary = "; ".join(f"{action_label(a.action)} ({a.analyte} {a.value:g} on {a.on.isoformat()})" for a in actions)
    rules = {r.id: r for r in plan.protocol.rules}
    rows: list[dict[str, Any]] = []
    for a in actions:
        rows.append({"kind": "lab", **who, "check": f"lab result: {a.analyte}", "tests": lab_action_text(a),
                     "date": a.on.isoformat(), "window_start": "", "window_end": "", "days_late": 0,
                     "lab_action": a.action, "lab": lab_summary, "file": file, "rule": "", "occurrence": None,
                     "anchor": ""})
    for v in st.responses:
        if v.state == "not_met":  # a response criterion not met: review with the prescriber
            rows.append({"kind": "response", **who, "check": f"response criterion not met ({v.relative or v.rule})",
                         "tests": f"{v.criterion}: review with the prescriber", "date": v.current.on.isoformat(),
                         "window_start": v.window_start.isoformat(), "window_end": v.window_end.isoformat(),
                         "days_late": 0, "lab_action": "", "lab": lab_summary, "file": file, "rule": v.rule,
                         "occurrence": v.occurrence, "anchor": ""})
    if unassessed:  # one line per patient, the analytes only: no protocol limit, so nothing to rank by value
        rows.append({"kind": "not_assessed", **who, "check": "lab results with no limit in this protocol",
                     "tests": "not assessed: " + ", ".join(unassessed) + " (check the label)", "date": "",
                     "window_start": "", "window_end": "", "days_late": 0, "lab_action": "not_assessed",
                     "lab": lab_summary, "file": file, "rule": "", "occurrence": None, "anchor": ""})
    for i in st.items:
        if i.state == "overdue":
            kind = "overdue"
        elif i.state in ("due", "upcoming") and i.date <= week_end:
            kind = "due"
        else:
            continue
        rows.append({"kind": kind, **who, "check": i.title, "tests": _tests(rules.get(i.rule)), "rule": i.rule,
                     "occurrence": i.occurrence, "anchor": i.anchor,
                     "date": i.date.isoformat(), "window_start": i.window_start.isoformat(),
                     "window_end": i.window_end.isoformat(), "days_late": i.days_late if kind == "overdue" else 0,
                     "lab_action": actions[0].action if actions else "", "lab": lab_summary, "file": file})
    return rows


KINDS = ("lab", "response", "overdue", "due", "not_assessed")
"""Row kinds in the order the worklist lists them: results that need action, overdue checks, checks due this
week, then (one line per patient) results the protocol gives no limit for. A response criterion not met
(``response``: e.g. no moderate EULAR response at month 6) comes after the lab results."""


def sort_key(row: dict[str, Any]) -> tuple:
    kind = KINDS.index(row["kind"])
    if row["kind"] == "lab":
        return (kind, ACTION_RANK.get(row["lab_action"], 3), row["date"], row["patient"], row["check"])
    if row["kind"] == "overdue":
        return (kind, -row["days_late"], row["patient"], row["date"], row["check"])
    if row["kind"] in ("not_assessed", "response"):
        return (kind, 0, row["patient"], row["date"], row["check"])
    return (kind, 0, row["date"], row["patient"], row["check"])


def sort_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=sort_key)
