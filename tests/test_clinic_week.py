"""Issue 11, "Done means": a clinic's week with 50 patients, end to end through the command line.

Import a CSV of 50 patients into a register, record what was done (and a lab result that needs action),
record a waiver, run `cohort due` (CSV parsed and checked against a hand count), `cohort export` twice (the
second writes nothing), and `cohort audit` (numbers checked against a hand count).

The patients (all baricitinib, RA, US label, age 60; screening = 6 checks, window start-28 days .. start):

    group  ids      start        history                                      in the week from 2024-08-12
    A      p01-p10  2024-07-15   screening done                               week 4 due (08-12)
    B      p11-p20  2024-06-03   screening done                               week 4 overdue, 42 days late
    C      p21-p30  2024-05-20   screening done, week 4 done                  bloods_week12, lipids_week12,
                                 (p30 late: 07-01, window closed 06-24)       t2t_review_week12 due (08-12)
    D      p31-p40  2024-11-04   nothing                                      nothing (screening from 10-07)
    E      p41-p50  2024-08-26   nothing                                      6 screening checks due (dated
                                                                              07-29, window open to 08-26)
"Week 4" is two checks: bloods_week4 and early_response_baricitinib (both dated start + 4 weeks; windows from
week 3 and week 2 to week 5).
p01 has neutrophils 0.4 x 10^9/L on 2024-08-09 (interrupt under the US label); p11's bloods_week4 is waived.
"""

import csv
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from icalendar import Calendar
from support import screening_rules

from jakplan.records.planfile import edit_planfile

SCREENING = screening_rules()
WEEK4 = ["bloods_week4", "early_response_baricitinib"]
GROUPS = {"A": "2024-07-15", "B": "2024-06-03", "C": "2024-05-20", "D": "2024-11-04", "E": "2024-08-26"}
NAMES = ["Ada", "Ben", "Cas", "Dee", "Eli", "Fay", "Gus", "Hal", "Ida", "Jon"]


def group_of(n: int) -> str:
    return "ABCDE"[(n - 1) // 10]


def ids(group: str) -> list[str]:
    k = "ABCDE".index(group)
    return [f"p{n:02d}" for n in range(10 * k + 1, 10 * k + 11)]


@pytest.fixture
def clinic_csv(tmp_path):
    rows = ["id,start,drug,indication,protocol,name,identifier,age"]
    for n in range(1, 51):
        rows.append(f"p{n:02d},{GROUPS[group_of(n)]},baricitinib,ra,us-label,{NAMES[n % 10]} Test{n},MRN {1000 + n},60")
    (tmp_path / "patients.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "patients.csv"


def _history(register):
    """What the clinic recorded before this week (set up through the plan-file API, as `record` does)."""
    for g in "ABC":
        start = dt.date.fromisoformat(GROUPS[g])
        for pid in ids(g):
            with edit_planfile(register / f"{pid}.toml") as pf:
                for rule in SCREENING:
                    pf.add_done(rule, start - dt.timedelta(days=14))
                if g == "C":
                    for rule in WEEK4:
                        pf.add_done(rule, dt.date(2024, 7, 1) if pid == "p30" else dt.date(2024, 6, 17))


@pytest.mark.system
def test_a_clinic_week(tmp_path, clinic_csv, runner, app, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1723449600")
    register = tmp_path / "clinic"

    # 1. the register from the clinic's CSV
    r = runner.invoke(app, ["cohort", "import", str(clinic_csv), "--into", str(register)])
    assert r.exit_code == 0, r.output
    assert "50 created, 0 updated, 0 unchanged, 0 rows with errors" in r.stdout
    assert sorted(p.name for p in register.iterdir() if not p.name.startswith(".")) == [f"p{n:02d}.toml" for n in range(1, 51)]
    _history(register)

    # 2. lab results in: a lab CSV and a FHIR bundle, each with a bad row that is reported while the rest is imported
    labs_csv = tmp_path / "labs.csv"
    labs_csv.write_text("patient,date,analyte,value,unit,uln\n"
                        "p01,2024-08-09,751-8,0.4,10*9/L,\n"       # neutrophils 0.4: interrupt under the US label
                        "p02,2024-08-09,751-8,abc,10*9/L,\n")      # bad: not a number
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Observation", "id": "ok", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
                      "subject": {"reference": "Patient/p02"}, "effectiveDateTime": "2024-08-08",
                      "valueQuantity": {"value": 13.1, "unit": "g/dL", "system": "http://unitsofmeasure.org",
                                        "code": "g/dL"}}},
        {"resource": {"resourceType": "Observation", "id": "bad", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
                      "subject": {"reference": "Patient/p03"}, "effectiveDateTime": "2024-08-08"}},  # bad: no value
    ]}
    labs_fhir = tmp_path / "labs.fhir.json"
    labs_fhir.write_text(json.dumps(bundle))
    r = runner.invoke(app, ["cohort", "labs", "import", str(labs_csv), str(labs_fhir), "--into", str(register),
                            "--today", "2024-08-12", "--format", "json"])
    assert r.exit_code == 0, r.output
    got = json.dumps(json.loads(r.stdout))
    assert "labs.csv line 3" in got and "entry 2" in got  # each bad row named by file and place
    assert "0.4" in (register / "p01.toml").read_text() and "13.1" in (register / "p02.toml").read_text()
    again = runner.invoke(app, ["cohort", "labs", "import", str(labs_csv), str(labs_fhir), "--into", str(register),
                                "--today", "2024-08-12", "--format", "json"])
    assert again.exit_code == 0, again.output
    assert (register / "p01.toml").read_text().count("anc = 0.4") == 1  # importing the same files twice adds nothing

    # 3. a waiver
    r = runner.invoke(app, ["record", str(register / "p11.toml"), "--rule", "bloods_week4", "--waive",
                            "taken at the referring hospital on 2024-07-02; results seen", "--done", "2024-07-03"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["status", str(register / "p11.toml"), "--today", "2024-08-12", "--format", "json"])
    st = json.loads(r.stdout)
    assert [(i["rule"], i["state"]) for i in st["waived"]] == [("bloods_week4", "waived")]
    assert "bloods_week4" not in [i["rule"] for i in st["overdue"]]

    # 4. the week's worklist as CSV
    r = runner.invoke(app, ["cohort", "due", str(register), "--week", "2024-08-12", "--today", "2024-08-12", "--format", "csv"])
    assert r.exit_code == 1, r.output  # someone is overdue
    assert r.stderr.strip() == "1 patient with a lab result that needs action; 10 patients with overdue checks"
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    kinds = [row["kind"] for row in rows]
    assert kinds == ["lab"] + ["overdue"] * 19 + ["due"] * 110  # lab result first, then overdue, then due
    lab = rows[0]
    assert (lab["patient"], lab["name"], lab["identifier"], lab["lab_action"]) == ("p01", "Ben Test1", "MRN 1001", "interrupt")
    overdue = rows[1:20]
    bloods = [r for r in overdue if r["check"] == "Full blood count, kidney (U&E) and liver tests at week 4"]
    assert sorted(r["patient"] for r in bloods) == ids("B")[1:]  # p11's was waived
    assert sorted(r["patient"] for r in overdue if r not in bloods) == ids("B")  # the early-response review
    assert {(r["days_late"], r["date"], r["window_start"], r["window_end"]) for r in bloods} == {
        ("42", "2024-07-01", "2024-06-24", "2024-07-08")}
    assert {(r["days_late"], r["date"], r["window_start"], r["window_end"]) for r in overdue if r not in bloods} == {
        ("42", "2024-07-01", "2024-06-17", "2024-07-08")}  # the early-response window opens at week 2
    assert all("Full blood count with differential" in r["tests"] and r["drug"] == "Baricitinib" for r in bloods)
    due = rows[20:]
    by_patient: dict[str, list[str]] = {}
    for row in due:
        by_patient.setdefault(row["patient"], []).append(row["check"])
    assert sorted(by_patient) == sorted(ids("A") + ids("C") + ids("E"))
    assert all(len(by_patient[p]) == 2 for p in ids("A"))
    assert all(len(by_patient[p]) == 3 for p in ids("C"))
    assert all(len(by_patient[p]) == 6 for p in ids("E"))
    assert [r["date"] for r in due] == sorted(r["date"] for r in due)  # due: by date
    assert {r["date"] for r in due if r["patient"] in ids("E")} == {"2024-07-29"}
    assert all(r["lab"].startswith("Interrupt treatment (anc 0.4") for r in due if r["patient"] == "p01")
    assert not [r for r in rows if r["patient"] in ids("D")]

    # 5. calendars from the register, twice
    out = tmp_path / "calendars"
    r = runner.invoke(app, ["cohort", "export", str(register), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "50 patients, 100 files written, 0 unchanged" in r.stdout
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    cal = Calendar.from_ical(first["p01.ics"])
    assert str(cal["X-WR-CALNAME"]).startswith("Ben Test1 (MRN 1001): Baricitinib monitoring plan")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1723536000")  # a day later: DTSTAMP would differ
    r = runner.invoke(app, ["cohort", "export", str(register), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "50 patients, 0 files written, 100 unchanged" in r.stdout
    assert "Nothing changed" in r.stdout
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes

    # 6. the audit, against a hand count (see the module docstring)
    r = runner.invoke(app, ["cohort", "audit", str(register), "--from", "2024-01-01", "--to", "2024-08-18", "--format", "json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    checks = {g["rule"]: g for g in got["checks"]}
    assert set(checks) == set(SCREENING) | set(WEEK4) | {"bloods_week12", "lipids_week12", "t2t_review_week12"}
    for rule in SCREENING:  # A, B, C done on time (start - 14 days); E dated 07-29, window open to 08-26
        g = checks[rule]
        assert (g["total"], g["on_time"], g["open"], g["missing"]) == (40, 30, 10, 0), rule
        assert g["patients"]["open"] == ids("E")
    g = checks["bloods_week4"]  # A open (window to 08-19), B 9 missing + p11 waived, C 9 on time + p30 late
    assert (g["total"], g["on_time"], g["late"], g["missing"], g["waived"], g["open"]) == (30, 9, 1, 9, 1, 10)
    assert g["patients"]["late"] == ["p30"] and g["patients"]["waived"] == ["p11"]
    assert g["patients"]["missing"] == ids("B")[1:]
    g = checks["early_response_baricitinib"]  # the same, without the waiver
    assert (g["total"], g["on_time"], g["late"], g["missing"], g["waived"], g["open"]) == (30, 9, 1, 10, 0, 10)
    for rule in ("bloods_week12", "lipids_week12", "t2t_review_week12"):  # C, dated 08-12, windows still open
        assert (checks[rule]["total"], checks[rule]["open"]) == (10, 10), rule
    assert got["totals"]["total"] == 6 * 40 + 2 * 30 + 3 * 10
    r = runner.invoke(app, ["cohort", "audit", str(register), "--from", "2024-01-01", "--to", "2024-08-18", "--format", "csv"])
    table = {row["rule"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert (table["bloods_week4"]["missing"], table["bloods_week4"]["patients_waived"]) == ("9", "p11")

    # 7. trends: p01's neutrophils with the protocol's limits drawn as lines
    page = tmp_path / "trend.html"
    r = runner.invoke(app, ["trend", str(register / "p01.toml"), "--out", str(page)])
    assert r.exit_code == 0, r.output
    html = page.read_text()
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert svgs and all(ET.fromstring(svg) is not None for svg in svgs)  # well-formed SVG
    assert "Interrupt" in html and "0.5" in html  # limits drawn and labelled with their action (lymphocytes < 0.5)
