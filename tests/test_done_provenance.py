"""How a check was counted done, and where an imported value came from, are fields of the plan file and of the
engine's records, never English read back (issue 16: "no renderer parses another's text"; a note is the user's).

Before: jakplan wrote notes such as "last done, from the history in h.csv (last_liver)" and "imported from
labs.csv" into plan files, and the engine recognised its own records by the first words of the note, so a user's
note starting "done with ..." changed what the engine closed."""

from __future__ import annotations

import datetime as dt
import json

from support import PLAN, ok

from jakplan.records.planfile import load_planfile

START = "2026-01-12"  # NHS Lanarkshire baricitinib: week 24 and month 6 reviews share the visit of 2026-07-06


def _status(runner, app, pf, today):
    r = runner.invoke(app, ["status", str(pf), "--today", today, "--format", "json"])
    assert r.exit_code in (0, 1), r.output  # 1: something is overdue
    return json.loads(r.stdout)


def test_a_user_note_in_jakplans_words_changes_nothing_the_engine_closes(runner, app, tmp_path):
    pf = tmp_path / "p.toml"
    ok(runner, app, "init", "--start", START, "--drug", "baricitinib", "--indication", "RA",
       "--protocol", "nhs-lanarkshire", "--out", pf)
    # the old code skipped a record whose note began "done with " when closing reviews of the same kind
    ok(runner, app, "record", pf, "--rule", "response_by_week24", "--done", "2026-07-06",
       "--note", "done with the rheumatologist; last done, from the history in my head")
    done = {i["rule"]: i for i in _status(runner, app, pf, "2026-08-20")["done"]}
    assert done["nice_continue_month6"]["done_on"] == "2026-07-06"
    assert done["nice_continue_month6"]["note"] == "done with response_by_week24 on 2026-07-06"
    # a hand record's note is the writer's: shown as theirs, never read as how the check was done
    assert done["response_by_week24"]["note"] == ("note: done with the rheumatologist; last done, from the history "
                                                  "in my head")
    assert load_planfile(pf).history.done[0].note.startswith("done with the rheumatologist")


def test_history_import_stores_where_the_day_came_from_as_fields(runner, app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reg").mkdir()
    (tmp_path / "reg" / "p1.toml").write_text(PLAN)
    (tmp_path / "h.csv").write_text("id,last_blood_count\np1,2024-07-20\n")
    ok(runner, app, "cohort", "history", "import", "h.csv", "--into", "reg", "--today", "2024-08-15")
    done = load_planfile(tmp_path / "reg" / "p1.toml").history.done
    # the column names a check by its short name; the basis names the check's code
    assert done and all(d.via == "history" and d.basis == ("h.csv", "last_cbc_diff") and d.note == "" for d in done)
    text = (tmp_path / "reg" / "p1.toml").read_text()
    assert 'via = "history"' in text and 'basis = ["h.csv", "last_cbc_diff"]' in text
    words = {i["rule"]: i["note"] for i in _status(runner, app, "reg/p1.toml", "2024-08-15")["done"]}
    assert words and all(w.startswith("last done, from the history in h.csv (last_cbc_diff)") for w in words.values())


def test_a_lab_import_stores_its_files_and_closes_the_check_by_result(runner, app, tmp_path):
    reg = tmp_path / "reg"
    reg.mkdir()
    (reg / "p1.toml").write_text(PLAN)
    (tmp_path / "week.csv").write_text(
        "patient,date,analyte,value,unit,status,uln\n"
        + "".join(f"p1,2024-05-29,{a},{v},{u},{s},{n}\n" for a, v, u, s, n in [
            ("anc", 3.1, "10^9/L", "final", ""), ("alc", 1.9, "10^9/L", "final", ""),
            ("hb", 13.5, "g/dL", "final", ""), ("egfr", 80, "mL/min/1.73m2", "final", ""),
            ("alt", 20, "U/L", "preliminary", 40)]))
    ok(runner, app, "cohort", "labs", "import", tmp_path / "week.csv", "--into", reg, "--today", "2024-06-01")
    [rec] = load_planfile(reg / "p1.toml").history.labs
    assert (rec.note, rec.sources, rec.preliminary) == ("", ("week.csv",), ("alt_uln",))
    notes = {i["rule"]: i["note"] for i in _status(runner, app, reg / "p1.toml", "2024-06-01")["done"]}
    assert "done by result (imported from week.csv)" in notes.values()


def test_a_stored_via_jakplan_does_not_know_is_refused_with_the_entry(runner, app, tmp_path):
    pf = tmp_path / "p.toml"
    pf.write_text(PLAN + '\n[[done]]\nrule = "tb_screen"\non = 2024-04-20\nvia = "hearsay"\n')
    r = runner.invoke(app, ["status", str(pf), "--today", "2024-06-01"])
    assert r.exit_code == 2 and "done #1: via 'hearsay' is not one of result, same_kind, score, history" in r.output


def test_preliminary_must_name_a_value_of_its_entry(runner, app, tmp_path):
    pf = tmp_path / "p.toml"
    pf.write_text(PLAN + '\n[[lab]]\non = 2024-06-01\nanc = 1.5\npreliminary = ["alt"]\n')
    r = runner.invoke(app, ["status", str(pf), "--today", "2024-06-01"])
    assert r.exit_code == 2 and "lab #1: field 'preliminary' names alt" in r.output


def test_done_records_round_trip_their_provenance(tmp_path):
    from jakplan.records.planfile import edit_planfile

    pf = tmp_path / "p.toml"
    pf.write_text(PLAN)
    with edit_planfile(pf) as f:
        f.add_done("bloods_week4", dt.date(2024, 5, 29), via="history", basis=("a.csv", "last_fbc", "last_lft"))
    [d] = load_planfile(pf).history.done
    assert (d.via, d.basis) == ("history", ("a.csv", "last_fbc", "last_lft"))
