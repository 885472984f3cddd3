"""The generated tables of docs/clinical-review.md: every dose rule, every start/interrupt/stop limit, every
required check and every declared silence of every shipped protocol, with its source, the source's grade and
the review's verification status.

The figures come from the protocol data (jakplan/data/protocols); the reviewers' notes come from
docs/verification.toml, keyed by protocol and entry, so a note cannot drift from the entry it is about: an entry
with no note says "not re-verified", a note whose entry is gone fails tests/test_review_tables.py, and so does
the page when it no longer matches the data.

    python docs/review_tables.py           # exit 1 and say which table is stale
    python docs/review_tables.py --write   # rewrite the tables between the markers in clinical-review.md
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path
from typing import NamedTuple

from jakplan.catalog.loader import load_protocol
from jakplan.catalog.vocab import drugs, shipped_protocols, sources, vocabulary
from jakplan.escape import markdown_table
from jakplan.render.protocol import applies_text, timing_text

DOCS = Path(__file__).resolve().parent
PAGE = DOCS / "clinical-review.md"
NOTES = DOCS / "verification.toml"
STATUSES = {"verified": "verified", "corrected": "corrected", "not_verified": "not verified"}
KINDS = ("dose", "threshold", "rule", "silent")  # a rule is listed when it has checks (milestones carry the stop points)


class Note(NamedTuple):
    status: str
    against: str
    review: str
    note: str = ""


def protocols():
    """(name, Protocol) for every shipped protocol, in a stable order."""
    for drug in drugs():
        for variant in shipped_protocols(drug):
            yield f"{drug}/{variant}", load_protocol(drug, variant)


def entry_ids(proto) -> dict[str, set[str]]:
    return {
        "dose": {d.id for d in proto.doses},
        "threshold": {t.id for t in proto.thresholds},
        "rule": {r.id for r in proto.rules if r.checks},
        "silent": {silent_key(s) for s in proto.silent},
    }


def silent_key(s) -> str:
    return s.item + (f"@{'+'.join(s.indications)}" if s.indications else "")


def read_notes(path: Path = NOTES) -> dict[tuple[str, str, str], Note]:
    """The reviewers' notes: {(protocol, kind, id): Note}. Refuses a malformed entry with a message naming it."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[tuple[str, str, str], Note] = {}
    for n, e in enumerate(data.get("entry", []), 1):
        where = f"{path.name} entry {n}"
        missing = {"protocol", "kind", "id", "status", "against", "review"} - set(e)
        if missing:
            raise ValueError(f"{where}: missing {', '.join(sorted(missing))}")
        if e["kind"] not in KINDS:
            raise ValueError(f"{where}: kind {e['kind']!r} is not one of {', '.join(KINDS)}")
        if e["status"] not in STATUSES:
            raise ValueError(f"{where}: status {e['status']!r} is not one of {', '.join(STATUSES)}")
        ids = e["id"] if isinstance(e["id"], list) else [e["id"]]
        protos = e["protocol"] if isinstance(e["protocol"], list) else [e["protocol"]]
        for proto in protos:
            for i in ids:
                key = (proto, e["kind"], i)
                if key in out:
                    raise ValueError(f"{where}: {proto} {e['kind']} {i} has a note already")
                out[key] = Note(e["status"], e["against"], e["review"], e.get("note", ""))
    return out


def _verification(notes, proto: str, kind: str, ident: str) -> str:
    n = notes.get((proto, kind, ident))
    if n is None:
        return "not re-verified"
    text = f"{STATUSES[n.status]} ({n.review}): {n.against}"
    return text + (f"; {n.note}" if n.note else "")


def _src(c) -> tuple[str, str]:
    return c.source.id, c.source.grade


def dose_rows(notes):
    for name, p in protocols():
        for d in p.doses:
            tag, grade = _src(d.citation)
            what = d.dose if d.outcome in ("standard", "adjusted") else ""
            yield [name, d.id, applies_text(d.indications, d.conditions), d.outcome.replace("_", " "),
                   "; ".join(x for x in (what, d.why) if x), tag, grade, d.citation.section,
                   _verification(notes, name, "dose", d.id)]


def limit_rows(notes):
    actions = vocabulary()["actions"]
    labels = vocabulary()["analytes"]
    for name, p in protocols():
        for t in p.thresholds:
            tag, grade = _src(t.citation)
            value = f"{labels[t.analyte]['label']} {t.text()}" + (" (confirmed on repeat)" if t.confirm else "")
            yield [name, t.id, applies_text(t.indications, ()), value,
                   actions.get(t.before_start, "") if t.before_start else "",
                   actions.get(t.during, "") if t.during else "", tag, grade, t.citation.section,
                   _verification(notes, name, "threshold", t.id)]


def check_rows(notes):
    for name, p in protocols():
        for r in p.rules:
            if not r.checks:
                continue
            tag, grade = _src(r.citation)
            borrowed = f" (from {r.origin})" if r.origin else ""
            yield [name, r.id + borrowed, r.kind, timing_text(r.timing), applies_text(r.indications, r.conditions),
                   ", ".join(r.checks), tag, grade, r.citation.section, _verification(notes, name, "rule", r.id)]


def silence_rows(notes):
    for name, p in protocols():
        for s in p.silent:
            tag, grade = _src(s.citation)
            yield [name, s.item, applies_text(s.indications, ()), s.why, tag, grade, s.citation.section,
                   _verification(notes, name, "silent", silent_key(s))]


def tables(notes=None) -> dict[str, str]:
    """Each generated section as Markdown text (the lines between its two markers)."""
    notes = read_notes() if notes is None else notes
    src = ["Source", "Grade", "Section"]
    spec = {
        "dose-rules": (["Protocol", "Dose entry", "Applies", "Outcome", "Dose / why", *src, "Verification"], dose_rows),
        "limits": (["Protocol", "Limit", "Applies", "Value", "Before the first dose", "During treatment", *src,
                    "Verification"], limit_rows),
        "checks": (["Protocol", "Rule", "Kind", "When", "Applies", "Checks", *src, "Verification"], check_rows),
        "silences": (["Protocol", "Class item", "Applies", "Why the source is silent", *src, "Verification"],
                     silence_rows),
    }
    return {k: "\n".join(markdown_table(head, list(rows(notes)))) for k, (head, rows) in spec.items()}


def marker(name: str) -> tuple[str, str]:
    return f"<!-- generated:{name} -->", f"<!-- /generated:{name} -->"


def splice(text: str, generated: dict[str, str]) -> str:
    for name, body in generated.items():
        start, end = marker(name)
        if start not in text or end not in text:
            raise ValueError(f"{PAGE.name}: markers {start} ... {end} not found")
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{start}\n{body}\n{end}{tail}"
    return text


def stale(text: str, generated: dict[str, str]) -> list[str]:
    out = []
    for name, body in generated.items():
        start, end = marker(name)
        if start not in text or end not in text:
            out.append(name)
            continue
        current = text.split(start, 1)[1].split(end, 1)[0].strip("\n")
        if current != body:
            out.append(name)
    return out


def unknown_notes(notes) -> list[str]:
    """Notes whose protocol or entry no longer exists, and notes whose 'against' names no source tag."""
    known = {name: entry_ids(p) for name, p in protocols()}
    tags = set(sources())
    bad = []
    for (proto, kind, ident), n in notes.items():
        if proto not in known or ident not in known[proto][kind]:
            bad.append(f"{proto} {kind} {ident}: no such entry")
        cited = {t for t in tags if f"[{t}]" in n.against}
        if not cited:
            bad.append(f"{proto} {kind} {ident}: 'against' cites no source tag in brackets (e.g. [S1])")
    return bad


def main(argv: list[str]) -> int:
    text = PAGE.read_text(encoding="utf-8")
    generated = tables()
    if "--write" in argv:
        PAGE.write_text(splice(text, generated), encoding="utf-8")
        return 0
    old = stale(text, generated)
    if old:
        print(f"{PAGE.name}: stale tables: {', '.join(old)}; run python docs/review_tables.py --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
