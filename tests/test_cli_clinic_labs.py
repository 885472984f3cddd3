"""`jakplan cohort labs import` and `jakplan trend`: lab files into a clinic's plan files, and the trend page."""

import datetime as dt
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from jakplan.records.planfile import load_planfile

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
D = dt.date


@pytest.fixture
def clinic(tmp_path, monkeypatch):
    shutil.copytree(EXAMPLES / "patients", tmp_path / "clinic")
    for name in ("labs.csv", "labs.fhir.json", "labs.hl7"):
        shutil.copy(EXAMPLES / "clinic" / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _labs(path):
    return {(r.on, a): v for r in load_planfile(path).history.labs for a, v in r.values.items()}


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(Path(folder).glob("*.toml"))}


def test_import_three_formats_then_again_adds_nothing(runner, app, clinic):
    before = {name: _labs(clinic / "clinic" / name) for name in ("anna.toml", "bob.toml", "carla.toml")}
    args = ["cohort", "labs", "import", "labs.csv", "labs.fhir.json", "labs.hl7", "--into", "clinic",
            "--today", "2025-01-01", "--format", "json"]
    res = runner.invoke(app, args)
    assert res.exit_code == 1, res.output  # dara has no plan file and clinic.toml names no protocol to judge by
    out = json.loads(res.stdout)
    assert {u["patient"] for u in out["unmatched"]} == {"dara"}
    assert [(f["path"], f["format"], f["values_read"]) for f in out["files"]] == [
        ("labs.csv", "csv", 15), ("labs.fhir.json", "fhir", 11), ("labs.hl7", "hl7", 11)]
    added = {p["patient"]: sum(len(a["values"]) for a in p["added"]) for p in out["patients"]}
    assert added == {"anna": 13, "bob": 12, "carla": 8}  # bob: the preliminary eGFR is imported and marked
    # every bad row / entry / segment named by file and line, and the patient with no plan file
    wheres = [p["where"] for p in out["problems"]]
    assert wheres == ["labs.csv line 15", "labs.fhir.json entry 8", "labs.fhir.json entry 15",
                      "labs.hl7 message 1 segment OBX 5", "patient 'dara'"]
    assert "no plan file dara.toml" in out["problems"][-1]["message"]
    # the values are in the plan files, in canonical units, next to what was there
    anna = _labs(clinic / "clinic" / "anna.toml")
    assert anna[(D(2024, 10, 30), "alc")] == 0.45 and anna[(D(2024, 10, 30), "hb")] == 11.8
    assert anna[(D(2024, 10, 30), "alt_uln")] == 1.6 and anna[(D(2024, 4, 15), "cholesterol")] == 5.1
    assert set(before["anna.toml"].items()) <= set(anna.items())
    bob = _labs(clinic / "clinic" / "bob.toml")
    assert bob[(D(2024, 9, 2), "alt_uln")] == 0.775  # ALT 35/56 and AST 31/40 on one day: the higher is kept
    assert bob[(D(2024, 9, 2), "anc")] == 0.9 and bob[(D(2024, 7, 1), "hb")] == 12.9
    recs = [r for r in load_planfile(clinic / "clinic" / "bob.toml").history.labs if r.on == D(2024, 9, 2)]
    assert [(r.note, r.sources, r.preliminary) for r in recs] == [("", ("labs.hl7",), ("egfr",))]
    # values that cross a protocol limit are reported with the action
    assert {(a["patient"], a["action"]) for a in out["actions"]} == {("anna", "interrupt"), ("bob", "stop")}
    # the same files again: nothing added, no plan file rewritten
    snap = _snapshot(clinic / "clinic")
    res = runner.invoke(app, args)
    assert res.exit_code == 1, res.output  # dara's results still have no plan file
    again = json.loads(res.stdout)
    assert all(not p["added"] for p in again["patients"]) and again["actions"] == []
    assert sum(p["already_there"] for p in again["patients"]) == 34
    assert _snapshot(clinic / "clinic") == snap


def test_text_report_and_stderr(runner, app, clinic):
    res = runner.invoke(app, ["cohort", "labs", "import", "labs.hl7", "--into", "clinic", "--today", "2025-01-01"])
    assert res.exit_code == 0, res.output
    assert "Read labs.hl7 (hl7): 11 value(s), 1 for tests jakplan does not follow" in res.stdout
    assert "  bob (bob.toml): 11 value(s) added (2024-09-02, 2024-09-16)" not in res.stdout  # ALT+AST: 10 stored
    assert "  bob (bob.toml): 10 value(s) added (2024-09-02, 2024-09-16)" in res.stdout
    assert re.search(r"^! bob: Absolute neutrophil count 0.9 10\^9/L on 2024-09-02: < 1 10\^9/L -> Stop", res.stdout, re.M)
    assert "Contact the prescriber" in res.stdout and res.stdout.rstrip().endswith("come first.")
    recs = [r for r in load_planfile(clinic / "clinic" / "bob.toml").history.labs if r.on == D(2024, 9, 2)]
    assert [(r.sources, r.preliminary) for r in recs] == [(("labs.hl7",), ("egfr",))]  # OBX-11 'P': stored, marked
    assert "Not followed: labs.hl7 message 1 segment OBX 5: LOINC 6690-2" in res.stderr


def test_a_conflicting_value_is_reported_not_overwritten(runner, app, clinic):
    (clinic / "x.csv").write_text("patient,date,analyte,value,unit\nanna,2024-07-29,anc,1.1,10^9/L\n"
                                  "anna,2024-08-01,anc,2.0,10^9/L\nanna,2024-08-01,anc,2.5,10^9/L\n")
    res = runner.invoke(app, ["cohort", "labs", "import", "x.csv", "--into", "clinic", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [p["where"] for p in out["problems"]] == ["x.csv line 3", "x.csv line 4", "x.csv line 2"]
    assert "anna.toml already has anc 1.8 on 2024-07-29; the file says 1.1" in out["problems"][2]["message"]
    assert _labs(clinic / "clinic" / "anna.toml")[(D(2024, 7, 29), "anc")] == 1.8


def test_found_by_identifier(runner, app, clinic):
    path = clinic / "clinic" / "carla.toml"
    path.write_text(path.read_text() + '\n[patient]\nidentifier = "MRN-77"\n')
    (clinic / "y.csv").write_text("patient,date,analyte,value,unit\nMRN-77,2024-08-01,hb,12.2,g/dL\n")
    res = runner.invoke(app, ["cohort", "labs", "import", "y.csv", "--into", "clinic", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert _labs(path)[(D(2024, 8, 1), "hb")] == 12.2


def test_exit_2_only_when_nothing_could_be_read(runner, app, clinic):
    snap = _snapshot(clinic / "clinic")
    (clinic / "bad.csv").write_text("who,when\nanna,2024-01-01\n")
    res = runner.invoke(app, ["cohort", "labs", "import", "bad.csv", "missing.json", "--into", "clinic"])
    assert res.exit_code == 2
    assert "Error: bad.csv line 1: unknown column(s) 'who', 'when'" in res.stderr
    assert "Error: missing.json: no such file" in res.stderr
    assert "Nothing could be read; no plan file was changed." in res.stdout
    (clinic / "rows.csv").write_text("patient,date,analyte,value,unit\nanna,2024-13-01,hb,12,g/dL\n")
    res = runner.invoke(app, ["cohort", "labs", "import", "rows.csv", "--into", "clinic"])
    assert res.exit_code == 2 and "rows.csv line 2: date '2024-13-01' is not a real calendar date" in res.stderr
    res = runner.invoke(app, ["cohort", "labs", "import", "labs.csv", "--into", "nowhere"])
    assert res.exit_code == 2 and res.stderr.strip() == "Error: nowhere: not a folder of plan files"
    assert _snapshot(clinic / "clinic") == snap


@pytest.mark.system
def test_trend_command(runner, app, clinic):
    runner.invoke(app, ["cohort", "labs", "import", "labs.csv", "--into", "clinic", "--today", "2025-01-01"])
    res = runner.invoke(app, ["trend", "clinic/anna.toml", "--out", "trend.html"])
    assert res.exit_code == 0, res.output
    page = (clinic / "trend.html").read_text()
    svgs = [ET.fromstring(s) for s in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]
    from jakplan.render.trend import panels

    assert len(svgs) == len(panels())  # one plot per panel of the vocabulary (kidney function and creatinine too)
    texts = ["".join(t.itertext()) for t in svgs[0].iter("{http://www.w3.org/2000/svg}text")]
    assert "Do not start (before the first dose) [S1]; Interrupt treatment (during treatment) [S1]: < 1 10^9/L" in texts
    res = runner.invoke(app, ["trend", "clinic/anna.toml", "--out", "trend.html"])
    assert res.exit_code == 2 and "already exists" in res.stderr
    res = runner.invoke(app, ["trend", "clinic/anna.toml", "--out", "trend.html", "--force"])
    assert res.exit_code == 0
    res = runner.invoke(app, ["trend", "clinic/anna.toml", "--out", "-"])
    assert res.exit_code == 0 and res.stdout.startswith("<!DOCTYPE html>")
    res = runner.invoke(app, ["trend", "clinic/nobody.toml", "--out", "x.html"])
    assert res.exit_code == 2 and res.stderr.startswith("Error: ")


def test_dry_run_changes_nothing_and_reports_the_same(runner, app, clinic):
    snap = _snapshot(clinic / "clinic")
    args = ["cohort", "labs", "import", "labs.csv", "labs.hl7", "--into", "clinic", "--format", "json"]
    dry = runner.invoke(app, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert _snapshot(clinic / "clinic") == snap
    real = runner.invoke(app, args)
    assert real.exit_code == 0, real.output
    d, r = json.loads(dry.stdout), json.loads(real.stdout)
    assert d.pop("dry_run") is True and r.pop("dry_run") is False
    assert d == r and r["actions"]
    assert _snapshot(clinic / "clinic") != snap
    text = runner.invoke(app, ["cohort", "labs", "import", "labs.csv", "--into", "clinic", "--dry-run"])
    assert "Would add 0 value(s)" in text.stdout and "Dry run: no file was changed." in text.stdout
