"""A rolling horizon (issue 21 item 2): a course under way, named by a plan file or a register, is planned on
today, so its plans, calendars and CarePlans reach a year past today however long ago it began; a CarePlan says
what was done and whose it is. And (item 1) a calendar exported before can be named with --previous."""

import datetime as dt
import json
import shutil
from pathlib import Path

from fhir.resources.R4B.careplan import CarePlan
from icalendar import Calendar
from support import ok

from jakplan.dates import clock_today
from jakplan.render.fhir import LOCAL_IDENTIFIER, patient_identifier

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"




def months_ago(n: int) -> dt.date:
    today = clock_today()
    y, m = divmod(today.year * 12 + today.month - 1 - n, 12)
    return dt.date(y, m + 1, 1)


def test_a_plan_file_started_18_months_ago_has_a_year_of_visits_ahead(runner, app, tmp_path):
    pf = tmp_path / "p.toml"
    ok(runner, app, "init", "--start", months_ago(18), "--age", "58", "--out", pf)
    today = clock_today()
    cal = Calendar.from_ical(ok(runner, app, "export", "--profile", pf, "--out", "-").stdout)
    ahead = sorted(ev.decoded("dtstart") for ev in cal.walk("VEVENT") if ev.decoded("dtstart") > today)
    assert ahead and ahead[-1] >= today + dt.timedelta(days=300), ahead
    sched = json.loads(ok(runner, app, "schedule", "--profile", pf, "--format", "json").stdout)
    assert dt.date.fromisoformat(sched["end"]) >= today + dt.timedelta(days=365)
    # --months with a file counts from today: 3 months ahead, not 3 months from a start 18 months ago
    short = Calendar.from_ical(ok(runner, app, "export", "--profile", pf, "--months", "3", "--out", "-").stdout)
    last = max(ev.decoded("dtstart") for ev in short.walk("VEVENT"))
    assert today < last <= today + dt.timedelta(days=3 * 31 + 1)
    # a bare --start is planned from the start, as before
    bare = Calendar.from_ical(ok(runner, app, "export", "--start", months_ago(18), "--out", "-").stdout)
    assert max(ev.decoded("dtstart") for ev in bare.walk("VEVENT")) < today


def test_a_planfile_careplan_says_what_was_done_and_whose_it_is(runner, app, tmp_path):
    pf = tmp_path / "p.toml"
    start = months_ago(18)
    ok(runner, app, "init", "--start", start, "--age", "58", "--name", "Ann Old", "--identifier", "MRN 42", "--out", pf)
    ok(runner, app, "record", pf, "--rule", "baseline_blood_count", "--done", start - dt.timedelta(days=7))
    data = json.loads(ok(runner, app, "schedule", "--profile", pf, "--format", "fhir").stdout)
    CarePlan.model_validate(data)
    status = {a["id"]: a["detail"]["status"] for a in data["activity"] if a["id"].startswith("baseline_blood_count-")}
    assert set(status.values()) == {"completed"}
    assert data["subject"] == {"display": "Ann Old", "identifier": {"system": LOCAL_IDENTIFIER, "value": "MRN 42"}}
    assert dt.date.fromisoformat(data["period"]["end"]) > clock_today()


def test_a_register_careplan_has_statuses_a_named_subject_with_a_system_and_a_period_ahead(runner, app, tmp_path):
    reg = tmp_path / "register"
    shutil.copytree(EXAMPLES / "clinic" / "register", reg)
    (reg / "clinic.toml").write_text('[identifiers]\nsystems = { "https://example.org/mrn" = "MRN" }\n')
    out = tmp_path / "out"
    ok(runner, app, "cohort", "export", reg, "--out", out, "--format", "fhir")
    data = json.loads((out / "c001.fhir.json").read_text())
    CarePlan.model_validate(data)
    # c001 (Anna Example, MRN 0012345) recorded her screening and baseline checks done
    states = {a["id"]: a["detail"]["status"] for a in data["activity"]}
    assert states["tb_screening-0"] == "completed" and "scheduled" in states.values()
    assert data["subject"] == {"display": "Anna Example",
                               "identifier": {"system": "https://example.org/mrn", "value": "0012345"}}
    assert dt.date.fromisoformat(data["period"]["end"]) >= dt.date.today() + dt.timedelta(days=365)
    ahead = [a for a in data["activity"] if a["detail"]["scheduledTiming"]["event"][0] > dt.date.today().isoformat()]
    assert ahead


def test_identifier_systems_from_the_clinic_settings():
    systems = {"urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53": "CHI"}
    assert patient_identifier("CHI 100 796 5639", systems) == {"system": "urn:oid:2.16.840.1.113883.2.1.3.2.4.16.53",
                                                               "value": "1007965639"}
    assert patient_identifier("RM100", systems) == {"system": LOCAL_IDENTIFIER, "value": "RM100"}


def test_previous_file_cancels_and_revises(runner, app, tmp_path):
    """export --previous FILE: a moved start revises every event in place (same UIDs, SEQUENCE 1) and a plan with
    fewer visits cancels the ones gone, so a calendar that imports the new file holds exactly the new set."""
    a, b, c = tmp_path / "a.ics", tmp_path / "b.ics", tmp_path / "c.ics"
    ok(runner, app, "export", "--start", "2026-12-14", "--out", a)
    ok(runner, app, "export", "--start", "2026-12-21", "--out", b, "--previous", a)
    old = {str(e["UID"]): e for e in Calendar.from_ical(a.read_bytes()).walk("VEVENT")}
    new = {str(e["UID"]): e for e in Calendar.from_ical(b.read_bytes()).walk("VEVENT")}
    assert set(old) == set(new) and all(int(e["SEQUENCE"]) == 1 for e in new.values())
    ok(runner, app, "export", "--start", "2026-12-21", "--months", "3", "--out", c, "--previous", b)
    events = Calendar.from_ical(c.read_bytes()).walk("VEVENT")
    gone = [e for e in events if str(e.get("STATUS", "")) == "CANCELLED"]
    assert gone and all(int(e["SEQUENCE"]) == 2 for e in gone)
    assert {str(e["UID"]) for e in events} == set(new)
    bad = runner.invoke(app, ["export", "--start", "2026-12-21", "--out", str(tmp_path / "d.ics"), "--previous",
                              str(tmp_path / "p.toml")])
    assert bad.exit_code == 2 and "p.toml" in bad.output
