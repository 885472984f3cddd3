"""A patient's course as recorded: checks done, lab values measured, treatment paused (plain immutable data).

Read from and written to plan files by :mod:`jakplan.records.planfile`; the engine reads it.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

OUTCOMES = ("done", "waived", "not_applicable")
"""What a [[done]] entry says about a check: done, waived (this occurrence is not needed, with a reason), or
not applicable (the check no longer applies to this patient from that day, with a reason)."""

VIA = ("result", "same_kind", "score", "history")
"""How a check can be counted done without being recorded by hand: by a lab record holding its results, by a
review of the same kind on that day, by a recorded response score, or from a clinic's history file (the only one
stored in plan files: ``via = "history"``, ``basis = [file, columns]``)."""


class Done(NamedTuple):
    rule: str
    on: dt.date
    note: str = ""
    outcome: str = "done"
    reason: str = ""
    """Why a check was waived or does not apply (required for those outcomes)."""
    via: str = ""
    """How the check was counted done when no one recorded it by hand, one of :data:`VIA` ('' by hand)."""
    basis: tuple[str, ...] = ()
    """What ``via`` rests on, as data (never words): ``result`` the lab files the results came from; ``same_kind``
    (the other review, its day); ``score`` (score, value); ``history`` (the history file, its columns)."""


class LabRecord(NamedTuple):
    on: dt.date
    values: dict[str, float]
    note: str = ""
    at: str = ""
    """The time of day the sample was taken ('08:30'), when known: one analyte may be measured twice a day."""
    censored: dict[str, str] = {}
    """analyte -> '<', '<=', '>' or '>=' for a censored result ('>90': the value is the bound, the result above)."""
    ranges: dict[str, tuple[float | None, float | None]] = {}
    """analyte -> the laboratory's reference range (low, high) in the canonical unit (None: that side open), as
    the lab file gave it (HL7 OBX-7, FHIR referenceRange, a CSV range column)."""
    flags: dict[str, str] = {}
    """analyte -> the laboratory's abnormal flag as sent ('L', 'H', 'LL', 'HH', 'A', 'N' ...: HL7 OBX-8, FHIR
    interpretation, a CSV flag column); vocabulary.toml [lab_flags] says what each means."""
    sources: tuple[str, ...] = ()
    """The lab files the values were imported from (file names; empty when typed in)."""
    preliminary: tuple[str, ...] = ()
    """The analytes whose result the laboratory had not finalised when imported."""


class Pause(NamedTuple):
    start: dt.date
    end: dt.date | None = None
    """The day treatment resumed; None while the pause is open."""
    reason: str = ""

    @property
    def days(self) -> int | None:
        return (self.end - self.start).days if self.end else None


class ScoreRecord(NamedTuple):
    """A disease-activity score measured on one day (``data/scores.toml``): its value and, when it was
    computed by jakplan, the inputs it was computed from."""

    on: dt.date
    score: str
    value: float
    inputs: dict[str, float] = {}
    note: str = ""


class Decision(NamedTuple):
    """A prescriber's decision recorded on a day ("continue: prescriber reviewed"): it answers the results that
    crossed a protocol limit up to that day, as a pause does (`record --decision TEXT --on DAY`)."""

    on: dt.date
    text: str
    note: str = ""


class History(NamedTuple):
    done: tuple[Done, ...] = ()
    labs: tuple[LabRecord, ...] = ()
    pauses: tuple[Pause, ...] = ()
    scores: tuple[ScoreRecord, ...] = ()
    decisions: tuple[Decision, ...] = ()

    @property
    def open_pause(self) -> Pause | None:
        return next((p for p in self.pauses if p.end is None), None)

    def as_of(self, day: dt.date) -> "History":
        """The history as it stood at the end of ``day``: later records left out, a later resume undone."""
        pauses = tuple(p if p.end is None or p.end <= day else Pause(p.start, None, p.reason)
                       for p in self.pauses if p.start <= day)
        return History(tuple(d for d in self.done if d.on <= day), tuple(r for r in self.labs if r.on <= day), pauses,
                       tuple(s for s in self.scores if s.on <= day), tuple(d for d in self.decisions if d.on <= day))

    def but(self, **changes) -> "History":
        """This history with some of its tables replaced (the others kept as they are)."""
        return self._replace(**changes)
