"""tracking.track: done / due / overdue / next on a frozen day, anchors, pauses (pure, no files)."""

import datetime as dt
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from jakplan.catalog.loader import load_protocol, load_protocol_file
from jakplan.engine.plan import build_plan
from jakplan.engine.tracking import pause_shift, track
from jakplan.history import Done, History, Pause
from jakplan.model import Patient
from jakplan.render.words import item_note_text, lab_action_text, status_note_text

D = dt.date
START = D(2024, 5, 1)
FIXTURE = Path(__file__).parent / "fixtures" / "tracking" / "last-done.toml"
SCREENING = ("baseline_blood_count", "baseline_liver_kidney", "hepatitis_screening", "immunisations",
             "tb_screening", "zoster_vaccine")


def us_plan(months=24, start=START):
    return build_plan(load_protocol("baricitinib", "us-label"), Patient("ra", {"age": 58}), start, months)


def fixture_plan(months=24, start=START):
    return build_plan(load_protocol_file(FIXTURE), Patient("ra"), start, months)


def screened(on=None):
    on = on or D(2024, 4, 20)
    return tuple(Done(r, on) for r in SCREENING)


def states(status, *wanted):
    return sorted((i.rule, i.occurrence, i.state, i.date, i.days_late) for i in status.items if i.state in wanted)


def test_overdue_due_done_next_on_a_frozen_day():
    hist = History(done=screened() + (Done("bloods_week4", D(2024, 5, 29)), Done("early_response_baricitinib", D(2024, 5, 29)),
                                      Done("lipids_week12", D(2024, 7, 29))))
    st = track(us_plan(), hist, D(2024, 8, 15))
    assert states(st, "overdue") == [
        ("bloods_week12", 0, "overdue", D(2024, 7, 24), 22),
        ("t2t_review_week12", 0, "overdue", D(2024, 7, 24), 22),
    ]
    assert states(st, "due") == [("target_by_month6", 0, "due", D(2024, 10, 24), 0)]  # month 6, on the bloods day
    assert sorted(i.rule for i in st.done) == sorted(SCREENING + ("bloods_week4", "early_response_baricitinib", "lipids_week12"))
    assert [(i.rule, i.date) for i in st.next] == [("bloods_every_3_months", D(2024, 10, 24))]
    assert {i.anchor for i in st.items} == {"start"}
    assert [r.id for r in st.visit_rules] == ["safety_questions"]


def test_window_edges():
    hist = History(done=screened())
    plan = us_plan()
    week4 = next(e for e in plan.events if e.rule == "bloods_week4")
    on_last_day = track(plan, hist, week4.window_end)
    assert [i.state for i in on_last_day.items if i.rule == "bloods_week4"] == ["due"]
    day_after = track(plan, hist, week4.window_end + dt.timedelta(days=1))
    item = next(i for i in day_after.items if i.rule == "bloods_week4")
    assert (item.state, item.days_late) == ("overdue", (week4.window_end - week4.date).days + 1)
    before = track(plan, hist, week4.window_start - dt.timedelta(days=1))
    assert [i.state for i in before.items if i.rule == "bloods_week4"] == ["upcoming"]


def test_nothing_overdue_before_start_except_missing_screening():
    st = track(us_plan(), History(), D(2024, 4, 10))
    assert st.overdue == []
    assert sorted(i.rule for i in st.due) == sorted(SCREENING)
    st2 = track(us_plan(), History(), D(2024, 5, 2))
    assert sorted(i.rule for i in st2.overdue) == sorted(SCREENING)


def test_late_early_and_superseded_checks():
    plan = us_plan()
    hist = History(done=screened() + (
        Done("bloods_week4", D(2024, 6, 20)),          # late: window closed 2024-06-05
        Done("lipids_week12", D(2024, 7, 1)),           # early: window opens 2024-07-17
        Done("bloods_every_3_months", D(2025, 2, 1)),   # 2024-10-24 was never done; 2025-01-24 window open
    ))
    st = track(plan, hist, D(2025, 2, 10))
    by = {(i.rule, i.occurrence): i for i in st.items}
    w4 = by[("bloods_week4", 0)]
    assert (w4.state, w4.done_on, w4.days_late) == ("done", D(2024, 6, 20), 15)
    assert "after the window closed" in item_note_text(w4)
    lip = by[("lipids_week12", 0)]
    assert (lip.state, lip.done_on) == ("done", D(2024, 7, 1)) and "early" in item_note_text(lip)
    assert by[("bloods_every_3_months", 1)].state == "missed"
    assert "superseded by the check on 2025-02-01" in item_note_text(by[("bloods_every_3_months", 1)])
    assert (by[("bloods_every_3_months", 2)].state, by[("bloods_every_3_months", 2)].done_on) == ("done", D(2025, 2, 1))
    assert by[("bloods_every_3_months", 3)].state == "upcoming"


def test_an_overdue_check_gives_way_to_the_next_one_due():
    st = track(us_plan(), History(done=screened()), D(2025, 1, 25))
    b3 = sorted((i.occurrence, i.state) for i in st.items if i.rule == "bloods_every_3_months")
    assert b3[:3] == [(1, "missed"), (2, "due"), (3, "upcoming")]


def test_unknown_or_spent_records_are_reported_not_dropped():
    hist = History(done=(Done("no_such_rule", D(2024, 6, 1)), Done("safety_questions", D(2024, 6, 1)),
                         Done("lipids_week12", D(2024, 7, 20)), Done("lipids_week12", D(2024, 8, 1))))
    st = track(us_plan(), hist, D(2024, 8, 15))
    assert [(r, d) for r, d, _ in st.unmatched] == [
        ("no_such_rule", D(2024, 6, 1)), ("safety_questions", D(2024, 6, 1)), ("lipids_week12", D(2024, 8, 1))]


def test_last_done_anchor_counts_from_the_last_check():
    plan = fixture_plan()
    hist = History(done=(Done("tb_screening", D(2024, 4, 20)), Done("bloods_every_3_months", D(2024, 9, 10)),
                         Done("bloods_grid", D(2024, 8, 5))))
    st = track(plan, hist, D(2024, 9, 20))
    nxt = {i.rule: i for i in st.next}
    assert (nxt["bloods_every_3_months"].date, nxt["bloods_every_3_months"].anchor) == (D(2024, 12, 10), "last_done")
    assert nxt["bloods_every_3_months"].anchor_date == D(2024, 9, 10)
    assert nxt["bloods_every_3_months"].anchor_text == "last done 2024-09-10"
    assert (nxt["bloods_grid"].date, nxt["bloods_grid"].anchor) == (D(2024, 11, 1), "start")
    later = [i.date for i in st.items if i.rule == "bloods_every_3_months" and i.state == "upcoming"][:3]
    assert later == [D(2024, 12, 10), D(2025, 3, 10), D(2025, 6, 10)]
    assert any("Counted from the last time done: bloods_every_3_months" in status_note_text(n) for n in st.notes)


def test_last_done_dates_are_computed_from_the_anchor_not_by_repeated_addition():
    plan = fixture_plan(start=D(2023, 11, 30))
    st = track(plan, History(done=(Done("bloods_every_3_months", D(2024, 1, 31)),)), D(2024, 2, 1))
    later = [i.date for i in st.items if i.rule == "bloods_every_3_months" and i.state == "upcoming"][:3]
    # Jan 31 + 3 months = Apr 30 (clamped); + 6 months = Jul 31, not Apr 30 + 3 months = Jul 30
    assert later == [D(2024, 4, 30), D(2024, 7, 31), D(2024, 10, 31)]


def test_a_closed_pause_moves_later_in_treatment_checks_and_says_so():
    hist = History(done=screened(), pauses=(Pause(D(2024, 9, 2), D(2024, 9, 23), "herpes zoster"),))
    st = track(us_plan(), hist, D(2024, 10, 1))
    by = {(i.rule, i.occurrence): i for i in st.items}
    b1 = by[("bloods_every_3_months", 1)]
    assert (b1.date, b1.planned, b1.shifted_days) == (D(2024, 11, 14), D(2024, 10, 24), 21)
    assert (b1.window_start, b1.window_end) == (D(2024, 11, 7), D(2024, 11, 21))
    w12 = by[("bloods_week12", 0)]
    assert (w12.date, w12.planned, w12.shifted_days) == (D(2024, 7, 24), None, 0)
    assert all(i.shifted_days == 0 for i in st.items if i.kind == "screening")
    assert any("Paused 2024-09-02 to 2024-09-23 (herpes zoster), 21 days" in status_note_text(n) for n in st.notes)


def test_an_open_pause_puts_checks_on_hold_not_overdue():
    hist = History(done=screened(), pauses=(Pause(D(2024, 9, 2), None, "herpes zoster"),))
    st = track(us_plan(), hist, D(2024, 12, 1))
    b1 = next(i for i in st.items if i.rule == "bloods_every_3_months" and i.occurrence == 1)
    assert b1.state == "on_hold" and b1.date == D(2024, 10, 24)
    assert {i.rule for i in st.overdue} == {"bloods_week4", "early_response_baricitinib", "bloods_week12", "lipids_week12",
                                            "t2t_review_week12"}
    assert any("paused since 2024-09-02" in status_note_text(n) for n in st.notes)


def test_records_after_today_are_ignored():
    hist = History(done=screened() + (Done("bloods_week4", D(2024, 6, 1)),),
                   pauses=(Pause(D(2024, 9, 2), D(2024, 9, 23), "zoster"),))
    st = track(us_plan(), hist, D(2024, 5, 20))
    assert [i.state for i in st.items if i.rule == "bloods_week4"] == ["upcoming"]
    assert st.notes == ()
    mid = track(us_plan(), hist, D(2024, 9, 10))  # the resume had not happened yet on that day
    assert any("paused since 2024-09-02" in status_note_text(n) for n in mid.notes)


def test_pause_shift_stacks_pauses_on_the_treatment_clock():
    ps = (Pause(D(2024, 6, 1), D(2024, 6, 11)), Pause(D(2024, 7, 5), D(2024, 7, 10)))
    assert pause_shift(D(2024, 5, 31), START, ps) == 0
    assert pause_shift(D(2024, 6, 1), START, ps) == 10
    assert pause_shift(D(2024, 6, 28), START, ps) == 15   # pushed to Jul 8, past the second pause's start
    assert pause_shift(D(2024, 6, 20), START, ps) == 10   # pushed to Jun 30, before the second pause
    assert pause_shift(D(2024, 8, 1), D(2024, 7, 1), ps) == 5  # counted from Jul 1: only the second pause


rules = st.sampled_from(["bloods_week4", "bloods_week12", "bloods_every_3_months", "lipids_week12",
                         "t2t_review_week12", "target_by_month6", "tb_screening"])


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(D(2020, 1, 1), D(2030, 12, 31)),
    days=st.integers(-40, 700),
    done=st.lists(st.tuples(rules, st.integers(-40, 700)), max_size=12),
)
def test_properties(start, days, done):
    today = start + dt.timedelta(days=days)
    hist = History(done=tuple(Done(r, start + dt.timedelta(days=d)) for r, d in done))
    st_ = track(us_plan(36, start), hist, today)
    per_rule: dict[str, int] = {}
    for i in st_.items:
        assert i.window_start <= i.date <= i.window_end
        if i.state == "overdue":
            assert i.window_end < today and i.days_late == (today - i.date).days
        if i.state == "due":
            assert i.window_start <= today <= i.window_end
        if i.state == "upcoming":
            assert i.window_start > today
        if i.state == "done":
            assert i.done_on is not None and i.done_on <= today
        if i.state in ("overdue", "due"):
            per_rule[i.rule] = per_rule.get(i.rule, 0) + 1
    assert all(n == 1 for n in per_rule.values())
    # every record dated on or before today completed something or is reported
    counted = len([i for i in st_.items if i.state == "done"]) + len(st_.unmatched)
    assert counted == len([d for d in hist.done if d.on <= today])


def test_lab_values_that_cross_a_threshold_become_actions():
    from jakplan.history import LabRecord

    hist = History(labs=(
        LabRecord(D(2024, 4, 20), {"anc": 0.9, "alc": 1.2, "hb": 12.0}),   # before start: do not start
        LabRecord(D(2024, 5, 29), {"anc": 2.0, "alc": 1.1, "hb": 12.5}),   # fine
        LabRecord(D(2024, 7, 24), {"anc": 1.5, "alc": 0.4, "hb": 7.5}),    # during: interrupt (ALC, Hb)
        LabRecord(D(2024, 8, 10), {"hb": 11.0}),                           # Hb recovered
    ))
    st = track(us_plan(), hist, D(2024, 8, 15))
    got = [(a.on, a.analyte, a.value, a.action, a.current) for a in st.lab_actions]
    assert got == [
        (D(2024, 4, 20), "anc", 0.9, "do_not_start", False),
        (D(2024, 7, 24), "alc", 0.4, "interrupt", True),
        (D(2024, 7, 24), "hb", 7.5, "interrupt", False),
    ]
    alc = st.lab_actions[1]
    text = lab_action_text(alc)
    assert "< 0.5 10^9/L -> Interrupt treatment" in text and "resume when lymphocytes are back" in text and "[S1]" in text
    assert track(us_plan(), hist, D(2024, 7, 1)).lab_actions[-1].on == D(2024, 4, 20)  # later results not yet known


@settings(max_examples=40, deadline=None)
@given(begin=st.integers(0, 400), length=st.integers(1, 120), later=st.integers(0, 400))
def test_a_single_pause_moves_exactly_the_checks_on_or_after_it(begin, length, later):
    p = Pause(START + dt.timedelta(days=begin), START + dt.timedelta(days=begin + length), "x")
    today = p.end + dt.timedelta(days=later)
    plan = us_plan(36)
    plain = {(i.rule, i.occurrence): i for i in track(plan, History(), today).items}
    paused = track(plan, History(pauses=(p,)), today)
    for i in paused.items:
        before = plain[(i.rule, i.occurrence)]
        if i.kind != "screening" and before.date >= p.start:
            assert (i.date - before.date).days == length and i.planned == before.date
        else:
            assert i.date == before.date and i.planned is None
