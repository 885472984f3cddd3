"""Lab-result verdicts (jakplan.engine.labs.LabReport) for the terminal, Markdown and JSON."""

from __future__ import annotations

from typing import Any

from jakplan.catalog.vocab import drugs, vocabulary
from jakplan.engine.labs import CALM, NOT_ASSESSED, LabReport, action_label, analyte_name
from jakplan.escape import markdown_table, markdown_text
from jakplan.model import Protocol
from jakplan.render.common import DISCLAIMER
from jakplan.render.words import cite_short, notes_text, unassessed_text


def _heading(report: LabReport, proto: Protocol) -> str:
    info = drugs().get(report.drug, {})
    ind = info.get("indications", {}).get(report.indication, report.indication)
    phase = "before the first dose" if report.before_start else "during treatment"
    return f"{info.get('name', report.drug)} lab results, {phase}: {ind}, protocol {proto.drug}/{proto.id}"


def verdict_line(report: LabReport) -> str:
    if report.action == NOT_ASSESSED:
        return f"Overall: Not assessed: {unassessed_text(report.findings) or 'no values given'}."
    line = f"Overall: {action_label(report.action)}"
    if report.resume:
        verb = "may start" if report.action == "do_not_start" else "may resume"
        line += f"; {verb} " + " and ".join(report.resume)
    line += "."
    if report.not_given:  # a partial panel is never plain OK: what the verdict does not cover comes first
        phase = "before the first dose" if report.before_start else "during treatment"
        missing = ", ".join(analyte_name(a) for a in report.not_given)
        line = (f"Not given: {missing} (this protocol judges {'it' if len(report.not_given) == 1 else 'them'} "
                f"{phase}; not judged). " + line.replace("Overall: ", "Overall, for the values given: ", 1))
    if report.not_assessed:
        line += f" Not assessed: {unassessed_text(report.findings)}."
    return line


def _rows(report: LabReport, shown: dict[str, str]) -> list[list[str]]:
    vocab = vocabulary()["analytes"]
    rows = []
    for f in report.findings:
        given = shown.get(f.analyte, f"{f.value:g}")
        value = f"{f.value:g} {f.unit}"
        if given.replace(" ", "") not in (f"{f.value:g}", value.replace(" ", "")):
            value = f"{given} = {value}"
        if f.baseline is not None:
            value += f" (baseline {f.baseline:g})"
        action = action_label(f.action)
        if f.resume:
            action += f"; {'start' if f.action == 'do_not_start' else 'resume'} {f.resume}"
        words = notes_text(f.notes)
        why = f.threshold.text() if f.threshold else (
            words[0] if f.action == NOT_ASSESSED and words else "no threshold crossed")
        extra = "; ".join(words[1:] if f.action == NOT_ASSESSED else words)
        rows.append([vocab[f.analyte]["label"], value, action, why + (f" ({extra})" if extra else ""),
                     cite_short(f.citation) if f.citation else ""])
    return rows


def render_labs_terminal(report: LabReport, proto: Protocol, shown: dict[str, str], console) -> None:
    from rich.table import Table
    from rich.text import Text

    console.print(Text(_heading(report, proto), style="bold"))
    table = Table(show_lines=False)
    for col in ("Test", "Value", "Action", "Why", "Source"):
        table.add_column(col)
    for row in _rows(report, shown):
        table.add_row(*row)
    console.print(table)
    style = "bold" if report.action in CALM else "bold red"
    console.print(Text(verdict_line(report), style=style))
    console.print(Text(DISCLAIMER, style="bold"))


def render_labs_markdown(report: LabReport, proto: Protocol, shown: dict[str, str]) -> str:

    lines = [f"# {markdown_text(_heading(report, proto))}", ""]
    lines += markdown_table(["Test", "Value", "Action", "Why", "Source"], _rows(report, shown))
    lines += ["", f"**{verdict_line(report)}**", "", f"_{DISCLAIMER}_", ""]
    return "\n".join(lines)


def labs_dict(report: LabReport, proto: Protocol, shown: dict[str, str]) -> dict[str, Any]:
    out = report.as_dict()
    out["notes"] = notes_text(report.notes)
    for f, finding in zip(out["findings"], report.findings, strict=True):
        f["given"] = shown.get(f["analyte"], f"{f['value']:g}")
        f["note_codes"], f["notes"] = f["notes"], notes_text(finding.notes)
    out["protocol_title"] = proto.title
    out["verdict"] = verdict_line(report)
    out["disclaimer"] = DISCLAIMER
    return out
