"""A protocol file as the user sees it (`jakplan protocols show`): every rule, threshold, dose, risk note and
course with its source, for the terminal, Markdown and JSON."""

from __future__ import annotations

from typing import Any

from jakplan.catalog.vocab import vocabulary
from jakplan.escape import markdown_table, markdown_text
from jakplan.model import Protocol, Timing
from jakplan.render.common import DISCLAIMER, protocol_path
from jakplan.render.grid import print_grid
from jakplan.render.words import cite_tagged, condition_text


def timing_text(t: Timing) -> str:
    if t.type == "before_start":
        return "before the first dose" + (f" (from {t.lead.label()} before)" if t.lead else "")
    if t.type == "each_visit":
        return "at each lab visit"
    if t.type == "at":
        assert t.at is not None  # the loader requires 'at' for this type
        s = f"at {t.at.label()}"
        if t.earliest or t.latest:
            lo = t.earliest.label() if t.earliest else t.at.label()
            hi = t.latest.label() if t.latest else t.at.label()
            s += f" (window {lo} to {hi})"
        return s
    assert t.every is not None  # the loader requires 'every' for a repeating rule
    s = f"every {t.every.label()}"
    if t.start_from and t.start_from.n:
        s += f" from {t.start_from.label()}"
    if t.times:
        s += f", {t.times} times"
    if t.until:
        s += f", until {t.until.label()}"
    return s


def applies_text(indications, conditions) -> str:
    parts = []
    if indications:
        parts.append("indication " + " or ".join(indications))
    parts += [condition_text(c) for c in conditions]
    return "; ".join(parts) or "all"


def protocol_dict(p: Protocol) -> dict[str, Any]:
    return {
        "drug": p.drug,
        "id": p.id,
        "title": p.title,
        "jurisdiction": p.jurisdiction,
        "indications": list(p.indications),
        "summary": p.summary,
        "file": protocol_path(p),
        "extends": p.extends,
        "includes": [{"protocol": i.protocol, "rules": list(i.rules), "risks": list(i.risks),
                      "indications": list(i.indications), "why": i.why} for i in p.includes],
        "rules": [{"id": r.id, "kind": r.kind, "title": r.title, "when": timing_text(r.timing),
                   "applies": applies_text(r.indications, r.conditions), "checks": list(r.checks),
                   "notes": list(r.notes), "origin": r.origin, "source": r.citation.as_dict()} for r in p.rules],
        "thresholds": [{"id": t.id, "analyte": t.analyte, "rule": t.text(), "before_start": t.before_start,
                        "during": t.during, "resume": t.resume, "confirm": t.confirm, "notes": list(t.notes),
                        "applies": applies_text(t.indications, ()), "source": t.citation.as_dict()}
                       for t in p.thresholds],
        "doses": [{"id": d.id, "outcome": d.outcome, "dose": d.dose, "why": d.why, "notes": list(d.notes),
                   "applies": applies_text(d.indications, d.conditions), "source": d.citation.as_dict()}
                  for d in p.doses],
        "risks": [{"id": r.id, "level": r.level, "text": r.text, "applies": applies_text(r.indications, r.conditions),
                   "source": r.citation.as_dict()} for r in p.risks],
        "courses": [{"id": c.id, "length": c.length.label(), "text": c.text,
                     "applies": applies_text(c.indications, ()), "source": c.citation.as_dict()} for c in p.courses],
        "check_current_label": [{"topic": u.topic, "detail": u.detail, "applies": applies_text(u.indications, u.conditions),
                                 "dose": u.dose} for u in p.unverified],
        "silent": [{"item": x.item, "indications": list(x.indications), "why": x.why, "source": x.citation.as_dict()}
                   for x in p.silent],
        "disclaimer": DISCLAIMER,
    }


def _sections(p: Protocol) -> list[tuple[str, list[str], list[list[str]]]]:
    d = protocol_dict(p)
    actions = vocabulary()["actions"]
    return [
        ("Rules", ["Rule", "Kind", "When", "Applies", "What", "Source"],
         [[r["id"], r["kind"], r["when"], r["applies"], r["title"], cite_tagged(rule.citation)]
          for r, rule in zip(d["rules"], p.rules, strict=False)]),
        ("Lab thresholds", ["Threshold", "Value", "Before start", "During", "Resume", "Applies", "Source"],
         [[t.id, f"{vocabulary()['analytes'][t.analyte]['label']} {t.text()}" + (" (confirm on repeat)" if t.confirm else ""),
           actions.get(t.before_start, "") if t.before_start else "", actions.get(t.during, "") if t.during else "",
           t.resume, applies_text(t.indications, ()), cite_tagged(t.citation)] for t in p.thresholds]),
        ("Doses", ["Dose entry", "Applies", "Outcome", "Dose", "Why", "Source"],
         [[x.id, applies_text(x.indications, x.conditions), x.outcome.replace("_", " "), x.dose, x.why, cite_tagged(x.citation)]
          for x in p.doses]),
        ("Risk notes", ["Risk note", "Level", "Applies", "Text", "Source"],
         [[r.id, vocabulary()["risk_levels"].get(r.level, r.level), applies_text(r.indications, r.conditions), r.text,
           cite_tagged(r.citation)] for r in p.risks]),
        ("Fixed courses", ["Course", "Length", "Applies", "Text", "Source"],
         [[c.id, c.length.label(), applies_text(c.indications, ()), c.text, cite_tagged(c.citation)] for c in p.courses]),
        ("Check the current label", ["Topic", "Applies", "Detail"],
         [[u.topic, applies_text(u.indications, u.conditions) + (" (decides the dose)" if u.dose else ""), u.detail]
          for u in p.unverified]),
        ("Not addressed by the source (declared silent)", ["Class item", "Applies", "Why", "Source"],
         [[x.item, applies_text(x.indications, ()), x.why, cite_tagged(x.citation)] for x in p.silent]),
    ]


def _head(p: Protocol) -> list[str]:
    d = protocol_dict(p)
    lines = [f"{p.drug}/{p.id}: {p.title}" + (f" ({p.jurisdiction})" if p.jurisdiction else ""),
             f"Indications: {', '.join(p.indications)}; file: {d['file']}"]
    if p.summary:
        lines.append(p.summary)
    if p.extends:
        lines.append(f"Extends {p.drug}/{p.extends}.")
    for inc in p.includes:
        what = ", ".join(inc.rules + tuple(f"risk note {r}" for r in inc.risks))
        only = f" (for {', '.join(inc.indications)})" if inc.indications else ""
        lines.append(f"Borrows {what} from {inc.protocol}{only}: {inc.why}")
    return lines


def render_protocol_markdown(p: Protocol) -> str:
    head = _head(p)
    out = [f"# {markdown_text(head[0])}", ""] + [f"- {markdown_text(ln)}" for ln in head[1:]]
    for title, cols, rows in _sections(p):
        if not rows:
            continue
        out += ["", f"## {title}", ""] + markdown_table(cols, rows)
    out += ["", f"_{DISCLAIMER}_", ""]
    return "\n".join(out)


def render_protocol_terminal(p: Protocol, console) -> None:
    """Every section of a protocol as tables fitted to the terminal, no word cut."""
    from rich.text import Text

    head = _head(p)
    console.print(Text(head[0], style="bold"))
    for ln in head[1:]:
        console.print(Text(ln))
    for title, cols, rows in _sections(p):
        if not rows:
            continue
        print_grid(console, cols, [[str(c) for c in row] for row in rows], title=title)
    console.print(Text(DISCLAIMER, style="bold"))


CATALOGUE_HINT = ("Use one with --protocol NAME (or a path to your own .toml); see it with "
                  "`jakplan protocols show DRUG/NAME`.")


def catalogue_dict(rows) -> dict[str, Any]:
    """`jakplan protocols --format json` (rows: :class:`jakplan.actions.ShippedProtocol`)."""
    return {"protocols": [r._asdict() for r in rows], "disclaimer": DISCLAIMER}


def catalogue_markdown(rows) -> str:
    cols = ["Drug", "Protocol", "Title", "Jurisdiction", "Indications", "Default for"]
    cells = [[f"{r.drug} ({r.brand})", r.protocol, r.title, r.jurisdiction,
              ", ".join(r.indications), ", ".join(r.default_for) or "-"] for r in rows]
    return "\n".join(markdown_table(cols, cells) + ["", CATALOGUE_HINT, "", f"_{DISCLAIMER}_"])


def print_catalogue(rows, console) -> None:
    """The terminal's compact form: one row per protocol, three columns that fit 80."""
    short = [[f"{r.drug}/{r.protocol}", f"{r.title}; {r.jurisdiction}",
              ", ".join(r.indications) + (f" (default for {', '.join(r.default_for)})" if r.default_for else "")]
             for r in rows]
    print_grid(console, ["Protocol", "Title; jurisdiction", "Indications"], short, nowrap=(0,))
    console.print(CATALOGUE_HINT)
    console.print(DISCLAIMER)
