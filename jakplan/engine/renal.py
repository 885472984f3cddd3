"""Values jakplan computes from what the user gave (pure), each labelled as computed and cited.

Creatinine clearance by the Cockcroft-Gault equation, when the label doses by creatinine clearance, the
user did not give it, and age, weight, sex and serum creatinine are all given::

    CrCl (mL/min) = (140 - age in years) x weight (kg) / (72 x serum creatinine (mg/dL)), x 0.85 for women

Source: Cockcroft DW, Gault MH. Prediction of creatinine clearance from serum creatinine. Nephron
1976;16(1):31-41 (doi:10.1159/000180580). Weight is the actual body weight as given.
"""

from __future__ import annotations

from typing import Any

from jakplan.model import Derived

CG_CITATION = "Cockcroft DW, Gault MH. Nephron 1976;16:31-41"
CG_INPUTS = ("age", "weight", "sex", "creatinine")


def cockcroft_gault(age: float, weight: float, sex: str, creatinine_mg_dl: float) -> float:
    """Creatinine clearance in mL/min (see the module docstring)."""
    crcl = (140 - age) * weight / (72 * creatinine_mg_dl)
    if sex == "female":
        crcl *= 0.85
    return max(0.0, round(crcl, 1))


ADULT_AGE = 18
"""Cockcroft-Gault was derived in adults; jakplan does not apply it to a younger patient (the dose then waits
for a measured creatinine clearance)."""


def computed_factors(factors: dict[str, Any]) -> tuple[dict[str, Any], tuple[Derived, ...]]:
    """``factors`` with creatinine clearance computed when it is missing, its inputs are all given and the
    patient is an adult."""
    if factors.get("crcl") is not None or any(factors.get(k) is None for k in CG_INPUTS):
        return factors, ()
    if factors["age"] < ADULT_AGE:
        return factors, ()
    value = cockcroft_gault(factors["age"], factors["weight"], factors["sex"], factors["creatinine"])
    out = dict(factors)
    out["crcl"] = value
    inputs = tuple((k, factors[k]) for k in ("age", "weight", "sex", "creatinine"))
    return out, (Derived("crcl", value, "computed", inputs, CG_CITATION),)
