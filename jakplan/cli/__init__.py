"""The command line: a thin Typer wrapper that parses options, calls the library and renders.

Each command lives in its own module and registers itself on the Typer app in :mod:`jakplan.cli.base`;
heavy imports happen inside the command functions so that start-up stays fast.

``jakplan.cli.app`` is the complete application (every command registered), for tests and embedding.
The console script :func:`main` registers only the module of the command being run (all of them for
``--help`` or an unknown word), because Typer builds the options of every registered command at start-up.
"""

from __future__ import annotations

import importlib
import signal
import sys

from jakplan.cli.base import app as _app

COMMAND_MODULES: dict[str, str] = {
    "schedule": "schedule",
    "export": "export",
    "checklist": "checklist",
    "init": "track",
    "record": "track",
    "pause": "track",
    "resume": "track",
    "status": "track",
    "undo": "track",
    "cohort": "cohort",
    "labs": "labs",
    "next": "nextcmd",
    "sheet": "sheet",
    "protocols": "protocols",
    "trend": "trend",
}
"""Which module registers each top-level command (tests check that this covers every command)."""


def load_commands(names: list[str] | None = None) -> None:
    """Import the command modules for ``names`` (all when None), which registers their commands."""
    modules = sorted(set(COMMAND_MODULES.values())) if names is None else sorted({COMMAND_MODULES[n] for n in names})
    for mod in modules:
        importlib.import_module(f"{__name__}.{mod}")


def __getattr__(name: str):
    if name == "app":
        load_commands()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    words = [a for a in sys.argv[1:] if not a.startswith("-")]
    first = words[0] if words else None
    load_commands([first] if first in COMMAND_MODULES and sys.argv[1] == first else None)
    try:
        _app(prog_name="jakplan")  # errors become one line in jakplan.cli.guard; this exits with the code
    finally:
        try:  # the command is over: a late Ctrl-C must not turn the exit into a traceback
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        except (ValueError, OSError):
            pass
