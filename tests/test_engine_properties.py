"""Properties of the engine over any start date (leap days and month ends included) and horizon."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from jakplan.catalog.loader import load_protocol
from jakplan.catalog.vocab import shipped_protocols
from jakplan.engine.plan import build_plan
from jakplan.model import KINDS, Patient

PROTOCOLS = {pid: load_protocol("baricitinib", pid) for pid in shipped_protocols("baricitinib")}

month_ends = st.builds(
    lambda y, m: (dt.date(y, m, 1) + relativedelta(months=1)) - dt.timedelta(days=1),
    st.integers(1901, 2199), st.integers(1, 12),
)
leap_days = st.integers(476, 549).map(lambda q: q * 4).filter(
    lambda y: y % 100 != 0 or y % 400 == 0
).map(lambda y: dt.date(y, 2, 29))
starts = st.one_of(st.dates(dt.date(1901, 1, 1), dt.date(2199, 12, 31)), month_ends, leap_days)


@settings(max_examples=200, deadline=None)
@given(start=starts, months=st.integers(1, 120), pid=st.sampled_from(sorted(PROTOCOLS)))
def test_plan_invariants(start, months, pid):
    plan = build_plan(PROTOCOLS[pid], Patient("ra"), start, months)
    evs = plan.events
    assert evs, "a plan always has at least its screening"
    # sorted by date, then kind
    keys = [(e.date, KINDS.index(e.kind)) for e in evs]
    assert keys == sorted(keys)
    for e in evs:
        assert e.window_start <= e.date <= e.window_end, e
        if e.date < start:
            assert e.kind == "screening", e
        else:
            assert e.window_start >= start, e  # no in-treatment window opens before the first dose
        if e.kind == "screening":
            assert e.window_end == start and e.date < start
        assert e.date <= plan.end
    assert plan.end == start + relativedelta(months=months)


@settings(max_examples=200, deadline=None)
@given(start=starts, months=st.integers(12, 120))
def test_every_occurrence_is_computed_from_its_anchor(start, months):
    plan = build_plan(PROTOCOLS["us-label"], Patient("ra"), start, months)
    anchor = start + relativedelta(weeks=12)
    got = [e.date for e in plan.events if e.rule == "bloods_every_3_months"]
    expected = []
    n = 1
    while (d := anchor + relativedelta(months=3 * n)) <= plan.end:
        expected.append(d)
        n += 1
    assert got == expected
    # a plan of 12 months or more always holds at least three quarterly checks after week 12
    assert len(got) >= 3


@settings(max_examples=100, deadline=None)
@given(start=starts)
def test_same_input_same_plan(start):
    a = build_plan(PROTOCOLS["us-label"], Patient("ra"), start, 12)
    b = build_plan(PROTOCOLS["us-label"], Patient("ra"), start, 12)
    assert a.events == b.events


@settings(max_examples=300, deadline=None)
@given(day=starts, n=st.integers(0, 600), k=st.integers(-3, 12), unit=st.sampled_from(["days", "weeks", "months", "years"]))
def test_shift_is_relativedelta_arithmetic(day, n, k, unit):
    from jakplan.engine.timing import shift
    from jakplan.model import Offset

    assert shift(day, Offset(n, unit), k) == day + relativedelta(**{unit: n * k})
