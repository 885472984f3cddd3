"""Response milestones (issue 10, item 6): the early-response expectation at weeks 2-4 and the 3-6 month
assessment in every default RA plan where the onset data were verified, each with its source."""

import datetime as dt

from jakplan.api import plan_for

START = dt.date(2024, 5, 1)


def by_rule(plan, rule):
    return [e for e in plan.events if e.rule == rule]


def test_baricitinib_ra_early_response_weeks_2_to_4():
    p = plan_for(START, drug="baricitinib", indication="ra")          # the default: US label
    (early,) = by_rule(p, "early_response_baricitinib")
    assert early.kind == "milestone"
    assert (early.window_start, early.date) == (START + dt.timedelta(weeks=2), START + dt.timedelta(weeks=4))
    assert early.citation.source.id == "X10" and "as early as week 1" in early.citation.section
    assert early.citation.source.url == "https://pmc.ncbi.nlm.nih.gov/articles/PMC6617097"
    assert any("[X11]" in n and "week 1 or 2" in n for n in early.notes)
    assert "no change yet is not a reason to stop" in early.title
    assert "treatment_response" not in early.checks  # an expectation, not a decision point


def test_baricitinib_ra_3_and_6_month_assessment():
    p = plan_for(START, drug="baricitinib", indication="ra")
    (rev,) = by_rule(p, "t2t_review_week12")
    (target,) = by_rule(p, "target_by_month6")
    assert (rev.date, rev.citation.source.id) == (START + dt.timedelta(weeks=12), "X4")
    assert (target.window_start, target.nominal, target.citation.source.id) == (dt.date(2024, 8, 1), dt.date(2024, 11, 1), "X4")
    assert target.date == dt.date(2024, 10, 24)  # on the 3-monthly bloods' day, inside its window


def test_uk_plan_has_the_nice_six_month_continuation_rule():
    p = plan_for(START, drug="baricitinib", indication="ra", protocol="nhs-lanarkshire")
    (nice,) = by_rule(p, "nice_continue_month6")
    assert (nice.date, nice.citation.source.id) == (dt.date(2024, 11, 1), "X12")
    assert "1.4" in nice.citation.section
    assert by_rule(p, "early_response_baricitinib")[0].date == START + dt.timedelta(weeks=4)


def test_the_eu_baricitinib_plan_has_it_too_and_the_old_label_check_is_gone():
    for protocol in ("us-label", "eu-smpc", "nhs-lanarkshire"):
        p = plan_for(START, drug="baricitinib", indication="ra", protocol=protocol)
        assert by_rule(p, "early_response_baricitinib"), protocol
        assert not [u for u in p.protocol.unverified if "2-4 weeks" in u.detail or "2-4 weeks" in u.topic], protocol


def test_other_drugs_say_the_early_point_is_not_verified_instead_of_inventing_one():
    for drug in ("tofacitinib", "upadacitinib", "filgotinib"):
        p = plan_for(START, drug=drug, indication="ra")
        assert not [e for e in p.events if e.rule.startswith("early_response")], drug
        assert any(u.topic == "Early response at 2-4 weeks" for u in p.protocol.unverified), drug
        assert by_rule(p, "t2t_review_week12") and by_rule(p, "target_by_month6"), drug


def test_abrocitinib_ad_early_itch_relief_point():
    for protocol in ("us-label", "eu-smpc"):
        p = plan_for(START, drug="abrocitinib", indication="ad", protocol=protocol)
        (itch,) = by_rule(p, "early_itch_abrocitinib")
        assert itch.kind == "milestone" and itch.date == START + dt.timedelta(weeks=2), protocol
        assert itch.citation.source.id == "X13" and "week 2" in itch.citation.section
        assert "treatment_response" not in itch.checks and "not a reason to stop" in itch.title
