"""Trends: a patient's lab values over time against the protocol's limits, as SVG plots in one HTML page.

One plot per panel (neutrophils, lymphocytes, haemoglobin, platelets, ALT/AST, lipids): the values as dated
points joined by a line, every protocol threshold for the analyte drawn as a horizontal line and labelled with
its action, the rule and its source ("Interrupt treatment: < 0.5 10^9/L [S1]"), the first dose as a vertical
line, and each pause as a shaded band. A "fall from baseline" rule is drawn at baseline minus the fall when a
baseline (the last value before the first dose) is known, and named under the plot either way. A panel whose
analyte has no threshold in the protocol says so ("this protocol gives no limit for ...": not assessed).

matplotlib is imported only inside these functions (never when the CLI starts) and draws with its SVG
backend on a bare ``Figure`` (no pyplot, no global state). Text stays text in the SVG (``svg.fonttype`` none)
and ids are salted with a fixed string, so the same input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..api import plan_for_record
from ..catalog.scores import score_table
from ..catalog.vocab import vocabulary
from ..engine.labs import action_label, severity, thresholds_for
from ..history import LabRecord, Pause
from ..model import Plan, Threshold
from ..render.scores import score_label
from .common import DISCLAIMER, drug_name, indication_name


def panels() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(panel id, title, analytes drawn in it), from the vocabulary: each analyte's ``panel``, in the order of
    ``[trend_panels]``; an analyte with no panel (or one not listed) gets a plot of its own, after them."""

    vocab = vocabulary()
    titles = dict(vocab.get("trend_panels", {}))
    members: dict[str, list[str]] = {pid: [] for pid in titles}
    for analyte, spec in vocab["analytes"].items():
        if analyte in ("weight",):  # a patient factor recorded as a value, not a lab trend
            continue
        pid = spec.get("panel") or analyte
        if pid not in members:
            members[pid] = []
            titles[pid] = spec.get("label", analyte)
        members[pid].append(analyte)
    return tuple((pid, titles[pid], tuple(a)) for pid, a in members.items() if a)

_COLOURS = ("#1f4e79", "#b35900", "#2e7d32", "#6a1b9a")
_LIMIT_COLOUR = {"interrupt": "#c62828", "do_not_start": "#c62828", "stop": "#8e0000", "discontinue": "#8e0000",
                 "reduce_dose": "#ef6c00"}


@dataclass(frozen=True)
class Point:
    on: dt.date
    analyte: str
    value: float


@dataclass(frozen=True)
class Limit:
    """One line drawn on a panel: a threshold at a value, with the words shown beside it."""

    analyte: str
    value: float | None
    """None for a fall-from-baseline rule with no baseline known (named, not drawn)."""
    label: str
    action: str
    comparison: str = "below"
    """'below' or 'above' the line is what the rule acts on (a fall from baseline acts below its line)."""
    before_start: bool = True
    during: bool = True
    """The phases the line acts in: a value is beyond it only in a phase the rule covers."""

    def crossed(self, value: float, on: dt.date, start: dt.date) -> bool:
        if self.value is None or not (self.before_start if on < start else self.during):
            return False
        return value < self.value if self.comparison in ("below", "drop") else value > self.value


def points_from_history(labs: Iterable[LabRecord]) -> list[Point]:
    return sorted((Point(r.on, a, v) for r in labs for a, v in r.values.items()), key=lambda p: (p.on, p.analyte))


def _label(analyte: str) -> str:

    return vocabulary()["analytes"][analyte]["label"]


def _unit(analyte: str) -> str:

    return vocabulary()["analytes"][analyte]["unit"]


def limits(plan: Plan, analyte: str, baseline: float | None) -> list[Limit]:
    """The protocol's thresholds for ``analyte`` in the plan's indication, one Limit per line drawn: a
    threshold that acts before the first dose and during treatment at the same value is one line naming both."""

    groups: dict[tuple, list[tuple[str, str, Threshold]]] = {}
    for t in thresholds_for(plan.protocol, plan.indication):
        if t.analyte != analyte:
            continue
        value = _limit_value(t, baseline)
        key = (value, t.comparison, t.value) if value is not None else (t.id,)
        for when, action in (("before the first dose", t.before_start), ("during treatment", t.during)):
            if action:
                groups.setdefault(key, []).append((when, action, t))
    out = []
    for items in groups.values():
        t = items[0][2]
        value = _limit_value(t, baseline)
        acts = "; ".join(dict.fromkeys(f"{action_label(a)} ({when}) [{x.citation.source.id}]" for when, a, x in items))
        words = f"{acts}: {t.text()}"
        if t.comparison == "drop":
            words += f" = {value_text(value)} {t.unit}" if value is not None else " (no baseline recorded: not drawn)"
        worst = max((a for _, a, _ in items), key=severity)
        whens = {when for when, _, _ in items}
        out.append(Limit(analyte, value, words, worst, t.comparison,
                         "before the first dose" in whens, "during treatment" in whens))
    return out


def _limit_value(t: Threshold, baseline: float | None) -> float | None:
    if t.comparison == "drop":
        return None if baseline is None else round(baseline - t.value, 6)
    return t.value


def _baseline(points: list[Point], analyte: str, start: dt.date) -> float | None:
    before = [p for p in points if p.analyte == analyte and p.on < start]
    return before[-1].value if before else None


def _draw_values(ax, analytes: tuple[str, ...], mine: list[Point]) -> None:
    """Each analyte's values as a line with markers, in the panel's colours."""
    for i, a in enumerate(analytes):
        series = [p for p in mine if p.analyte == a]
        if series:
            ax.plot([p.on for p in series], [p.value for p in series], marker="o", markersize=4,
                    color=_COLOURS[i % len(_COLOURS)], label=_label(a), gid=f"values-{a}")


def _draw_limits(ax, plan: Plan, analytes: tuple[str, ...], points: list[Point], mine: list[Point]) -> list[float]:
    """Ring the values beyond a limit and draw each limit as a labelled dashed line; the limits drawn."""
    drawn = []
    for a in analytes:
        lims = limits(plan, a, _baseline(points, a, plan.start))
        beyond = [p for p in mine if p.analyte == a and any(lim.crossed(p.value, p.on, plan.start) for lim in lims)]
        if beyond:
            ax.plot([p.on for p in beyond], [p.value for p in beyond], linestyle="none", marker="o", markersize=8,
                    markerfacecolor="none", markeredgecolor="#c62828", markeredgewidth=1.5,
                    label="beyond a limit", gid=f"beyond-{a}")
        for lim in lims:
            if lim.value is None:
                continue
            colour = _LIMIT_COLOUR.get(lim.action, "#555555")
            # a limit is drawn only over the phase it acts in: before the first dose, during treatment, or both
            x0 = 0.0 if lim.before_start else _axes_x(ax, plan.start)
            x1 = 1.0 if lim.during else _axes_x(ax, plan.start)
            ax.axhline(lim.value, xmin=x0, xmax=x1, color=colour, linestyle="--", linewidth=1, gid=f"limit-{a}")
            ax.annotate(lim.label, xy=(0.005, lim.value), xycoords=("axes fraction", "data"),
                        xytext=(2, 2), textcoords="offset points", fontsize=7, color=colour)
            drawn.append(lim.value)
    return drawn


def _axes_x(ax, day: dt.date) -> float:
    """Where ``day`` falls across the axes (0 to 1), for lines drawn over part of the time axis."""
    from matplotlib import dates as mdates

    lo, hi = ax.get_xlim()
    return min(1.0, max(0.0, (mdates.date2num(day) - lo) / (hi - lo))) if hi > lo else 0.0


def _draw_uln(ax, analytes: tuple[str, ...]) -> list[float]:
    """For a multiple-of-ULN panel (ALT/AST): the upper limit of normal itself, 1 x ULN, as a thin line."""
    if not any(_unit(a) == "x ULN" for a in analytes):
        return []
    ax.axhline(1.0, color="#888888", linestyle=":", linewidth=1, gid="uln")
    ax.annotate("1 x ULN (the laboratory's upper limit of normal)", xy=(0.995, 1.0), xycoords=("axes fraction", "data"),
                xytext=(0, 2), textcoords="offset points", fontsize=7, color="#888888", ha="right")
    return [1.0]


def _draw_pauses(ax, pauses: list[Pause], last: dt.date, pad: dt.timedelta) -> None:
    """Each pause as a shaded span (an open pause runs to the right edge)."""
    for p in pauses:
        end = p.end or last + pad
        words = f"paused {p.start.isoformat()}" + (f" to {p.end.isoformat()}" if p.end else " (still paused)")
        if p.reason:
            words += f": {p.reason}"
        ax.axvspan(p.start, end, color="#f2c14e", alpha=0.3, linewidth=0, gid="pause", label=words)


def _set_axes(ax, values: list[float], first: dt.date, last: dt.date, pad: dt.timedelta) -> None:
    """The value and date ranges, date ticks, grid and legend."""
    from matplotlib import dates as mdates

    if values:
        lo, hi = min(values), max(values)
        span = (hi - lo) or max(abs(hi), 1.0)
        ax.set_ylim(max(0.0, lo - 0.15 * span) if lo >= 0 else lo - 0.15 * span, hi + 0.25 * span)
    ax.set_xlim(first - pad, last + pad)
    loc = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    ax.legend(loc="upper left", bbox_to_anchor=(0, -0.12), ncol=3, fontsize=7, frameon=False)


def time_span(plan: Plan, points: list[Point], pauses: Iterable[Pause] = (), today: dt.date | None = None,
              extra: Iterable[dt.date] = ()) -> tuple[dt.date, dt.date]:
    """(first, last) day of every panel's time axis: one axis for the whole page, so panels line up."""
    pauses = list(pauses)
    days = [p.on for p in points] + [plan.start] + [p.end or p.start for p in pauses] + list(extra)
    return min(days), max(days + ([today] if today else []))


def value_text(value: float) -> str:
    """A value as a person reads it: at most two decimals (4.18, not 4.18208), no trailing zeros."""
    return f"{round(value, 2):g}" if abs(value) < 1e6 else f"{value:.3g}"


def panel_svg(plan: Plan, panel: str, points: list[Point], pauses: Iterable[Pause] = (),
              today: dt.date | None = None, span: tuple[dt.date, dt.date] | None = None) -> str:
    """One panel as an SVG document (text). ``span``: the page's shared time axis (default: this panel's)."""
    import matplotlib
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure

    pid, title, analytes = next(p for p in panels() if p[0] == panel)
    mine = [p for p in points if p.analyte in analytes]
    pauses = list(pauses)
    units = sorted({_unit(a) for a in analytes})
    first, last = span or time_span(plan, mine, pauses, today)
    pad = dt.timedelta(days=max(7, (last - first).days // 20))
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"jakplan-{pid}", "font.size": 9,
                                "font.family": "sans-serif", "text.parse_math": False}):  # data text is literal ($...$)
        fig = Figure(figsize=(8, 3.0))
        ax = fig.subplots()
        ax.set_title(f"{title} ({', '.join(units)})", loc="left", fontsize=10)
        ax.set_xlim(mdates.date2num(first - pad), mdates.date2num(last + pad))  # before the limits: each is drawn over its phase's part of it
        _draw_values(ax, analytes, mine)
        drawn = _draw_limits(ax, plan, analytes, points, mine) + _draw_uln(ax, analytes)
        ax.axvline(mdates.date2num(plan.start), color="#333333", linewidth=1.2, gid="first-dose",
                   label=f"first dose {plan.start.isoformat()}")
        _draw_pauses(ax, pauses, last, pad)
        if not mine:
            ax.text(0.5, 0.5, "no values recorded", transform=ax.transAxes, ha="center", va="center",
                    color="#777777")
        _set_axes(ax, [p.value for p in mine] + drawn, first, last, pad)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def score_svg(plan: Plan, kind: str, scores: list, pauses: Iterable[Pause] = (), today: dt.date | None = None,
              span: tuple[dt.date, dt.date] | None = None) -> str:
    """One disease-activity score over time as an SVG document, with the bounds of each response criterion that
    reads it drawn and labelled with their source (DAS28: the EULAR response's 3.2 and 5.1)."""
    import matplotlib
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure


    table = score_table()
    sdef = table.scores[kind]
    mine = sorted((s for s in scores if s.score == kind), key=lambda s: s.on)
    pauses = list(pauses)
    first, last = span or (min([s.on for s in mine] + [plan.start]), max([s.on for s in mine] + [plan.start]
                                                                         + ([today] if today else [])))
    pad = dt.timedelta(days=max(7, (last - first).days // 20))
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"jakplan-score-{kind}", "font.size": 9,
                                "font.family": "sans-serif", "text.parse_math": False}):
        fig = Figure(figsize=(8, 3.0))
        ax = fig.subplots()
        ax.set_title(sdef.label, loc="left", fontsize=10)
        ax.plot([s.on for s in mine], [s.value for s in mine], marker="o", markersize=4, color=_COLOURS[0],
                label=sdef.label, gid=f"score-{kind}")
        drawn = []
        for crit in table.criteria.values():
            if kind not in crit.scores:
                continue
            good_at_most, high_above, _, _ = crit.bounds
            for value, words in ((good_at_most, f"{good_at_most:g}: a good EULAR response needs this or lower"),
                                 (high_above, f"{high_above:g}: above it, an improvement of 1.2 or less is no response")):
                ax.axhline(value, color="#555555", linestyle="--", linewidth=1, gid=f"criterion-{crit.id}")
                ax.annotate(f"{words} [{crit.source}]", xy=(0.005, value), xycoords=("axes fraction", "data"),
                            xytext=(2, 2), textcoords="offset points", fontsize=7, color="#555555")
                drawn.append(value)
        ax.axvline(mdates.date2num(plan.start), color="#333333", linewidth=1.2, gid="first-dose",
                   label=f"first dose {plan.start.isoformat()}")
        _draw_pauses(ax, pauses, last, pad)
        _set_axes(ax, [s.value for s in mine] + drawn, first, last, pad)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def _svg_inline(svg: str) -> str:
    """The <svg> element alone (no XML declaration or DOCTYPE), to sit inside an HTML page."""
    return svg[svg.index("<svg"):].strip()


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; color: #222; }
.aid { border: 2px solid #c62828; padding: .5rem .8rem; font-weight: bold; }
section { margin: 1.5rem 0; page-break-inside: avoid; break-inside: avoid; }
section svg { width: 100%; height: auto; }
table { border-collapse: collapse; font-size: .85rem; }
td, th { border: 1px solid #ccc; padding: .15rem .5rem; text-align: left; }
.none { color: #a14000; }
/* printed: the charts fit two A4 or Letter pages (two columns); every value follows as an appendix */
@page { margin: 10mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 7.5pt; }
  h1 { font-size: 12pt; margin: 0 0 2mm 0; }
  h2 { font-size: 8.5pt; margin: 0 0 1mm 0; }
  p, ul { margin: 0 0 1mm 0; }
  .aid { padding: 1mm 2mm; }
  .charts { display: grid; grid-template-columns: 1fr 1fr; column-gap: 4mm; row-gap: 2mm; }
  .charts section { margin: 0; }
  .charts section svg { max-height: 52mm; }
  .charts ul { padding-left: 4mm; }
  .values { break-before: page; page-break-before: always; break-inside: auto; page-break-inside: auto; }
  .values table { font-size: 7pt; margin-bottom: 2mm; }
}
"""


def trend_html(plan: Plan, labs: Iterable[LabRecord], pauses: Iterable[Pause] | None = None, patient: str = "",
               today: dt.date | None = None, scores: Iterable = ()) -> str:
    """The trend page: every panel as inline SVG with its limits and a table of the values, HTML-escaped.
    ``pauses`` default to the plan's own."""
    points = points_from_history(labs)
    pauses = tuple(getattr(plan, "pauses", ()) if pauses is None else pauses)
    scores = list(scores)
    span = time_span(plan, points, pauses, today, (s.on for s in scores))
    def e(text: str) -> str:  # text content only (no attribute takes user text)
        return html.escape(text, quote=False)

    who = f" for {patient}" if patient else ""
    title = f"{drug_name(plan)} lab trends{who}"
    out = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{e(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="aid">{e(DISCLAIMER)}</p>',
        f"<p>{e(drug_name(plan))} for {e(indication_name(plan).lower())}; first dose {plan.start.isoformat()}; "
        f"protocol {e(plan.protocol.drug)}/{e(plan.protocol.id)} ({e(plan.protocol.title)}). "
        "Dashed lines are the protocol's limits for the value, with the action and the source; the yellow band is "
        "a pause in treatment.</p>",
    ]
    out.append('<div class="charts">')
    tables: list[str] = []
    for pid, ptitle, analytes in panels():
        out.append(f'<section id="{pid}">')
        out.append(f"<h2>{e(ptitle)}</h2>")
        out.append(_svg_inline(panel_svg(plan, pid, points, pauses, today, span)))
        lims = [lim for a in analytes for lim in limits(plan, a, _baseline(points, a, plan.start))]
        if lims:
            out.append("<p>Limits:</p><ul>" + "".join(f"<li>{e(lim.label)}</li>" for lim in lims) + "</ul>")
        else:
            names = ", ".join(_label(a).lower() for a in analytes)
            out.append(f'<p class="none">This protocol gives no limit for {e(names)}: values are shown, '
                       "not assessed. Check the label and the prescriber's instructions.</p>")
        rows = [p for p in points if p.analyte in analytes]
        if rows:
            tables.append(f'<h2 id="values-{pid}">{e(ptitle)}</h2>'
                          "<table><tr><th>Date</th><th>Test</th><th>Value</th></tr>" + "".join(
                              f"<tr><td>{p.on.isoformat()}</td><td>{e(_label(p.analyte))}</td>"
                              f"<td>{value_text(p.value)} {e(_unit(p.analyte))}</td></tr>" for p in rows) + "</table>")
        out.append("</section>")
    for kind in dict.fromkeys(s.score for s in sorted(scores, key=lambda s: s.on)):

        out.append(f'<section id="score-{e(kind)}">')
        out.append(f"<h2>{e(score_label(kind))}</h2>")
        out.append(_svg_inline(score_svg(plan, kind, scores, pauses, today, span)))
        tables.append(f'<h2 id="values-score-{e(kind)}">{e(score_label(kind))}</h2>'
                      "<table><tr><th>Date</th><th>Score</th></tr>" + "".join(
                          f"<tr><td>{s.on.isoformat()}</td><td>{s.value:g}</td></tr>" for s in scores
                          if s.score == kind) + "</table>")
        out.append("</section>")
    out.append("</div>")
    if tables:
        out.append('<section class="values"><h2>All values</h2>' + "".join(tables) + "</section>")
    out.append(f'<p class="aid">{e(DISCLAIMER)}</p>')
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def trend_for_record(record, today: dt.date | None = None) -> str:
    """The trend page for a patient record (a plan file's profile, recorded labs and pauses), its plan built
    by the one path :func:`jakplan.api.plan_for_record`."""

    plan = plan_for_record(record)
    ident = getattr(plan, "identity", None)
    who = (ident.name or ident.identifier) if ident else ""
    if not who and record.source is not None:
        who = Path(record.source).stem
    return trend_html(plan, record.history.labs, record.history.pauses, patient=who, today=today,
                      scores=record.history.scores)
