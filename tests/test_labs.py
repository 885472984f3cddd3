"""Lab values: units (conversion and refusals), evaluate_labs against the protocol thresholds, `jakplan labs`."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakplan.catalog.loader import load_protocol
from jakplan.catalog.units import parse_value
from jakplan.engine.labs import evaluate_labs
from jakplan.errors import JakplanError
from jakplan.render.words import note_text

US = load_protocol("baricitinib", "us-label")
NHS = load_protocol("baricitinib", "nhs-lanarkshire")


# ---------------------------------------------------------------- units

@pytest.mark.parametrize("analyte, text, value", [
    ("anc", "0.8", 0.8),
    ("anc", "1200/mm3", 1.2),
    ("anc", "1200 cells/mm3", 1.2),
    ("alc", "600/uL", 0.6),
    ("alc", "600 cells/µL", 0.6),
    ("anc", "1.2x10^9/L", 1.2),
    ("anc", "1.2 x 10^9/L", 1.2),
    ("platelets", "45", 45.0),
    ("platelets", "45000/mm3", 45.0),
    ("platelets", "150 x10^3/uL", 150.0),
    ("hb", "9.5", 9.5),
    ("hb", "95g/L", 9.5),
    ("hb", "95 g/L", 9.5),
    ("hb", "12.6 g/dL", 12.6),
    ("alt_uln", "3.5", 3.5),
    ("alt_uln", "3.5 x ULN", 3.5),
])
def test_units_convert_to_the_canonical_unit(analyte, text, value):
    m = parse_value(analyte, text)
    assert m.value == pytest.approx(value) and m.given == text


@pytest.mark.parametrize("analyte, text, message", [
    ("hb", "95", "--hb '95' = 95 g/dL is impossible for haemoglobin (possible: 1 to 25 g/dL); if you meant g/L, write 95g/L"),
    ("anc", "1200", "--anc '1200' = 1200 10^9/L is impossible for absolute neutrophil count (possible: 0 to 100 10^9/L); "
                    "if you meant /mm3, write 1200/mm3"),
    ("hb", "300 g/L", "= 30 g/dL is impossible for haemoglobin (possible: 1 to 25 g/dL) in any unit jakplan knows"),
    ("hb", "0.5", "impossible for haemoglobin"),
    ("platelets", "9000000", "in any unit jakplan knows"),
    ("anc", "-1", "absolute neutrophil count cannot be negative"),
    ("hb", "9 mmol/L", "unit 'mmol/L' is not one jakplan converts for haemoglobin; use g/dL or g/L"),
    ("anc", "1,200/mm3", "a comma is ambiguous"),
    ("anc", "lots", "is not a number with an optional unit"),
    ("anc", "nan", "is not a number"),
])
def test_impossible_or_unclear_values_are_refused_with_the_reason(analyte, text, message):
    with pytest.raises(JakplanError) as exc:
        parse_value(analyte, text)
    assert message in str(exc.value)


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 100_000, allow_nan=False))
def test_cells_per_mm3_is_a_thousandth_of_10e9_per_litre(x):
    text = f"{x:.3f}/mm3"
    expected = float(f"{x:.3f}") / 1000
    if expected <= 100:
        assert parse_value("anc", text).value == pytest.approx(expected, abs=1e-6)


# ---------------------------------------------------------------- evaluate_labs

def actions(report):
    return [(f.analyte, f.action, f.threshold.id if f.threshold else None) for f in report.findings]


def test_issue_example_baricitinib_interrupt_for_neutrophils():
    r = evaluate_labs(US, {"anc": 0.8, "alc": 0.6, "hb": 9.5})
    assert actions(r) == [("anc", "interrupt", "anc_low"), ("alc", "continue", None), ("hb", "continue", None)]
    assert r.action == "interrupt" and r.resume == ("when neutrophils are back at or above 1.0 x 10^9/L",)
    assert r.findings[0].citation.source.id == "S1" and r.indication == "ra"


@pytest.mark.parametrize("values, action", [
    ({"alc": 0.5, "anc": 1.0, "hb": 8.0}, "ok_to_start"),       # at the limits: start (the label says "<")
    ({"alc": 0.49}, "do_not_start"),
    ({"anc": 0.99}, "do_not_start"),
    ({"hb": 7.9}, "do_not_start"),
])
def test_before_start_thresholds_us_label(values, action):
    assert evaluate_labs(US, values, before_start=True).action == action


def test_covid19_uses_its_own_lower_thresholds():
    r = evaluate_labs(US, {"anc": 0.6, "alc": 0.3, "hb": 7.0}, indication="covid19")
    # RA limits would interrupt; COVID-19 has none for Hb, so Hb is not assessed (never "continue")
    assert [f.action for f in r.findings] == ["continue", "continue", "not_assessed"]
    assert r.action == "not_assessed" and r.not_assessed == ("hb",)
    assert "gives no limit for haemoglobin during treatment in covid19: check the label" in note_text(r.findings[2].notes[0])
    assert evaluate_labs(US, {"alc": 0.19}, indication="covid19").action == "interrupt"


def test_most_severe_action_wins_and_all_crossings_are_listed():
    r = evaluate_labs(NHS, {"alt_uln": 6.0, "anc": 1.5})
    assert actions(r) == [("alt_uln", "stop", "alt_stop"), ("anc", "continue", None)]
    r = evaluate_labs(NHS, {"alt_uln": 6.0}, before_start=True)
    assert actions(r) == [("alt_uln", "do_not_start", "alt_contraindication")]


def test_a_value_without_a_threshold_is_not_assessed():
    r = evaluate_labs(US, {"platelets": 40.0})
    assert r.action == "not_assessed" and r.findings[0].action == "not_assessed"
    assert note_text(r.findings[0].notes[0]) == ("this protocol (baricitinib/us-label) gives no limit for platelets during "
                                      "treatment in ra: check the label")
    # a more severe verdict from another value still leads, and the unassessed value is named
    r = evaluate_labs(US, {"platelets": 40.0, "anc": 0.4})
    assert r.action == "interrupt" and r.not_assessed == ("platelets",)
    assert note_text(r.notes[0]) == "not assessed: check the label for platelets (no limit in this protocol)"
    assert r.findings[0].unassessed == "no_limit" and r.as_dict()["findings"][0]["not_assessed_because"] == "no_limit"


def test_a_drop_rule_needs_its_baseline():
    tofa = load_protocol("tofacitinib", "us-label")
    # Hb 10.1 is above the absolute limit; only the fall from 12.6 (> 2 g/dL) interrupts
    assert evaluate_labs(tofa, {"hb": 10.1}, baseline={"hb": 12.6}).action == "interrupt"
    # without the baseline the fall cannot be checked: not assessed, and the verdict says what is missing
    r = evaluate_labs(tofa, {"hb": 10.1})
    assert r.action == "not_assessed" and r.findings[0].unassessed == "no_baseline"
    from jakplan.render.labs import verdict_line

    assert verdict_line(r) == ("Overall: Not assessed: haemoglobin needs its value before treatment "
                               "(a fall-from-baseline rule could not be checked).")
    # a limit crossed still decides
    assert evaluate_labs(tofa, {"hb": 7.5}).action == "interrupt"


def test_unknown_analyte_and_uncovered_indication():
    with pytest.raises(JakplanError, match="unknown analyte 'crp'"):
        evaluate_labs(US, {"crp": 5.0})
    with pytest.raises(JakplanError, match="does not cover indication 'ad'"):
        evaluate_labs(US, {"anc": 1.0}, indication="ad")


# ---------------------------------------------------------------- the command

def test_cli_json_is_the_library_report(runner, app):
    result = runner.invoke(app, ["labs", "--drug", "baricitinib", "--anc", "0.8", "--alc", "600/mm3", "--hb", "95g/L",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    report = evaluate_labs(US, {"anc": 0.8, "alc": 0.6, "hb": 9.5})
    lib = report.as_dict()  # the engine's codes; the JSON words the notes (render.words.note_text)
    assert {k: v for k, v in got.items() if k not in ("protocol_title", "verdict", "disclaimer")} == {
        **lib, "notes": [note_text(n) for n in report.notes],
        "findings": [{**f, "given": g, "note_codes": f["notes"], "notes": [note_text(n) for n in x.notes]}
                     for f, g, x in zip(lib["findings"], ["0.8", "600/mm3", "95g/L"], report.findings, strict=True)]}
    assert got["verdict"] == "Overall: Interrupt treatment; may resume when neutrophils are back at or above 1.0 x 10^9/L."


def test_cli_table_and_before_start(runner, app):
    result = runner.invoke(app, ["labs", "--hb", "7.5", "--before-start"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "Overall, for the values given: Do not start; may start when haemoglobin is back at or above 8 g/dL." in out
    assert "Not given: lymphocytes, neutrophils (this protocol judges them before the first dose; not judged)." in out
    assert "prescriber's instructions come first" in result.stdout.splitlines()[-1]


@pytest.mark.parametrize("args, message", [
    (["--hb", "95"], "if you meant g/L, write 95g/L"),
    ([], "no lab values given"),
    (["--anc", "1", "--drug", "aspirin"], "unknown drug 'aspirin'"),
    (["--anc", "1", "--indication", "gout"], "unknown indication 'gout'"),
    # the output registry: labs lists only the formats it can produce (fhir is a plan's)
    (["--anc", "1", "--format", "fhir"], "unknown format 'fhir'; known formats: table, markdown, json"),
])
def test_cli_bad_input_is_one_line(runner, app, args, message):
    result = runner.invoke(app, ["labs", *args])
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert err.startswith("Error: ") and message in err and len(err.splitlines()) == 1, err


def test_cli_takes_drug_protocol_and_indication_from_a_profile(runner, app):
    from pathlib import Path

    profile = Path(__file__).resolve().parent.parent / "examples" / "patient.toml"
    result = runner.invoke(app, ["labs", "--profile", str(profile), "--anc", "0.9", "--format", "json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert (got["drug"], got["protocol"], got["indication"], got["action"]) == ("baricitinib", "eu-smpc", "ra", "interrupt")
    assert got["findings"][0]["source"]["id"] == "S11"


@pytest.mark.parametrize("drug", ["baricitinib", "tofacitinib", "upadacitinib", "abrocitinib", "ritlecitinib"])
def test_a_partial_panel_is_never_plain_ok(drug):
    """Issue 17 item 4: one start value of three gave "OK to start" without naming what was not given."""
    import datetime as dt

    from jakplan.api import plan_for
    from jakplan.engine.labs import CALM, evaluate_labs

    plan = plan_for(dt.date(2024, 5, 1), drug)
    full = evaluate_labs(plan.protocol, {}, before_start=True, indication=plan.indication)
    for analyte in full.not_given:
        calm_value = {"anc": 3.0, "alc": 1.5, "hb": 13.0, "platelets": 250.0}.get(analyte)
        if calm_value is None:
            continue
        report = evaluate_labs(plan.protocol, {analyte: calm_value}, before_start=True, indication=plan.indication)
        others = set(full.not_given) - {analyte}
        assert set(report.not_given) == others and not report.complete or not others
        if report.action in CALM and others:
            assert not report.as_dict()["complete"]
