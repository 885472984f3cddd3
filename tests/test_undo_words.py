"""`undo` gets what it removed from the plan file as data (records.planfile.Removed) and render/course.py words
it; one case per kind of entry jakplan adds (issue 16: no module outside render/ produces sentences)."""

from __future__ import annotations

import pytest
from support import PLAN, ok

from jakplan.actions.course import undo_last


@pytest.mark.parametrize("args, kind, words", [
    (["record", "--rule", "tb_screening", "--done", "2024-04-20"], "done", "tb_screening done 2024-04-20"),
    (["record", "--rule", "tb_screening", "--waive", "done at the GP", "--done", "2024-04-20"], "done",
     "tb_screening waived 2024-04-20"),
    (["record", "--lab", "anc=1.8", "--lab", "hb=12.5", "--on", "2024-06-01"], "lab",
     "lab values on 2024-06-01: anc 1.8, hb 12.5"),
    (["record", "--decision", "continue: reviewed", "--on", "2024-06-02"], "decision",
     "the decision on 2024-06-02: continue: reviewed"),
    (["pause", "--from", "2024-06-03", "--reason", "infection"], "pause", "the pause from 2024-06-03 (infection)"),
])
def test_each_kind_of_entry_is_removed_and_named(runner, app, tmp_path, args, kind, words):
    pf = tmp_path / "p.toml"
    pf.write_text(PLAN)
    ok(runner, app, args[0], pf, *args[1:])
    dry = undo_last(str(pf), dry_run=True)
    assert dry.removed is not None and dry.removed.kind == kind
    r = ok(runner, app, "undo", pf)
    assert r.stdout.strip() == f"Removed from {pf}: {words}."
    assert (tmp_path / "p.toml").read_text().strip() == PLAN.strip()


def test_a_resume_is_removed_and_the_pause_is_open_again(runner, app, tmp_path):
    pf = tmp_path / "p.toml"
    pf.write_text(PLAN)
    ok(runner, app, "pause", pf, "--from", "2024-06-03", "--reason", "infection")
    ok(runner, app, "resume", pf, "--on", "2024-06-20")
    r = ok(runner, app, "undo", pf, "--dry-run")
    assert "Would remove from" in r.stdout and "the resume on 2024-06-20 of the pause from 2024-06-03" in r.stdout
    r = ok(runner, app, "undo", pf)
    assert "the resume on 2024-06-20 of the pause from 2024-06-03 (the pause is open again)" in r.stdout
