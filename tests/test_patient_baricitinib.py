"""Baricitinib for the patient in front of you: dose, conditional rules, risk notes and the COVID-19 course,
checked against ../shared/reference/jak-monitoring-facts.md section 1 (figures and sources)."""

import datetime as dt

import pytest

from jakplan.api import plan_for
from jakplan.catalog.loader import load_protocol
from jakplan.engine.plan import build_plan
from jakplan.model import Patient

START = dt.date(2024, 5, 1)


def plan(indication="ra", protocol=None, **factors):
    return plan_for(START, indication=indication, protocol=protocol, factors=factors)


def verdict(p):
    d = p.dose
    return d.outcome, d.dose, sorted((r.entry.id, r.entry.citation.source.id) for r in d.reasons)


def rules(p):
    return {e.rule for e in p.events}


# ---------------------------------------------------------------- doses (US label)

def test_us_ra_standard_dose_is_2mg():
    assert verdict(plan(egfr=90, hepatic="none", **{"with": []})) == ("standard", "2 mg once daily", [("ra_standard", "S1")])


@pytest.mark.parametrize("egfr, expected", [
    (60, ("check", "2 mg once daily", [("ra_standard", "S1")])),  # hepatic class and medicines not given
    (59, ("adjusted", "1 mg once daily", [("ra_renal_moderate", "S7")])),
    (30, ("adjusted", "1 mg once daily", [("ra_renal_moderate", "S7")])),
    (29, ("not_recommended", "", [("renal_severe", "S7")])),
])
def test_us_ra_renal_bands(egfr, expected):
    assert verdict(plan(egfr=egfr)) == expected


def test_us_ra_probenecid_halves_to_1mg():
    assert verdict(plan(**{"with": ["probenecid"]})) == ("adjusted", "1 mg once daily", [("ra_oat3", "S7")])


def test_us_severe_hepatic_impairment_not_recommended():
    p = plan(hepatic="C", egfr=45)
    assert verdict(p) == ("not_recommended", "", [("hepatic_severe", "S7")])


def test_unknown_factors_are_listed_as_possible_changes():
    p = plan()
    assert p.dose.outcome == "check"
    assert {dl.entry.id for dl in p.dose.possible} == {"ra_renal_moderate", "ra_oat3", "renal_severe", "hepatic_severe",
                                                       "ra_immunosuppressive_combination"}


def test_us_aa_kidney_dose_says_check_the_label_instead_of_a_number():
    p = plan("aa", egfr=45)
    assert p.dose.outcome == "check_label" and p.dose.dose == ""
    assert [u.topic for u in p.dose.check_label] == ["Kidney dosing in alopecia areata"]
    assert plan("aa", egfr=90).dose.dose.startswith("2 mg once daily; 4 mg if the response is inadequate")
    assert plan("aa", egfr=20).dose.outcome == "check_label"  # the AA renal row is UNVERIFIED, < 30 included
    assert plan("ra", egfr=20).dose.outcome == "not_recommended"


# ---------------------------------------------------------------- doses (EU SmPC, NHS Lanarkshire)

def test_eu_ra_standard_4mg_and_2mg_for_age_65():
    assert verdict(plan(protocol="eu-smpc", age=64))[:2] == ("check", "4 mg once daily (2 mg may be used to taper once disease is controlled)")
    out, dose, reasons = verdict(plan(protocol="eu-smpc", age=65))
    assert (out, reasons) == ("adjusted", [("age_65", "S8")]) and dose.startswith("2 mg once daily")


@pytest.mark.parametrize("crcl, outcome", [(61, "check"), (60, "adjusted"), (30, "adjusted"), (29, "not_recommended")])
def test_eu_ra_renal_uses_creatinine_clearance(crcl, outcome):
    p = plan(protocol="eu-smpc", crcl=crcl)
    assert p.dose.outcome == outcome
    if outcome == "adjusted":
        assert p.dose.dose == "2 mg once daily" and p.dose.reasons[0].entry.citation.section == "EU SmPC 4.2 (renal impairment)"


def test_eu_egfr_alone_does_not_stand_in_for_creatinine_clearance():
    p = plan(protocol="eu-smpc", egfr=45)
    assert p.dose.outcome == "check" and "crcl" in p.dose.missing
    assert "ra_renal_moderate" in {dl.entry.id for dl in p.dose.possible}


def test_eu_several_risk_factors_all_listed_same_dose():
    p = plan(protocol="eu-smpc", age=70, smoker="current", cardiovascular_risk=True)
    assert p.dose.outcome == "adjusted" and not p.dose.conflict
    assert {r.entry.id for r in p.dose.reasons} == {"age_65", "risk_smoker", "risk_mace"}


def test_eu_children_by_weight():
    assert plan("jia", age=10, weight=32).dose.dose.startswith("4 mg once daily")
    assert plan("jia", age=10, weight=20).dose.dose.startswith("2 mg once daily")
    assert plan("jia").dose.outcome == "unknown"  # age and weight not given: no number


def test_ad_and_jia_default_to_the_eu_protocol():
    assert plan("ad").protocol.id == "eu-smpc"
    p = plan("ad", age=30)
    assert p.dose.dose == "4 mg once daily (adults)"
    (stop,) = [e for e in p.events if e.rule == "ad_stop_week8"]
    assert stop.kind == "milestone" and stop.date == START + dt.timedelta(weeks=8)


def test_nhs_lanarkshire_2mg_over_75():
    p = plan(protocol="nhs-lanarkshire", age=76)
    # the page's own 'over 75' step and the MHRA April 2023 reconciliation (65 and over) both apply
    assert verdict(p) == ("adjusted", "2 mg once daily", [("age_65_mhra", "S8"), ("age_over_75", "S13")])
    assert plan(protocol="nhs-lanarkshire", age=64).dose.outcome == "check"


# ---------------------------------------------------------------- rules for this patient only

def test_hbv_dna_only_for_core_antibody_positive_and_rides_on_lab_visits():
    assert "hbv_dna_monitoring" not in rules(plan())
    assert "hbv_dna_monitoring" not in rules(plan(hbv_core_antibody="negative"))
    p = plan(hbv_core_antibody="positive")
    lab_days = sorted({e.date for e in p.events if e.kind == "lab" and e.rule != "hbv_dna_monitoring"})
    assert [e.date for e in p.events if e.rule == "hbv_dna_monitoring"] == lab_days
    assert {e.citation.source.id for e in p.events if e.rule == "hbv_dna_monitoring"} == {"S3"}


def test_contraception_advice_only_if_pregnancy_possible():
    assert "contraception" not in rules(plan(pregnancy_possible=False))
    (c,) = [e for e in plan(pregnancy_possible=True).events if e.rule == "contraception"]
    assert "1 week after the last dose" in c.title and c.citation.source.id == "S13" and c.kind == "screening"


def test_skin_exam_for_skin_cancer_risk():
    # US label: the skin examination is for patients at increased risk of skin cancer
    assert "skin_exam_baseline" in rules(plan(skin_cancer_risk=True))
    assert "skin_exam_baseline" not in rules(plan())
    # EU: for every patient since the 2023 measures (DHPC, X14), particularly those at risk
    assert "ema_skin_exam" in rules(plan(protocol="eu-smpc")) and "skin_exam_baseline" not in rules(plan(protocol="eu-smpc"))


def test_born_gives_the_age_at_the_start_date():
    p = plan_for(START, protocol="nhs-lanarkshire", factors={"born": dt.date(1948, 5, 2)})
    assert p.patient.factors["age"] == 75  # one day short of 76 at the start
    assert "zoster_vaccine_over_50" in rules(p)


# ---------------------------------------------------------------- risk notes

def risk_ids(p, sure=True):
    return {rn.risk.id for rn in p.risks if bool(rn.open_conditions) != sure}


def test_us_boxed_warning_notes_follow_the_profile():
    assert risk_ids(plan(age=40, smoker="never", cardiovascular_risk=True)) == {"boxed_warning"}
    assert risk_ids(plan(age=55, smoker="past", cardiovascular_risk=True)) == {"boxed_warning", "boxed_age50_cv", "boxed_smoker"}
    assert {"boxed_age50_cv", "boxed_smoker"} <= risk_ids(plan(), sure=False)


def test_eu_ema_2023_notes():
    p = plan(protocol="eu-smpc", age=70, smoker="never", cardiovascular_risk=False, cancer_history=False, clot_history=True)
    assert risk_ids(p) == {"ema_age65", "ema_vte"}
    assert {rn.risk.citation.source.id for rn in p.risks if not rn.open_conditions} == {"X1"}


# ---------------------------------------------------------------- COVID-19

def test_covid19_course_is_14_days_without_latent_tb_test():
    p = plan("covid19")
    assert p.course_end == dt.date(2024, 5, 14)
    assert "tb_screening" not in rules(p)
    assert "tb_active_covid19" in rules(p)  # no latent-TB test, but active TB is still evaluated
    assert all(e.date <= p.course_end for e in p.events)
    (end,) = [e for e in p.events if e.rule == "covid19_course"]
    assert end.kind == "milestone" and end.relative == "day 14 (last day)" and end.citation.source.id == "S4"
    assert not [e for e in p.events if e.kind == "lab"]  # no RA cadence in hospital
    assert {"baseline_blood_count_covid19", "baseline_liver_kidney_covid19"} <= rules(p)


@pytest.mark.parametrize("egfr, outcome, dose", [
    (60, "check", "4 mg once daily for 14 days or until hospital discharge, whichever comes first"),
    (59, "adjusted", "2 mg once daily"),
    (30, "adjusted", "2 mg once daily"),
    (29, "adjusted", "1 mg once daily"),
    (15, "adjusted", "1 mg once daily"),
    (14, "not_recommended", ""),
])
def test_covid19_renal_dosing(egfr, outcome, dose):
    p = plan("covid19", egfr=egfr)
    assert (p.dose.outcome, p.dose.dose) == (outcome, dose)
    if outcome not in ("standard", "check"):
        assert p.dose.reasons[0].entry.citation.source.id == "S12"


def test_covid19_thresholds_are_its_own():
    proto = load_protocol("baricitinib", "us-label")
    covid = {(t.analyte, t.value) for t in proto.thresholds if "covid19" in t.indications}
    ra = {(t.analyte, t.value) for t in proto.thresholds if "ra" in t.indications}
    assert covid == {("alc", 0.2), ("anc", 0.5)}
    assert ra == {("alc", 0.5), ("anc", 1.0), ("hb", 8.0)}


def test_build_plan_with_a_plain_patient_still_works():
    p = build_plan(load_protocol("baricitinib", "us-label"), Patient("ra"), START)
    assert p.dose.dose == "2 mg once daily" and p.end == dt.date(2025, 5, 1)
