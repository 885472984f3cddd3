"""Three tiers for a recorded result (issue 18 item 2), held as properties over random values, reference ranges
and laboratory flags:

- a quiet result (within the protocol's limits; or with no protocol limit, within the laboratory's range or
  flagged normal) never makes an action or flag row, nor a line in any summary;
- every action-tier result (a protocol limit crossed, unanswered) appears in status, next, the checklist and the
  worklist; every flag-tier result in status and the worklist.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from jakplan.api import plan_for
from jakplan.catalog.vocab import vocabulary
from jakplan.engine.labs import lab_signal
from jakplan.engine.tracking import track
from jakplan.engine.worklist import monday, week_rows
from jakplan.history import History, LabRecord
from jakplan.render.checklist import course_lead
from jakplan.render.nextvisit import _next_lines, next_from_status, status_summary
from jakplan.render.worklist import word_rows

START = dt.date(2024, 5, 1)
DAY = dt.date(2024, 8, 13)
LIMITS = {"anc": 1.0, "alc": 0.5, "hb": 8.0}
"""The shipped US label's during-treatment limits for baricitinib (below: interrupt)."""
UNLIMITED = ("platelets", "creatinine", "cholesterol")
"""Analytes that label gives no limit for."""
PLAN = plan_for(START)

values = st.fixed_dictionaries({
    "anc": st.floats(0.1, 20), "alc": st.floats(0.05, 10), "hb": st.floats(4, 20),
    "platelets": st.floats(5, 900), "creatinine": st.floats(20, 900), "cholesterol": st.floats(1, 15)})
references = st.dictionaries(st.sampled_from(UNLIMITED),
                             st.tuples(st.one_of(st.none(), st.floats(0, 200)), st.one_of(st.none(), st.floats(200, 600))),
                             max_size=3)
flags = st.dictionaries(st.sampled_from(UNLIMITED), st.sampled_from(["", "N", "L", "H", "LL", "HH", "A", "weird"]),
                        max_size=3)


def _expected_tier(analyte: str, value: float, ref, flag: str) -> str:
    """The tier worked out from the definitions, independently of the engine's code path."""
    if analyte in LIMITS:
        return "action" if value < LIMITS[analyte] else "quiet"
    crit = vocabulary()["analytes"][analyte].get("critical")  # the shipped critical limit wins over the lab
    if crit and (value < crit["below"] if "below" in crit else value > crit["above"]):
        return "flag"
    if flag:
        return "quiet" if flag == "N" else "flag"
    lo, hi = ref if ref is not None else (None, None)
    if lo is None and hi is None:
        return "not_assessed"
    return "flag" if (lo is not None and value < lo) or (hi is not None and value > hi) else "quiet"


@settings(max_examples=60, deadline=None)
@given(values, references, flags)
def test_quiet_results_make_no_row_and_every_action_is_in_every_summary(vals, refs, flgs):
    vals = {a: round(v, 2) for a, v in vals.items()}
    refs = {a: r for a, r in refs.items() if r != (None, None)}
    history = History(labs=(LabRecord(DAY, vals, "", "", {}, refs, {a: f for a, f in flgs.items() if f}),))
    today = DAY + dt.timedelta(days=2)
    st_ = track(PLAN, history, today)
    expected = {a: _expected_tier(a, v, refs.get(a), flgs.get(a, "")) for a, v in vals.items()}
    got = {a.analyte: a.tier for a in st_.lab_actions}
    assert {a: t for a, t in expected.items() if t != "quiet"} == got
    rows = word_rows(week_rows(st_, "p", "p.toml", monday(today)))
    tiered = {(r["kind"], r["check"].split(": ")[-1]) for r in rows if r["kind"] in ("lab", "flag")}
    from jakplan.engine.labs import analyte_name

    for a, tier in expected.items():
        name = analyte_name(a)
        if tier == "quiet":  # never a row, never a summary line
            assert ("lab", name) not in tiered and ("flag", name) not in tiered
            assert f"{name} " not in " ".join(r["tests"] for r in rows if r["kind"] == "not_assessed")
        elif tier == "action":
            assert ("lab", name) in tiered
        elif tier == "flag":
            assert ("flag", name) in tiered
    summary = status_summary(st_)
    nxt = "\n".join(_next_lines(next_from_status(st_)))
    lead = "\n".join(course_lead(st_))
    for a in st_.open_actions:
        label = a.finding.as_dict()["label"].lower()
        assert summary.startswith(f"On {today}: ACTION") and label in summary
        assert nxt.startswith("ACTION") and label in nxt
        assert lead.startswith("ACTION") and label in lead
    for a in st_.open_flags:
        assert "FLAGGED" in summary and a.finding.as_dict()["label"].lower() in summary
    if not st_.open_actions:
        assert "ACTION" not in summary and "ACTION" not in nxt


def test_the_laboratory_signal_follows_flag_then_range():
    assert lab_signal(48, "", (150, 400), "").side == "low"
    assert lab_signal(480, "", (150, 400), "").side == "high"
    assert not lab_signal(250, "", (150, 400), "").abnormal
    assert lab_signal(250, "", (150, 400), "HH").critical  # the laboratory's flag wins over the range
    assert lab_signal(250, "", None, "low").flag == "L"  # a CSV's words
    odd = lab_signal(250, "", None, "??")
    assert odd.abnormal and not odd.known  # a flag jakplan does not know: abnormal (fail closed)
    assert lab_signal(5, "<", (10, 40), "").side == "low" and lab_signal(90, ">", None, "") is None


def test_lab_files_carry_the_reference_range_and_flag_in_the_canonical_unit(tmp_path):
    """HL7 OBX-7/OBX-8, FHIR referenceRange/interpretation and CSV range/flag columns reach the record, converted
    with the value (haemoglobin in g/L: the range too; ALT in U/L: its range as multiples of the ULN)."""
    import json

    from jakplan.records.labimport import import_file

    hl7 = ("MSH|^~\\&|LAB|CITY|JAK|CLINIC|202408130830||ORU^R01^ORU_R01|M1|P|2.5.1\r"
           "PID|1||p^^^CLINIC^MR||Example^P\rOBR|1|O1|L1|58410-2^CBC^LN|||202408130830\r"
           "OBX|1|NM|718-7^Hemoglobin^LN||95|g/L^^UCUM|120-160|LL|||F|||202408130830\r"
           "OBX|2|NM|1742-6^ALT^LN||80|U/L^^UCUM|0-40|H|||F|||202408130830\r")
    (tmp_path / "a.hl7").write_text(hl7)
    recs = {r.analyte: r for r in import_file(tmp_path / "a.hl7", dt.date(2024, 9, 1)).records}
    assert (recs["hb"].value, recs["hb"].low, recs["hb"].high, recs["hb"].flag) == (9.5, 12.0, 16.0, "LL")
    assert (recs["alt_uln"].value, recs["alt_uln"].low, recs["alt_uln"].high, recs["alt_uln"].flag) == (2.0, 0.0, 1.0, "H")
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "777-3"}]},
        "subject": {"identifier": {"value": "p"}}, "effectiveDateTime": "2024-08-13",
        "valueQuantity": {"value": 48, "unit": "10*9/L", "system": "http://unitsofmeasure.org", "code": "10*9/L"},
        "referenceRange": [{"low": {"value": 150, "code": "10*9/L"}, "high": {"value": 400, "code": "10*9/L"}}],
        "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                        "code": "L"}]}]}}]}
    (tmp_path / "b.json").write_text(json.dumps(bundle))
    (r,) = import_file(tmp_path / "b.json", dt.date(2024, 9, 1)).records
    assert (r.analyte, r.value, r.low, r.high, r.flag) == ("platelets", 48.0, 150.0, 400.0, "L")
    (tmp_path / "c.csv").write_text("patient,date,analyte,value,unit,range,flag\np,2024-08-13,platelets,48,10^9/L,150-400,low\n"
                                    "p,2024-08-13,creatinine,80,umol/L,<90,\n")
    recs = {r.analyte: r for r in import_file(tmp_path / "c.csv", dt.date(2024, 9, 1)).records}
    assert (recs["platelets"].low, recs["platelets"].high, recs["platelets"].flag) == (150.0, 400.0, "low")
    assert (recs["creatinine"].low, recs["creatinine"].high, recs["creatinine"].flag) == (None, 90.0, "")


def test_plan_files_keep_the_range_and_flag_and_refuse_bad_ones(tmp_path):
    import pytest

    from jakplan.errors import JakplanError
    from jakplan.records.planfile import edit_planfile, load_planfile

    f = tmp_path / "p.toml"
    f.write_text("jakplan = 1\ndrug = \"baricitinib\"\nstart = 2024-05-01\n")
    with edit_planfile(f) as pf:
        pf.add_lab(DAY, {"platelets": 48.0, "anc": 2.1}, "imported", ranges={"platelets": (150.0, 400.0)},
                   flags={"platelets": "L"})
    (rec,) = load_planfile(f).history.labs
    assert rec.ranges == {"platelets": (150.0, 400.0)} and rec.flags == {"platelets": "L"}
    bad = f.read_text().replace("low = 150.0", "low = 500.0")
    f.write_text(bad)
    with pytest.raises(JakplanError, match="low 500 is above high 400"):
        load_planfile(f)
    f.write_text(bad.replace("low = 500.0, ", "").replace('platelets = "L"', 'hb = "L"'))
    with pytest.raises(JakplanError, match="flag of hb: no hb value"):
        load_planfile(f)


def test_a_value_beyond_a_shipped_critical_limit_is_flagged_even_with_no_lab_range(runner, app, tmp_path):
    """Issue 18 item 2: the flag tier includes a value beyond a critical limit jakplan ships as data, cited
    (CTCAE v5.0 grade 4): platelets 5 with a protocol that has no platelet limit during treatment."""
    import json

    from jakplan.catalog.vocab import sources, vocabulary

    spec = vocabulary()["analytes"]["platelets"]["critical"]
    assert spec["below"] == 25 and spec["source"] in sources()
    pf = tmp_path / "p.toml"
    assert runner.invoke(app, ["init", "--start", "2024-05-01", "--out", str(pf)]).exit_code == 0
    r = runner.invoke(app, ["record", str(pf), "--lab", "platelets=5", "--on", "2024-06-01"])
    assert r.exit_code == 0, r.output
    assert "Flagged: beyond a critical limit" in r.stdout and "[CTCAE5]" in r.stdout
    r = runner.invoke(app, ["status", str(pf), "--today", "2024-06-02", "--format", "json"])
    st = json.loads(r.stdout)
    assert st["worst"] == "flag" and "BEYOND A CRITICAL LIMIT" in st["summary"]
    # a value inside the limit (and no laboratory range) stays not assessed: one line of analytes
    r = runner.invoke(app, ["record", str(pf), "--lab", "platelets=30", "--on", "2024-06-03"])
    r = runner.invoke(app, ["status", str(pf), "--today", "2024-06-04", "--format", "json"])
    st = json.loads(r.stdout)
    assert st["not_assessed"] == ["platelets"] and st["worst"] != "flag"
