"""One output gate for text from data (issue 20 item 1): every stderr line of every command passes one escaping
function, CSV cells cannot run as spreadsheet formulas, and Markdown from data makes no live link or image.

Regressions named after the review's findings: an ESC/OSC sequence in a lab file's patient id retitled and
cleared the terminal; a newline inside a quoted CSV cell forged an extra "Error:" line."""

from __future__ import annotations

import ast
import csv
import io
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jakplan.cli import app
from jakplan.escape import csv_cell, markdown_cell, markdown_text

runner = CliRunner()
HOSTILE = ["\x1b]0;pwn\x07\x1b[2J", "line1\nError: forged", "=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)", "-2+3",
           "\u202eevil", "nul\x00byte", "[click](https://evil.example) ![x](http://e/i.png) www.evil.example"]
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def test_no_command_writes_to_stderr_around_the_gate():
    """Every stderr line of the CLI goes through jakplan.cli.guard.echo_err (which escapes it)."""
    root = Path(__file__).resolve().parent.parent / "jakplan" / "cli"
    offenders = []
    for f in root.glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.Call) and any(k.arg == "err" for k in node.keywords) and f.name != "guard.py":
                offenders.append(f"{f.name}:{node.lineno}")
    assert not offenders, offenders


def test_hostile_patient_ids_in_a_lab_file_are_escaped_one_line_each(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    reg = tmp_path / "reg"
    reg.mkdir()
    assert runner.invoke(app, ["init", "--start", "2024-05-01", "--out", "reg/p1.toml"]).exit_code == 0
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["patient", "date", "analyte", "value", "unit", "uln"])
    for h in HOSTILE:
        w.writerow([h, "2024-06-01", "751-8", "1.2", "10*9/L", ""])
    (tmp_path / "labs.csv").write_text(buf.getvalue())
    r = runner.invoke(app, ["cohort", "labs", "import", "labs.csv", "--into", "reg"])
    err_lines = [ln for ln in r.stderr.splitlines() if ln.startswith("Error:")]
    assert len(err_lines) == len(HOSTILE)  # one line per bad row: none forged
    assert not RAW.search(r.stderr) and not RAW.search(r.stdout)
    assert "\\x1b]0;pwn\\x07" in r.stderr


@pytest.mark.parametrize("value", HOSTILE)
def test_csv_cells_from_data_never_start_a_formula(value):
    cell = csv_cell(value)
    assert not str(cell).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert str(cell).lstrip("'") == value  # shown as typed


def test_numbers_stay_numbers_in_csv():
    assert csv_cell(-2) == -2 and csv_cell(3.5) == 3.5


@pytest.mark.parametrize("fn", [markdown_text, markdown_cell])
def test_markdown_from_data_has_no_live_link_or_image(fn):
    out = fn(HOSTILE[-1])
    assert "](" not in out.replace("\\](", "") and "://" not in out and "www." not in out


def test_worklist_csv_neutralises_a_formula_in_a_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    reg = tmp_path / "reg"
    reg.mkdir()
    r = runner.invoke(app, ["init", "--start", "2024-05-01", "--name", "=HYPERLINK(\"http://x\")", "--out", "reg/p.toml"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["cohort", "due", "reg", "--week", "2024-05-27", "--today", "2024-05-27", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows and all(row["name"] == "'=HYPERLINK(\"http://x\")" for row in rows)


@pytest.mark.parametrize("args, said", [
    (["record", "p.toml", "--rule", "tb_screening", "--done", "0001-01-01"], "outside the dates jakplan works with"),
    (["pause", "p.toml", "--from", "9999-12-31", "--reason", "x"], "outside the dates jakplan works with"),
    (["pause", "p.toml", "--from", "2999-01-01", "--reason", "x"], "in the future"),
    (["resume", "p.toml", "--on", "2999-01-01"], "in the future"),
    (["cohort", "due", ".", "--week", "9999-12-27"], "outside the dates jakplan works with"),
    (["status", "p.toml", "--today", "0001-01-01"], "outside the dates jakplan works with"),
])
def test_dates_out_of_range_or_in_the_future_are_one_line_and_change_nothing(tmp_path, monkeypatch, args, said):
    """Issue 20 item 3: every date a person types is within the supported range on every command, and what has
    not happened cannot be recorded (these were accepted, or ended in an internal error)."""
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init", "--start", "2024-05-01", "--out", "p.toml"]).exit_code == 0
    before = (tmp_path / "p.toml").read_bytes()
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    assert said in r.output and len(r.output.strip().splitlines()) == 1
    assert (tmp_path / "p.toml").read_bytes() == before


def test_help_names_values_in_capitals_and_minus_v_is_the_version():
    """Issue 21 item 5 (in part): option values in help are capitals (--today DAY, --profile PLANFILE), never
    validator placeholders such as <str>; -V prints the version."""
    for cmd in (["status", "-h"], ["schedule", "-h"], ["record", "-h"], ["cohort", "due", "-h"]):
        out = runner.invoke(app, cmd, env={"COLUMNS": "100"}).stdout
        options = [ln for ln in out.splitlines() if ln.lstrip().startswith("--")]
        assert options and not [ln for ln in options if "<str>" in ln or "<list" in ln], options
    assert "--today DAY" in runner.invoke(app, ["status", "-h"], env={"COLUMNS": "100"}).stdout
    r = runner.invoke(app, ["-V"])
    assert r.exit_code == 0 and r.stdout.startswith("jakplan ")
