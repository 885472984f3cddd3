"""Reviews share a visit inside their window (issue 21 item 3, issue 18 item 5; usability review P3, N12).

The engine places them (engine/visits.merge_reviews, called once by build_plan), so every view shows one visit.
"""

import datetime as dt
import json

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from jakplan.api import plan_for
from jakplan.catalog.loader import load_protocol
from jakplan.catalog.vocab import drugs, shipped_protocols
from jakplan.engine.plan import build_plan
from jakplan.engine.visits import REVIEW_KINDS, visits
from jakplan.model import Patient

CASES = [(drug, pid, ind) for drug in sorted(drugs()) for pid in shipped_protocols(drug)
         for ind in load_protocol(drug, pid).indications]
PROTOCOLS = {(drug, pid): load_protocol(drug, pid) for drug, pid, _ in CASES}


@settings(max_examples=300, deadline=None)
@given(start=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)), months=st.integers(6, 36),
       case=st.sampled_from(CASES))
def test_reviews_stay_in_their_window_and_sit_on_a_lab_day_when_one_is_inside_it(start, months, case):
    drug, pid, ind = case
    plan = build_plan(PROTOCOLS[(drug, pid)], Patient(ind), start, months)
    lab_days = {e.date for e in plan.events if e.kind == "lab" and e.date >= start}
    for e in plan.events:
        assert e.window_start <= e.date <= e.window_end, e
        if e.nominal is not None:
            assert e.window_start <= e.nominal <= e.window_end and e.nominal != e.date, e
            assert e.kind in REVIEW_KINDS
        if e.kind in REVIEW_KINDS and e.date >= start:
            inside = {d for d in lab_days if e.window_start <= d <= e.window_end}
            assert not inside or e.date in inside, (e, sorted(inside))
    # same-kind reviews of two rules that can share a lab day (both windows hold it) do
    reviews = [e for e in plan.events if e.kind in REVIEW_KINDS and e.date >= start]
    for a in reviews:
        for b in reviews:
            if a.rule < b.rule and a.kind == b.kind and set(a.checks) == set(b.checks):
                shared = {d for d in lab_days if a.window_start <= d <= a.window_end and b.window_start <= d <= b.window_end}
                if shared:
                    assert a.date == b.date, (a, b)


def test_month6_review_is_on_the_bloods_day_p3():
    """P3: start 2026-12-14, the month-6 review (2027-06-14) was its own appointment six days after the bloods."""
    plan = plan_for(dt.date(2026, 12, 14), protocol="nhs-lanarkshire")
    (m6,) = [e for e in plan.events if e.rule == "nice_continue_month6"]
    bloods = [e.date for e in plan.events if e.rule == "bloods_every_3_months"]
    assert (m6.date, m6.nominal) == (dt.date(2027, 6, 8), dt.date(2027, 6, 14)) and m6.date in bloods
    (visit,) = [v for v in visits(plan) if v.date == m6.date]
    assert {"bloods_every_3_months", "nice_continue_month6", "safety_questions"} <= {e.rule for e in visit.events}
    assert not [v for v in visits(plan) if dt.date(2027, 6, 9) <= v.date <= dt.date(2027, 6, 21)]


START = "2026-01-12"  # week 24 (06-29) and month 6 (07-12) both have the 3-monthly bloods (07-06) in their window


def test_two_response_reviews_one_visit_done_closes_both(runner, app, tmp_path):
    """N12: the week-24 review and the NICE month-6 review; recording one left the other 'days late'."""
    pf = str(tmp_path / "p.toml")
    r = runner.invoke(app, ["init", "--start", START, "--drug", "baricitinib", "--indication", "RA",
                            "--protocol", "nhs-lanarkshire", "--out", pf])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["status", pf, "--today", "2026-07-06", "--format", "json"])
    got = json.loads(r.stdout)
    due = {i["rule"]: i for i in got["due"]}
    assert due["response_by_week24"]["date"] == due["nice_continue_month6"]["date"] == "2026-07-06"
    assert due["bloods_every_3_months"]["date"] == "2026-07-06"
    r = runner.invoke(app, ["record", pf, "--rule", "response_by_week24", "--done", "2026-07-06"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["status", pf, "--today", "2026-08-20", "--format", "json"])
    got = json.loads(r.stdout)
    done = {i["rule"]: i for i in got["done"]}
    assert done["nice_continue_month6"]["done_on"] == "2026-07-06" and done["nice_continue_month6"]["days_late"] == 0
    assert "done with response_by_week24" in done["nice_continue_month6"]["note"]
    late = [i["rule"] for i in got["overdue"] + got["missed"]]
    assert "nice_continue_month6" not in late and "response_by_week24" not in late
    # undo removes the record, and with it what it closed
    assert runner.invoke(app, ["undo", pf]).exit_code == 0
    got = json.loads(runner.invoke(app, ["status", pf, "--today", "2026-08-20", "--format", "json"]).stdout)
    assert {"nice_continue_month6", "response_by_week24"} <= {i["rule"] for i in got["overdue"]}


def test_a_review_done_outside_the_other_window_closes_only_itself(runner, app, tmp_path):
    pf = str(tmp_path / "p.toml")
    assert runner.invoke(app, ["init", "--start", START, "--drug", "baricitinib", "--indication", "RA",
                               "--protocol", "nhs-lanarkshire", "--out", pf]).exit_code == 0
    # 2026-06-25 is in the week-24 window (06-22 to 07-06), not in the month-6 one (07-05 to 07-19)
    assert runner.invoke(app, ["record", pf, "--rule", "response_by_week24", "--done", "2026-06-25"]).exit_code == 0
    got = json.loads(runner.invoke(app, ["status", pf, "--today", "2026-07-10", "--format", "json"]).stdout)
    assert "response_by_week24" in {i["rule"] for i in got["done"]}
    assert "nice_continue_month6" in {i["rule"] for i in got["due"]}


def test_calendar_has_bloods_and_reviews_in_one_event(runner, app, tmp_path):
    out = tmp_path / "plan.ics"
    r = runner.invoke(app, ["export", "--start", START, "--drug", "baricitinib", "--indication", "RA",
                            "--protocol", "nhs-lanarkshire", "--out", str(out)])
    assert r.exit_code == 0, r.output
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    events = [c for c in cal.walk("VEVENT") if c.get("STATUS") != "CANCELLED"]
    days = [c.decoded("DTSTART") for c in events]
    assert len(days) == len(set(days)), "one event per visit day"
    (visit,) = [c for c in events if c.decoded("DTSTART") == dt.date(2026, 7, 6)]
    text = str(visit.get("DESCRIPTION"))
    assert "blood" in (str(visit.get("SUMMARY")) + text).lower()
    assert "month 6" in text.lower() or "nice" in text.lower() or "6 months" in text.lower(), text
    assert "24 weeks" in text or "week 24" in text.lower(), text
    # nothing else between the bloods and the end of the month-6 window
    assert not [d for d in days if dt.date(2026, 6, 22) <= d <= dt.date(2026, 7, 19) and d != dt.date(2026, 7, 6)]


@settings(max_examples=150, deadline=None)
@given(start=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)), case=st.sampled_from(CASES),
       begin=st.integers(0, 400), length=st.integers(1, 60))
def test_a_pause_moves_a_shared_visit_whole(start, case, begin, length):
    """Reviews are placed on the start grid, then a pause moves the visit's events together: a review moved to
    a lab day stays on that lab day, inside its window."""
    from jakplan.history import Pause

    drug, pid, ind = case
    p = Pause(start + dt.timedelta(days=begin), start + dt.timedelta(days=begin + length))
    plan = build_plan(PROTOCOLS[(drug, pid)], Patient(ind), start, 24, (p,))
    lab_days = {e.date for e in plan.events if e.kind == "lab"}
    for e in plan.events:
        assert e.window_start <= e.date <= e.window_end, e
        if e.nominal is not None and e.date >= start:
            assert e.date in lab_days or any(o.date == e.date and o.rule != e.rule for o in plan.events), e
