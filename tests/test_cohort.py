"""`jakplan cohort export / due`: per-patient files from a CSV, who is due in a folder, bad rows and files."""

import datetime as dt
import errno
import json
import re
import shutil
from pathlib import Path

import pytest
from fhir.resources.R4B.careplan import CarePlan
from icalendar import Calendar

from jakplan.api import plan_for, plan_for_record
from jakplan.clinic.cohort import export_rows, stream_map
from jakplan.errors import JakplanError
from jakplan.records.csvrows import Row, record_from_row
from jakplan.render.cohortfiles import render_patient
from jakplan.render.common import plan_dict
from jakplan.render.fhir import careplan
from jakplan.render.ics import calendar_bytes

EPOCH = "1711960200"

CSV = """\
id,start,drug,indication,protocol,months,age,smoker
p0001,2024-05-01,baricitinib,ra,us-label,12,58,never
p0002,2024-06-15,,,nhs-lanarkshire,,71,past
p0003,2024-13-01,,,,,60,
p0004,2024-02-29,,,eu-smpc,24,,current
p0005,2024-03-01,,,,,abc,
p0001,2024-03-01,,,,,,
p0007,2024-03-01,,,no-such-protocol,,,
"""
GOOD = {"p0001": ({"protocol": "us-label", "months": 12, "factors": {"age": 58, "smoker": "never"}}, dt.date(2024, 5, 1)),
        "p0002": ({"protocol": "nhs-lanarkshire", "months": 12, "factors": {"age": 71, "smoker": "past"}}, dt.date(2024, 6, 15)),
        "p0004": ({"protocol": "eu-smpc", "months": 24, "factors": {"smoker": "current"}}, dt.date(2024, 2, 29))}


@pytest.fixture
def cohort(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    (tmp_path / "patients.csv").write_text(CSV)
    (tmp_path / "cal").mkdir()
    return tmp_path


def expected_files(out: Path, pid: str):
    kw, start = GOOD[pid]
    plan = plan_for(start, protocol=kw["protocol"], months=kw["months"], factors=kw["factors"])
    return {
        # no identity in this CSV: the calendar is named after the patient's id (X-WR-CALNAME)
        out / f"{pid}.ics": calendar_bytes(plan, namespace=pid, calendar_name=pid),
        out / f"{pid}.json": (json.dumps(plan_dict(plan), indent=2, ensure_ascii=False) + "\n").encode(),
        out / f"{pid}.fhir.json": (json.dumps(careplan(plan, pid), indent=2, ensure_ascii=False) + "\n").encode(),
    }


@pytest.mark.parametrize("workers", [1, 2])
def test_export_writes_good_rows_and_names_bad_ones(cohort, workers):
    out = cohort / "cal"
    results = list(export_rows(cohort / "patients.csv", out, ("ics", "json", "fhir"), workers=workers, render=render_patient))
    assert [(r.name, r.ok) for r in results] == [
        ("p0001", True), ("p0002", True), ("p0003", False), ("p0004", True), ("p0005", False), ("p0001", False),
        ("p0007", False)]
    csv_path = str(cohort / "patients.csv")
    msgs = [r.message for r in results if not r.ok]
    assert msgs[0] == f"{csv_path} line 4 (id p0003): start '2024-13-01' is not a date (YYYY-MM-DD)"
    assert msgs[1] == f"{csv_path} line 6 (id p0005): factor 'age': 'abc' is not a number"
    assert msgs[2] == f"{csv_path} line 7: id 'p0001' is used by an earlier row"
    assert msgs[3].startswith(f"{csv_path} line 8 (id p0007): unknown protocol 'no-such-protocol'")
    want = {}
    for pid in GOOD:
        want.update(expected_files(out, pid))
    assert sorted(out.iterdir()) == sorted(want)
    for path, data in want.items():
        assert path.read_bytes() == data, path
        if path.suffix == ".ics":
            assert f"X-WR-CALNAME:{path.stem}: ".encode() in data
    cal = Calendar.from_ical((out / "p0001.ics").read_bytes())
    assert len(cal.walk("VEVENT")) > 5
    CarePlan.model_validate(json.loads((out / "p0002.fhir.json").read_text()))


def test_export_refuses_ids_that_differ_only_in_case(tmp_path):
    """Issue 20 item 4: P1 and p1 would write one file where file names ignore case (the later patient's calendar
    replacing the earlier's under --force): the later row is one line naming both rows, and nothing is written."""
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("id,start\nabc,2024-05-01\nABC,2024-06-01\n")
    results = list(export_rows(csv_path, tmp_path / "cal", ("ics",), overwrite=True, workers=1, render=render_patient))
    assert [(r.name, r.ok) for r in results] == [("abc", True), ("ABC", False)]
    assert results[1].message == (f"{csv_path} line 3: id 'ABC' and id 'abc' ({csv_path} line 2) differ only in case; "
                                  f"their files would be one file where file names ignore case (rename one id)")
    assert sorted(p.name for p in (tmp_path / "cal").iterdir()) == ["abc.ics"]


@pytest.mark.system
def test_serial_and_parallel_agree(cohort, tmp_path):
    rows = "id,start,age\n" + "".join(f"q{n:04d},2024-{1 + n % 12:02d}-{1 + n % 28:02d},{20 + n % 70}\n" for n in range(150))
    (tmp_path / "many.csv").write_text(rows)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    ra = list(export_rows(tmp_path / "many.csv", a, ("ics",), workers=1, render=render_patient))
    rb = list(export_rows(tmp_path / "many.csv", b, ("ics",), workers=2, render=render_patient))
    assert [(r.name, r.ok, r.events) for r in ra] == [(r.name, r.ok, r.events) for r in rb]
    assert all(r.ok for r in ra) and len(ra) == 150
    for f in a.iterdir():
        assert (b / f.name).read_bytes() == f.read_bytes()


def _square(x):
    return x * x


def test_stream_map_keeps_order_and_is_lazy():
    consumed = []

    def source():
        for n in range(1000):
            consumed.append(n)
            yield n

    it = stream_map(_square, source(), workers=2, chunk=10)
    first = [next(it) for _ in range(5)]
    assert first == [0, 1, 4, 9, 16]
    assert len(consumed) <= 10 * 2 * 2 + 10  # bounded read-ahead, not the whole input
    assert list(it) == [n * n for n in range(5, 1000)]


def test_nothing_half_written_and_nothing_overwritten(cohort, monkeypatch):
    import jakplan.fileio

    real = jakplan.fileio._link_new

    def disk_full_for_p0002_json(tmp, target, shown):
        if Path(target).name == "p0002.json":  # the patient's second file fails as it is put in place
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(tmp, target, shown)

    monkeypatch.setattr(jakplan.fileio, "_link_new", disk_full_for_p0002_json)
    out = cohort / "cal"
    (out / "p0004.ics").write_text("my own file")
    results = {r.name: r for r in export_rows(cohort / "patients.csv", out, ("ics", "json"), workers=1, render=render_patient)}
    assert "No space left on device" in results["p0002"].message
    assert not (out / "p0002.ics").exists()  # its calendar, written first, was removed again
    assert "p0004.ics: already exists" in results["p0004"].message
    assert (out / "p0004.ics").read_text() == "my own file" and not (out / "p0004.json").exists()
    assert sorted(p.name for p in out.iterdir()) == ["p0001.ics", "p0001.json", "p0004.ics"]


@pytest.mark.parametrize("text, message", [
    ("", "empty file"),
    ("id,start,shoe\n", "line 1: unknown column(s) shoe"),
    ("id,drug\n", "line 1: column 'start' is missing"),
    ("id,start,start\n", "line 1: a column is named twice"),
])
def test_a_bad_header_stops_before_anything_is_written(cohort, text, message):
    (cohort / "bad.csv").write_text(text)
    with pytest.raises(JakplanError, match=re.escape(message)):
        list(export_rows(cohort / "bad.csv", cohort / "cal", render=render_patient))
    assert list((cohort / "cal").iterdir()) == []


def test_row_shapes():
    pid, rec = record_from_row(Row("x.csv", 2, {"id": "a-1", "start": "2024-01-31", "age": "67", "cardiovascular_risk": "yes"}))
    prof = rec.profile
    assert (pid, prof.start, prof.factors) == ("a-1", dt.date(2024, 1, 31), {"age": 67, "cardiovascular_risk": True})
    assert len(plan_for_record(rec).events) == len(plan_for(dt.date(2024, 1, 31), factors=prof.factors).events)
    with pytest.raises(JakplanError, match="x.csv line 3: id '../evil' must be"):
        record_from_row(Row("x.csv", 3, {"id": "../evil", "start": "2024-01-01"}))
    with pytest.raises(JakplanError, match="x.csv line 4: 2 cells, but"):
        record_from_row(Row("x.csv", 4, {"__error__": "2 cells, but the header names 3 columns"}))


def test_cli_export_reports_bad_rows_and_summarises(runner, app, cohort):
    result = runner.invoke(app, ["cohort", "export", str(cohort / "patients.csv"), "--out", str(cohort / "cal"),
                                 "--format", "ics", "--format", "fhir"])
    assert result.exit_code == 2, result.output
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 4 and all(e.startswith(f"Error: {cohort / 'patients.csv'} line ") for e in errors)
    assert "Patients written" in result.stdout and "│                3 │     6 │" in result.stdout
    assert sorted(p.name for p in (cohort / "cal").iterdir()) == [
        "p0001.fhir.json", "p0001.ics", "p0002.fhir.json", "p0002.ics", "p0004.fhir.json", "p0004.ics"]


def test_cli_export_missing_folder_is_one_line(runner, app, cohort):
    result = runner.invoke(app, ["cohort", "export", str(cohort / "patients.csv"), "--out", str(cohort / "nope" / "cal")])
    assert result.exit_code == 2 and "its parent folder does not exist" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def clinic(tmp_path, runner, app):
    folder = tmp_path / "patients"
    folder.mkdir()
    shutil.copy(Path(__file__).parent.parent / "examples" / "patients" / "anna.toml", folder / "anna.toml")
    for name, start in (("bob", "2024-06-03"), ("carla", "2024-07-15")):
        r = runner.invoke(app, ["init", "--start", start, "--out", str(folder / f"{name}.toml")])
        assert r.exit_code == 0, r.output
    screening = ["tb_screening", "hepatitis_screening", "baseline_blood_count", "baseline_liver_kidney",
                 "immunisations", "zoster_vaccine"]
    args = ["record", str(folder / "carla.toml"), *sum((["--rule", s] for s in screening), []), "--done", "2024-07-01"]
    assert runner.invoke(app, args).exit_code == 0
    (folder / ".anna.toml.lock").write_text("")  # lock files and hidden files are not plan files
    return folder


@pytest.mark.parametrize("workers", ["1", "2"])
def test_cli_due_json(runner, app, clinic, workers):
    result = runner.invoke(app, ["cohort", "due", str(clinic), "--week", "2024-08-12", "--today", "2024-08-12", "--format", "json", "--workers", workers])
    assert result.exit_code == 1, result.output
    got = json.loads(result.stdout)
    assert (got["week_start"], got["week_end"], got["files"], got["errors"]) == ("2024-08-12", "2024-08-18", 3, [])
    rows = [(i["kind"], i["patient"], i["rule"]) for i in got["items"]]
    assert ("due", "carla", "bloods_week4") in rows and ("due", "carla", "early_response_baricitinib") in rows
    # anna's target_by_month6 (dated 2024-11-01, window already open) is not this week's work
    assert not [r for r in rows if r[1] == "anna"]
    bob = [r for r in rows if r[1] == "bob"]
    assert ("overdue", "bob", "bloods_week4") in bob and ("overdue", "bob", "tb_screening") in bob
    kinds = [i["kind"] for i in got["items"]]
    assert kinds == sorted(kinds, key=("lab", "overdue", "due").index)  # overdue first, then due
    late = [i["days_late"] for i in got["items"] if i["kind"] == "overdue"]
    assert late == sorted(late, reverse=True)
    assert result.stderr.strip() == "1 patient with overdue checks"


def test_cli_due_reports_a_bad_file_by_name_and_line_and_goes_on(runner, app, clinic):
    (clinic / "dave.toml").write_text("jakplan = 1\nstart = 2024-05-01\n[[done]\nrule = 'x'\n")
    result = runner.invoke(app, ["cohort", "due", str(clinic), "--week", "2024-08-12", "--today", "2024-08-12"])
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines() == [
        f"Error: {clinic / 'dave.toml'}: not valid TOML: Expected ']]' at the end of an array declaration (at line 3, column 7)"]
    for name in ("bob", "carla"):
        assert name in result.stdout
    assert ("4 plan files: 0 with a lab result that needs action, 0 with a result flagged by the laboratory, "
            "1 with overdue checks, 1 with checks due this week, 1 unreadable") in " ".join(result.stdout.split())


def test_a_row_with_bytes_that_are_not_utf8_is_reported_and_the_rest_go_on(tmp_path):
    (tmp_path / "mixed.csv").write_bytes(b"id,start,smoker\nok1,2024-05-01,never\nbad,2024-05-01,n\xe9ver\nok2,2024-06-01,past\n")
    results = list(export_rows(tmp_path / "mixed.csv", tmp_path / "out", ("ics",), workers=1, render=render_patient))
    assert [(r.name, r.ok) for r in results] == [("ok1", True), ("bad", False), ("ok2", True)]
    assert f"{tmp_path / 'mixed.csv'} line 3 (id bad): factor 'smoker' must be one of" in results[1].message
