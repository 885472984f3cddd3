"""The visit checklist: what to do at one visit, built from the plan's events for that day, in four formats.

:func:`build_checklist` turns a :class:`jakplan.engine.visits.Visit` into plain data (sections of items, each with its
details and source ids); the renderers (terminal with rich, text, markdown, html) only lay that data out, so
every format says the same thing. Nothing here computes a date.

Sections, in order: tests to take (with preparation notes such as fasting), things to do (immunisations),
what to assess (response milestones and reviews due), questions to ask the patient, the lab results that would
change treatment (the protocol's thresholds, for the phase the visit is in), notes for the clinician (label
notes and "check the current label" items), and the sources; first of all, the patient's dose and risk notes.
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass, field, replace

from jakplan.catalog.vocab import vocabulary
from jakplan.engine.labs import no_limit_note, thresholds_for
from jakplan.engine.visits import Lookup, Visit
from jakplan.escape import escape_line_start, strip_controls
from jakplan.model import Event, Plan, Threshold
from jakplan.render.common import (
    DISCLAIMER,
    check_label,
    dose_view,
    drug_name,
    indication_name,
    patient_line,
    risk_lines,
    silence_summary,
    unverified_lines,
)
from jakplan.render.nextvisit import open_actions_text, open_flags_text, planned_pause_text
from jakplan.render.scores import FORM_CSS, ScoreForm, form_field_text, form_html, form_title, score_form
from jakplan.render.words import note_text, open_texts

KIND_WORDS = {
    "screening": "screening before the first dose",
    "lab": "lab tests",
    "review": "review",
    "milestone": "response milestone",
}


def visit_when(visit: Visit) -> str:
    """'before the first dose' or the timeline's label ('week 12', 'week 12 + 3 months')."""
    return "before the first dose" if visit.before_start else visit.label


def visit_kinds_text(visit: Visit) -> str:
    """What kind of visit it is, in words: 'lab tests, review'."""
    kinds = [KIND_WORDS.get(k, k) for k in visit.kinds if not (visit.before_start and k == "screening")]
    return ", ".join(kinds) if kinds else "screening"


@dataclass(frozen=True)
class Item:
    text: str
    details: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    """Short source ids ('S13'); the full citations are in the checklist's ``sources``."""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: tuple[Item, ...]
    tick: bool = True
    """Whether each item gets a tick box (things to do) or is reference text (thresholds, notes)."""


@dataclass(frozen=True)
class Checklist:
    drug: str
    indication: str
    protocol: str
    start: str
    visit_date: str
    visit_when: str
    visit_kinds: str
    window: str
    sections: tuple[Section, ...]
    sources: tuple[str, ...]
    disclaimer: str = DISCLAIMER
    context: tuple[str, ...] = field(default=())
    patient: str = ""
    """The patient's name and identifier from the profile or plan file ('' when not given: a blank line)."""
    contact: str = ""
    """The prescriber's or clinic's contact from the profile or plan file."""
    form: ScoreForm | None = None
    """The disease-activity score to record at this visit, when a response milestone falls in it."""
    lead: tuple[str, ...] = ()
    """From a plan file's records, what comes before the visit's list: the worst open findings (results beyond a
    protocol limit, results the laboratory flagged) and a pause (see :func:`course_lead`)."""

    @property
    def title(self) -> str:
        return f"Visit checklist: {self.drug}, {self.visit_when} ({self.visit_date})"


def _check_kind(code: str, event: Event) -> str:
    kind = vocabulary()["checks"].get(code, {}).get("kind")
    if kind:
        return kind
    return {"lab": "test", "screening": "test", "review": "ask", "milestone": "assess"}.get(event.kind, "test")


def format_value(value: float, unit: str) -> str:
    """1.0, '10^9/L' -> '1 x 10^9/L'; 8.0, 'g/dL' -> '8 g/dL'; 3.0, 'x ULN' -> '3 x ULN'."""
    num = f"{value:g}"
    return f"{num} x {unit}" if unit.startswith("10^") else f"{num} {unit}"


def threshold_item(th: Threshold, before_start: bool, indication: str = "") -> Item | None:
    """The threshold as a line for this phase (do-not-start before the first dose, else during treatment).

    None when the threshold has no action for the phase, or is for other indications than the plan's.
    """
    action = th.before_start if before_start else th.during
    if not action:
        return None
    indications = getattr(th, "indications", ())
    if indications and indication and indication not in indications:
        return None
    vocab = vocabulary()
    analyte = vocab["analytes"].get(th.analyte, {}).get("label", th.analyte)
    act = vocab["actions"].get(action, action)
    if th.comparison == "drop":
        text = f"{analyte} falls by more than {format_value(th.value, th.unit)} from baseline: {act}"
    else:
        text = f"{analyte} {th.comparison} {format_value(th.value, th.unit)}: {act}"
    details: list[str] = []
    if getattr(th, "confirm", False):
        details.append("Confirm on a repeat test before acting.")
    details += list(getattr(th, "notes", ()))
    if th.resume and not before_start:
        details.append(f"Resume {th.resume}")
    return Item(text, tuple(details), (th.citation.source.id,))


def unlimited_analytes(plan: Plan, checks: tuple[str, ...], before_start: bool) -> list[str]:
    """The results of these tests for which the protocol gives no limit in this phase (fail closed: the
    checklist says so instead of staying silent)."""

    vocab = vocabulary()["checks"]
    phase = "before_start" if before_start else "during"
    limited = {t.analyte for t in thresholds_for(plan.protocol, plan.indication) if getattr(t, phase)}
    out: list[str] = []
    for code in checks:
        for analyte in vocab.get(code, {}).get("analytes", []):
            if analyte not in limited and analyte not in out:
                out.append(analyte)
    return out


def no_limit_item(plan: Plan, analytes: list[str], before_start: bool) -> str:
    """'Not assessed: this protocol (baricitinib/us-label) gives no limit for platelets, ALT/AST during ...'"""

    return "Not assessed: " + note_text(no_limit_note(plan.protocol, analytes, before_start, plan.indication))


class _Collector:
    """Items keyed so that a check due for two reasons is listed once, with both notes and sources."""

    def __init__(self) -> None:
        self.items: dict[str, dict] = {}

    def add(self, key: str, text: str, details=(), source: str = "") -> None:
        it = self.items.setdefault(key, {"text": text, "details": [], "sources": []})
        for d in details:
            if d not in it["details"]:
                it["details"].append(d)
        if source and source not in it["sources"]:
            it["sources"].append(source)

    def result(self) -> tuple[Item, ...]:
        return tuple(Item(v["text"], tuple(v["details"]), tuple(v["sources"])) for v in self.items.values())


def course_lead(st, *, overdue: bool = True, commands: bool = True) -> tuple[str, ...]:
    """What a plan file's records say first (:class:`jakplan.engine.tracking.Status`): results beyond a protocol
    limit still unanswered, results the laboratory flagged, a pause (open, or planned), and what is overdue
    (``overdue=False``: not that; ``commands=False``: no jakplan command named, for the patient's sheet)."""

    out = []
    if st.open_actions:
        out.append(open_actions_text(st.open_actions))
    if st.open_flags:
        out.append(open_flags_text(st.open_flags))
    for p in st.pauses:
        if p.end is None:
            out.append(f"TREATMENT PAUSED since {p.start}" + (f" ({p.reason})" if p.reason else "")
                       + ": checks from that day are on hold until " + ("the restart is recorded (jakplan resume)."
                                                                           if commands else "treatment restarts."))
    for p in st.planned_pauses:
        out.append(planned_pause_text(p, commands=commands))
    if st.overdue and overdue:
        out.append(f"Overdue: {len(st.overdue)} check{'s' if len(st.overdue) != 1 else ''} "
                   f"({', '.join(dict.fromkeys(i.rule for i in st.overdue))}).")
    return tuple(out)


def build_checklist(plan: Plan, visit: Visit, context: tuple[str, ...] = (), lead: tuple[str, ...] = ()) -> Checklist:
    """The checklist for ``visit`` of ``plan`` as plain data (see the module docstring for the sections);
    ``lead``: what the records say first (:func:`course_lead`)."""
    citations: dict[str, list] = {}  # source id -> [citation, sections...]: each source listed once

    def cite(c) -> None:
        entry = citations.setdefault(c.source.id, [c])
        if c.section and c.section not in entry[1:]:
            entry.append(c.section)

    tests, actions, assess, ask, notes = _collect_events(visit, cite)
    limits = _collect_limits(plan, visit, tests, cite)
    for line in unverified_lines(plan):
        notes.add(f"unverified:{line}", line)
    # what the source does not address (issue 17 item 5): on the before-the-first-dose checklist, where the
    # baseline checks and start limits are decided (an in-treatment visit must fit one A4 page: no room)
    if silence_summary(plan) and visit.before_start:
        notes.add("silent", silence_summary(plan))
        for s in plan.silent:  # the source only (its sections are in the schedule's --details): one page
            citations.setdefault(s.citation.source.id, [s.citation])
    _cite_patient_box(plan, cite)
    patient = _collect_patient(plan)

    phase = "before the first dose" if visit.before_start else "during treatment"
    sections = [
        Section("patient", "For this patient (dose and risk notes)", patient.result(), tick=False),
        Section("tests", "Tests to take", tests.result()),
        Section("actions", "To do before the first dose" if visit.before_start else "To do", actions.result()),
        Section("assess", "Assess (response milestones and reviews due)", assess.result()),
        Section("ask", "Ask the patient", ask.result()),
        Section("thresholds", f"Lab results that change treatment ({phase})", limits.result(), tick=False),
        Section("notes", "Notes for the clinician", notes.result(), tick=False),
    ]

    return replace(_assemble(plan, visit, context, sections, citations), lead=tuple(lead))


def _collect_events(visit: Visit, cite) -> tuple[_Collector, _Collector, _Collector, _Collector, _Collector]:
    """(tests, actions, assess, ask, notes) from the visit's events, citing each event's source."""
    tests, actions, assess, ask, notes = _Collector(), _Collector(), _Collector(), _Collector(), _Collector()
    for ev in visit.events:
        src = ev.citation.source.id
        cite(ev.citation)
        conds = tuple(c[0].upper() + c[1:] for c in open_texts(ev.conditions))
        if ev.kind in ("review", "milestone"):
            assess_checks = [c for c in ev.checks if _check_kind(c, ev) == "assess"]
            if assess_checks:
                assess.add(f"event:{ev.rule}", ev.title, tuple(check_label(c) for c in assess_checks) + ev.patient_notes + conds, src)
        for code in ev.checks:
            kind = _check_kind(code, ev)
            if kind == "test":
                tests.add(code, check_label(code), ev.patient_notes + conds, src)
            elif kind == "action":
                actions.add(code, check_label(code), ev.patient_notes + conds, src)
            elif kind == "ask":
                ask.add(code, check_label(code), conds, src)
            elif kind == "assess" and ev.kind not in ("review", "milestone"):
                assess.add(code, check_label(code), ev.patient_notes + conds, src)
        for note in ev.notes:
            notes.add(f"note:{note}", note, (), src)
    return tests, actions, assess, ask, notes


def _collect_limits(plan: Plan, visit: Visit, tests: _Collector, cite) -> _Collector:
    """The lab limits that change treatment, when the visit has tests to take (citing their sources)."""
    limits = _Collector()
    if tests.items:
        for th in plan.protocol.thresholds:
            item = threshold_item(th, visit.before_start, plan.indication)
            if item is not None:
                limits.add(th.id, item.text, item.details, item.sources[0])
                cite(th.citation)
        unlimited = unlimited_analytes(plan, tuple(tests.items), visit.before_start)
        if unlimited:
            limits.add("no-limit", no_limit_item(plan, unlimited, visit.before_start))
    return limits


def _cite_patient_box(plan: Plan, cite) -> None:
    """The patient box cites these ([S1] ...): list them with the sources."""
    if plan.dose is not None:
        for dl in plan.dose.reasons + plan.dose.possible:
            cite(dl.entry.citation)
    for rn in plan.risks:
        if not rn.open_conditions:
            cite(rn.risk.citation)


def _collect_patient(plan: Plan) -> _Collector:
    """The patient box: the patient line, the dose (its headline, each item of the dose tree as a detail) and
    the risk lines."""
    patient = _Collector()
    patient.add(f"patient:{patient_line(plan)}", patient_line(plan))
    view = dose_view(plan, tags=True)
    if view is not None:
        head = f"patient:{view.headline}"
        patient.add(head, view.headline)
        for item in view.items:
            patient.add(head, "", ((item.text,) if item.text else ()) + tuple(c.text for c in item.children))
    for line in risk_lines(plan, tags=True):
        patient.add(f"patient:{line}", line)
    return patient


def _assemble(plan: Plan, visit: Visit, context: tuple[str, ...], sections: list, citations: dict) -> Checklist:
    """The Checklist from its sections and sources (empty sections left out)."""
    window = (
        visit.window_start.isoformat()
        if visit.window_start == visit.window_end
        else f"{visit.window_start.isoformat()} to {visit.window_end.isoformat()}"
    )
    p = plan.protocol
    return Checklist(
        drug=drug_name(plan),
        indication=indication_name(plan),
        protocol=f"{p.drug}/{p.id} - {p.title}",
        start=plan.start.isoformat(),
        visit_date=visit.date.isoformat(),
        visit_when=visit_when(visit),
        visit_kinds=visit_kinds_text(visit),
        window=window,
        sections=tuple(s for s in sections if s.items),
        sources=tuple(source_text(e[0], e[1:]) for e in citations.values()),
        context=tuple(context),
        patient=identity_text(plan),
        contact=identity_contact(plan),
        form=score_form(plan, visit.events),
    )


def identity_text(plan: Plan) -> str:
    """'Anna Example (MRN 12345)' from the plan's patient identity, or '' when none was given."""
    ident = getattr(plan, "identity", None)
    if not ident:
        return ""
    name, number = getattr(ident, "name", "") or "", getattr(ident, "identifier", "") or ""
    if name and number:
        return f"{name} ({number})"
    return name or number


def identity_contact(plan: Plan) -> str:
    ident = getattr(plan, "identity", None)
    return (getattr(ident, "contact", "") or "") if ident else ""


def source_text(c, sections) -> str:
    """'[S13] Document, section a; section b' (each source once, with every section the visit relies on)."""
    s = f"[{c.source.id}] {c.source.document}"
    if sections:
        s += ", " + "; ".join(sections)
    return s + (" (secondary source)" if c.source.weak else "")


def context_lines(cl: Checklist) -> list[str]:
    return [f"Patient: {cl.patient}"] * bool(cl.patient) + [f"Clinic contact: {cl.contact}"] * bool(cl.contact) + [
        f"Drug: {cl.drug} for {cl.indication.lower()}",
        f"First dose: {cl.start}",
        f"Visit: {cl.visit_date}, {cl.visit_when} ({cl.visit_kinds}); window {cl.window}",
        f"Protocol: {cl.protocol}",
    ] + list(cl.context)


def window_context(day, visit: Visit, others: tuple[Visit, ...] = ()) -> tuple[str, ...]:
    """Why this visit was chosen for ``day`` when it is not planned on that day (its window holds the day),
    and the other visits whose window is open then."""
    out = []
    if visit.date != day:
        out.append(f"Asked for {day.isoformat()}: inside this visit's window (planned {visit.date.isoformat()}).")
    for v in others:
        out.append(f"Also open on {day.isoformat()}: the visit on {v.date.isoformat()} ({visit_when(v)}: "
                   f"{visit_kinds_text(v)}), window {v.window_start.isoformat()} to {v.window_end.isoformat()}.")
    return tuple(out)


def _item_line(item: Item) -> str:
    return item.text + (f" [{', '.join(item.sources)}]" if item.sources else "")


# ---------------------------------------------------------------------------------------------------- text
def render_text(cl: Checklist, width: int = 100) -> str:
    """Plain text for printing from anywhere: tick boxes as [ ], a notes area and a signature line."""
    out = [cl.title, "=" * min(len(cl.title), width)]
    for line in cl.lead:
        out += textwrap.wrap(line, width, subsequent_indent="  ")
    out += context_lines(cl)
    for sec in cl.sections:
        out += ["", sec.title.upper()]
        lead = "[ ] " if sec.tick else "- "
        for item in sec.items:
            out += textwrap.wrap(_item_line(item), width, initial_indent="  " + lead,
                                 subsequent_indent=" " * (2 + len(lead)))
            for d in item.details:
                out += textwrap.wrap(d, width, initial_indent=" " * (4 + len(lead)),
                                     subsequent_indent=" " * (4 + len(lead)))
    if cl.form is not None:
        out += ["", form_title(cl.form).upper()]
        out += ["  " + form_field_text(f) for f in cl.form.fields]
        if cl.form.joints:
            out.append("  28-joint chart: tender and swollen, right and left (shoulder, elbow, wrist, MCP 1-5, PIP 1-5, knee)")
    out += ["", "SOURCES"]
    for s in cl.sources:
        out += textwrap.wrap(s, width, initial_indent="  ", subsequent_indent="    ")
    out += ["", "NOTES", "", "_" * min(width, 80), "", "_" * min(width, 80), "", "_" * min(width, 80), "",
            "Checked by (name and signature): ______________________________   Date: ____________", "",
            cl.disclaimer]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------ markdown
def _md(text: str) -> str:

    text = strip_controls(text, keep_newlines=False)
    return escape_line_start(text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;"))


def render_markdown(cl: Checklist) -> str:
    """Markdown with task-list tick boxes (- [ ]), for printing from any Markdown viewer."""
    out = [f"# {_md(cl.title)}", ""]
    out += [f"**{_md(line)}**" for line in cl.lead] + ([""] if cl.lead else [])
    out += [f"- {_md(line)}" for line in context_lines(cl)]
    for sec in cl.sections:
        out += ["", f"## {_md(sec.title)}", ""]
        for item in sec.items:
            out.append(("- [ ] " if sec.tick else "- ") + _md(_item_line(item)))
            out += [f"    - {_md(d)}" for d in item.details]
    if cl.form is not None:
        out += ["", f"## {_md(form_title(cl.form))}", ""] + [f"- {_md(form_field_text(f))}" for f in cl.form.fields]
    out += ["", "## Sources", ""] + [f"- {_md(s)}" for s in cl.sources]
    out += ["", "## Notes", "", "&nbsp;", "", "&nbsp;", "",
            "Checked by (name and signature): \\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_ "
            "Date: \\_\\_\\_\\_\\_\\_\\_\\_\\_\\_", "", f"_{_md(cl.disclaimer)}_", ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------------- html
_CSS = """
@page { size: A4; margin: 6mm 12mm 5mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 8.5pt;
       line-height: 1.12; color: #000; margin: 0 auto; max-width: 190mm; padding: 0; }
h1 { font-size: 13pt; margin: 0 0 2pt 0; }
h2 { font-size: 10pt; margin: 3pt 0 1.5pt 0; border-bottom: 1px solid #000; padding-bottom: 1pt;
     break-after: avoid; page-break-after: avoid; }
p.lead { margin: 0 0 2pt 0; color: #b00; }
dl.context { display: grid; grid-template-columns: 1fr 1fr; column-gap: 12pt; margin: 2pt 0 3pt 0; }
dl.context div { display: flex; gap: 6pt; }
dl.context div.wide { grid-column: 1 / 3; }
dl.context dt { font-weight: bold; flex: 0 0 20mm; }
dl.context dd { margin: 0; flex: 1; }
.blank { display: inline-block; width: 100%; border-bottom: 1px solid #000; }
ul.cols { columns: 2; column-gap: 12pt; }
ul.ref { font-size: 8.5pt; }
ul.ref li { line-height: 1.15; }
#patient + ul .detail { font-size: 8pt; }
ul.inline .detail { display: inline; }
ul.inline .detail::before { content: " - "; }
.opt { white-space: nowrap; }
ul { list-style: none; margin: 0; padding: 0; }
li { margin: 0 0 1pt 0; break-inside: avoid; page-break-inside: avoid; display: flex; gap: 6pt; }
li .box { flex: 0 0 auto; width: 10pt; height: 10pt; border: 1.2pt solid #000; margin-top: 1pt; }
li .dash { flex: 0 0 auto; width: 10pt; text-align: center; }
li .detail { display: block; font-size: 8.5pt; color: #222; margin-left: 0; }
.src { color: #444; font-size: 8pt; }
ol.sources { font-size: 7pt; padding-left: 0; margin: 0; list-style: none; }
ol.sources li { margin: 0; display: block; line-height: 1.08; }
.lines div { border-bottom: 1px solid #000; height: 13pt; }
.sign { display: flex; gap: 14pt; margin-top: 4pt; }
.sign div { border-bottom: 1px solid #000; height: 18pt; flex: 3; position: relative; }
.sign div.date { flex: 1; }
.sign span { position: absolute; bottom: -11pt; font-size: 8pt; }
.disclaimer { margin: 8pt 0 0 0; font-weight: bold; font-size: 9pt; }
@media screen { body { padding: 12mm; } }
"""


TWO_COLUMNS = ("tests", "ask", "actions")
"""Sections of short tick items printed in two columns (the page must hold the whole visit)."""


def _h(text: str) -> str:
    """Escaped, with command-line options (--crcl) kept on one line: a page break inside '--' would read as '-'."""

    return re.sub(r"(--[a-z][a-z0-9-]*)", r'<span class="opt">\1</span>', html.escape(text, quote=True))


def render_html(cl: Checklist) -> str:
    """One self-contained, print-ready HTML page (inline CSS, no scripts, no external files)."""
    blank = '<span class="blank">&nbsp;</span>'
    rows = [
        ("Patient", cl.patient),
        ("Drug", f"{cl.drug} for {cl.indication.lower()}"),
        ("Clinic", cl.contact),
        ("First dose", cl.start),
        ("Visit", f"{cl.visit_date}, {cl.visit_when} ({cl.visit_kinds})"),
        ("Window", cl.window),
    ]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_h(cl.title)}</title>",
        f"<style>{_CSS}{FORM_CSS if cl.form is not None else ''}</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(cl.title)}</h1>",
        *(f'<p class="lead"><strong>{_h(line)}</strong></p>' for line in cl.lead),
        '<dl class="context">',
    ]
    for key, val in rows:
        out.append(f"<div><dt>{_h(key)}</dt><dd>{_h(val) if val else blank}</dd></div>")
    out.append(f'<div class="wide"><dt>Protocol</dt><dd>{_h(cl.protocol)}</dd></div>')
    for line in cl.context:
        out.append(f'<div class="wide"><dt>Note</dt><dd>{_h(line)}</dd></div>')
    out.append("</dl>")
    for sec in cl.sections:
        out.append(f'<h2 id="{_h(sec.key)}">{_h(sec.title)}</h2>')
        cols = sec.key in TWO_COLUMNS and len(sec.items) >= 3
        out.append(f'<ul class="{"cols " if cols else ""}{"" if sec.tick else "ref"}{" inline" if sec.key == "thresholds" else ""}">')
        for item in sec.items:
            mark = '<span class="box" aria-hidden="true"></span>' if sec.tick else '<span class="dash">-</span>'
            src = f' <span class="src">[{_h(", ".join(item.sources))}]</span>' if item.sources else ""
            details = "".join(f'<span class="detail">{_h(d)}</span>' for d in item.details)
            out.append(f"<li>{mark}<span>{_h(item.text)}{src}{details}</span></li>")
        out.append("</ul>")
    if cl.form is not None:
        out.append(form_html(cl.form))
    out.append('<h2 id="sources">Sources</h2>')
    out.append('<ol class="sources">' + "".join(f"<li>{_h(s)}</li>" for s in cl.sources) + "</ol>")
    out.append('<h2 id="notes">Notes</h2>')
    out.append('<div class="lines"><div></div></div>')
    out.append('<div class="sign"><div><span>Checked by (name and signature)</span></div>'
               '<div class="date"><span>Date</span></div></div>')
    out.append(f'<p class="disclaimer">{_h(cl.disclaimer)}</p>')
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ terminal
def render_terminal(cl: Checklist, console) -> None:
    """The checklist on screen with rich: context, one block per section with tick boxes, sources, disclaimer."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(cl.title, style="bold"))
    for line in cl.lead:
        console.print(Text(line, style="bold red"))
    for line in context_lines(cl):
        console.print(Text(line))
    for sec in cl.sections:
        console.print()
        console.print(Text(sec.title, style="bold underline"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for item in sec.items:
            t = Text(item.text)
            if item.sources:
                t.append(f" [{', '.join(item.sources)}]", style="dim")
            for d in item.details:
                t.append(f"\n{d}", style="yellow")
            grid.add_row(Text("  [ ]" if sec.tick else "   -", style="bold" if sec.tick else ""), t)
        console.print(grid)
    if cl.form is not None:
        console.print()
        console.print(Text(form_title(cl.form), style="bold underline"))
        for f in cl.form.fields:
            console.print(Text("  " + form_field_text(f)))
    console.print()
    console.print(Text("Sources", style="bold underline"))
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for s in cl.sources:
        grid.add_row(" ", Text(s, style="dim"))
    console.print(grid)
    console.print()
    console.print(Text(cl.disclaimer, style="bold"))


# ---------------------------------------------------------------------------------------------- nothing due
def nothing_due_text(lookup: Lookup) -> str:
    """'Nothing is due on <day>', the nearest visit before and after, and any window still open that day."""

    def name(v: Visit) -> str:
        return f"{v.date.isoformat()} ({visit_when(v)}: {visit_kinds_text(v)})"

    lines = [f"Nothing is due on {lookup.day.isoformat()}."]
    lines.append(f"Nearest visit before: {name(lookup.before)}" if lookup.before else "Nearest visit before: none")
    lines.append(f"Nearest visit after: {name(lookup.after)}" if lookup.after else "Nearest visit after: none in this plan")
    for v in lookup.open_windows:
        lines.append(
            f"{lookup.day.isoformat()} is inside the window of the visit on {v.date.isoformat()} "
            f"({v.window_start.isoformat()} to {v.window_end.isoformat()})."
        )
    lines.append(DISCLAIMER)
    return "\n".join(lines) + "\n"
