"""The plan sheet: the whole course on one printed page, for the patient and the GP (``jakplan sheet``).

:func:`build_sheet` turns a plan into plain data (who, the drug and dose, one row per visit day in short words,
what to watch for between visits and what the label says to do about it, the sources as numbered footnotes);
:func:`render_html` lays it out as one self-contained A4 or Letter page with tick boxes. Nothing here computes a
date: the rows are :func:`jakplan.visits.visits`, the same days as the timeline, calendar and checklist.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace

from jakplan.catalog.medicines import INTERACTION
from jakplan.catalog.vocab import sources, vocabulary
from jakplan.engine.conditions import missing_factors
from jakplan.engine.visits import visits
from jakplan.model import Citation, Plan, Source
from jakplan.render.checklist import course_lead
from jakplan.render.common import (
    DISCLAIMER,
    DoseView,
    dose_view,
    drug_name,
    horizon_text,
    indication_name,
    patient_line,
    phase_titles,
    silence_title,
)
from jakplan.render.compact import (
    every_visit_line,
    every_visit_rules,
    note_numbers,
    visit_when_short,
    visit_words,
    window_short,
)
from jakplan.render.words import and_list, patient_words


@dataclass(frozen=True)
class SheetRow:
    date: str
    window: str
    when: str
    phase: str
    due: str
    refs: tuple[int, ...]
    """Footnote numbers of the sources of this visit's checks."""
    done: str = ""
    """From a plan file's records: the day(s) the visit's checks were done ('2024-05-28'; 'part: ...' when only
    some were; 'waived' ...), '' when none was."""
    ticked: bool = False
    """Every check of the visit is closed (done, waived or not applicable) in the records."""


@dataclass(frozen=True)
class Sheet:
    title: str
    patient: str
    identifier: str
    contact: str
    drug: str
    first_dose: str
    plan_to: str
    protocol: str
    dose: tuple[str, ...]
    dose_refs: tuple[int, ...]
    patient_factors: str
    risks: tuple[str, ...]
    every_visit: str
    rows: tuple[SheetRow, ...]
    watch: tuple[str, ...]
    what_to_do: tuple[str, ...]
    watch_refs: tuple[int, ...]
    footnotes: tuple[str, ...]
    visit_notes: tuple[str, ...] = ()
    """Patient notes of the visits, numbered in the rows as '(note N)' and printed in full under the table."""
    risk_refs: tuple[tuple[int, ...], ...] = ()
    """Footnote numbers of each risk line (aligned with ``risks``)."""
    todo_refs: tuple[int, ...] = ()
    """Footnote numbers of what the label says to do."""
    disclaimer: str = DISCLAIMER
    paper: str = "A4"
    extra: tuple[str, ...] = field(default=())
    lead: tuple[str, ...] = ()
    """From a plan file's records: the worst open findings and a pause, printed first."""


_TAG = re.compile(r"\s*\[([A-Z]{1,3}\d+)\]")
"""A source tag written inside a data text ('... until it resolves [S3].'): on the sheet it becomes the source's
footnote number, the one citation style of the page."""


class _Notes:
    """Numbered footnotes, one per source document, listing every section cited from it. The sheet cites only by
    these numbers: no source tags ([S1]) and no source grades in its words (the footnote keeps the title)."""

    def __init__(self) -> None:
        self.by_id: dict[str, list] = {}

    def ref(self, c: Citation) -> int:
        entry = self.by_id.setdefault(c.source.id, [len(self.by_id) + 1, c] + ([c.section] if c.section else []))
        if c.section and c.section not in entry[2:]:
            entry.append(c.section)
        return entry[0]

    def _source(self, sid: str) -> Source | None:
        if sid in self.by_id:
            return self.by_id[sid][1].source
        return sources().get(sid)

    def inline(self, text: str) -> tuple[str, tuple[int, ...]]:
        """``text`` without its source tags, and the footnote numbers of the sources they named."""
        refs = []
        for sid in _TAG.findall(text):
            src = self._source(sid)
            if src is not None:
                refs.append(self.ref(Citation(src)))
        return (_TAG.sub("", text) if refs else text), tuple(dict.fromkeys(refs))

    def texts(self) -> tuple[str, ...]:
        def see(m: re.Match) -> str:  # a section naming another source: its footnote, when the sheet cites it
            entry = self.by_id.get(m.group(1))
            return f" (see {entry[0]})" if entry is not None else ""

        out = []
        for entry in self.by_id.values():
            c, sections = entry[1], entry[2:]
            out.append(c.source.document + (", " + "; ".join(dict.fromkeys(_TAG.sub(see, x) for x in sections))
                                            if sections else ""))
        return tuple(out)


def _identity(plan: Plan) -> tuple[str, str, str]:
    ident = getattr(plan, "identity", None)
    if not ident:
        return "", "", ""
    return (getattr(ident, "name", "") or "", getattr(ident, "identifier", "") or "", getattr(ident, "contact", "") or "")




def build_sheet(plan: Plan, paper: str = "A4", status=None) -> Sheet:
    """The sheet for ``plan`` as plain data; ``status`` (a plan file's course, :class:`jakplan.engine.tracking.Status`)
    fills "Done on" from the records and puts the worst open findings first."""
    notes = _Notes()
    name, identifier, contact = _identity(plan)
    skip = every_visit_rules(plan)
    all_visits = visits(plan)
    note_refs = note_numbers(all_visits, skip)
    rows = _sheet_rows(plan, all_visits, skip, note_refs, notes)
    if status is not None:
        rows = _done_rows(rows, all_visits, skip, status)
    dose, dose_refs = _sheet_dose(plan, notes)
    risks, risk_refs = _sheet_risks(plan, notes)
    watch, todo, watch_refs = _sheet_watch(plan, skip, notes)
    todo_refs: list[int] = []
    for i, t in enumerate(todo):
        todo[i], refs = notes.inline(t)
        todo_refs += refs
    every_visit, every_refs = notes.inline(every_visit_line(plan))
    p = plan.protocol
    return Sheet(
        title=f"Monitoring plan: {drug_name(plan)} for {indication_name(plan).lower()}",
        patient=name,
        identifier=identifier,
        contact=contact,
        drug=drug_name(plan),
        first_dose=plan.start.isoformat(),
        plan_to=horizon_text(plan),
        protocol=f"{p.drug}/{p.id} - {p.title}",
        dose=tuple(dose),
        dose_refs=tuple(dict.fromkeys(dose_refs)),
        patient_factors=patient_line(plan),
        risks=tuple(risks),
        risk_refs=tuple(risk_refs),
        every_visit=every_visit,
        rows=tuple(rows),
        watch=tuple(watch),
        what_to_do=tuple(todo),
        watch_refs=tuple(dict.fromkeys(watch_refs + list(every_refs))),
        todo_refs=tuple(dict.fromkeys(todo_refs)),
        footnotes=notes.texts(),
        visit_notes=tuple(notes.inline(n)[0] for n in note_refs),
        paper=paper,
        lead=_lead(status) if status is not None else (),
    )


def _lead(status) -> tuple[str, ...]:

    return course_lead(status, overdue=False, commands=False)


CLOSED = ("done", "waived", "not_applicable")


def _done_rows(rows: list[SheetRow], all_visits, skip, status) -> list[SheetRow]:
    """Each row with the days its checks were recorded done (or closed by a decision), from the records."""

    by_key = {(i.rule, i.occurrence): i for i in status.items}
    out = []
    for row, v in zip(rows, all_visits, strict=True):
        items = [by_key[(ev.rule, ev.occurrence)] for ev in v.events
                 if ev.rule not in skip and (ev.rule, ev.occurrence) in by_key]
        closed = [i for i in items if i.state in CLOSED]
        if not closed:
            out.append(row)
            continue
        days = sorted({i.done_on for i in closed if i.done_on is not None})
        text = ", ".join(d.isoformat() for d in days)
        if any(i.state != "done" for i in closed):
            text += " (" + ", ".join(sorted({i.state.replace("_", " ") for i in closed if i.state != "done"})) + ")"
        whole = len(closed) == len(items)
        out.append(replace(row, done=text if whole else f"part: {text}", ticked=whole))
    return out


def _sheet_rows(plan: Plan, all_visits, skip, note_refs, notes: "_Notes") -> list:
    """One SheetRow per visit day, with the footnote numbers of its sources."""
    titles = phase_titles(plan)
    rows = []
    for v in all_visits:
        refs = tuple(dict.fromkeys(notes.ref(ev.citation) for ev in v.events if ev.rule not in skip))
        rows.append(SheetRow(v.date.isoformat(), window_short(v), visit_when_short(v),
                             titles.get(v.events[0].phase, v.events[0].phase), visit_words(v, skip, note_refs), refs))
    return rows


def _sheet_dose(plan: Plan, notes: "_Notes") -> tuple[list[str], list[int]]:
    """The dose lines of the sheet in a patient's words and the footnote numbers of the reasons behind the dose."""

    view = dose_view(plan, tags=False)
    if view is None:
        return [], []
    return patient_dose_lines(view), [notes.ref(c) for c in view.citations]


def patient_dose_lines(view: DoseView) -> list[str]:
    """The dose advice worded for the patient from its structure (:class:`DoseView`): no option to give, no
    source grade. 'Your dose depends on your kidney function, your other medicines and your liver: your
    prescriber decides it.'"""

    why = f" ({'; '.join(view.why)})" if view.why else ""
    depends = and_list(patient_words(f) for f in view.missing)
    out = []
    if view.outcome in ("not_recommended", "contraindicated"):
        word = "not recommended" if view.outcome == "not_recommended" else "not to be used (contraindicated)"
        out.append(f"The label says this medicine is {word} for you{why}: your prescriber decides what to do.")
    elif view.conflict:
        out.append(f"Your dose: more than one change to the usual dose applies{why}: your prescriber decides it.")
    elif view.outcome in ("standard", "adjusted") and view.dose:
        out.append(f"Your dose: {view.dose}{why if view.outcome == 'adjusted' else ''}.")
        if depends:
            out.append(f"It may also depend on {depends}: your prescriber decides it.")
    elif view.outcome == "check":
        out.append(f"Your dose depends on {depends}: your prescriber decides it." if depends
                   else "Your dose: your prescriber decides it.")
        if view.dose:
            out.append(f"The usual dose is {view.dose}.")
    elif view.outcome == "check_label":
        out.append("Your dose: your prescriber decides it from the current label.")
    else:
        out.append("Your dose: your prescriber decides it." if not depends
                   else f"Your dose depends on {depends}: your prescriber decides it.")
    if view.unknown_medicines:
        meds = and_list(view.unknown_medicines)
        out.append(f"Tell your prescriber or pharmacist that you take {meds}: this plan cannot say whether "
                   f"{'it changes' if len(view.unknown_medicines) == 1 else 'they change'} the dose.")
    return out


def _sheet_risks(plan: Plan, notes: "_Notes") -> tuple[list[str], list[tuple[int, ...]]]:
    """The warnings that apply, each with its footnote numbers; then, in a patient's words, what would add more
    and what the sources do not cover."""

    levels = vocabulary()["risk_levels"]
    factors = plan.patient.factors if plan.patient else {}
    lines: list[str] = []
    refs: list[tuple[int, ...]] = []
    ask: list[str] = []
    for rn in plan.risks:
        r = rn.risk
        if rn.open_conditions:
            ask += [patient_words(f) for f in missing_factors(r.conditions, factors)]
            continue
        text, inline = notes.inline(f"{levels.get(r.level, r.level)}: {r.text}")
        lines.append(text)
        refs.append(tuple(dict.fromkeys((notes.ref(r.citation), *inline))))
    if ask:
        lines.append(f"More warnings may apply, depending on {and_list(ask)}: ask your prescriber.")
        refs.append(())
    # "do you need them" is asked of checks; a label's silence on a class of medicines is said as what it is
    silences = getattr(plan, "silent", ())
    checks = [x for x in silences if not x.item.startswith(INTERACTION)]
    classes = [x for x in silences if x.item.startswith(INTERACTION)]
    if checks:
        names = "; ".join(dict.fromkeys(silence_title(x.item).split(":")[0] for x in checks))
        lines.append(f"Not covered by this plan's sources: {names}. Ask your prescriber whether you need them.")
        refs.append(tuple(dict.fromkeys(notes.ref(x.citation) for x in checks)))
    if classes:
        names = "; ".join(dict.fromkeys(silence_title(x.item).split(":")[0].removeprefix("Taken with ")
                                        for x in classes))
        lines.append(f"The label text read names no rule for taking it with: {names}. Tell your prescriber and "
                     f"pharmacist about every medicine you take.")
        refs.append(tuple(dict.fromkeys(notes.ref(x.citation) for x in classes)))
    return lines, refs


def _sheet_watch(plan: Plan, skip, notes: "_Notes") -> tuple[list[str], list[str], list[int]]:
    """(what to watch for, what to do, footnote numbers) from every-visit rules and the checks that ask."""
    vocab = vocabulary()["checks"]
    watch: list[str] = []
    todo: list[str] = []
    watch_refs: list[int] = []
    for ev in plan.events:
        if ev.rule in skip or any(vocab.get(c, {}).get("kind") == "ask" for c in ev.checks):
            for c in ev.checks:
                w = vocab.get(c, {}).get("watch")
                if w and w not in watch:
                    watch.append(w)
                    watch_refs.append(notes.ref(ev.citation))
            for n in ev.notes:
                if n not in todo:
                    todo.append(n)
    return watch, todo, watch_refs


def sheet_text(sh: Sheet) -> str:
    """Every word of the sheet as plain text, in reading order (what a printed page must show)."""
    out = [sh.title, f"Patient: {sh.patient}", f"Identifier: {sh.identifier}", f"Prescriber or clinic: {sh.contact}",
           f"First dose: {sh.first_dose}", f"Plan to: {sh.plan_to}", *sh.dose, sh.patient_factors, *sh.risks,
           sh.every_visit]
    out[1:1] = list(sh.lead)
    for r in sh.rows:
        out.append(f"{r.date} {r.when} {r.due}" + (f" done {r.done}" if r.done else ""))
    out += [f"Note {n}: {t}" for n, t in enumerate(sh.visit_notes, start=1)]
    out += list(sh.watch) + list(sh.what_to_do) + list(sh.footnotes) + [sh.disclaimer]
    return "\n".join(x for x in out if x) + "\n"


# ---------------------------------------------------------------------------------------------------- html
_CSS = """
@page { size: %(paper)s; margin: 8mm 12mm 7mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 9pt;
       line-height: 1.2; color: #000; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 14pt; margin: 0 0 4pt 0; }
h2 { font-size: 10pt; margin: 4pt 0 2pt 0; border-bottom: 1px solid #000; padding-bottom: 1pt;
     break-after: avoid; page-break-after: avoid; }
dl.who { display: grid; grid-template-columns: 1fr 1fr; column-gap: 14pt; row-gap: 2pt; margin: 0 0 3pt 0; }
dl.who div { display: flex; gap: 6pt; }
dl.who dt { font-weight: bold; flex: 0 0 24mm; }
dl.who dd { margin: 0; flex: 1; border-bottom: 1px solid #000; min-height: 11pt; }
dl.who dd.filled { border-bottom: none; }
p { margin: 0 0 3pt 0; }
table.visits { border-collapse: collapse; width: 100%%; }
table.visits th, table.visits td { border-bottom: 0.6pt solid #888; padding: 1.2pt 4pt 1.2pt 0; text-align: left;
                                   vertical-align: top; }
table.visits tr { break-inside: avoid; page-break-inside: avoid; }
table.visits td.phase { font-weight: bold; padding-top: 3pt; border-bottom: 0.6pt solid #000; }
.box { display: inline-block; width: 10pt; height: 10pt; border: 1.2pt solid #000; }
.box.ticked { font-size: 8pt; line-height: 8pt; text-align: center; }
p.lead { color: #b00; }
td.done { width: 24mm; }
.nowrap { white-space: nowrap; }
.note { display: block; font-size: 8.5pt; }
sup { font-size: 6.5pt; }
ul { margin: 0; padding-left: 12pt; }
li { margin: 0 0 1.5pt 0; }
ol.foot { font-size: 7pt; line-height: 1.12; margin: 0; padding-left: 14pt; color: #222; overflow-wrap: anywhere; }
.disclaimer { margin-top: 4pt; font-weight: bold; }
p.note { font-size: 8pt; margin: 2pt 0 0 0; }
body.dense { font-size: 8.3pt; }
body.dense table.visits td { padding-top: 0.6pt; padding-bottom: 0.6pt; }
body.denser { font-size: 7.6pt; line-height: 1.12; }
body.denser table.visits td { padding-top: 0.3pt; padding-bottom: 0.3pt; }
body.denser h2 { margin-top: 3pt; }
@media screen { body { padding: 12mm; } }
"""

DENSE_ROWS = (6, 11)
"""Above this many visit days the page uses a smaller type (then smaller still), so a longer plan still fits."""


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _density(rows: int) -> str:
    if rows > DENSE_ROWS[1]:
        return ' class="denser"'
    if rows > DENSE_ROWS[0]:
        return ' class="dense"'
    return ""


def _sup(refs) -> str:
    return f"<sup>{','.join(str(r) for r in refs)}</sup>" if refs else ""


def render_html(sh: Sheet) -> str:
    """One self-contained, print-ready HTML page (inline CSS, no scripts, no external files)."""
    size = "letter" if sh.paper.lower() == "letter" else "A4"

    def who(key: str, val: str) -> str:
        return f'<div><dt>{_h(key)}</dt><dd class="{"filled" if val else ""}">{_h(val) or "&nbsp;"}</dd></div>'

    out = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">', f"<title>{_h(sh.title)}</title>",
        f"<style>{_CSS % {'paper': size}}</style>", "</head>", f"<body{_density(len(sh.rows))}>", f"<h1>{_h(sh.title)}</h1>",
        *(f'<p class="lead"><b>{_h(line)}</b></p>' for line in sh.lead),
        '<dl class="who">',
        who("Patient", sh.patient), who("First dose", sh.first_dose),
        who("Identifier", sh.identifier), who("Plan to", sh.plan_to),
        who("Clinic contact", sh.contact), who("Protocol", sh.protocol),
        "</dl>",
        '<h2 id="dose">The medicine</h2>',
    ]
    if sh.dose:  # one paragraph: the verdict in bold, then what else the patient should know about the dose
        out.append(f"<p><b>{_h(sh.dose[0])}</b>{_sup(sh.dose_refs)}" + "".join(f" {_h(x)}" for x in sh.dose[1:]) + "</p>")
    out.append(f"<p>{_h(sh.patient_factors)}</p>")
    for i, risk in enumerate(sh.risks):
        out.append(f"<p>{_h(risk)}{_sup(sh.risk_refs[i] if i < len(sh.risk_refs) else ())}</p>")
    out.append('<h2 id="visits">Visits: tick each one when it is done</h2>')
    if sh.every_visit:
        out.append(f"<p>{_h(sh.every_visit)}</p>")
    out.append('<table class="visits"><thead><tr><th></th><th>Date</th><th>Window</th><th>When</th><th>What is done</th>'
               '<th>Done on</th></tr></thead><tbody>')
    phase = None
    for r in sh.rows:
        if r.phase != phase:
            phase = r.phase
            out.append(f'<tr><td class="phase" colspan="6">{_h(phase)}</td></tr>')
        box = '<span class="box ticked" aria-label="done">&#10003;</span>' if r.ticked else \
            '<span class="box" aria-hidden="true"></span>'
        out.append(f'<tr><td>{box}</td><td class="nowrap">{_h(r.date)}</td>'
                   f'<td class="nowrap">{_h(r.window)}</td><td class="nowrap">{_h(r.when)}</td><td>{_h(r.due)}{_sup(r.refs)}</td>'
                   f'<td class="done">{_h(r.done)}</td></tr>')
    out.append("</tbody></table>")
    for n, text in enumerate(sh.visit_notes, start=1):
        out.append(f'<p class="note">Note {n}: {_h(text)}</p>')
    if sh.watch:
        out.append('<h2 id="watch">Between visits: what to watch for, and when to call</h2>')
        out.append(f"<p>Tell your prescriber or clinic promptly if you notice any of these{_sup(sh.watch_refs)}:</p>")
        out.append("<ul>" + "".join(f"<li>{_h(w)}</li>" for w in sh.watch) + "</ul>")
        if sh.what_to_do:
            out.append(f"<p>What the label says to do{_sup(sh.todo_refs)}:</p>")
            out.append("<ul>" + "".join(f"<li>{_h(t)}</li>" for t in sh.what_to_do) + "</ul>")
    out.append('<h2 id="sources">Sources</h2>')
    out.append('<ol class="foot">' + "".join(f"<li>{_h(s)}</li>" for s in sh.footnotes) + "</ol>")
    out.append(f'<p class="disclaimer">{_h(sh.disclaimer)}</p>')
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
