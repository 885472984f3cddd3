"""The class checklist: what every oral JAK-inhibitor protocol must address (issue 10, item 4).

``jakplan/data/class-requirements.toml`` lists the items and how a protocol encodes each one; a protocol that
does not encode an item declares it ``[[silent]]`` with the source that is silent. :func:`check` is pure:
one protocol and one indication in, one :class:`Status` per item that applies out.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, NamedTuple

from jakplan.catalog.files import data_path, read_toml
from jakplan.catalog.medicines import INTERACTION, class_table
from jakplan.errors import JakplanError
from jakplan.model import Protocol

STATUSES = ("encoded", "silent", "missing", "unstated")
"""``unstated``: an interaction class (data/medicines.toml) the protocol neither rules on nor declares silent; it
fails closed at run time (a patient taking a medicine of that class gets the dose "not assessed for
interactions"), so it is reported, not refused."""
_MATCH_KINDS = {"rule", "threshold", "dose", "risk", "course", "unverified"}



class Item(NamedTuple):
    id: str
    title: str
    encoded_by: tuple[dict[str, Any], ...]
    jurisdictions: tuple[str, ...] = ()
    drugs: tuple[str, ...] = ()
    indications: tuple[str, ...] = ()
    fail_closed: bool = False
    """Generated for an interaction class: when neither encoded nor declared silent it is ``unstated``."""


class Status(NamedTuple):
    item: str
    status: str  # encoded | silent | missing
    evidence: str  # "rule tb_screening", "[S1] US PI 2.1: why", or "" when missing


@lru_cache(maxsize=None)
def items() -> tuple[Item, ...]:
    raw = read_toml(data_path() / "class-requirements.toml")
    out = []
    for i, it in enumerate(raw.get("item", [])):
        where = f"class-requirements.toml: item #{i + 1}"
        if not isinstance(it, dict) or not isinstance(it.get("id"), str) or not isinstance(it.get("title"), str):
            raise JakplanError(f"{where}: needs 'id' and 'title' strings")
        ways = it.get("encoded_by")
        if not isinstance(ways, list) or not ways:
            raise JakplanError(f"{where} ('{it['id']}'): field 'encoded_by' must be a non-empty list")
        for w in ways:
            if not isinstance(w, dict) or len(w) != 1 or next(iter(w)) not in _MATCH_KINDS:
                raise JakplanError(f"{where} ('{it['id']}'): each 'encoded_by' entry names one of "
                                   f"{', '.join(sorted(_MATCH_KINDS))}")
        ap = it.get("applies", {})
        out.append(Item(it["id"], it["title"], tuple(ways), tuple(ap.get("jurisdictions", ())),
                        tuple(ap.get("drugs", ())), tuple(ap.get("indications", ()))))
    return tuple(out) + interaction_items()


@lru_cache(maxsize=None)
def interaction_items() -> tuple[Item, ...]:
    """One item per interaction class of the medicine table: a dose entry, risk note or unverified dose point
    naming the class (``{ factor = "with", has = CLASS }``) states it; else a ``[[silent]]`` entry may declare it."""

    out = []
    for cid, cls in class_table().items():
        way = {"factor": "with", "has": cid}
        article = "" if cls.label.startswith("another ") else "an " if cls.label[0] in "aeiou" else "a "
        out.append(Item(INTERACTION + cid, f"Taken with {article}{cls.label}: the dose or a warning, or the label's silence",
                        ({"dose": way}, {"risk": way}, {"unverified": way}), fail_closed=True))
    return tuple(out)


def _for(entry_inds: tuple[str, ...], indication: str) -> bool:
    return not entry_inds or indication in entry_inds


def jurisdiction_words(protocol: Protocol) -> set[str]:
    return set(re.findall(r"[A-Za-z]+", protocol.jurisdiction))


def applies(item: Item, protocol: Protocol, indication: str) -> bool:
    if item.jurisdictions and not jurisdiction_words(protocol) & set(item.jurisdictions):
        return False
    if item.drugs and protocol.drug not in item.drugs:
        return False
    return not item.indications or indication in item.indications


def _match(way: dict[str, Any], protocol: Protocol, indication: str) -> str:
    """The evidence ('rule tb_screening') of the first entry that matches ``way``, or ''."""
    kind, spec = next(iter(way.items()))
    if kind == "rule":
        checks = set(spec.get("checks", ()))
        timing = spec.get("timing", "any")
        for r in protocol.rules:
            if not _for(r.indications, indication) or not checks & set(r.checks):
                continue
            before = r.timing.type == "before_start"
            if timing == "any" or (timing == "before_start") == before:
                return f"rule {r.id}"
    elif kind == "threshold":
        for t in protocol.thresholds:
            if t.analyte == spec["analyte"] and _for(t.indications, indication) and getattr(t, spec["phase"]):
                return f"threshold {t.id}"
    elif kind in ("dose", "risk", "unverified"):
        entries: tuple[Any, ...] = {"dose": protocol.doses, "risk": protocol.risks,
                                    "unverified": protocol.unverified}[kind]
        for e in entries:
            if not _for(e.indications, indication):
                continue
            if "factor" in spec and not any(c.factor == spec["factor"] for c in e.conditions):
                continue
            if "has" in spec and not any(c.op == "has" and spec["has"] in _listed(c.value) for c in e.conditions):
                continue
            if "id" in spec and not fnmatchcase(e.id, spec["id"]):
                continue
            return f"{kind} {getattr(e, 'id', '') or getattr(e, 'topic', '')}"
    elif kind == "course":
        for c in protocol.courses:
            if _for(c.indications, indication):
                return f"course {c.id}"
    return ""


def check(protocol: Protocol, indication: str, among: tuple[Item, ...] | None = None) -> list[Status]:
    """Every class item (of ``among``, default all) that applies to ``protocol`` for ``indication``: encoded,
    declared silent, or missing (``unstated`` for an interaction class)."""
    out = []
    for item in items() if among is None else among:
        if not applies(item, protocol, indication):
            continue
        evidence = next((e for e in (_match(w, protocol, indication) for w in item.encoded_by) if e), "")
        if evidence:
            out.append(Status(item.id, "encoded", evidence))
            continue
        silent = next((s for s in protocol.silent if s.item == item.id and _for(s.indications, indication)), None)
        if silent is not None:
            c = silent.citation
            where = f"[{c.source.id}]" + (f" {c.section}" if c.section else "")
            out.append(Status(item.id, "silent", f"{where}: {silent.why}"))
        else:
            out.append(Status(item.id, "unstated" if item.fail_closed else "missing", ""))
    return out


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def stated_classes(protocol: Protocol, indication: str | None = None) -> frozenset[str]:
    """The interaction classes the protocol states something about for ``indication`` (for any of its
    indications when None): the class items :func:`check` finds encoded or declared silent. The one reading of
    what a protocol states: the class checklist, the plan's dose (:func:`jakplan.engine.dosing.unstated_classes`)
    and the tests all use it."""

    entry = _STATED.get(id(protocol))
    if entry is None or entry[0] is not protocol:  # keyed by identity: a Protocol holds lists (not hashable)
        if len(_STATED) >= 64:
            _STATED.clear()
        entry = _STATED[id(protocol)] = (protocol, {})
    known = entry[1]
    if indication not in known:
        among = interaction_items()
        known[indication] = frozenset(s.item.removeprefix(INTERACTION)
                                      for ind in ((indication,) if indication is not None else protocol.indications)
                                      for s in check(protocol, ind, among) if s.status != "unstated")
    return known[indication]


_STATED: dict[int, tuple[Protocol, dict[str | None, frozenset[str]]]] = {}
"""stated_classes per protocol object (kept alive here, so its id is not reused) and indication: the dose of a
patient who takes medicines asks it on every plan."""
