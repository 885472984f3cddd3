"""The register (a folder of plan files): import from a CSV, waivers, the week's worklist, export from the
register (only what changed, resuming), the audit's outcomes, the JSON encoder, the protocol cache."""

import csv
import datetime as dt
import io
import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from jakplan.api import plan_for, plan_for_record, status_for_record
from jakplan.clinic.register_import import import_rows
from jakplan.errors import JakplanError
from jakplan.records.planfile import edit_planfile, load_planfile
from jakplan.records.register import plan_files, read_record
from jakplan.render.cohortfiles import render_patient

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

CSV = """\
id,start,drug,protocol,name,identifier,age,smoker
a1,2024-05-01,baricitinib,us-label,Anna Example,MRN 1,58,never
b2,2024-06-03,,nhs-lanarkshire,,,71,past
"""


def write(tmp_path, text, name="patients.csv"):
    (tmp_path / name).write_text(text)
    return tmp_path / name


# -- import ----------------------------------------------------------------------------------------------


def test_import_creates_then_updates_only_what_changed_and_never_the_history(tmp_path, runner, app):
    reg = tmp_path / "clinic"
    r = runner.invoke(app, ["cohort", "import", str(write(tmp_path, CSV)), "--into", str(reg)])
    assert r.exit_code == 0, r.output
    assert "2 created, 0 updated, 0 unchanged" in r.stdout
    a1 = load_planfile(reg / "a1.toml")
    assert (a1.profile.identity.name, a1.profile.protocol, a1.profile.factors) == ("Anna Example", "us-label", {"age": 58, "smoker": "never"})
    assert load_planfile(reg / "b2.toml").profile.indication == "ra"  # resolved, as `init` does
    with edit_planfile(reg / "a1.toml") as pf:
        pf.add_done("tb_screening", dt.date(2024, 4, 15), "screening visit")
        pf.start_pause(dt.date(2024, 9, 2), "herpes zoster")
    history_before = (reg / "a1.toml").read_text().split("\n[[done]]", 1)[1]
    b2_before = (reg / "b2.toml").read_bytes()

    # unchanged: nothing written
    stamp = {p.name: p.stat().st_mtime_ns for p in reg.glob("*.toml")}
    r = runner.invoke(app, ["cohort", "import", str(tmp_path / "patients.csv"), "--into", str(reg)])
    assert "0 created, 0 updated, 2 unchanged" in r.stdout
    assert {p.name: p.stat().st_mtime_ns for p in reg.glob("*.toml")} == stamp

    # changed: one line per file saying what changed; empty cells change nothing
    write(tmp_path, CSV.replace("us-label,Anna Example,MRN 1,58", "eu-smpc,Anna Example,MRN 1,59")
          .replace("b2,2024-06-03,,nhs-lanarkshire,,,71,past", "b2,2024-06-03,,,Bob Sample,,,")
          + "c3,2024-07-15,,,,,44,\n")
    r = runner.invoke(app, ["cohort", "import", str(tmp_path / "patients.csv"), "--into", str(reg)])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == f"Updated {reg / 'a1.toml'} ({tmp_path / 'patients.csv'} line 2): protocol us-label -> eu-smpc; age 58 -> 59"
    assert lines[1] == f"Updated {reg / 'b2.toml'} ({tmp_path / 'patients.csv'} line 3): patient.name (not set) -> Bob Sample"
    assert lines[2].endswith("1 created, 2 updated, 0 unchanged, 0 rows with errors.")
    a1 = load_planfile(reg / "a1.toml")
    assert (a1.profile.protocol, a1.profile.factors["age"]) == ("eu-smpc", 59)
    assert (reg / "a1.toml").read_text().split("\n[[done]]", 1)[1] == history_before
    assert "# jakplan plan file" in (reg / "a1.toml").read_text()  # comments kept (tomlkit)
    assert load_planfile(reg / "b2.toml").profile.protocol == "nhs-lanarkshire"  # empty cell: kept
    assert b2_before != (reg / "b2.toml").read_bytes()


def test_a_new_table_goes_before_the_history(tmp_path):
    reg = tmp_path / "clinic"
    list(import_rows(write(tmp_path, "id,start\nx1,2024-05-01\n"), reg))
    with edit_planfile(reg / "x1.toml") as pf:
        pf.add_done("tb_screening", dt.date(2024, 4, 15))
    res = list(import_rows(write(tmp_path, "id,start,name,egfr\nx1,2024-05-01,Xena,60\n"), reg))
    assert [r.action for r in res] == ["updated"]
    text = (reg / "x1.toml").read_text()
    assert text.index("\n[patient]") < text.index("\n[[done]]") and text.index("\n[factors]") < text.index("\n[[done]]")
    raw = tomllib.loads(text)
    assert raw["patient"] == {"name": "Xena"} and raw["factors"] == {"egfr": 60} and len(raw["done"]) == 1


def test_unknown_columns_are_refused_by_name_unless_kept(tmp_path, runner, app):
    csv_path = write(tmp_path, "id,start,ward,shoe_size\nw1,2024-05-01,B,42\n")
    r = runner.invoke(app, ["cohort", "import", str(csv_path), "--into", str(tmp_path / "clinic")])
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: {csv_path} line 1: unknown column(s) ward, shoe_size; known: id, start")
    assert "--keep-columns" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not list((tmp_path / "clinic").glob("*.toml"))
    r = runner.invoke(app, ["cohort", "import", str(csv_path), "--into", str(tmp_path / "clinic"), "--keep-columns"])
    assert r.exit_code == 0, r.output
    assert tomllib.loads((tmp_path / "clinic" / "w1.toml").read_text())["columns"] == {"ward": "B", "shoe_size": "42"}
    assert read_record(tmp_path / "clinic" / "w1.toml") is not None  # still a valid plan file


def test_bad_rows_are_reported_and_the_rest_imported(tmp_path, runner, app):
    csv_path = write(tmp_path, "id,start,protocol,age\nok1,2024-05-01,,50\nbad,2024-13-01,,\nok1,2024-05-01,,\n"
                               "nope,2024-05-01,no-such-protocol,\nok2,2024-06-01,,abc\nok3,2024-06-01,,\n")
    r = runner.invoke(app, ["cohort", "import", str(csv_path), "--into", str(tmp_path / "clinic")])
    assert r.exit_code == 2
    errors = r.stderr.strip().splitlines()
    assert errors[0] == f"Error: {csv_path} line 3 (id bad): start '2024-13-01' is not a date (YYYY-MM-DD)"
    assert errors[1] == f"Error: {csv_path} line 4: id 'ok1' is used by an earlier row"
    assert errors[2].startswith(f"Error: {csv_path} line 5 (id nope): unknown protocol 'no-such-protocol'")
    assert errors[3] == f"Error: {csv_path} line 6 (id ok2): factor 'age': 'abc' is not a number"
    assert sorted(p.name for p in (tmp_path / "clinic").glob("*.toml")) == ["ok1.toml", "ok3.toml"]


def test_a_register_skips_non_plan_toml_hidden_files_and_subfolders(tmp_path):
    reg = tmp_path / "clinic"
    shutil.copytree(EXAMPLES / "clinic" / "register", reg)
    shutil.copy(EXAMPLES / "our-clinic.toml", reg / "a-protocol.toml")
    (reg / ".c001.toml.lock").write_text("")
    (reg / ".hidden.toml").write_text("jakplan = 1\nstart = 2024-01-01\n")
    files = plan_files(reg)
    assert [p.name for p in files] == ["a-protocol.toml"] + [f"c00{n}.toml" for n in range(1, 7)]
    assert read_record(reg / "a-protocol.toml") is None
    assert (reg / "protocols" / "our-clinic.toml").exists()  # in a subfolder: not listed


# -- waived / not applicable -------------------------------------------------------------------------------


def test_waived_and_not_applicable_close_checks_and_are_kept_with_their_reason(tmp_path, runner, app):
    pf = tmp_path / "p.toml"
    assert runner.invoke(app, ["init", "--start", "2024-05-01", "--out", str(pf)]).exit_code == 0
    r = runner.invoke(app, ["record", str(pf), "--rule", "bloods_week4", "--waive", "done at the other hospital",
                            "--done", "2024-06-01"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["record", str(pf), "--rule", "zoster_vaccine", "--not-applicable", "two RZV doses in 2023",
                            "--done", "2024-04-10"])
    assert r.exit_code == 0, r.output
    raw = tomllib.loads(pf.read_text())
    assert [{k: v for k, v in e.items() if k != "added"} for e in raw["done"]] == [
        {"rule": "bloods_week4", "on": dt.date(2024, 6, 1), "outcome": "waived", "reason": "done at the other hospital"},
        {"rule": "zoster_vaccine", "on": dt.date(2024, 4, 10), "outcome": "not_applicable", "reason": "two RZV doses in 2023"}]
    st = json.loads(runner.invoke(app, ["status", str(pf), "--today", "2024-08-12", "--format", "json"]).stdout)
    assert {(i["rule"], i["state"]) for i in st["waived"]} == {("bloods_week4", "waived"), ("zoster_vaccine", "not_applicable")}
    open_rules = {i["rule"] for i in st["overdue"] + st["due"] + st["next"]}
    assert "bloods_week4" not in open_rules and "zoster_vaccine" not in open_rules
    assert "waived on 2024-06-01: done at the other hospital" in [i["note"] for i in st["waived"]]
    text = runner.invoke(app, ["status", str(pf), "--today", "2024-08-12"]).stdout
    from jakplan.render.grid import read_grid

    lines = text.splitlines()
    at = next(k for k, ln in enumerate(lines) if ln.startswith("Closed by a decision"))
    cells = read_grid(lines[at + 1:], ["Date", "Check", "What", "Status"], r"\d{4}-\d\d-\d\d \w{3}$")
    assert {(c[1], c[3]) for c in cells} == {("zoster_vaccine", "not applicable from 2024-04-10: two RZV doses in 2023"),
                                            ("bloods_week4", "waived on 2024-06-01: done at the other hospital")}, text


@pytest.mark.parametrize("args, message", [
    (["--rule", "bloods_week4", "--waive", "  "], "--waive needs a reason"),
    (["--rule", "bloods_week4", "--waive", "x", "--not-applicable", "y"], "give --waive or --not-applicable, not both"),
    (["--waive", "x"], "--waive needs at least one --rule ID"),
    (["--rule", "no_such_rule", "--waive", "x"], "--rule 'no_such_rule' is not a check"),
])
def test_bad_waivers_are_one_line(tmp_path, runner, app, args, message):
    pf = tmp_path / "p.toml"
    runner.invoke(app, ["init", "--start", "2024-05-01", "--out", str(pf)])
    before = pf.read_bytes()
    r = runner.invoke(app, ["record", str(pf), *args])
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert pf.read_bytes() == before


def test_a_waiver_without_a_reason_in_a_file_is_refused(tmp_path):
    pf = tmp_path / "p.toml"
    pf.write_text('jakplan = 1\nstart = 2024-05-01\n[[done]]\nrule = "bloods_week4"\non = 2024-06-01\noutcome = "waived"\n')
    with pytest.raises(JakplanError, match="done #1: a check recorded as waived needs a 'reason'"):
        load_planfile(pf)
    pf.write_text('jakplan = 1\nstart = 2024-05-01\n[[done]]\nrule = "bloods_week4"\non = 2024-06-01\noutcome = "skipped"\n')
    with pytest.raises(JakplanError, match="outcome 'skipped' is not one of done, waived, not_applicable"):
        load_planfile(pf)


# -- the worklist ----------------------------------------------------------------------------------------


@pytest.fixture
def example_register(tmp_path):
    reg = tmp_path / "register"
    shutil.copytree(EXAMPLES / "clinic" / "register", reg)
    return reg


def test_worklist_order_lab_first_then_overdue_by_days_late_then_due(runner, app, example_register):
    r = runner.invoke(app, ["cohort", "due", str(example_register), "--week", "2024-08-12", "--today", "2024-08-12", "--format", "json"])
    assert r.exit_code == 1
    got = json.loads(r.stdout)
    rows = [(i["kind"], i["patient"], i["rule"], i["days_late"], i["date"]) for i in got["items"]]
    assert rows == [
        ("lab", "c003", "", 0, "2024-08-09"),
        # the EU skin examination for every patient (issue 17, DHPC 2023) was never recorded for the two EU patients
        # already on treatment: a required check with no record is overdue, never assumed done
        # tofacitinib's immunisations before the first dose (EU SmPC-type 4.4 [T23], US PI 2.1 [T18]): not recorded
        ("overdue", "c006", "immunisations", 245, "2023-12-11"),
        ("overdue", "c006", "ema_skin_exam", 245, "2023-12-11"),
        ("overdue", "c004", "ema_skin_exam", 217, "2024-01-08"),
        ("overdue", "c003", "immunisations", 189, "2024-02-05"),
        ("overdue", "c002", "early_response_baricitinib", 42, "2024-07-01"),
        ("overdue", "c002", "bloods_week4", 42, "2024-07-01"),
        ("overdue", "c006", "cbc_every_3_months", 35, "2024-07-08"),
        ("due", "c004", "target_by_month6", 0, "2024-08-05"),  # dated before the week, window open to 08-12
        ("due", "c005", "early_response_baricitinib", 0, "2024-08-15"),  # on the week-4 bloods day (its window)
        ("due", "c005", "bloods_week4", 0, "2024-08-15"),
    ]
    lab = got["items"][0]
    assert (lab["name"], lab["drug"], lab["lab_action"]) == ("Chloe Test", "Tofacitinib", "interrupt")
    assert lab["tests"].startswith("Absolute neutrophil count 0.8 10^9/L on 2024-08-09")
    # c001's target_by_month6 (dated 2024-11-01) has an open window but is not this week's work
    st = status_for_record(read_record(example_register / "c001.toml"), dt.date(2024, 8, 12))
    assert [i.state for i in st.items if i.rule == "target_by_month6"] == ["due"]
    assert not [i for i in got["items"] if i["patient"] == "c001"]


def test_worklist_formats_and_week_normalised(runner, app, example_register):
    r = runner.invoke(app, ["cohort", "due", str(example_register), "--week", "2024-08-14", "--today", "2024-08-14", "--format", "csv"])
    assert r.exit_code == 1
    assert r.stderr.splitlines()[0] == "--week 2024-08-14 is a Wednesday; weeks start on Monday: showing the week from 2024-08-12"
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["patient"] for row in rows] == ["c003", "c006", "c006", "c004", "c003", "c002", "c002", "c006", "c004",
                                                "c005", "c005"]
    assert rows[6]["tests"] == ("Full blood count with differential (neutrophils, lymphocytes, haemoglobin); "
                                "Kidney function (creatinine, eGFR); Liver enzymes (ALT, AST)")
    md = runner.invoke(app, ["cohort", "due", str(example_register), "--week", "2024-08-12", "--today", "2024-08-12", "--format", "markdown"]).stdout
    assert md.startswith("# Worklist for the week 2024-08-12 to 2024-08-18") and "| 42 days late" in md
    html = runner.invoke(app, ["cohort", "due", str(example_register), "--week", "2024-08-12", "--today", "2024-08-12", "--format", "html"]).stdout
    # one row per patient and kind of work: c002's two overdue checks share a row (issue 21: a compact page)
    assert html.count('<tr class="overdue"') == 4 and html.count('<tr class="lab"') == 1
    assert "overdue: 2, up to 42 days late" in html
    assert "the prescriber&#x27;s instructions come first" in html


# -- export from the register ------------------------------------------------------------------------------


def test_export_from_the_register_has_pauses_and_identity_and_rewrites_only_what_changed(runner, app, example_register, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1711960200")
    out = tmp_path / "cal"
    r = runner.invoke(app, ["cohort", "export", str(example_register), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "6 patients, 12 files written, 0 unchanged" in r.stdout
    cal = Calendar.from_ical((out / "c001.ics").read_bytes())
    # the calendar's name says whose it is; its events do not (calendars are shared: main's convention)
    assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) == "Anna Example (MRN 0012345): Baricitinib monitoring plan from 2024-05-01"
    assert not [ev for ev in cal.walk("VEVENT") if "Anna" in str(ev["SUMMARY"])]
    plan = plan_for_record(read_record(example_register / "c001.toml"), today=dt.date.today())
    assert plan.pauses and {ev.start for ev in cal.walk("VEVENT")} == {e.date for e in plan.events}
    # a rolling horizon (issue 21): a patient who started in 2024 still has a year of visits ahead of today
    ahead = [ev.start for ev in cal.walk("VEVENT") if ev.start > dt.date.today()]
    assert ahead and max(ahead) >= dt.date.today() + dt.timedelta(days=300)
    assert json.loads((out / "c001.json").read_text())["start"] == "2024-05-01"
    # what the plan file records is in the calendar's text and the JSON (independent of the day of the export)
    (screening,) = [ev for ev in cal.walk("VEVENT") if ev.start == dt.date(2024, 4, 3)]
    assert "Recorded: done 2024-04-15" in str(screening["DESCRIPTION"])
    c004 = json.loads((out / "c004.json").read_text())["recorded"]
    assert {"rule": "immunisations", "occurrence": 0, "state": "waived", "on": "2024-01-20",
            "text": "waived on 2024-01-20: vaccinations brought up to date by the GP practice in 2023; record seen"} in c004

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1711990000")
    r = runner.invoke(app, ["cohort", "export", str(example_register), "--out", str(out)])
    assert "0 files written, 12 unchanged" in r.stdout and "Nothing changed" in r.stdout and r.exit_code == 0

    before = {p.name: p.read_bytes() for p in out.iterdir()}
    r = runner.invoke(app, ["pause", str(example_register / "c005.toml"), "--from", "2024-08-20", "--reason", "surgery"])
    assert r.exit_code == 0
    assert runner.invoke(app, ["resume", str(example_register / "c005.toml"), "--on", "2024-09-03"]).exit_code == 0
    r = runner.invoke(app, ["cohort", "export", str(example_register), "--out", str(out)])
    assert "2 files written, 10 unchanged" in r.stdout
    changed = {p.name for p in out.iterdir() if p.read_bytes() != before[p.name]}
    assert changed == {"c005.ics", "c005.json"}
    assert b"DTSTAMP:20240401T164640Z" in (out / "c005.ics").read_bytes()  # a changed calendar: a new DTSTAMP


def test_an_interrupted_export_resumes(runner, app, example_register, tmp_path, monkeypatch):
    import jakplan.clinic.cohort
    import jakplan.fileio

    out = tmp_path / "cal"
    out.mkdir()
    real = jakplan.fileio.atomic_write
    calls = []

    def dies_on_the_fifth(path, data, overwrite=False, **kw):
        calls.append(path)
        if len(calls) == 5:
            (Path(path).parent / f".{Path(path).name}.k1llme_.tmp").write_bytes(b"half")  # what a kill leaves
            raise KeyboardInterrupt
        return real(path, data, overwrite, **kw)

    monkeypatch.setattr(jakplan.clinic.cohort, "atomic_write", dies_on_the_fifth)  # the register export's writer
    r = runner.invoke(app, ["cohort", "export", str(example_register), "--out", str(out)])
    assert r.exit_code != 0
    assert len([p for p in out.iterdir() if not p.name.startswith(".")]) == 4
    monkeypatch.setattr(jakplan.clinic.cohort, "atomic_write", real)
    r = runner.invoke(app, ["cohort", "export", str(example_register), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "8 files written, 4 unchanged" in r.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(f"c00{n}.{s}" for n in range(1, 7) for s in ("ics", "json"))


def test_a_bad_plan_file_is_reported_and_the_rest_exported(runner, app, example_register, tmp_path):
    (example_register / "c009.toml").write_text("jakplan = 1\nstart = 2024-05-01\ndrug = 'aspirin'\n")
    r = runner.invoke(app, ["cohort", "export", str(example_register), "--out", str(tmp_path / "cal")])
    assert r.exit_code == 2
    assert "aspirin" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "6 patients, 12 files written" in r.stdout


# -- the audit's outcomes --------------------------------------------------------------------------------


def test_audit_outcome_of_each_state(tmp_path, runner, app):
    pf = tmp_path / "p.toml"
    runner.invoke(app, ["init", "--start", "2024-05-01", "--out", str(pf)])
    with edit_planfile(pf) as f:
        f.add_done("tb_screening", dt.date(2024, 4, 15))            # in the window (04-03 .. 05-01)
        f.add_done("hepatitis_screening", dt.date(2024, 5, 10))     # after it closed: late
        f.add_done("bloods_week4", dt.date(2024, 5, 2))             # before its window (05-22 ..): early
        f.add_done("immunisations", dt.date(2024, 4, 20), outcome="not_applicable", reason="x")
        f.add_done("zoster_vaccine", dt.date(2024, 4, 20), outcome="waived", reason="y")
    r = runner.invoke(app, ["cohort", "audit", str(tmp_path), "--from", "2024-01-01", "--to", "2024-07-28", "--format", "json"])
    got = {g["rule"]: {o: g[o] for o in got_outcomes(g) if g[o]} for g in json.loads(r.stdout)["checks"]}
    assert got["tb_screening"] == {"on_time": 1}
    assert got["hepatitis_screening"] == {"late": 1}
    assert got["bloods_week4"] == {"early": 1}
    assert got["immunisations"] == {"not_applicable": 1}
    assert got["zoster_vaccine"] == {"waived": 1}
    assert got["baseline_blood_count"] == {"missing": 1}
    assert got["bloods_week12"] == {"open": 1}  # dated 07-24, window to 07-31: not judged on 07-28
    r = runner.invoke(app, ["cohort", "audit", str(tmp_path), "--from", "2024-08-05", "--to", "2024-01-01"])
    assert r.exit_code == 2 and "--to 2024-01-01 is before --from 2024-08-05" in r.stderr


def got_outcomes(g):
    from jakplan.clinic.audit import OUTCOMES

    return OUTCOMES


def test_audit_html_has_a_chart_and_every_number(runner, app, example_register):
    html = runner.invoke(app, ["cohort", "audit", str(example_register), "--from", "2024-01-01", "--to", "2024-12-31",
                               "--format", "html"]).stdout
    js = json.loads(runner.invoke(app, ["cohort", "audit", str(example_register), "--from", "2024-01-01", "--to",
                                        "2024-12-31", "--format", "json"]).stdout)
    assert html.count('<div class="bar"') == len(js["checks"])
    assert re.search(r'<span class="missing" style="width:[\d.]+%;background:#c62828"', html)
    assert "c002" in html and "the prescriber&#x27;s instructions come first" in html


# -- speed: the JSON encoder and the protocol cache ----------------------------------------------------------


def _all_shipped_plans():
    from jakplan.catalog.vocab import drugs, shipped_protocols

    for drug in drugs():
        for variant in shipped_protocols(drug):
            yield drug, variant


def test_orjson_text_is_byte_identical_to_json_dumps_on_every_shipped_plan():
    from jakplan.render.common import plan_dict
    from jakplan.render.jsontext import json_text, orjson

    assert orjson is not None
    n = 0
    for drug, variant in _all_shipped_plans():
        for start in (dt.date(2024, 1, 31), dt.date(2024, 5, 1)):
            try:
                d = plan_dict(plan_for(start, drug=drug, protocol=variant, months=24,
                                       factors={"age": 70, "egfr": 40, "smoker": "current"}))
            except JakplanError:
                continue
            assert json_text(d) == json.dumps(d, indent=2, ensure_ascii=False), (drug, variant)
            n += 1
    assert n >= 20


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**64) | st.floats() | st.text(),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(JSONISH)
def test_json_text_equals_json_dumps_for_any_json_value(value):
    from jakplan.render.jsontext import json_text

    assert json_text(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_the_protocol_cache_is_hit_once_per_protocol_in_a_run(example_register, monkeypatch, tmp_path):
    import jakplan.catalog.loader as loader
    from jakplan.clinic.cohort import due_files, export_register

    for n in range(7, 40):
        shutil.copy(example_register / "c001.toml", example_register / f"c{n:03d}.toml")
    loader._CACHE.clear()
    loads = []
    real = loader.load_protocol_file
    monkeypatch.setattr(loader, "load_protocol_file", lambda *a, **k: loads.append(a[0]) or real(*a, **k))
    results = list(due_files(plan_files(example_register), dt.date(2024, 8, 12), workers=1))
    assert all(r.ok for r in results) and len(results) == 39
    assert len(loads) == len(set(loads)) == 6  # six distinct protocols in the register, each loaded once
    _, res = export_register(example_register, tmp_path / "cal", workers=1, render=render_patient)
    assert all(r.ok for r in res) and len(loads) == 6  # and not again for the export in the same process


def test_a_waiver_can_be_undone_and_says_what_it_removed(tmp_path, runner, app):
    pf = tmp_path / "p.toml"
    runner.invoke(app, ["init", "--start", "2024-05-01", "--out", str(pf)])
    assert runner.invoke(app, ["record", str(pf), "--rule", "bloods_week4", "--waive", "elsewhere", "--done", "2024-06-01"]).exit_code == 0
    r = runner.invoke(app, ["undo", str(pf)])
    assert r.exit_code == 0 and r.stdout.strip() == f"Removed from {pf}: bloods_week4 waived 2024-06-01."
    assert load_planfile(pf).history.done == ()


@pytest.mark.parametrize("form", ["register", "csv"])
def test_an_export_scans_its_output_folder_for_stale_temporary_files_once_per_run(runner, app, example_register,
                                                                                    tmp_path, monkeypatch, form):
    """Issue 20 item 5: a scan of the output folder per file written made a run O(n^2) in directory entries; a
    temporary file a killed run left is removed at the start, even when nothing else changes."""
    import os

    import jakplan.fileio

    out = tmp_path / "cal"
    out.mkdir()
    src = example_register
    if form == "csv":
        src = tmp_path / "patients.csv"
        src.write_text("id,start,age\n" + "".join(f"p{k},2024-05-0{k},{50 + k}\n" for k in range(1, 7)))
    assert runner.invoke(app, ["cohort", "export", str(src), "--out", str(out)]).exit_code == 0
    stale = out / f".c001.ics{jakplan.fileio.TMP_MARK}999999999-ab12"
    stale.write_bytes(b"half")
    old = os.stat(stale).st_mtime - 2 * jakplan.fileio.STALE_AFTER
    os.utime(stale, (old, old))
    real, scans = jakplan.fileio.stale_temps, []
    monkeypatch.setattr(jakplan.fileio, "stale_temps", lambda folder, *a: scans.append(Path(folder)) or real(folder, *a))
    r = runner.invoke(app, ["cohort", "export", str(src), "--out", str(out)] + (["--force"] if form == "csv" else []))
    assert r.exit_code == 0, r.output
    assert scans == [out] and not stale.exists()


@pytest.mark.parametrize("command", ["import", "history", "labs"])
def test_a_batch_of_plan_file_writes_scans_the_register_for_stale_temporary_files_once(runner, app, tmp_path,
                                                                                      monkeypatch, command):
    """cohort import, cohort history import and cohort labs import write many plan files into one folder: the
    folder is scanned for stale temporary files once per run, not once per file written (issue 20 item 5)."""
    import os

    import jakplan.fileio

    reg = tmp_path / "reg"
    shutil.copytree(EXAMPLES / "clinic" / "register", reg)
    stale = reg / f".c001.toml{jakplan.fileio.TMP_MARK}999999999-ab12"
    stale.write_bytes(b"half")
    old = os.stat(stale).st_mtime - 2 * jakplan.fileio.STALE_AFTER
    os.utime(stale, (old, old))
    if command == "import":
        src = tmp_path / "p.csv"
        src.write_text("id,start,age\n" + "".join(f"n{k},2024-05-0{k},{50 + k}\n" for k in range(1, 6)))
        args = ["cohort", "import", str(src), "--into", str(reg)]
    elif command == "history":
        src = tmp_path / "h.csv"
        src.write_text("id,last_blood_count\n" + "".join(f"c00{k},2024-09-0{k}\n" for k in range(1, 6)))
        args = ["cohort", "history", "import", str(src), "--into", str(reg)]
    else:
        src = tmp_path / "labs.csv"
        src.write_text("patient,date,analyte,value,unit\n" + "".join(f"c00{k},2024-09-0{k},718-7,13.{k},g/dL\n"
                                                                      for k in range(1, 6)))
        args = ["cohort", "labs", "import", str(src), "--into", str(reg), "--today", "2025-01-01"]
    before = {p.name: p.read_bytes() for p in reg.glob("*.toml")}
    real, scans = jakplan.fileio.stale_temps, []
    monkeypatch.setattr(jakplan.fileio, "stale_temps", lambda folder, *a: scans.append(Path(folder)) or real(folder, *a))
    r = runner.invoke(app, args)
    assert r.exit_code in (0, 1), r.output
    written = [n for n, b in before.items() if (reg / n).read_bytes() != b] + \
        [p.name for p in reg.glob("*.toml") if p.name not in before]
    assert len(written) >= 3, r.output
    assert scans == [reg] and not stale.exists()


def test_cohort_import_refuses_ids_that_differ_only_in_case(tmp_path, runner, app):
    """Issue 20 item 4: on a case-insensitive file system 'P7' and 'p7' are one plan file; each such row is one
    line naming both rows (or the plan file already there), and nothing is written for it."""
    reg = tmp_path / "clinic"
    csv_path = write(tmp_path, "id,start,age\np7,2024-05-01,50\nq1,2024-05-01,51\nP7,2024-06-01,60\np7,2024-05-01,50\n")
    r = runner.invoke(app, ["cohort", "import", str(csv_path), "--into", str(reg)])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        f"Error: {csv_path} line 4: id 'P7' and id 'p7' ({csv_path} line 2) differ only in case; they would share one "
        f"plan file where file names ignore case: nothing imported for this row (rename one id)",
        f"Error: {csv_path} line 5: id 'p7' is used by an earlier row"]
    assert sorted(p.name for p in reg.glob("*.toml")) == ["p7.toml", "q1.toml"]
    assert load_planfile(reg / "p7.toml").profile.start == dt.date(2024, 5, 1)
    # against the plan files already in the register
    again = write(tmp_path, "id,start,age\nQ1,2024-05-01,51\np7,2024-05-01,52\n", "more.csv")
    r = runner.invoke(app, ["cohort", "import", str(again), "--into", str(reg)])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        f"Error: {again} line 2: id 'Q1' and id 'q1' (the plan file q1.toml in {reg}) differ only in case; they would "
        f"share one plan file where file names ignore case: nothing imported for this row (rename one id)"]
    assert sorted(p.name for p in reg.glob("*.toml")) == ["p7.toml", "q1.toml"]
    assert load_planfile(reg / "p7.toml").profile.factors["age"] == 52


@settings(max_examples=500, deadline=None)
@given(st.floats() | st.sampled_from([1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0, -1e-4, -1e16, 0.0, -0.0,
                                      5e-324, 1.7976931348623157e308]))
def test_a_float_is_plain_exactly_when_repr_writes_no_exponent(x):
    """json_text's test for floats the two encoders write alike is repr's own rule (no exponent, finite)."""
    import math

    from jakplan.render.jsontext import _plain_floats

    assert _plain_floats([{"v": x}]) == (math.isfinite(x) and "e" not in repr(x))
