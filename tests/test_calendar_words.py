"""Calendars in a patient's words (issue 21 item 3): what happens first in the title, fasting in it, the screening
deadline stated, the weekday named (and a clinic day in the window when the date is not one)."""

import datetime as dt

from icalendar import Calendar


def events(runner, app, *args):
    r = runner.invoke(app, ["export", *args, "--out", "-", "--remind", "none"])
    assert r.exit_code == 0, r.output
    return {ev.decoded("dtstart"): ev for ev in Calendar.from_ical(r.stdout).walk("VEVENT")}


def test_titles_say_what_happens_and_when(runner, app):
    evs = events(runner, app, "--start", "2024-05-01", "--protocol", "nhs-lanarkshire")
    titles = {d: str(e["SUMMARY"]) for d, e in evs.items()}
    assert titles[dt.date(2024, 7, 24)] == "Blood test (fasting) and review: blood count, kidney, liver, lipids (week 12)"
    assert titles[dt.date(2024, 10, 24)] == "Blood test: blood count, kidney, liver (week 12 + 3 months)"
    assert titles[dt.date(2024, 11, 1)] == "Review: disease activity, response review (month 6)"
    screening = titles[min(titles)]
    assert screening.startswith("Before the first dose: blood count") and screening.endswith("(by 2024-05-01, the first dose)")
    assert "Deadline: by the first dose, Wednesday 2024-05-01." in str(evs[min(evs)]["DESCRIPTION"])
    # what a phone shows in 20 characters says what it is
    assert {t[:10] for t in titles.values()} <= {"Before the", "Blood test", "Review: di"}


def test_every_description_names_the_weekday(runner, app):
    for day, ev in events(runner, app, "--start", "2024-05-01").items():
        assert f"{day.strftime('%A')} {day.isoformat()}." in " ".join(str(ev["DESCRIPTION"]).split())


def test_next_states_the_screening_deadline(runner, app):
    r = runner.invoke(app, ["next", "--start", "2026-12-14", "--today", "2026-12-03"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Next visit: before the first dose, by Mon 2026-12-14 (in 11 days)")
