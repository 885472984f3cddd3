"""The monitoring audit of a clinic: for each check and drug, how many were done in their window, late, or not
at all over a period, and which patients are behind each number (pure, no I/O; codes only: ``render/audit.py``
words them).

Which occurrences count: every planned occurrence of a tracked check (not the "at every visit" ones) whose
planned date falls in the period (``from`` and ``to`` included), with its state on the last day of the period
(records dated after it are not seen, so a past period can be audited again later with the same result).

Outcome of each occurrence (:data:`OUTCOMES`):

- ``on_time``: done within its window; ``early``: done before its window opened (it still counts as done);
- ``late``: done after its window closed;
- ``missing``: its window closed and it was not done (overdue, or replaced by a later occurrence);
- ``waived`` / ``not_applicable``: closed by a recorded decision with a reason;
- ``open``: its window had not closed by the end of the period (or treatment was paused): not yet judged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

OUTCOMES = ("on_time", "early", "late", "missing", "waived", "not_applicable", "open")
"""The outcome codes (``render/audit.py`` words them)."""


def outcome(item) -> str:
    if item.state == "done":
        if item.done_on is not None and item.done_on < item.window_start:
            return "early"
        return "late" if item.days_late > 0 else "on_time"
    if item.state in ("overdue", "missed"):
        return "missing"
    if item.state in ("waived", "not_applicable"):
        return item.state
    return "open"


def patient_rows(st, pid: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """One row per occurrence of one patient in the period: drug (its code), rule, title, date, outcome, patient."""
    drug = st.plan.drug
    # a response milestone: was the score it expects recorded? (None: the check expects no score)
    scored = {(v.rule, v.occurrence): v.current is not None for v in st.responses}
    return [{"drug": drug, "rule": i.rule, "check": i.title, "date": i.date.isoformat(), "outcome": outcome(i),
             "patient": pid, "scored": scored.get((i.rule, i.occurrence))}
            for i in st.items if start <= i.date <= end]


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (drug, rule): the count of each outcome and the patients behind it (sorted), by drug and check."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault((r["drug"], r["rule"]), {
            "drug": r["drug"], "rule": r["rule"], "check": r["check"], "total": 0,
            **{o: 0 for o in OUTCOMES}, "patients": {o: [] for o in OUTCOMES}})
        g["total"] += 1
        g[r["outcome"]] += 1
        if r.get("scored") is not None:  # a response milestone: how many had their score recorded
            g["with_score"] = g.get("with_score", 0) + bool(r["scored"])
        g["patients"][r["outcome"]].append(r["patient"])
    out = []
    for key in sorted(groups):
        g = groups[key]
        g["patients"] = {o: sorted(p) for o, p in g["patients"].items()}  # one entry per occurrence
        judged = g["on_time"] + g["early"] + g["late"] + g["missing"]
        g["done_in_time_percent"] = round(100 * (g["on_time"] + g["early"]) / judged, 1) if judged else None
        g.setdefault("with_score", None)  # None: not a milestone that expects a score
        out.append(g)
    return out


def totals(groups: list[dict[str, Any]]) -> dict[str, int]:
    return {o: sum(g[o] for g in groups) for o in ("total", *OUTCOMES)}
