"""Every plan command takes the same plan and patient options; the patient options come from the factor table."""

import datetime as dt
import json
from pathlib import Path

import pytest

from jakplan.api import plan_for_record
from jakplan.catalog.factors import factor_table
from jakplan.records.patient import load_record

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("command", ["schedule", "export", "checklist", "init"])
def test_every_plan_command_lists_every_plan_option(runner, app, command):
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for flag in ("--start", "--months", "--drug", "--indication", "--protocol", "--profile", "--name"):
        assert flag in result.stdout, (command, flag)
    table = factor_table()
    assert len(table) == 19
    for f in table.values():
        assert f.flag in result.stdout, (command, f.flag)
        if f.type == "bool":
            assert f"--no-{f.option}" in result.stdout, (command, f.option)


def test_export_takes_the_profile(runner, app):
    profile = EXAMPLES / "patient.toml"
    result = runner.invoke(app, ["export", "--profile", str(profile), "--out", "-", "--remind", "none"])
    assert result.exit_code == 0, result.output
    from icalendar import Calendar

    cal = Calendar.from_ical(result.stdout)
    days = sorted(ev.decoded("dtstart") for ev in cal.walk("VEVENT"))
    from jakplan.dates import clock_today

    today = clock_today()
    plan = plan_for_record(load_record(profile), today=today)
    assert days == sorted({e.date for e in plan.events})
    # a rolling horizon (issue 21): a plan file's calendar reaches a year past today, whenever the course began
    assert max(days) > today + dt.timedelta(days=300)


def test_checklist_shows_the_dose_for_the_patient(runner, app):
    base = ["checklist", "--start", "2024-05-01", "--week", "12", "--format", "text"]
    plain = runner.invoke(app, base)
    kidney = runner.invoke(app, base + ["--egfr", "45"])
    assert plain.exit_code == 0 and kidney.exit_code == 0, plain.output + kidney.output
    # no factors given: the dose is not settled; the headline says what it depends on (issue 10 item 3)
    text = " ".join(plain.stdout.split())  # the text checklist wraps long lines
    assert "Dose: depends on eGFR" in text and "If none of the changes below applies: 2 mg once daily" in text
    assert "Dose: 1 mg once daily: eGFR 30 to < 60" in kidney.stdout and "[S7]" in kidney.stdout


def test_bad_patient_option_is_one_line_on_every_command(runner, app):
    for command, extra in (("schedule", []), ("export", ["--out", "-"]), ("checklist", ["--week", "4"])):
        result = runner.invoke(app, [command, "--start", "2024-05-01", "--hepatic", "Z", *extra])
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr.startswith("Error: ") and len(result.stderr.strip().splitlines()) == 1
        assert "hepatic" in result.stderr


def test_fhir_notes_follow_the_indication(runner, app):
    result = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--format", "fhir"])
    assert result.exit_code == 0, result.output
    notes = " ".join(n["text"] for n in json.loads(result.stdout).get("note", []))
    assert "If none of the changes below applies: 2 mg once daily" in notes
    assert "alopecia" not in notes.lower()
