"""The .ics export: parsed back with icalendar and with recurring-ical-events, compared with the engine's events."""

import datetime as dt
import os
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events

from jakplan.api import plan_for
from jakplan.engine.visits import visits
from jakplan.render.common import DISCLAIMER, check_label
from jakplan.render.ics import calendar_bytes
from jakplan.render.words import cite_full, open_texts

START = dt.date(2024, 5, 1)
STAMP = dt.datetime(2024, 4, 1, 8, 30, tzinfo=dt.timezone.utc)
PLANS = [
    (dt.date(2024, 5, 1), "us-label", 12),
    (dt.date(2024, 5, 1), "eu-smpc", 12),
    (dt.date(2024, 5, 1), "nhs-lanarkshire", 12),
    # the 31st: "every 3 months" must come out as the engine's clamped dates, not an RRULE's skipped months
    (dt.date(2024, 1, 31), "nhs-lanarkshire", 24),
    (dt.date(2023, 11, 30), "us-label", 36),
]


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def vevents(cal):
    return [c for c in cal.walk("VEVENT")]


@pytest.mark.parametrize("start,protocol,months", PLANS)
def test_every_event_matches_the_engine(start, protocol, months):
    plan = plan_for(start, protocol=protocol, months=months)
    cal = parse(calendar_bytes(plan, dt.timedelta(hours=15), dtstamp=STAMP))
    events = vevents(cal)
    vs = visits(plan)
    assert len(events) == len(vs) == len({e.date for e in plan.events})
    for ev, visit in zip(sorted(events, key=lambda e: e.start), vs, strict=False):
        # all-day: DATE values, DTEND the next day (exclusive), no time zone, no recurrence
        assert type(ev.start) is dt.date and type(ev.end) is dt.date
        assert ev.start == visit.date and ev.end == visit.date + dt.timedelta(days=1)
        assert "RRULE" not in ev and "RDATE" not in ev
        assert [str(c) for c in ev.categories] == list(visit.kinds)
        desc = str(ev["DESCRIPTION"])
        for engine_event in visit.events:
            assert engine_event.title in desc
            assert f"[{engine_event.citation.source.id}]" in desc
            assert cite_full(engine_event.citation) in desc
            for code in engine_event.checks:
                assert check_label(code) in desc
            for note in (*engine_event.patient_notes, *open_texts(engine_event.conditions)):
                assert note in desc
        window = (
            f"Window: {visit.window_start.isoformat()} to {visit.window_end.isoformat()}"
            if visit.window_start != visit.window_end
            else f"Window: {visit.window_start.isoformat()}"
        )
        assert window in desc
        assert DISCLAIMER in desc
        assert ev["SEQUENCE"] == 0
        assert ev.DTSTAMP == STAMP
        assert str(ev["TRANSP"]) == "TRANSPARENT"
    # every date the engine produced is in the calendar and nothing else
    assert sorted(e.start for e in events) == sorted({e.date for e in plan.events})


def test_calendar_header_is_valid():
    cal = parse(calendar_bytes(plan_for(START), None, dtstamp=STAMP))
    cal.validate()
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["PRODID"]).startswith("-//jakplan//jakplan ")
    assert "METHOD" not in cal
    assert not list(cal.walk("VALARM"))


def test_fasting_note_reaches_the_week12_event_and_its_alarm():
    plan = plan_for(START, protocol="nhs-lanarkshire")
    cal = parse(calendar_bytes(plan, dt.timedelta(days=2), dtstamp=STAMP))
    (week12,) = [e for e in vevents(cal) if e.start == dt.date(2024, 7, 24)]
    fasting = "Fast before this blood test (the protocol asks for fasting lipids)."
    assert "Before the visit:\n- " + fasting in str(week12["DESCRIPTION"])
    (alarm,) = week12.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert fasting in str(alarm["DESCRIPTION"])
    assert alarm["TRIGGER"].dt == -dt.timedelta(days=2)


@pytest.mark.parametrize("remind", [dt.timedelta(hours=36), dt.timedelta(hours=15), dt.timedelta(weeks=1)])
def test_every_event_has_one_alarm_with_a_description(remind):
    cal = parse(calendar_bytes(plan_for(START), remind, dtstamp=STAMP))
    for ev in vevents(cal):
        (alarm,) = ev.walk("VALARM")
        assert str(alarm["DESCRIPTION"]).startswith("Reminder: ")
        assert alarm["TRIGGER"].dt == -remind


def test_uids_are_stable_and_distinct():
    plan = plan_for(START)
    a = parse(calendar_bytes(plan, None, dtstamp=STAMP))
    b = parse(calendar_bytes(plan_for(START), dt.timedelta(days=1)))  # other alarm, DTSTAMP = now
    uids_a = [str(e["UID"]) for e in vevents(a)]
    uids_b = [str(e["UID"]) for e in vevents(b)]
    assert uids_a == uids_b
    assert len(set(uids_a)) == len(uids_a)
    assert str(a["UID"]) == str(b["UID"])
    # a longer plan keeps the UIDs of the days both plans share
    longer = parse(calendar_bytes(plan_for(START, months=24), None, dtstamp=STAMP))
    assert set(uids_a) <= {str(e["UID"]) for e in vevents(longer)}
    # a moved start keeps every UID (the events move instead of being duplicated: issue 21)
    moved = parse(calendar_bytes(plan_for(START + dt.timedelta(days=7)), None, dtstamp=STAMP))
    assert [str(e["UID"]) for e in vevents(moved)] == uids_a
    # another protocol or namespace (e.g. another patient) gives other UIDs
    for other in (
        calendar_bytes(plan_for(START, protocol="eu-smpc"), None, dtstamp=STAMP),
        calendar_bytes(plan, None, dtstamp=STAMP, namespace="patient-2"),
    ):
        assert not set(uids_a) & {str(e["UID"]) for e in vevents(parse(other))}


def test_same_plan_and_stamp_give_identical_bytes(monkeypatch):
    plan = plan_for(START, protocol="nhs-lanarkshire")
    assert calendar_bytes(plan, dt.timedelta(hours=15), dtstamp=STAMP) == calendar_bytes(
        plan_for(START, protocol="nhs-lanarkshire"), dt.timedelta(hours=15), dtstamp=STAMP
    )
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(STAMP.timestamp())))
    assert calendar_bytes(plan) == calendar_bytes(plan, dtstamp=STAMP)


def test_default_dtstamp_is_now_in_utc(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    cal = parse(calendar_bytes(plan_for(START)))
    after = dt.datetime.now(dt.timezone.utc)
    for ev in vevents(cal):
        assert before <= ev.DTSTAMP <= after
        assert ev.DTSTAMP.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("start,protocol,months", PLANS)
def test_recurring_ical_events_lists_the_same_days(start, protocol, months):
    """A second, independent consumer: recurring-ical-events expands the file over the plan's range."""
    plan = plan_for(start, protocol=protocol, months=months)
    cal = parse(calendar_bytes(plan, dt.timedelta(hours=15), dtstamp=STAMP))
    listed = recurring_ical_events.of(cal).between(start - dt.timedelta(days=60), plan.end + dt.timedelta(days=1))
    assert sorted(e.start for e in listed) == [v.date for v in visits(plan)]
    assert sorted(str(e["UID"]) for e in listed) == sorted(str(e["UID"]) for e in vevents(cal))
    # one day at a time: each visit day shows exactly its own event
    for v in visits(plan):
        (only,) = recurring_ical_events.of(cal).at(v.date)
        assert only.start == v.date


# ------------------------------------------------------------------------------------------------------ CLI
ARGS = ["export", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire"]


def test_cli_writes_the_file_and_refuses_to_overwrite(runner, app, tmp_path):
    out = tmp_path / "plan.ics"
    r = runner.invoke(app, ARGS + ["--out", str(out)])
    assert r.exit_code == 0, r.output
    cal = parse(out.read_bytes())
    assert len(vevents(cal)) == len(visits(plan_for(START, protocol="nhs-lanarkshire")))
    # default reminder: 09:00 the day before (15 hours before local midnight)
    assert {a["TRIGGER"].dt for a in cal.walk("VALARM")} == {-dt.timedelta(hours=15)}

    out.write_text("my own calendar")
    r = runner.invoke(app, ARGS + ["--out", str(out)])
    assert r.exit_code != 0
    assert "already exists" in r.output and "--force" in r.output
    assert out.read_text() == "my own calendar"
    assert "Traceback" not in r.output

    r = runner.invoke(app, ARGS + ["--out", str(out), "--force", "--remind", "none"])
    assert r.exit_code == 0, r.output
    cal = parse(out.read_bytes())
    assert vevents(cal) and not list(cal.walk("VALARM"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.ics"]  # no temp file left behind


def test_cli_to_stdout(runner, app):
    r = runner.invoke(app, ARGS + ["--out", "-", "--remind", "2d"])
    assert r.exit_code == 0, r.output
    cal = parse(r.stdout.encode())
    assert {a["TRIGGER"].dt for a in cal.walk("VALARM")} == {-dt.timedelta(days=2)}
    assert [e.start for e in vevents(cal)] == [v.date for v in visits(plan_for(START, protocol="nhs-lanarkshire"))]


def test_cli_remind_hours(runner, app):
    r = runner.invoke(app, ARGS + ["--out", "-", "--remind", "36h"])
    assert r.exit_code == 0, r.output
    assert {a["TRIGGER"].dt for a in parse(r.stdout.encode()).walk("VALARM")} == {-dt.timedelta(hours=36)}


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked / "plan.ics"
    return Path("/sys/jakplan-plan.ics")  # sysfs refuses new files even to root


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--remind", "2x"], "--remind '2x' is not a duration"),
        (["--remind", "9w"], "more than 8 weeks"),
        (["--start", "2024-02-30"], "not a real calendar date"),
        (["--months", "0"], "months must be a whole number"),
        (["--protocol", "no-such"], "no-such"),
    ],
)
def test_cli_bad_input_one_line_nothing_written(runner, app, tmp_path, extra, message):
    out = tmp_path / "plan.ics"
    r = runner.invoke(app, ARGS + ["--out", str(out)] + extra)
    assert r.exit_code != 0
    assert message in r.output
    assert len(r.output.strip().splitlines()) == 1, r.output
    assert "Traceback" not in r.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_bad_paths(runner, app, tmp_path):
    r = runner.invoke(app, ARGS + ["--out", str(tmp_path)])
    assert r.exit_code != 0 and "is a directory" in r.output
    r = runner.invoke(app, ARGS + ["--out", str(tmp_path / "missing" / "plan.ics")])
    assert r.exit_code != 0 and "does not exist" in r.output
    target = _unwritable(tmp_path)
    r = runner.invoke(app, ARGS + ["--out", str(target)])
    assert r.exit_code != 0 and "cannot write" in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1
    assert not target.exists()
    assert list(tmp_path.iterdir()) in ([], [tmp_path / "locked"])


def test_cli_help_warns_about_ignored_alarms(runner, app):
    r = runner.invoke(app, ["export", "--help"])
    assert r.exit_code == 0
    assert "ignore alarms" in " ".join(r.output.split())


def test_committed_sample_is_rfc_shaped():
    """examples/plan.ics (kept current by test_examples): CRLF line ends, lines folded at 75 octets (RFC 5545 3.1)."""
    data = (Path(__file__).resolve().parent.parent / "examples" / "plan.ics").read_bytes()
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 75
    cal = parse(data)
    cal.validate()
    assert [e.start for e in vevents(cal)] == [v.date for v in visits(plan_for(START, protocol="nhs-lanarkshire"))]


def test_a_plan_without_events_is_refused():

    from jakplan.errors import JakplanError

    empty = plan_for(START)._replace(events=())
    with pytest.raises(JakplanError, match="nothing to export"):
        calendar_bytes(empty)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
    protocol=st.sampled_from(["us-label", "eu-smpc", "nhs-lanarkshire"]),
    months=st.integers(min_value=1, max_value=60),
    remind_hours=st.one_of(st.none(), st.integers(min_value=0, max_value=24 * 56)),
)
def test_any_plan_round_trips(start, protocol, months, remind_hours):
    plan = plan_for(start, protocol=protocol, months=months)
    remind = None if remind_hours is None else dt.timedelta(hours=remind_hours)
    cal = parse(calendar_bytes(plan, remind, dtstamp=STAMP))
    events = vevents(cal)
    assert [e.start for e in events] == [v.date for v in visits(plan)]
    assert all(e.end - e.start == dt.timedelta(days=1) and type(e.start) is dt.date for e in events)
    assert len({str(e["UID"]) for e in events}) == len(events)
    assert len(list(cal.walk("VALARM"))) == (0 if remind is None else len(events))
    assert "RRULE" not in calendar_bytes(plan, remind, dtstamp=STAMP).decode()


def test_moving_the_start_revises_events_in_place_and_cancels_what_no_longer_exists():
    """Regression (issue 21): the start moved a week and a re-export with --force gave 14 events instead of 7.
    Now the UIDs survive, each moved event's SEQUENCE rises, and an event that no longer exists is cancelled."""
    first = calendar_bytes(plan_for(START, months=24), None, dtstamp=STAMP)
    moved = calendar_bytes(plan_for(START + dt.timedelta(days=7), months=12), None, dtstamp=STAMP, previous=first)
    old, new = vevents(parse(first)), vevents(parse(moved))
    old_by_uid = {str(e["UID"]): e for e in old}
    live = [e for e in new if str(e.get("STATUS", "")) != "CANCELLED"]
    gone = [e for e in new if str(e.get("STATUS", "")) == "CANCELLED"]
    assert len(live) == len(vevents(parse(calendar_bytes(plan_for(START, months=12), None, dtstamp=STAMP))))
    assert {str(e["UID"]) for e in new} == set(old_by_uid)  # nothing new, nothing lost: every UID accounted for
    for e in live:  # each moved about a week later (month arithmetic from the new start): revised, SEQUENCE + 1
        before = old_by_uid[str(e["UID"])]
        assert 1 <= (e["DTSTART"].dt - before["DTSTART"].dt).days <= 7
        assert int(e["SEQUENCE"]) == int(before.get("SEQUENCE", 0)) + 1
    assert gone and all(int(e["SEQUENCE"]) == 1 for e in gone)  # months 13-24 withdrawn
    # exporting the same plan over itself changes nothing: no SEQUENCE rises, the bytes are the same
    again = calendar_bytes(plan_for(START + dt.timedelta(days=7), months=12), None, dtstamp=STAMP, previous=moved)
    assert again == moved
