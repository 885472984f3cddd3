"""record / pause / resume / undo sequences (issue 20 item 3): `undo` of every entry kind works, in any order it
was recorded, until nothing jakplan recorded is left; the sequences that make no sense are refused with one line
and change nothing; a pause reason is drawn literally by `trend` (no matplotlib mathtext)."""

from __future__ import annotations

import tomllib

import pytest
from support import PLAN

STEPS = {
    "done": ["record", "--rule", "bloods_week4", "--done", "2024-06-01"],
    "lab": ["record", "--lab", "anc=1.5", "--on", "2024-06-02"],
    "pause": ["pause", "--from", "2024-07-01", "--reason", "zoster"],
    "resume": ["resume", "--on", "2024-07-10"],
    "score": ["record", "--score", "das28crp=4.1", "--on", "2024-07-20"],
}
WORDS = {"done": "bloods_week4 done", "lab": "lab values", "pause": "the pause from", "resume": "the resume on",
         "score": "score"}


def run(runner, app, pf, argv):
    return runner.invoke(app, [argv[0], str(pf), *argv[1:]])


def history(pf) -> dict:
    raw = tomllib.loads(pf.read_text())
    return {k: raw.get(k, []) for k in ("done", "lab", "pause", "score")}


def one_line_refusal(result, *words):
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for w in words:
        assert w in lines[0], lines[0]


@pytest.mark.parametrize("order", [
    ["done", "lab", "pause", "resume", "score"],
    ["pause", "score", "resume", "lab", "done"],
    ["score", "pause", "done", "resume"],
])
def test_undo_removes_every_kind_of_entry_in_reverse_order(runner, app, tmp_path, order):
    pf = tmp_path / "anna.toml"
    pf.write_text(PLAN)
    for step in order:
        result = run(runner, app, pf, STEPS[step])
        assert result.exit_code in (0, 1), (step, result.output)
    for step in reversed(order):
        result = runner.invoke(app, ["undo", str(pf)])
        assert result.exit_code == 0, (step, result.output)
        assert WORDS[step] in result.stdout, (step, result.stdout)
        status = runner.invoke(app, ["status", str(pf), "--today", "2024-08-01"])
        assert status.exit_code in (0, 1), status.output  # every state in between is a readable plan file
    assert history(pf) == {"done": [], "lab": [], "pause": [], "score": []}
    one_line_refusal(runner.invoke(app, ["undo", str(pf)]), "nothing to undo")  # undo past the start
    assert tomllib.loads(pf.read_text()) == tomllib.loads(PLAN)


@pytest.mark.parametrize("setup, argv, words", [
    ([], ["resume", "--on", "2024-07-10"], ["not paused"]),
    ([], ["pause", "--from", "2024-04-30", "--reason", "x"], ["before the start date"]),
    ([], ["pause", "--from", "9999-12-31", "--reason", "x"], ["9999-12-31"]),
    ([], ["record", "--rule", "bloods_week4", "--done", "0001-01-01"], ["0001-01-01"]),
    ([], ["undo"], ["nothing to undo"]),
    (["pause"], ["pause", "--from", "2024-07-05", "--reason", "y"], ["already paused"]),
    (["pause"], ["resume", "--on", "2024-06-20"], ["before the pause began"]),
    (["pause"], ["resume", "--on", "9999-12-31"], ["9999-12-31"]),
    (["pause", "resume"], ["resume", "--on", "2024-07-20"], ["not paused"]),
    (["pause", "resume"], ["pause", "--from", "2024-07-05", "--reason", "y"], ["before the previous one ended"]),
])
def test_senseless_sequences_are_refused_with_one_line(runner, app, tmp_path, setup, argv, words):
    pf = tmp_path / "anna.toml"
    pf.write_text(PLAN)
    for step in setup:
        assert run(runner, app, pf, STEPS[step]).exit_code in (0, 1)
    before = pf.read_bytes()
    one_line_refusal(run(runner, app, pf, argv), *words)
    assert pf.read_bytes() == before


def test_cohort_due_far_week_is_one_line(runner, app, tmp_path):
    (tmp_path / "anna.toml").write_text(PLAN)
    one_line_refusal(runner.invoke(app, ["cohort", "due", str(tmp_path), "--week", "9999-12-31"]), "9999-12-31")


@pytest.mark.system  # matplotlib
def test_a_pause_reason_with_dollars_is_drawn_literally(runner, app, tmp_path):
    pf = tmp_path / "anna.toml"
    pf.write_text(PLAN)
    for argv in (STEPS["lab"], ["pause", "--from", "2024-07-01", "--reason", r"a $\frac{1}{$ b"], STEPS["resume"],
                 ["record", "--lab", "anc=1.6", "--on", "2024-07-12"]):
        assert run(runner, app, pf, argv).exit_code in (0, 1)
    result = runner.invoke(app, ["trend", str(pf), "--out", "-"])
    assert result.exit_code == 0, result.output
    assert r"\frac{1}{" in result.stdout
