"""``[[silent]]`` entries: the class requirements (``class-requirements.toml``) a protocol's source does not
address, each declared with the source that is silent. :mod:`jakplan.catalog.requirements` checks that every item is
encoded or declared; this module only parses and validates the entries."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jakplan.catalog.files import data_path, read_toml
from jakplan.catalog.medicines import INTERACTION, class_table
from jakplan.model import Protocol, Silent

FIELDS = {"item", "source", "section", "why", "indications"}


@lru_cache(maxsize=None)
def requirement_ids() -> frozenset[str]:
    """The item ids of ``class-requirements.toml`` and the generated interaction items (what a ``[[silent]]``
    entry may name), read without building the checklist (the loader needs only the names)."""
    raw = read_toml(data_path() / "class-requirements.toml")
    listed = {it["id"] for it in raw.get("item", []) if isinstance(it, dict) and "id" in it}
    return frozenset(listed | {INTERACTION + c for c in class_table()})


def _one(ck, raw: Any, index: int, citation) -> Silent:
    w = f"silent #{index + 1}"
    if not isinstance(raw, dict):
        ck.fail(w, "must be a table with 'item', 'source', 'section' and 'why'")
    extra = set(raw) - FIELDS
    if extra:
        ck.fail(w, f"unknown field(s): {', '.join(sorted(extra))}")
    item = ck.get(raw, "item", w, str)
    w = f"silent '{item}'"
    if item not in requirement_ids():
        ck.fail(w, f"field 'item': '{item}' is not an item of class-requirements.toml")
    inds = ck.get(raw, "indications", w, list, required=False, default=[])
    if not all(isinstance(i, str) for i in inds):
        ck.fail(w, "field 'indications' must be a list of indication codes")
    return Silent(item=item, citation=citation(ck, raw, w), why=ck.get(raw, "why", w, str), indications=tuple(inds))


def parse_silent(ck, raw: dict, base: Protocol | None, indications: list[str], citation) -> tuple[Silent, ...]:
    """The inherited entries (``extends``) then the file's own, by (item, indications); an own entry naming an
    indication the protocol does not cover is an error, an inherited one for other indications is dropped."""
    out = {(s.item, s.indications): s for s in (base.silent if base else ())}
    own = set()
    for i, x in enumerate(ck.get(raw, "silent", "top level", list, required=False, default=[])):
        entry = _one(ck, x, i, citation)
        out[(entry.item, entry.indications)] = entry
        own.add((entry.item, entry.indications))
    for key, entry in list(out.items()):
        outside = [i for i in entry.indications if indications and i not in indications]
        if outside and key in own:
            ck.fail(f"silent '{entry.item}'", f"field 'indications': '{outside[0]}' is not an indication of this protocol")
        if outside and len(outside) == len(entry.indications):
            del out[key]
    return tuple(out.values())
