"""The reviewed LOINC table (``jakplan/data/loinc.toml``): LOINC code -> jakplan analyte for lab imports, the
codes a planned test is requested under, and the codes deliberately not imported, checked against the
vocabulary when loaded."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from jakplan.catalog.files import data_path, read_toml
from jakplan.catalog.vocab import vocabulary
from jakplan.errors import JakplanError

LOINC_CODE = re.compile(r"^\d{1,7}-\d$")


@dataclass(frozen=True)
class LoincCode:
    code: str
    analyte: str
    name: str
    units: tuple[str, ...]
    source: str
    evidence: str
    uln: bool = False
    note: str = ""


@dataclass(frozen=True)
class LoincTable:
    codes: dict[str, LoincCode]
    unmapped: dict[str, tuple[str, str]]
    """code -> (name, reason)"""
    aliases: dict[str, str]
    orders: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    """vocabulary check -> ((LOINC code, long name), ...) requested for it"""
    uncoded: dict[str, str] = field(default_factory=dict)
    """test check -> why it has no LOINC code"""
    not_imported: dict[str, str] = field(default_factory=dict)
    """vocabulary analyte -> why lab files do not carry it"""

    def for_analyte(self, analyte: str) -> list[LoincCode]:
        return [c for c in self.codes.values() if c.analyte == analyte]


EVIDENCE = ("loinc.org", "hl7", "lab catalogue", "public mappings")


@lru_cache(maxsize=None)
def loinc_table() -> LoincTable:
    """The reviewed LOINC table (``jakplan/data/loinc.toml``), checked against the vocabulary."""
    raw = read_toml(data_path() / "loinc.toml")
    analytes = vocabulary()["analytes"]
    codes: dict[str, LoincCode] = {}
    for code, e in raw.get("codes", {}).items():
        where = f"loinc.toml [codes.\"{code}\"]"
        if not LOINC_CODE.match(code):
            raise JakplanError(f"{where}: not a LOINC code")
        if e.get("analyte") not in analytes:
            raise JakplanError(f"{where}: unknown analyte {e.get('analyte')!r}")
        if e.get("evidence") not in EVIDENCE:
            raise JakplanError(f"{where}: evidence must be one of {', '.join(EVIDENCE)}")
        codes[code] = LoincCode(code, e["analyte"], e["name"], tuple(e["units"]), e["source"], e["evidence"],
                                bool(e.get("uln", False)), e.get("note", ""))
    unmapped = {code: (e["name"], e["reason"]) for code, e in raw.get("unmapped", {}).items()}
    clash = set(codes) & set(unmapped)
    if clash:
        raise JakplanError(f"loinc.toml: code(s) both mapped and unmapped: {', '.join(sorted(clash))}")
    aliases = dict(raw.get("aliases", {}))
    for word, analyte in aliases.items():
        if analyte not in analytes:
            raise JakplanError(f"loinc.toml [aliases]: {word} = unknown analyte {analyte!r}")
    names = {c: e.name for c, e in codes.items()}
    for code, e in raw.get("order_codes", {}).items():
        if e.get("evidence") not in EVIDENCE or not e.get("source"):
            raise JakplanError(f"loinc.toml [order_codes.\"{code}\"]: needs a source and evidence")
        names[code] = e["name"]
    checks = vocabulary()["checks"]
    orders = {}
    for check, order in raw.get("orders", {}).items():
        if check not in checks:
            raise JakplanError(f"loinc.toml [orders]: unknown check {check!r}")
        missing = [c for c in order if c not in names]
        if missing:
            raise JakplanError(f"loinc.toml [orders] {check}: code(s) {', '.join(missing)} not in [codes] or [order_codes]")
        orders[check] = tuple((c, names[c]) for c in order)
    uncoded = dict(raw.get("uncoded", {}))
    not_imported = dict(raw.get("analytes_not_imported", {}))
    for analyte in not_imported:
        if analyte not in analytes:
            raise JakplanError(f"loinc.toml [analytes_not_imported]: unknown analyte {analyte!r}")
    return LoincTable(codes, unmapped, aliases, orders, uncoded, not_imported)
