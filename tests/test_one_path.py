"""One plan everywhere: every command shows the same dates for the same plan file (issue 9).

The property builds random plan files (start date, done checks, lab records, closed pauses) and checks that
schedule (JSON), export (.ics parsed back), checklist, status (JSON) and cohort due (JSON) agree on every
date. The regression tests below are the examples of the issue, each named after the bug.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from jakplan.api import plan_for_record, status_for_record
from jakplan.records.patient import load_record

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TODAY = dt.date(2026, 1, 5)  # a Monday after every generated course has started


def ok(runner, app, *args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output  # status / cohort due exit 1 when something is overdue
    return result


def write_planfile(path: Path, start: dt.date, done: list, labs: list, pauses: list) -> Path:
    lines = ["jakplan = 1", 'drug = "baricitinib"', 'indication = "ra"', f"start = {start.isoformat()}", ""]
    for rule, on in done:
        lines += ["[[done]]", f'rule = "{rule}"', f"on = {on.isoformat()}", ""]
    for on, anc in labs:
        lines += ["[[lab]]", f"on = {on.isoformat()}", f"anc = {anc}", ""]
    for frm, to in pauses:
        lines += ["[[pause]]", f"from = {frm.isoformat()}", f"to = {to.isoformat()}", 'reason = "infection"', ""]
    path.write_text("\n".join(lines))
    return path


@st.composite
def plan_files(draw):
    start = draw(st.dates(dt.date(2023, 1, 1), dt.date(2025, 1, 1)))
    pauses, day = [], start
    for _ in range(draw(st.integers(0, 2))):
        frm = day + dt.timedelta(days=draw(st.integers(1, 120)))
        to = frm + dt.timedelta(days=draw(st.integers(1, 60)))
        pauses.append((frm, to))
        day = to
    rules = ["bloods_week4", "bloods_week12", "lipids_week12", "bloods_every_3_months"]
    done = sorted({(draw(st.sampled_from(rules)), start + dt.timedelta(days=draw(st.integers(20, 300))))
                   for _ in range(draw(st.integers(0, 3)))})
    lab_days = draw(st.lists(st.integers(-20, 300), max_size=2, unique=True))  # one record per day (duplicates are refused)
    labs = [(start + dt.timedelta(days=d), draw(st.sampled_from([0.8, 1.5, 3.0]))) for d in lab_days]
    return start, done, labs, pauses


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=plan_files())
def test_every_command_shows_the_same_dates(runner, app, tmp_path_factory, case):
    start, done, labs, pauses = case
    folder = tmp_path_factory.mktemp("clinic")
    pf = write_planfile(folder / "p1.toml", start, done, labs, pauses)

    sched = json.loads(ok(runner, app, "schedule", "--profile", pf, "--format", "json").stdout)
    from jakplan.dates import clock_today

    plan = plan_for_record(load_record(pf), today=clock_today())  # a plan file's plan rolls with the day
    assert [(e["rule"], e["date"]) for e in sched["events"]] == [(e.rule, e.date.isoformat()) for e in plan.events]
    by_occurrence = {(e.rule, e.occurrence): e.date.isoformat() for e in plan.events}
    checked = 0

    # the calendar: one event per visit day, on exactly the schedule's days
    cal = Calendar.from_ical(ok(runner, app, "export", "--profile", pf, "--out", "-", "--remind", "none").stdout)
    assert sorted(str(ev.decoded("dtstart")) for ev in cal.walk("VEVENT")) == sorted({e["date"] for e in sched["events"]})

    # the checklist finds a visit on the schedule's (moved) date
    lab_days = [e["date"] for e in sched["events"] if e["kind"] == "lab"]
    res = ok(runner, app, "checklist", "--profile", pf, "--on", lab_days[-1], "--format", "markdown")
    assert res.exit_code == 0 and lab_days[-1] in res.stdout

    # status and cohort due: every item they date is dated as the schedule dates that occurrence
    status = json.loads(ok(runner, app, "status", pf, "--today", TODAY, "--format", "json").stdout)
    items = [i for key in ("overdue", "due", "next", "done", "missed") for i in status.get(key, [])]
    due = json.loads(ok(runner, app, "cohort", "due", folder, "--week", TODAY, "--today", TODAY, "--format", "json").stdout)
    rows = [r for r in due["items"] if r["kind"] != "lab"]
    for i in items + rows:
        key = (i["rule"], i["occurrence"])
        if i["anchor"] == "start" and key in by_occurrence:  # status reaches further ahead than the schedule
            assert by_occurrence[key] == i["date"], (i, by_occurrence[key])
            checked += 1
    assert checked


def test_pause_moves_schedule_export_and_checklist_like_status(runner, app, tmp_path):
    """Bug: after pause/resume, status moved the later checks but schedule/export/checklist --profile did not."""
    pf = tmp_path / "anna.toml"
    ok(runner, app, "init", "--start", "2024-05-01", "--age", "58", "--out", pf)
    ok(runner, app, "pause", pf, "--from", "2024-06-03", "--reason", "zoster")
    ok(runner, app, "resume", pf, "--on", "2024-06-24")
    sched = json.loads(ok(runner, app, "schedule", "--profile", pf, "--format", "json").stdout)
    (wk12,) = [e for e in sched["events"] if e["rule"] == "bloods_week12"]
    assert (wk12["date"], wk12["planned"], wk12["shifted_days"]) == ("2024-08-14", "2024-07-24", 21)
    status = status_for_record(load_record(pf), dt.date(2024, 8, 14))
    (item,) = [i for i in status.items if i.rule == "bloods_week12"]
    assert item.date == dt.date(2024, 8, 14)
    cal = Calendar.from_ical(ok(runner, app, "export", "--profile", pf, "--out", "-").stdout)
    assert dt.date(2024, 8, 14) in {ev.decoded("dtstart") for ev in cal.walk("VEVENT")}
    res = ok(runner, app, "checklist", "--profile", pf, "--on", "2024-08-14", "--format", "text")
    assert res.exit_code == 0 and "2024-08-14" in res.stdout


@pytest.fixture
def clinic_protocol_planfile(tmp_path):
    (tmp_path / "protocols").mkdir()
    (tmp_path / "protocols" / "clinic.toml").write_text((EXAMPLES / "our-clinic.toml").read_text())
    pf = tmp_path / "p.toml"
    pf.write_text('jakplan = 1\ndrug = "baricitinib"\nprotocol = "protocols/clinic.toml"\nstart = 2024-05-01\n'
                  '[[lab]]\non = 2024-04-20\nhb = 13.0\n')
    return pf


@pytest.mark.parametrize("command", [
    ["status", "{pf}", "--today", "2024-06-01"],
    ["record", "{pf}", "--lab", "anc=2.0", "--on", "2024-05-20"],
    ["schedule", "--profile", "{pf}"],
    ["labs", "--profile", "{pf}", "--anc", "2.0"],
    ["cohort", "due", "{folder}", "--week", "2024-06-03", "--today", "2024-06-03"],
])
def test_protocol_file_beside_the_plan_file_works_in_every_command(runner, app, clinic_protocol_planfile, command):
    """Bug: a plan file naming a protocol file beside it worked in schedule/labs but not status/record/cohort due."""
    pf = clinic_protocol_planfile
    args = [a.format(pf=pf, folder=pf.parent) for a in command]
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    assert "file not found" not in result.output


def test_schedule_takes_drug_slash_variant(runner, app):
    """Bug: `protocols show baricitinib/nhs-lanarkshire` worked but `schedule --protocol` of the same name failed."""
    got = json.loads(ok(runner, app, "schedule", "--start", "2024-05-01", "--protocol", "baricitinib/nhs-lanarkshire",
                        "--format", "json").stdout)
    assert got["protocol"] == "nhs-lanarkshire"


def test_labs_takes_the_recorded_baseline(runner, app, tmp_path):
    """Bug: labs --profile said "no baseline given" although the plan file held a pre-start Hb."""
    pf = tmp_path / "p.toml"
    pf.write_text('jakplan = 1\ndrug = "tofacitinib"\nstart = 2024-05-01\n[[lab]]\non = 2024-04-20\nhb = 12.6\n')
    with_file = json.loads(ok(runner, app, "labs", "--profile", pf, "--hb", "10.1", "--format", "json").stdout)
    explicit = json.loads(ok(runner, app, "labs", "--drug", "tofacitinib", "--hb", "10.1", "--hb-baseline", "12.6",
                             "--format", "json").stdout)
    assert with_file["results"] == explicit["results"] if "results" in explicit else with_file == explicit


def test_protocol_named_in_a_file_may_not_leave_its_folder(runner, app, tmp_path):
    (tmp_path / "sub").mkdir()
    pf = tmp_path / "sub" / "p.toml"
    (tmp_path / "outside.toml").write_text((EXAMPLES / "our-clinic.toml").read_text())
    pf.write_text('jakplan = 1\ndrug = "baricitinib"\nprotocol = "../outside.toml"\nstart = 2024-05-01\n')
    result = runner.invoke(app, ["schedule", "--profile", str(pf)])
    assert result.exit_code == 2 and "refusing to open it" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [["pause", "--from", "2024-08-01", "--reason", "zoster"], ["resume", "--on", "2024-07-20"],
                                  ["undo"], ["record", "--rule", "screening", "--done", "2024-05-01"],
                                  ["record", "--lab", "hb=12", "--on", "2024-06-01"]])
def test_every_command_that_changes_a_plan_file_refuses_a_protocol_outside_its_folder(runner, app, tmp_path, args):
    """Issue 20 item 4: pause, resume, undo and record check the plan file's protocol reference as status does,
    before changing anything."""
    (tmp_path / "sub").mkdir()
    pf = tmp_path / "sub" / "p.toml"
    (tmp_path / "outside.toml").write_text((EXAMPLES / "our-clinic.toml").read_text())
    pf.write_text('jakplan = 1\ndrug = "baricitinib"\nprotocol = "../outside.toml"\nstart = 2024-05-01\n\n'
                  '[[pause]]\nfrom = 2024-07-01\nreason = "infection"\nadded = 2024-07-01T09:00:00\n')
    before = pf.read_bytes()
    status = runner.invoke(app, ["status", str(pf), "--today", "2024-08-01"])
    assert status.exit_code == 2 and "refusing to open it" in status.stderr
    r = runner.invoke(app, [args[0], str(pf), *args[1:]])
    assert r.exit_code == 2, r.output
    assert r.stderr.strip().splitlines() == status.stderr.strip().splitlines()
    assert pf.read_bytes() == before


def test_one_definition_of_the_path_the_resolver_and_the_factor_list():
    root = Path(__file__).resolve().parent.parent / "jakplan"
    src = {p: p.read_text() for p in root.rglob("*.py")}
    assert [p.name for p, s in src.items() if "def plan_for_record(" in s] == ["api.py"]
    assert [p.name for p, s in src.items() if "def resolve(" in s] == ["resolve.py"]
    # the factor names appear in Python only through the table (no hand-written list of the 17 factors)
    assert not [p.name for p, s in src.items() if '"recurrent_infections"' in s or "'recurrent_infections'" in s]
    assert plan_for_record.__module__ == "jakplan.api"



@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=plan_files(), protocol=st.sampled_from(["us-label", "eu-smpc", "nhs-lanarkshire"]))
def test_a_lab_imports_course_is_the_plans_own(tmp_path_factory, case, protocol):
    """`cohort labs import` judges new values with api.course_for_record (no dates laid out): the start, protocol
    and indication are those of plan_for_record, and so is every lab value's verdict (values before and after the
    start, some crossing the protocol's limits)."""
    from jakplan.actions import recorded_lab_actions
    from jakplan.api import course_for_record

    start, done, labs, pauses = case
    pf = write_planfile(tmp_path_factory.mktemp("clinic") / "p1.toml", start, done, labs, pauses)
    pf.write_text(pf.read_text().replace('indication = "ra"', f'indication = "ra"\nprotocol = "{protocol}"'))
    record = load_record(pf)
    plan, course = plan_for_record(record), course_for_record(record)
    assert (course.start, course.protocol, course.indication) == (plan.start, plan.protocol, plan.indication)
    assert course.protocol.id == protocol
    assert recorded_lab_actions(course, record.history) == recorded_lab_actions(plan, record.history)
