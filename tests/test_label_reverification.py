"""Issue 17 item 6: the open items of the last review, re-verified against label text (docs/clinical-review.md,
"Open items"). Each test holds one encoded figure or wording to the data, so a later edit that drops it fails."""

import datetime as dt

import pytest

from jakplan.api import plan_for
from jakplan.catalog.loader import load_protocol
from jakplan.catalog.requirements import check

START = dt.date(2024, 5, 1)
EU_DHPC_DRUGS = ["abrocitinib", "baricitinib", "filgotinib", "tofacitinib", "upadacitinib"]


def plan(drug, protocol, indication, **factors):
    return plan_for(START, drug=drug, protocol=protocol, indication=indication, factors=factors)


def risk_ids(p):
    return {n.risk.id for n in p.risks}


def status(drug, variant, indication, item):
    return {s.item: s for s in check(load_protocol(drug, variant), indication)}[item]


def test_eu_baricitinib_checks_liver_enzymes_before_the_first_dose():
    # Lilly Medical EU laboratory monitoring table (from SmPC 4.4): transaminases before treatment initiation
    assert status("baricitinib", "eu-smpc", "ra", "liver_baseline") == ("liver_baseline", "encoded", "rule liver_baseline")
    rule = next(r for r in load_protocol("baricitinib", "eu-smpc").rules if r.id == "liver_baseline")
    assert rule.citation.source.id == "S21" and rule.citation.source.grade == "manufacturer"
    p = plan("baricitinib", "eu-smpc", "ad")
    assert any(e.rule == "liver_baseline" and e.date < START for e in p.events)


def test_eu_tofacitinib_uc_maintenance_and_vte():
    proto = load_protocol("tofacitinib", "eu-smpc")
    dose = next(d for d in proto.doses if d.id == "standard_uc")
    assert "then 5 mg twice daily" in dose.dose and "8 more weeks" in dose.dose
    assert "uc_maintenance_10mg_vte" in risk_ids(plan("tofacitinib", "eu-smpc", "uc", clot_history=True))
    assert "uc_maintenance_10mg_vte" not in risk_ids(plan("tofacitinib", "eu-smpc", "uc", clot_history=False))
    assert "uc_maintenance_10mg_vte" not in risk_ids(plan("tofacitinib", "eu-smpc", "ra", clot_history=True))
    # the week-16 stop point now cites the manufacturer's SmPC-derived page, not a patient-site summary
    stop = next(r for r in proto.rules if r.id == "uc_stop_week16")
    assert stop.citation.source.id == "T17"


@pytest.mark.parametrize("drug", EU_DHPC_DRUGS)
def test_every_eu_protocol_of_the_2023_measures_asks_skin_examination_for_all_patients(drug):
    proto = load_protocol(drug, "eu-smpc")
    rule = next(r for r in proto.rules if r.id == "ema_skin_exam")
    assert rule.citation.source.id == "X14" and "all patients" in rule.title and not rule.conditions
    assert not [r.id for r in proto.rules if "skin_exam" in r.checks and r.id != "ema_skin_exam"]  # no at-risk-only rule left
    for ind in proto.indications:
        p = plan(drug, "eu-smpc", ind)  # no skin-cancer risk given: the check is for everyone, before the first dose
        assert any(e.rule == "ema_skin_exam" and e.date < START and "skin_exam" in e.checks for e in p.events)
        assert status(drug, "eu-smpc", ind, "skin_exam") == ("skin_exam", "encoded", "rule ema_skin_exam")


def test_ritlecitinib_us_risk_notes_are_its_own_label():
    proto = load_protocol("ritlecitinib", "us-label")
    by = {r.id: r for r in proto.risks}
    # the boxed warning was borrowed from Olumiant's label (S5); it now cites LITFULO's own (openFDA)
    assert by["boxed_warning"].citation.source.id == "R6"
    assert {"counselling", "mace_smoker", "mace_cardiovascular"} <= set(by)
    assert all(w in by["counselling"].text for w in ("blood clot", "allergic", "live vaccines"))
    assert "mace_smoker" in risk_ids(plan("ritlecitinib", "us-label", "aa", smoker="current"))
    assert "mace_smoker" not in risk_ids(plan("ritlecitinib", "us-label", "aa", smoker="never"))
    assert "mace_cardiovascular" in risk_ids(plan("ritlecitinib", "us-label", "aa", cardiovascular_risk=True))


def test_ritlecitinib_eu_contraindications():
    p = plan("ritlecitinib", "eu-smpc", "aa", hepatic="C")
    assert p.dose.outcome == "contraindicated"
    assert "contraindications" in risk_ids(p)
    assert status("ritlecitinib", "eu-smpc", "aa", "pregnancy").status == "encoded"
    pregnant = plan("ritlecitinib", "eu-smpc", "aa", pregnancy_possible=True)
    assert any(e.rule == "pregnancy" for e in pregnant.events)


def test_deuruxolitinib_says_it_plans_no_blood_test_after_baseline():
    p = plan("deuruxolitinib", "us-label", "aa")
    after = [e for e in p.events if e.date >= START and "cbc_diff" in e.checks]
    assert not after  # no interval was found in any text read: nothing is invented
    topics = {u.topic: u.detail for u, _ in p.unverified}
    assert "plans no blood test after baseline" in topics["Blood counts and lipids after the first dose"]


def test_upadacitinib_uc_extension_is_eu_only():
    eu = {r.id: r for r in load_protocol("upadacitinib", "eu-smpc").rules}
    assert "8 more weeks of 45 mg" in eu["uc_induction_week8"].title and "uc_stop_week16" in eu
    us = {r.id: r for r in load_protocol("upadacitinib", "us-label").rules}
    assert "uc_stop_week16" not in us and "no extended induction" in us["uc_induction_week8"].citation.section
