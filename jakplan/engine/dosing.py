"""Patient-specific reading of a protocol (pure): which dose entries, risk notes and course apply.

A dose, risk or course entry applies when the patient's indication is among its indications (or it names
none) and every condition holds. A condition on a factor the patient did not give is left open: the entry
is then shown as "applies if ..." rather than silently applied or dropped.
"""

from __future__ import annotations

from typing import Any

from jakplan.model import (
    DOSE_OUTCOMES,
    Course,
    Dose,
    DoseAdvice,
    DoseLine,
    Patient,
    Protocol,
    RiskNote,
    Unverified,
)
from jakplan.engine.conditions import match


def _rank(d: Dose) -> int:
    return DOSE_OUTCOMES.index(d.outcome)


def dose_advice(protocol: Protocol, patient: Patient, factors: dict[str, Any] | None = None) -> DoseAdvice:
    """The label's dose for this patient: the most restrictive dose entry that applies, with every reason.

    Adjusted doses from several entries that disagree (say a renal and an age adjustment) are all listed
    with ``conflict=True``: how they combine is the prescriber's decision, not jakplan's.
    """
    applies: list[Dose] = []
    possible: list[DoseLine] = []
    open_standard: list[DoseLine] = []
    for d in protocol.doses:
        m = match(d.indications, d.conditions, patient, factors)
        if not m.applies:
            continue
        open_conds = m.open
        if open_conds:
            (open_standard if d.outcome == "standard" else possible).append(DoseLine(d, open_conds))
            continue
        applies.append(d)
    check, check_open = [], []
    for u in protocol.unverified:
        if not u.dose:
            continue
        m = match(u.indications, u.conditions, patient, factors)
        if m.applies:
            (check_open.append((u, m.open)) if m.open else check.append(u))
    if not applies:
        return DoseAdvice("check_label" if check else "unknown", "", (), tuple(possible + open_standard),
                          check_label=tuple(check), check_label_possible=tuple(check_open))
    top = max(_rank(d) for d in applies)
    chosen = [d for d in applies if _rank(d) == top]
    outcome = DOSE_OUTCOMES[top]
    doses = list(dict.fromkeys(d.dose for d in chosen if d.dose))
    dose = " / ".join(doses) if outcome in ("standard", "adjusted") else ""
    if check and outcome in ("standard", "adjusted"):
        # an unverified point decides this patient's dose: no number, "check the current label"
        outcome, dose = "check_label", ""
    # an open entry only matters if it is at least as restrictive as what already applies
    possible = [p for p in possible if _rank(p.entry) >= top and p.entry not in chosen]
    return DoseAdvice(outcome, dose, tuple(DoseLine(d) for d in chosen), tuple(possible),
                      conflict=len(doses) > 1, check_label=tuple(check), check_label_possible=tuple(check_open))


def risk_notes(protocol: Protocol, patient: Patient, factors: dict[str, Any] | None = None) -> tuple[RiskNote, ...]:
    """Risk notes that apply to the patient, then those that may apply (a factor not given)."""
    sure, maybe = [], []
    for r in protocol.risks:
        m = match(r.indications, r.conditions, patient, factors)
        if m.applies:
            (maybe if m.open else sure).append(RiskNote(r, m.open))
    return tuple(sure + maybe)


def course_for(protocol: Protocol, patient: Patient) -> Course | None:
    for c in protocol.courses:
        if not c.indications or patient.indication in c.indications:
            return c
    return None


def unverified_for(protocol: Protocol, patient: Patient,
                   factors: dict[str, Any] | None = None) -> tuple[tuple[Unverified, tuple], ...]:
    """The protocol's unverified points that concern this patient, with any conditions left open."""
    out = []
    for u in protocol.unverified:
        m = match(u.indications, u.conditions, patient, factors)
        if m.applies:
            out.append((u, m.open))
    return tuple(out)
