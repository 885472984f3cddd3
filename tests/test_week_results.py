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


# -- the end-to-end Thursday (issue 18 "Done means") ------------------------------------------------------------

def _obx(n: int, code: str, name: str, value: str, unit: str, rng: str, flag: str, when: str) -> str:
    return f"OBX|{n}|NM|{code}^{name}^LN||{value}|{unit}^^UCUM|{rng}|{flag}|||F|||{when}"


def _message(n: int, pid: str, when: str, *, anc="3.2", plt="250", plt_range="150-400", plt_flag="N") -> str:
    """One ORU^R01 with a full blood count, kidney and liver panel for ``pid`` (ranges in OBX-7, flags in OBX-8)."""
    return "\r".join([
        f"MSH|^~\\&|LAB|CITYLAB|JAKPLAN|CLINIC|{when}||ORU^R01^ORU_R01|M{n:04d}|P|2.5.1",
        f"PID|1||{pid}^^^CLINIC^MR||Example^{pid}",
        f"OBR|1|O{n}|L{n}|58410-2^CBC^LN|||{when}",
        _obx(1, "751-8", "Neutrophils", anc, "10*9/L", "2.0-7.5", "L" if float(anc) < 2 else "N", when),
        _obx(2, "731-0", "Lymphocytes", "1.6", "10*9/L", "1.0-4.0", "N", when),
        _obx(3, "718-7", "Hemoglobin", "13.4", "g/dL", "12.0-16.0", "N", when),
        _obx(4, "777-3", "Platelets", plt, "10*3/uL", plt_range, plt_flag, when),
        _obx(5, "1742-6", "ALT", "24", "U/L", "7-40", "N", when),
        _obx(6, "14682-9", "Creatinine", "78", "umol/L", "45-90", "N", when),
        _obx(7, "98979-8", "eGFR", "88", "mL/min/{1.73_m2}", ">60", "N", when),
    ]) + "\r"


def test_end_to_end_thursday_stop_first_then_the_flag_and_no_quiet_value(tmp_path, monkeypatch):
    """Results imported from the lab on Tuesday and Wednesday for 22 patients on a protocol with stop limits (NHS
    Lanarkshire baricitinib): one neutrophil count below the stop limit, one platelet count the laboratory flagged
    low (the protocol gives no platelet limit), twenty quiet. On Thursday the worklist lists the stop, then the
    flag, and no quiet value; the week-12 bloods those results answer are closed; status and next of the stop
    patient lead with it and exit 1."""
    monkeypatch.chdir(tmp_path)
    reg = tmp_path / "reg"
    reg.mkdir()
    pids = [f"p{k:02d}" for k in range(22)]
    for pid in pids:  # first dose 2024-05-22: week 12 (bloods) on Wednesday 2024-08-14
        r = runner.invoke(app, ["init", "--start", "2024-05-22", "--protocol", "nhs-lanarkshire",
                                "--out", str(reg / f"{pid}.toml")])
        assert r.exit_code == 0, r.output
    msgs = []
    for k, pid in enumerate(pids):
        when = "202408130830" if k % 2 else "202408140830"  # Tuesday and Wednesday
        if pid == "p00":
            msgs.append(_message(k, pid, when, anc="0.6"))  # below the stop limit (1.0)
        elif pid == "p01":
            msgs.append(_message(k, pid, when, plt="48", plt_flag="L"))  # no protocol limit; the lab says low
        else:
            msgs.append(_message(k, pid, when))
    (tmp_path / "week.hl7").write_text("".join(msgs))
    r = runner.invoke(app, ["cohort", "labs", "import", "week.hl7", "--into", "reg"])
    assert r.exit_code in (0, 1), r.output
    r = runner.invoke(app, ["cohort", "due", "reg", "--today", THURSDAY, "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert r.exit_code == 1, r.output
    assert (rows[0]["kind"], rows[0]["patient"], rows[0]["lab_action"]) == ("lab", "p00", "stop")
    assert (rows[1]["kind"], rows[1]["patient"]) == ("flag", "p01") and "platelet" in rows[1]["check"].lower()
    assert [x["kind"] for x in rows].count("lab") == 1 and [x["kind"] for x in rows].count("flag") == 1
    assert not [x for x in rows if x["kind"] == "not_assessed"], rows  # every value had a limit or a lab range
    # the week-12 bloods are closed by the results themselves (every patient)
    js = json.loads(runner.invoke(app, ["cohort", "due", "reg", "--today", THURSDAY, "--format", "json"]).stdout)
    assert not [i for i in js["items"] if i["rule"] == "bloods_week12"]
    for pid in ("p00", "p05"):
        st = json.loads(runner.invoke(app, ["status", f"reg/{pid}.toml", "--today", THURSDAY, "--format", "json"]).stdout)
        done = {i["rule"]: i for i in st["done"]}
        assert "done by result" in done["bloods_week12"]["note"] and "week.hl7" in done["bloods_week12"]["note"]
    r = runner.invoke(app, ["status", "reg/p00.toml", "--today", THURSDAY])
    assert r.exit_code == 1 and r.stdout.splitlines()[1].startswith(f"On {THURSDAY}: ACTION: Stop treatment")
    r = runner.invoke(app, ["next", "reg/p00.toml", "--today", THURSDAY])
    assert r.exit_code == 1 and r.stdout.startswith("ACTION: Stop treatment")
    # the flagged patient: status leads with the flag (not an action: no exit 1 for it alone)
    st = json.loads(runner.invoke(app, ["status", "reg/p01.toml", "--today", THURSDAY, "--format", "json"]).stdout)
    assert st["summary"].startswith(f"On {THURSDAY}: FLAGGED BY THE LAB") and st["worst"] == "flag"
    assert [a["tier"] for a in st["lab_actions"]] == ["flag"] and st["lab_actions"][0]["laboratory"]["flag"] == "L"
