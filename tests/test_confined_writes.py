"""Confined outputs and refused writes (issue 20 items 2 and 6).

- Every command that writes into an output folder or an --out file creates files only inside that folder: a
  symlink planted there that points out of it is refused with one line (not followed, not replaced); a FIFO,
  socket or device at the target is refused without being opened (no hang); a trailing '/' names a folder.
- A write that is refused writes nothing: a plan file that would grow past the reader's cap is refused before
  the write; a full disk (ENOSPC / EDQUOT from the low-level write) is exit 2 with one line, the old file as it
  was and no temporary file left.

Every CLI case runs under a SIGALRM guard, so a command that opened a FIFO would fail the test, not hang it.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

import pytest
from support import PLAN, no_hang

from jakplan.errors import JakplanError
from jakplan.fileio import MAX_INPUT_BYTES, TMP_MARK, atomic_write, read_existing

CSV = "id,start,drug,indication,protocol,months,age,egfr,smoker\np1,2024-05-01,baricitinib,ra,us-label,12,50,,never\n"
S = ["--start", "2024-05-01"]




def listing(root: Path) -> dict[str, tuple]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for f in filenames + dirnames:
            p = os.path.join(dirpath, f)
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (st.st_mode, st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def one_error(result) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


@pytest.fixture
def ws(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "anna.toml").write_text(PLAN)
    (tmp_path / "good.csv").write_text(CSV)
    return tmp_path


# -- single --out files ---------------------------------------------------------------------------------

OUT_COMMANDS = {
    "export": ["export", *S, "--out"],
    "checklist": ["checklist", *S, "--week", "12", "--format", "text", "--out"],
    "sheet": ["sheet", *S, "--out"],
    "init": ["init", *S, "--out"],
    "trend": ["trend", "{ws}/anna.toml", "--out"],
}


def _argv(cmd: str, ws: Path, target: str, force: bool) -> list[str]:
    return [a.replace("{ws}", str(ws)) for a in OUT_COMMANDS[cmd]] + [target] + (["--force"] if force else [])


@pytest.mark.parametrize("force", [False, True])
@pytest.mark.parametrize("cmd", sorted(OUT_COMMANDS))
def test_a_symlink_out_of_the_folder_is_not_written_through(runner, app, ws, cmd, force):
    (ws / "outside" / "victim.txt").write_text("keep me")
    for name, to in {"dangling": ws / "outside" / "new.txt", "existing": ws / "outside" / "victim.txt"}.items():
        link = ws / "out" / f"{name}.x"
        link.symlink_to(to)
        before = listing(ws / "outside")
        with no_hang():
            result = runner.invoke(app, _argv(cmd, ws, str(link), force))
        line = one_error(result)
        assert "symbolic link" in line and "outside the folder" in line, line
        assert listing(ws / "outside") == before  # nothing created or changed outside
        assert link.is_symlink() and os.readlink(link) == str(to)  # the link is left as it was
    assert (ws / "outside" / "victim.txt").read_text() == "keep me"


@pytest.mark.parametrize("cmd", sorted(OUT_COMMANDS))
def test_a_symlink_inside_the_folder_is_written_through(runner, app, ws, cmd):
    real = ws / "out" / "real.x"
    link = ws / "out" / "link.x"
    link.symlink_to("real.x")
    with no_hang():
        result = runner.invoke(app, _argv(cmd, ws, str(link), False))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and real.is_file() and real.stat().st_size > 0


@pytest.mark.parametrize("kind", ["fifo", "socket", "device", "device-link"])
@pytest.mark.parametrize("cmd", sorted(OUT_COMMANDS))
def test_special_files_at_the_target_are_refused_without_opening_them(runner, app, ws, cmd, kind):
    target = ws / "out" / f"{kind}.x"
    sock = None
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(target))
    elif kind == "device-link":
        target.symlink_to("/dev/null")
    shown = "/dev/null" if kind == "device" else str(target)
    try:
        with no_hang():
            result = runner.invoke(app, _argv(cmd, ws, shown, True))
    finally:
        if sock is not None:
            sock.close()
    line = one_error(result)
    words = {"fifo": "FIFO", "socket": "socket", "device": "device", "device-link": "outside the folder"}[kind]
    assert words in line, line
    assert kind == "device" or os.path.lexists(target)


@pytest.mark.parametrize("cmd", sorted(OUT_COMMANDS))
def test_a_trailing_slash_names_a_folder(runner, app, ws, cmd):
    with no_hang():
        result = runner.invoke(app, _argv(cmd, ws, str(ws / "new") + "/", True))
    line = one_error(result)
    assert "names a folder" in line, line
    assert not (ws / "new").exists()


# -- output folders ---------------------------------------------------------------------------------------


def test_cohort_export_does_not_follow_a_link_out_of_its_folder(runner, app, ws):
    out = ws / "cal"
    out.mkdir()
    (ws / "outside" / "p1.ics").write_text("their calendar")
    (out / "p1.ics").symlink_to(ws / "outside" / "p1.ics")
    (out / "p1.json").symlink_to(ws / "outside" / "p1.json")  # dangling: would create a file outside
    before = listing(ws / "outside")
    with no_hang():
        result = runner.invoke(app, ["cohort", "export", str(ws / "good.csv"), "--out", str(out) + "/", "--force"])
    line = one_error(result)
    assert "p1.ics" in line and "outside the folder" in line, line
    assert listing(ws / "outside") == before
    assert (ws / "outside" / "p1.ics").read_text() == "their calendar"
    assert not [p for p in os.listdir(out) if TMP_MARK in p]


@pytest.mark.parametrize("special", ["fifo", "devlink"])
def test_cohort_export_refuses_special_files_in_its_folder(runner, app, ws, special):
    out = ws / "cal"
    out.mkdir()
    if special == "fifo":
        os.mkfifo(out / "p1.ics")
    else:
        (out / "p1.ics").symlink_to("/dev/zero")
    with no_hang():
        result = runner.invoke(app, ["cohort", "export", str(ws / "good.csv"), "--out", str(out), "--force"])
    line = one_error(result)
    assert "p1.ics" in line and ("FIFO" in line or "outside the folder" in line), line
    assert sorted(os.listdir(out)) == ["p1.ics"]  # the patient's files are written together or not at all


def test_register_export_is_confined_too(runner, app, ws):
    reg, out = ws / "reg", ws / "cal"
    reg.mkdir()
    out.mkdir()
    (reg / "anna.toml").write_text(PLAN)
    (out / "anna.ics").symlink_to(ws / "outside" / "anna.ics")
    os.mkfifo(out / "anna.json")
    with no_hang():
        result = runner.invoke(app, ["cohort", "export", str(reg), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "outside the folder" in result.stderr and "Traceback" not in result.output
    assert os.listdir(ws / "outside") == []


def test_read_existing_never_blocks_or_leaves_the_folder(tmp_path):
    os.mkfifo(tmp_path / "f")
    (tmp_path / "out").symlink_to("/etc/hostname")
    with no_hang(5):
        with pytest.raises(JakplanError, match="FIFO"):
            read_existing(tmp_path / "f")
        with pytest.raises(JakplanError, match="outside the folder"):
            read_existing(tmp_path / "out")
    assert read_existing(tmp_path / "missing") is None


# -- a refused write writes nothing -------------------------------------------------------------------------


def _padded_plan(path: Path, room: int) -> bytes:
    """A valid plan file ``room`` bytes below the read cap (a long comment)."""
    body = PLAN + "\n# " + "x" * (MAX_INPUT_BYTES - len(PLAN) - 5 - room) + "\n"
    path.write_text(body)
    assert MAX_INPUT_BYTES - room - 10 < path.stat().st_size <= MAX_INPUT_BYTES
    return path.read_bytes()


def test_record_that_would_pass_the_read_cap_is_refused_before_the_write(runner, app, tmp_path):
    pf = tmp_path / "anna.toml"
    old = _padded_plan(pf, 10)
    result = runner.invoke(app, ["record", str(pf), "--lab", "anc=1.8", "--on", "2024-06-01"])
    line = one_error(result)
    assert "larger than" in line and "nothing was written" in line, line
    assert pf.read_bytes() == old
    assert not [p for p in os.listdir(tmp_path) if TMP_MARK in p]
    # the file is still readable (and changeable) by every command
    assert runner.invoke(app, ["status", str(pf), "--today", "2024-06-02"]).exit_code in (0, 1)


def test_lab_import_that_would_pass_the_read_cap_is_refused_and_exits_2(runner, app, tmp_path):
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    old = _padded_plan(clinic / "anna.toml", 10)
    (clinic / "bob.toml").write_text(PLAN)
    (tmp_path / "labs.csv").write_text("patient,date,analyte,value,unit\nanna,2024-06-01,anc,1.8,10^9/L\n"
                                       "bob,2024-06-01,anc,1.9,10^9/L\n")
    result = runner.invoke(app, ["cohort", "labs", "import", str(tmp_path / "labs.csv"), "--into", str(clinic),
                                 "--today", "2024-07-01"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "anna.toml" in result.stderr and "larger than" in result.stderr
    assert (clinic / "anna.toml").read_bytes() == old  # unchanged, still readable
    assert "anc = 1.9" in (clinic / "bob.toml").read_text()  # the other patient's results are stored


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_is_one_line_and_changes_nothing(runner, app, tmp_path, monkeypatch, code):
    import jakplan.fileio as fileio

    pf = tmp_path / "anna.toml"
    pf.write_text(PLAN)
    old = pf.read_bytes()
    real_write = os.write
    calls = []

    def full(fd, data):
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data)[:100])  # part of it goes, then the disk is full
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(fileio.os, "write", full)
    result = runner.invoke(app, ["record", str(pf), "--lab", "anc=1.8", "--on", "2024-06-01"])
    line = one_error(result)
    assert os.strerror(code) in line and "anna.toml" in line, line
    assert len(calls) >= 2
    assert pf.read_bytes() == old
    assert [p for p in os.listdir(tmp_path) if TMP_MARK in p] == []


def test_a_full_disk_during_a_lab_import_exits_2(runner, app, tmp_path, monkeypatch):
    import jakplan.fileio as fileio

    clinic = tmp_path / "clinic"
    clinic.mkdir()
    (clinic / "anna.toml").write_text(PLAN)
    (tmp_path / "labs.csv").write_text("patient,date,analyte,value,unit\nanna,2024-06-01,anc,1.8,10^9/L\n")

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fileio.os, "write", full)
    result = runner.invoke(app, ["cohort", "labs", "import", str(tmp_path / "labs.csv"), "--into", str(clinic),
                                 "--today", "2024-07-01"])
    assert result.exit_code == 2, result.output
    assert os.strerror(errno.ENOSPC) in result.stderr
    assert (clinic / "anna.toml").read_text() == PLAN
    assert [p for p in os.listdir(clinic) if TMP_MARK in p] == []


def test_atomic_write_limit_is_checked_before_any_file_is_made(tmp_path):
    with pytest.raises(JakplanError, match="nothing was written"):
        atomic_write(tmp_path / "x.toml", b"x" * 11, limit=10)
    assert os.listdir(tmp_path) == []
