"""Patient-specific reading of a protocol (pure): which dose entries, risk notes and course apply.

A dose, risk or course entry applies when the patient's indication is among its indications (or it names
none) and every condition holds. A condition on a factor the patient did not give is left open: the entry
is then shown as "applies if ..." rather than silently applied or dropped.
"""

from __future__ import annotations

from typing import Any

from jakplan.catalog.medicines import medicine_classes
from jakplan.catalog.requirements import stated_classes
from jakplan.catalog.vocab import vocabulary
from jakplan.engine.conditions import match, missing_factors
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
        lines = tuple(possible + open_standard)
        return DoseAdvice("check_label" if check else "unknown", "", (), lines,
                          check_label=tuple(check), check_label_possible=tuple(check_open),
                          missing=_missing(lines, check_open, factors), unused=_unused(protocol, factors))
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
    missing = _missing(tuple(possible), check_open, factors) if outcome in ("standard", "adjusted", "check_label") else ()
    unknown = tuple(m for m in (factors or {}).get("with") or () if m not in medicine_classes())
    unstated = unstated_classes(protocol, (factors or {}).get("with") or (), patient.indication)
    if unknown or unstated:
        missing = tuple(dict.fromkeys(missing + ("with",)))  # not assessed for interactions with these
    if outcome == "standard" and missing:
        # fail closed: the standard dose only when every input the label doses by is known (a factor not given,
        # or given in a measure this label does not use, leaves the dose to check)
        outcome = "check"
    return DoseAdvice(outcome, dose, tuple(DoseLine(d) for d in chosen), tuple(possible),
                      conflict=len(doses) > 1, check_label=tuple(check), check_label_possible=tuple(check_open),
                      missing=missing, unused=_unused(protocol, factors), unknown_medicines=unknown,
                      unstated_classes=unstated)


def unstated_classes(protocol: Protocol, medicines, indication: str | None = None) -> tuple[tuple[str, str], ...]:
    """(medicine, class) for each class of a given medicine that the protocol neither rules on nor declares
    silent for the patient's indication: the dose is not assessed for interactions with it (fail closed)."""
    if not medicines:
        return ()
    stated = stated_classes(protocol, indication)
    known = medicine_classes()
    return tuple((m, c) for m in medicines for c in sorted(known.get(m, ())) if c not in stated)


def _missing(lines: tuple[DoseLine, ...], check_open: list, factors: dict[str, Any] | None) -> tuple[str, ...]:
    """The factors not given that an entry which would change the dose tests (in the order met)."""
    factors = factors or {}
    names = [f for dl in lines for f in missing_factors(dl.entry.conditions, factors)]
    names += [f for u, _ in check_open for f in missing_factors(u.conditions, factors)]
    return tuple(dict.fromkeys(names))


def dose_factors(protocol: Protocol) -> set[str]:
    """Every factor a dose entry (or a dose point to check on the label) of the protocol tests."""
    out = {c.factor for d in protocol.doses for c in d.conditions}
    out |= {c.factor for u in protocol.unverified if u.dose for c in u.conditions}
    return out


def _unused(protocol: Protocol, factors: dict[str, Any] | None) -> tuple[str, ...]:
    """Given factors of a measure kind (vocabulary ``measures``, e.g. kidney function) that the label doses by
    with another factor of that kind, not with this one: eGFR given to a label that uses creatinine clearance."""
    factors = factors or {}
    spec = vocabulary()["factors"]
    used = dose_factors(protocol)
    out = []
    for name, value in factors.items():
        kind = spec.get(name, {}).get("measures")
        if value is None or kind is None or name in used:
            continue
        if any(spec.get(f, {}).get("measures") == kind for f in used):
            out.append(name)
    return tuple(out)


def risk_notes(protocol: Protocol, patient: Patient, factors: dict[str, Any] | None = None) -> tuple[RiskNote, ...]:
    """Risk notes that apply to the patient, then those that may apply (a factor not given)."""
    sure: list[RiskNote] = []
    maybe: list[RiskNote] = []
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
