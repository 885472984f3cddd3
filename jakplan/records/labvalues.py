"""The one path for a lab value typed or read by any door: `jakplan labs`, `jakplan record --lab`, plan files
and imports all call :func:`lab_value`, so they accept and refuse exactly the same values.

    >>> from jakplan.records.labvalues import lab_value
    >>> lab_value("anc", "1200/mm3"), lab_value("hb", 95, "g/L"), lab_value("alt", "120U/L", uln=40)
    (1.2, 9.5, 3.0)

- The analyte is a vocabulary name (``anc``, ``hb``, ``alt_uln`` ...) or an alias (``alt``, ``ast`` and
  ``alt_uln`` are the same test: ALT/AST as a multiple of the upper limit of normal).
- The unit is written with the value (``1200/mm3``), given apart (``unit="g/L"``), or left out: then the value
  is read in the vocabulary's canonical unit. The conversions are :mod:`jakplan.catalog.units`.
- ALT/AST in U/L needs the laboratory's upper limit of normal (``uln``) and becomes x ULN.
- NaN, infinities, negative values and values outside the vocabulary's ``plausible`` range are refused with
  one line naming where the value came from (the option, the file and entry, the CSV row).
"""

from __future__ import annotations

import functools
import math
from typing import Any

from jakplan.catalog.names import did_you_mean, suggest
from jakplan.catalog.units import Measurement, parse_value
from jakplan.catalog.vocab import vocabulary
from jakplan.errors import JakplanError

ALIASES = {"alt": "alt_uln", "ast": "alt_uln", "alt_ast": "alt_uln", "neutrophils": "anc", "lymphocytes": "alc",
           "haemoglobin": "hb", "hemoglobin": "hb", "plt": "platelets"}


def analyte_of(name: str, where: str = "--lab") -> str:
    """The vocabulary analyte for a name or alias ('ALT' -> 'alt_uln'); unknown names fail."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    analytes = vocabulary()["analytes"]
    if key not in analytes:

        named = {str(spec["name"]): a for a, spec in analytes.items() if spec.get("name")}  # neutrophils -> anc
        near = did_you_mean(suggest(name, analytes, {**ALIASES, **named}))
        known = f"{', '.join(sorted(analytes))} (or alt, ast)"
        raise JakplanError(f"{where}: unknown lab analyte '{name.strip()}'" + (f"{near} (known: {known})" if near else f"; known: {known}"))
    return key


def lab_value(analyte: str, value: Any, unit: str | None = None, where: str = "", *,
              uln: float | str | None = None) -> float:
    """A lab value in the canonical unit of its analyte, or JakplanError (one line starting with ``where``)."""
    return lab_measurement(analyte, value, unit, where, uln=uln).value


def lab_measurement(analyte: str, value: Any, unit: str | None = None, where: str = "", *,
                    uln: float | str | None = None):
    """:func:`lab_value` with what was written kept for display (a :class:`~jakplan.catalog.units.Measurement`)."""

    name = analyte_of(analyte, where or "--lab")
    where = where or f"--{name.replace('_', '-')}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise JakplanError(f"{where}: {name} must be a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise JakplanError(f"{where} '{value}' is not a finite number")
    text = repr(value) if isinstance(value, float) else str(value)  # repr: every digit, read back exactly
    text += f" {unit}" if unit else ""
    try:
        return _accepted(name, text, uln)
    except JakplanError:
        return parse_value(name, text, where, uln=uln)  # refused again, in words naming where it came from


@functools.lru_cache(maxsize=4096)
def _accepted(analyte: str, text: str, uln: float | str | None) -> Measurement:
    """:func:`~jakplan.catalog.units.parse_value` of a value as written, kept when accepted (a refusal is not kept:
    it is raised again naming where it came from). A register's plan files hold the same few values many times:
    reading 2,000 of them parsed each value anew."""
    return parse_value(analyte, text, None, uln=uln)


def parse_lab_item(text: str, where: str = "--lab", uln: float | str | None = None) -> tuple[str, float]:
    """'hb=9.5', 'anc=1200/mm3', 'alt=120U/L' (with ``uln``) -> (analyte, canonical value)."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip() or not raw.strip():
        raise JakplanError(f"{where} '{text}' must look like ANALYTE=VALUE, e.g. anc=1.8 or hb=95g/L")
    analyte = analyte_of(name, where)
    return analyte, lab_value(analyte, raw.strip(), where=f"{where} {name.strip().lower()}", uln=uln)
