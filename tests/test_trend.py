"""Trend plots: SVG present and well-formed, the protocol's limits drawn and labelled, start and pauses marked."""

import datetime as dt
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jakplan.api import plan_for, record_of
from jakplan.history import LabRecord, Pause
from jakplan.records.planfile import edit_planfile
from jakplan.render.common import DISCLAIMER
from jakplan.render.trend import Limit, limits, panel_svg, panels, points_from_history, trend_for_record, trend_html

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SVG = "{http://www.w3.org/2000/svg}"


def _svgs(page: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def _texts(svg: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]


def _ids(svg: ET.Element) -> set[str]:
    return {el.get("id") for el in svg.iter() if el.get("id")}


def test_trend_page_for_a_plan_file(tmp_path):
    path = tmp_path / "anna.toml"
    shutil.copy(EXAMPLES / "patients" / "anna.toml", path)
    with edit_planfile(path) as pf:  # more values: a baseline, a low neutrophil count, ALT and lipids
        pf.add_lab(dt.date(2024, 4, 15), {"anc": 3.1, "hb": 13.2, "alt_uln": 0.6, "cholesterol": 5.1, "ldl": 3.0})
        pf.add_lab(dt.date(2024, 10, 30), {"anc": 0.9, "hb": 11.9, "alt_uln": 1.8, "cholesterol": 6.2, "ldl": 4.0})
    record = record_of(path)
    page = trend_for_record(record)
    assert page == trend_for_record(record)  # same input, same bytes
    assert page.count(DISCLAIMER) == 2 and "<title>Baricitinib lab trends for anna</title>" in page
    svgs = _svgs(page)
    assert len(svgs) == len(panels())  # one well-formed SVG per panel
    by_panel = dict(zip([p[0] for p in panels()], svgs, strict=True))
    plan = plan_for(dt.date(2024, 5, 1), protocol="us-label", factors={"age": 58})
    for panel, analytes in [("neutrophils", ["anc"]), ("lymphocytes", ["alc"]), ("haemoglobin", ["hb"])]:
        svg = by_panel[panel]
        texts = _texts(svg)
        lims = [lim for a in analytes for lim in limits(plan, a, None)]
        assert lims, panel  # the US label has limits for these
        for lim in lims:
            assert lim.label in texts, (panel, lim.label)  # each limit line is drawn with its label
        assert {f"limit-{a}" for a in analytes} <= _ids(svg) and "first-dose" in _ids(svg) and "pause" in _ids(svg)
        assert "first dose 2024-05-01" in texts
        assert "paused 2024-09-02 to 2024-09-23: herpes zoster" in texts
    assert "Do not start (before the first dose) [S1]; Interrupt treatment (during treatment) [S1]: < 1 10^9/L" \
        in _texts(by_panel["neutrophils"])
    # the values are plotted: one marker per neutrophil value
    anc = [el for el in by_panel["neutrophils"].iter() if el.get("id") == "values-anc"]
    assert len(anc) == 1
    # fail closed: platelets and ALT have no limit in this protocol, and the page says so
    assert "This protocol gives no limit for platelets: values are shown, not assessed." in page
    assert "This protocol gives no limit for alt/ast as a multiple of the upper limit of normal" in page
    assert not any(i.startswith("limit-") for i in _ids(by_panel["alt"]))
    assert "values-cholesterol" in _ids(by_panel["lipids"]) and "values-ldl" in _ids(by_panel["lipids"])
    assert "no values recorded" in _texts(by_panel["platelets"])


def test_fall_from_baseline_is_drawn_from_the_baseline():
    plan = plan_for(dt.date(2024, 5, 1), drug="tofacitinib")
    labs = [LabRecord(dt.date(2024, 4, 20), {"hb": 13.5}), LabRecord(dt.date(2024, 6, 1), {"hb": 11.0})]
    svg = ET.fromstring(panel_svg(plan, "haemoglobin", points_from_history(labs)))
    texts = _texts(svg)
    assert any("a fall of more than 2 g/dL from baseline = 11.5 g/dL" in t for t in texts)
    assert any(t.endswith(": < 8 g/dL") for t in texts)
    no_base = limits(plan, "hb", None)
    assert any("(no baseline recorded: not drawn)" in lim.label and lim.value is None for lim in no_base)


def test_text_is_escaped_and_open_pause_marked():
    plan = plan_for(dt.date(2024, 5, 1))
    page = trend_html(plan, [LabRecord(dt.date(2024, 6, 1), {"anc": 2.0})],
                      [Pause(dt.date(2024, 7, 1), None, "<b>rash</b> & fever")], patient="<script>x</script>")
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    svgs = _svgs(page)
    assert "paused 2024-07-01 (still paused): <b>rash</b> & fever" in _texts(svgs[0])  # XML-escaped in the SVG


def test_matplotlib_is_not_imported_at_cli_start():
    code = ("import sys\nfrom jakplan.cli import main\nsys.argv = ['jakplan', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "import jakplan.render.trend\nprint('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_values_beyond_a_limit_are_circled():
    plan = plan_for(dt.date(2024, 5, 1))
    labs = [LabRecord(dt.date(2024, 6, 1), {"anc": 2.0}), LabRecord(dt.date(2024, 7, 1), {"anc": 0.8})]
    svg = ET.fromstring(panel_svg(plan, "neutrophils", points_from_history(labs)))
    assert "beyond-anc" in _ids(svg) and "beyond a limit" in _texts(svg)
    calm = ET.fromstring(panel_svg(plan, "neutrophils", points_from_history(labs[:1])))
    assert "beyond-anc" not in _ids(calm)


def test_a_value_is_beyond_a_line_only_in_the_phase_the_rule_covers():
    start = dt.date(2024, 5, 1)
    before_only = Limit("anc", 1.0, "Do not start (before the first dose) [X]: < 1 10^9/L", "do_not_start", "below",
                        before_start=True, during=False)
    assert before_only.crossed(0.8, dt.date(2024, 4, 1), start)
    assert not before_only.crossed(0.8, dt.date(2024, 6, 1), start)
    assert not before_only.crossed(1.2, dt.date(2024, 4, 1), start)
    above = Limit("alt_uln", 3.0, "Interrupt [X]: > 3 x ULN", "interrupt", "above", before_start=False)
    assert above.crossed(3.5, dt.date(2024, 6, 1), start) and not above.crossed(2.5, dt.date(2024, 6, 1), start)
    plan = plan_for(start, drug="tofacitinib")
    during = [lim for lim in limits(plan, "hb", 13.5) if lim.during]
    assert len(during) == 2 and all(lim.crossed(lim.value - 0.5, dt.date(2024, 6, 1), start) for lim in during)


def test_panels_share_one_time_axis_limits_cover_their_phase_and_alt_has_its_uln_line(tmp_path):
    """Issue 19 item 6: one time axis for every panel, a limit drawn only over the phase it acts in, 1 x ULN on
    the ALT/AST panel, values shown rounded."""
    import re as _re

    from jakplan.history import LabRecord

    plan = plan_for(dt.date(2024, 5, 1))
    labs = [LabRecord(dt.date(2024, 4, 20), {"anc": 3.1, "alt_uln": 0.8}),
            LabRecord(dt.date(2024, 9, 1), {"hb": 12.4182083})]
    page = trend_html(plan, labs)
    svgs = _re.findall(r"<svg\b.*?</svg>", page, flags=_re.S)
    boxes = {_re.search(r'viewBox="([^"]+)"', s).group(1) for s in svgs}
    assert len(svgs) == len(panels()) and boxes  # every panel drawn
    assert "12.42 g/dL" in page and "12.4182" not in page
    alt = page[page.index('<section id="alt">'):]
    assert 'id="uln' in alt[:alt.index("</svg>")]


PDFTOTEXT = shutil.which("pdftotext")


@pytest.mark.system
@pytest.mark.skipif(PDFTOTEXT is None or not any(shutil.which(b) for b in ("chromium", "chromium-browser")),
                    reason="needs Chromium and pdftotext (.ci/run installs them)")
@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_charts_of_eighteen_months_fit_two_printed_pages(tmp_path, paper):
    """Issue 19 item 6: printed from a browser, every chart is on the first two pages (two columns); the values
    follow as an appendix from page 3."""
    from jakplan.render.pdf import html_to_pdf

    plan = plan_for(dt.date(2024, 5, 1))
    analytes = {"anc": 3.0, "alc": 1.5, "hb": 12.5, "platelets": 250, "alt_uln": 0.8, "egfr": 80, "creatinine": 80,
                "cholesterol": 5.0, "ldl": 3.0, "hdl": 1.4, "triglycerides": 1.5}
    labs = [LabRecord(dt.date(2024, 4, 20) + dt.timedelta(days=30 * i), {a: v * (1 + 0.02 * (i % 5))
                                                                         for a, v in analytes.items()})
            for i in range(18)]
    page = trend_html(plan, labs).replace("<style>", f"<style>@page {{ size: {paper}; }}\n", 1)
    pdf = tmp_path / "trend.pdf"
    pdf.write_bytes(html_to_pdf(page))
    def text(page_no: int) -> str:
        return subprocess.run([PDFTOTEXT, "-f", str(page_no), "-l", str(page_no), "-enc", "UTF-8", str(pdf), "-"],
                              capture_output=True, text=True, timeout=60).stdout

    pages = [text(n) for n in range(1, 4)]
    appendix = next(i for i, t in enumerate(pages) if "All values" in t)  # it starts a new page
    assert appendix in (1, 2), f"the charts take more than two pages ({paper})"
    charts = "".join(pages[:appendix])
    for _, title, _ in panels():
        assert title in charts, f"{title} is not among the charts ({paper})"
