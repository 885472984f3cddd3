"""The week's results reach the right person (issue 18): judged as of today, results that cross a limit first,
quiet values never listed, and every summary leading with an unanswered action.

Scenario: a register on Thursday 2024-08-15 (week of Monday 2024-08-12). Results were recorded on Tuesday and
Wednesday: one patient's neutrophils cross the protocol's limit (an action), another's values are all within
limits (quiet), a third has only values the protocol gives no limit for (not assessed), and a fourth had a
check recorded done on Wednesday.
"""

from __future__ import annotations

import csv
import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from jakplan.cli import app

runner = CliRunner()
THURSDAY, MONDAY = "2024-08-15", "2024-08-12"


def _init(folder, pid, start="2024-05-01"):
    r = runner.invoke(app, ["init", "--start", start, "--out", str(folder / f"{pid}.toml")])
    assert r.exit_code == 0, r.output


def _record(folder, pid, *args):
    r = runner.invoke(app, ["record", str(folder / f"{pid}.toml"), *args])
    assert r.exit_code == 0, r.output
    return r


def _register(tmp_path):
    reg = tmp_path / "reg"
    reg.mkdir()
    for pid in ("acting", "quiet", "unlimited"):
        _init(reg, pid)
    _init(reg, "donewed", start="2024-05-22")  # week 12 falls on Wednesday 2024-08-14
    _record(reg, "acting", "--lab", "anc=0.6", "--lab", "hb=12.5", "--on", "2024-08-13")
    _record(reg, "quiet", "--lab", "anc=3.1", "--lab", "alc=1.6", "--lab", "hb=13.1", "--on", "2024-08-13")
    _record(reg, "unlimited", "--lab", "egfr=62", "--lab", "cholesterol=5.2", "--on", "2024-08-14")
    _record(reg, "donewed", "--rule", "bloods_week12", "--done", "2024-08-14")
    return reg


def _due(reg, *extra):
    r = runner.invoke(app, ["cohort", "due", str(reg), "--week", MONDAY, "--today", THURSDAY, "--format", "csv", *extra])
    return r, list(csv.DictReader(io.StringIO(r.stdout)))


def test_thursday_worklist_lists_the_action_first_and_no_quiet_value(tmp_path):
    reg = _register(tmp_path)
    r, rows = _due(reg)
    assert r.exit_code == 1, r.output
    assert rows[0]["kind"] == "lab" and rows[0]["patient"] == "acting" and rows[0]["lab_action"] == "interrupt"
    assert [x["patient"] for x in rows if x["kind"] == "lab"] == ["acting"]  # quiet values are not actions
    # a result the protocol gives no limit for is one line per patient naming analytes, not values
    na = [x for x in rows if x["kind"] == "not_assessed"]
    assert [x["patient"] for x in na] == ["unlimited"]
    assert "cholesterol" in na[0]["tests"] and "egfr" in na[0]["tests"].lower() and "62" not in na[0]["tests"]
    assert rows[-1]["kind"] == "not_assessed"  # after everything that needs doing
    # the check recorded done on Wednesday is not listed on Thursday (it was, judged on the Monday)
    def listed(today):
        r = runner.invoke(app, ["cohort", "due", str(reg), "--week", MONDAY, "--today", today, "--format", "json"])
        return [i for i in json.loads(r.stdout)["items"]
                if i["patient"] == "donewed" and i["rule"] == "bloods_week12"]
    assert listed(MONDAY) and not listed(THURSDAY)


def test_judged_on_the_monday_the_tuesday_result_was_not_there(tmp_path):
    """--today chooses the day of judgement; --week only the window: on the Monday the result is not yet known."""
    reg = _register(tmp_path)
    r = runner.invoke(app, ["cohort", "due", str(reg), "--week", MONDAY, "--today", MONDAY, "--format", "csv"])
    assert not [x for x in csv.DictReader(io.StringIO(r.stdout)) if x["kind"] == "lab"]


def test_status_and_next_lead_with_the_open_action_and_exit_1_until_answered(tmp_path):
    reg = _register(tmp_path)
    f = str(reg / "acting.toml")
    r = runner.invoke(app, ["status", f, "--today", THURSDAY])
    assert r.exit_code == 1
    assert r.stdout.splitlines()[1].startswith(f"On {THURSDAY}: ACTION: Interrupt treatment")
    r = runner.invoke(app, ["next", f, "--today", THURSDAY])
    assert r.exit_code == 1 and r.stdout.startswith("ACTION: Interrupt treatment")
    js = json.loads(runner.invoke(app, ["next", f, "--today", THURSDAY, "--format", "json"]).stdout)
    assert [(a["analyte"], a["action"]) for a in js["actions"]] == [("anc", "interrupt")]
    # a later value within limits answers it
    _record(reg, "acting", "--lab", "anc=1.9", "--on", "2024-08-15")
    r = runner.invoke(app, ["status", f, "--today", THURSDAY, "--format", "json"])
    assert "ACTION" not in json.loads(r.stdout)["summary"]


def test_a_pause_answers_the_action(tmp_path):
    reg = _register(tmp_path)
    f = str(reg / "acting.toml")
    assert runner.invoke(app, ["pause", f, "--from", "2024-08-14", "--reason", "neutropenia"]).exit_code == 0
    js = json.loads(runner.invoke(app, ["status", f, "--today", THURSDAY, "--format", "json"]).stdout)
    assert "ACTION" not in js["summary"]


@settings(max_examples=25, deadline=None)
@given(st.floats(1.0, 50), st.floats(0.5, 20), st.floats(8.0, 20), st.floats(50, 900))
def test_no_quiet_result_ever_produces_an_action_row(tmp_path_factory, anc, alc, hb, platelets):
    """Values within the shipped US label's limits (ANC >= 1, ALC >= 0.5, Hb >= 8) never head the worklist."""
    reg = tmp_path_factory.mktemp("reg")
    _init(reg, "p")
    _record(reg, "p", "--lab", f"anc={anc:.2f}", "--lab", f"alc={alc:.2f}", "--lab", f"hb={hb:.1f}",
            "--lab", f"platelets={platelets:.0f}x10^9/L", "--on", "2024-08-13")
    _, rows = _due(reg)
    assert not [x for x in rows if x["kind"] == "lab"], rows


def test_results_in_a_checks_window_close_it_as_done_by_result(tmp_path, monkeypatch):
    """Issue 18 item 4: after a blood count, liver and kidney panel is imported, "bloods at week 4" is done
    (by result, with where the results came from); a partial panel or a result outside the window closes nothing."""
    monkeypatch.chdir(tmp_path)
    reg = tmp_path / "reg"
    reg.mkdir()
    _init(reg, "p")  # start 2024-05-01: bloods_week4 on 2024-05-29, window 2024-05-22 to 2024-06-05
    (tmp_path / "labs.csv").write_text(
        "patient,date,analyte,value,unit,uln\n"
        "p,2024-05-28,751-8,3.1,10*9/L,\np,2024-05-28,731-0,1.6,10*9/L,\np,2024-05-28,718-7,13.2,g/dL,\n"
        "p,2024-05-28,1742-6,30,U/L,40\np,2024-05-28,33914-3,85,mL/min/{1.73_m2},\n")
    r = runner.invoke(app, ["cohort", "labs", "import", "labs.csv", "--into", "reg"])
    assert r.exit_code == 0, r.output
    st = json.loads(runner.invoke(app, ["status", "reg/p.toml", "--today", "2024-06-10", "--format", "json"]).stdout)
    done = {i["rule"]: i for i in st["done"]}
    assert "bloods_week4" in done and "done by result" in done["bloods_week4"]["note"]
    assert "bloods_week4" not in {i["rule"] for i in st["overdue"]}
    # a blood count alone (no liver or kidney result) does not close week 12's bloods
    _record(reg, "p", "--lab", "anc=3.0", "--lab", "alc=1.5", "--lab", "hb=13", "--on", "2024-07-24")
    st = json.loads(runner.invoke(app, ["status", "reg/p.toml", "--today", "2024-08-10", "--format", "json"]).stdout)
    assert "bloods_week12" in {i["rule"] for i in st["overdue"]}


def test_resume_checks_the_last_values_against_the_protocols_limits(tmp_path):
    """Issue 18 item 5: resuming one day after a result beyond a limit, with no later value, is not recorded
    without a word."""
    reg = tmp_path / "reg"
    reg.mkdir()
    _init(reg, "p")
    _record(reg, "p", "--lab", "anc=0.6", "--on", "2024-08-01")
    f = str(reg / "p.toml")
    assert runner.invoke(app, ["pause", f, "--from", "2024-08-02", "--reason", "neutropenia"]).exit_code == 0
    r = runner.invoke(app, ["resume", f, "--on", "2024-08-03"])
    assert r.exit_code == 0 and "after 1 day " in r.stdout
    assert "Still beyond a limit at its last value" in r.stdout and "neutrophil" in r.stdout
    assert runner.invoke(app, ["undo", f]).exit_code == 0
    _record(reg, "p", "--lab", "anc=1.6", "--on", "2024-08-09")
    r = runner.invoke(app, ["resume", f, "--on", "2024-08-10"])
    assert r.exit_code == 0 and "Still beyond" not in r.stdout
