"""The monitoring audit (:mod:`jakplan.clinic.audit`) as CSV, JSON, HTML (a table and a bar chart in plain HTML/CSS)
or a terminal table."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from typing import Any

from jakplan.catalog.vocab import drugs
from jakplan.clinic.audit import OUTCOMES, totals
from jakplan.dates import plural
from jakplan.escape import csv_cell
from jakplan.render.common import DISCLAIMER
from jakplan.render.grid import print_grid

OUTCOME_WORDS = {"on_time": "done in the window", "early": "done early", "late": "done late", "missing": "missing",
                 "waived": "waived", "not_applicable": "not applicable", "open": "still open"}


def drug_label(code: str) -> str:
    """The drug's name ('Baricitinib') for the drug code the audit's rows carry."""
    return drugs().get(code, {}).get("name", code)

COLOURS = {"on_time": "#2e7d32", "early": "#66bb6a", "late": "#f9a825", "missing": "#c62828", "waived": "#6d6d6d",
           "not_applicable": "#9e9e9e", "open": "#90caf9"}

CSV_COLUMNS = ("drug", "rule", "check", "total", *OUTCOMES, "done_in_time_percent", "with_score",
               *(f"patients_{o}" for o in OUTCOMES))


def title(start: dt.date, end: dt.date) -> str:
    return f"Monitoring audit {start.isoformat()} to {end.isoformat()}"


def basis(nfiles: int, skipped: int, bad: int) -> str:
    text = (f"{plural(nfiles, 'plan file')}; each planned check dated in the period, judged on the last day of the period "
            f"(done in its window, early, late, missing, waived or not applicable; still open if its window had "
            f"not closed)")
    if skipped:
        text += f"; {plural(skipped, 'TOML file')} that {'is not a plan file' if skipped == 1 else 'are not plan files'} skipped"
    if bad:
        text += f"; {plural(bad, 'unreadable plan file')} left out (see errors)"
    return text + "."


def done_in_time_percent(groups) -> float | None:
    """Of all checks judged in the period, the percentage done in the window or early (None: none judged)."""
    t = totals(groups)
    judged = t["on_time"] + t["early"] + t["late"] + t["missing"]
    return round(100 * (t["on_time"] + t["early"]) / judged, 1) if judged else None


def as_json(groups, start, end, nfiles, errors, skipped) -> dict[str, Any]:
    return {"from": start.isoformat(), "to": end.isoformat(), "files": nfiles, "outcomes": list(OUTCOMES),
            "totals": totals(groups), "done_in_time_percent": done_in_time_percent(groups),
            "headline": headline(groups), "checks": [{**g, "drug": drug_label(g["drug"])} for g in groups], "errors": [{"file": f, "message": m} for f, m in errors],
            "skipped": skipped, "disclaimer": DISCLAIMER}


def as_csv(groups) -> str:

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for g in groups:
        pct = "" if g["done_in_time_percent"] is None else g["done_in_time_percent"]
        scored = "" if g.get("with_score") is None else g["with_score"]
        w.writerow([csv_cell(c) for c in (drug_label(g["drug"]), g["rule"], g["check"], g["total"], *(g[o] for o in OUTCOMES),
                                          pct, scored, *(" ".join(g["patients"][o]) for o in OUTCOMES))])
    return buf.getvalue()


_CSS = """body{font-family:system-ui,sans-serif;margin:1.5rem;color:#111}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}td.n{text-align:right}.bar{display:flex;height:1.1rem;width:100%;min-width:12rem;background:#f4f4f4}
.bar span{display:block;height:100%}.key span{display:inline-block;width:.9rem;height:.9rem;margin:0 .3rem 0 1rem;vertical-align:middle}
details{font-size:.85rem}.headline{font-size:1.3rem;font-weight:bold}.disclaimer{font-weight:bold;margin-top:1rem}"""


def _bar(g: dict[str, Any], e) -> str:
    parts = []
    for o in OUTCOMES:
        if g[o]:
            pct = 100 * g[o] / g["total"]
            parts.append(f'<span class="{o}" style="width:{pct:.2f}%;background:{COLOURS[o]}" '
                         f'title="{e(OUTCOME_WORDS[o])}: {g[o]}"></span>')
    return f'<div class="bar" role="img" aria-label="{e(", ".join(f"{OUTCOME_WORDS[o]} {g[o]}" for o in OUTCOMES))}">' \
           + "".join(parts) + "</div>"


def as_html(groups, start, end, line: str) -> str:
    e = lambda t: html.escape(str(t), quote=True)  # noqa: E731
    head = "".join(f"<th>{e(OUTCOME_WORDS[o])}</th>" for o in OUTCOMES)
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">', f"<title>{e(title(start, end))}</title>",
           f"<style>{_CSS}</style>", "</head>", "<body>", f"<h1>{e(title(start, end))}</h1>",
           f'<p class="headline">{e(headline(groups))}</p>', f"<p>{e(line)}</p>",
           '<p class="key">' + "".join(f'<span style="background:{COLOURS[o]}"></span>{e(OUTCOME_WORDS[o])}'
                                       for o in OUTCOMES) + "</p>",
           "<table>", f"<thead><tr><th>Drug</th><th>Check</th><th>Chart</th><th>Total</th>{head}"
           "<th>Done in time (of those judged)</th></tr></thead>", "<tbody>"]
    for g in groups:
        cells = "".join(f'<td class="n">{g[o]}</td>' for o in OUTCOMES)
        pct = "-" if g["done_in_time_percent"] is None else f"{g['done_in_time_percent']:g}%"
        who = "".join(f"<div>{e(OUTCOME_WORDS[o])}: {e(', '.join(g['patients'][o]))}</div>"
                      for o in OUTCOMES if g["patients"][o])
        out.append(f"<tr><td>{e(drug_label(g['drug']))}</td><td>{e(g['check'])}<details><summary>patients</summary>{who}"
                   f"</details></td><td>{_bar(g, e)}</td><td class=\"n\">{g['total']}</td>{cells}"
                   f"<td class=\"n\">{pct}</td></tr>")
    t = totals(groups)
    out.append("<tr><th colspan=\"3\">All checks</th>" + f'<th class="n">{t["total"]}</th>'
               + "".join(f'<th class="n">{t[o]}</th>' for o in OUTCOMES) + "<th></th></tr>")
    out += ["</tbody>", "</table>", f'<p class="disclaimer">{e(DISCLAIMER)}</p>', "</body>", "</html>", ""]
    return "\n".join(out)


def headline(groups) -> str:
    """The audit's one figure: of the checks judged (done in the window, early, late or missing), how many were
    done in time (in the window or early), overall, with the late, missing and open counts."""
    t = totals(groups)
    judged = t["on_time"] + t["early"] + t["late"] + t["missing"]
    if not judged:
        return f"Overall: no check was due and judged in the period ({t['open']} still open)."
    pct = 100 * (t["on_time"] + t["early"]) / judged
    return (f"Overall: {pct:.1f}% of the checks judged were done in time ({t['on_time'] + t['early']} of {judged}); "
            f"{t['late']} done late, {t['missing']} missing; {t['waived'] + t['not_applicable']} closed by a "
            f"decision, {t['open']} still open.")


HEADS = {"on_time": "In time", "early": "Early", "late": "Late", "missing": "Missing", "waived": "Waived",
         "not_applicable": "N/A", "open": "Open"}
"""Column heads for a terminal (the key under the table says what each means)."""


def print_table(groups, start, end, line: str, console) -> None:
    """The audit for a terminal: the headline rate first, then one row per drug and check, fitted to the
    terminal's width with no word cut (:mod:`jakplan.render.grid`)."""
    from rich.text import Text


    console.print(Text(headline(groups), style="bold"))
    rows = [[f"{drug_label(g['drug'])}: {g['check']}", str(g["total"]), *(str(g[o]) for o in OUTCOMES),
             "-" if g["done_in_time_percent"] is None else f"{g['done_in_time_percent']:g}%"] for g in groups]
    styles = [""] * len(rows)
    t = totals(groups)
    pct = done_in_time_percent(groups)
    rows.append(["All checks", str(t["total"]), *(str(t[o]) for o in OUTCOMES), "-" if pct is None else f"{pct:g}%"])
    styles.append("bold")
    print_grid(console, ["Check", "Total", *(HEADS[o] for o in OUTCOMES), "% in time"], rows,
               title=title(start, end), row_styles=styles)
    console.print(Text("In time: done in the window; Early: done before it opened; N/A: not applicable; Open: "
                       "window not closed on the last day; % in time: done in the window or early, of those judged."))
    console.print(line)
    console.print("The patients behind each number: --format csv, json or html.")
    console.print(Text(DISCLAIMER, style="bold"))
