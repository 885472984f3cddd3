"""Finding and reading the shipped data files (``jakplan/data``), with the pre-parsed bundle.

Shipped data lives in ``jakplan/data``: ``vocabulary.toml``, ``sources.toml``, ``planning.toml``,
``drugs.toml`` and ``protocols/<drug>/<variant>.toml`` (``protocols/common/*.toml`` holds guideline fragments).
"""

from __future__ import annotations

import json
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Any

from jakplan.errors import JakplanError
from jakplan.fileio import read_bytes

_DATA = Path(__file__).resolve().parent.parent / "data"


def data_path() -> Path:
    """The folder of shipped data files (inside the installed package)."""
    return _DATA


BUNDLE_NAME = "parsed.json"
"""Pre-parsed copies of the shipped TOML files (see :mod:`jakplan.catalog.bundle`): parsing a dozen TOML files
with the pure-Python tomllib is most of a plan's start-up time, decoding JSON is a fraction of it."""


@lru_cache(maxsize=None)
def _bundle() -> dict[str, list]:

    try:
        return json.loads((_DATA / BUNDLE_NAME).read_bytes())
    except (OSError, ValueError):
        return {}


def fingerprint(raw: bytes) -> str:
    """What ties a bundle entry to the exact bytes of its file (length and CRC-32)."""

    return f"{len(raw)}:{zlib.crc32(raw):08x}"


def _bundled(path: Path, raw: bytes) -> dict[str, Any] | None:
    """The pre-parsed content of a shipped file, if the bundle holds these exact bytes."""
    try:
        rel = Path(path).resolve().relative_to(_DATA).as_posix()
    except ValueError:
        return None
    entry = _bundle().get(rel)
    if entry and entry[0] == fingerprint(raw):

        return json.loads(entry[1])
    return None


def parse_toml_bytes(raw: bytes, path: Path | str) -> dict[str, Any]:
    import tomli as tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise JakplanError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise JakplanError(f"{path}: not valid TOML: not UTF-8 text") from None
    except RecursionError:
        raise JakplanError(f"{path}: not valid TOML: nested too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits (Python's int conversion limit)
        raise JakplanError(f"{path}: not valid TOML: {str(exc).split(';')[0]}") from None


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file (a shipped one from the pre-parsed bundle when its bytes match)."""

    raw = read_bytes(path)
    bundled = _bundled(path, raw)
    if bundled is not None:
        return bundled
    return parse_toml_bytes(raw, path)
