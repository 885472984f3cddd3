"""A register's history brought in (issue 18 item 4): `cohort import` with last_<check> columns, and `cohort
history import`, record the checks the days close, so the first worklist lists only what is really due."""

from __future__ import annotations

import csv
import io
import json

from typer.testing import CliRunner

from jakplan.cli import app

runner = CliRunner()
TODAY = "2024-08-15"  # a Thursday
HEAD = "id,start,drug,last_blood_count,last_liver,last_kidney,last_lipids,last_tb_test,last_hbv_serology," \
       "last_hcv_serology,last_immunisations_update,last_zoster_vaccination,last_disease_activity,last_treatment_response"


def _due(reg):
    r = runner.invoke(app, ["cohort", "due", str(reg), "--today", TODAY, "--format", "csv"])
    return r, list(csv.DictReader(io.StringIO(r.stdout)))


def test_a_register_with_history_columns_lists_only_what_is_really_due(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reg.csv").write_text("\n".join([
        HEAD,
        # everything done lately: nothing overdue; the 3-monthly bloods next fall due after this week
        "full,2024-01-10,baricitinib,2024-07-20,2024-07-20,2024-07-20,2024-04-05,2023-12-20,2023-12-20,2023-12-20,"
        "2023-12-20,2023-12-20,2024-07-20,2024-07-20",
        # the same, with no lipids and a liver test older than the last blood count
        "nolipids,2024-01-10,baricitinib,2024-07-20,2024-04-03,2024-07-20,,2023-12-20,2023-12-20,2023-12-20,"
        "2023-12-20,2023-12-20,2024-07-20,2024-07-20",
        # no history at all: every check so far is overdue
        "new,2024-01-10,baricitinib,,,,,,,,,,,",
    ]) + "\n")
    r = runner.invoke(app, ["cohort", "import", "reg.csv", "--into", "reg"])
    assert r.exit_code == 0, r.output
    assert "Created reg/full.toml" in r.stdout and "last done: bloods_every_3_months 2024-07-20" in r.stdout
    r, rows = _due(tmp_path / "reg")
    mine = {pid: [(x["kind"], x["rule"] if "rule" in x else x["check"]) for x in rows if x["patient"] == pid]
            for pid in ("full", "nolipids", "new")}
    assert mine["full"] == [], rows
    js = json.loads(runner.invoke(app, ["cohort", "due", "reg", "--today", TODAY, "--format", "json"]).stdout)
    by = {}
    for i in js["items"]:
        by.setdefault(i["patient"], []).append((i["kind"], i["rule"]))
    assert "full" not in by
    # the liver test of April closes the 3-monthly bloods only up to April: due again from July
    assert sorted(by["nolipids"]) == [("overdue", "bloods_every_3_months"), ("overdue", "lipids_week12")]
    assert len(by["new"]) >= 10 and all(k == "overdue" for k, _ in by["new"])
    st = json.loads(runner.invoke(app, ["status", "reg/full.toml", "--today", TODAY, "--format", "json"]).stdout)
    done = {i["rule"]: i for i in st["done"]}
    assert "from the history in reg.csv" in done["bloods_every_3_months"]["note"]
    # importing the same file again records nothing new
    r = runner.invoke(app, ["cohort", "import", "reg.csv", "--into", "reg"])
    assert r.exit_code == 0 and "0 updated, 3 unchanged" in r.stdout, r.output


def test_cohort_history_import_records_the_days_and_reports_bad_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reg.csv").write_text("id,start,drug\na,2024-01-10,baricitinib\n")
    assert runner.invoke(app, ["cohort", "import", "reg.csv", "--into", "reg"]).exit_code == 0
    before = len(_due(tmp_path / "reg")[1])
    (tmp_path / "hist.csv").write_text("Hospital No,Last FBC,last_liver,last_kidney,consultant\n"
                                       "a,2024-07-20,2024-07-20,2024-07-20,Dr X\n"
                                       "zz,2024-07-20,,,\n"
                                       "a,2099-01-01,,,\n")
    r = runner.invoke(app, ["cohort", "history", "import", "hist.csv", "--into", "reg", "--today", TODAY,
                            "--map", "Hospital No=id", "--map", "Last FBC=last_blood_count"])
    assert r.exit_code == 2, r.output
    assert "no plan file zz.toml" in r.stderr and "2099-01-01 is in the future" in r.stderr
    assert "Recorded in reg/a.toml (hist.csv line 2): bloods_week4 2024-07-20" in r.stdout
    after = _due(tmp_path / "reg")[1]
    assert len(after) < before and not [x for x in after if "every 3 months" in x["check"]]
    r = runner.invoke(app, ["cohort", "history", "import", "hist.csv", "--into", "reg", "--today", TODAY,
                            "--map", "Hospital No=id", "--map", "Last FBC=last_blood_count"])
    assert "0 checks recorded done" in r.stdout
    (tmp_path / "bad.csv").write_text("id,last_bogus\na,2024-07-20\n")
    r = runner.invoke(app, ["cohort", "history", "import", "bad.csv", "--into", "reg", "--today", TODAY])
    assert r.exit_code == 2 and "last_bogus: not a check jakplan knows" in r.stderr
    (tmp_path / "none.csv").write_text("id,start\na,2024-01-10\n")
    r = runner.invoke(app, ["cohort", "history", "import", "none.csv", "--into", "reg"])
    assert r.exit_code == 2 and "at least one 'last_<check>' column" in r.output
