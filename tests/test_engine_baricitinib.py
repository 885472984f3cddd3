"""The engine against the reference facts for baricitinib in RA (jak-monitoring-facts.md, section 1 and 9)."""

import datetime as dt

import pytest

from jakplan.api import plan_for
from jakplan.catalog.loader import load_protocol
from jakplan.engine.plan import build_plan
from jakplan.errors import JakplanError
from jakplan.model import Condition, Patient
from jakplan.render.words import open_texts, skip_text

START = dt.date(2024, 5, 1)


def by_rule(plan, rule):
    return [e for e in plan.events if e.rule == rule]


@pytest.fixture(scope="module")
def plan():
    return plan_for(START)


def test_default_is_us_label_ra_for_12_months(plan):
    assert (plan.drug, plan.indication, plan.protocol.id) == ("baricitinib", "ra", "us-label")
    assert plan.end == dt.date(2025, 5, 1)


def test_tb_screening_falls_before_the_first_dose(plan):
    (tb,) = by_rule(plan, "tb_screening")
    assert tb.kind == "screening"
    assert "tb_test" in tb.checks
    assert tb.date < START and tb.window_end == START
    # planning default: the screening window opens 4 weeks before the start
    assert tb.window_start == dt.date(2024, 4, 3)
    assert tb.citation.source.id == "S5"  # the boxed warning: test for latent TB, start treatment if positive


def test_screening_covers_the_label_baseline(plan):
    checks = {c for e in plan.events if e.kind == "screening" for c in e.checks}
    assert {"tb_test", "hbv_serology", "hcv_serology", "cbc_diff", "liver_enzymes", "renal_function",
            "immunisations_update", "zoster_vaccination"} <= checks


def test_lipids_about_week_12(plan):
    (lip,) = by_rule(plan, "lipids_week12")
    assert lip.date == START + dt.timedelta(weeks=12) == dt.date(2024, 7, 24)
    assert lip.relative == "week 12"
    assert lip.window_start <= lip.date <= lip.window_end
    assert lip.citation.source.id == "S2"


def test_borrowed_local_cadence_week4_week12_then_every_3_months(plan):
    days = [e.date for e in plan.events if e.rule.startswith("bloods_")]
    assert days == [
        dt.date(2024, 5, 29),   # week 4
        dt.date(2024, 7, 24),   # week 12
        dt.date(2024, 10, 24),  # week 12 + 3 months
        dt.date(2025, 1, 24),   # week 12 + 6 months
        dt.date(2025, 4, 24),   # week 12 + 9 months
    ]
    assert {e.citation.source.id for e in plan.events if e.rule.startswith("bloods_")} == {"S13"}
    assert [i.protocol for i in plan.protocol.includes][0] == "baricitinib/nhs-lanarkshire"


def test_response_milestones_3_and_6_months(plan):
    (rev,) = by_rule(plan, "t2t_review_week12")
    assert rev.date == dt.date(2024, 7, 24) and rev.window_end == dt.date(2024, 8, 1)  # by 3 months at most
    (target,) = by_rule(plan, "target_by_month6")
    assert target.kind == "milestone"
    # month 6 is 2024-11-01; its window holds the 3-monthly bloods of 2024-10-24: one visit, that day
    assert target.window_start == dt.date(2024, 8, 1) and target.nominal == dt.date(2024, 11, 1)
    assert target.date == dt.date(2024, 10, 24) in {e.date for e in by_rule(plan, "bloods_every_3_months")}
    assert target.citation.source.id == "X4"


def test_safety_questions_ride_on_every_lab_visit(plan):
    lab_days = sorted({e.date for e in plan.events if e.kind == "lab"})
    assert [e.date for e in by_rule(plan, "safety_questions")] == lab_days


def test_unverified_points_are_listed_not_encoded(plan):
    topics = [u.topic for u in plan.protocol.unverified]
    assert "TB testing during therapy" in topics and "Baseline lipid panel" in topics
    # the early response is a dated, cited milestone now (tests/test_response_milestones.py), not a label check
    assert "Early response at 2-4 weeks" not in topics


def test_variants_differ_where_sources_differ():
    eu = plan_for(START, protocol="eu-smpc")
    nhs = plan_for(START, protocol="nhs-lanarkshire")
    (lip,) = by_rule(nhs, "lipids_week12")
    assert lip.patient_notes and "Fast" in lip.patient_notes[0]
    assert by_rule(nhs, "response_by_week24")[0].date == START + dt.timedelta(weeks=24)
    assert not by_rule(eu, "response_by_week24")
    # the conditional over-50 zoster rule is kept with an "applies if" note while age is unknown ...
    (z,) = by_rule(nhs, "zoster_vaccine_over_50")
    assert z.conditions == (Condition("age", "above", 50),)
    assert open_texts(z.conditions) == ["applies if age > 50 (age not given)"]
    # ... and dropped when the patient is known to be younger
    young = build_plan(load_protocol("baricitinib", "nhs-lanarkshire"), Patient("ra", {"age": 40}), START)
    assert not by_rule(young, "zoster_vaccine_over_50")
    (skip,) = [s for s in young.skipped if s.rule == "zoster_vaccine_over_50"]
    assert skip.failed == Condition("age", "above", 50) and skip_text(skip) == "applies only if age > 50"


def test_month_end_start_clamps_instead_of_drifting():
    plan = plan_for(dt.date(2024, 1, 31), protocol="us-label", months=24)
    (m6,) = by_rule(plan, "target_by_month6")
    assert m6.nominal == dt.date(2024, 7, 31)  # Jan 31 + 6 months, clamped (then placed on the bloods' day)
    q = [e.date for e in by_rule(plan, "bloods_every_3_months")]
    # anchor week 12 = 2024-04-24; every occurrence computed from it, not from the previous one
    assert q[:3] == [dt.date(2024, 7, 24), dt.date(2024, 10, 24), dt.date(2025, 1, 24)]
    assert m6.date == q[0]


@pytest.mark.parametrize("months", [0, -1, 121])
def test_months_out_of_range(months):
    with pytest.raises(JakplanError, match="months"):
        plan_for(START, months=months)


def test_unknown_drug_lists_known():
    with pytest.raises(JakplanError, match="unknown drug 'aspirin'; known drugs: .*baricitinib"):
        plan_for(START, drug="aspirin")
