"""Fail closed (issue 10, item 1): a value the protocol gives no limit for is `not_assessed`, and the overall
verdict is never continue / ok_to_start while any given value was not assessed - over every shipped protocol x
indication x analyte x phase, in the engine, in `jakplan labs`, in `status`/`record` and in checklists."""

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakplan.api import plan_for
from jakplan.catalog.loader import load_protocol
from jakplan.catalog.vocab import drugs, shipped_protocols, vocabulary
from jakplan.engine.labs import CALM, evaluate_labs, thresholds_for
from jakplan.engine.visits import visits
from jakplan.render.checklist import build_checklist
from jakplan.render.words import note_text

PROTOS = [load_protocol(d, p) for d in drugs() for p in shipped_protocols(d)]
CASES = [(proto, ind) for proto in PROTOS for ind in proto.indications]
ANALYTES = sorted(a for a in vocabulary()["analytes"])


def limited(proto, ind, analyte, before, has_baseline):
    """Independently of the engine: does the protocol give a usable limit for this value?"""
    phase = "before_start" if before else "during"
    return any(t.analyte == analyte and getattr(t, phase) and (t.comparison != "drop" or has_baseline)
               for t in thresholds_for(proto, ind))


def fully_checkable(proto, ind, analyte, before, has_baseline):
    """Every limit the protocol gives for this value can be checked (no fall-from-baseline rule without a baseline)."""
    phase = "before_start" if before else "during"
    return all(t.comparison != "drop" or has_baseline for t in thresholds_for(proto, ind)
               if t.analyte == analyte and getattr(t, phase))


def plausible_value(analyte):
    lo, hi = vocabulary()["analytes"][analyte].get("plausible", [0, 1000])
    return st.floats(float(lo), float(hi), allow_nan=False)


@st.composite
def lab_cases(draw):
    proto, ind = draw(st.sampled_from(CASES))
    names = draw(st.lists(st.sampled_from(ANALYTES), min_size=1, max_size=4, unique=True))
    values = {a: draw(plausible_value(a)) for a in names}
    baseline = {a: draw(plausible_value(a)) for a in names if draw(st.booleans())}
    return proto, ind, values, baseline, draw(st.booleans())


@settings(max_examples=400, deadline=None)
@given(case=lab_cases())
def test_no_verdict_is_calm_when_a_given_value_has_no_threshold(case):
    proto, ind, values, baseline, before = case
    r = evaluate_labs(proto, values, before_start=before, baseline=None if before else baseline, indication=ind)
    has_base = lambda a: (not before) and a in baseline  # noqa: E731
    missing = [a for a in values if not limited(proto, ind, a, before, has_base(a))]
    partial = [a for a in values if a not in missing and not fully_checkable(proto, ind, a, before, has_base(a))]
    for f in r.findings:
        if f.analyte in missing:
            assert f.action == "not_assessed" and f.threshold is None
        elif f.analyte in partial:  # a limit crossed decides; else the unchecked fall keeps it from being calm
            assert f.action not in CALM
        else:
            assert f.action != "not_assessed"
    assert set(missing) <= set(r.not_assessed) <= set(missing) | set(partial)
    missing = list(r.not_assessed)
    if missing:
        assert r.action not in CALM
        if r.action != "not_assessed":  # a more severe verdict leads; the gap is still named
            assert any(n.code == "not_assessed" for n in r.notes)


@pytest.mark.parametrize("proto, ind", CASES, ids=[f"{p.drug}/{p.id}/{i}" for p, i in CASES])
def test_every_protocol_indication_analyte_and_phase(proto, ind):
    """The exhaustive version: each analyte alone, in each phase, at a middling value."""
    for analyte in ANALYTES:
        for before in (True, False):
            r = evaluate_labs(proto, {analyte: 1.0}, before_start=before, indication=ind)
            if not limited(proto, ind, analyte, before, False):
                assert r.action == "not_assessed", (analyte, before)
                assert "check the label" in note_text(r.findings[0].notes[0])


def test_labs_command_platelets_5_is_not_continue(runner, app):
    res = runner.invoke(app, ["labs", "--platelets", "5", "--alt", "400", "--format", "json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got["action"] == "not_assessed" and got["not_assessed"] == ["platelets", "alt_uln"]
    assert got["verdict"].startswith("Overall: Not assessed: check the label for platelets, ALT/AST")
    assert [f["action"] for f in got["findings"]] == ["not_assessed", "not_assessed"]


def test_status_lists_an_unassessed_record(runner, app, tmp_path):
    pf = tmp_path / "p.toml"
    assert runner.invoke(app, ["init", "--start", "2024-05-01", "--out", str(pf)]).exit_code == 0
    res = runner.invoke(app, ["record", str(pf), "--lab", "platelets=40", "--on", "2024-06-01"])
    assert res.exit_code == 0, res.output
    line = next(x for x in res.stdout.splitlines() if x.startswith("Not assessed"))
    assert "platelets" in line and "gives no limit" in line
    assert "No limit of the protocol is crossed by these values" not in res.stdout  # absence is not "fine"
    res = runner.invoke(app, ["status", str(pf), "--today", "2024-06-02", "--format", "json"])
    got = json.loads(res.stdout)
    assert got["lab_actions"] == [] and got["not_assessed"] == ["platelets"]  # one line of analytes, not values


def test_checklist_names_tests_without_limits():
    plan = plan_for(dt.date(2024, 5, 1))  # baricitinib us-label: no platelet or liver limits during treatment
    for v in visits(plan):
        cl = build_checklist(plan, v)
        tests = {i.text for s in cl.sections if s.key == "tests" for i in s.items}
        limits = [i.text for s in cl.sections if s.key == "thresholds" for i in s.items]
        if any("Liver enzymes" in t for t in tests):
            assert any(t.startswith("Not assessed: ") and "ALT/AST" in t for t in limits)
