"""The patient on the command line and in a profile file: `jakplan schedule --age ... --profile ...`."""

import datetime as dt
import json
from pathlib import Path

import pytest
import tomlkit

from jakplan.api import plan_for
from jakplan.records.profile import Profile, load_profile, profile_from_dict
from jakplan.render.common import plan_dict

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_json(runner, app, *args):
    result = runner.invoke(app, ["schedule", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def as_json(plan):
    return json.loads(json.dumps(plan_dict(plan), ensure_ascii=False))


def test_options_give_the_library_plan(runner, app):
    got = run_json(runner, app, "--start", "2024-05-01", "--age", "67", "--egfr", "45", "--with", "probenecid",
                   "--smoker", "past", "--cv-risk", "--no-pregnancy-possible", "--hbv-core-antibody", "positive")
    factors = {"age": 67, "egfr": 45.0, "with": ["probenecid"], "smoker": "past", "cardiovascular_risk": True,
               "pregnancy_possible": False, "hbv_core_antibody": "positive"}
    assert got == as_json(plan_for(dt.date(2024, 5, 1), factors=factors))
    assert got["patient"] == factors
    assert got["dose"]["outcome"] == "adjusted" and got["dose"]["dose"] == "1 mg once daily"
    assert [(r["id"], r["why"], r["source"]["id"]) for r in got["dose"]["reasons"]] == [
        ("ra_renal_moderate", "eGFR 30 to < 60", "S7"),
        ("ra_oat3", "taking a strong OAT3 inhibitor such as probenecid", "S7"),
    ]
    assert [r["id"] for r in got["risk_notes"] if not r["applies_if"]] == ["boxed_warning", "boxed_age50_cv", "boxed_smoker"]
    assert "hbv_dna_monitoring" in {e["rule"] for e in got["events"]}
    assert got["protocol_is_default"] is True


def test_with_accepts_classes_commas_and_none(runner, app):
    got = run_json(runner, app, "--start", "2024-05-01", "--with", "Fluconazole, strong-CYP3A4-inhibitor")
    assert got["patient"]["with"] == ["fluconazole", "strong_cyp3a4_inhibitor"]
    assert run_json(runner, app, "--start", "2024-05-01", "--with", "none")["patient"]["with"] == []


def test_not_recommended_is_shown_before_the_timeline(runner, app):
    result = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--egfr", "25"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    verdict = out.index("NOT RECOMMENDED for this patient: eGFR < 30")
    assert verdict < out.index("Before the first dose")
    md = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--egfr", "25", "--format", "markdown"]).stdout
    assert "- **NOT RECOMMENDED for this patient: eGFR < 30 (US label, 2020 version (renal impairment table) (secondary source: mirror))**" in md
    assert md.index("## For this patient") < md.index("## Before the first dose")


def test_the_default_protocol_is_stated(runner, app):
    out = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--format", "markdown"]).stdout
    assert "\\[default for baricitinib in Rheumatoid arthritis; choose another with --protocol\\]" in out  # brackets escaped: no link from text
    out = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--protocol", "eu-smpc", "--format", "markdown"]).stdout
    assert "[default for" not in out


def test_example_profile_runs_and_options_override_it(runner, app):
    got = run_json(runner, app, "--profile", str(EXAMPLES / "patient.toml"))
    assert (got["start"], got["protocol"], got["indication"]) == ("2024-05-01", "eu-smpc", "ra")
    assert got["patient"]["age"] == 67 and got["patient"]["born"] == "1956-09-14"
    assert got["dose"]["dose"] == "2 mg once daily"
    assert {r["id"] for r in got["dose"]["reasons"]} == {"age_65", "risk_smoker", "ra_renal_moderate"}
    over = run_json(runner, app, "--profile", str(EXAMPLES / "patient.toml"), "--crcl", "25", "--start", "2024-06-01")
    assert over["start"] == "2024-06-01"
    assert over["dose"]["outcome"] == "not_recommended"
    assert [r["id"] for r in over["dose"]["reasons"]] == ["ra_renal_severe"]
    # --age replaces the profile's date of birth
    assert run_json(runner, app, "--profile", str(EXAMPLES / "patient.toml"), "--age", "50")["patient"]["age"] == 50


def test_profile_round_trip(tmp_path):
    prof = load_profile(EXAMPLES / "patient.toml")
    path = tmp_path / "copy.toml"
    path.write_text(tomlkit.dumps(prof.to_dict()))
    again = load_profile(path)
    assert again == prof
    assert again.factors["born"] == dt.date(1956, 9, 14) and again.factors["with"] == []
    assert profile_from_dict(again.to_dict(), "x") == prof


def test_profile_merge_keeps_unset_fields():
    base = Profile(drug="baricitinib", indication="ra", start=dt.date(2024, 5, 1), factors={"born": dt.date(1950, 1, 1)})
    merged = base.merged(indication=None, months=6, factors={"egfr": 40, "age": None})
    assert (merged.indication, merged.months, merged.start) == ("ra", 6, dt.date(2024, 5, 1))
    assert merged.factors == {"born": dt.date(1950, 1, 1), "egfr": 40}
    assert base.months is None  # the original is untouched


def test_profile_names_a_protocol_file_next_to_it(runner, app, tmp_path):
    (tmp_path / "clinic.toml").write_text((EXAMPLES / "our-clinic.toml").read_text())
    (tmp_path / "p.toml").write_text('jakplan = 1\ndrug = "baricitinib"\nprotocol = "clinic.toml"\nstart = 2024-05-01\n')
    got = run_json(runner, app, "--profile", str(tmp_path / "p.toml"))
    assert got["protocol"] == "our-clinic"


@pytest.mark.parametrize("args, message", [
    (["--start", "2024-05-01", "--hepatic", "D"], "--hepatic: factor 'hepatic' must be one of none, A, B, C, not 'D'"),
    (["--start", "2024-05-01", "--smoker", "sometimes"], "--smoker: factor 'smoker' must be one of never, past, current"),
    (["--start", "2024-05-01", "--egfr", "-5"], "--egfr: factor 'egfr' = -5.0 is outside 0-250"),
    (["--start", "2024-05-01", "--age", "67", "--born", "1957-01-01"], "give --age or --born, not both"),
    (["--start", "2024-05-01", "--born", "1957-02-30"], "--born '1957-02-30' is not a real calendar date"),
    (["--start", "2024-05-01", "--with", "probenecd"], "--with: factor 'with': unknown value 'probenecd'; did you mean probenecid?"),
    (["--age", "60"], "--start is missing"),
    (["--profile", "nowhere.toml"], "nowhere.toml: file not found"),
])
def test_bad_patient_input_is_one_line(runner, app, args, message):
    result = runner.invoke(app, ["schedule", *args])
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert err.startswith("Error: ") and message in err and len(err.splitlines()) == 1, err


def test_bad_profile_factor_names_file(runner, app, tmp_path):
    p = tmp_path / "p.toml"
    p.write_text('jakplan = 1\nstart = 2024-05-01\n[factors]\nwith = ["probenecd"]\n')
    result = runner.invoke(app, ["schedule", "--profile", str(p)])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"Error: {p}: factors: factor 'with': unknown value 'probenecd'")


def test_a_medicine_jakplan_does_not_know_is_kept_and_the_dose_is_not_standard(runner, app):
    """Issue 17 item 1: `--with methotrexate` was refused, so every output kept saying "depends on medicines (not
    given)"; an unknown medicine is now kept, reported, and leaves the dose not assessed for interactions."""
    import json

    r = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--with", "mesalazine", "--egfr", "90",
                            "--hepatic", "none", "--format", "json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["dose"]["outcome"] == "check" and not d["dose"]["settled"]
    assert "not assessed for interactions with mesalazine" in d["dose"]["text"]
    # methotrexate is in the medicine table, in no interaction class: the dose is assessed (issue 17 item 1)
    r = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--with", "methotrexate", "--egfr", "90",
                            "--hepatic", "none", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["dose"]["outcome"] == "standard"
    r = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--with", "probenecid", "--egfr", "90",
                            "--hepatic", "none", "--format", "json"])
    assert json.loads(r.stdout)["dose"]["outcome"] == "adjusted"  # a known one is judged as before
