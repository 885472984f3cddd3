"""Bounded lab inputs (issue 20 items 3 and 6).

- A zero that is no result (creatinine, platelets, cholesterol, ALT/AST x ULN, ...) is refused on every lab door
  (labs options, record --lab, plan files, CSV/FHIR/HL7 imports), naming the analyte's plausible range; the lower
  bound and whether it is exclusive come from the vocabulary (data), not from code.
- FHIR files: nesting and number size are bounded (one line, no RecursionError/ValueError, never exit 70).
- HL7: one message is bounded in size (one line naming the message; the others are read).
- A plan file or clinic.toml holding a 5,000-digit integer is one line, not an internal error.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from support import PLAN

from jakplan.catalog.units import is_plausible, low_exclusive, plausible, plausible_text
from jakplan.catalog.vocab import vocabulary
from jakplan.errors import JakplanError
from jakplan.records.labimport import MAX_HL7_MESSAGE, MAX_JSON_DEPTH, import_csv, import_fhir, import_hl7
from jakplan.records.labvalues import lab_value

TODAY = dt.date(2025, 1, 1)
ANALYTES = sorted(vocabulary()["analytes"])
EXCLUSIVE = [a for a in ANALYTES if low_exclusive(a)]
INCLUSIVE = [a for a in ANALYTES if not low_exclusive(a)]


def test_the_data_says_which_zeros_are_no_result():
    """The vocabulary's ranges, as reviewed: a zero count of neutrophils or lymphocytes is reported (agranulo-
    cytosis, profound lymphopenia); a zero creatinine, platelet count, lipid, eGFR or ALT is not a result."""
    assert {"creatinine", "platelets", "cholesterol", "alt_uln", "ldl", "hdl", "triglycerides", "egfr",
            "crcl"} <= set(EXCLUSIVE)
    assert {"anc", "alc"} <= set(INCLUSIVE)
    for a in ANALYTES:
        assert vocabulary()["analytes"][a].get("plausible_low", "inclusive") in ("inclusive", "exclusive")


@pytest.mark.parametrize("analyte", ANALYTES)
def test_the_lower_bound_is_the_data_table(analyte):
    lo, hi = plausible(analyte)
    assert is_plausible(analyte, lo) is not low_exclusive(analyte)
    assert is_plausible(analyte, hi) and not is_plausible(analyte, hi * 1.01 + 1)
    assert not is_plausible(analyte, lo - 1)
    if low_exclusive(analyte):
        with pytest.raises(JakplanError) as exc:
            lab_value(analyte, lo, where="here")
        assert plausible_text(analyte) in str(exc.value) and "above" in str(exc.value)
    else:
        assert lab_value(analyte, lo) == lo


def test_a_changed_data_table_changes_the_bound(monkeypatch):
    """No bound is in the code: make anc's lower bound exclusive in the data and 0 is refused."""
    vocab = vocabulary()
    patched = dict(vocab, analytes=dict(vocab["analytes"], anc={**vocab["analytes"]["anc"], "plausible_low": "exclusive"}))
    import jakplan.catalog.units as units

    monkeypatch.setattr(units, "vocabulary", lambda: patched)
    assert not units.is_plausible("anc", 0.0) and units.is_plausible("anc", 0.01)


# -- every door -----------------------------------------------------------------------------------------------

ZERO_OPTIONS = [("--platelets", "platelets"), ("--alt", "alt/ast")]


@pytest.mark.parametrize("opt, word", ZERO_OPTIONS)
def test_labs_options_refuse_a_zero_that_is_no_result(runner, app, opt, word):
    result = runner.invoke(app, ["labs", opt, "0"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "impossible" in lines[0] and "possible: above 0" in lines[0] and word in lines[0]


@pytest.mark.parametrize("item", ["creatinine=0", "platelets=0", "cholesterol=0", "alt=0", "ldl=0", "hdl=0",
                                  "triglycerides=0", "egfr=0", "crcl=0", "platelets=0/mm3", "creatinine=0mg/dL"])
def test_record_refuses_a_zero_that_is_no_result(runner, app, tmp_path, item):
    pf = tmp_path / "anna.toml"
    pf.write_text(PLAN)
    result = runner.invoke(app, ["record", str(pf), "--lab", item, "--on", "2024-06-01"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "possible: above 0, up to" in lines[0], lines
    assert pf.read_text() == PLAN


def test_record_keeps_a_zero_neutrophil_count(runner, app, tmp_path):
    pf = tmp_path / "anna.toml"
    pf.write_text(PLAN)
    result = runner.invoke(app, ["record", str(pf), "--lab", "anc=0", "--on", "2024-06-01"])
    assert result.exit_code in (0, 1), result.output  # judged (a neutrophil count of 0 needs action)
    assert "anc = 0" in pf.read_text()


def test_a_plan_file_with_a_zero_platelet_count_is_one_line(runner, app, tmp_path):
    pf = tmp_path / "anna.toml"
    pf.write_text(PLAN + "\n[[lab]]\non = 2024-06-01\nplatelets = 0\n")
    result = runner.invoke(app, ["status", str(pf), "--today", "2024-07-01"])
    assert result.exit_code == 2, result.output
    assert "platelets" in result.stderr and "above 0" in result.stderr


def test_csv_rows_with_a_zero_are_refused_naming_the_range():
    text = ("patient,date,analyte,value,unit,uln\n"
            "p1,2024-06-01,creatinine,0,umol/L,\np1,2024-06-01,platelets,0,10^9/L,\n"
            "p1,2024-06-01,cholesterol,0,mmol/L,\np1,2024-06-01,alt,0,U/L,40\np1,2024-06-01,anc,0,10^9/L,\n")
    res = import_csv("z.csv", TODAY, text=text)
    assert [(r.analyte, r.value) for r in res.records] == [("anc", 0.0)]
    assert len(res.errors) == 4 and all("possible: above 0, up to" in e for e in res.errors), res.errors


def _obs(code: str, value: float, unit: str, rng: dict | None = None) -> dict:
    obs = {"resourceType": "Observation", "status": "final",
           "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
           "subject": {"identifier": {"value": "p1"}}, "effectiveDateTime": "2024-06-01",
           "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}
    if rng:
        obs["referenceRange"] = [rng]
    return {"resource": obs}


def test_fhir_observations_with_a_zero_are_refused_naming_the_range():
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        _obs("777-3", 0, "10*9/L"), _obs("14682-9", 0, "umol/L"), _obs("14647-2", 0, "mmol/L"),
        _obs("1742-6", 0, "U/L", {"high": {"value": 40, "unit": "U/L"}}), _obs("751-8", 0, "10*9/L")]}
    res = import_fhir("z.json", TODAY, text=json.dumps(bundle))
    assert [(r.analyte, r.value) for r in res.records] == [("anc", 0.0)]
    assert len(res.errors) == 4 and all("possible: above 0, up to" in e for e in res.errors), res.errors


MSH = "MSH|^~\\&|LAB|CITYLAB|JAKPLAN|CLINIC|202407291130||ORU^R01|M1|P|2.5.1"


def test_hl7_results_with_a_zero_are_refused_naming_the_range():
    text = "\r".join([MSH, "PID|1||p1", "OBR|1|||x|||20240601",
                      "OBX|1|NM|777-3^Platelets^LN||0|10*9/L|||||F", "OBX|2|NM|14682-9^Creat^LN||0|umol/L|||||F",
                      "OBX|3|NM|1742-6^ALT^LN||0|U/L|0-40||||F", "OBX|4|NM|751-8^Neut^LN||0|10*9/L|||||F"]) + "\r"
    res = import_hl7("z.hl7", TODAY, text=text)
    assert [(r.analyte, r.value) for r in res.records] == [("anc", 0.0)]
    assert len(res.errors) == 3 and all("possible: above 0, up to" in e for e in res.errors), res.errors


# -- bounded files -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, words", [
    ('{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ('{"resourceType": "Bundle", "entry": ' + "[" * (MAX_JSON_DEPTH + 5) + "]" * (MAX_JSON_DEPTH + 5) + "}",
     "nested too deeply"),
    ('{"resourceType": "Bundle", "entry": [], "x": ' + "9" * 5000 + "}", "5000 characters"),
    ('{"resourceType": "Bundle", "entry": [], "x": 1.' + "0" * 5000 + "}", "characters"),
    ('{"resourceType": "Bundle", "entry": [], "x": -' + "9" * 5000 + "}", "characters"),
])
def test_fhir_depth_and_number_size_are_bounded(text, words):
    res = import_fhir("b.json", TODAY, text=text)
    assert res.fatal and len(res.errors) == 1 and words in res.errors[0], res.errors


def test_a_fhir_value_of_5000_digits_in_the_cli_is_one_line(runner, app, tmp_path):
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    (clinic / "p1.toml").write_text(PLAN)
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [_obs("751-8", 1.5, "10*9/L")]}
    text = json.dumps(bundle).replace("1.5", "9" * 5000)
    (tmp_path / "big.json").write_text(text)
    (tmp_path / "deep.json").write_text('{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}")
    for name in ("big.json", "deep.json"):
        result = runner.invoke(app, ["cohort", "labs", "import", str(tmp_path / name), "--into", str(clinic),
                                     "--today", "2024-08-01"])
        assert result.exit_code == 2, result.output
        assert "internal error" not in result.output and "Traceback" not in result.output
        errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error:")]
        assert len(errors) == 1 and name in errors[0], result.stderr
    assert (clinic / "p1.toml").read_text() == PLAN


def test_an_hl7_message_larger_than_the_bound_is_refused_and_the_others_read():
    obx = "OBX|1|NM|718-7^Hb^LN||13|g/dL|||||F|||20240601"
    big = [MSH, "PID|1||p1"] + [obx] * (MAX_HL7_MESSAGE // len(obx) + 10)
    small = [MSH, "PID|1||p2", obx]
    res = import_hl7("m.hl7", TODAY, text="\r".join(big + small) + "\r")
    assert [(r.patient_id, r.analyte) for r in res.records] == [("p2", "hb")]
    assert len(res.errors) == 1 and res.errors[0].startswith("m.hl7 message 1: ") and "KiB" in res.errors[0]


def test_a_5000_digit_integer_in_a_plan_file_or_clinic_toml_is_one_line(runner, app, tmp_path):
    pf = tmp_path / "anna.toml"
    pf.write_text(PLAN + "\n[[lab]]\non = 2024-06-01\nanc = " + "9" * 5000 + "\n")
    result = runner.invoke(app, ["status", str(pf), "--today", "2024-07-01"])
    assert result.exit_code == 2 and "internal error" not in result.output, result.output
    assert "not valid TOML" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    (clinic / "p1.toml").write_text(PLAN)
    (clinic / "clinic.toml").write_text("x = " + "9" * 5000 + "\n")
    (tmp_path / "l.csv").write_text("patient,date,analyte,value,unit\np1,2024-06-01,anc,1.5,10^9/L\n")
    result = runner.invoke(app, ["cohort", "labs", "import", str(tmp_path / "l.csv"), "--into", str(clinic),
                                 "--today", "2024-08-01"])
    assert result.exit_code == 2 and "internal error" not in result.output, result.output
    assert "clinic.toml" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("where, name", [
    ("my labs.csv line 3", "my labs.csv"), ("a b/c d.json entry 2", "a b/c d.json"),
    ("a b/c d.json entry 2 component 4", "a b/c d.json"), ("x y.hl7 message 3 segment OBX 12", "x y.hl7"),
    ("x y.hl7 message 3", "x y.hl7"), ("line 4.csv line 4", "line 4.csv")])
def test_the_source_file_of_a_record_keeps_spaces(where, name):
    from jakplan.records.labimport import source_file

    assert source_file(where) == name


def test_an_import_from_a_file_with_a_space_in_its_name_says_so(runner, app, tmp_path):
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    (clinic / "p1.toml").write_text(PLAN)
    (tmp_path / "my labs.csv").write_text("patient,date,analyte,value,unit\np1,2024-06-01,anc,1.5,10^9/L\n")
    result = runner.invoke(app, ["cohort", "labs", "import", str(tmp_path / "my labs.csv"), "--into", str(clinic),
                                 "--today", "2024-08-01"])
    assert result.exit_code == 0, result.output
    assert 'sources = ["my labs.csv"]' in (clinic / "p1.toml").read_text()
