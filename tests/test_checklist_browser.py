"""The HTML checklist in a real headless browser: Chromium prints it to PDF, pdftotext reads the page back.

Needs Debian's `chromium` and `poppler-utils` (installed by .ci/run); skipped with the reason when missing.
"""

import datetime as dt
import shutil
import subprocess

import pytest

from jakplan.api import plan_for
from jakplan.render.checklist import build_checklist, render_html
from jakplan.render.common import DISCLAIMER
from jakplan.engine.visits import visits

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
PDFTOTEXT = shutil.which("pdftotext")

pytestmark = pytest.mark.skipif(
    BROWSER is None or PDFTOTEXT is None,
    reason="needs Chromium and pdftotext (Debian packages chromium, poppler-utils; .ci/run installs them) "
    f"- found chromium={BROWSER}, pdftotext={PDFTOTEXT}",
)


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
    missing = [e for e in expected if " ".join(e.split()) not in text]
    assert not missing, f"not on the printed page: {missing}\n--- page text ---\n{raw}"
    # A4 pages (the stylesheet's @page size), and the whole checklist fits on at most two of them
    pages = raw.count("\f")
    assert 1 <= pages <= 2, pages
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo:
        info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, timeout=60).stdout
        assert "(A4)" in info, info
