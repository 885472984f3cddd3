"""The one patient-factor table, generated from ``vocabulary.toml [factors]``.

Everything about a factor comes from its vocabulary entry: the command-line option (``--egfr``,
``--cv-risk/--no-cv-risk``), the profile and plan-file key (``[factors] egfr = 45``), the CSV column, the help
text, and the validation. There is one parser per factor: :func:`parse_text` for text (an option, a CSV cell)
and :func:`check_value` for typed values (TOML); both refuse NaN, infinities and out-of-range values with
one line naming where the value came from.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from typing import Any, NamedTuple

from jakplan.catalog.medicines import canonical_medicine, medicine_aliases, medicine_classes, medicine_key
from jakplan.catalog.names import did_you_mean, key, suggest
from jakplan.catalog.vocab import factor_values, vocabulary
from jakplan.dates import parse_user_date
from jakplan.errors import JakplanError
from jakplan.escape import shown

TYPES = ("number", "bool", "choice", "list", "date")


class Factor(NamedTuple):
    name: str
    """The vocabulary key, used in profiles, plan files, CSV columns and rule conditions."""
    type: str
    option: str
    """The command-line option without dashes (``egfr``, ``cv-risk``)."""
    help: str
    label: str
    unit: str = ""
    lo: float | None = None
    hi: float | None = None
    whole: bool = False
    values: tuple[str, ...] = ()
    units: str = ""
    """A unit family (catalog/units.py) whose spellings may follow the number ('88umol/L'), converted to ``unit``."""
    bare_units: tuple[str, ...] = ()
    """Other units a number typed without one may have been meant in: read in two, it is refused with both."""
    hints: dict[str, str] = {}
    """Words a person may type for a choice that are not a spelling of it (``ex`` -> past): suggested, never taken."""

    @property
    def flag(self) -> str:
        return "--" + self.option

    @property
    def param(self) -> str:
        """The Python parameter name of the option (``with`` is a keyword)."""
        name = self.option.replace("-", "_")
        return name + "_" if name in ("with", "from") else name


@lru_cache(maxsize=None)
def factor_table() -> dict[str, Factor]:
    """Every patient factor, in the vocabulary's order (the order --help lists them)."""
    out = {}
    for name, spec in vocabulary()["factors"].items():
        if spec["type"] not in TYPES:
            raise JakplanError(f"vocabulary.toml: factor '{name}': type '{spec['type']}' is not one of {', '.join(TYPES)}")
        out[name] = Factor(
            name=name, type=spec["type"], option=spec.get("option", name.replace("_", "-")),
            help=spec.get("help", spec.get("label", name.replace("_", " "))),
            label=spec.get("label", name.replace("_", " ")), unit=spec.get("unit", ""),
            lo=spec.get("min"), hi=spec.get("max"), whole=bool(spec.get("whole", False)),
            values=tuple(factor_values(name) or ()) if spec["type"] == "choice" else (),  # a list: its own table
            units=spec.get("units", ""),
            bare_units=tuple(spec.get("bare_units", ())), hints=dict(spec.get("hints", {})),
        )
    return out


def factor(name: str, where: str) -> Factor:
    table = factor_table()
    if name not in table:

        by_key = {key(n): n for n in table}  # 'CV_Risk', 'cardiovascular-risk' find their factor
        if key(name) in by_key:
            return table[by_key[key(name)]]
        near = suggest(name, table)
        raise JakplanError(f"{where}: unknown patient factor '{name}'" + (f"; did you mean {near[0]}?" if near else "")
                           + f"; known: {', '.join(sorted(table))}")
    return table[name]


def _number(f: Factor, value: Any, where: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise JakplanError(f"{where}: factor '{f.name}' must be a number, not {value!r}")
    if not math.isfinite(value):
        raise JakplanError(f"{where}: factor '{f.name}' must be a finite number, not {value!r}")
    if f.whole and value != int(value):
        raise JakplanError(f"{where}: factor '{f.name}' must be a whole number, not {value!r}")
    if (f.lo is not None and value < f.lo) or (f.hi is not None and value > f.hi):
        raise JakplanError(f"{where}: factor '{f.name}' = {value} is outside {f.lo:g}-{f.hi:g} {f.unit}".rstrip())
    return int(value) if f.whole else value


def _choice(f: Factor, value: Any, where: str) -> str:
    if isinstance(value, str):
        for v in f.values:
            if v.lower() == value.strip().lower():
                return v
    hint = ""
    if isinstance(value, str):

        hint = did_you_mean(suggest(value, f.values, hints=f.hints))
    raise JakplanError(f"{where}: factor '{f.name}' must be one of {', '.join(f.values)}, not {value!r}{hint}")


def medicine_name(text: str) -> str:
    """'Strong-CYP3A4-inhibitor' -> 'strong_cyp3a4_inhibitor'; a brand or synonym -> the generic's key
    ('Humira' -> 'adalimumab', 'rifampin' -> 'rifampicin')."""
    return canonical_medicine(text)


def _medicines(f: Factor, value: Any, where: str) -> list[str]:
    """Medicine or class names; 'none' means none. A name close to a known one is refused with the suggestion
    (a typo is never taken); any other name is kept as given: a medicine jakplan does not know is recorded and
    reported, and the dose is then not assessed for interactions (never standard)."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise JakplanError(f"{where}: factor '{f.name}' must be a list of names, not {value!r}")
    known = medicine_classes()
    out: list[str] = []
    for raw in value:
        name = medicine_name(raw)
        if not name or name == "none":
            continue
        if not all(ch.isalnum() or ch in "_.'()/+" for ch in name):

            raise JakplanError(f"{where}: factor '{f.name}': {shown(raw)} is not a medicine name (letters, digits, "
                               f"spaces and - only)")
        if name not in known:

            near = suggest(name, list(known) + list(medicine_aliases()), prefix=False)  # 'iron' is a medicine of its own
            near = [medicine_aliases().get(medicine_key(n), n) for n in near]
            if near:
                raise JakplanError(f"{where}: factor '{f.name}': unknown value '{raw.strip()}'; did you mean "
                                   f"{near[0]}? (a medicine jakplan does not know is kept if it is not a near miss)")
        if name not in out:
            out.append(name)
    return out


def _date(f: Factor, value: Any, where: str) -> dt.date:
    if isinstance(value, str):

        day = parse_user_date(value, where)  # 2024-5-1 accepted; 01/05/2024 refused naming both readings
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    else:
        raise JakplanError(f"{where}: factor '{f.name}' must be a date (YYYY-MM-DD), not {value!r}")
    if day > dt.date.today():
        raise JakplanError(f"{where}: factor '{f.name}' {day} is in the future")
    return day


def check_value(name: str, value: Any, where: str) -> Any:
    """A typed factor value (from TOML or from :func:`parse_text`), validated; raises JakplanError."""
    f = factor(name, where)
    if f.type == "number":
        return _number(f, value, where)
    if f.type == "bool":
        if not isinstance(value, bool):
            raise JakplanError(f"{where}: factor '{f.name}' must be true or false, not {value!r}")
        return value
    if f.type == "choice":
        return _choice(f, value, where)
    if f.type == "list":
        return _medicines(f, value, where)
    return _date(f, value, where)


_TRUE, _FALSE = ("true", "yes", "y", "1"), ("false", "no", "n", "0")


def parse_text(name: str, raw: str | list[str], where: str) -> Any:
    """A factor written as text (an option value, a CSV cell), typed by the table and validated."""
    f = factor(name, where)
    if f.type == "list":
        items = raw if isinstance(raw, list) else [raw]
        return check_value(name, [p for item in items for p in item.split(",")], where)
    text = raw.strip() if isinstance(raw, str) else str(raw)
    if f.type == "number":
        value: Any = _typed_number(f, text, where)
    elif f.type == "bool":
        low = text.lower()
        if low not in _TRUE + _FALSE:
            raise JakplanError(f"{where}: factor '{f.name}': write true or false, not '{text}'")
        value = low in _TRUE
    else:
        value = text
    return check_value(name, value, where)


def _typed_number(f: Factor, text: str, where: str) -> int | float:
    """A number factor as typed: a bare number in the factor's unit, or (for a factor with a unit family) a number
    with a unit, converted ('88umol/L' -> 0.995 mg/dL). A bare number that reads as a possible value in one of
    the factor's ``bare_units`` too is refused naming both readings; one possible only in another unit is
    refused with the spelling to write (never converted silently)."""
    try:
        bare = int(text) if f.whole and text.lstrip("+-").isdigit() else float(text)
    except ValueError:
        bare = None
    if bare is not None:
        _bare_readings(f, bare, text, where)
        return bare
    from jakplan.catalog.units import (  # a number with a unit: off schedule's start-up
        FAMILIES,
        NUMBER,
        unit_key,
        unit_words_of,
    )

    m = NUMBER.match(text)
    if not f.units or not m or not m.group(2):
        raise JakplanError(f"{where}: factor '{f.name}': '{text}' is not a number"
                           + (f" (a unit may follow: {unit_words_of(f.units)})" if f.units else ""))
    fam = FAMILIES[f.units]
    key = unit_key(m.group(2))
    if key not in fam:
        raise JakplanError(f"{where}: factor '{f.name}': unit '{m.group(2)}' is not one jakplan converts for "
                           f"{f.label}; use {unit_words_of(f.units)}")
    return round(float(m.group(1)) * fam[key] / fam[unit_key(f.unit)], 6)


def _bare_readings(f: Factor, number: float, text: str, where: str) -> None:
    if not f.units or not f.bare_units or not math.isfinite(number):
        return
    from jakplan.catalog.units import FAMILIES, unit_key  # a factor with a unit family (creatinine): off start-up

    fam = FAMILIES[f.units]
    mine = f.lo is None or f.hi is None or f.lo <= number <= f.hi
    for alt in f.bare_units:
        value = number * fam[unit_key(alt)] / fam[unit_key(f.unit)]
        if f.lo is not None and f.hi is not None and not f.lo <= value <= f.hi:
            continue
        if mine:
            raise JakplanError(f"{where}: factor '{f.name}' '{text}' has no unit and could be {number:g} {f.unit} or "
                               f"{number:g} {alt} (= {value:.3g} {f.unit}); write the unit: {number:g}{f.unit} or "
                               f"{number:g}{alt}")
        raise JakplanError(f"{where}: factor '{f.name}' = {number:g} is outside {f.lo:g}-{f.hi:g} {f.unit}; if you "
                           f"meant {number:g} {alt} (= {value:.3g} {f.unit}), write {number:g}{alt}")


def factors_from_options(values: dict[str, Any]) -> dict[str, Any]:
    """Patient factors from parsed options keyed by :attr:`Factor.param` (None = not given); errors name the
    option. Text values are parsed here, so every input path shares :func:`parse_text`."""
    out: dict[str, Any] = {}
    for f in factor_table().values():
        val = values.get(f.param)
        if val is None or val == []:
            continue
        out[f.name] = check_value(f.name, val, f.flag) if isinstance(val, bool) else parse_text(f.name, val, f.flag)
    if "age" in out and "born" in out:
        raise JakplanError("give --age or --born, not both")
    return out
