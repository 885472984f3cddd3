"""The HTML checklist in a real headless browser: Chromium prints it to PDF, pdftotext reads the page back.

Needs Debian's `chromium` and `poppler-utils` (installed by .ci/run); skipped with the reason when missing.
"""

import datetime as dt
import shutil
import subprocess

import pytest

from jakplan.api import plan_for
from jakplan.engine.visits import visits
from jakplan.render.checklist import build_checklist, render_html
from jakplan.render.common import DISCLAIMER

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
PDFTOTEXT = shutil.which("pdftotext")

pytestmark = [pytest.mark.system, pytest.mark.skipif(
    BROWSER is None or PDFTOTEXT is None,
    reason="needs Chromium and pdftotext (Debian packages chromium, poppler-utils; .ci/run installs them) "
    f"- found chromium={BROWSER}, pdftotext={PDFTOTEXT}",
)]


def print_to_pdf(html_path, pdf_path, profile):
    cmd = [
        BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--no-pdf-header-footer",
        f"--print-to-pdf={pdf_path}", html_path.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and pdf_path.exists(), proc.stderr[-2000:]


def pdf_text(pdf_path) -> str:
    proc = subprocess.run([PDFTOTEXT, "-enc", "UTF-8", str(pdf_path), "-"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_printed_checklist_shows_every_item(tmp_path):
    plan = plan_for(dt.date(2024, 5, 1), protocol="nhs-lanarkshire")
    visit = {v.date: v for v in visits(plan)}[dt.date(2024, 7, 24)]
    cl = build_checklist(plan, visit)
    html_path = tmp_path / "visit.html"
    html_path.write_text(render_html(cl), encoding="utf-8")
    pdf = tmp_path / "visit.pdf"
    print_to_pdf(html_path, pdf, tmp_path / "profile")
    assert pdf.read_bytes().startswith(b"%PDF-")

    raw = pdf_text(pdf)
    text = " ".join(raw.split())  # the page wraps long lines; compare with whitespace collapsed
    expected = [cl.title, "First dose", "2024-05-01", "Baricitinib for rheumatoid arthritis",
                "2024-07-17 to 2024-07-31", "Checked by (name and signature)", DISCLAIMER]
    for sec in cl.sections:
        expected.append(sec.title)
        for item in sec.items:
            expected.append(item.text)
            expected += list(item.details)
    expected += list(cl.sources)
    # pdftotext joins a word broken after a hard hyphen at a line end and drops the hyphen ('EU-type' -> 'EUtype'):
    # compare without hyphens
    flat = text.replace("-", "")
    missing = [e for e in expected if " ".join(e.split()).replace("-", "") not in flat]
    assert not missing, f"not on the printed page: {missing}\n--- page text ---\n{raw}"
    # one A4 page (the stylesheet's @page size) holds the whole checklist
    pages = raw.count("\f")
    assert pages == 1, pages
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo:
        info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, timeout=60).stdout
        assert "(A4)" in info, info


def pdf_pages_and_size(pdf_path) -> tuple[int, str]:
    pdfinfo = shutil.which("pdfinfo")
    info = subprocess.run([pdfinfo, str(pdf_path)], capture_output=True, text=True, timeout=60).stdout if pdfinfo else ""
    size = "A4" if "(A4)" in info else "letter" if "(letter)" in info else info
    return pdf_text(pdf_path).count("\f"), size


@pytest.mark.parametrize("protocol", ["us-label", "eu-smpc", "nhs-lanarkshire"])
def test_default_plan_checklists_fit_one_a4_page_with_each_source_once(tmp_path, protocol):
    plan = plan_for(dt.date(2024, 5, 1), protocol=protocol)
    for n, visit in enumerate(visits(plan)):
        cl = build_checklist(plan, visit)
        ids = [s.split("]")[0] for s in cl.sources]
        assert len(ids) == len(set(ids)), cl.sources  # each source listed once
        html_path = tmp_path / f"v{n}.html"
        html_path.write_text(render_html(cl), encoding="utf-8")
        pdf = tmp_path / f"v{n}.pdf"
        print_to_pdf(html_path, pdf, tmp_path / "profile")
        assert pdf_text(pdf).count("\f") == 1, (protocol, visit.date)


@pytest.mark.parametrize("paper, months", [("a4", 12), ("letter", 12), ("letter", 36)])
def test_plan_sheet_is_one_page_with_every_visit(runner, app, tmp_path, paper, months):
    from jakplan.render.sheet import build_sheet

    out = tmp_path / "plan.pdf"
    args = ["sheet", "--start", "2024-05-01", "--months", str(months), "--name", "Anna Example", "--identifier",
            "MRN 0012345", "--contact", "Rheumatology nurse line 01234 567890", "--format", "pdf", "--paper", paper,
            "--out", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF-")
    pages, size = pdf_pages_and_size(out)
    assert pages == 1
    if shutil.which("pdfinfo"):
        assert size == ("A4" if paper == "a4" else "letter")
    text = " ".join(pdf_text(out).split())
    sh = build_sheet(plan_for(dt.date(2024, 5, 1), months=months))
    expected = ["Anna Example", "MRN 0012345", "Rheumatology nurse line 01234 567890", "2 mg once daily",
                "Between visits: what to watch for, and when to call", DISCLAIMER]
    for row in sh.rows:
        expected += [row.date, row.due]
    expected += [f"Note {n}: {t}" for n, t in enumerate(sh.visit_notes, start=1)]
    expected += list(sh.watch) + list(sh.footnotes)
    missing = [e for e in expected if " ".join(e.split()) not in text]
    assert not missing, f"not on the printed page: {missing}"


def test_plan_sheet_html_has_blank_lines_for_who_when_not_given(runner, app, tmp_path):
    out = tmp_path / "plan.html"
    r = runner.invoke(app, ["sheet", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire", "--out", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert page.count('<dd class="">&nbsp;</dd>') == 3  # patient, identifier, clinic contact to fill in by hand
    assert "lipids (fasting)" in page
    pdf = tmp_path / "plan.pdf"
    print_to_pdf(out, pdf, tmp_path / "profile")
    assert pdf_text(pdf).count("\f") == 1
