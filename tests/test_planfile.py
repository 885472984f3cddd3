"""Plan files: round trip, validation, comments kept, the lock (two writers) and a crash mid-write."""

import datetime as dt
import multiprocessing
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import tomli

from jakplan.errors import JakplanError
from jakplan.history import Done, LabRecord, Pause
from jakplan.records.planfile import (
    create_planfile,
    edit_planfile,
    file_lock,
    load_planfile,
)
from jakplan.records.profile import Profile, load_profile

D = dt.date


def make(tmp_path, name="anna.toml", **kw):
    prof = Profile(start=D(2024, 5, 1), indication="ra", factors={"age": 58}, **kw)
    return create_planfile(tmp_path / name, prof)


def test_create_load_and_edit_round_trip(tmp_path):
    pf = make(tmp_path)
    path = pf.path
    with edit_planfile(path) as pf:
        pf.add_done("lipids_week12", D(2024, 7, 29), note="fasting")
        pf.add_lab(D(2024, 7, 29), {"anc": 1.8, "alc": 0.9, "hb": 12.1})
        pf.start_pause(D(2024, 9, 2), "herpes zoster")
    with edit_planfile(path) as pf:
        pf.end_pause(D(2024, 9, 23))
    got = load_planfile(path)
    assert got.profile.start == D(2024, 5, 1) and got.profile.factors == {"age": 58}
    assert got.history.done == (Done("lipids_week12", D(2024, 7, 29), "fasting"),)
    assert got.history.labs == (LabRecord(D(2024, 7, 29), {"anc": 1.8, "alc": 0.9, "hb": 12.1}),)
    assert got.history.pauses == (Pause(D(2024, 9, 2), D(2024, 9, 23), "herpes zoster"),)
    text = path.read_text()
    assert "[[done]]" in text and "on = 2024-07-29" in text and "to = 2024-09-23" in text
    # a plan file is also a profile, so --profile takes it
    assert load_profile(path).to_dict() == got.profile.to_dict()


def test_comments_and_unknown_keys_survive_an_edit(tmp_path):
    path = tmp_path / "bob.toml"
    path.write_text(textwrap.dedent("""\
        # Bob's plan, kept by the clinic nurse
        jakplan = 1
        drug = "baricitinib"
        start = 2024-05-01
        clinic_ref = "R-1234"   # our own field

        [factors]
        age = 71  # confirmed at intake
        """))
    with edit_planfile(path) as pf:
        pf.add_done("bloods_week4", D(2024, 5, 30))
    text = path.read_text()
    assert "# Bob's plan, kept by the clinic nurse" in text
    assert 'clinic_ref = "R-1234"   # our own field' in text
    assert "age = 71  # confirmed at intake" in text
    assert load_planfile(path).history.done == (Done("bloods_week4", D(2024, 5, 30)),)


def test_a_toml_1_1_plan_file_is_read_and_edited_keeping_what_it_says(tmp_path):
    """Plan files are read as TOML 1.1 (tomli): a hand-written inline table over several lines is read, and an
    edit (appended as text, or through the TOML editor as undo does) keeps it as written."""
    path = tmp_path / "bob.toml"
    path.write_text('jakplan = 1\ndrug = "baricitinib"\nstart = 2024-05-01\nfactors = {\n  age = 71,\n  egfr = 50,\n}\n')
    assert load_planfile(path).profile.factors == {"age": 71, "egfr": 50}
    with edit_planfile(path) as pf:
        pf.add_lab(D(2024, 5, 20), {"anc": 1.9})
    with edit_planfile(path) as pf:
        pf.add_done("bloods_week4", D(2024, 5, 30))
    with edit_planfile(path) as pf:
        pf.undo_last()  # the done entry, removed through the TOML editor
    assert "factors = {\n  age = 71,\n  egfr = 50,\n}" in path.read_text()
    pf = load_planfile(path)
    assert pf.profile.factors == {"age": 71, "egfr": 50}
    assert [r.values for r in pf.history.labs] == [{"anc": 1.9}] and pf.history.done == ()


def test_create_never_overwrites(tmp_path):
    make(tmp_path)
    before = (tmp_path / "anna.toml").read_bytes()
    with pytest.raises(JakplanError, match="already exists"):
        make(tmp_path)
    assert (tmp_path / "anna.toml").read_bytes() == before


@pytest.mark.parametrize("body, message", [
    ("jakplan = 1\nstart = 2024-05-01\n[[done]\nrule = 'x'\n", r"not valid TOML: .*line 3"),
    ("jakplan = 2\nstart = 2024-05-01\n", "file format 2 is newer than this jakplan understands"),
    ("jakplan = 1\n", "field 'start' .* is missing"),
    ("jakplan = 1\nstart = 2024-05-01\n[[done]]\nrule = 'x'\n", "done #1: field 'on' is missing"),
    ("jakplan = 1\nstart = 2024-05-01\n[[done]]\nrule = 'x'\non = 'soon'\n", "done #1: field 'on' must be a date"),
    ("jakplan = 1\nstart = 2024-05-01\n[[lab]]\non = 2024-06-01\nneutrophils = 1.0\n", "lab #1: unknown lab analyte 'neutrophils'"),
    ("jakplan = 1\nstart = 2024-05-01\n[[lab]]\non = 2024-06-01\nanc = -1\n", "lab #1: anc '-1': absolute neutrophil count cannot be negative"),
    ("jakplan = 1\nstart = 2024-05-01\n[[pause]]\nfrom = 2024-06-10\nto = 2024-06-01\n", "pause #1: 'to' 2024-06-01 is before 'from'"),
    ("jakplan = 1\nstart = 2024-05-01\n[[pause]]\nfrom = 2024-04-10\n", "pause #1: 'from' 2024-04-10 is before the start date"),
    ("jakplan = 1\nstart = 2024-05-01\n[[pause]]\nfrom = 2024-06-01\n[[pause]]\nfrom = 2024-07-01\n",
     "pause #2: the previous pause .* has no 'to'"),
])
def test_bad_files_are_refused_and_left_untouched(tmp_path, body, message):
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(JakplanError, match=message) as exc:
        load_planfile(path)
    assert str(exc.value).startswith(str(path)) and "\n" not in str(exc.value)
    with pytest.raises(JakplanError, match=message):
        with edit_planfile(path) as pf:
            pf.add_done("lipids_week12", D(2024, 7, 29))
    assert path.read_text() == body


def test_a_failed_edit_writes_nothing(tmp_path):
    path = make(tmp_path).path
    before = path.read_bytes()
    with pytest.raises(JakplanError, match="not paused"):
        with edit_planfile(path) as pf:
            pf.add_done("lipids_week12", D(2024, 7, 29))
            pf.end_pause(D(2024, 8, 1))
    assert path.read_bytes() == before


def test_pause_rules(tmp_path):
    path = make(tmp_path).path
    with pytest.raises(JakplanError, match="before the start date"):
        with edit_planfile(path) as pf:
            pf.start_pause(D(2024, 4, 1), "x")
    with edit_planfile(path) as pf:
        pf.start_pause(D(2024, 6, 1), "infection")
    with pytest.raises(JakplanError, match="already paused since 2024-06-01"):
        with edit_planfile(path) as pf:
            pf.start_pause(D(2024, 6, 5), "again")
    with pytest.raises(JakplanError, match="before the pause began"):
        with edit_planfile(path) as pf:
            pf.end_pause(D(2024, 5, 20))
    with edit_planfile(path) as pf:
        pf.end_pause(D(2024, 6, 10))
    with pytest.raises(JakplanError, match="before the previous one ended"):
        with edit_planfile(path) as pf:
            pf.start_pause(D(2024, 6, 5), "overlap")


def _writer(path: str, who: str, n: int) -> None:
    for k in range(n):
        with edit_planfile(path) as pf:
            pf.add_done(f"{who}", D(2024, 6, 1) + dt.timedelta(days=k))
            time.sleep(0.003)  # widen the read-modify-write window: without the lock, updates get lost


def test_two_writers_lose_nothing(tmp_path):
    path = make(tmp_path).path
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), who, 15)) for who in ("alice", "bob")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    done = load_planfile(path).history.done
    assert sorted(d.rule for d in done) == ["alice"] * 15 + ["bob"] * 15
    assert [d.on for d in done if d.rule == "alice"] == [D(2024, 6, 1) + dt.timedelta(days=k) for k in range(15)]


@pytest.mark.system
def test_a_waiting_command_blocks_until_the_lock_is_free(tmp_path):
    path = make(tmp_path).path
    with file_lock(path):
        proc = subprocess.Popen(
            [sys.executable, "-m", "jakplan", "record", str(path), "--rule", "lipids_week12", "--done", "2024-07-29"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        assert proc.poll() is None, proc.communicate()
        # change the file while the other command waits: it must see this change, not overwrite it
        with _no_lock_edit(path) as pf:
            pf.add_done("bloods_week4", D(2024, 5, 30))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert [d.rule for d in load_planfile(path).history.done] == ["bloods_week4", "lipids_week12"]


def _no_lock_edit(path):
    """The edit body without taking the lock (the test already holds it)."""
    import contextlib

    import tomlkit

    from jakplan.records import planfile as mod

    @contextlib.contextmanager
    def cm():
        text = Path(path).read_text()
        pf = mod.planfile_from_text(text, Path(path))
        pf._doc = tomlkit.parse(text)
        yield pf
        mod._save(pf)

    return cm()


def test_lock_timeout_is_one_clear_error(tmp_path):
    path = make(tmp_path).path
    with file_lock(path):
        t0 = time.monotonic()
        with pytest.raises(JakplanError, match="another jakplan command is changing this file"):
            with edit_planfile(path, timeout=0.3):
                pass
        assert time.monotonic() - t0 >= 0.3


CRASH = """
import os, signal, sys, datetime as dt
import jakplan.fileio as fileio
real_fsync = os.fsync
def die(fd):
    real_fsync(fd)
    os.kill(os.getpid(), signal.SIGKILL)   # power cut after the new bytes hit the temp file
fileio.os.fsync = die
from jakplan.records.planfile import edit_planfile
with edit_planfile(sys.argv[1]) as pf:
    pf.add_done("lipids_week12", dt.date(2024, 7, 29))
"""


def test_a_crash_mid_write_leaves_the_old_file(tmp_path):
    path = make(tmp_path).path
    with edit_planfile(path) as pf:
        pf.add_done("bloods_week4", D(2024, 5, 30))
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", CRASH, str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert path.read_bytes() == before
    assert [d.rule for d in load_planfile(path).history.done] == ["bloods_week4"]
    leftovers = [p.name for p in tmp_path.iterdir() if ".jakplan-tmp-" in p.name]
    assert leftovers and all(n.startswith(".anna.toml.jakplan-tmp-") for n in leftovers)  # the dead write, hidden
    # the kernel released the dead process's lock: the next command works, and removes the dead write's file
    with edit_planfile(path, timeout=2) as pf:
        pf.add_done("lipids_week12", D(2024, 7, 29))
    assert [d.rule for d in load_planfile(path).history.done] == ["bloods_week4", "lipids_week12"]
    assert not [p.name for p in tmp_path.iterdir() if ".jakplan-tmp-" in p.name]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LAB_ADD = st.tuples(st.integers(0, 2), st.sampled_from(["", "08:00", "12:00"]),
                     st.sets(st.sampled_from(["anc", "alc", "hb"]), min_size=1))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(_LAB_ADD, min_size=1, max_size=3), max_size=6))
def test_a_lab_value_already_recorded_is_refused_across_and_within_edits(tmp_path_factory, edits):
    """add_lab checks each new day against an index of the entries (issue 20 item 5: not a scan of every earlier
    entry per day added); what it refuses is what a scan of every entry refuses, with the same words."""
    path = make(tmp_path_factory.mktemp("labs")).path
    kept: list[tuple[dt.date, str, set]] = []
    for adds in edits:
        now = list(kept)
        try:
            with edit_planfile(path) as pf:
                for day, at, analytes in adds:
                    on = D(2024, 6, 1 + day)
                    same = sorted(a for o, t, vals in now if o == on and (t == at or not t or not at)
                                  for a in vals if a in analytes)
                    try:
                        pf.add_lab(on, {a: 2.0 for a in sorted(analytes)}, at=at)
                    except JakplanError as exc:
                        assert same and str(exc).startswith(f"{path}: {', '.join(same)} already recorded on {on}")
                        raise
                    assert not same
                    now.append((on, at, set(analytes)))
        except JakplanError:
            continue  # the edit failed as a whole: nothing of it kept
        kept = now
    assert len(load_planfile(path).history.labs) == len(kept)


def test_a_file_saved_by_another_program_during_an_edit_is_not_overwritten(tmp_path):
    """Issue 20 item 4 (lost update): the lock keeps other jakplan commands out, not an editor; a plan file that
    changed between being read and being written back is left as the other program saved it, with one line."""
    path = make(tmp_path).path
    with pytest.raises(JakplanError) as err:
        with edit_planfile(path) as pf:
            pf.add_done("lipids_week12", D(2024, 7, 29))
            path.write_text(path.read_text() + "\n# the clinician's note, saved from an editor\n")
    assert str(err.value) == (f"{path}: changed by another program while jakplan was changing it; nothing written "
                              f"(run the command again to make the change on what the file holds now)")
    assert path.read_text().endswith("# the clinician's note, saved from an editor\n")
    assert load_planfile(path).history.done == ()
    with edit_planfile(path) as pf:  # run again: the change is made on what the file holds now
        pf.add_done("lipids_week12", D(2024, 7, 29))
    assert "the clinician's note" in path.read_text() and len(load_planfile(path).history.done) == 1


def test_a_lab_import_reads_again_a_file_saved_meanwhile_and_keeps_both(tmp_path, monkeypatch):
    """The import re-reads a plan file that another program saved while it was writing, and adds its values to
    what the file holds now (the other program's save kept)."""
    from jakplan.clinic.labstore import store_imports
    from jakplan.records import planfile
    from jakplan.records.labimport import import_csv

    path = make(tmp_path, name="p1.toml").path
    real, saves = planfile._check_unchanged, []

    def editor_saves_once(pf):
        if not saves:
            saves.append(1)
            path.write_text(path.read_text() + '\n[[done]]\nrule = "screening"\non = 2024-04-20\n')
        real(pf)

    monkeypatch.setattr(planfile, "_check_unchanged", editor_saves_once)
    (tmp_path / "labs.csv").write_text("patient,date,analyte,value,unit\np1,2024-07-29,718-7,12.5,g/dL\n")
    summary = store_imports([import_csv(tmp_path / "labs.csv", D(2025, 1, 1))], tmp_path)
    assert summary.problems == [] and summary.added == 1 and saves == [1]
    got = load_planfile(path).history
    assert [d.rule for d in got.done] == ["screening"] and got.labs[0].values == {"hb": 12.5}


_LAB_ENTRY = st.fixed_dictionaries({"on": st.sampled_from([D(2024, 6, 1), D(2024, 6, 2), "June"]),
                                    "at": st.sampled_from(["", "08:00", "12:00", "25:00"])},
                                   optional={"anc": st.sampled_from([1.8, -1.0]), "hb": st.just(12.0),
                                             "zinc": st.just(1.0)})


@settings(max_examples=200, deadline=None)
@given(st.lists(_LAB_ENTRY, max_size=5), st.lists(_LAB_ENTRY, max_size=4))
def test_appended_lab_entries_are_checked_as_reading_the_whole_file_checks_them(old, new):
    """Entries appended to a plan file are checked each and against the file's entries (read and checked whole
    under the lock), not by reading the whole file again (issue 19 item 5): that refuses exactly what reading
    the whole new file refuses, with the same words."""
    from jakplan.records.planfile import _lab_records

    def entry(e):
        return {k: v for k, v in e.items() if not (k == "at" and not v)}

    def outcome(fn):
        try:
            return fn()
        except JakplanError as exc:
            return str(exc)

    old, new = [entry(e) for e in old], [entry(e) for e in new]
    before = outcome(lambda: _lab_records(old, "p.toml"))
    if isinstance(before, str):
        return  # a file that does not read is refused before anything is appended
    assert outcome(lambda: _lab_records(new, "p.toml", tuple(before))) == \
        outcome(lambda: _lab_records(old + new, "p.toml")[len(old):])


@pytest.mark.parametrize("tail, message", [
    ("\n[[lab]]\non = 2024-07-29\nanc = 2.0\n", "lab #2: anc recorded twice on 2024-07-29"),
    ("\n[[lab]]\non = 2024-07-30\nzinc = 2.0\n", "lab #2: unknown lab analyte 'zinc'"),
    ("\n[[lab]]\non = 2024-07-30\nanc = -2.0\n", "lab #2: anc"),
    ("\n[[lab]]\non = 2024-07-30\nanc = 2.0\n[[done]]\nrule = 'x'\n", "done #1: field 'on' is missing"),
])
def test_appended_text_that_does_not_read_back_is_not_written(tmp_path, tail, message):
    """What an edit appends as text is read back and checked before the file is replaced (here text put in
    place of add_lab's own, which checks its values before it writes them)."""
    path = make(tmp_path).path
    with edit_planfile(path) as pf:
        pf.add_lab(D(2024, 7, 29), {"anc": 1.8})
    before = path.read_bytes()
    with pytest.raises(JakplanError) as err:
        with edit_planfile(path) as pf:
            pf._tail.append(tail)
    assert message in str(err.value)
    assert path.read_bytes() == before


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.integers(-10**20, 10**20), st.dates(),
                 st.datetimes(), st.text(max_size=8), st.booleans()))
def test_entry_values_are_written_as_tomlkit_writes_them(value):
    """The text appended for a [[lab]] entry's values is what tomlkit writes for them (numbers, dates and times
    are written without building a tomlkit item for each, issue 19 item 5), and reads back as the value."""
    import tomllib

    import tomlkit

    from jakplan.records.planfile import _entry_text

    text = _entry_text("lab", {"x": value})
    assert text == f"\n[[lab]]\nx = {tomlkit.item(value).as_string()}\n"
    assert tomllib.loads(text)["lab"] == [{"x": value}]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.lists(st.text(max_size=12), max_size=4)))
def test_values_written_as_text_are_what_tomlkit_writes(value):
    """Appended [[lab]] entries write plain strings and lists of them without tomlkit (a lab import's time): the
    text is tomlkit's own, and it reads back as the value."""
    import tomlkit

    from jakplan.records.planfile import _value_text

    assert _value_text(value) == tomlkit.item(value).as_string()
    assert tomli.loads(f"v = {_value_text(value)}")["v"] == value


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_holds_is_true_exactly_when_the_file_holds_those_bytes(tmp_path_factory, written, asked):
    """`fileio.holds` (the check that no other program saved a plan file while jakplan was changing it) says yes
    exactly when the file's bytes are those; a folder, a FIFO or a missing file holds nothing."""
    import os

    from jakplan.fileio import holds

    folder = tmp_path_factory.mktemp("holds")
    (folder / "f").write_bytes(written)
    assert holds(folder / "f", asked) == (written == asked)
    assert holds(folder / "f", written) and not holds(folder / "f", written + b"x")
    os.mkfifo(folder / "fifo")
    assert not holds(folder / "fifo", b"") and not holds(folder, b"") and not holds(folder / "none", b"")
