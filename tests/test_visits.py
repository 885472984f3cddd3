"""Visit days: the plan's events grouped by date (the shared basis of the .ics export and the checklist)."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakplan.api import plan_for
from jakplan.engine.visits import lookup, next_visit, plan_first_day, visits, week_day
from jakplan.errors import JakplanError

START = dt.date(2024, 5, 1)
PROTOCOLS = ["us-label", "eu-smpc", "nhs-lanarkshire"]


@pytest.fixture(scope="module")
def nhs():
    return plan_for(START, protocol="nhs-lanarkshire")


def test_nhs_visit_days_are_the_timeline_dates(nhs):
    assert [v.date.isoformat() for v in visits(nhs)] == [
        "2024-04-03", "2024-05-29", "2024-07-24", "2024-10-16", "2024-10-24", "2024-11-01", "2025-01-24", "2025-04-24",
    ]


def test_week12_visit_holds_every_event_of_that_day(nhs):
    v = {v.date: v for v in visits(nhs)}[dt.date(2024, 7, 24)]
    assert [e.rule for e in v.events] == ["bloods_week12", "lipids_week12", "safety_questions", "t2t_review_week12"]
    assert v.kinds == ("lab", "review")
    assert v.label == "week 12"
    assert not v.before_start
    # the visit window is where every check of the day is inside its own window
    assert (v.window_start, v.window_end) == (dt.date(2024, 7, 17), dt.date(2024, 7, 31))
    assert "lipids" in v.checks() and v.checks().count("cbc_diff") == 1


def test_screening_visit_is_before_start(nhs):
    first = visits(nhs)[0]
    assert first.before_start and first.kinds == ("screening",)
    assert first.window_end == START
    assert plan_first_day(nhs) == dt.date(2024, 4, 3)


def test_lookup_exact_day_and_nothing_due(nhs):
    assert lookup(nhs, dt.date(2024, 7, 24)).visit.date == dt.date(2024, 7, 24)
    miss = lookup(nhs, dt.date(2024, 6, 10))
    assert miss.visit is None
    assert (miss.before.date, miss.after.date) == (dt.date(2024, 5, 29), dt.date(2024, 7, 24))
    assert miss.open_windows == ()
    assert lookup(nhs, dt.date(2024, 7, 24)).exact
    # 2024-06-03 is not a visit day but inside the week-4 window (2024-05-22 to 2024-06-05): that visit
    inside = lookup(nhs, dt.date(2024, 6, 3))
    assert inside.visit.date == dt.date(2024, 5, 29) and not inside.exact and inside.open_windows == ()
    # two days after a planned visit finds it; before the first dose, the screening window holds the day
    assert lookup(nhs, dt.date(2024, 7, 26)).visit.date == dt.date(2024, 7, 24)
    assert lookup(nhs, dt.date(2024, 4, 20)).visit.date == dt.date(2024, 4, 3)


def test_lookup_overlapping_windows_takes_the_nearest_visit(nhs):
    # 2024-10-20: inside the week-24 window (10-09 to 10-23) and the week-12 + 3 months one (10-17 to 10-31)
    found = lookup(nhs, dt.date(2024, 10, 20))
    assert found.visit.date == dt.date(2024, 10, 16)  # 4 days away, against 4 days: the earlier one
    assert [v.date for v in found.open_windows] == [dt.date(2024, 10, 24)]
    assert lookup(nhs, dt.date(2024, 10, 22)).visit.date == dt.date(2024, 10, 24)


def test_lookup_refuses_days_outside_the_plan(nhs):
    with pytest.raises(JakplanError, match="before screening opens \\(2024-04-03\\)"):
        lookup(nhs, dt.date(2024, 4, 2))
    with pytest.raises(JakplanError, match="after the end of the plan \\(2025-05-01\\)"):
        lookup(nhs, dt.date(2025, 5, 2))


def test_next_visit_and_weeks(nhs):
    assert next_visit(nhs, dt.date(2024, 6, 10)).date == dt.date(2024, 7, 24)
    assert next_visit(nhs, dt.date(2024, 7, 24)).date == dt.date(2024, 7, 24)
    # an open window counts: two days after the planned day, and twelve days before the first dose
    assert next_visit(nhs, dt.date(2024, 7, 26)).date == dt.date(2024, 7, 24)
    assert next_visit(nhs, dt.date(2024, 4, 19)).date == dt.date(2024, 4, 3)
    assert next_visit(nhs, dt.date(2025, 4, 30)).date == dt.date(2025, 4, 24)
    with pytest.raises(JakplanError, match="no visit left on or after 2025-05-02"):
        next_visit(nhs, dt.date(2025, 5, 2))
    assert week_day(nhs, 12) == dt.date(2024, 7, 24)
    assert week_day(nhs, 0) == START
    with pytest.raises(JakplanError, match="--week -3"):
        week_day(nhs, -3)


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
    protocol=st.sampled_from(PROTOCOLS),
    months=st.integers(min_value=1, max_value=36),
)
def test_visits_partition_the_events(start, protocol, months):
    plan = plan_for(start, protocol=protocol, months=months)
    vs = visits(plan)
    dates = [v.date for v in vs]
    assert dates == sorted(set(dates))
    grouped = [e for v in vs for e in v.events]
    assert sorted(grouped, key=lambda e: e.sort_key) == sorted(plan.events, key=lambda e: e.sort_key)
    for v in vs:
        assert all(e.date == v.date for e in v.events)
        assert v.window_start <= v.date <= v.window_end
