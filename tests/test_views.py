"""Plans people read (issue 13): the compact timeline, `next`, the status summary, conventions and exit codes.

The compact view is checked as text at a given width (the line budget, no line over the width, no word cut:
each row's "Due" column read back equals the words the library gives for that visit); everything else is
compared as data (JSON) or by exit code.
"""

import datetime as dt
import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakplan.api import plan_for
from jakplan.engine.visits import visits
from jakplan.render.cohortfiles import render_patient
from jakplan.render.common import DISCLAIMER
from jakplan.render.compact import compact_lines, every_visit_rules, note_numbers, visit_notes, visit_words

START = dt.date(2024, 5, 1)
ANNA = "examples/patients/anna.toml"


def due_columns(lines: list[str]) -> dict[str, str]:
    """Read the table back: visit date -> its Due column, joined over the row's lines.

    Wide enough, "Due" is the last column; narrower, each row's Due text is under it, indented 4 spaces."""
    head = next(i for i, ln in enumerate(lines) if "Date" in ln and "Window" in ln)
    stacked = not lines[head].rstrip().endswith("Due")
    col = 4 if stacked else lines[head].index("Due")
    date_col = lines[head].index("Date")
    rows: dict[str, list[str]] = {}
    current = None
    for ln in lines[head + 1 + stacked:]:
        if not ln.strip():
            break
        stamp = ln[date_col:date_col + 10]
        if len(stamp) == 10 and stamp[4] == "-" and stamp[:4].isdigit():
            current = stamp
            rows[current] = []
            if stacked:
                continue
        elif not ln.startswith(" "):
            current = None  # a phase title
            continue
        if current is not None and len(ln) > col:
            rows[current].append(ln[col:].strip())
    return {d: " ".join(parts) for d, parts in rows.items()}


def test_default_plan_fits_60_lines_at_80_columns_with_no_word_cut():
    plan = plan_for(START)
    lines = compact_lines(plan, width=80)
    assert len(lines) <= 60, len(lines)
    assert max(len(ln) for ln in lines) <= 80
    assert not any("\u2026" in ln for ln in lines)  # no ellipsis: nothing is cut
    got = due_columns(lines)
    skip = every_visit_rules(plan)
    refs = note_numbers(visits(plan), skip)
    assert got == {v.date.isoformat(): visit_words(v, skip, refs) for v in visits(plan)}
    text = " ".join(" ".join(lines).split())
    for note, n in refs.items():  # a long patient note is numbered in its row and printed in full below
        assert f"(note {n})" in text and f"Note {n}: {' '.join(note.split())}" in text
    # the every-visit questions are printed once, above the table
    assert text.count("ask about infections, TB symptoms, shingles, blood clots, new medicines") == 1
    # no factors given: the dose is not settled (issue 10 item 3), the label's dose follows
    assert "Dose: depends on eGFR" in text and "applies: 2 mg once daily" in text and "US boxed warning" in text
    assert lines[-1].startswith("come first") or DISCLAIMER in " ".join(lines[-2:])


def test_cli_default_view_at_80_columns(runner, app):
    r = runner.invoke(app, ["schedule", "--start", "2024-05-01"], env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) <= 60 and max(map(len, lines)) <= 80
    assert "2024-07-24 Wed  07-17 to 07-31  week 12" in r.stdout  # the weekday in every timeline (issue 21)
    assert "blood count, kidney, liver, lipids; disease activity, response review" in " ".join(
        due_columns(lines).values())


@settings(max_examples=40, deadline=None)
@given(
    drug_protocol=st.sampled_from([("baricitinib", "us-label"), ("baricitinib", "eu-smpc"),
                                   ("baricitinib", "nhs-lanarkshire"), ("tofacitinib", "us-label"),
                                   ("upadacitinib", "eu-smpc"), ("abrocitinib", "us-label"),
                                   ("ritlecitinib", "us-label"), ("filgotinib", "eu-smpc")]),
    months=st.integers(1, 36),
    width=st.integers(60, 200),
)
def test_compact_rows_hold_every_visit_and_never_exceed_the_width(drug_protocol, months, width):
    drug, protocol = drug_protocol
    plan = plan_for(START, drug=drug, protocol=protocol, months=months)
    lines = compact_lines(plan, width=width)
    assert max(len(ln) for ln in lines) <= width
    skip = every_visit_rules(plan)
    refs = note_numbers(visits(plan), skip)
    assert due_columns(lines) == {v.date.isoformat(): weekend_hint(v) + visit_words(v, skip, refs) for v in visits(plan)}


def weekend_hint(v) -> str:
    """A visit on a Saturday or Sunday names a weekday of its window first: '(Sat: or Fri 09-10) '."""
    from jakplan.engine.visits import suggested_day

    better = suggested_day(v)
    return f"({v.date.strftime('%a')}: or {better.strftime('%a')} {better.isoformat()[5:]}) " if better else ""


def test_a_weekend_visit_names_a_clinic_day_in_its_window(runner, app):
    """Start Thu 2026-12-17: the 3-monthly bloods fall on Saturdays; the timeline, `next` and the calendar name
    the Friday before, inside the window (clinic days configurable for the calendar)."""
    from icalendar import Calendar

    r = runner.invoke(app, ["schedule", "--start", "2026-12-17", "--months", "24"], env={"COLUMNS": "80"})
    assert "2027-09-11 Sat" in r.stdout and "(Sat: or Fri 09-10)" in " ".join(r.stdout.split())
    n = runner.invoke(app, ["next", "--start", "2026-12-17", "--months", "24", "--today", "2027-09-01"])
    assert "Saturday is not a clinic day: Friday 2027-09-10 is in the window" in " ".join(n.stdout.split())
    cal = Calendar.from_ical(runner.invoke(app, ["export", "--start", "2026-12-17", "--months", "24", "--out", "-"]).stdout)
    (sat,) = [ev for ev in cal.walk("VEVENT") if ev.decoded("dtstart") == dt.date(2027, 9, 11)]
    assert "Friday 2027-09-10 is in the window too" in str(sat["DESCRIPTION"])
    tt = Calendar.from_ical(runner.invoke(app, ["export", "--start", "2026-12-17", "--months", "24", "--out", "-",
                                                "--clinic-days", "tue-thu"]).stdout)
    (sat,) = [ev for ev in tt.walk("VEVENT") if ev.decoded("dtstart") == dt.date(2027, 9, 11)]
    assert "Thursday 2027-09-09 is in the window too" in str(sat["DESCRIPTION"])


def test_every_check_of_a_visit_is_in_its_words():
    from jakplan.render.compact import short_check

    for protocol in ("us-label", "eu-smpc", "nhs-lanarkshire"):
        plan = plan_for(START, protocol=protocol, months=24)
        for v in visits(plan):
            words = visit_words(v)
            for ev in v.events:
                for code in ev.checks:
                    assert short_check(code) in words, (protocol, v.date, code)
                for note in ev.patient_notes:  # a note is in the words, or handed to the caller in full
                    assert note in visit_notes(v) or "(fasting" in words, note


def test_fasting_is_shown_in_short():
    plan = plan_for(START, protocol="nhs-lanarkshire")
    week12 = {v.date: v for v in visits(plan)}[dt.date(2024, 7, 24)]
    assert "lipids (fasting)" in visit_words(week12)


def test_details_keeps_the_per_rule_view(runner, app):
    r = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--details"])
    assert r.exit_code == 0, r.output
    assert "For this patient" in r.stdout and "Kind" in r.stdout
    assert "Safety questions at each monitoring visit" in r.stdout


def test_today_marks_past_open_next(runner, app):
    r = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire",
                            "--today", "2024-07-26"])
    assert r.exit_code == 0, r.output
    marks = {ln.split()[1]: ln.split()[0] for ln in r.stdout.splitlines()
             if ln[:4] in ("past", "open", "next") and len(ln.split()) > 1}
    assert marks == {"2024-04-03": "past", "2024-05-29": "past", "2024-07-24": "open", "2024-10-16": "next"}


def test_today_marks_overdue_from_a_plan_file(runner, app):
    r = runner.invoke(app, ["schedule", "--profile", ANNA, "--today", "2025-03-01"])
    assert r.exit_code == 0, r.output
    marks = {ln.split()[1]: ln.split()[0] for ln in r.stdout.splitlines()
             if ln.split() and ln.split()[0] in ("done", "missed", "past", "open", "next", "overdue")}
    # the month-6 response review shares the 3-monthly bloods' day (2024-11-14, inside its window): one visit,
    # overdue as a whole (the bloods were missed, the review is overdue)
    assert [d for d, m in marks.items() if m == "overdue"] == ["2024-11-14", "2025-02-14"]
    assert [d for d, m in marks.items() if m == "done"] == ["2024-04-03", "2024-05-29", "2024-07-24"]
    assert "2024-11-22" not in marks and list(marks.values()).count("next") == 1


def test_today_goes_with_the_compact_view_only(runner, app):
    r = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--format", "json", "--today", "2024-07-01"])
    assert r.exit_code == 2 and "--today marks the compact view" in r.output


# ------------------------------------------------------------------------------------------------- next
def test_next_without_records(runner, app):
    r = runner.invoke(app, ["next", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire", "--today", "2024-07-26",
                            "--format", "json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    v = got["next_visit"]
    # two days after the planned day, the week-12 window is still open: that is the next visit
    assert (v["date"], v["window_start"], v["window_end"], v["due_now"]) == ("2024-07-24", "2024-07-17", "2024-07-31", True)
    assert "lipids" in v["checks"] and v["prepare_short"] == ["fasting"]
    assert v["prepare"] == ["Fast before this blood test (the protocol asks for fasting lipids)."]
    assert got["overdue"] is None  # no records: not known, never "nothing"
    text = runner.invoke(app, ["next", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire", "--today", "2024-07-26"])
    assert "Next visit: Wed 2024-07-24 (2 days ago), week 12" in text.stdout
    assert "Overdue: not known" in text.stdout and DISCLAIMER in " ".join(text.stdout.split())


def test_next_twelve_days_before_the_first_dose_is_the_open_screening_window(runner, app):
    r = runner.invoke(app, ["next", "--start", "2024-05-01", "--today", "2024-04-19", "--format", "json"])
    assert r.exit_code == 0, r.output
    v = json.loads(r.stdout)["next_visit"]
    assert (v["date"], v["when"], v["due_now"]) == ("2024-04-03", "before the first dose", True)


def test_next_from_a_plan_file_lists_overdue_and_exits_1(runner, app):
    r = runner.invoke(app, ["next", ANNA, "--today", "2025-03-01", "--format", "json"])
    assert r.exit_code == 1, r.output
    got = json.loads(r.stdout)
    assert sorted(o["rule"] for o in got["overdue"]) == ["bloods_every_3_months", "target_by_month6"]
    assert got["next_visit"]["date"] == "2025-05-15"
    assert "safety_questions" in got["next_visit"]["rules"]  # the every-visit questions ride on the lab day
    r = runner.invoke(app, ["next", ANNA, "--today", "2024-11-20"])
    assert r.exit_code == 0, r.output
    assert "Overdue: nothing (records in anna.toml)" in r.stdout


def test_status_has_a_summary_line_at_the_top(runner, app):
    r = runner.invoke(app, ["status", ANNA, "--today", "2024-11-20", "--format", "json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)["summary"]
    assert summary.startswith("On 2024-11-20: 0 overdue; 2 due now; next visit 2024-11-14")
    r = runner.invoke(app, ["status", ANNA, "--today", "2024-11-20"])
    assert r.stdout.splitlines()[1].startswith("On 2024-11-20: 0 overdue; 2 due now")


# ------------------------------------------------------------------------------------------ conventions
def _commands(app):
    import typer.main

    group = typer.main.get_command(app)
    out = []

    def walk(cmd, path):
        sub = getattr(cmd, "commands", None)
        if sub:
            for name, c in sub.items():
                walk(c, path + [name])
        else:
            out.append(path)

    walk(group, [])
    return out


def test_dash_h_is_help_on_every_command(runner, app):
    assert runner.invoke(app, ["-h"]).exit_code == 0
    commands = _commands(app)
    assert ["next"] in commands and ["sheet"] in commands
    for path in commands:
        r = runner.invoke(app, path + ["-h"])
        assert r.exit_code == 0, (path, r.output)
        assert "Usage:" in r.stdout and "-h, --help" in r.stdout, path


def test_no_color_and_NO_COLOR(runner, app):
    args = ["status", ANNA, "--today", "2024-11-20"]
    colour = runner.invoke(app, args, env={"NO_COLOR": None, "FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert "\x1b[" in colour.stdout  # a forced terminal is coloured ...
    for extra_env, extra_args in (({"NO_COLOR": "1"}, []), ({"NO_COLOR": None}, ["--no-color"])):
        r = runner.invoke(app, extra_args + args, env={**extra_env, "FORCE_COLOR": "1", "TERM": "xterm-256color"})
        assert r.exit_code == 0, r.output
        assert "\x1b[" not in r.stdout  # ... unless NO_COLOR or --no-color


@pytest.mark.parametrize("args, code", [
    (["schedule", "--start", "2024-05-01"], 0),
    (["status", ANNA, "--today", "2025-03-01"], 1),
    (["next", ANNA, "--today", "2025-03-01"], 1),
    (["cohort", "due", "examples/patients", "--week", "2024-08-12", "--today", "2024-08-12"], 1),
    (["schedule", "--start", "2024-05-01", "--drug", "aspirin"], 2),
    (["checklist", "--start", "2024-05-01", "--on", "2024-06-10"], 0),
    (["checklist", "--start", "2024-05-01", "--on", "2024-06-10", "--strict"], 3),
])
def test_exit_codes(runner, app, args, code):
    r = runner.invoke(app, args)
    assert r.exit_code == code, r.output


# ----------------------------------------------------------------------------------------- forgiving input
@pytest.mark.parametrize("typed, drug", [
    ("Olumiant", "baricitinib"), ("XELJANZ", "tofacitinib"), ("rinvoq", "upadacitinib"), ("Jyseleca", "filgotinib"),
    ("Cibinqo", "abrocitinib"), ("Litfulo", "ritlecitinib"), ("Leqselvi", "deuruxolitinib"), ("Baricitinib", "baricitinib"),
])
def test_brand_names_and_any_case(typed, drug):
    assert plan_for(START, drug=typed).drug == drug


@pytest.mark.parametrize("drug, typed, code", [
    ("baricitinib", "RA", "ra"), ("baricitinib", "Rheumatoid arthritis", "ra"), ("upadacitinib", "eczema", "ad"),
    ("upadacitinib", "UC", "uc"), ("upadacitinib", "Crohn's disease", "cd"), ("baricitinib", "COVID-19", "covid19"),
    ("ritlecitinib", "alopecia areata", "aa"),
])
def test_indication_synonyms(drug, typed, code):
    assert plan_for(START, drug=drug, indication=typed).indication == code


@pytest.mark.parametrize("args, message", [
    (["--drug", "baracitinib"], "unknown drug 'baracitinib'; did you mean baricitinib?"),
    (["--indication", "rheumatoid arthritus"], "did you mean ra?"),
    (["--protocol", "eu-smcp"], "did you mean eu-smpc?"),
    (["--with", "probenicid"], "did you mean probenecid?"),
    (["--drug", "tofacitinib", "--indication", "ad"], "unknown indication 'ad' for tofacitinib"),  # strict meaning
    (["--start", "01/05/2024"], "could be 2024-05-01 (day/month) or 2024-01-05 (month/day)"),
])
def test_near_misses_are_named_never_taken(runner, app, args, message):
    full = ["schedule"] + (["--start", "2024-05-01"] if "--start" not in args else []) + args
    r = runner.invoke(app, full)
    assert r.exit_code == 2, r.output
    assert message in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_forgiving_spellings_are_taken(runner, app):
    for args in (["--protocol", "us_label"], ["--protocol", "US-Label"], ["--drug", "Olumiant", "--indication", "RA"],
                 ["--with", "Probenecid"]):
        r = runner.invoke(app, ["schedule", "--start", "2024-5-1", "--format", "json"] + args)
        assert r.exit_code == 0, (args, r.output)
        got = json.loads(r.stdout)
        assert (got["start"], got["drug"]) == ("2024-05-01", "baricitinib")


def test_record_rule_ids_forgive_case_and_dashes(runner, app, tmp_path):
    plan_file = tmp_path / "p.toml"
    assert runner.invoke(app, ["init", "--start", "2024-05-01", "--out", str(plan_file)]).exit_code == 0
    r = runner.invoke(app, ["record", str(plan_file), "--rule", "Bloods-Week4", "--done", "2024-05-30"])
    assert r.exit_code == 0, r.output
    assert "bloods_week4 done 2024-05-30" in r.stdout
    r = runner.invoke(app, ["record", str(plan_file), "--rule", "blods_week4", "--done", "2024-05-30"])
    assert r.exit_code == 2 and "did you mean bloods_week4?" in r.output


def test_names_module():
    from jakplan.catalog.names import canonical
    from jakplan.errors import JakplanError

    choices = ["us-label", "eu-smpc", "nhs-lanarkshire"]
    assert canonical("protocol", " NHS_Lanarkshire ", choices) == "nhs-lanarkshire"
    with pytest.raises(JakplanError, match="did you mean nhs-lanarkshire"):
        canonical("protocol", "nhs-lanarkshir", choices)
    with pytest.raises(JakplanError, match="unknown protocol 'mars'; known protocols: us-label"):
        canonical("protocol", "mars", choices)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)))
def test_dates_with_and_without_zero_padding(day):
    from jakplan.dates import parse_user_date

    assert parse_user_date(day.isoformat()) == day
    assert parse_user_date(f"{day.year}-{day.month}-{day.day}") == day


def test_ambiguous_and_wrong_dates_are_refused():
    from jakplan.dates import parse_user_date
    from jakplan.errors import JakplanError

    with pytest.raises(JakplanError, match=r"ambiguous: it could be 2024-05-01 \(day/month\) or 2024-01-05 \(month/day\)"):
        parse_user_date("01/05/2024", "--start")
    with pytest.raises(JakplanError, match=r"write it as YYYY-MM-DD \(2024-05-13\?\)"):
        parse_user_date("13/05/2024", "--start")
    with pytest.raises(JakplanError, match="not a real calendar date"):
        parse_user_date("2024-2-30", "--start")
    with pytest.raises(JakplanError, match="two-digit year"):
        parse_user_date("1/5/24", "--start")


# ------------------------------------------------------------------------------------ identity in calendars
def test_event_titles_name_the_patient_only_when_asked(runner, app, tmp_path):
    from icalendar import Calendar

    profile = tmp_path / "p.toml"
    profile.write_text('jakplan = 1\nstart = 2024-05-01\n[patient]\nname = "Anna Example"\nidentifier = "MRN 0012345"\n'
                       'contact = "Rheumatology nurse line 01234 567890"\n', encoding="utf-8")

    def summaries(*extra):
        r = runner.invoke(app, ["export", "--profile", str(profile), "--out", "-", *extra])
        assert r.exit_code == 0, r.output
        return [str(ev["SUMMARY"]) for ev in Calendar.from_ical(r.stdout).walk("VEVENT")]

    assert not any("Anna" in s for s in summaries())
    plain = summaries()
    assert summaries("--show-name") == [f"Anna Example (MRN 0012345): {s}" for s in plain]
    assert summaries("--title-prefix", "AE") == [f"AE: {s}" for s in plain]
    r = runner.invoke(app, ["export", "--start", "2024-05-01", "--out", "-", "--show-name"])
    assert r.exit_code == 2 and "gives no patient name" in r.output


def test_cohort_calendars_are_named_after_the_patient(tmp_path):
    from icalendar import Calendar

    from jakplan.clinic.cohort import export_rows

    csv = tmp_path / "p.csv"
    csv.write_text("id,start,name,identifier\np1,2024-05-01,Anna Example,MRN 1\np2,2024-06-01,,MRN 2\n", encoding="utf-8")
    results = list(export_rows(csv, tmp_path / "out", ("ics",), workers=1, render=render_patient))
    assert all(r.ok for r in results), [r.message for r in results]
    names = {p.stem: str(Calendar.from_ical((tmp_path / "out" / f"{p.stem}.ics").read_bytes())["X-WR-CALNAME"])
             for p in (tmp_path / "out").iterdir()}
    assert names["p1"].startswith("Anna Example (MRN 1): Baricitinib monitoring plan")
    assert names["p2"].startswith("MRN 2: ")
    for p in (tmp_path / "out").iterdir():
        for ev in Calendar.from_ical(p.read_bytes()).walk("VEVENT"):
            assert "Anna" not in str(ev["SUMMARY"]) and "MRN" not in str(ev["SUMMARY"])


def test_checklist_shows_the_patient(runner, app, tmp_path):
    r = runner.invoke(app, ["checklist", "--start", "2024-05-01", "--week", "12", "--format", "text",
                            "--name", "Anna Example", "--identifier", "MRN 1", "--contact", "Clinic 0123"])
    assert r.exit_code == 0, r.output
    assert "Patient: Anna Example (MRN 1)" in r.stdout and "Clinic contact: Clinic 0123" in r.stdout


def test_pdf_needs_a_browser(runner, app, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    r = runner.invoke(app, ["sheet", "--start", "2024-05-01", "--format", "pdf", "--out", str(tmp_path / "p.pdf")])
    assert r.exit_code == 2 and "--format pdf needs Chromium" in r.output
    assert not (tmp_path / "p.pdf").exists()


def test_init_writes_the_canonical_names(runner, app, tmp_path):
    import tomllib

    out = tmp_path / "p.toml"
    r = runner.invoke(app, ["init", "--start", "2024-5-1", "--drug", "Olumiant", "--indication", "RA",
                            "--protocol", "US_label", "--out", str(out)])
    assert r.exit_code == 0, r.output
    got = tomllib.loads(out.read_text(encoding="utf-8"))
    assert (got["drug"], got["indication"], got["protocol"], got["start"]) == ("baricitinib", "ra", "us-label",
                                                                                dt.date(2024, 5, 1))
