"""The week's worklist (:mod:`jakplan.clinic.worklist`) as CSV, JSON, Markdown, HTML or a terminal table."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from jakplan.clinic.worklist import COLUMNS
from jakplan.dates import plural
from jakplan.escape import csv_cell
from jakplan.render.common import DISCLAIMER

KIND_WORDS = {"lab": "lab result needs action", "response": "response criterion not met", "overdue": "overdue",
              "due": "due this week", "not_assessed": "not assessed (no limit)"}


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
    text = (f"{nfiles} plan files: {n['lab']} with a lab result that needs action, {n['overdue']} with overdue "
            f"checks, {n['due']} with checks due this week")
    if n["not_assessed"]:
        text += f", {n['not_assessed']} with results this protocol gives no limit for (not assessed)"
    if skipped:
        text += f", {skipped} TOML files that are not plan files skipped"
    if bad:
        text += f", {bad} unreadable (see errors)"
    return text + "."


def as_json(rows, week_start, week_end, nfiles, errors, skipped) -> dict[str, Any]:
    return {"week_start": week_start.isoformat(), "week_end": week_end.isoformat(), "files": nfiles,
            "columns": list(COLUMNS), "items": [{k: r[k] for k in COLUMNS} | {k: r.get(k) for k in ("rule", "occurrence", "anchor")} for r in rows],
            "errors": [{"file": f, "message": m} for f, m in errors], "skipped": skipped, "disclaimer": DISCLAIMER}


def as_csv(rows) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([csv_cell(r[k]) for k in COLUMNS])
    return buf.getvalue()


def as_markdown(rows, week_start, week_end, line: str) -> str:
    from jakplan.escape import markdown_table

    header = ["", "Patient", "Drug", "Check", "Tests", "Date", "Window", "Lab result needing action"]
    body = [[status_text(r), who(r), r["drug"], r["check"], r["tests"], r["date"], window(r), r["lab"]] for r in rows]
    if not body:
        body = [["nothing due", "", "", "", "", "", "", ""]]
    out = [f"# {title(week_start, week_end)}", "", line, "", *markdown_table(header, body)]
    out += ["", f"**{DISCLAIMER}**", ""]
    return "\n".join(out)


_CSS = """body{font-family:system-ui,sans-serif;margin:1.5rem;color:#111}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}tr.lab td:first-child{background:#fdd;font-weight:bold}tr.overdue td:first-child{background:#fee}
.disclaimer{font-weight:bold;margin-top:1rem}@media print{body{margin:0}}"""


def as_html(rows, week_start, week_end, line: str) -> str:
    e = lambda t: html.escape(str(t), quote=True)  # noqa: E731
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{e(title(week_start, week_end))}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{e(title(week_start, week_end))}</h1>", f"<p>{e(line)}</p>", "<table>",
           "<thead><tr><th>Status</th><th>Patient</th><th>Drug</th><th>Check</th><th>Tests</th><th>Date</th>"
           "<th>Window</th><th>Lab result needing action</th></tr></thead>", "<tbody>"]
    for r in rows:
        cells = (status_text(r), who(r), r["drug"], r["check"], r["tests"], r["date"], window(r), r["lab"])
        out.append(f'<tr class="{e(r["kind"])}">' + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    out += ["</tbody>", "</table>", f'<p class="disclaimer">{e(DISCLAIMER)}</p>', "</body>", "</html>", ""]
    return "\n".join(out)


def print_table(rows, week_start, week_end, line: str, console) -> None:
    """The worklist for a terminal: three columns (the date and window, the patient and drug, what and why) fitted
    to its width with no word cut (:mod:`jakplan.render.grid`)."""
    from rich.text import Text

    from jakplan.render.grid import print_grid

    style = {"lab": "bold red", "overdue": "red", "response": "bold red"}
    cells = []
    for r in rows:
        when = r["date"]
        if r["window_start"] and r["window_start"] != r["window_end"]:
            when += f"\n{r['window_start'][5:]} to {r['window_end'][5:]}"
        what = f"{status_text(r)}: " + (f"{r['check']}: {r['tests']}" if r["kind"] != "lab" and r["tests"]
                                        else (r["tests"] or r["check"]))
        if r["lab"] and r["kind"] != "lab":
            what += f"\nLab: {r['lab']}"
        cells.append([when, f"{who(r)}\n{r['drug']}", what])
    print_grid(console, ["Date", "Patient", "What"], cells, title=title(week_start, week_end), nowrap=(0,),
               row_styles=[style.get(r["kind"], "") for r in rows])
    console.print(line)
    console.print(Text(DISCLAIMER, style="bold"))
