"""The week's worklist as HTML (issue 21 item 4): compact (one row per patient and kind of work, each check's title
once with every date) and filterable (what needs action, overdue only, due; by drug; by a column the register
keeps, such as consultant; a search box), checked as data and, where Chromium is installed, in a real browser:
the filters set from the page's address hide the other rows, and the print is a sane number of pages."""

import csv
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
PDFINFO = shutil.which("pdfinfo")
WEEK = ["--week", "2024-08-12", "--today", "2024-08-12"]


class Rows(HTMLParser):
    """The <tbody> rows of a page: their attributes and the text of each cell."""

    def __init__(self):
        super().__init__()
        self.rows, self.selects, self._cell, self._in_body = [], {}, None, False
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append({"attrs": a, "cells": []})
        elif tag == "td" and self._in_body:
            self._cell = []
        elif tag == "select":
            self._select = a["name"]
            self.selects[self._select] = []
        elif tag == "option" and self._select:
            self.selects[self._select].append(a["value"])

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.rows[-1]["cells"].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture
def register(tmp_path):
    reg = tmp_path / "register"
    shutil.copytree(EXAMPLES / "clinic" / "register", reg)
    for k, p in enumerate(sorted(reg.glob("c*.toml"))):
        p.write_text(p.read_text() + f'\n[columns]\nconsultant = "{"Dr Ames" if k % 2 else "Dr Brown"}"\n')
    return reg


def due(runner, app, folder, fmt, *extra):
    result = runner.invoke(app, ["cohort", "due", str(folder), *extra, "--format", fmt])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_the_page_holds_every_row_once_per_patient_and_kind_with_filters(runner, app, register):
    rows = list(csv.DictReader(io.StringIO(due(runner, app, register, "csv", *WEEK))))
    page = Rows()
    page.feed(due(runner, app, register, "html", *WEEK))
    groups = {(r["patient"], r["kind"]) for r in rows}
    assert len(page.rows) == len(groups) > 3
    for r in rows:  # every check of the CSV is in its patient's row, with its date
        (tr,) = [t for t in page.rows if t["cells"][1].startswith(r["patient"]) and t["attrs"]["data-kind"] == r["kind"]]
        assert " ".join(r["check"].split()) in tr["cells"][3] and (r["date"] in tr["cells"][3] or r["kind"] == "lab")
        assert tr["attrs"]["data-drug"] == r["drug"].lower()
    assert page.selects["kind"] == ["", "lab response", "flag", "overdue", "due", "not_assessed"]
    assert set(page.selects["drug"]) == {""} | {r["drug"].lower() for r in rows}
    # the register keeps a consultant column: a filter and a column of its own
    assert page.selects["col-0"] == ["", "dr-ames", "dr-brown"]
    assert {t["attrs"]["data-col-0"] for t in page.rows} == {"dr-ames", "dr-brown"}
    assert all(t["cells"][-1] in ("Dr Ames", "Dr Brown") for t in page.rows)


def test_a_register_without_kept_columns_has_no_column_filter(runner, app):
    page = Rows()
    page.feed(due(runner, app, EXAMPLES / "clinic" / "register", "html", *WEEK))
    assert "col-0" not in page.selects and page.rows


browser = pytest.mark.skipif(BROWSER is None or PDFINFO is None, reason="needs Chromium and pdfinfo (.ci/run installs them)")


def chromium(*args, profile):
    cmd = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={profile}", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.system
@browser
@pytest.mark.parametrize("fragment, keep", [("kind=overdue", lambda a: a["data-kind"] == "overdue"),
                                            ("col-0=dr-ames", lambda a: a["data-col-0"] == "dr-ames"),
                                            ("kind=lab%20response", lambda a: a["data-kind"] in ("lab", "response")),
                                            ("drug=baricitinib&kind=due",
                                             lambda a: a["data-drug"] == "baricitinib" and a["data-kind"] == "due")])
def test_the_filters_hide_the_other_rows_in_a_browser(runner, app, register, tmp_path, fragment, keep):
    html = tmp_path / "worklist.html"
    html.write_text(due(runner, app, register, "html", *WEEK))
    dom = chromium("--dump-dom", f"{html.as_uri()}#{fragment}", profile=tmp_path / "profile")
    rows = [dict(re.findall(r'([\w-]+)="([^"]*)"', m)) | {"hidden": " hidden" in m}
            for m in re.findall(r"<tr ([^>]*)>", dom)]
    assert rows and any(not r["hidden"] for r in rows)
    assert all(r["hidden"] != bool(keep(r)) for r in rows), rows


@pytest.mark.system
@browser
def test_a_fresh_register_prints_in_few_pages(runner, app, tmp_path):
    """A register just imported (no history: every check since the start is overdue) prints as about one A4
    page per 60 worklist rows, not one per 12 (the usability review's 201 pages)."""
    reg = tmp_path / "register"
    reg.mkdir()
    for k in range(40):
        r = runner.invoke(app, ["init", "--start", f"2023-{1 + k % 12:02d}-{1 + k % 27:02d}", "--age", "60",
                                "--protocol", ("us-label", "eu-smpc", "nhs-lanarkshire")[k % 3],
                                "--out", str(reg / f"p{k:03d}.toml")])
        assert r.exit_code == 0, r.output
    week = ["--week", "2026-11-30", "--today", "2026-12-03"]
    n = len(list(csv.DictReader(io.StringIO(due(runner, app, reg, "csv", *week)))))
    html = tmp_path / "worklist.html"
    html.write_text(due(runner, app, reg, "html", *week))
    pdf = tmp_path / "worklist.pdf"
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri(), profile=tmp_path / "profile")
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run([PDFINFO, str(pdf)], capture_output=True,
                                                              text=True).stdout).group(1))
    assert n > 400 and pages <= n / 60 + 1, (n, pages)
