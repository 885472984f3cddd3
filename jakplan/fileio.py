"""Safe file writing: nothing the user wrote is ever lost.

- ``atomic_write`` writes to a temporary file in the same folder, fsyncs it, then renames it over the
  target (``os.replace`` is atomic on POSIX), so a crash leaves either the old file or the new one.
- It refuses to replace an existing file unless ``overwrite=True``, and refuses directories and
  unwritable places with a one-line :class:`JakplanError`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from jakplan.errors import JakplanError


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


def read_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of a user's file; a missing file, a folder or an unreadable file raises a one-line JakplanError."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise JakplanError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise JakplanError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise JakplanError(f"{path}: cannot read: {exc.strerror}") from None


def atomic_write(path: str | os.PathLike, data: bytes | str, overwrite: bool = False, sync_dir: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically; text is written as UTF-8.

    ``sync_dir=False`` skips the fsync of the folder after the rename, for a caller that writes many files
    into one folder and calls :func:`fsync_dir` once when all are written (the cohort export).
    """
    target = Path(path)
    if target.is_dir():
        raise JakplanError(f"{target}: is a directory; give a file name")
    if target.exists() and not overwrite:
        raise JakplanError(f"{target}: already exists; not overwriting it (use --force to replace it)")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise JakplanError(f"{target}: folder {folder} does not exist")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise JakplanError(f"{target}: cannot write here: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            try:
                os.chmod(tmp, target.stat().st_mode & 0o7777)
            except OSError:
                pass
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise JakplanError(f"{target}: cannot write: {exc.strerror}") from None
    if sync_dir:
        fsync_dir(folder)
    return target
