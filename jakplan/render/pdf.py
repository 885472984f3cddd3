"""HTML to PDF through a headless Chromium, when one is installed (no PDF library is needed)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from jakplan.errors import JakplanError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_browser() -> str | None:
    """The path of a Chromium-type browser on PATH, or None."""
    return next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)


def html_to_pdf(html_text: str, timeout: float = 120) -> bytes:
    """Print ``html_text`` with headless Chromium (the page's own @page size) and return the PDF bytes."""
    browser = find_browser()
    if browser is None:
        raise JakplanError("--format pdf needs Chromium (or Google Chrome) on PATH; none was found. "
                           "Write --format html and print it from a browser instead")
    with tempfile.TemporaryDirectory(prefix="jakplan-pdf-") as tmp:
        src, pdf = Path(tmp) / "page.html", Path(tmp) / "page.pdf"
        src.write_text(html_text, encoding="utf-8")
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={Path(tmp) / 'profile'}", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf}", src.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise JakplanError(f"{browser} could not print the page ({exc})") from None
        if proc.returncode != 0 or not pdf.exists():
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            raise JakplanError(f"{browser} could not print the page (exit {proc.returncode}: {last})")
        return pdf.read_bytes()
