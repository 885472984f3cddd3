"""`jakplan init / record / pause / resume / status` through CliRunner, on a frozen --today."""

import datetime as dt
import json
from pathlib import Path

import pytest
from support import ok, screening_rules

from jakplan.api import status_for_record
from jakplan.history import Done, Pause
from jakplan.records.patient import load_record
from jakplan.records.planfile import load_planfile
from jakplan.render.common import DISCLAIMER
from jakplan.render.status import status_dict

SCREENING = screening_rules()




@pytest.fixture
def anna(runner, app, tmp_path):
    path = tmp_path / "anna.toml"
    ok(runner, app, "init", "--start", "2024-05-01", "--drug", "baricitinib", "--indication", "ra",
       "--age", "58", "--out", str(path))
    return path


def test_init_writes_a_plan_file_that_is_also_a_profile(runner, app, anna):
    pf = load_planfile(anna)
    assert pf.profile.to_dict() == {"jakplan": 1, "drug": "baricitinib", "indication": "ra",
                                    "start": dt.date(2024, 5, 1), "factors": {"age": 58}}
    assert pf.history.done == () and pf.history.labs == () and pf.history.pauses == ()
    assert "planning aid" in anna.read_text()


def test_init_refuses_to_overwrite_and_bad_input(runner, app, anna, tmp_path):
    before = anna.read_bytes()
    for args, msg in [
        (["--start", "2024-05-01", "--out", str(anna)], "already exists"),
        (["--start", "2024-05-01", "--protocol", "nope", "--out", str(tmp_path / "x.toml")], "unknown protocol 'nope'"),
        (["--start", "2024-02-30", "--out", str(tmp_path / "x.toml")], "not a real calendar date"),
        (["--out", str(tmp_path / "x.toml")], "--start is missing"),
        (["--start", "2024-05-01", "--age", "old", "--out", str(tmp_path / "x.toml")], "not a number"),
        (["--start", "2024-05-01", "--age", "nan", "--out", str(tmp_path / "x.toml")], "finite"),
        (["--start", "2024-05-01", "--out", str(tmp_path / "no" / "x.toml")], "does not exist"),
    ]:
        result = runner.invoke(app, ["init", *args])
        assert result.exit_code == 2, (args, result.output)
        assert msg in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert anna.read_bytes() == before
    assert not (tmp_path / "x.toml").exists()


def test_record_pause_resume_then_status_json(runner, app, anna):
    ok(runner, app, "record", str(anna), *sum((["--rule", r] for r in SCREENING), []), "--done", "2024-04-20")
    out = ok(runner, app, "record", str(anna), "--rule", "lipids_week12", "--done", "2024-07-29").stdout
    assert "lipids_week12 done 2024-07-29" in out
    ok(runner, app, "record", str(anna), "--rule", "bloods_week4", "--rule", "early_response_baricitinib", "--rule", "bloods_week12",
       "--done", "2024-07-29")
    ok(runner, app, "pause", str(anna), "--from", "2024-09-02", "--reason", "herpes zoster")
    ok(runner, app, "resume", str(anna), "--on", "2024-09-23")
    pf = load_planfile(anna)
    assert pf.history.pauses == (Pause(dt.date(2024, 9, 2), dt.date(2024, 9, 23), "herpes zoster"),)
    assert Done("lipids_week12", dt.date(2024, 7, 29)) in pf.history.done

    result = runner.invoke(app, ["status", str(anna), "--today", "2024-11-20", "--format", "json"])
    assert result.exit_code == 1, result.output  # the week-12 treat-to-target review was never recorded
    got = json.loads(result.stdout)
    want = json.loads(json.dumps(status_dict(status_for_record(load_record(anna), dt.date(2024, 11, 20)), str(anna))))
    assert got == want
    assert [(i["rule"], i["date"], i["days_late"]) for i in got["overdue"]] == [("t2t_review_week12", "2024-07-24", 119)]
    due = {i["rule"]: i for i in got["due"]}
    assert set(due) == {"bloods_every_3_months", "target_by_month6"}
    moved = due["bloods_every_3_months"]
    assert (moved["date"], moved["planned"], moved["shifted_days"], moved["anchor"]) == ("2024-11-14", "2024-10-24", 21, "start")
    assert got["pauses"] == [{"from": "2024-09-02", "to": "2024-09-23", "reason": "herpes zoster"}]
    assert any("moved 21 days later" in n for n in got["notes"])
    assert got["disclaimer"] == DISCLAIMER
    assert result.stderr.strip() == f"{anna}: 1 item overdue on 2024-11-20"


def test_status_exits_zero_when_nothing_is_overdue(runner, app, anna):
    ok(runner, app, "record", str(anna), *sum((["--rule", r] for r in SCREENING), []), "--done", "2024-04-20")
    result = ok(runner, app, "status", str(anna), "--today", "2024-05-20")
    out = result.stdout
    assert "Next for each check" in out and "bloods_week4" in out and "2024-05-29" in out
    assert "Overdue" not in out
    assert out.strip().splitlines()[-1] == DISCLAIMER
    late = runner.invoke(app, ["status", str(anna), "--today", "2024-06-10"])
    assert late.exit_code == 1
    # the week-4 bloods and the early-response point (window weeks 2-4) share the week-4 visit
    assert "Overdue: 2" in late.stdout and "12 days late" in late.stdout and "2024-06-05" in late.stdout


def test_status_shows_the_anchor_and_the_pause(runner, app, anna):
    ok(runner, app, "pause", str(anna), "--from", "2024-06-01", "--reason", "pneumonia")
    result = runner.invoke(app, ["status", str(anna), "--today", "2024-06-10"])
    assert "On hold (treatment paused)" in result.stdout
    assert "Treatment paused since 2024-06-01 (pneumonia)" in result.stdout
    assert "start 2024-05-01" in result.stdout


@pytest.mark.parametrize("args, msg", [
    (["record", "{f}"], "nothing to record"),
    (["record", "{f}", "--rule", "lipids_week12"], "--done DAY is missing"),
    (["record", "{f}", "--rule", "nope", "--done", "2024-07-01"], "--rule 'nope' is not a check in protocol us-label"),
    (["record", "{f}", "--rule", "lipids_week12", "--done", "2999-01-01"], "is in the future"),
    (["record", "{f}", "--lab", "anc=1.8"], "--on DAY is missing"),
    (["record", "{f}", "--lab", "anc=abc", "--on", "2024-07-01"], "--lab anc 'abc' is not a number"),
    (["record", "{f}", "--lab", "xyz=1", "--on", "2024-07-01"], "unknown lab analyte 'xyz'"),
    (["record", "{f}", "--lab", "anc", "--on", "2024-07-01"], "must look like ANALYTE=VALUE"),
    (["resume", "{f}", "--on", "2024-07-01"], "not paused; nothing to resume"),
    (["record", "{f}", "--rule", "tb_screening", "--done", "2024-04-01"], "tb_screening is already recorded as done on 2024-04-01"),
    (["pause", "{f}", "--from", "2024-04-01", "--reason", "x"], "before the start date"),
    (["pause", "{f}", "--from", "2024-06-01", "--reason", " "], "--reason is empty"),
    (["status", "{f}", "--today", "yesterday"], "--today 'yesterday' is not a date"),
    (["status", "{missing}"], "file not found"),
])
def test_bad_input_is_one_line_and_the_file_is_untouched(runner, app, anna, tmp_path, args, msg):
    ok(runner, app, "record", str(anna), "--rule", "tb_screening", "--done", "2024-04-01")
    before = anna.read_bytes()
    args = [a.format(f=anna, missing=tmp_path / "missing.toml") for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert msg in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output
    assert anna.read_bytes() == before


def test_a_newer_or_broken_file_is_refused_untouched(runner, app, tmp_path):
    newer = tmp_path / "newer.toml"
    newer.write_text("jakplan = 9\nstart = 2024-05-01\n")
    broken = tmp_path / "broken.toml"
    broken.write_text("jakplan = 1\nstart = 2024-05-01\n[[done]\n")
    for path, msg in ((newer, "newer than this jakplan understands"), (broken, "not valid TOML")):
        before = path.read_bytes()
        for args in (["record", str(path), "--rule", "lipids_week12", "--done", "2024-07-01"], ["status", str(path)]):
            result = runner.invoke(app, args)
            assert result.exit_code == 2 and msg in result.stderr, result.output
        assert path.read_bytes() == before


def test_record_lab_values_and_see_what_they_mean(runner, app, anna):
    out = ok(runner, app, "record", str(anna), "--lab", "anc=0.8", "--lab", "alc=0.9", "--lab", "hb=12.1",
             "--on", "2024-07-29").stdout.splitlines()
    assert out[0] == f"Recorded in {anna}: lab values on 2024-07-29: anc 0.8, alc 0.9, hb 12.1"
    assert out[1].startswith("! Absolute neutrophil count 0.8 10^9/L on 2024-07-29: < 1 10^9/L -> Interrupt treatment; resume when neutrophils")
    assert "jakplan pause" in out[-1]
    assert load_planfile(anna).history.labs[0].values == {"anc": 0.8, "alc": 0.9, "hb": 12.1}
    got = json.loads(runner.invoke(app, ["status", str(anna), "--today", "2024-08-01", "--format", "json"]).stdout)
    assert [(a["analyte"], a["action"], a["current"]) for a in got["lab_actions"]] == [("anc", "interrupt", True)]
    fine = ok(runner, app, "record", str(anna), "--lab", "anc=2.2", "--on", "2024-08-05").stdout
    assert "!" not in fine


def test_schedule_takes_a_plan_file_with_history_as_its_profile(runner, app, anna):
    ok(runner, app, "record", str(anna), "--rule", "lipids_week12", "--done", "2024-07-29")
    ok(runner, app, "record", str(anna), "--lab", "anc=1.8", "--on", "2024-07-29")
    ok(runner, app, "pause", str(anna), "--from", "2024-09-02", "--reason", "herpes zoster")
    from_file = json.loads(ok(runner, app, "schedule", "--profile", str(anna), "--format", "json").stdout)
    # a plan file is planned on today (a rolling horizon): the same months from the start, typed, give the same plan
    direct = json.loads(ok(runner, app, "schedule", "--start", "2024-05-01", "--indication", "ra", "--age", "58",
                           "--months", str(from_file["months"]), "--format", "json").stdout)
    # the open pause puts every in-treatment event from its first day on hold; nothing else differs
    held = [e for e in from_file["events"] if e.pop("on_hold", False)]
    assert held and all(e["date"] >= "2024-09-02" for e in held)
    assert all(e["date"] < "2024-09-02" for e in from_file["events"] if e not in held)
    assert from_file == direct


def test_init_stores_a_protocol_file_relative_to_the_plan_file_so_status_works_from_any_folder(tmp_path, monkeypatch):
    """Regression (issue 16): `init --out dir/p.toml --protocol dir/clinic.toml` stored 'dir/clinic.toml', and
    every later command looked for dir/dir/clinic.toml."""
    import shutil

    from typer.testing import CliRunner

    from jakplan.cli import app

    root = Path(__file__).resolve().parent.parent
    (tmp_path / "dir").mkdir()
    shutil.copy(root / "examples" / "our-clinic.toml", tmp_path / "dir" / "clinic.toml")
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["init", "--start", "2024-05-01", "--out", "dir/p.toml", "--protocol", "dir/clinic.toml"])
    assert r.exit_code == 0, r.output
    assert 'protocol = "clinic.toml"' in (tmp_path / "dir" / "p.toml").read_text()
    for cwd, name in ((tmp_path, "dir/p.toml"), (tmp_path / "dir", "p.toml"), (tmp_path.parent, str(tmp_path / "dir" / "p.toml"))):
        monkeypatch.chdir(cwd)
        r = runner.invoke(app, ["status", name, "--today", "2024-05-02", "--format", "json"])
        assert r.exit_code in (0, 1), r.output
        assert json.loads(r.stdout)["protocol"] == "our-clinic"
    # a protocol outside the plan file's folder would be refused on every later read: refused now, nothing written
    monkeypatch.chdir(tmp_path)
    shutil.copy(root / "examples" / "our-clinic.toml", tmp_path / "outside.toml")
    r = runner.invoke(app, ["init", "--start", "2024-05-01", "--out", "dir/q.toml", "--protocol", "outside.toml"])
    assert r.exit_code == 2 and "not in the plan file's folder" in r.output
    assert not (tmp_path / "dir" / "q.toml").exists()
