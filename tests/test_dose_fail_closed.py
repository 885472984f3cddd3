"""Issue 17, done means: for every shipped protocol, every medicine class and every kidney or hepatic value
(including a value in the other measure, and no value), the dose outcome is never "standard" unless the inputs
the label doses by are known and fall in the standard band; and the dose never gets less restrictive as kidney
function falls.

The expectations are computed here from the protocol's own entries (which factors its non-standard dose entries
test, which classes it names), not read back from the engine's ``missing`` list."""

from __future__ import annotations

import pytest

from jakplan.catalog.loader import load_protocol
from jakplan.catalog.medicines import class_table, medicine_classes
from jakplan.catalog.vocab import drugs, shipped_protocols
from jakplan.engine.dosing import dose_advice
from jakplan.model import DOSE_OUTCOMES, Patient

KIDNEY = [{}] + [{m: v} for m in ("egfr", "crcl") for v in (5, 14, 15, 20, 29, 30, 35, 44, 45, 50, 59, 60, 89, 90, 150)]
HEPATIC: list[dict] = [{}, {"hepatic": "none"}, {"hepatic": "A"}, {"hepatic": "B"}, {"hepatic": "C"}]
WITH: list[dict] = [{}, {"with": []}, {"with": ["methotrexate"]}, {"with": ["mesalazine"]}] + [
    {"with": [c]} for c in class_table()]
ADULT = {"age": 45, "weight": 70, "sex": "female"}

CASES = [(d, v, ind) for d in drugs() for v in shipped_protocols(d) for ind in load_protocol(d, v).indications]


def _for(entry, indication: str) -> bool:
    return not entry.indications or indication in entry.indications


def _named_classes(protocol, indication: str) -> set[str]:
    """The classes the protocol names for this indication (its entries for it, or for every indication)."""
    out: set[str] = set()
    for e in (*protocol.doses, *protocol.risks, *protocol.unverified):
        if _for(e, indication):
            for c in e.conditions:
                if c.factor == "with" and c.op == "has":
                    out.update(c.value if isinstance(c.value, list) else [c.value])
    out |= {s.item.removeprefix("interaction_") for s in protocol.silent
            if s.item.startswith("interaction_") and _for(s, indication)}
    return out


@pytest.mark.parametrize(("drug", "variant", "indication"), CASES, ids=[f"{d}-{v}-{i}" for d, v, i in CASES])
def test_standard_only_when_every_input_the_label_doses_by_is_known(drug, variant, indication):
    protocol = load_protocol(drug, variant)
    changing = {c.factor for d in protocol.doses if d.outcome != "standard" and _for(d, indication)
                for c in d.conditions}
    changing |= {c.factor for u in protocol.unverified if u.dose and _for(u, indication) for c in u.conditions}
    named = _named_classes(protocol, indication)
    classes = medicine_classes()
    seen = set()
    for kidney in KIDNEY:
        for hepatic in HEPATIC:
            for with_ in WITH:
                factors = {**ADULT, **kidney, **hepatic, **with_}
                advice = dose_advice(protocol, Patient(indication, factors), factors)
                seen.add(advice.outcome)
                if advice.outcome != "standard":
                    continue
                for f in changing - {"with"}:
                    assert f in factors, (drug, variant, indication, factors, f"{f} decides the dose, not given")
                if "with" in changing or with_:
                    assert "with" in factors, (drug, variant, indication, factors)
                for m in with_.get("with", []):
                    assert m in classes, (drug, variant, indication, m, "an unknown medicine gave 'standard'")
                    assert classes[m] <= named, (drug, variant, indication, m, classes[m] - named)
    assert seen <= set(DOSE_OUTCOMES) | {"check", "check_label", "unknown"}


RANK = {o: i for i, o in enumerate(DOSE_OUTCOMES)}


@pytest.mark.parametrize(("drug", "variant", "indication"), CASES, ids=[f"{d}-{v}-{i}" for d, v, i in CASES])
def test_the_dose_never_gets_less_restrictive_as_kidney_function_falls(drug, variant, indication):
    protocol = load_protocol(drug, variant)
    for measure in ("egfr", "crcl"):
        last = None
        for value in sorted({v for k in KIDNEY for m, v in k.items() if m == measure}, reverse=True):
            factors = {**ADULT, measure: value, "hepatic": "none", "with": []}
            outcome = dose_advice(protocol, Patient(indication, factors), factors).outcome
            if outcome not in RANK:  # check / check_label: not a band, stated as such
                continue
            if last is not None:
                assert RANK[outcome] >= RANK[last[1]], (drug, variant, indication, measure, value, outcome, last)
            last = (value, outcome)
