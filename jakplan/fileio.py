"""Safe file reading and writing: nothing the user wrote is ever lost, forked or left half-written.

Reading (:func:`read_bytes`, :func:`open_regular`):

- only regular files are read: a FIFO, a device, a socket or a folder is refused with one line, without
  blocking (the file is opened with ``O_NONBLOCK`` and checked with ``fstat`` before a byte is read);
- protocol, profile and plan files are capped at :data:`MAX_INPUT_BYTES`, so ``--protocol /dev/zero`` or a
  runaway file is refused at once instead of filling memory.

Writing (:func:`atomic_write`, :func:`write_group`):

- a file is written to a temporary file in the same folder, fsynced, then renamed over the target
  (``os.replace`` is atomic on POSIX), so a crash leaves either the old file or the new one;
- a new file (no ``overwrite``) is created exclusively with ``os.link``: two writers racing for one name
  cannot both succeed, and neither replaces the other's file;
- files are created only inside their folder (an output folder, or the folder of an ``--out`` file): a symlink
  at the target whose real target lies outside that folder is refused with one line, not written through
  and not replaced (someone put it there: writing through it would create or overwrite a file elsewhere, and
  replacing it would silently undo their link; the user removes it or picks another name). A symlink that
  stays inside the folder is written through. Plan files, which the user edits in place and may keep behind a
  link, are written through their link wherever it points (``follow_links=True``; the link stays a link, a plan
  file is never forked);
- only regular files are replaced: a FIFO, socket, device or folder at the target is refused with one line,
  before anything is opened (a FIFO is never opened for writing, so nothing blocks);
- a path that ends with ``/`` names a folder, never a file: it is refused as a file name;
- a file that must be read back (a plan file) is refused before anything is written when the new content
  is larger than the reader's cap (``limit``), so a refused write changes nothing;
- a failed write (disk full, quota exceeded) is one line; the temporary file is removed and the old file
  is left as it was;
- temporary files are named ``.NAME.jakplan-tmp-PID-KEYSERIAL`` (KEY random for the process, SERIAL
  counting its temporary files); they are removed when the write fails or is
  interrupted (Ctrl-C, SIGTERM), and ones left by a writer that was killed (its process is gone, or the
  file is older than :data:`STALE_AFTER` seconds) are removed on the next write into that folder, which also
  rolls back a group of new files that a kill cut in half (see :func:`clean_stale_temps`);
- several files written with :func:`write_group` (one patient's calendar and JSON) appear together or not
  at all: Ctrl-C and SIGTERM are held back while they are renamed into place.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import re
import signal
import stat
import threading
import time
from pathlib import Path
from typing import IO, Callable, Iterator, Sequence

from jakplan.errors import JakplanError

MAX_INPUT_BYTES = 1 << 20
"""The largest protocol, profile or plan file jakplan reads (1 MiB; the largest shipped protocol is ~30 KiB)."""

TMP_MARK = ".jakplan-tmp-"
"""What every temporary file of ours carries in its name: ``.NAME.jakplan-tmp-PID-KEYSERIAL``."""

STALE_AFTER = 300.0
"""Seconds after which a temporary file of ours is stale even if a process with its writer's pid exists."""

_TMP_RE = re.compile(r"^\.(?P<name>.+)" + re.escape(TMP_MARK)
                     + r"(?P<pid>\d+)-(?:g(?P<group>[0-9a-f]{12})-)?[A-Za-z0-9_]+$")
_live_temps: set[str] = set()


class WriteRefused(JakplanError):
    """A write that did not happen although the target was acceptable: the new content is larger than the
    reader's cap, or the disk refused it (full, over quota, read-only). Nothing was changed."""


def _describe_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a FIFO (named pipe), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make the renames in ``folder`` durable (best effort: some file systems cannot fsync a folder)."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


# -- reading --------------------------------------------------------------------------------------------


def _open_regular(path: str | os.PathLike, what: str = "file") -> tuple[int, os.stat_result]:
    """An fd open for reading on a regular file, with its ``fstat`` (opened ``O_NONBLOCK``, which regular files
    ignore); anything else raises a one-line JakplanError, never blocks."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise JakplanError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise JakplanError(f"{path}: is a directory, not a {what}") from None
    except (OSError, ValueError) as exc:
        raise JakplanError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = _describe_kind(st.st_mode)
            raise JakplanError(f"{path}: {kind if what == 'file' else kind.replace('a file', 'a ' + what)}")
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def _open_regular_fd(path: str | os.PathLike, what: str = "file") -> int:
    """An fd open for blocking reads on a regular file (see :func:`_open_regular`)."""
    fd, _ = _open_regular(path, what)
    try:
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: str | os.PathLike, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a user's file (at most ``limit``); a missing file, a folder, a FIFO or device, a file
    larger than ``limit`` or an unreadable file raises a one-line JakplanError."""
    fd, st = _open_regular(path)
    chunks: list[bytes] = []
    total = 0
    try:
        # plain reads, no buffered file object: a register's plan files are read by the thousand. The first read
        # asks for one byte more than fstat gave: fewer back means the end was reached (a file that grew since
        # goes on being read; one that shrank, or a short read, reads on until a read gives nothing)
        want = min(limit + 1, st.st_size + 1)
        while total <= limit:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total == st.st_size and len(chunks) == 1:
                break
            want = min(limit + 1 - total, 1 << 16)
    except OSError as exc:
        raise JakplanError(f"{path}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise JakplanError(f"{path}: larger than {limit // 1024} KiB, the limit for a file jakplan reads whole")
    return data


def holds(path: str | os.PathLike, data: bytes) -> bool:
    """Does the regular file ``path`` hold exactly ``data`` now? (False for anything else: another file, another
    kind, an error.) One open, one ``fstat`` and, when the size matches, one read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size != len(data):
            return False
        got = b""
        while len(got) <= len(data):  # one byte more than it should hold: a file that grew is not the same
            want = len(data) + 1 - len(got)
            chunk = os.read(fd, want)
            got += chunk
            if len(chunk) < want:  # its end (a short read not at the end only makes it "changed": read again)
                break
        return got == data
    except OSError:
        return False
    finally:
        os.close(fd)


def open_regular(path: str | os.PathLike, what: str = "file", **kwargs) -> IO:
    """A text stream on a regular file (for reading a CSV as a stream); same refusals as :func:`read_bytes`."""
    fd = _open_regular_fd(path, what)
    return os.fdopen(fd, "r", **kwargs)


# -- temporary files -------------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, OverflowError):
        return False
    return True


def stale_temps(folder: str | os.PathLike, now: float | None = None) -> list[Path]:
    """Temporary files of ours in ``folder`` whose writer is gone or that are older than STALE_AFTER."""
    now = time.time() if now is None else now
    out = []
    try:
        entries = list(os.scandir(os.fspath(folder)))
    except OSError:
        return []
    for e in entries:
        m = _TMP_RE.match(e.name)
        if not m or os.path.join(str(folder), e.name) in _live_temps:
            continue
        try:
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode):
            continue
        if now - st.st_mtime > STALE_AFTER or not _pid_alive(int(m.group("pid"))):
            out.append(Path(folder) / e.name)
    return out


def _placed(tmp: Path) -> Path | None:
    """The file a temporary file of ours was linked into place as (same inode), if it was."""
    m = _TMP_RE.match(tmp.name)
    if not m:
        return None
    target = tmp.with_name(m.group("name"))
    try:
        a, b = os.stat(tmp, follow_symlinks=False), os.stat(target, follow_symlinks=False)
    except OSError:
        return None
    return target if (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev) else None


def clean_stale_temps(folder: str | os.PathLike) -> int:
    """Remove stale temporary files of ours from ``folder``; returns how many were removed.

    A group of new files (one patient's calendar and JSON) whose writer was killed while linking them into
    place is rolled back: its temporary files share a group tag, and if some of them were placed (the visible
    file has the temporary file's inode) but others were not, the placed ones are removed too, so the patient
    is written again whole by the next run. A file that is not ours (another inode) is never removed.
    """
    stale = stale_temps(folder)
    groups: dict[str, list[Path]] = {}
    for p in stale:
        m = _TMP_RE.match(p.name)
        if m and m.group("group"):
            groups.setdefault(m.group("group"), []).append(p)
    for members in groups.values():
        placed = [_placed(p) for p in members]
        if any(placed) and not all(placed):
            for target in placed:
                if target is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(target)
    n = 0
    for p in stale:
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    return n


def _drop_temp(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass
    _live_temps.discard(tmp)


def remove_live_temps() -> None:
    """Remove the temporary files this process is writing (called on SIGTERM and at exit)."""
    for tmp in list(_live_temps):
        _drop_temp(tmp)


# -- signals held back while files are renamed into place ---------------------------------------------------

_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM (delivered when the block ends) so that a group of renames completes."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _new_temp(folder: Path, name: str, group: str = "", temps: list[str] | None = None) -> tuple[int, str]:
    """A new temporary file (created exclusively, never through a link, mode 0600, as ``tempfile.mkstemp``
    makes one; named here so that a write on a writer thread runs little Python between its system calls),
    known to the SIGTERM clean-up and added to the caller's ``temps`` before a held-back signal can be delivered
    (a SIGTERM that arrived during its creation is delivered as the block ends: by then the caller's ``finally``
    knows the file; it was once left behind in that gap)."""
    tag = f"g{group}-" if group else ""
    prefix = os.path.abspath(os.path.join(folder, f".{name}{TMP_MARK}{os.getpid()}-{tag}"))
    with signals_held():
        for _ in range(100):
            tmp = f"{prefix}{_TMP_KEY}{next(_TMP_SERIAL):x}"
            try:
                fd = os.open(tmp, _TMP_FLAGS, 0o600)
            except FileExistsError:
                continue
            break
        else:
            raise FileExistsError(errno.EEXIST, "no free name for a temporary file")
        _live_temps.add(tmp)
        if temps is not None:
            temps.append(tmp)
    return fd, tmp


_TMP_KEY = os.urandom(4).hex()
_TMP_SERIAL = itertools.count()
"""A temporary file's name ends in this process's random key and a serial number (with its pid before them):
unique without a system call per name; one taken already (O_EXCL) is skipped."""
_TMP_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


# -- writing --------------------------------------------------------------------------------------------


def write_target(path: str | os.PathLike) -> Path:
    """Where writing ``path`` really goes: a symlink (or a chain of them) is followed to its target."""
    p = Path(path)
    try:
        if p.is_symlink():
            return Path(os.path.realpath(p))
    except OSError:
        pass
    return p


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _names_folder(path: str | os.PathLike) -> bool:
    raw = os.fspath(path)
    return isinstance(raw, str) and raw.endswith(tuple(s for s in (os.sep, os.altsep, "/") if s)) and raw.strip("/") != ""


def output_target(path: str | os.PathLike, follow_links: bool = False) -> tuple[Path, Path]:
    """(the path as shown, the file really written) for writing ``path``, or a one-line JakplanError.

    A path ending in ``/`` names a folder, not a file. A symlink is followed only to a file inside the folder
    that holds the link (``follow_links``: anywhere, for plan files); one that leads out of it is refused."""
    if _names_folder(path):
        raise JakplanError(f"{os.fspath(path)}: ends with '/', so it names a folder; give a file name")
    shown = Path(path)
    target = write_target(shown)
    if target != shown and not follow_links:
        folder = Path(os.path.realpath(shown.parent if str(shown.parent) else "."))
        if not _inside(target.parent, folder):
            try:
                to = os.readlink(shown)
            except OSError:
                to = str(target)
            raise JakplanError(f"{shown}: is a symbolic link to {to}, outside the folder {shown.parent}; jakplan "
                               f"does not write through it (remove the link or choose another name)")
    return shown, target


def read_existing(path: str | os.PathLike, limit: int = 64 << 20) -> bytes | None:
    """The bytes of an output file that is about to be replaced (to compare with the new content), or None
    when there is none (or it is larger than ``limit``: then it is simply rewritten). The same rules as for
    writing it: a symlink out of its folder, a FIFO, a device or a folder is a one-line JakplanError; a FIFO
    is opened without blocking and never read."""
    _, target = output_target(path)
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise JakplanError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise JakplanError(f"{path}: {_describe_kind(st.st_mode)}; jakplan replaces only regular files")
        if st.st_size > limit:
            return None
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read(limit + 1)
    except OSError as exc:
        raise JakplanError(f"{path}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)


def _check_target(target: Path, shown: Path, overwrite: bool) -> bool:
    """True when ``target`` exists (a regular file that may be replaced); else a one-line JakplanError."""
    return _target_mode(target, shown, overwrite) is not None


def _target_mode(target: Path, shown: Path, overwrite: bool) -> int | None:
    """The permission bits of ``target`` when it exists (a regular file that may be replaced), None when it does
    not; else a one-line JakplanError."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise JakplanError(f"{shown}: a part of the path is a file, not a folder") from None
    except OSError as exc:
        raise JakplanError(f"{shown}: cannot write: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise JakplanError(f"{shown}: is a directory; give a file name")
    if not stat.S_ISREG(st.st_mode):
        raise JakplanError(f"{shown}: {_describe_kind(st.st_mode)}; jakplan replaces only regular files")
    if not overwrite:
        raise JakplanError(f"{shown}: already exists; not overwriting it (use --force to replace it)")
    return st.st_mode & 0o7777


def _folder(target: Path, shown: Path) -> Path:
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        if folder.exists() or any(p.exists() and not p.is_dir() for p in folder.parents):
            raise JakplanError(f"{shown}: folder {folder} is not a folder")
        raise JakplanError(f"{shown}: folder {folder} does not exist")
    return folder


def check_writable(path: str | os.PathLike, overwrite: bool = False, follow_links: bool = False) -> Path:
    """Would :func:`atomic_write` accept ``path``? The real target (symlinks followed), or a one-line error."""
    shown, target = output_target(path, follow_links)
    _check_target(target, shown, overwrite)
    _folder(target, shown)
    return target


def _group_plan(items: Sequence[tuple[str | os.PathLike, bytes | str]], overwrite: bool, follow_links: bool = False,
                limit: int | None = None) -> list[tuple]:
    """Each item checked: (shown path, real target, folder, the target's mode when it exists, bytes to write)."""
    return [_plan_one(*output_target(path, follow_links), data, overwrite, limit) for path, data in items]


def _plan_one(shown: Path, target: Path, data: bytes | str, overwrite: bool, limit: int | None) -> tuple:
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if limit is not None and len(payload) > limit:
        raise WriteRefused(f"{shown}: would become {len(payload) // 1024} KiB, larger than the {limit // 1024} KiB "
                           f"jakplan reads back; nothing was written (the file is unchanged)")
    mode = _target_mode(target, shown, overwrite)
    folder = target.parent if mode is not None else _folder(target, shown)  # a file's folder exists
    return shown, target, folder, mode, payload


def _write_temp(shown: Path, target: Path, folder: Path, mode: int | None, payload: bytes, group: str,
                temps: list[str]) -> None:
    """Write ``payload`` to a new fsynced temporary file next to ``target`` (added to ``temps`` at once), with
    the old file's mode (``mode``, as planned) or, for a new file, the umask's."""
    try:
        fd, tmp = _new_temp(folder, target.name, group, temps)
    except OSError as exc:
        raise WriteRefused(f"{shown}: cannot write here: {exc.strerror}") from None
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            if mode is None:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
    except OSError as exc:
        raise WriteRefused(f"{shown}: cannot write: {exc.strerror}; nothing was changed") from None


def _remove_placed(placed: list[Path]) -> None:
    for p in placed:
        with contextlib.suppress(OSError):
            os.unlink(p)


def _place_all(plan: list[tuple], temps: list[str], overwrite: bool) -> None:
    """Put every temporary file in place; for new files, one that fails removes those this call placed."""
    placed: list[Path] = []
    for (shown, target, _folder, _exists, _), tmp in zip(plan, temps, strict=True):
        try:
            if overwrite:
                _check_target(target, shown, True)  # still a regular file (or gone)
                os.replace(tmp, target)
            else:
                _link_new(tmp, target, shown)
        except JakplanError:
            if not overwrite:
                _remove_placed(placed)
            raise
        except OSError as exc:
            if not overwrite:
                _remove_placed(placed)
            raise WriteRefused(f"{shown}: cannot write: {exc.strerror}") from None
        placed.append(target)


def write_group(items: Sequence[tuple[str | os.PathLike, bytes | str]], overwrite: bool = False, sync_dir: bool = True,
                clean: bool = True, *, follow_links: bool = False, limit: int | None = None) -> list[Path]:
    """Write several files as a unit: all of them, or (on an error, Ctrl-C or SIGTERM) none that was new.

    Each file goes to a temporary file first (all fsynced); then, with SIGINT and SIGTERM held back, each is
    linked into place (a new file, exclusively) or renamed over the old one (``overwrite``). If a new file's
    name was taken meanwhile, the files this call already placed are removed again and the call fails.
    ``sync_dir=False`` skips the folder fsync for a caller that writes many files into one folder and calls
    :func:`fsync_dir` once at the end; ``clean=False`` skips looking for stale temporary files.
    ``follow_links``: write through a symlink wherever it points (plan files); else only within its folder.
    ``limit``: refuse, before anything is written, content larger than this many bytes (a file read back).
    """
    plan = _group_plan(items, overwrite, follow_links, limit)
    if clean:
        for folder in {f for _, _, f, _, _ in plan}:
            clean_stale_temps(folder)
    # new files written together share a group tag, so that a run after a kill -9 mid-group can roll it back
    _put(plan, overwrite, os.urandom(6).hex() if len(plan) > 1 and not overwrite else "")
    if sync_dir:
        for folder in {f for _, _, f, _, _ in plan}:
            fsync_dir(folder)
    return [shown for shown, *_ in plan]


def _put(plan: list[tuple], overwrite: bool, group: str = "", before_rename: Callable[[], None] | None = None) -> None:
    """Write each planned file to its temporary file (fsynced), call ``before_rename`` (which may refuse by
    raising: nothing is then placed), and put them in place with SIGINT and SIGTERM held back; on any failure
    the temporary files are removed."""
    temps: list[str] = []
    placed = False
    try:
        for shown, target, folder, mode, payload in plan:
            _write_temp(shown, target, folder, mode, payload, group, temps)
        if before_rename is not None:
            before_rename()
        with signals_held():
            _place_all(plan, temps, overwrite)
        placed = True
    finally:
        for tmp in temps:  # renamed into place: gone; linked into place (a new file): its temporary name removed
            if not (placed and overwrite) and os.path.lexists(tmp):
                _drop_temp(tmp)
            else:
                _live_temps.discard(tmp)


class Replacement:
    """A file's new content, checked as :func:`atomic_write` checks it (the target a regular file or none, the
    content within the reader's cap), to be put in place by :meth:`put`, on this thread or on another: a lab
    import checks each plan file's change on one thread and has writer threads wait for the disk."""

    __slots__ = ("plan",)

    def __init__(self, plan: tuple) -> None:
        self.plan = plan

    @property
    def target(self) -> Path:
        return self.plan[1]

    def put(self, before_rename: Callable[[], None] | None = None, sync_dir: bool = True) -> Path:
        """Write it as :func:`atomic_write` does (temporary file, fsync, rename); ``before_rename`` is called
        after the fsync and may refuse by raising (the file is then unchanged)."""
        _put([self.plan], True, "", before_rename)
        if sync_dir:
            fsync_dir(self.plan[2])
        return self.plan[0]


def prepare_replace(path: str | os.PathLike, data: bytes | str, clean: bool = True, *, follow_links: bool = False,
                    limit: int | None = None, target: Path | None = None) -> Replacement:
    """The checks of ``atomic_write(path, data, overwrite=True, ...)`` made now, the write left to
    :meth:`Replacement.put`. ``target``: where ``path`` leads, already found with ``follow_links`` (a plan file
    edited under the lock of its target)."""
    if target is None:
        (plan,) = _group_plan([(path, data)], True, follow_links, limit)
    else:
        if _names_folder(path):
            raise JakplanError(f"{os.fspath(path)}: ends with '/', so it names a folder; give a file name")
        plan = _plan_one(Path(path), target, data, True, limit)
    if clean:
        clean_stale_temps(plan[2])
    return Replacement(plan)


def _link_new(tmp: str, target: Path, shown: Path) -> None:
    """Put ``tmp`` in place as the new file ``target``, failing if the name is taken (no check-then-replace)."""
    try:
        os.link(tmp, target)
        return
    except FileExistsError:
        raise JakplanError(f"{shown}: already exists; not overwriting it (use --force to replace it)") from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
    # a file system without hard links: reserve the name exclusively, then rename over our own empty file
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise JakplanError(f"{shown}: already exists; not overwriting it (use --force to replace it)") from None
    os.replace(tmp, target)


def atomic_write(path: str | os.PathLike, data: bytes | str, overwrite: bool = False, sync_dir: bool = True,
                 clean: bool = True, *, follow_links: bool = False, limit: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (see the module docstring); text is written as UTF-8."""
    return write_group([(path, data)], overwrite=overwrite, sync_dir=sync_dir, clean=clean,
                       follow_links=follow_links, limit=limit)[0]
