"""Plain data types shared by the loader, the engine and the renderers.

Everything here is immutable and holds no behaviour beyond small derived properties, so that the engine
stays a pure function from (protocol, patient, start, horizon) to events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

KINDS = ("screening", "lab", "review", "milestone")
"""Rule kinds, in the order events of one day are listed."""

UNITS = ("days", "weeks", "months", "years")


@dataclass(frozen=True)
class Offset:
    """A signed amount of one calendar unit, e.g. 12 weeks or 3 months.

    A rule states its unit explicitly: weeks are exact (7 days), months and years are calendar months
    (python-dateutil's relativedelta, which clamps Jan 31 + 1 month to the last day of February).
    """

    n: int
    unit: str

    def times(self, k: int) -> "Offset":
        return Offset(self.n * k, self.unit)

    def label(self) -> str:
        word = self.unit[:-1] if abs(self.n) == 1 else self.unit
        return f"{self.n} {word}"


@dataclass(frozen=True)
class Source:
    id: str
    document: str
    url: str = ""
    weak: bool = False


@dataclass(frozen=True)
class Citation:
    """A rule's source: the document plus the section the rule relies on."""

    source: Source
    section: str = ""

    def text(self) -> str:
        s = f"[{self.source.id}] {self.source.document}"
        if self.section:
            s += f", {self.section}"
        if self.source.weak:
            s += " (secondary source)"
        return s

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.source.id,
            "document": self.source.document,
            "section": self.section,
            "url": self.source.url,
            "weak": self.source.weak,
        }


@dataclass(frozen=True)
class Timing:
    """When a rule falls due.

    type:
      before_start  one event in the window [start - lead, start]; lead from the rule or the planning defaults
      at            one event at start + at; window [earliest, latest] if given, else at +/- tolerance
      every         events at (start + from) + n * every for n = 1, 2, ... up to `until` / `count` / horizon
      each_visit    one event on every in-treatment day that another lab rule falls on
    """

    type: str
    at: Offset | None = None
    earliest: Offset | None = None
    latest: Offset | None = None
    lead: Offset | None = None
    every: Offset | None = None
    start_from: Offset | None = None
    until: Offset | None = None
    count: int | None = None

    @property
    def unit(self) -> str | None:
        """The unit the rule counts in (weeks or months ...), or None for before_start / each_visit."""
        off = self.at or self.every
        return off.unit if off else None


@dataclass(frozen=True)
class Condition:
    """One patient-factor test: factor `op` value, op in is / min / max / above / below."""

    factor: str
    op: str
    value: Any

    def text(self) -> str:
        sym = {"is": "is", "min": ">=", "max": "<=", "above": ">", "below": "<"}[self.op]
        v = self.value
        if isinstance(v, bool):
            return f"{self.factor.replace('_', ' ')}" if v else f"no {self.factor.replace('_', ' ')}"
        if isinstance(v, list):
            v = " or ".join(map(str, v))
        return f"{self.factor.replace('_', ' ')} {sym} {v}"


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    title: str
    checks: tuple[str, ...]
    timing: Timing
    citation: Citation
    indications: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    anchor: str = "start"
    notes: tuple[str, ...] = ()
    patient_notes: tuple[str, ...] = ()
    origin: str = ""
    """Protocol the rule was defined in, e.g. 'baricitinib/nhs-lanarkshire' when borrowed."""


@dataclass(frozen=True)
class Threshold:
    """A lab value that changes treatment: `analyte` below/above `value` (canonical unit) -> action."""

    id: str
    analyte: str
    comparison: str  # "below" or "above"
    value: float
    unit: str
    before_start: str | None
    during: str | None
    citation: Citation
    resume: str = ""


@dataclass(frozen=True)
class Include:
    protocol: str
    rules: tuple[str, ...]
    why: str


@dataclass(frozen=True)
class Unverified:
    topic: str
    detail: str


@dataclass(frozen=True)
class Phase:
    id: str
    title: str
    before_start: bool = False
    until: Offset | None = None


@dataclass(frozen=True)
class Planning:
    """Calendar-placement assumptions (not clinical figures)."""

    screening_lead: Offset
    tolerance: Offset
    phases: tuple[Phase, ...]


@dataclass(frozen=True)
class Protocol:
    id: str
    drug: str
    title: str
    jurisdiction: str
    indications: tuple[str, ...]
    rules: tuple[Rule, ...]
    thresholds: tuple[Threshold, ...]
    planning: Planning
    includes: tuple[Include, ...] = ()
    unverified: tuple[Unverified, ...] = ()
    summary: str = ""
    path: str = ""
    fragment: bool = False
    extends: str = ""

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


@dataclass(frozen=True)
class Patient:
    """Who the plan is for. `factors` holds patient factors by vocabulary name (age, egfr, smoker, ...)."""

    indication: str
    factors: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    date: dt.date
    window_start: dt.date
    window_end: dt.date
    kind: str
    rule: str
    title: str
    checks: tuple[str, ...]
    citation: Citation
    relative: str
    phase: str
    occurrence: int = 0
    notes: tuple[str, ...] = ()
    patient_notes: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    """Conditions that could not be checked against the patient (factor not given): 'applies if ...'."""
    anchor: str = "start"
    origin: str = ""

    @property
    def sort_key(self) -> tuple:
        return (self.date, KINDS.index(self.kind), self.rule, self.occurrence)


@dataclass(frozen=True)
class Plan:
    drug: str
    indication: str
    protocol: Protocol
    start: dt.date
    end: dt.date
    months: int
    events: tuple[Event, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    """Rules that do not apply to this patient: (rule id, reason)."""

    @property
    def borrowed(self) -> tuple[Include, ...]:
        return self.protocol.includes
