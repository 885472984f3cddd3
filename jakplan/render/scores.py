"""Words and JSON for disease-activity scores and response milestones (the engine's
:class:`jakplan.engine.scores.ResponseVerdict` and :class:`jakplan.history.ScoreRecord`).

A verdict is worded as what the criterion concludes, never as a treatment decision: "criterion not met: review
with the prescriber". Every verdict line names its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from jakplan.catalog.scores import score_table
from jakplan.engine.scores import ResponseVerdict
from jakplan.escape import one_line
from jakplan.history import ScoreRecord
from jakplan.render.common import DISCLAIMER
from jakplan.render.words import cite_short


def score_label(sid: str) -> str:
    s = score_table().scores.get(sid)
    return s.label if s else sid


def score_value_text(rec: ScoreRecord) -> str:
    """'DAS28-CRP 4.16 on 2024-11-01'."""
    return f"{score_label(rec.score)} {_num(rec)} on {rec.on.isoformat()}"


def _num(rec: ScoreRecord) -> str:
    s = score_table().scores.get(rec.score)
    decimals = s.decimals if s else 2
    return f"{rec.value:.{decimals}f}"


def _expected(v: ResponseVerdict) -> str:
    return " or ".join(score_label(s) for s in v.scores)


def _cite(v: ResponseVerdict) -> str:
    """' (NICE TA466 recommendation 1.4 [X12])': the milestone's source, in the short citation style."""

    return f" ({cite_short(v.citation)})"


def response_text(v: ResponseVerdict) -> str:
    """One line: what the milestone expects or concludes."""
    at = f" ({v.relative})" if v.relative else ""
    crit = score_table().criteria.get(v.criterion)
    if v.state == "upcoming":
        return (f"Response review{at} from {v.window_start.isoformat()}: record {_expected(v)}"
                + _cite(v))
    if v.state == "due":
        return f"Response review due{at}: record {_expected(v)} by {v.window_end.isoformat()}" + _cite(v)
    if v.state == "missing":
        return (f"Response review overdue{at}: no {_expected(v)} recorded since {v.window_start.isoformat()} "
                f"(window closed {v.window_end.isoformat()})" + _cite(v))
    cur = v.current
    assert cur is not None
    if v.state == "no_baseline":
        return (f"{score_value_text(cur)}{at}: no {score_label(cur.score)} recorded on or before the first dose, so "
                f"the change cannot be measured; {crit.label if crit else v.criterion} not judged" + _cite(v))
    base = v.baseline
    change = ""
    if base is not None:
        change = f" (baseline {_num(base)} on {base.on.isoformat()}, change {cur.value - base.value:+.{_decimals(cur)}f})"
    if v.state == "recorded":
        return (f"{score_value_text(cur)}{at}{change}: the source gives no number for response; the prescriber "
                f"judges the benefit" + _cite(v))
    verdict = ("criterion met" if v.state == "met" else "criterion not met: review with the prescriber")
    return (f"{_CATEGORY[v.category]} EULAR response{at}: {score_label(cur.score)} {_num(base) if base else '?'} -> {_num(cur)}, "
            f"improvement {v.improvement:.2f}; {crit.label if crit else v.criterion}: {verdict}" + _cite(v))


_CATEGORY = {"good": "Good", "moderate": "Moderate", "none": "No"}


def _decimals(rec: ScoreRecord) -> int:
    s = score_table().scores.get(rec.score)
    return s.decimals if s else 2


def _record_dict(rec: ScoreRecord | None) -> dict[str, Any] | None:
    if rec is None:
        return None
    return {"on": rec.on.isoformat(), "score": rec.score, "value": rec.value, "inputs": dict(rec.inputs)}


def response_dict(v: ResponseVerdict) -> dict[str, Any]:
    return {
        "rule": v.rule, "occurrence": v.occurrence, "date": v.date.isoformat(),
        "window_start": v.window_start.isoformat(), "window_end": v.window_end.isoformat(),
        "scores": list(v.scores), "criterion": v.criterion, "state": v.state,
        "needs_action": v.needs_action, "baseline": _record_dict(v.baseline), "current": _record_dict(v.current),
        "category": v.category or None, "improvement": v.improvement, "source": v.citation.as_dict(),
        "text": response_text(v),
    }


def shown(responses: tuple[ResponseVerdict, ...]) -> list[ResponseVerdict]:
    """The verdicts a status view shows: all but those whose window has not opened, worst first."""
    order = ("missing", "not_met", "no_baseline", "due", "met", "recorded")
    return sorted((v for v in responses if v.state != "upcoming"), key=lambda v: (order.index(v.state), v.date))


def score_recorded_lines(planfile: str, rec: ScoreRecord, status) -> list[str]:
    """What `record --score` prints: the score (and what it was computed from), then what each response
    milestone it answers concludes, then the disclaimer."""

    s = score_table().scores[rec.score]
    how = ""
    if rec.inputs:
        parts = ", ".join(f"{score_table().inputs[k].label} {v:g}" for k, v in rec.inputs.items())
        how = f", computed from {parts} ({s.section} [{s.source}])"
    lines = [f"Recorded in {one_line(planfile)}: {score_value_text(rec)}{how}."]
    answered = [v for v in status.responses if v.current == rec or v.baseline == rec]
    lines += [response_text(v) for v in answered]
    if not answered:
        lines.append("No response milestone of this plan reads this score on that day.")
    lines.append(DISCLAIMER)
    return lines


# -- the form to fill at a review visit ----------------------------------------------------------------------

JOINT_ROWS = (("Shoulder", 1), ("Elbow", 1), ("Wrist", 1), ("MCP 1-5", 5), ("PIP 1-5 (thumb: IP)", 5), ("Knee", 1))
"""The 28 joints of DAS28, CDAI and SDAI, per side: 14 a side (shoulder, elbow, wrist, five MCP, five PIP
counting the thumb's IP, knee)."""


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    unit: str
    lo: float
    hi: float


@dataclass(frozen=True)
class ScoreForm:
    """What to measure at a visit whose response milestone expects a score: the scores it accepts, the fields
    their inputs need (each once), and whether a 28-joint chart belongs on the page."""

    scores: tuple[str, ...]
    fields: tuple[FormField, ...]
    joints: bool


def score_form(plan, events) -> ScoreForm | None:
    """The form for the visit's events (None when no event expects a score)."""
    table = score_table()
    rules = {r.id: r for r in plan.protocol.rules if r.response is not None}
    wanted = list(dict.fromkeys(s for ev in events if ev.rule in rules for s in rules[ev.rule].response.scores))
    if not wanted:
        return None
    names = list(dict.fromkeys(i for s in wanted for i in table.scores[s].inputs))
    fields = tuple(FormField(n, table.inputs[n].label, table.inputs[n].unit, table.inputs[n].lo, table.inputs[n].hi)
                   for n in names)
    return ScoreForm(tuple(score_label(s) for s in wanted), fields, "tjc" in names or "sjc" in names)


def form_title(form: ScoreForm) -> str:
    return f"Record at this visit (for {' or '.join(form.scores)}; `jakplan record --score`)"


def form_field_text(f: FormField) -> str:
    """'Tender joint count (28 joints), 0 to 28 joints: ______'."""
    return f"{f.label[0].upper() + f.label[1:]}, {f.lo:g} to {f.hi:g} {f.unit}: ________"


def form_html(form: ScoreForm) -> str:
    """The fields as a two-column list of blanks and, for joint counts, a compact 28-joint chart (tender and
    swollen boxes, right and left): small enough to keep the checklist on one printed page."""

    out = [f'<h2 id="form">{escape(form_title(form))}</h2>', '<div class="formrow">',
           f'<ul class="{"" if form.joints else "cols "}form">']
    for f in form.fields:
        out.append(f'<li><span>{escape(f.label[0].upper() + f.label[1:])} '
                   f'<span class="src">({f.lo:g}-{f.hi:g} {escape(f.unit)})</span></span>'
                   f'<span class="fill"></span></li>')
    out.append("</ul>")
    if form.joints:
        box = '<span class="jbox"></span>'
        out.append('<table class="joints"><caption>28-joint chart: tick T (tender) and S (swollen)</caption>'
                   "<tr><th></th><th>Right T</th><th>Right S</th><th>Left T</th><th>Left S</th></tr>")
        for name, n in JOINT_ROWS:
            cells = "".join(f"<td>{box * n}</td>" for _ in range(4))
            out.append(f"<tr><th>{escape(name)}</th>{cells}</tr>")
        out.append("</table>")
    out.append("</div>")
    return "\n".join(out)


FORM_CSS = """
.formrow { display: flex; gap: 12pt; align-items: flex-start; }
.formrow ul.form { flex: 1; }
ul.form li { align-items: flex-end; }
ul.form .fill { flex: 1; border-bottom: 1px solid #000; min-width: 18mm; height: 10pt; }
table.joints { border-collapse: collapse; font-size: 8pt; margin: 2pt 0; }
table.joints caption { text-align: left; font-size: 8pt; }
table.joints th, table.joints td { border: 0.6pt solid #000; padding: 0.5pt 3pt; text-align: left; }
.jbox { display: inline-block; width: 7pt; height: 7pt; border: 0.8pt solid #000; margin-right: 1.5pt; }
"""


# -- FHIR ----------------------------------------------------------------------------------------------------

def score_observation(v: ResponseVerdict, obs_id: str, subject: dict[str, Any]) -> dict[str, Any]:
    """The score that answers a response milestone as a FHIR R4 Observation (contained in the CarePlan and
    named by the milestone activity's ``outcomeReference``): the value, the inputs as components, the
    baseline in a note and the verdict as the interpretation's text."""
    rec = v.current
    assert rec is not None
    table = score_table()
    sdef = table.scores[rec.score]
    code: dict[str, Any] = {"text": sdef.label}
    if sdef.loinc:
        code["coding"] = [{"system": "http://loinc.org", "code": sdef.loinc, "display": f"Total score [{sdef.label}]"}]
    obs: dict[str, Any] = {
        "resourceType": "Observation", "id": obs_id, "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "survey"}]}],
        "code": code, "subject": subject, "effectiveDateTime": rec.on.isoformat(),
        "valueQuantity": {"value": rec.value, "unit": "score", "system": "http://unitsofmeasure.org",
                          "code": "{score}"},
        "interpretation": [{"text": response_text(v)}],
    }
    if rec.inputs:
        obs["component"] = [{"code": {"text": table.inputs[k].label},
                             "valueQuantity": {"value": val, "unit": table.inputs[k].unit}}
                            for k, val in rec.inputs.items()]
    if v.baseline is not None:
        obs["note"] = [{"text": f"Baseline {score_value_text(v.baseline)}."}]
    return obs
