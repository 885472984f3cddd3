"""The medicine table (``data/medicines.toml``): every medicine a user may name with ``--with``, its brand names
and synonyms, and every interaction class it belongs to, each membership with the source that places it there.

The ``--with`` parser (:mod:`jakplan.catalog.factors`), the dose engine's class tests
(:mod:`jakplan.engine.conditions`, :mod:`jakplan.engine.dosing`) and the docs read this one table."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from jakplan.catalog.files import data_path, read_toml
from jakplan.errors import JakplanError

INTERACTION = "interaction_"
"""The prefix of the class checklist's generated items, one per interaction class (see catalog/requirements.py)."""


def medicine_key(text: str) -> str:
    """The form names are compared in: 'Strong-CYP3A4-inhibitor' -> 'strong_cyp3a4_inhibitor',
    "St John's wort" -> 'st_johns_wort'."""
    return text.strip().lower().replace("-", "_").replace(" ", "_").replace("'", "")


class MedicineClass(NamedTuple):
    id: str
    label: str
    source: str


class Medicine(NamedTuple):
    name: str
    """The canonical key (the generic name in :func:`medicine_key` form)."""
    label: str
    """The generic name as written in the table ('st johns wort')."""
    classes: dict[str, str]
    """Each interaction class -> the source tag that places the medicine in it."""
    where: str = ""
    """Where in those sources (the table, the ATC group)."""
    aliases: tuple[str, ...] = ()
    """Brand names and synonyms, as written."""
    none: str = ""
    """For a medicine in no class: why (it is known, not unknown)."""


@lru_cache(maxsize=None)
def _raw() -> dict:
    return read_toml(data_path() / "medicines.toml")


@lru_cache(maxsize=None)
def class_table() -> dict[str, MedicineClass]:
    """The interaction classes, by id."""
    out = {}
    for cid, spec in _raw().get("classes", {}).items():
        if not isinstance(spec, dict) or not isinstance(spec.get("label"), str):
            raise JakplanError(f"medicines.toml: class '{cid}' needs a 'label'")
        out[cid] = MedicineClass(cid, spec["label"], spec.get("source", ""))
    return out


@lru_cache(maxsize=None)
def medicine_table() -> dict[str, Medicine]:
    """The medicines, by canonical key; every class a medicine names must be in :func:`class_table`."""
    classes = class_table()
    out = {}
    for label, spec in _raw().get("medicines", {}).items():
        where = f"medicines.toml: medicine '{label}'"
        member = spec.get("classes")
        if not isinstance(member, dict):
            raise JakplanError(f"{where}: needs 'classes' (a table CLASS = \"SOURCE\", or {{}} with 'none')")
        for cid in member:
            if cid not in classes:
                raise JakplanError(f"{where}: class '{cid}' is not a class of medicines.toml")
        if not member and not spec.get("none"):
            raise JakplanError(f"{where}: in no class: say why in 'none'")
        aliases = tuple(spec.get("brands", [])) + tuple(spec.get("synonyms", []))
        key = medicine_key(label)
        out[key] = Medicine(key, label, dict(member), spec.get("where", ""), aliases, spec.get("none", ""))
    return out


@lru_cache(maxsize=None)
def medicine_aliases() -> dict[str, str]:
    """Every name a medicine may be typed as (generic, brand, synonym, in :func:`medicine_key` form) -> its key."""
    out: dict[str, str] = {}
    for key, med in medicine_table().items():
        out[key] = key
        for alias in med.aliases:
            out.setdefault(medicine_key(alias), key)
    return out


def canonical_medicine(text: str) -> str:
    """The table's key for a typed name (a brand maps to its generic); a class id stays itself; a name jakplan
    does not know comes back in key form (it is kept, and the dose is not assessed for interactions with it)."""
    key = medicine_key(text)
    return medicine_aliases().get(key, key)


@lru_cache(maxsize=None)
def medicine_classes() -> dict[str, frozenset[str]]:
    """Each name ``--with`` knows (every medicine key and class id) -> the interaction classes it stands for."""
    out = {key: frozenset(med.classes) for key, med in medicine_table().items()}
    for alias, key in medicine_aliases().items():  # 'rifampin', 'humira': the generic's classes
        out.setdefault(alias, out[key])
    for cid in class_table():
        out.setdefault(cid, frozenset([cid]))
    return out


def medicine_label(name: str) -> str:
    """How outputs name a medicine or class: the table's generic name, a class label, else the name as kept."""
    med = medicine_table().get(name)
    return med.label if med is not None else class_label(name)


def class_label(cid: str) -> str:
    """'strong CYP3A4 inhibitor' for 'strong_cyp3a4_inhibitor' (the id with spaces if unknown)."""
    cls = class_table().get(cid)
    return cls.label if cls is not None else cid.replace("_", " ")
