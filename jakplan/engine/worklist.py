"""The week's worklist of a clinic as typed rows: what needs doing, for whom, in the order it needs doing (pure).

:func:`week_rows` turns one patient's :class:`~jakplan.engine.tracking.Status` (judged as of a day) into
:class:`WorkRow` records of codes and dates; ``render/worklist.py`` words them. The kinds, in the order the
worklist lists them (:data:`KINDS`):

1. ``lab``: a current result that crosses a protocol limit and is not answered yet (the action tier: stop /
   discontinue first, then interrupt / do not start, then reduce the dose);
2. ``flag``: a current result the protocol gives no limit for that the laboratory flagged abnormal or that lies
   outside the laboratory's reference range (the flag tier; the lab's critical flags first);
3. ``response``: a response criterion not met (e.g. no moderate EULAR response at month 6);
4. ``overdue``: a check whose window closed before the day of judgement (most days late first);
5. ``due``: a check still open whose date falls on or before the Sunday of the week (its date or the end of its
   window in the week, or a date already passed with the window still open). A check dated later is not listed
   even if its window is already open: it is not this week's work;
6. ``not_assessed``: one row per patient naming (never valuing) the analytes whose latest value neither a
   protocol limit nor the laboratory judged.

Quiet results (within the protocol's limits, or within the laboratory's range) never make a row. Checks waived
or not applicable, done (by a record or by results), missed (replaced by a later one) or on hold (treatment
paused) are not listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial
from typing import Any, Mapping

KINDS = ("lab", "flag", "response", "overdue", "due", "not_assessed")
"""Row kinds in the order the worklist lists them (see the module doc)."""

ACTION_RANK = {"stop": 0, "discontinue": 0, "interrupt": 1, "do_not_start": 1, "reduce_dose": 2}
"""Action-tier results in order of urgency (others after these)."""


@dataclass(frozen=True)
class WorkRow:
    """One row of the worklist: codes and dates only (``render/worklist.py`` words it)."""

    kind: str
    patient: str
    file: str
    drug: str = ""
    """The drug's code ('baricitinib')."""
    name: str = ""
    identifier: str = ""
    """The patient's name and identifier from the plan file (data, not words)."""
    rule: str = ""
    title: str = ""
    """The rule's title (protocol data) of an ``overdue``/``due`` row."""
    checks: tuple[str, ...] = ()
    """The rule's check codes of an ``overdue``/``due`` row (vocabulary.toml [checks])."""
    occurrence: int | None = None
    anchor: str = ""
    date: dt.date | None = None
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    days_late: int = 0
    lab_action: str = ""
    """The protocol's action code of a ``lab`` row ('interrupt' ...); 'flag' for a ``flag`` row; 'not_assessed'
    for a ``not_assessed`` row; on a check's row the most urgent open action of the patient (or '')."""
    analytes: tuple[str, ...] = ()
    """The analyte of a ``lab`` or ``flag`` row; the analytes of a ``not_assessed`` row."""
    finding: Any = None
    """What the row is about: the :class:`~jakplan.engine.tracking.LabAction` of a ``lab``/``flag`` row, the
    :class:`~jakplan.engine.scores.ResponseVerdict` of a ``response`` row, the
    :class:`~jakplan.engine.tracking.Item` of an ``overdue``/``due`` row."""
    critical: bool = False
    """A ``flag`` row whose laboratory flag is critical (panic)."""


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_rows(st, pid: str, file: str, week_start: dt.date) -> list[WorkRow]:
    """The worklist rows of one patient for the week from ``week_start`` (a Monday); ``st`` is the status on the
    day of judgement (any day: results and records up to it count)."""

    week_end = week_start + dt.timedelta(days=6)
    ident = st.plan.identity
    Row = partial(WorkRow, drug=st.plan.drug, name=ident.name if ident else "",
                  identifier=ident.identifier if ident else "")
    rules = {r.id: r for r in st.plan.protocol.rules}
    actions = sorted(st.open_actions, key=lambda a: (ACTION_RANK.get(a.action, 3), a.on))
    top = actions[0].action if actions else ""
    rows: list[WorkRow] = []
    for a in actions:
        rows.append(Row("lab", pid, file, date=a.on, lab_action=a.action, analytes=(a.analyte,), finding=a))
    for a in st.open_flags:
        rows.append(Row("flag", pid, file, date=a.on, lab_action="flag", analytes=(a.analyte,), finding=a,
                            critical=bool(a.signal.critical)))
    for v in st.responses:
        if v.state == "not_met":  # a response criterion not met: review with the prescriber
            rows.append(Row("response", pid, file, rule=v.rule, occurrence=v.occurrence, date=v.current.on,
                                window_start=v.window_start, window_end=v.window_end, lab_action=top, finding=v))
    for i in st.items:
        if i.state == "overdue":
            kind = "overdue"
        elif i.state in ("due", "upcoming") and i.date <= week_end:
            kind = "due"
        else:
            continue
        rule = rules.get(i.rule)
        rows.append(Row(kind, pid, file, rule=i.rule, title=i.title, checks=tuple(rule.checks) if rule else (),
                        occurrence=i.occurrence, anchor=i.anchor, date=i.date,
                        window_start=i.window_start, window_end=i.window_end,
                        days_late=i.days_late if kind == "overdue" else 0, lab_action=top, finding=i))
    if st.not_assessed:  # one line per patient, the analytes only: nothing judged them, so nothing to rank by
        rows.append(Row("not_assessed", pid, file, lab_action="not_assessed", analytes=tuple(st.not_assessed)))
    return rows


def sort_key(row: Mapping[str, Any]) -> tuple:
    """The worklist order of a row (a mapping with the keys of :class:`WorkRow`, dates as ISO text; a worded row
    breaks ties by its check's words, a row of codes by the rule's title)."""
    kind = KINDS.index(row["kind"])
    what = row.get("check") or row.get("title") or ""
    if row["kind"] == "lab":
        return (kind, ACTION_RANK.get(row["lab_action"], 3), row["date"], row["patient"], what)
    if row["kind"] == "flag":
        return (kind, 0 if row.get("critical") else 1, row["date"], row["patient"], what)
    if row["kind"] == "overdue":
        return (kind, -row["days_late"], row["patient"], row["date"], what)
    if row["kind"] in ("not_assessed", "response"):
        return (kind, 0, row["patient"], row["date"], what)
    return (kind, 0, row["date"], row["patient"], what)


def sort_rows(rows: list) -> list:
    return sorted(rows, key=sort_key)


def tier_counts(rows) -> dict[str, int]:
    """Patients with at least one row of each kind (the summary counts each tier honestly)."""
    return {k: len({r["patient"] for r in rows if r["kind"] == k}) for k in KINDS}


def row_codes(row: WorkRow) -> dict[str, Any]:
    """A row as plain codes (dates as ISO text, no words, no engine objects): what a worker process hands back
    when no one words the rows (the benchmark)."""
    out = {k: getattr(row, k) for k in ("kind", "patient", "file", "drug", "name", "identifier", "rule", "title",
                                         "occurrence", "anchor", "days_late", "lab_action", "critical")}
    out.update({k: (getattr(row, k).isoformat() if getattr(row, k) else "")
                for k in ("date", "window_start", "window_end")})
    out["analytes"] = list(row.analytes)
    out["checks"] = list(row.checks)
    return out
