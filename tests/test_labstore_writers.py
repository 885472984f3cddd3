"""`cohort labs import` writes several plan files at once (threads of one process, issue 19 item 5): the report is
in the import's order whatever order the files are done in, two patients routed to one file are written one after
the other, and an error stops the import with every plan file whole (written or untouched) and no temporary file
left."""

import datetime as dt
import random
import re
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jakplan.clinic import labstore
from jakplan.clinic.labstore import store_imports
from jakplan.errors import JakplanError
from jakplan.fileio import TMP_MARK
from jakplan.records.labimport import import_csv
from jakplan.records.planfile import create_planfile, edit_planfile, file_lock, load_planfile, lock_path
from jakplan.records.profile import Profile

D = dt.date
N = 30


def register(folder: Path) -> Path:
    folder.mkdir()
    for k in range(N):
        create_planfile(folder / f"p{k}.toml", Profile(start=D(2024, 5, 1), indication="ra", factors={"age": 58}))
    # p3 also has an identifier: results sent under it go to p3.toml, after those sent under its file name
    (folder / "p3.toml").write_text((folder / "p3.toml").read_text() + '\n[patient]\nidentifier = "MRN 3"\n')
    with (folder / "p7.toml").open("a") as fh:  # p7 already has an ANC on the day the import gives another
        fh.write("\n[[lab]]\non = 2024-09-02\nanc = 2.5\n")
    return folder


def lab_csv(path: Path) -> Path:
    rows = ["patient,date,analyte,value,unit"]
    for k in range(N):
        rows += [f"p{k},2024-09-02,751-8,{1 + k / 10},10*9/L", f"p{k},2024-09-02,718-7,13.1,g/dL"]
    rows += ["MRN 3,2024-09-03,751-8,0.4,10*9/L", "nobody,2024-09-02,751-8,0.3,10*9/L",
             "p11,2024-09-04,751-8,1.1,10*9/L", "p11,2024-09-04,751-8,1.2,10*9/L"]
    path.write_text("\n".join(rows) + "\n")
    return path


def summary_of(summary, folder: Path):
    return ([(o.patient, o.path.name, o.added, o.already) for o in summary.patients],
            [str(p).replace(str(folder), "REG") for p in summary.problems], [r.where for r in summary.unmatched],
            summary.unwritten)


def labs_of(folder: Path):
    return {p.name: [(r.on, r.values) for r in load_planfile(p).history.labs] for p in sorted(folder.glob("*.toml"))}


def test_the_report_is_in_the_import_order_whatever_order_the_files_are_written_in(tmp_path, monkeypatch):
    src = lab_csv(tmp_path / "labs.csv")
    real = labstore._store_patient

    def slow_and_shuffled(*args, **kwargs):
        time.sleep(random.random() / 100)  # files finish in another order than they were begun
        return real(*args, **kwargs)

    got = {}
    switch = sys.getswitchinterval()
    for writers in (1, 8):
        folder = register(tmp_path / f"reg{writers}")
        monkeypatch.setattr(labstore, "WRITERS", writers)
        monkeypatch.setattr(labstore, "_store_patient", slow_and_shuffled)
        ticks: list[int] = []
        res = store_imports([import_csv(src, D(2025, 1, 1))], folder, tick=lambda ticks=ticks: ticks.append(1))
        got[writers] = summary_of(res, folder), labs_of(folder)
        assert len(ticks) == N + 2  # one per patient named in the file
    assert got[8] == got[1]
    assert sys.getswitchinterval() == switch  # the interpreter's switch interval is the import's only while it writes
    patients, problems, unmatched, unwritten = got[8][0]
    assert [p for p, *_ in patients] == [f"p{k}" for k in range(N)] + ["MRN 3"]
    assert [name for _, name, *_ in patients][-1] == "p3.toml"
    assert [Path(p.split(":")[0]).name for p in problems] == ["labs.csv line 16", "labs.csv line 64",
                                                              "labs.csv line 65", "patient 'nobody'"]
    assert [Path(u).name for u in unmatched] == ["labs.csv line 63"] and unwritten == []
    p3 = got[8][1]["p3.toml"]
    assert [on for on, _ in p3] == [D(2024, 9, 2), D(2024, 9, 3)]  # both edits of one file kept


def test_an_error_stops_the_import_and_leaves_every_plan_file_whole(tmp_path, monkeypatch):
    folder = register(tmp_path / "reg")
    before = {p.name: p.read_bytes() for p in folder.glob("*.toml")}
    real = labstore._store_patient

    def fails_once(pid, *args, **kwargs):
        if pid == "p5":
            raise RuntimeError("a bug")
        return real(pid, *args, **kwargs)

    monkeypatch.setattr(labstore, "_store_patient", fails_once)
    switch = sys.getswitchinterval()
    with pytest.raises(RuntimeError, match="a bug"):
        store_imports([import_csv(lab_csv(tmp_path / "labs.csv"), D(2025, 1, 1))], folder)
    assert sys.getswitchinterval() == switch
    written = {p.name for p in folder.glob("*.toml") if p.read_bytes() != before[p.name]}
    # the edits made before it stopped were handed to the writer threads and are written; none after it is begun
    assert written == {f"p{k}.toml" for k in range(5)}
    for p in folder.glob("*.toml"):  # each whole: read back, with both new values or none
        new = [r for r in load_planfile(p).history.labs if r.on == D(2024, 9, 2) and "hb" in r.values]
        assert len(new) == (p.name in written)
    assert not [p for p in folder.iterdir() if TMP_MARK in p.name]


def test_two_names_of_one_plan_file_are_written_one_after_the_other(tmp_path, monkeypatch):
    """A symlinked plan file and the file it names are one job: the second patient's edit sees the first's."""
    folder = register(tmp_path / "reg")
    (folder / "alias.toml").symlink_to(folder / "p1.toml")
    real = labstore._store_patient

    def slow_first(pid, *args, **kwargs):
        if pid == "p1":
            time.sleep(0.05)
        return real(pid, *args, **kwargs)

    monkeypatch.setattr(labstore, "_store_patient", slow_first)
    (tmp_path / "labs.csv").write_text("patient,date,analyte,value,unit\np1,2024-09-02,751-8,1.5,10*9/L\n"
                                       "alias,2024-09-02,751-8,1.5,10*9/L\n")
    res = store_imports([import_csv(tmp_path / "labs.csv", D(2025, 1, 1))], folder)
    assert [(o.patient, o.added_count, o.already) for o in res.patients] == [("p1", 1, 0), ("alias", 0, 1)]
    assert res.problems == [] and (folder / "alias.toml").is_symlink()


def test_a_change_handed_to_a_writer_thread_holds_the_lock_until_it_is_written(tmp_path):
    """``edit_planfile(..., later=...)``: the checked change keeps its plan file locked (another edit waits) until
    the writer thread writes it; then the lock is free and the file holds the change."""
    folder = register(tmp_path / "reg")
    path = folder / "p1.toml"
    handed = []
    with edit_planfile(path, later=handed.append) as pf:
        pf.add_lab(D(2024, 9, 2), {"anc": 1.4})
    assert len(handed) == 1 and load_planfile(path).history.labs == ()  # not written yet
    with pytest.raises(JakplanError, match="another jakplan command is changing this file"):
        with edit_planfile(path, timeout=0.1):
            pass
    handed[0].run()
    assert [r.values for r in load_planfile(path).history.labs] == [{"anc": 1.4}]
    with file_lock(path, timeout=0.1):  # released
        pass
    assert not [p for p in folder.iterdir() if TMP_MARK in p.name]


def test_a_dropped_change_writes_nothing_and_frees_the_lock(tmp_path):
    folder = register(tmp_path / "reg")
    path = folder / "p2.toml"
    before = path.read_bytes()
    handed = []
    with edit_planfile(path, later=handed.append) as pf:
        pf.add_lab(D(2024, 9, 2), {"anc": 1.4})
    handed[0].drop()
    handed[0].drop()  # only the first call acts
    with pytest.raises(JakplanError, match="not written"):
        handed[0].run()
    assert path.read_bytes() == before
    with file_lock(path, timeout=0.1):
        pass


@pytest.mark.parametrize("locked_before", [True, False])
def test_a_bad_plan_file_is_refused_the_same_way_with_or_without_its_lock_file(tmp_path, locked_before):
    """A plan file whose lock file exists is locked at once and read once; one without is checked before its lock
    file is made (a bad file gets none). Either way the same refusal, nothing written, the lock free."""
    folder = tmp_path / "reg"
    folder.mkdir()
    path = folder / "bad.toml"
    path.write_text('jakplan = 1\ndrug = "baricitinib"\nstart = "soon"\n')
    if locked_before:
        lock_path(path).write_text("")
    with pytest.raises(JakplanError) as err:
        with edit_planfile(path):
            pass
    assert str(err.value).startswith(f"{path}: ")
    assert lock_path(path).exists() == locked_before
    assert path.read_text() == 'jakplan = 1\ndrug = "baricitinib"\nstart = "soon"\n'
    if locked_before:
        with file_lock(path, timeout=0.1):
            pass


_ROW = st.tuples(st.sampled_from(["p0", "p1", "p2", "p3", "alias", "MRN 2", "nobody"]),
                 st.sampled_from(["2024-09-02", "2024-09-03"]), st.sampled_from(["", "08:00", "14:30"]),
                 st.sampled_from([("751-8", "10*9/L", ["0.4", "1.9", "2.5"]), ("718-7", "g/dL", ["7.6", "13.1"])]),
                 st.integers(0, 2))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, min_size=1, max_size=14), editor=st.sets(st.sampled_from(["p0", "p1", "p2", "p3"])),
       seed=st.integers(0, 2**16))
def test_the_writer_threads_give_what_one_edit_after_the_other_gives(tmp_path_factory, monkeypatch, rows, editor,
                                                                     seed):
    """Whatever the import holds (patients routed to one file by name, identifier or symlink, conflicts, repeated
    results, times of day) and whichever plan files another program saves while they are written, the import with
    writer threads (files finishing in any order) leaves the same files and gives the same report as one edit after
    the other, and its dry run predicted what was added when no other program saved a file meanwhile."""
    from jakplan.records import planfile

    order = random.Random(seed)
    lines = ["patient,date,time,analyte,value,unit"]
    lines += [f"{p},{day},{at},{code},{values[k % len(values)]},{unit}" for p, day, at, (code, unit, values), k in rows]
    src = tmp_path_factory.mktemp("src") / "labs.csv"
    src.write_text("\n".join(lines) + "\n")

    def run(writers: int, dry: bool = False):
        folder = tmp_path_factory.mktemp("reg")
        for k in range(4):
            create_planfile(folder / f"p{k}.toml", Profile(start=D(2024, 5, 1), indication="ra", factors={"age": 58}))
        (folder / "p2.toml").write_text((folder / "p2.toml").read_text() + '\n[patient]\nidentifier = "MRN 2"\n')
        (folder / "alias.toml").symlink_to(folder / "p1.toml")
        real, saved = planfile._check_unchanged, set()

        def editor_saves(pf):  # another program saves each of these files once, while it is being written
            name = pf.path.resolve().stem
            if name in editor and name not in saved:
                saved.add(name)
                with pf.path.open("a") as fh:
                    fh.write(f"\n# saved by an editor: {name}\n")
            time.sleep(order.random() / 500)  # files finish in another order than they were begun
            real(pf)

        with monkeypatch.context() as m:  # undone after each run (hypothesis runs many examples in one test call)
            m.setattr(planfile, "_check_unchanged", editor_saves)
            m.setattr(labstore, "WRITERS", writers)
            res = store_imports([import_csv(src, D(2025, 1, 1))], folder, write=not dry)
        files = {p.name: re.sub(r"(?m)^added = .*$", "added = (when)", p.read_text())  # the moment of writing
                 for p in sorted(folder.glob("p*.toml"))}
        if not dry:  # what the report says was added is in the plan file, beside what the other program saved
            for o in res.patients:
                held = {(r.on, a, v) for r in load_planfile(o.path).history.labs for a, v in r.values.items()}
                assert {(day, a, v) for day, vals in o.added.items() for a, v in vals.items()} <= held
            assert all(f"# saved by an editor: {name}" in files[f"{name}.toml"] for name in saved)
            assert not [p for p in res.problems if "changed by another program" in str(p)]  # read again, added to
        return summary_of(res, folder), files, {o.patient: o.added for o in res.patients}

    one, many = run(1), run(3)
    assert many[:2] == one[:2]
    assert not [p for p in Path(tmp_path_factory.getbasetemp()).rglob("*") if TMP_MARK in p.name]
    if not editor:
        assert run(1, dry=True)[2] == one[2]


def test_a_dry_run_of_two_ids_of_one_patient_predicts_what_the_import_adds(tmp_path):
    """Regression (found by the property test above): a result sent under a patient's file name and again under
    their identifier is added once; the dry run said twice, each id judged against the file as it was."""
    folder = register(tmp_path / "reg")
    (tmp_path / "labs.csv").write_text("patient,date,analyte,value,unit\np3,2024-09-02,751-8,0.4,10*9/L\n"
                                       "MRN 3,2024-09-02,751-8,0.4,10*9/L\n")
    dry = store_imports([import_csv(tmp_path / "labs.csv", D(2025, 1, 1))], folder, write=False)
    real = store_imports([import_csv(tmp_path / "labs.csv", D(2025, 1, 1))], folder)
    assert [(o.patient, o.added_count, o.already) for o in dry.patients] == [("p3", 1, 0), ("MRN 3", 0, 1)]
    assert [(o.patient, o.added_count, o.already) for o in real.patients] == [("p3", 1, 0), ("MRN 3", 0, 1)]
