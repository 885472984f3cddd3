"""Properties over any patient, drug, protocol and indication (hypothesis): the plan always builds, the dose
verdict is backed by entries that really apply, a fixed course bounds the plan, and lower blood counts never
get a milder lab verdict."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from jakplan.catalog.loader import load_protocol
from jakplan.catalog.vocab import drugs, factor_values, shipped_protocols
from jakplan.engine.conditions import check_condition
from jakplan.engine.labs import evaluate_labs, severity
from jakplan.engine.plan import build_plan
from jakplan.model import DOSE_OUTCOMES, Patient

PROTOS = [load_protocol(d, p) for d in drugs() for p in shipped_protocols(d)]
CASES = [(proto, ind) for proto in PROTOS for ind in proto.indications]
MEDS = factor_values("with")

maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
factors = st.fixed_dictionaries({
    "age": maybe(st.integers(0, 110)),
    "weight": maybe(st.floats(5, 200)),
    "egfr": maybe(st.floats(0, 150)),
    "crcl": maybe(st.floats(0, 150)),
    "hepatic": maybe(st.sampled_from(["none", "A", "B", "C"])),
    "with": maybe(st.lists(st.sampled_from(MEDS), max_size=3, unique=True)),
    "cyp2c9": maybe(st.sampled_from(["normal", "intermediate", "poor"])),
    "smoker": maybe(st.sampled_from(["never", "past", "current"])),
    "cardiovascular_risk": maybe(st.booleans()),
    "cancer_history": maybe(st.booleans()),
    "clot_history": maybe(st.booleans()),
    "skin_cancer_risk": maybe(st.booleans()),
    "recurrent_infections": maybe(st.booleans()),
    "hbv_core_antibody": maybe(st.sampled_from(["positive", "negative"])),
    "high_tb_risk": maybe(st.booleans()),
    "pregnancy_possible": maybe(st.booleans()),
}).map(lambda d: {k: v for k, v in d.items() if v is not None})


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(CASES), facts=factors, start=st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)))
def test_any_patient_gets_a_plan_with_a_backed_dose_verdict(case, facts, start):
    proto, ind = case
    plan = build_plan(proto, Patient(ind, facts), start, 12)
    d = plan.dose
    assert d.outcome in DOSE_OUTCOMES + ("check", "check_label", "unknown")
    if d.outcome == "standard":  # fail closed: standard only when every input the label doses by is known
        assert not d.missing, (d.missing, facts)
    for line in d.reasons:  # every reason really applies to this patient
        e = line.entry
        assert not e.indications or ind in e.indications
        assert all(check_condition(c, facts) for c in e.conditions), (e.id, facts)
    if d.outcome in ("not_recommended", "contraindicated"):
        assert d.reasons and d.dose == "" and all(r.entry.outcome == d.outcome for r in d.reasons)
    if d.outcome == "check_label":
        assert d.check_label and d.dose == ""
    if d.outcome in ("standard", "adjusted", "check"):
        assert d.dose
    for rn in plan.risks:
        if not rn.open_conditions:
            assert all(check_condition(c, facts) for c in rn.risk.conditions)
    if plan.course_end:
        assert all(e.date <= plan.course_end for e in plan.events)
    for e in plan.events:  # a rule skipped when its factor is unknown never shows up with an open condition
        rule = next((r for r in proto.rules if r.id == e.rule), None)
        if rule is not None and rule.if_unknown == "skip":
            assert not e.conditions


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(CASES), analyte=st.sampled_from(["anc", "alc", "platelets"]),
       a=st.floats(0, 20), b=st.floats(0, 20), before=st.booleans())
def test_a_lower_count_never_gets_a_milder_verdict(case, analyte, a, b, before):
    proto, ind = case
    lo, hi = sorted((a, b))
    r_lo = evaluate_labs(proto, {analyte: lo}, before_start=before, indication=ind)
    r_hi = evaluate_labs(proto, {analyte: hi}, before_start=before, indication=ind)
    assert severity(r_lo.action) >= severity(r_hi.action)
