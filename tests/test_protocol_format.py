"""The protocol file format beyond rules: doses, risk notes, courses, thresholds, unverified points, includes;
a user protocol that extends a shipped one; malformed files named by file, entry and field;
`jakplan protocols` and `jakplan protocols show`."""

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest

from jakplan.api import plan_for
from jakplan.catalog.loader import load_protocol, load_protocol_file
from jakplan.errors import JakplanError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
START = dt.date(2024, 5, 1)

HEADER = 'schema = 1\nid = "clinic"\ndrug = "baricitinib"\ntitle = "Our clinic"\nindications = ["ra"]\n'
RULE = """
[[rule]]
id = "lipids"
kind = "lab"
title = "Lipids"
checks = ["lipids"]
timing = { type = "at", at = { weeks = 12 } }
source = "S2"
"""
DOSE = """
[[dose]]
id = "renal"
outcome = "adjusted"
dose = "1 mg once daily"
why = "eGFR 30 to < 60"
applies = { all = [ { factor = "egfr", min = 30 }, { factor = "egfr", below = 60 } ] }
source = "S7"
section = "renal"
"""
RISK = """
[[risk]]
id = "smoker"
level = "boxed_warning"
text = "Smoker"
applies = { all = [ { factor = "smoker", is = ["current", "past"] } ] }
source = "S5"
"""
COURSE = """
[[course]]
id = "short"
length = { days = 14 }
text = "Last day"
source = "S4"
"""
THRESHOLD = """
[[threshold]]
id = "hb_drop"
analyte = "hb"
drop = 2.0
during = "interrupt"
confirm = true
source = "T1"
"""


def write(tmp_path, body, name="clinic.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(body))
    return p


def test_all_sections_load(tmp_path):
    proto = load_protocol_file(write(tmp_path, HEADER + RULE + DOSE + RISK + COURSE + THRESHOLD))
    assert [d.id for d in proto.doses] == ["renal"] and proto.doses[0].conditions[1].op == "below"
    assert proto.risks[0].level == "boxed_warning"
    assert proto.courses[0].length.n == 14
    (t,) = proto.thresholds
    assert (t.comparison, t.value, t.confirm, t.text()) == ("drop", 2.0, True, "a fall of more than 2 g/dL from baseline")


@pytest.mark.parametrize("body, message", [
    (DOSE.replace('outcome = "adjusted"', 'outcome = "maybe"'),
     "dose 'renal': field 'outcome': 'maybe' is not one of standard, adjusted, not_recommended, contraindicated"),
    (DOSE.replace('dose = "1 mg once daily"\n', ""), "dose 'renal': field 'dose' is missing"),
    (DOSE.replace('why = "eGFR 30 to < 60"\n', ""), "dose 'renal': field 'why' is missing"),
    (DOSE.replace('"S7"', '"S77"'), "dose 'renal': field 'source': unknown source 'S77'"),
    (DOSE.replace('factor = "egfr", min', 'factor = "gfr", min'), "dose 'renal': field 'applies'.all[0]: unknown patient factor 'gfr'"),
    (DOSE + 'colour = "red"\n', "dose 'renal': unknown field(s): colour"),
    (DOSE + DOSE, "dose 'renal': field 'id': defined twice in this file"),
    (DOSE.replace('{ factor = "egfr", min = 30 }', '{ factor = "with", has = "unobtainium" }'),
     "dose 'renal': field 'applies'.all[0]: factor 'with': unknown value 'unobtainium'"),
    (DOSE.replace('{ factor = "egfr", min = 30 }', '{ factor = "smoker", has = "past" }'),
     "dose 'renal': field 'applies'.all[0]: 'has' needs a list factor such as 'with', not 'smoker'"),
    (DOSE.replace("applies = {", 'applies = { indications = ["covid19"],'),
     "dose 'renal': field 'applies.indications': 'covid19' is not an indication of this protocol"),
    (RISK.replace('level = "boxed_warning"', 'level = "scary"'), "risk 'smoker': field 'level': 'scary' is not one of"),
    (RISK.replace('text = "Smoker"\n', ""), "risk 'smoker': field 'text' is missing"),
    (COURSE.replace("days = 14", "days = 0"), "course 'short': field 'length': days must be a whole number > 0"),
    (COURSE.replace('length = { days = 14 }\n', ""), "course 'short': field 'length' is missing"),
    (THRESHOLD.replace("drop = 2.0", "drop = 2.0\nbelow = 8.0"), "threshold 'hb_drop': needs exactly one of 'below', 'above' or 'drop'"),
    (THRESHOLD.replace("drop = 2.0", "drop = -2.0"), "threshold 'hb_drop': field 'drop' must not be negative"),
    (THRESHOLD.replace("confirm = true", 'confirm = "yes"'), "threshold 'hb_drop': field 'confirm' must be true or false"),
    (THRESHOLD.replace('during = "interrupt"', 'during = "panic"'), "threshold 'hb_drop': field 'during': unknown action 'panic'"),
    ('[[unverified]]\ntopic = "x"\n', "unverified #1: field 'detail' is missing"),
    ('[[unverified]]\ntopic = "x"\ndetail = "y"\ndose = "yes"\n', "unverified #1: field 'dose' must be true or false"),
    ('[[include]]\nprotocol = "common/ema-2023"\nrisks = ["nope"]\nwhy = "x"\n',
     "include #1: risk 'nope' is not defined in protocol 'common/ema-2023'"),
    ('[[include]]\nprotocol = "us-label"\nwhy = "x"\n', "include #1: field 'rules' is missing"),
    (RULE.replace('source = "S2"', 'source = "S2"\nif_unknown = "ask"'), "rule 'lipids': field 'if_unknown': 'ask' is not one of keep, skip"),
])
def test_malformed_entries_are_named_by_file_entry_and_field(tmp_path, body, message):
    path = write(tmp_path, HEADER + RULE + body)
    with pytest.raises(JakplanError) as exc:
        load_protocol_file(path)
    text = str(exc.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text, text


def test_example_clinic_protocol_extends_the_us_label():
    proto = load_protocol_file(EXAMPLES / "our-clinic.toml")
    assert (proto.extends, proto.indications) == ("us-label", ("ra",))
    # narrowing to RA drops the label's AA and COVID-19 entries instead of failing
    assert not [d for d in proto.doses if "covid19" in d.indications] and not proto.courses
    assert proto.rule("tb_screening").citation.source.id == "S5"          # inherited
    assert proto.rule("bloods_week4").timing.times == 2                   # replaced
    plan = plan_for(START, protocol=str(EXAMPLES / "our-clinic.toml"), factors={"egfr": 45})
    days = [e.date for e in plan.events if e.rule == "bloods_week4"]
    assert days == [dt.date(2024, 6, 1), dt.date(2024, 7, 1)]
    assert [e.date for e in plan.events if e.rule == "phone_call_week2"] == [dt.date(2024, 5, 15)]
    assert plan.dose.dose == "1 mg once daily"                            # the label's doses are inherited
    assert "Monthly bloods" in {u.topic for u, _ in plan.unverified}


def test_user_protocol_may_override_a_dose_by_id(tmp_path):
    body = HEADER.replace('indications = ["ra"]', 'extends = "us-label"\nindications = ["ra"]') + textwrap.dedent("""
        [[dose]]
        id = "ra_renal_moderate"
        outcome = "not_recommended"
        why = "eGFR 30 to < 60 (our clinic refers these patients)"
        applies = { indications = ["ra"], all = [ { factor = "egfr", below = 60 } ] }
        source = "S7"
        section = "clinic policy"
        """)
    plan = plan_for(START, protocol=str(write(tmp_path, body)), factors={"egfr": 45})
    assert plan.dose.outcome == "not_recommended"


def test_schedule_with_a_malformed_user_protocol_is_one_line(runner, app, tmp_path):
    path = write(tmp_path, HEADER + RULE + DOSE.replace('outcome = "adjusted"', 'outcome = "maybe"'))
    result = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--protocol", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"Error: {path}: dose 'renal': field 'outcome'")


# ---------------------------------------------------------------- jakplan protocols

def test_protocols_lists_every_variant_with_its_default(runner, app):
    result = runner.invoke(app, ["protocols", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {(r["drug"], r["protocol"]): r for r in json.loads(result.stdout)["protocols"]}
    assert len(rows) == 13
    assert rows[("baricitinib", "us-label")]["default_for"] == ["ra", "aa", "covid19"]
    assert rows[("baricitinib", "eu-smpc")]["default_for"] == ["ad", "jia"]
    assert rows[("filgotinib", "eu-smpc")]["default_for"] == ["ra", "uc"]
    table = runner.invoke(app, ["protocols", "--drug", "abrocitinib"])
    assert table.exit_code == 0 and "abrocitinib" in table.stdout and "tofacitinib" not in table.stdout


def test_protocols_show_prints_every_entry_with_its_source(runner, app):
    result = runner.invoke(app, ["protocols", "show", "baricitinib/us-label", "--format", "json"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    proto = load_protocol("baricitinib", "us-label")
    assert [r["id"] for r in got["rules"]] == [r.id for r in proto.rules]
    assert [t["id"] for t in got["thresholds"]] == [t.id for t in proto.thresholds]
    assert [d["id"] for d in got["doses"]] == [d.id for d in proto.doses]
    assert all(x["source"]["id"] for sec in ("rules", "thresholds", "doses", "risks", "courses") for x in got[sec])
    assert got["courses"][0]["length"] == "14 days"
    md = runner.invoke(app, ["protocols", "show", "us-label", "--drug", "tofacitinib", "--format", "markdown"]).stdout
    # a fall from baseline is an in-treatment rule only: before the first dose there is no baseline to fall from
    assert "| hb_drop | Haemoglobin a fall of more than 2 g/dL from baseline (confirm on repeat) |  | Interrupt treatment |" in md
    assert "## Check the current label" in md
    path = runner.invoke(app, ["protocols", "show", str(EXAMPLES / "our-clinic.toml")])
    assert path.exit_code == 0 and "Extends baricitinib/us-label." in path.stdout


@pytest.mark.parametrize("args, message", [
    (["protocols", "show", "mars"], "unknown protocol 'mars' for baricitinib"),
    (["protocols", "show", "aspirin/us-label"], "unknown drug 'aspirin'"),
    (["protocols", "show", "nowhere.toml"], "nowhere.toml: file not found"),
    (["protocols", "--drug", "aspirin"], "unknown drug 'aspirin'"),
])
def test_protocols_bad_input_is_one_line(runner, app, args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    err = result.stderr.strip()
    assert err.startswith("Error: ") and message in err and len(err.splitlines()) == 1, err


def test_every_shipped_protocol_file_passes_the_text_scan():
    """The loader skips the control-character and number-size scan for shipped files (start-up time): this
    test is that scan, over every shipped protocol file."""
    from jakplan.catalog.files import data_path, read_toml
    from jakplan.catalog.loader import _Checker

    files = sorted((data_path() / "protocols").rglob("*.toml"))
    assert len(files) > 10
    for path in files:
        _Checker(path).scan(read_toml(path))  # raises JakplanError on a control character or a huge number
