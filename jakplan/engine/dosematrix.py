"""The interaction and dose matrix of one protocol (issue 17 item 7; pure): for each indication, the dose outcome
at every kidney band (in each measure, and with none given), every hepatic class and every interaction class,
with the entries that decide it, so a pharmacist can review the whole table at once.

Nothing here is a new clinical number: the bands are cut at the values the protocol's own entries test, and every
cell is :func:`jakplan.engine.dosing.dose_advice` run at a point inside the band."""

from __future__ import annotations

from typing import Any, NamedTuple

from jakplan.catalog.factors import factor_table
from jakplan.catalog.medicines import class_table
from jakplan.engine.dosing import dose_advice
from jakplan.model import DoseAdvice, Patient, Protocol

KIDNEY = ("egfr", "crcl")
HEPATIC = ("none", "A", "B", "C")
ADULT = {"age": 45, "weight": 70, "sex": "female", "smoker": "never", "cyp2c9": "normal"}
"""The reference patient every other row varies from: an adult with no risk factor (the paediatric entries are
the label's own); every yes/no factor a dose entry tests is 'no' (see :func:`reference`)."""
NORMAL_KIDNEY = 120
HIGHEST = 200


class Cell(NamedTuple):
    """One row of the matrix: what varies (``axis``: kidney measure, 'kidney', 'hepatic', 'with' or 'reference'),
    its value (``low``/``high``: a kidney band, None for open ends, each bound inclusive or not as the protocol
    cuts it; ``value``: 'not given', 'other measure', a hepatic class or an interaction class), and the dose
    advice there."""

    indication: str
    axis: str
    value: str = ""
    low: float | None = None
    high: float | None = None
    advice: Any = None
    low_inclusive: bool = True
    high_inclusive: bool = False

    @property
    def outcome(self) -> str:
        return self.advice.outcome

    @property
    def sources(self) -> tuple[str, ...]:
        a: DoseAdvice = self.advice
        return tuple(dict.fromkeys(r.entry.citation.source.id for r in a.reasons))


def _edges(protocol: Protocol, measure: str, indication: str) -> list[tuple[float, bool]]:
    """The cuts the protocol's entries make on ``measure``: (value, whether the value belongs to the band below):
    'max 60' and 'above 60' cut after 60 (True); 'min 30' and 'below 30' cut before 30 (False)."""
    out: set[tuple[float, bool]] = set()
    entries: tuple[Any, ...] = (*protocol.doses, *protocol.unverified)
    for e in entries:
        if e.indications and indication not in e.indications:
            continue
        for c in e.conditions:
            if c.factor == measure and c.op in ("min", "max", "above", "below"):
                out.add((float(c.value), c.op in ("max", "above")))
    return sorted(v for v in out if 0 < v[0] < HIGHEST)


def _advice(protocol: Protocol, indication: str, factors: dict[str, Any]) -> DoseAdvice:
    return dose_advice(protocol, Patient(indication, factors), factors)


def _same(a: DoseAdvice, b: DoseAdvice) -> bool:
    return (a.outcome, a.dose, [r.entry for r in a.reasons], a.check_label) == \
        (b.outcome, b.dose, [r.entry for r in b.reasons], b.check_label)


def reference(protocol: Protocol) -> dict[str, Any]:
    """:data:`ADULT`, and 'no' for every yes/no factor (clot history, cardiovascular risk ...) a dose entry tests."""

    table = factor_table()
    out = dict(ADULT)
    entries: tuple[Any, ...] = (*protocol.doses, *protocol.unverified)
    for e in entries:
        for c in e.conditions:
            f = table.get(c.factor)
            if f is not None and f.type == "bool":
                out.setdefault(c.factor, False)
    return out


def uses(protocol: Protocol, measure: str) -> bool:
    entries: tuple[Any, ...] = (*protocol.doses, *protocol.unverified)
    return any(c.factor == measure for e in entries for c in e.conditions)


def kidney_rows(protocol: Protocol, indication: str, base: dict[str, Any]) -> list[Cell]:
    """For each kidney measure the protocol doses by (or, when it doses by none, eGFR), the bands where the
    advice is the same, and the advice with no kidney value given."""
    rows = [Cell(indication, "kidney", "not given", advice=_advice(protocol, indication, base))]
    measures = [m for m in KIDNEY if uses(protocol, m)] or [KIDNEY[0]]
    for measure in KIDNEY:
        if measure not in measures:  # the other measure: one row (the label does not use it)
            value = NORMAL_KIDNEY if measure == "egfr" else NORMAL_KIDNEY
            rows.append(Cell(indication, measure, "other measure",
                             advice=_advice(protocol, indication, {**base, measure: value})))
            continue
        # each band starts at a cut: (value, the value itself is in the band below)
        starts: list[tuple[float, bool]] = [(0.0, False), *_edges(protocol, measure, indication)]
        bands: list[tuple[tuple[float, bool], DoseAdvice]] = []
        for low, after in starts:
            point = low + 0.5 if (after or low == 0) else low
            advice = _advice(protocol, indication, {**base, measure: point})
            if bands and _same(bands[-1][1], advice):
                continue
            bands.append(((low, after), advice))
        for i, ((low, after), advice) in enumerate(bands):
            nxt = bands[i + 1][0] if i + 1 < len(bands) else None
            rows.append(Cell(indication, measure, "", low if low > 0 else None, nxt[0] if nxt else None, advice,
                             low_inclusive=not after, high_inclusive=bool(nxt and nxt[1])))
    return rows


def dose_matrix(protocol: Protocol) -> tuple[Cell, ...]:
    """Every indication's rows: the reference patient (an adult with normal kidney function in the measure the
    label doses by, no hepatic impairment, no other medicine), then the kidney bands, the hepatic classes and the
    interaction classes, each varied alone from the reference."""
    out: list[Cell] = []
    measure = next((m for m in KIDNEY if uses(protocol, m)), KIDNEY[0])
    for ind in protocol.indications:
        ref = {**reference(protocol), measure: NORMAL_KIDNEY, "hepatic": "none", "with": []}
        out.append(Cell(ind, "reference", advice=_advice(protocol, ind, ref)))
        out += kidney_rows(protocol, ind, {k: v for k, v in ref.items() if k != measure})
        out += [Cell(ind, "hepatic", h, advice=_advice(protocol, ind, {**ref, "hepatic": h})) for h in HEPATIC]
        out += [Cell(ind, "with", cid, advice=_advice(protocol, ind, {**ref, "with": [cid]})) for cid in class_table()]
    return tuple(out)
