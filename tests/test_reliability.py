"""The hardened edge (issue 12): reads that never block, writes that never fork or half-write, temporary files
that never pile up, Ctrl-C and kill -9 at any moment, concurrent writers, output to a full disk or a closed
pipe, escaping of text from data, and loaders that only ever raise JakplanError. docs/reliability.md maps
each guarantee to its test here."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jakplan import fileio
from jakplan.errors import JakplanError
from jakplan.fileio import MAX_INPUT_BYTES, TMP_MARK, atomic_write, read_bytes, stale_temps, write_group
from jakplan.records.planfile import load_planfile
from jakplan.render.cohortfiles import render_patient

pytestmark = pytest.mark.system  # slow: see [tool.pytest.ini_options] markers

JAKPLAN = [sys.executable, "-m", "jakplan"]
PLAN = 'jakplan = 1\ndrug = "baricitinib"\nindication = "ra"\nstart = 2024-05-01\n\n[factors]\nage = 58\n'


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if TMP_MARK in p.name)


def wait_until(ready, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def run(args, **kw):
    return subprocess.run(JAKPLAN + [str(a) for a in args], capture_output=True, text=True, timeout=60, **kw)


# ---------------------------------------------------------------------------------------------- reading


def test_a_fifo_is_refused_at_once_without_blocking(tmp_path):
    fifo = tmp_path / "x.toml"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    with pytest.raises(JakplanError, match="FIFO"):
        read_bytes(fifo)
    assert time.monotonic() - t0 < 1


def test_devices_and_folders_are_refused(tmp_path):
    with pytest.raises(JakplanError, match="is a device"):
        read_bytes("/dev/zero")
    with pytest.raises(JakplanError, match="is a directory"):
        read_bytes(tmp_path)


def test_the_size_cap(tmp_path):
    p = tmp_path / "big.toml"
    p.write_bytes(b"#" * (MAX_INPUT_BYTES + 1))
    with pytest.raises(JakplanError, match="larger than 1024 KiB"):
        read_bytes(p)
    p.write_bytes(b"#" * MAX_INPUT_BYTES)
    assert len(read_bytes(p)) == MAX_INPUT_BYTES


def test_protocol_dev_zero_is_refused_at_once():
    t0 = time.monotonic()
    proc = run(["schedule", "--start", "2024-05-01", "--protocol", "/dev/zero"])
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "/dev/zero: is a device" in proc.stderr
    assert time.monotonic() - t0 < 10


def test_a_fifo_in_a_clinic_folder_does_not_block_cohort_due(tmp_path):
    (tmp_path / "anna.toml").write_text(PLAN)
    os.mkfifo(tmp_path / "x.toml")
    proc = run(["cohort", "due", tmp_path, "--week", "2024-08-12", "--today", "2024-08-12", "--format", "json"])
    assert proc.returncode == 2
    assert [ln for ln in proc.stderr.splitlines() if ln.startswith("Error:")] == [
        f"Error: {tmp_path / 'x.toml'}: is a FIFO (named pipe), not a regular file"]
    got = json.loads(proc.stdout)  # the worklist of the readable plan file is still given
    assert got["files"] == 2 and [e["file"] for e in got["errors"]] == [str(tmp_path / "x.toml")]
    assert {i["patient"] for i in got["items"]} == {"anna"}


# ---------------------------------------------------------------------------------------------- writing


def test_writing_through_a_symlink_updates_its_target(tmp_path, runner, app):
    real = tmp_path / "real" / "anna.toml"
    real.parent.mkdir()
    real.write_text(PLAN)
    link = tmp_path / "anna.toml"
    link.symlink_to(real)
    result = runner.invoke(app, ["record", str(link), "--lab", "anc=1.8", "--on", "2024-06-01"])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(real)  # still a link: the plan file is not forked
    assert "anc = 1.8" in real.read_text()
    assert (real.parent / ".anna.toml.lock").exists()  # the lock is the real file's, shared by every path to it


def test_force_replaces_only_regular_files(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    for target in ("/dev/null", tmp_path / "pipe", tmp_path):
        with pytest.raises(JakplanError, match="directory|device|FIFO"):
            atomic_write(target, b"x", overwrite=True)
    assert stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_new_files_are_created_exclusively(tmp_path, monkeypatch):
    """The check-then-replace race: another writer takes the name after our check; we fail, it keeps its file."""
    target = tmp_path / "p1.ics"
    real_link = os.link

    def racing_link(src, dst, *a, **kw):
        Path(dst).write_text("the other writer's file")
        return real_link(src, dst, *a, **kw)

    monkeypatch.setattr(fileio.os, "link", racing_link)
    with pytest.raises(JakplanError, match="already exists"):
        atomic_write(target, b"ours")
    assert target.read_text() == "the other writer's file" and temps(tmp_path) == []


def test_a_group_is_all_or_nothing(tmp_path, monkeypatch):
    real = fileio._link_new

    def second_fails(tmp, target, shown):
        if target.name == "b.json":
            raise OSError(28, "No space left on device")
        return real(tmp, target, shown)

    monkeypatch.setattr(fileio, "_link_new", second_fails)
    with pytest.raises(JakplanError, match="b.json: cannot write: No space left on device"):
        write_group([(tmp_path / "a.ics", b"a"), (tmp_path / "b.json", b"b")])
    assert sorted(os.listdir(tmp_path)) == []


def test_temporary_files_are_named_and_stale_ones_cleaned(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = tmp_path / f".anna.toml{TMP_MARK}{dead.pid}-abc123"  # a writer that was killed
    mine.write_text("half")
    live = tmp_path / f".anna.toml{TMP_MARK}{os.getppid()}-def456"  # a writer that is still running
    live.write_text("in progress")
    old = tmp_path / f".anna.toml{TMP_MARK}{os.getppid()}-old789"  # ... but for far too long
    old.write_text("old")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    other = tmp_path / ".anna.toml.xyz.tmp"  # not ours: never touched
    other.write_text("someone else's")
    assert sorted(p.name for p in stale_temps(tmp_path)) == sorted([mine.name, old.name])
    atomic_write(tmp_path / "anna.toml", PLAN)
    assert temps(tmp_path) == [live.name] and other.exists()


def test_a_group_cut_by_kill_9_is_rolled_back_by_the_next_write(tmp_path):
    """A writer killed between linking a patient's calendar and its JSON: the next cleanup removes the
    calendar it placed (same inode as its temporary file); a complete group and other people's files stay."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()

    def temp(name, group, linked):
        t = tmp_path / f".{name}{TMP_MARK}{dead.pid}-g{group}-x1"
        t.write_text(name)
        if linked:
            os.link(t, tmp_path / name)

    temp("p1.ics", "a" * 12, True)   # cut in half: calendar placed, JSON not
    temp("p1.json", "a" * 12, False)
    temp("p2.ics", "b" * 12, True)   # complete: killed while removing its temporary files
    temp("p2.json", "b" * 12, True)
    (tmp_path / "p3.ics").write_text("someone else's calendar")  # not ours: a different inode
    temp("p3.json", "c" * 12, True)
    (tmp_path / f".p3.ics{TMP_MARK}{dead.pid}-g{'c' * 12}-x1").write_text("ours, never placed")
    fileio.clean_stale_temps(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["p2.ics", "p2.json", "p3.ics"]
    assert (tmp_path / "p3.ics").read_text() == "someone else's calendar"


def test_the_output_folder_errors_are_one_line(tmp_path, runner, app):
    (tmp_path / "p.csv").write_text("id,start\np1,2024-05-01\n")
    (tmp_path / "ro").write_text("a file where a folder is expected")
    result = runner.invoke(app, ["cohort", "export", str(tmp_path / "p.csv"), "--out", str(tmp_path / "ro" / "cal")])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "ro is not a folder" in result.stderr


def test_a_read_only_parent_is_one_line(tmp_path):
    """chattr +i makes a folder read-only even for root; skipped where the file system has no such attribute."""
    if not shutil.which("chattr"):
        pytest.skip("chattr is not installed")
    (tmp_path / "p.csv").write_text("id,start\np1,2024-05-01\n")
    ro = tmp_path / "ro"
    ro.mkdir()
    if subprocess.run(["chattr", "+i", str(ro)], capture_output=True).returncode != 0:
        pytest.skip("this file system does not support chattr +i (immutable folders)")
    try:
        proc = run(["cohort", "export", tmp_path / "p.csv", "--out", ro / "cal"])
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
        assert re.search("cannot create this folder: (Operation not permitted|Permission denied|Read-only)", proc.stderr)
        proc = run(["export", "--start", "2024-05-01", "--out", ro / "plan.ics"])
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "cannot write here" in proc.stderr
    finally:
        subprocess.run(["chattr", "-i", str(ro)])


# ---------------------------------------------------------------------------------------------- output


@pytest.mark.parametrize("args", [
    ["schedule", "--start", "2024-05-01"],
    ["schedule", "--start", "2024-05-01", "--format", "json"],
    ["export", "--start", "2024-05-01", "--out", "-"],
    ["protocols"],
    ["labs", "--anc", "0.8"],
    ["checklist", "--start", "2024-05-01", "--week", "12", "--format", "text"],
])
def test_stdout_on_a_full_disk_is_one_line(args):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(JAKPLAN + args, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == "Error: cannot write the output: No space left on device\n"


def test_a_closed_stdout_pipe_ends_quietly():
    proc = subprocess.Popen(JAKPLAN + ["schedule", "--start", "2024-05-01", "--months", "120", "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(30)
    assert err == "" and proc.returncode == 0


def test_an_unexpected_error_is_one_line_and_exit_70(runner, app, monkeypatch):
    import jakplan.cli.schedule

    def boom(*a, **kw):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(jakplan.cli.schedule, "schedule_view", boom)  # the one use-case call of the command
    result = runner.invoke(app, ["schedule", "--start", "2024-05-01"])
    assert result.exit_code == 70
    assert result.stderr.count("\n") == 1 and "internal error (ZeroDivisionError: a bug); please report" in result.stderr


def test_sigterm_removes_the_temporary_file_being_written(tmp_path):
    """A write stopped by SIGTERM between creating its temporary file and renaming it leaves nothing behind."""
    code = f"""
import os, signal, sys, time
sys.argv = ["jakplan", "export", "--start", "2024-05-01", "--out", {str(tmp_path / 'plan.ics')!r}]
import jakplan.fileio as fio
real = fio.os.fsync
def slow(fd):
    real(fd)
    print("in-temp", flush=True)
    time.sleep(30)
fio.os.fsync = slow
from jakplan.cli import main
main()
"""
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "in-temp"
    assert len(temps(tmp_path)) == 1
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 143 and "Traceback" not in err, err
    assert temps(tmp_path) == [] and not (tmp_path / "plan.ics").exists()


# ---------------------------------------------------------------------------------------------- cohort: Ctrl-C, kill -9, concurrency


def _csv(path: Path, n: int) -> Path:
    path.write_text("id,start,age\n" + "".join(f"p{i:05d},2024-05-01,{30 + i % 50}\n" for i in range(n)))
    return path


def _check_export_folder(out: Path) -> tuple[set[str], set[str]]:
    """Every file in ``out`` is complete (the .ics parses strictly, the JSON loads); returns the ids per kind."""
    from icalendar import Calendar

    ics, js = set(), set()
    for p in out.iterdir():
        if p.name.endswith(".ics"):
            cal = Calendar.from_ical(p.read_bytes())
            assert cal.walk("VEVENT")
            ics.add(p.name[:-4])
        elif p.name.endswith(".json"):
            assert json.loads(p.read_text())["events"]
            js.add(p.name[:-5])
    return ics, js


def test_an_unexpected_error_in_one_row_never_aborts_the_run(tmp_path, monkeypatch):
    import jakplan.clinic.cohort as cohort

    real = cohort.plan_for_record

    def flaky(record, *a, **kw):
        if record.profile.factors.get("age") == 31:
            raise OverflowError("date value out of range")
        return real(record, *a, **kw)

    monkeypatch.setattr(cohort, "plan_for_record", flaky)
    csv = _csv(tmp_path / "p.csv", 5)
    results = list(cohort.export_rows(csv, tmp_path / "out", workers=1, render=render_patient))
    assert [r.ok for r in results] == [True, False, True, True, True]
    assert "line 3 (id p00001): this row could not be planned (OverflowError: date value out of range)" in results[1].message
    ics, js = _check_export_folder(tmp_path / "out")
    assert ics == js == {"p00000", "p00002", "p00003", "p00004"}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_first_ctrl_c_stops_after_the_patients_in_hand_second_at_once(tmp_path, workers):
    csv = _csv(tmp_path / "p.csv", 600)
    for presses in (1, 2):
        out = tmp_path / f"out{presses}"
        proc = subprocess.Popen(JAKPLAN + ["cohort", "export", str(csv), "--out", str(out), "--workers", workers],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_until(lambda out=out: out.exists() and len(os.listdir(out)) >= 20, "the first patients")
        for _ in range(presses):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.05)
        t0 = time.monotonic()
        _, err = proc.communicate(timeout=60)
        if presses == 2:
            assert time.monotonic() - t0 < 5  # at once (the first press lets the patients in hand finish)
        assert proc.returncode == 130 and "Traceback" not in err, err
        assert "Interrupted: finishing the patients in hand" in err
        ics, js = _check_export_folder(out)
        assert ics == js and 0 < len(ics) < 600  # every patient whole: a calendar never without its JSON
        assert temps(out) == []
        if presses == 1:
            assert f"Interrupted: {len(ics)} patients written, each complete" in err


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sigterm_stops_cohort_export_with_every_patient_whole(tmp_path, workers):
    csv = _csv(tmp_path / "p.csv", 600)
    out = tmp_path / "out"
    proc = subprocess.Popen(JAKPLAN + ["cohort", "export", str(csv), "--out", str(out), "--workers", workers],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: out.exists() and len(os.listdir(out)) >= 10, "the first patients")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143 and "Traceback" not in err, err
    ics, js = _check_export_folder(out)
    assert ics == js and 0 < len(ics) < 600 and temps(out) == []


def test_kill_9_at_random_moments_leaves_only_whole_files_and_a_rerun_cleans_up(tmp_path):
    csv = _csv(tmp_path / "p.csv", 300)  # four runs cut short must not finish it
    out = tmp_path / "out"
    rng = random.Random(12)
    seen = []
    for _ in range(4):
        proc = subprocess.Popen(JAKPLAN + ["cohort", "export", str(csv), "--out", str(out), "--workers", "1"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        before = len(os.listdir(out)) if out.exists() else 0
        wait_until(lambda before=before: out.exists() and len(os.listdir(out)) > before + 2, "new patients")  # mid-run
        time.sleep(rng.random() * 0.2)
        proc.kill()
        proc.wait()
        ics, js = _check_export_folder(out)
        assert len(ics ^ js) <= 1  # kill -9 between a patient's two renames: at most that one patient
        seen.append(len(ics))
    assert any(0 < n < 300 for n in seen), seen  # the kills did land in the middle of a run
    proc = run(["cohort", "export", csv, "--out", out])
    assert temps(out) == []  # the dead writers' temporary files were removed by the next run
    ics, js = _check_export_folder(out)
    assert ics == js and len(ics) == 300  # a patient cut in half by a kill was rolled back and written again


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                out.append(int(d))
    return out


def _running(pid: int) -> bool:
    """Whether ``pid`` is still a running process (a zombie waiting to be reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to find the workers")
@pytest.mark.parametrize("source", ["csv", "register"])
def test_kill_9_of_a_two_worker_export_ends_its_workers(tmp_path, source):
    """Issue 20 item 4: the worker processes of `cohort export` end with their parent, even when it is killed
    with kill -9 (they remove their temporary files as they go)."""
    src = _csv(tmp_path / "p.csv", 3000)
    if source == "register":
        reg = tmp_path / "reg"
        reg.mkdir()
        for i in range(400):
            (reg / f"p{i:05d}.toml").write_text(PLAN.replace("age = 58", f"age = {30 + i % 50}"))
        src = reg
    out = tmp_path / "out"
    proc = subprocess.Popen(JAKPLAN + ["cohort", "export", str(src), "--out", str(out), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: out.exists() and len(os.listdir(out)) >= 20, "the first patients", 60)
        workers = _children(proc.pid)
        assert len(workers) >= 2, workers  # the pool's two workers (and its resource tracker, if any)
    finally:
        proc.kill()
        proc.wait()
    try:
        wait_until(lambda: not any(_running(w) for w in workers), "the workers to end", 10)
    finally:
        for w in workers:
            if _running(w):
                os.kill(w, signal.SIGKILL)
    assert temps(out) == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc to follow the worker")
def test_a_worker_without_prctl_ends_with_its_parent_by_its_watcher(tmp_path):
    """Where prctl(PR_SET_PDEATHSIG) is missing (not Linux), a thread in the worker notices the parent is gone."""
    code = textwrap.dedent("""
        import os, sys, time
        import jakplan.clinic.cohort as c
        if os.fork() == 0:
            c.sys.platform = "elsewhere"  # as on a system without prctl: the watcher thread
            c._worker_init(os.getppid())
            print(os.getpid(), flush=True)
            while True:
                time.sleep(0.1)
        time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    worker = int(proc.stdout.readline())
    proc.kill()
    proc.wait()
    try:
        wait_until(lambda: not _running(worker), "the worker to end", 10)
    finally:
        if _running(worker):
            os.kill(worker, signal.SIGKILL)


def test_two_exports_into_one_folder_never_overwrite_each_other(tmp_path):
    csv = _csv(tmp_path / "p.csv", 80)
    out = tmp_path / "out"
    out.mkdir()
    procs = [subprocess.Popen(JAKPLAN + ["cohort", "export", str(csv), "--out", str(out), "--workers", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errs = [p.communicate(timeout=120)[1] for p in procs]
    refused = [sum("already exists" in ln for ln in e.splitlines()) for e in errs]
    ics, js = _check_export_folder(out)
    assert ics == js and len(ics) == 80 and temps(out) == []
    # each patient's files were created by exactly one of the two runs: the other was refused for it, or found
    # them already holding the same content and left them alone (a re-run writes nothing)
    assert sum(refused) <= 80, refused


def test_kill_9_during_records_never_corrupts_the_plan_file(tmp_path):
    """Writers killed at random moments: the plan file always reads back, holds every record that completed,
    and the next write removes what the dead writers left."""
    from jakplan.records.planfile import load_planfile

    plan = tmp_path / "anna.toml"
    plan.write_text(PLAN)
    code = ("import sys, datetime as dt\n"
            "from jakplan.records.planfile import edit_planfile\n"
            "for k in range(10000):\n"
            "    with edit_planfile(sys.argv[1]) as pf:\n"
            "        pf.add_lab(dt.date(2024, 6, 1) + dt.timedelta(days=k % 300), {'anc': 1.0 + k / 1000})\n")
    rng = random.Random(7)
    counts = []
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-c", code, str(plan)], stderr=subprocess.PIPE)
        time.sleep(0.3 + rng.random() * 0.4)
        proc.kill()
        proc.wait()
        counts.append(len(load_planfile(plan).history.labs))  # always a whole, valid file
    assert counts == sorted(counts) and counts[-1] > 0, counts  # nothing that was written is ever lost
    proc = run(["record", plan, "--lab", "anc=2.0", "--on", "2024-05-02"])
    assert proc.returncode == 0, proc.stderr
    assert temps(tmp_path) == [] and len(load_planfile(plan).history.labs) == counts[-1] + 1


def test_concurrent_records_through_a_symlink_and_the_real_path_lose_nothing(tmp_path):
    real = tmp_path / "anna.toml"
    real.write_text(PLAN)
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    days = [dt.date(2024, 6, 1) + dt.timedelta(days=k) for k in range(4)]
    procs = [subprocess.Popen(JAKPLAN + ["record", str(link if k % 2 else real), "--lab", f"anc={1 + k / 10}",
                                         "--on", day.isoformat()], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for k, day in enumerate(days)]
    for p in procs:
        assert p.wait(60) == 0, p.stderr.read()
    from jakplan.records.planfile import load_planfile

    assert sorted(r.on for r in load_planfile(real).history.labs) == days
    assert link.is_symlink() and temps(tmp_path) == []


# ---------------------------------------------------------------------------------------------- escaping


HOSTILE = """\
schema = 1
id = "hostile"
drug = "baricitinib"
title = "<script>alert(1)</script> & <img src=x onerror=alert(2)>"
extends = "us-label"
indications = ["ra"]
summary = "# Heading from data\\n| forged | row |\\n> quote"

[[rule]]
id = "call_week2"
kind = "review"
title = "<b>Phone</b> call | forged cell"
checks = ["infection_symptoms"]
timing = { type = "at", at = { weeks = 2 } }
source = "S5"
notes = ["1. not a list", "- not a bullet"]
"""


def test_markdown_output_escapes_html_and_structure_from_data(tmp_path, runner, app):
    (tmp_path / "hostile.toml").write_text(HOSTILE)
    for args in (["schedule", "--start", "2024-05-01", "--format", "markdown", "--protocol", str(tmp_path / "hostile.toml")],
                 ["protocols", "show", str(tmp_path / "hostile.toml"), "--format", "markdown"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        md = result.stdout
        assert "<script" not in md and "<img" not in md and "<b>" not in md
        assert "&lt;script>" in md or "&lt;b>" in md
        for line in md.splitlines():
            assert not line.startswith(("# Heading", "| forged", "> quote"))
        row = next(ln for ln in md.splitlines() if "Phone" in ln)
        assert "\\| forged cell" in row  # the | from data does not open a new cell


def test_control_characters_never_reach_the_terminal_or_the_calendar(tmp_path):
    """Protocol files with control characters are refused (the matrix); here a plan built in code carries
    them, and every renderer still removes them. The .ics is parsed strictly."""
    from icalendar import Calendar

    from jakplan.api import plan_for
    from jakplan.escape import safe_console
    from jakplan.render.ics import calendar_bytes
    from jakplan.render.terminal import render_terminal

    plan = plan_for(dt.date(2024, 5, 1))
    evil = plan.events[3]._replace(title="Bloods\x1b[2J\x07\x00 now\u202e", patient_notes=("fast\x1b]0;pwn\x07",))
    plan = plan._replace(events=plan.events[:3] + (evil,) + plan.events[4:])
    data = calendar_bytes(plan, dt.timedelta(hours=15), dtstamp=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    for ch in ["\x1b", "\x07", "\x00", "\u202e"]:
        assert ch.encode() not in data
    cal = Calendar.from_ical(data)
    cal.validate()
    assert any("Bloods" in str(ev["SUMMARY"]) + str(ev["DESCRIPTION"]) for ev in cal.walk("VEVENT"))
    import io

    buf = io.StringIO()
    render_terminal(plan, safe_console(file=buf, width=120, force_terminal=True, color_system="truecolor"))
    text = buf.getvalue()
    assert "Bloods" in text and "\x07" not in text and "\x00" not in text and "\x1b[2J" not in text


def test_an_error_value_cannot_forge_a_second_line(runner, app):
    result = runner.invoke(app, ["schedule", "--start", "2024-05-01\nError: all is well\x1b[0m"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "\\nError: all is well\\x1b[0m" in result.stderr


# ---------------------------------------------------------------------------------------------- loaders: only JakplanError


def _load_protocol_bytes(tmp: Path, data: bytes):
    from jakplan.catalog.loader import load_protocol_file

    p = tmp / "p.toml"
    p.write_bytes(data)
    return load_protocol_file(p)


def _load_plan_bytes(tmp: Path, data: bytes):
    from jakplan.records.planfile import load_planfile

    p = tmp / "anna.toml"
    p.write_bytes(data)
    return load_planfile(p)


SEEDS = [PLAN.encode(), HOSTILE.encode(), (Path(__file__).parents[1] / "examples" / "our-clinic.toml").read_bytes()]


@st.composite
def mutated(draw):
    """Random bytes, or a real file with random bytes inserted, deleted or replaced."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = draw(st.sampled_from([b"[", b"]", b"{", b"=", b"\"", b"\n", b"nan", b"inf", b"1e999", b"\x00",
                                      b"\x1b", b"\xff", b"-", b"99999999999999999999", b"0", b"[[rule]]\n",
                                      b"[[lab]]\n", b"[[pause]]\n", b"9999-12-31", b"0001-01-01"]))
        if op == "insert":
            data[i:i] = chunk
        elif op == "delete":
            del data[i:i + len(chunk)]
        else:
            data[i:i + len(chunk)] = chunk
    return bytes(data)


TOML_SCALARS = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                         st.text(max_size=12), st.booleans(), st.dates(), st.just("us-label"))
TOML_KEYS = st.sampled_from(["jakplan", "drug", "indication", "protocol", "start", "months", "factors", "age",
                             "egfr", "born", "with", "done", "lab", "pause", "on", "rule", "anc", "from", "to",
                             "reason", "note", "schema", "id", "title", "extends", "kind", "checks", "timing",
                             "type", "at", "weeks", "every", "count", "source", "threshold", "analyte", "below"])
TOML_VALUES = st.recursive(TOML_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                  st.dictionaries(TOML_KEYS, inner, max_size=4)),
                           max_leaves=12)


@st.composite
def random_toml(draw):
    import tomlkit

    doc = draw(st.dictionaries(TOML_KEYS, TOML_VALUES, max_size=8))
    try:
        return tomlkit.dumps(doc).encode()
    except Exception:  # a value tomlkit cannot write (e.g. a list of tables mixed with scalars): plain bytes
        return repr(doc).encode()


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(data=st.one_of(mutated(), random_toml()))
def test_the_protocol_loader_raises_only_jakplan_errors(tmp_path, data):
    try:
        _load_protocol_bytes(tmp_path, data)
    except JakplanError as exc:
        assert "\n" not in str(exc).strip()  # one line


@FUZZ
@given(data=st.one_of(mutated(), random_toml()))
def test_the_plan_file_loader_raises_only_jakplan_errors(tmp_path, data):
    from jakplan.api import plan_for_record
    from jakplan.records.patient import load_record

    try:
        _load_plan_bytes(tmp_path, data)
        plan_for_record(load_record(tmp_path / "anna.toml"))
    except JakplanError:
        pass


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_lab_import_stopped_by_a_signal_leaves_every_plan_file_whole(tmp_path, sig, code):
    """`cohort labs import` edits plan files on its own thread and hands each checked change, its lock held, to a
    writer thread: stopped by Ctrl-C or SIGTERM at any moment, each plan file holds all of its new values or none
    (the changes handed over are written, no further edit is begun), no temporary file is left, and the same
    import run again adds exactly what is missing."""
    reg = tmp_path / "reg"
    reg.mkdir()
    n = 1500
    rows = ["patient,date,analyte,value,unit"]
    for k in range(n):
        (reg / f"p{k:04d}.toml").write_text(PLAN)
        rows += [f"p{k:04d},2024-09-02,751-8,1.9,10*9/L", f"p{k:04d},2024-09-02,718-7,13.1,g/dL"]
    (tmp_path / "labs.csv").write_text("\n".join(rows) + "\n")
    args = ["cohort", "labs", "import", str(tmp_path / "labs.csv"), "--into", str(reg), "--today", "2025-01-01"]
    proc = subprocess.Popen(JAKPLAN + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the register had no lock files: each edit makes its file's one as it begins
    wait_until(lambda: sum(1 for p in os.scandir(reg) if p.name.endswith(".lock")) >= 20 + random.randrange(200),
               "the first edits")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code and "Traceback" not in err, err
    written = 0
    for p in sorted(reg.glob("*.toml")):
        labs = load_planfile(p).history.labs  # every file reads back whole
        assert [r.values for r in labs] in ([], [{"anc": 1.9, "hb": 13.1}]), p.name
        written += bool(labs)
    assert 0 < written < n and temps(reg) == []
    again = run(args)
    assert again.returncode == 0, again.stderr
    assert all([r.values for r in load_planfile(p).history.labs] == [{"anc": 1.9, "hb": 13.1}]
               for p in reg.glob("*.toml"))
    assert temps(reg) == []
