"""Answering an action-tier result by a recorded decision, and pauses planned ahead (issue 18 items 3 and 5;
usability review N2, N4)."""

import datetime as dt
import json

import pytest
from support import ok, screening_rules

from jakplan.records.planfile import load_planfile

SCREENING = screening_rules()




@pytest.fixture
def stopped(runner, app, tmp_path):
    """Screened, then a neutrophil count beyond the protocol's limit on 2024-05-10."""
    path = str(tmp_path / "p.toml")
    ok(runner, app, "init", "--start", "2024-05-01", "--drug", "baricitinib", "--indication", "ra", "--out", path)
    ok(runner, app, "record", path, *[x for r in SCREENING for x in ("--rule", r)], "--done", "2024-04-15")
    ok(runner, app, "record", path, "--lab", "anc=0.8", "--on", "2024-05-10")
    return path


def status(runner, app, path, today):
    r = runner.invoke(app, ["status", path, "--today", today, "--format", "json"])
    return r.exit_code, json.loads(r.stdout)


def test_a_decision_answers_the_open_action_and_undo_removes_it(runner, app, stopped):
    code, got = status(runner, app, stopped, "2024-05-12")
    assert code == 1 and got["worst"] == "action"
    assert runner.invoke(app, ["next", stopped, "--today", "2024-05-12"]).exit_code == 1
    r = ok(runner, app, "record", stopped, "--decision", "continue: prescriber reviewed", "--on", "2024-05-11")
    assert "decision on 2024-05-11: continue: prescriber reviewed" in r.stdout and "neutrophil" in r.stdout.lower()
    assert [(d.on, d.text) for d in load_planfile(stopped).history.decisions] == [
        (dt.date(2024, 5, 11), "continue: prescriber reviewed")]
    code, got = status(runner, app, stopped, "2024-05-12")
    assert code == 0 and got["worst"] is None, got["summary"]
    (anc,) = [a for a in got["lab_actions"] if a["analyte"] == "anc"]
    assert (anc["answered_by"], anc["answered_on"], anc["decision"]) == (
        "decision", "2024-05-11", "continue: prescriber reviewed")
    assert got["decisions"] == [{"on": "2024-05-11", "text": "continue: prescriber reviewed", "note": ""}]
    nxt = runner.invoke(app, ["next", stopped, "--today", "2024-05-12"])
    assert nxt.exit_code == 0, nxt.output
    assert "ACTION" not in nxt.stdout
    text = runner.invoke(app, ["status", stopped, "--today", "2024-05-12"]).stdout
    assert "answered: decision on 2024-05-11" in " ".join(text.split())
    # a status on a day before the decision still leads with the result
    assert status(runner, app, stopped, "2024-05-10")[0] == 1
    r = ok(runner, app, "undo", stopped)
    assert "the decision on 2024-05-11" in r.stdout
    assert load_planfile(stopped).history.decisions == ()
    code, got = status(runner, app, stopped, "2024-05-12")
    assert code == 1 and got["worst"] == "action"


def test_a_decision_answers_only_results_up_to_its_day(runner, app, stopped):
    ok(runner, app, "record", stopped, "--decision", "continue: prescriber reviewed", "--on", "2024-05-11")
    ok(runner, app, "record", stopped, "--lab", "alc=0.3", "--on", "2024-05-13")
    code, got = status(runner, app, stopped, "2024-05-14")
    assert code == 1 and got["worst"] == "action"
    open_ = [a["analyte"] for a in got["lab_actions"] if a["answered_on"] is None and a["tier"] == "action"]
    assert open_ == ["alc"]


@pytest.mark.parametrize("args, message", [
    (["--decision", "continue", "--rule", "bloods_week4", "--on", "2024-05-11"], "on its own"),
    (["--decision", "continue"], "--on DAY is missing"),
    (["--decision", "  ", "--on", "2024-05-11"], "empty"),
])
def test_decision_refusals_change_nothing(runner, app, stopped, args, message):
    before = open(stopped).read()
    r = runner.invoke(app, ["record", stopped, *args])
    assert r.exit_code == 2 and message in r.output, r.output
    assert open(stopped).read() == before


def test_a_decision_in_the_future_is_refused(runner, app, stopped):
    later = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    r = runner.invoke(app, ["record", stopped, "--decision", "continue", "--on", later])
    assert r.exit_code == 2 and "in the future" in r.output


# -- pauses planned ahead ----------------------------------------------------------------------------------

@pytest.fixture
def recent(runner, app, tmp_path):
    path = str(tmp_path / "r.toml")
    start = dt.date.today() - dt.timedelta(days=30)
    ok(runner, app, "init", "--start", start.isoformat(), "--drug", "baricitinib", "--indication", "ra",
       "--out", path)
    return path


def test_a_future_pause_needs_planned(runner, app, recent):
    before = open(recent).read()
    day = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    r = runner.invoke(app, ["pause", recent, "--from", day, "--reason", "surgery"])
    assert r.exit_code == 2 and "--planned" in r.output
    r = runner.invoke(app, ["pause", recent, "--from", "2020-01-01", "--to", "2020-01-02", "--reason", "x"])
    assert r.exit_code == 2 and "--to goes with --planned" in r.output
    assert open(recent).read() == before


def test_a_planned_pause_shows_until_its_day_then_is_an_ordinary_pause(runner, app, recent):
    today = dt.date.today()
    begin, end = today + dt.timedelta(days=20), today + dt.timedelta(days=34)
    r = ok(runner, app, "pause", recent, "--from", begin.isoformat(), "--to", end.isoformat(), "--reason", "surgery",
           "--planned")
    assert "planned" in r.stdout
    assert [(p.start, p.end) for p in load_planfile(recent).history.pauses] == [(begin, end)]
    got = json.loads(runner.invoke(app, ["status", recent, "--today", today.isoformat(), "--format", "json"]).stdout)
    assert got["planned_pauses"] == [{"from": begin.isoformat(), "to": end.isoformat(), "reason": "surgery"}]
    assert got["pauses"] == [] and got["on_hold"] == []
    text = " ".join(runner.invoke(app, ["status", recent, "--today", today.isoformat()]).stdout.split())
    assert f"Pause planned from {begin} to {end} (surgery)" in text
    cl = " ".join(runner.invoke(app, ["checklist", "--profile", recent, "--next", "--today",
                                      today.isoformat()]).stdout.split())
    assert f"Pause planned from {begin} to {end}" in cl
    nxt = runner.invoke(app, ["next", recent, "--today", today.isoformat()])
    assert f"Pause planned from {begin} to {end} (surgery)" in " ".join(nxt.stdout.split()), nxt.output
    got = json.loads(runner.invoke(app, ["next", recent, "--today", today.isoformat(), "--format", "json"]).stdout)
    assert got["planned_pauses"] == [{"from": begin.isoformat(), "to": end.isoformat(), "reason": "surgery"}]
    # on its first day it is an ordinary pause (open until the planned restart), then a closed one
    during = (begin + dt.timedelta(days=1)).isoformat()
    got = json.loads(runner.invoke(app, ["status", recent, "--today", during, "--format", "json"]).stdout)
    assert got["planned_pauses"] == [] and got["pauses"] == [{"from": begin.isoformat(), "to": None,
                                                              "reason": "surgery"}]
    assert any(f"restart planned for {end}" in n for n in got["notes"])
    after = (end + dt.timedelta(days=1)).isoformat()
    got = json.loads(runner.invoke(app, ["status", recent, "--today", after, "--format", "json"]).stdout)
    assert got["pauses"] == [{"from": begin.isoformat(), "to": end.isoformat(), "reason": "surgery"}]
    r = ok(runner, app, "undo", recent)
    assert "the pause from" in r.stdout and load_planfile(recent).history.pauses == ()


def test_a_planned_pause_without_an_end_is_open_from_its_day(runner, app, recent):
    begin = dt.date.today() + dt.timedelta(days=10)
    ok(runner, app, "pause", recent, "--from", begin.isoformat(), "--reason", "surgery", "--planned")
    got = json.loads(runner.invoke(app, ["status", recent, "--format", "json"]).stdout)
    assert got["planned_pauses"] == [{"from": begin.isoformat(), "to": None, "reason": "surgery"}]
    later = (begin + dt.timedelta(days=5)).isoformat()
    got = json.loads(runner.invoke(app, ["status", recent, "--today", later, "--format", "json"]).stdout)
    assert got["pauses"] == [{"from": begin.isoformat(), "to": None, "reason": "surgery"}]
