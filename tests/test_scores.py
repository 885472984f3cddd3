"""Disease-activity scores and response criteria (issue 22): formulas, EULAR boundaries, recording, verdicts.

Worked examples: each formula is checked against values computed by hand from the formula its source prints
(the arithmetic is written out beside each), and against the published extremes (DAS28-CRP's minimum of 0.96,
the ranges of EASI, SALT and the partial Mayo score).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from jakplan.catalog.scores import score_table
from jakplan.catalog.vocab import sources
from jakplan.cli import app
from jakplan.engine.scores import compute, eular_response, score_range
from jakplan.errors import JakplanError

runner = CliRunner()
T = score_table()
EULAR = T.criteria["eular_moderate"]


@pytest.mark.parametrize("score, inputs, expected", [
    # 0.56*sqrt(8) + 0.28*sqrt(5) + 0.70*ln(30) + 0.014*60 = 1.5839 + 0.6261 + 2.3808 + 0.84 = 5.4309
    ("das28esr", {"tjc": 8, "sjc": 5, "esr": 30, "pga": 60}, 5.43),
    # ESR 1 (ln 1 = 0) and nothing else: 0
    ("das28esr", {"tjc": 0, "sjc": 0, "esr": 1, "pga": 0}, 0.0),
    # 0.56*sqrt(28) + 0.28*sqrt(28) + 0.70*ln(150) + 0.014*100 = 2.9632 + 1.4816 + 3.5074 + 1.4 = 9.3523
    ("das28esr", {"tjc": 28, "sjc": 28, "esr": 150, "pga": 100}, 9.35),
    # 1.5839 + 0.6261 + 0.36*ln(13) + 0.84 + 0.96 = 1.5839 + 0.6261 + 0.9234 + 0.84 + 0.96 = 4.9334
    ("das28crp", {"tjc": 8, "sjc": 5, "crp": 12, "pga": 60}, 4.93),
    # the published minimum: 0.96 with every input 0
    ("das28crp", {"tjc": 0, "sjc": 0, "crp": 0, "pga": 0}, 0.96),
    # 0.56*2 + 0.28*1 + 0.36*ln(6) + 0.014*30 + 0.96 = 1.12 + 0.28 + 0.6450 + 0.42 + 0.96 = 3.4250
    ("das28crp", {"tjc": 4, "sjc": 1, "crp": 5, "pga": 30}, 3.43),
    # CDAI = 8 + 5 + 6.0 cm + 4.0 cm
    ("cdai", {"tjc": 8, "sjc": 5, "pga": 60, "ega": 40}, 23.0),
    ("cdai", {"tjc": 28, "sjc": 28, "pga": 100, "ega": 100}, 76.0),
    # SDAI = CDAI + CRP 12 mg/L = 1.2 mg/dL
    ("sdai", {"tjc": 8, "sjc": 5, "pga": 60, "ega": 40, "crp": 12}, 24.2),
    ("sdai", {"tjc": 1, "sjc": 0, "pga": 5, "ega": 5, "crp": 3}, 2.3),
    ("pmayo", {"stool": 2, "bleeding": 1, "mayo_pga": 2}, 5),
    ("pmayo", {"stool": 3, "bleeding": 3, "mayo_pga": 3}, 9),
    ("easi", {"easi": 72}, 72),
    ("easi", {"easi": 12.4}, 12.4),
    ("salt", {"salt": 100}, 100),
    ("salt", {"salt": 20}, 20),     # the AA trials' success threshold, entered as assessed
    ("ppnrs", {"ppnrs": 7}, 7),
    ("ppnrs", {"ppnrs": 0}, 0),
])
def test_formula_worked_examples(score, inputs, expected):
    assert compute(T.scores[score], inputs) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("baseline, current, category", [
    (4.41, 3.2, "good"),        # improvement 1.21 > 1.2 and current <= 3.2
    (4.4, 3.2, "moderate"),     # improvement exactly 1.2 is not > 1.2
    (4.41, 3.21, "moderate"),   # current above 3.2
    (3.8, 3.2, "none"),         # improvement 0.6 is <= 0.6
    (3.81, 3.2, "moderate"),    # improvement 0.61
    (6.3, 5.1, "moderate"),     # improvement 1.2 with current 5.1 (not above 5.1)
    (6.31, 5.11, "none"),       # improvement 1.2 with current above 5.1
    (6.32, 5.11, "moderate"),   # improvement 1.21 with current above 5.1
    (5.0, 5.2, "none"),         # worse
    (7.0, 2.0, "good"),
])
def test_eular_categories_at_every_boundary(baseline, current, category):
    assert eular_response(baseline, current, EULAR)[0] == category


CATS = ("none", "moderate", "good")


@given(st.floats(0.5, 9.5), st.floats(0.5, 9.5), st.floats(0.01, 3))
def test_eular_a_lower_current_score_is_never_a_worse_response(baseline, current, less):
    b, c = round(baseline, 2), round(current, 2)
    lower = round(max(c - less, 0), 2)
    assert CATS.index(eular_response(b, lower, EULAR)[0]) >= CATS.index(eular_response(b, c, EULAR)[0])


def test_every_score_and_criterion_number_has_its_source():
    known = set(sources())
    for s in T.scores.values():
        assert s.source in known and s.section
    for c in T.criteria.values():
        if c.kind != "judged":
            assert c.source in known and c.section and all(math.isfinite(b) for b in c.bounds)


@pytest.mark.parametrize("inputs, why", [
    ({"tjc": 29, "sjc": 5, "crp": 12, "pga": 60}, "out of range"),
    ({"tjc": 2.5, "sjc": 5, "crp": 12, "pga": 60}, "whole number"),
    ({"tjc": 8, "sjc": 5, "crp": 12}, "needs --pga"),
    ({"tjc": 8, "sjc": 5, "crp": 12, "pga": 60, "esr": 20}, "does not use --esr"),
    ({"tjc": 8, "sjc": 5, "crp": -1, "pga": 60}, "out of range"),
    ({"tjc": 8, "sjc": 5, "crp": float("nan"), "pga": 60}, "not a number"),
])
def test_inputs_out_of_range_are_refused(inputs, why):
    with pytest.raises(JakplanError, match=why):
        compute(T.scores["das28crp"], inputs)


def test_every_score_range_holds_its_worked_extremes():
    for s in T.scores.values():
        lo, hi = score_range(s)
        assert lo < hi


# -- recording and verdicts ----------------------------------------------------------------------------------

@pytest.fixture
def planfile(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["init", "--start", "2024-05-01", "--drug", "baricitinib", "--indication", "ra",
                            "--protocol", "nhs-lanarkshire", "--out", "p.toml"])
    assert r.exit_code == 0, r.output
    return tmp_path / "p.toml"


def _record(*args):
    return runner.invoke(app, ["record", "p.toml", *args])


def _responses(today: str) -> tuple[int, dict]:
    r = runner.invoke(app, ["status", "p.toml", "--today", today, "--format", "json"])
    return r.exit_code, {v["rule"]: v for v in json.loads(r.stdout)["responses"]}


def test_baseline_and_month6_das28_give_the_eular_category_and_the_nice_verdict(planfile):
    r = _record("--score", "das28crp", "--tjc", "12", "--sjc", "8", "--crp", "30", "--pga", "70", "--on", "2024-04-24")
    assert r.exit_code == 0, r.output
    r = _record("--score", "DAS28-CRP", "--tjc", "4", "--sjc", "1", "--crp", "5", "--pga", "30", "--on", "2024-10-30")
    assert r.exit_code == 0, r.output
    assert "criterion met" in r.output and "NICE TA466" in r.output
    code, resp = _responses("2024-11-15")
    nice = resp["nice_continue_month6"]
    # baseline 0.56*sqrt(12) + 0.28*sqrt(8) + 0.36*ln(31) + 0.98 + 0.96 = 1.9399 + 0.7920 + 1.2362 + 0.98 + 0.96
    assert nice["baseline"]["value"] == pytest.approx(5.91)
    assert nice["current"]["value"] == pytest.approx(3.43)
    assert (nice["state"], nice["category"], nice["improvement"]) == ("met", "moderate", pytest.approx(2.48))  # 3.43 > 3.2: not good
    assert nice["source"]["id"] == "X12"
    # the score closes the milestone: it is not overdue
    status = json.loads(runner.invoke(app, ["status", "p.toml", "--today", "2024-11-15", "--format", "json"]).stdout)
    assert "nice_continue_month6" not in {i["rule"] for i in status["overdue"]}


def test_a_month6_score_without_a_response_is_not_met_and_leads_the_status(planfile):
    assert _record("--score", "das28esr=5.8", "--on", "2024-04-30").exit_code == 0
    assert _record("--score", "das28esr=5.5", "--on", "2024-11-01").exit_code == 0
    code, resp = _responses("2024-11-02")
    assert resp["nice_continue_month6"]["state"] == "not_met"
    assert resp["nice_continue_month6"]["category"] == "none"
    r = runner.invoke(app, ["status", "p.toml", "--today", "2024-11-02"])
    assert r.exit_code == 1
    assert "response criterion not met" in r.output.splitlines()[1]


def test_a_missing_score_at_a_passed_milestone_is_overdue(planfile):
    code, resp = _responses("2024-12-01")
    assert resp["nice_continue_month6"]["state"] == "missing"
    status = json.loads(runner.invoke(app, ["status", "p.toml", "--today", "2024-12-01", "--format", "json"]).stdout)
    assert "nice_continue_month6" in {i["rule"] for i in status["overdue"]}
    assert "Response review overdue" in runner.invoke(app, ["status", "p.toml", "--today", "2024-12-01"]).output


def test_no_baseline_is_said_not_judged(planfile):
    assert _record("--score", "das28crp=3.0", "--on", "2024-11-01").exit_code == 0
    _, resp = _responses("2024-11-02")
    assert resp["nice_continue_month6"]["state"] == "no_baseline"


@pytest.mark.parametrize("args, why", [
    (["--score", "das28crp", "--tjc", "29", "--sjc", "1", "--crp", "3", "--pga", "10", "--on", "2024-05-01"],
     "out of range"),
    (["--score", "das28crp=12", "--on", "2024-05-01"], "out of range"),
    (["--score", "das28crp=4", "--tjc", "3", "--on", "2024-05-01"], "not both"),
    (["--score", "das28", "--on", "2024-05-01"], "unknown score"),
    (["--tjc", "3", "--on", "2024-05-01"], "give --score"),
    (["--score", "easi=10"], "--on DAY is missing"),
    (["--score", "easi=ten", "--on", "2024-05-01"], "not a number"),
])
def test_bad_scores_are_one_line_and_leave_the_file_untouched(planfile, args, why):
    before = planfile.read_bytes()
    r = _record(*args)
    assert r.exit_code == 2, r.output
    assert why in r.output and len(r.output.strip().splitlines()) == 1
    assert planfile.read_bytes() == before


def test_scores_are_stored_in_the_plan_file_and_undone(planfile):
    assert _record("--score", "cdai", "--tjc", "8", "--sjc", "5", "--pga", "60", "--ega", "40", "--on", "2024-04-28").exit_code == 0
    raw = tomllib.loads(planfile.read_text())
    assert raw["score"][0]["score"] == "cdai" and raw["score"][0]["value"] == 23.0
    assert raw["score"][0]["inputs"] == {"tjc": 8.0, "sjc": 5.0, "pga": 60.0, "ega": 40.0}
    r = runner.invoke(app, ["undo", "p.toml"])
    assert r.exit_code == 0 and "cdai" in r.output
    assert "score" not in tomllib.loads(planfile.read_text())


def test_a_hand_edited_score_that_its_inputs_do_not_give_is_refused(planfile):
    with planfile.open("a") as f:
        f.write('\n[[score]]\non = 2024-04-28\nscore = "cdai"\nvalue = 30\ninputs = { tjc = 8, sjc = 5, pga = 60, ega = 40 }\n')
    r = runner.invoke(app, ["status", "p.toml"])
    assert r.exit_code == 2 and "not what its inputs give (23)" in r.output


def test_a_protocol_names_only_known_scores_and_criteria(tmp_path):
    from jakplan.catalog.loader import load_protocol_file

    bad = tmp_path / "bad.toml"
    bad.write_text(
        'schema = 1\nid = "bad"\ndrug = "baricitinib"\ntitle = "t"\njurisdiction = "x"\nindications = ["ra"]\n'
        '[[rule]]\nid = "m"\nkind = "milestone"\ntitle = "t"\nchecks = ["disease_activity"]\n'
        'timing = { type = "at", at = { months = 6 } }\nresponse = { scores = ["das28"], criterion = "judged" }\n'
        'source = "X12"\n')
    with pytest.raises(JakplanError, match="must list known scores"):
        load_protocol_file(bad)


def test_label_stop_rules_name_the_score_they_expect():
    """Every label 'no benefit by week N' milestone names its score; none invents a number to judge it."""
    from jakplan.api import plan_for

    for drug, ind, proto, rule in [("upadacitinib", "ad", "eu-smpc", "ad_stop_week12"),
                                   ("tofacitinib", "uc", "us-label", "uc_stop_week16"),
                                   ("abrocitinib", "ad", "eu-smpc", "stop_week24")]:
        plan = plan_for(dt.date(2024, 5, 1), drug, ind, proto)
        r = next(x for x in plan.protocol.rules if x.id == rule)
        assert r.response is not None and T.criteria[r.response.criterion].kind == "judged"


def test_next_and_the_checklist_ask_for_the_score_and_next_leads_with_an_unmet_criterion(planfile):
    assert _record("--score", "das28esr=5.8", "--on", "2024-04-30").exit_code == 0
    r = runner.invoke(app, ["next", "p.toml", "--today", "2024-10-28"])
    assert "Response review due (month 6): record DAS28-ESR or DAS28-CRP" in r.output
    assert _record("--score", "das28esr=5.5", "--on", "2024-11-01").exit_code == 0
    r = runner.invoke(app, ["next", "p.toml", "--today", "2024-11-02", "--format", "json"])
    assert r.exit_code == 1
    assert {v["rule"]: v["state"] for v in json.loads(r.stdout)["responses"]}["nice_continue_month6"] == "not_met"


def test_the_review_visit_checklist_carries_the_score_form_and_a_28_joint_chart(planfile):
    from jakplan.api import record_of
    from jakplan.engine.visits import visits
    from jakplan.render.checklist import build_checklist, render_html

    plan = __import__("jakplan.api", fromlist=["plan_for_record"]).plan_for_record(record_of(planfile))
    visit = next(v for v in visits(plan) if any(e.rule == "nice_continue_month6" for e in v.events))
    cl = build_checklist(plan, visit)
    assert cl.form is not None and cl.form.joints
    assert [f.name for f in cl.form.fields] == ["tjc", "sjc", "esr", "pga", "crp"]
    page = render_html(cl)
    assert page.count('<span class="jbox"></span>') == 56  # 14 joints a side, tender and swollen
    other = next(v for v in visits(plan) if not any(e.rule in ("nice_continue_month6", "response_by_week24",
                                                               "target_by_month6") for e in v.events))
    assert build_checklist(plan, other).form is None


def test_fhir_careplan_carries_the_scores_as_observations_linked_to_their_milestone(planfile):
    from fhir.resources.R4B.careplan import CarePlan

    from jakplan.api import record_of, status_for_record
    from jakplan.render.fhir import careplan

    assert _record("--score", "sdai", "--tjc", "10", "--sjc", "6", "--pga", "70", "--ega", "60", "--crp", "20",
                   "--on", "2024-04-28").exit_code == 0
    assert _record("--score", "sdai", "--tjc", "2", "--sjc", "1", "--pga", "20", "--ega", "10", "--crp", "3",
                   "--on", "2024-10-20").exit_code == 0
    st = status_for_record(record_of(planfile), dt.date(2024, 11, 20))
    cp = careplan(st.plan, "p", st)
    CarePlan.model_validate(cp)  # R4B: contained resources are referenced, codes well formed
    obs = [c for c in cp["contained"] if c["resourceType"] == "Observation"]
    assert obs and obs[0]["code"]["coding"][0]["code"] == "75845-8"  # SDAI total score (loinc.org)
    assert obs[0]["valueQuantity"]["value"] == 6.3  # 2 + 1 + 2.0 + 1.0 + 0.3
    linked = {r["reference"] for a in cp["activity"] for r in a.get("outcomeReference", [])}
    assert {f"#{o['id']}" for o in obs} == linked


def test_the_worklist_lists_a_patient_whose_month6_criterion_is_not_met(planfile):
    import csv
    import io

    assert _record("--score", "das28esr=5.8", "--on", "2024-04-30").exit_code == 0
    assert _record("--score", "das28esr=5.5", "--on", "2024-11-01").exit_code == 0
    r = runner.invoke(app, ["cohort", "due", ".", "--week", "2024-11-04", "--today", "2024-11-05", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    resp = [x for x in rows if x["kind"] == "response"]
    assert len(resp) == 1 and resp[0]["patient"] == "p" and "response criterion not met" in resp[0]["check"]
    kinds = [x["kind"] for x in rows]
    assert kinds.index("response") < min((kinds.index(k) for k in ("overdue", "due") if k in kinds), default=99)


def test_the_audit_counts_milestones_with_a_score_recorded(planfile):
    assert _record("--score", "das28esr=5.8", "--on", "2024-04-30").exit_code == 0
    assert _record("--score", "das28esr=4.0", "--on", "2024-11-01").exit_code == 0
    r = runner.invoke(app, ["cohort", "audit", ".", "--from", "2024-05-01", "--to", "2024-12-31", "--format", "json"])
    checks = {c["rule"]: c for c in json.loads(r.stdout)["checks"]}
    assert checks["nice_continue_month6"]["with_score"] == 1
    assert checks["response_by_week24"]["with_score"] == 1  # recorded after its window closed: late, but recorded
    assert checks["bloods_week4"]["with_score"] is None  # expects no score


@pytest.mark.system  # matplotlib
def test_trend_plots_each_recorded_score_with_the_criterion_bounds(planfile):
    import xml.etree.ElementTree as ET

    assert _record("--score", "das28crp=5.6", "--on", "2024-04-28").exit_code == 0
    assert _record("--score", "das28crp=3.0", "--on", "2024-11-01").exit_code == 0
    r = runner.invoke(app, ["trend", "p.toml", "--out", "t.html"])
    assert r.exit_code == 0, r.output
    page = (planfile.parent / "t.html").read_text()
    sec = page[page.index('<section id="score-das28crp">'):]
    svg = sec[sec.index("<svg"):sec.index("</svg>") + 6]
    root = ET.fromstring(svg)
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert "score-das28crp" in ids and "criterion-eular_moderate" in ids
    assert "3.2: a good EULAR response" in svg and "[SC2]" in svg
