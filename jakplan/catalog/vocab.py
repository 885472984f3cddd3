"""The controlled vocabulary, the cited sources, the drugs and their shipped protocol variants."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jakplan.catalog.files import data_path, read_toml
from jakplan.catalog.medicines import class_table, medicine_table
from jakplan.catalog.names import canonical
from jakplan.errors import JakplanError
from jakplan.model import SOURCE_GRADES, Source


@lru_cache(maxsize=None)
def vocabulary() -> dict[str, Any]:
    return read_toml(data_path() / "vocabulary.toml")


@lru_cache(maxsize=None)
def sources() -> dict[str, Source]:
    raw = read_toml(data_path() / "sources.toml")
    out = {}
    for key, val in raw.items():
        if key == "schema":
            continue
        out[key] = _source(key, val)
    return out


def _source(key: str, val: Any) -> Source:
    """One [TAG] table of sources.toml; its `grade` is required (primary, manufacturer or mirror)."""
    where = f"sources.toml: source '{key}'"
    if not isinstance(val, dict) or not isinstance(val.get("document"), str):
        raise JakplanError(f"{where}: needs a 'document' string")
    grade = val.get("grade")
    if grade not in SOURCE_GRADES:
        raise JakplanError(f"{where}: field 'grade': {grade!r} is not one of {', '.join(SOURCE_GRADES)}")
    weak = val.get("weak", grade == "mirror")
    if weak is not (grade == "mirror"):
        raise JakplanError(f"{where}: field 'weak' contradicts grade '{grade}' (only a mirror is weak)")
    return Source(id=key, document=val["document"], url=val.get("url", ""), weak=weak, grade=grade)


@lru_cache(maxsize=None)
def drugs() -> dict[str, dict[str, Any]]:
    raw = read_toml(data_path() / "drugs.toml")
    return {k: v for k, v in raw.items() if k not in ("schema", "indication_synonyms")}


@lru_cache(maxsize=None)
def indication_synonyms() -> dict[str, str]:
    """Other names people type for an indication ('rheumatoid arthritis' -> 'ra'), from drugs.toml."""
    return dict(read_toml(data_path() / "drugs.toml").get("indication_synonyms", {}))


def canonical_drug(text: str, option: str = "--drug") -> str:
    """The drug a typed name stands for: any case, or its brand name ('Olumiant'); near misses are named."""

    known = drugs()
    return canonical("drug", text, known, {info["brand"]: d for d, info in known.items() if info.get("brand")}, option)


def canonical_indication(drug: str, text: str, option: str = "--indication") -> str:
    """The indication code a typed name stands for ('RA', 'Rheumatoid arthritis', 'eczema'), among the drug's."""

    known = drug_info(drug).get("indications", {})
    aliases = {label: code for code, label in known.items()}
    aliases.update({label.split(" (")[0]: code for code, label in known.items()})
    aliases.update({syn: code for syn, code in indication_synonyms().items() if code in known})
    try:
        return canonical("indication", text, known, aliases, option)
    except JakplanError as exc:
        raise JakplanError(str(exc).replace(f"'{text}'", f"'{text}' for {drug}", 1)) from None


def factor_values(name: str) -> list[str] | None:
    """The values a choice or list factor may take (None for numbers, dates and true/false)."""
    vocab = vocabulary()
    spec = vocab["factors"][name]
    if "values" in spec:
        return list(spec["values"])
    if "values_from" in spec:
        out: list[str] = []
        for table in spec["values_from"]:
            if table == "medicines.toml":  # the medicine table: every generic name and every class

                out += [m.label for m in medicine_table().values()] + list(class_table())
            else:
                out += list(vocab.get(table, {}))
        return out
    return None




def drug_info(drug: str) -> dict[str, Any]:
    known = drugs()
    if drug not in known:
        drug = canonical_drug(drug, option="")
    return known[drug]


def default_protocol(drug: str, indication: str | None = None) -> str:
    """The shipped protocol used when none is named: the drug's default, or the one drugs.toml names for an
    indication the default does not cover."""
    info = drug_info(drug)
    if indication:
        return info.get("default_protocols", {}).get(indication, info["default_protocol"])
    return info["default_protocol"]


def shipped_protocols(drug: str) -> list[str]:
    """Ids of the selectable protocol variants shipped for ``drug``."""
    folder = data_path() / "protocols" / drug
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


@lru_cache(maxsize=None)
def planning_defaults() -> dict[str, Any]:
    return read_toml(data_path() / "planning.toml")
