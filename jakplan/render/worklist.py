"""The week's worklist (typed rows from :mod:`jakplan.engine.worklist`) in words: CSV, JSON, Markdown, HTML or a
terminal table. :func:`word_rows` turns the engine's rows into the worded rows every format prints (the JSON
contract of ``jakplan cohort due --format json``; the CSV has the same columns)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from typing import Any

from jakplan.catalog.vocab import drugs
from jakplan.dates import plural
from jakplan.engine.labs import action_label, analyte_name
from jakplan.escape import csv_cell, markdown_table
from jakplan.render.common import DISCLAIMER, check_label
from jakplan.render.grid import print_grid
from jakplan.render.words import lab_action_text, lab_signal_text

COLUMNS = ("kind", "patient", "name", "identifier", "drug", "check", "tests", "date", "window_start", "window_end",
           "days_late", "lab_action", "lab", "file")
"""The columns of the worklist (CSV header, JSON keys of each row)."""

KIND_WORDS = {"lab": "lab result needs action", "flag": "flagged by the laboratory",
              "response": "response criterion not met", "overdue": "overdue", "due": "due this week",
              "not_assessed": "not assessed (no limit, no lab range)"}


def word_rows(rows) -> list[dict[str, Any]]:
    """The engine's :class:`~jakplan.engine.worklist.WorkRow` records of one patient as worded rows (plain
    dicts: :data:`COLUMNS` plus rule, occurrence, anchor and critical). A module-level function: the clinic
    layer's worker processes call it (``cohort due`` hands it to them)."""

    lab = "; ".join([f"{action_label(r.lab_action)} ({r.analytes[0]} {r.finding.value:g} on {r.date.isoformat()})"
                     for r in rows if r.kind == "lab"]
                    + [f"flagged by the laboratory ({r.analytes[0]} {r.finding.value:g} on {r.date.isoformat()}: "
                       f"{lab_signal_text(r.finding.signal, r.finding.finding.unit)})" for r in rows if r.kind == "flag"])
    out = []
    for r in rows:
        if r.kind in ("lab", "flag"):
            check = f"lab result{' flagged by the laboratory' if r.kind == 'flag' else ''}: {analyte_name(r.analytes[0])}"
            tests = lab_action_text(r.finding)
        elif r.kind == "response":
            check = f"response criterion not met ({r.finding.relative or r.rule})"
            tests = f"{r.finding.criterion}: review with the prescriber"
        elif r.kind == "not_assessed":
            check = "lab results with no limit in this protocol and no range or flag from the laboratory"
            tests = "not assessed: " + ", ".join(analyte_name(a) for a in r.analytes) + " (check the label)"
        else:
            check, tests = r.title, "; ".join(check_label(c) for c in r.checks)
        out.append({
            "kind": r.kind, "patient": r.patient, "name": r.name, "identifier": r.identifier,
            "drug": drugs().get(r.drug, {}).get("name", r.drug), "check": check, "tests": tests,
            "date": r.date.isoformat() if r.date else "",
            "window_start": r.window_start.isoformat() if r.window_start else "",
            "window_end": r.window_end.isoformat() if r.window_end else "",
            "days_late": r.days_late, "lab_action": r.lab_action, "lab": lab, "file": r.file,
            "rule": r.rule, "occurrence": r.occurrence, "anchor": r.anchor, "critical": r.critical})
    return out


def status_text(row: dict[str, Any]) -> str:
    if row["kind"] == "overdue":
        return f"{plural(row['days_late'], 'day')} late (window closed {row['window_end']})"
    if row["kind"] == "due":
        return f"due {row['date']}"
    return KIND_WORDS[row["kind"]]


def window(row: dict[str, Any]) -> str:
    if not row["window_start"]:
        return ""
    if row["window_start"] == row["window_end"]:
        return row["window_start"]
    return f"{row['window_start']} to {row['window_end']}"


def who(row: dict[str, Any]) -> str:
    extra = ", ".join(x for x in (row["name"], row["identifier"]) if x)
    return f"{row['patient']} ({extra})" if extra else row["patient"]


def title(week_start: dt.date, week_end: dt.date) -> str:
    return f"Worklist for the week {week_start.isoformat()} to {week_end.isoformat()}"


def summary(rows: list[dict[str, Any]], nfiles: int, bad: int, skipped: int) -> str:
    n = {k: len({r["patient"] for r in rows if r["kind"] == k}) for k in KIND_WORDS}
    text = (f"{plural(nfiles, 'plan file')}: {n['lab']} with a lab result that needs action, {n['flag']} with a result "
            f"flagged by the laboratory, {n['overdue']} with overdue checks, {n['due']} with checks due this week")
    if n["response"]:
        text += f", {n['response']} with a response criterion not met"
    if n["not_assessed"]:
        text += (f", {n['not_assessed']} with results neither this protocol nor the laboratory judged "
                 f"(not assessed)")
    if skipped:
        text += f", {plural(skipped, 'TOML file')} that {'is not a plan file' if skipped == 1 else 'are not plan files'} skipped"
    if bad:
        text += f", {bad} unreadable (see errors)"
    return text + "."


def as_json(rows, week_start, week_end, nfiles, errors, skipped) -> dict[str, Any]:
    return {"week_start": week_start.isoformat(), "week_end": week_end.isoformat(), "files": nfiles,
            "columns": list(COLUMNS), "items": [{k: r[k] for k in COLUMNS} | {k: r.get(k) for k in ("rule", "occurrence", "anchor", "critical")} for r in rows],
            "errors": [{"file": f, "message": m} for f, m in errors], "skipped": skipped, "disclaimer": DISCLAIMER}


def as_csv(rows) -> str:

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([csv_cell(r[k]) for k in COLUMNS])
    return buf.getvalue()


def as_markdown(rows, week_start, week_end, line: str) -> str:

    header = ["", "Patient", "Drug", "Check", "Tests", "Date", "Window", "Lab result needing action"]
    body = [[status_text(r), who(r), r["drug"], r["check"], r["tests"], r["date"], window(r), r["lab"]] for r in rows]
    if not body:
        body = [["nothing due", "", "", "", "", "", "", ""]]
    out = [f"# {title(week_start, week_end)}", "", line, "", *markdown_table(header, body)]
    out += ["", f"**{DISCLAIMER}**", ""]
    return "\n".join(out)


_CSS = """body{font-family:system-ui,sans-serif;margin:1rem;color:#111;font-size:.9rem}
h1{font-size:1.3rem;margin:.2rem 0}p{margin:.3rem 0}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.15rem .35rem;text-align:left;vertical-align:top}
th{background:#eee}tr.lab td:first-child,tr.response td:first-child{background:#fdd;font-weight:bold}
tr.flag td:first-child{background:#ffe6b3;font-weight:bold}
tr.overdue td:first-child{background:#fee}td ul{margin:0;padding-left:1rem}td small{color:#444}
.filters{display:flex;flex-wrap:wrap;gap:.4rem 1rem;margin:.5rem 0;padding:.4rem;background:#f4f4f4}
.disclaimer{font-weight:bold;margin-top:.6rem}
@media print{@page{size:A4 landscape;margin:8mm}body{margin:0;font-size:7.5pt}.filters{display:none}
tr{break-inside:avoid}th,td{padding:.05rem .2rem}small.tests,.win{display:none}td ul{padding:0}
td li{display:inline}td li+li:before{content:" | "}}"""

_JS = """(function(){
var rows=[].slice.call(document.querySelectorAll('tbody tr'));
var sel=[].slice.call(document.querySelectorAll('.filters select'));var text=document.getElementById('f-text');
var count=document.getElementById('f-count');
function apply(){var q=(text.value||'').toLowerCase();var shown=0;
rows.forEach(function(r){var ok=sel.every(function(s){var v=s.value;if(!v)return true;
var have=r.getAttribute('data-'+s.name)||'';return v.split(' ').indexOf(have)>=0;});
if(ok&&q)ok=r.textContent.toLowerCase().indexOf(q)>=0;r.hidden=!ok;if(ok)shown++;});
count.textContent=shown+' of '+rows.length+' rows shown';}
location.hash.slice(1).split('&').forEach(function(kv){var p=kv.split('=');var v=decodeURIComponent(p[1]||'');
if(p[0]==='q')text.value=v;sel.forEach(function(s){if(s.name===p[0])s.value=v;});});
sel.forEach(function(s){s.addEventListener('change',apply);});text.addEventListener('input',apply);apply();})();"""
"""The worklist page's filters: every select names a row attribute (data-kind, data-drug, data-col-N); the
search box matches any text of a row; the page's address can set them (``worklist.html#kind=overdue&col-0=dr-x``,
``#q=text``). Plain script, no library; printing prints the rows shown."""


def _slug(name: str) -> str:

    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "x"


def _groups(rows) -> list[list[dict[str, Any]]]:
    """Rows of one patient and one kind together (in the order their first row comes), so the printed page has
    one line per patient and kind of work, not one per check."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault((r["patient"], r["kind"]), []).append(r)
    return list(out.values())


def _by_check(group: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for g in group:
        out.setdefault(g["check"], []).append(g)
    return out


def as_html(rows, week_start, week_end, line: str) -> str:
    """A compact page (one row per patient and kind of work, A4 landscape when printed) with filters: what
    needs action, overdue only or due this week; by drug; by each column the register keeps (consultant ...);
    and a search box."""
    e = lambda t: html.escape(str(t), quote=True)  # noqa: E731
    kept = sorted({k for r in rows for k in (r.get("kept") or {})})
    drugs = sorted({r["drug"] for r in rows})
    filters = ['<div class="filters" role="search">',
               '<label>Show <select name="kind"><option value="">everything</option>'
               '<option value="lab response">needs action</option><option value="flag">flagged by the lab</option>'
               '<option value="overdue">overdue only</option>'
               '<option value="due">due this week</option><option value="not_assessed">not assessed</option>'
               '</select></label>',
               '<label>Drug <select name="drug"><option value="">all</option>'
               + "".join(f'<option value="{e(_slug(d))}">{e(d)}</option>' for d in drugs) + "</select></label>"]
    for k, col in enumerate(kept):
        values = sorted({(r.get("kept") or {}).get(col, "") for r in rows} - {""})
        filters.append(f'<label>{e(col)} <select name="col-{k}"><option value="">all</option>'
                       + "".join(f'<option value="{e(_slug(v))}">{e(v)}</option>' for v in values) + "</select></label>")
    filters += ['<label>Search <input id="f-text" type="search"></label>', '<span id="f-count"></span>', "</div>"]
    heads = ["Status", "Patient", "Drug", "What (date, window)", "Lab result needing action", *kept]
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{e(title(week_start, week_end))}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{e(title(week_start, week_end))}</h1>", f"<p>{e(line)}</p>", *filters, "<table>",
           "<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in heads) + "</tr></thead>", "<tbody>"]
    for group in _groups(rows):
        r = group[0]
        attrs = f'class="{e(r["kind"])}" data-kind="{e(r["kind"])}" data-drug="{e(_slug(r["drug"]))}"'
        attrs += "".join(f' data-col-{k}="{e(_slug((r.get("kept") or {}).get(col, "")))}"' for k, col in enumerate(kept))
        status = status_text(r) if len(group) == 1 else f"{KIND_WORDS[r['kind']]}: {len(group)}"
        if r["kind"] == "overdue" and len(group) > 1:
            status += f", up to {plural(max(g['days_late'] for g in group), 'day')} late"
        items = []
        for check, same in _by_check(group).items():  # a check due again and again: its title once, every date
            dates = ", ".join(e(g["date"]) + (f' <span class="win">({e(window(g))})</span>'
                                              if window(g) and window(g) != g["date"] else "") for g in same)
            tests = same[0]["tests"] if same[0]["tests"] and same[0]["tests"] != check else ""
            items.append(f"<li>{e(check)}: <span class=\"when\">{dates}</span>"
                         + (f' <small class="tests">{e(tests)}</small>' if tests else "") + "</li>")
        cells = [e(status), e(who(r)), e(r["drug"]), f"<ul>{''.join(items)}</ul>", e(r["lab"]),
                 *(e((r.get("kept") or {}).get(col, "")) for col in kept)]
        out.append(f"<tr {attrs}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out += ["</tbody>", "</table>", f'<p class="disclaimer">{e(DISCLAIMER)}</p>', f"<script>{_JS}</script>",
            "</body>", "</html>", ""]
    return "\n".join(out)


def print_table(rows, week_start, week_end, line: str, console) -> None:
    """The worklist for a terminal: three columns (the date and window, the patient and drug, what and why) fitted
    to its width with no word cut (:mod:`jakplan.render.grid`)."""
    from rich.text import Text


    style = {"lab": "bold red", "flag": "bold yellow", "overdue": "red", "response": "bold red"}
    cells = []
    for r in rows:
        when = r["date"]
        if r["window_start"] and r["window_start"] != r["window_end"]:
            when += f"\n{r['window_start'][5:]} to {r['window_end'][5:]}"
        what = f"{status_text(r)}: " + (f"{r['check']}: {r['tests']}" if r["kind"] not in ("lab", "flag") and r["tests"]
                                        else (r["tests"] or r["check"]))
        if r["lab"] and r["kind"] not in ("lab", "flag"):
            what += f"\nLab: {r['lab']}"
        cells.append([when, f"{who(r)}\n{r['drug']}", what])
    print_grid(console, ["Date", "Patient", "What"], cells, title=title(week_start, week_end), nowrap=(0,),
               row_styles=[style.get(r["kind"], "") for r in rows])
    console.print(line)
    console.print(Text(DISCLAIMER, style="bold"))
