"""Lab values with explicit units: parse '1200/mm3', '0.8', '95g/L', convert to the canonical unit of
vocabulary.toml [analytes], and refuse values no human result can have.

Canonical units: cell counts (neutrophils, lymphocytes, platelets) in 10^9/L, haemoglobin in g/dL, liver
enzymes as a multiple of the upper limit of normal. A bare number is read in the canonical unit. The
conversions are unit arithmetic, not clinical figures: 1 cell/mm3 = 1 cell/uL = 10^-3 x 10^9/L;
1 g/L = 0.1 g/dL.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from jakplan.catalog.vocab import vocabulary
from jakplan.errors import JakplanError

# unit spellings (lower case, spaces removed) -> factor to the canonical unit, per unit family
_COUNT = {
    "10^9/l": 1.0, "x10^9/l": 1.0, "*10^9/l": 1.0, "10e9/l": 1.0, "x10e9/l": 1.0, "10⁹/l": 1.0, "×10⁹/l": 1.0,
    "x10⁹/l": 1.0, "×10^9/l": 1.0, "g/l(cells)": 1.0, "giga/l": 1.0,
    "10^3/ul": 1.0, "x10^3/ul": 1.0, "10^3/µl": 1.0, "x10^3/µl": 1.0, "10^3/mm3": 1.0, "x10^3/mm3": 1.0,
    "10³/mm³": 1.0, "×10³/mm³": 1.0, "k/ul": 1.0, "k/µl": 1.0, "thou/ul": 1.0,
    "/mm3": 1e-3, "/mm³": 1e-3, "cells/mm3": 1e-3, "cells/mm³": 1e-3, "/ul": 1e-3, "/µl": 1e-3,
    "cells/ul": 1e-3, "cells/µl": 1e-3, "/μl": 1e-3, "cells/μl": 1e-3,
}
_HB = {"g/dl": 1.0, "g/l": 0.1}
_ULN = {"xuln": 1.0, "uln": 1.0, "×uln": 1.0, "x": 1.0}
_EGFR = {"ml/min/1.73m2": 1.0, "ml/min/1.73m²": 1.0, "ml/min": 1.0}
_CRCL = {"ml/min": 1.0}
_KG = {"kg": 1.0}
ENZYME_UNITS = {"u/l": 1.0, "iu/l": 1.0, "ui/l": 1.0, "ukat/l": 60.0, "µkat/l": 60.0, "μkat/l": 60.0}
"""Enzyme activity units -> factor to U/L (1 ukat/L = 60 U/L: 1 U = 1 umol/min = 16.67 nkat). A value in one of
them is converted to x ULN only with the laboratory's upper limit of normal, in the same unit. The one table
for every door: `labs`, `record --lab`, plan files and lab-file import."""
_EGFR["ml/min/{1.73_m2}"] = 1.0  # the UCUM spelling labs send
# Molar-mass arithmetic, not clinical figures: 1 mg/dL = 10 mg/L; creatinine 113.12 g/mol (-> x 88.4 umol/L),
# cholesterol 386.65 g/mol (-> / 38.67 mmol/L), triglycerides as triolein 885.7 g/mol (-> / 88.57 mmol/L).
_CREATININE = {"umol/l": 1.0, "µmol/l": 1.0, "μmol/l": 1.0, "mmol/l": 1000.0, "mg/dl": 10_000 / 113.12}
_CHOLESTEROL = {"mmol/l": 1.0, "mg/dl": 10 / 386.65}
_TRIGLYCERIDES = {"mmol/l": 1.0, "mg/dl": 10 / 885.7}
FAMILIES = {"count": _COUNT, "haemoglobin": _HB, "uln": _ULN, "egfr": _EGFR, "crcl": _CRCL, "mass": _KG,
            "creatinine": _CREATININE, "cholesterol": _CHOLESTEROL, "triglycerides": _TRIGLYCERIDES}
"""Unit families by name (an analyte names its family in vocabulary.toml, ``units``): spelling -> factor."""
FAMILY_WORDS = {
    "count": "10^9/L, 10^3/uL, cells/mm3 or cells/uL (= /mm3)", "haemoglobin": "g/dL or g/L",
    "uln": "x ULN, or U/L with the upper limit of normal given (--alt-uln)",
    "egfr": "mL/min/1.73m2", "crcl": "mL/min", "mass": "kg", "creatinine": "umol/L or mg/dL",
    "cholesterol": "mmol/L or mg/dL", "triglycerides": "mmol/L or mg/dL",
}


def family(analyte: str) -> dict[str, float]:
    """The unit spellings jakplan converts for ``analyte`` (its vocabulary ``units`` family) -> factor to the
    canonical unit; an analyte with no family takes only its canonical unit, as written in the vocabulary."""
    spec = vocabulary()["analytes"][analyte]
    name = spec.get("units")
    if name is not None and name not in FAMILIES:
        raise JakplanError(f"vocabulary.toml: analyte '{analyte}': units '{name}' is not a unit family jakplan "
                           f"knows ({', '.join(FAMILIES)})")
    return FAMILIES[name] if name else {unit_key(spec["unit"]): 1.0}


def unit_words_of(family_name: str) -> str:
    """The units of a unit family, in words ('umol/L or mg/dL')."""
    return FAMILY_WORDS.get(family_name, family_name)


def unit_words(analyte: str) -> str:
    """The units jakplan accepts for ``analyte``, in words."""
    spec = vocabulary()["analytes"][analyte]
    return FAMILY_WORDS.get(spec.get("units", ""), spec["unit"])


def bare_alternatives(analyte: str) -> list[tuple[str, float, float, float]]:
    """(unit spelling, factor to the canonical unit, lowest and highest number typed in that unit): the other
    common units a number typed without one may have been meant in (vocabulary `bare`)."""
    out = []
    for alt in vocabulary()["analytes"][analyte].get("bare", []):
        lo, hi = alt["typed"]
        out.append((str(alt["unit"]), float(alt["factor"]), float(lo), float(hi)))
    return out


def _ambiguous(analyte: str, opt: str, raw: str, number: float) -> None:
    """Refuse a whole number typed without a unit that reads as a plausible result in two units."""
    if not re.fullmatch(r"\s*\+?\d+\s*", raw):
        return  # a decimal (1.8) is not how a count is written in cells/mm3
    if not is_plausible(analyte, number):
        return
    canonical = vocabulary()["analytes"][analyte]["unit"]
    for spelling, factor, tlo, thi in bare_alternatives(analyte):
        if tlo <= number <= thi:
            shown = f"x {canonical}" if canonical[0].isdigit() else canonical
            other = f"cells{spelling}" if spelling.startswith("/") else spelling
            raise JakplanError(
                f"{opt} '{raw.strip()}' has no unit and could be {number:g} {shown} or {number:g} {other} "
                f"(= {number * factor:g} {shown}); write the unit: {number:g}x{canonical} or {number:g}{spelling}")

@functools.lru_cache(maxsize=1024)  # read for every imported value; a feed uses a few spellings
def unit_key(unit: str) -> str:
    """The form unit spellings are compared in: UCUM notation read ('10*9/L' -> '10^9/L', '[IU]/L' -> 'IU/L',
    an annotation naming what is counted, '{cells}/uL', dropped; one that is part of the unit, 'mL/min/{1.73_m2}', kept), lower case, no spaces."""
    u = re.sub(r"10\*(\d)", r"10^\1", unit.strip())
    u = re.sub(r"\{[^}]*\}(?=/)", "", u.replace("[IU]", "IU").replace("[iU]", "IU"))  # '{cells}/uL' -> '/uL'
    return u.lower().replace(" ", "")


NUMBER = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Measurement:
    analyte: str
    value: float
    """In the canonical unit."""
    unit: str
    """The canonical unit."""
    given: str
    """As the user wrote it, e.g. '1200/mm3'."""

    @property
    def text(self) -> str:
        return f"{self.value:g} {self.unit}"


def analyte_label(analyte: str) -> str:
    return vocabulary()["analytes"][analyte]["label"]


def plausible(analyte: str) -> tuple[float, float]:
    lo, hi = vocabulary()["analytes"][analyte].get("plausible", [0, math.inf])
    return float(lo), float(hi)


def low_exclusive(analyte: str) -> bool:
    """The vocabulary's ``plausible_low = "exclusive"``: the lowest value is not itself a result (a 0)."""
    how = vocabulary()["analytes"][analyte].get("plausible_low", "inclusive")
    if how not in ("inclusive", "exclusive"):
        raise JakplanError(f"vocabulary.toml: analyte '{analyte}': plausible_low {how!r} is not 'inclusive' or 'exclusive'")
    return how == "exclusive"


def is_plausible(analyte: str, value: float) -> bool:
    """Inside the analyte's plausible range (the vocabulary's data, its lower bound exclusive where it says so)."""
    lo, hi = plausible(analyte)
    return (lo < value if low_exclusive(analyte) else lo <= value) and value <= hi


def plausible_text(analyte: str) -> str:
    """The plausible range in words: '0 to 100 10^9/L', or 'above 0, up to 3000 umol/L' (lower bound exclusive)."""
    lo, hi = plausible(analyte)
    unit = vocabulary()["analytes"][analyte]["unit"]
    return f"above {lo:g}, up to {hi:g} {unit}" if low_exclusive(analyte) else f"{lo:g} to {hi:g} {unit}"


def parse_value(analyte: str, text: str | float, option: str | None = None, uln: float | str | None = None) -> Measurement:
    """'1200/mm3' -> 1.2 (10^9/L). Raises JakplanError naming the option for anything it cannot accept.

    ``uln``: the laboratory's upper limit of normal in U/L, needed (and only used) for ALT/AST given in U/L:
    '120U/L' with uln 40 -> 3 x ULN."""
    vocab = vocabulary()["analytes"]
    if analyte not in vocab:
        raise JakplanError(f"unknown analyte '{analyte}'; known: {', '.join(sorted(vocab))}")
    opt = option or f"--{analyte.replace('_', '-')}"
    canonical = vocab[analyte]["unit"]
    raw = str(text)
    if re.match(r"^\s*[+-]?\d*,\d", raw):
        raise JakplanError(f"{opt} '{raw}': a comma is ambiguous (decimal or thousands?); write 1.2 or 1200 without commas")
    m = NUMBER.match(raw)
    if not m:
        raise JakplanError(f"{opt} '{raw}' is not a number with an optional unit (e.g. 0.8, 1200/mm3, 95g/L)")
    number = float(m.group(1))
    unit_text = m.group(2)
    key = unit_key(unit_text)
    spellings = family(analyte)
    if not math.isfinite(number):
        raise JakplanError(f"{opt} '{raw}' is not a finite number")
    if not unit_text:
        factor = 1.0
    elif key in spellings:
        factor = spellings[key]
    elif analyte == "alt_uln" and key in ENZYME_UNITS:
        factor = 1.0 / _uln(uln, opt, raw, unit_text)  # the upper limit in the value's own unit
    else:
        raise JakplanError(f"{opt} '{raw}': unit '{unit_text}' is not one jakplan converts for {analyte_label(analyte).lower()}; "
                           f"use {unit_words(analyte)}")
    if number < 0:
        raise JakplanError(f"{opt} '{raw}': {analyte_label(analyte).lower()} cannot be negative")
    if not unit_text:
        _ambiguous(analyte, opt, raw, number)
    value = number * factor
    if not is_plausible(analyte, value):
        shown = f"{value:g} {canonical}" if unit_text else f"{number:g} {canonical}"
        hint = ""
        if not unit_text:
            for spelling, alt, _, _ in bare_alternatives(analyte):
                if is_plausible(analyte, number * alt):
                    hint = f"; if you meant {spelling}, write {number:g}{spelling}"
                    break
        if not hint:
            hint = " in any unit jakplan knows" if value else "; a result of 0 is not a measured value"
        raise JakplanError(f"{opt} '{raw}' = {shown} is impossible for {analyte_label(analyte).lower()} "
                           f"(possible: {plausible_text(analyte)}){hint}")
    given = raw.strip() + (f" (ULN {_uln(uln, opt, raw, unit_text):g} {unit_text})"
                           if analyte == "alt_uln" and key in ENZYME_UNITS else "")
    return Measurement(analyte, round(value, 6), canonical, given)


def _uln(uln: float | str | None, opt: str, raw: str, unit: str = "U/L") -> float:
    """The upper limit of normal, in the unit the value was given in (``unit``: U/L, ukat/L ...), as a number
    in that unit; it must be a laboratory's ALT/AST upper limit once converted to U/L (5 to 200)."""
    if uln is None:
        raise JakplanError(f"{opt} '{raw}' is in {unit}: give the laboratory's upper limit of normal too, in the "
                           f"same unit (--alt-uln 40, or uln=40), or give the value as a multiple of it (e.g. 3.5)")
    text = str(uln).strip()
    m = NUMBER.match(text)
    if not m:
        raise JakplanError(f"upper limit of normal '{uln}' is not a number ({unit})")
    val, own = float(m.group(1)), unit_key(m.group(2))
    if own and own != unit_key(unit):
        raise JakplanError(f"upper limit of normal '{uln}': give it in the value's unit ({unit})")
    in_u_l = val * ENZYME_UNITS.get(unit_key(unit), 1.0)
    if not math.isfinite(val) or not 5 <= in_u_l <= 200:
        raise JakplanError(f"upper limit of normal '{uln}' {'' if own else unit} is not a laboratory's ALT/AST "
                           f"upper limit (jakplan accepts 5 to 200 U/L)".replace("  ", " "))
    return val
