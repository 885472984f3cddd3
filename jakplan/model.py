"""Plain data types shared by the loader, the engine and the renderers.

Everything here is immutable and holds no behaviour beyond small derived properties, so that the engine
stays a pure function from (protocol, patient, start, horizon) to events.

No ``from __future__ import annotations`` here: typing.NamedTuple turns string annotations into
ForwardRefs by compiling each one, which cost ~1.3 ms at every start; later classes are quoted instead.
"""

import datetime as dt
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

KINDS = ("screening", "lab", "review", "milestone")
"""Rule kinds, in the order events of one day are listed."""

UNITS = ("days", "weeks", "months", "years")


class Offset(NamedTuple):
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


SOURCE_GRADES = ("primary", "manufacturer", "mirror")


class Source(NamedTuple):
    """A document rules cite. `grade`: primary (the regulator's own text: FDA label, EMA product information,
    MHRA, a health board's own page, a guideline), manufacturer (the marketing-authorisation holder's HCP or
    medical-information pages) or mirror (a third party relaying either; `weak` is true for these)."""

    id: str
    document: str
    url: str = ""
    weak: bool = False
    grade: str = ""

    def grade_note(self) -> str:
        """'(primary source)', '(manufacturer source)' or '(secondary source: mirror)'; '' when ungraded."""
        if self.weak or self.grade == "mirror":
            return "(secondary source: mirror)"
        return f"({self.grade} source)" if self.grade else ""


class Citation(NamedTuple):
    """A rule's source: the document plus the section the rule relies on."""

    source: Source
    section: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.source.id,
            "document": self.source.document,
            "section": self.section,
            "url": self.source.url,
            "weak": self.source.weak,
            "grade": self.source.grade,
        }


class Timing(NamedTuple):
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
    times: int | None = None
    """How many times a repeating rule occurs (the protocol file's `count`; None: for the whole plan)."""


class Condition(NamedTuple):
    """One patient-factor test: factor `op` value, op in is / min / max / above / below / has.

    ``has`` tests a list factor (the medicines taken with the JAK inhibitor): true when the list holds the
    value, or a medicine of that class (see vocabulary.toml [medicines]).
    """

    factor: str
    op: str
    value: Any


class Skip(NamedTuple):
    """Why a rule is not in a patient's plan: only for other ``indications``, a ``failed`` condition, or
    conditions left ``open`` for a rule that is dropped when its factor is not given (``if_unknown = "skip"``)."""

    rule: str
    indications: tuple[str, ...] = ()
    failed: Condition | None = None
    open: tuple[Condition, ...] = ()


class ResponseSpec(NamedTuple):
    """What a response milestone expects: the scores that answer it and the criterion that judges them
    (ids in ``data/scores.toml``)."""

    scores: tuple[str, ...]
    criterion: str


class Rule(NamedTuple):
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
    if_unknown: str = "keep"
    """When a condition's factor is not given: "keep" the event with an 'applies if' note, or "skip" it
    (listed as not applicable) for checks that only concern some patients (contraception, HBV DNA ...)."""
    response: ResponseSpec | None = None
    """A milestone that expects a disease-activity score and a criterion that judges it (None: none)."""


class Threshold(NamedTuple):
    """A lab value that changes treatment: `analyte` below/above `value` (canonical unit) -> action."""

    id: str
    analyte: str
    comparison: str  # "below", "above", or "drop" (a fall from the patient's baseline of more than `value`)
    value: float
    unit: str
    before_start: str | None
    during: str | None
    citation: Citation
    resume: str = ""
    indications: tuple[str, ...] = ()
    """Indications the threshold is for (empty: all the protocol's indications)."""
    confirm: bool = False
    """The source asks for the value to be confirmed on repeat testing before acting."""
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        """'< 0.5 10^9/L', '> 3 x ULN', 'a fall of more than 2 g/dL from baseline'."""
        v = f"{self.value:g}"
        if self.comparison == "drop":
            return f"a fall of more than {v} {self.unit} from baseline"
        sym = "<" if self.comparison == "below" else ">"
        return f"{sym} {v} {self.unit}"


class Include(NamedTuple):
    protocol: str
    rules: tuple[str, ...]
    why: str
    indications: tuple[str, ...] = ()
    """Borrowed rules apply only to these indications (empty: no restriction)."""
    risks: tuple[str, ...] = ()
    """Risk notes borrowed by id."""


DOSE_OUTCOMES = ("standard", "adjusted", "not_recommended", "contraindicated")
"""What a dose entry says for the patient it applies to, least restrictive first."""


class Dose(NamedTuple):
    """One line of a label's dosing section: for patients who match `indications` and `conditions`,
    the dose is `dose` (standard or adjusted), or the drug is not recommended / contraindicated."""

    id: str
    outcome: str
    citation: Citation
    dose: str = ""
    why: str = ""
    indications: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    notes: tuple[str, ...] = ()
    origin: str = ""


class Risk(NamedTuple):
    """A warning that applies to patients matching `conditions` (boxed warning, EMA 2023 restriction ...)."""

    id: str
    level: str
    text: str
    citation: Citation
    indications: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    origin: str = ""


class Course(NamedTuple):
    """A fixed treatment course (e.g. baricitinib in hospitalised COVID-19: 14 days or until discharge)."""

    id: str
    length: Offset
    text: str
    citation: Citation
    indications: tuple[str, ...] = ()


class Unverified(NamedTuple):
    """A point the reference marks UNVERIFIED (or does not cover): shown as "Check the current label: ...".

    With `indications` / `conditions` it is shown only to the patients it concerns; with `dose` it replaces
    the dose figure for them ("check the current label" instead of a number).
    """

    topic: str
    detail: str
    indications: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    dose: bool = False


class Silent(NamedTuple):
    """A class requirement (jakplan/data/class-requirements.toml) that this protocol's source does not address:
    declared, with the source that is silent, instead of passing unnoticed."""

    item: str
    citation: Citation
    why: str
    indications: tuple[str, ...] = ()


class Phase(NamedTuple):
    id: str
    title: str
    before_start: bool = False
    until: Offset | None = None


class Planning(NamedTuple):
    """Calendar-placement assumptions (not clinical figures)."""

    screening_lead: Offset
    tolerance: Offset
    phases: tuple[Phase, ...]


class Protocol(NamedTuple):
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
    doses: tuple[Dose, ...] = ()
    risks: tuple[Risk, ...] = ()
    courses: tuple[Course, ...] = ()
    silent: tuple["Silent", ...] = ()

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)


class Patient(NamedTuple):
    """Who the plan is for. `factors` holds patient factors by vocabulary name (age, egfr, smoker, ...)."""

    indication: str
    factors: Mapping[str, Any] = MappingProxyType({})


class Event(NamedTuple):
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
    conditions: tuple[Condition, ...] = ()
    """Conditions that could not be checked against the patient (factor not given): it applies if they hold."""
    anchor: str = "start"
    origin: str = ""
    planned: dt.date | None = None
    """The date on the start grid before a treatment pause moved it (None if not moved)."""
    shifted_days: int = 0
    on_hold: bool = False
    """Treatment is paused (with no restart recorded) since before this date: the date is not known yet."""
    nominal: dt.date | None = None
    """The date the rule's timing gives, when the review was placed on another day inside its window to share a
    visit (a lab visit, or a review of the same kind): see :func:`jakplan.engine.visits.merge_reviews` (None: not
    moved)."""

    @property
    def sort_key(self) -> tuple:
        return (self.date, KINDS.index(self.kind), self.rule, self.occurrence)


class Derived(NamedTuple):
    """A patient factor jakplan did not take as typed: computed from others, or taken from a recorded value."""

    name: str
    value: Any
    kind: str
    """'computed' (e.g. creatinine clearance by Cockcroft-Gault) or 'recorded' (a lab value recorded after the start)."""
    inputs: tuple[tuple[str, Any], ...] = ()
    """For a computed value, the factors it was computed from (name, value), in order."""
    source: str = ""
    """For a computed value, the citation of the formula."""
    on: dt.date | None = None
    """For a recorded value, the day it was recorded."""
    before: Any = None
    """For a recorded value, what the plan file's [factors] said, when it differs (the recorded value wins)."""


class Plan(NamedTuple):
    drug: str
    indication: str
    protocol: Protocol
    start: dt.date
    end: dt.date
    months: int
    events: tuple[Event, ...]
    skipped: tuple["Skip", ...] = ()
    """Rules that do not apply to this patient, and why."""
    patient: Patient | None = None
    dose: "DoseAdvice | None" = None
    """The label's dose for this patient (see jakplan.engine.dosing)."""
    risks: tuple["RiskNote", ...] = ()
    """Risk notes that apply to this patient, or may apply (factor not given)."""
    course: Course | None = None
    course_end: dt.date | None = None
    """Last day of a fixed course; no event falls after it."""
    unverified: tuple[tuple[Unverified, tuple[Condition, ...]], ...] = ()
    """The protocol's "check the current label" points for this patient: (point, conditions left open)."""
    identity: Any = None
    """Who the plan is for (:class:`jakplan.records.profile.Identity`), when known."""
    pauses: tuple[Any, ...] = ()
    """Treatment pauses (:class:`jakplan.history.Pause`) the dates take into account."""
    derived: tuple[Derived, ...] = ()
    """Factors computed or taken from recorded values (labelled as such in every output)."""
    silent: tuple["Silent", ...] = ()
    """The class requirements this protocol's source does not address for the plan's indication (declared
    silent with the source that is silent): every view shows them, so the silence is never invisible."""


class DoseLine(NamedTuple):
    """One dose entry that applies (or may apply) to the patient."""

    entry: Dose
    open_conditions: tuple[Condition, ...] = ()
    """Conditions not checked because the factor was not given (it applies if they hold)."""


class DoseAdvice(NamedTuple):
    """The dose for this patient: the outcome, the dose text and every entry behind it.

    outcome: standard / adjusted / not_recommended / contraindicated (the most restrictive entry that applies),
    "check" when the standard entry applies but an entry that would change the dose tests a factor not given
    (``missing``; ``dose`` is then the dose if none of those changes applies), "check_label" when an unverified
    point decides the dose (no number is given), or "unknown" when the protocol has no dose entry that applies.
    """

    outcome: str
    dose: str
    reasons: tuple[DoseLine, ...]
    possible: tuple[DoseLine, ...] = ()
    """Entries that would change the dose if an unknown factor turned out to match."""
    conflict: bool = False
    """Several adjustments apply with different doses: the prescriber decides how they combine."""
    check_label: tuple[Unverified, ...] = ()
    """Unverified points that decide this patient's dose: the output says "check the current label"."""
    check_label_possible: tuple[tuple[Unverified, tuple[Condition, ...]], ...] = ()
    missing: tuple[str, ...] = ()
    """Factors the dose depends on (an entry that would change it tests them) that the user did not give:
    the dose is then not settled, and the headline says which to give."""
    unused: tuple[str, ...] = ()
    """Factors the user gave that this label does not dose by, although it doses by another measure of the
    same kind (eGFR given, the label uses creatinine clearance)."""
    unknown_medicines: tuple[str, ...] = ()
    """Medicines given that jakplan does not know: kept and reported; the dose is not assessed for interactions
    with them (never standard)."""
    unstated_classes: tuple[tuple[str, str], ...] = ()
    """(medicine, interaction class) for each class of a given medicine that the protocol neither rules on nor
    declares silent: the dose is not assessed for interactions with it (never standard)."""

    @property
    def settled(self) -> bool:
        return not self.missing and self.outcome in ("standard", "adjusted", "not_recommended", "contraindicated")


class RiskNote(NamedTuple):
    risk: Risk
    open_conditions: tuple[Condition, ...] = ()
