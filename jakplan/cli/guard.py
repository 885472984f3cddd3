"""The last line of defence of the command line: whatever happens, the user sees one line, never a traceback.

:class:`GuardedGroup` is the click group of the ``jakplan`` application (``typer.Typer(cls=GuardedGroup)``).
It runs every command and turns what escapes it into one line on stderr and an exit code:

====================================================  ====  =============================================
what escaped                                          exit  shown
====================================================  ====  =============================================
a usage error (unknown option, a value click refuses)  2    ``Error: <click's message>`` on one line
:class:`JakplanError` (bad input, bad file)            2    ``Error: <message>``
stdout closed (``| head``)                             0    nothing (ends quietly)
an OSError writing the output (a full disk)            2    ``Error: cannot write the output: ...``
another OSError (the environment)                      2    ``Error: <file>: <reason>``
Ctrl-C                                                130   ``Interrupted.``
anything else (a bug)                                  70   ``Error: internal error (...); please report``
====================================================  ====  =============================================

Every message goes through :func:`jakplan.escape.one_line`, so a value holding a newline or an escape
sequence is shown escaped and cannot forge a second line. SIGTERM ends a command the way Ctrl-C does
(temporary files are removed on the way out), with exit code 143.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import sys
import threading
from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup

from jakplan.actions import choose
from jakplan.errors import JakplanError
from jakplan.escape import one_line
from jakplan.fileio import remove_live_temps

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_PIPE = 0
"""A closed pipe (`jakplan ... | head`) is not an error: the reader took what it wanted (issue 13: exit 0)."""
REPORT_URL = "https://github.com/jakplan/jakplan/issues"
INTERNAL_MARK = "please report"
"""Words that only the last-resort handler prints (the bad-input matrix checks no input reaches it)."""


def _exception_classes(name: str) -> tuple[Any, ...]:
    """The click exception class ``name`` from the copy of click that typer may carry, and from click itself
    when it is loaded (importing click only to catch its errors would cost start-up time for nothing)."""
    out = []
    for mod in ("click.exceptions", "typer._click.exceptions"):
        if mod.startswith("click.") and "click" not in sys.modules and importlib.util.find_spec("typer._click"):
            continue
        try:
            cls = getattr(importlib.import_module(mod), name, None)
        except ImportError:
            continue
        if cls is not None and cls not in out:
            out.append(cls)
    return tuple(out)


_NO_ARGS = _exception_classes("NoArgsIsHelpError")
_USAGE = _exception_classes("UsageError")
_CLICK = _exception_classes("ClickException")
_ABORT = _exception_classes("Abort")
_BAD_PARAMETER = _exception_classes("BadParameter")
_MISSING = _exception_classes("MissingParameter")


def error_line(message: str) -> str:
    """``Error: <message>`` as one line (control characters and newlines escaped)."""
    return "Error: " + one_line(message)


def echo_err(line: str) -> None:
    """Print one line on stderr, through the one output gate for messages (:func:`jakplan.escape.one_line`:
    control characters, bidi overrides and newlines from data are shown escaped, so a value can neither drive
    the terminal nor forge a second line); a broken stderr is ignored (there is nowhere else to say it)."""
    try:
        typer.echo(one_line(line), err=True)
    except (OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """After stdout failed: point fd 1 at /dev/null, so that the flush at exit cannot fail again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except OSError:
        pass


def _on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds like Ctrl-C: finally blocks remove temporary files


def run_guarded(invoke) -> int:
    """Run ``invoke()`` (the click command in non-standalone mode) and return the exit code (see the table)."""
    old = None
    if threading.current_thread() is threading.main_thread():
        try:
            old = signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):
            old = None
    try:
        rv = invoke()
        code = rv if isinstance(rv, int) else 0
        sys.stdout.flush()
        return code
    except _NO_ARGS as exc:
        exc.show()
        return exc.exit_code
    except _USAGE as exc:
        hint = ""
        if exc.ctx is not None:
            hint = f" (see `{exc.ctx.command_path} --help`)"
        echo_err(error_line(exc.format_message()) + hint)
        return exc.exit_code
    except _CLICK as exc:
        echo_err(error_line(exc.format_message()))
        return EXIT_BAD_INPUT if exc.exit_code in (1, 2) else exc.exit_code
    except JakplanError as exc:
        echo_err(error_line(str(exc)))
        return EXIT_BAD_INPUT
    except (KeyboardInterrupt, *_ABORT):
        echo_err("Interrupted.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE
    except OSError as exc:
        if exc.filename is None:
            _silence_stdout()
            echo_err(error_line(f"cannot write the output: {exc.strerror or exc}"))
        else:
            echo_err(error_line(f"{exc.filename}: {exc.strerror or exc}"))
        return EXIT_BAD_INPUT
    except RecursionError:
        echo_err(error_line(f"internal error (input nested too deeply); {INTERNAL_MARK} it at {REPORT_URL}"))
        return EXIT_INTERNAL
    except Exception as exc:  # noqa: BLE001 - the last resort: a bug, said in one line
        echo_err(error_line(f"internal error ({type(exc).__name__}: {exc}); {INTERNAL_MARK} it at {REPORT_URL} "
                            "with the command you ran"))
        return EXIT_INTERNAL
    finally:
        remove_live_temps()  # a command ended by a signal leaves none of its temporary files (none when it ends well)
        if old is not None:
            try:
                signal.signal(signal.SIGTERM, old)
            except (ValueError, OSError):
                pass


METAVARS = {"today": "DAY", "on": "DAY", "to": "DAY", "until": "DAY", "start": "DAY", "done": "DAY", "from_": "DAY", "week": "N", "born": "DAY",
            "out": "FILE", "profile": "PLANFILE", "planfile": "PLANFILE", "lab": "ANALYTE=VALUE", "rule": "RULE",
            "into": "FOLDER", "folder": "FOLDER", "files": "FILE", "csv_file": "FILE_OR_FOLDER",
            "map_": "HEADER=COLUMN", "mapping": "HEADER=COLUMN", "months": "N", "workers": "N", "protocol": "PROTOCOL",
            "drug": "DRUG", "indication": "INDICATION", "score": "NAME[=VALUE]", "fmt": "FORMAT", "remind": "DURATION",
            "with_": "MEDICINE", "medicines": "MEDICINE", "waive": "REASON", "not_applicable": "REASON",
            "note": "TEXT", "title_prefix": "TEXT", "input_format": "FORMAT", "hb_baseline": "VALUE", "name": "NAME", "identifier": "ID", "contact": "TEXT", "alt_uln": "U/L"}
"""Help shows each value in capitals, as a person reads it (``--today DAY``, ``PLANFILE``); a name not listed here
is shown as its own name in capitals (``--egfr EGFR``), a choice as ``FORMAT``-like capitals too."""

_METAVAR = re.compile(r"^[A-Z][A-Z0-9_/]*(=[A-Z][A-Z0-9_]*|\[=[A-Z][A-Z0-9_]*\])?(\.\.\.)?$")
"""What a value's name in help may look like: capitals (``PLANFILE``, ``ANALYTE=VALUE``, ``NAME[=VALUE]``, ``FILE...``);
never ``{planfile}``, ``<str>`` or ``<list[str]>`` (tests/test_conventions.py walks every command with it)."""


def metavar_ok(text: str) -> bool:
    """True when ``text`` is a value name as help should show it (see :data:`_METAVAR`)."""
    return bool(_METAVAR.match(text))


def _name_metavars(cmd) -> None:
    """Give every parameter of ``cmd`` (and its subcommands) a metavar in capitals, unless it has its own; an
    argument is shown as its name alone (``PLANFILE``, ``[PLANFILE]`` when optional, ``FILE...``), with no type."""
    for p in getattr(cmd, "params", []):
        if isinstance(p, TyperArgument) and not isinstance(p, PlainArgument):
            p.__class__ = PlainArgument  # the same parameter, shown without typer's braces and <str>
        _word_refusals(p)
        if p.metavar is not None or getattr(p, "is_flag", False) or getattr(p, "count", False):
            continue
        kind = getattr(p, "type", None)  # click's or the copy typer carries: read by duck typing
        if getattr(kind, "name", "") == "boolean":
            continue
        name = p.name or "value"
        p.metavar = METAVARS.get(name, "VALUE" if name.startswith("score_") else name.strip("_").upper())
    for sub in getattr(cmd, "commands", {}).values():
        _name_metavars(sub)


def _kind(param) -> str:
    """What a value of ``param`` is called in an error: its value name in lower case (``format``, ``paper``)."""
    return (param.metavar or param.name or "value").strip("_").lower().replace("_", " ")


def _where(param) -> str:
    return param.opts[0] if param.param_type_name == "option" and param.opts else (param.metavar or param.name or "")


def worded_refusal(param, value: Any) -> str:
    """One line in jakplan's words for a value the option's type refuses (no validator wording): an unknown
    choice with the nearest one named (:func:`jakplan.actions.choose`), a word where a number goes, ..."""
    desc = getattr(param, "type_descriptor", None)
    items = [value] if isinstance(value, str) or not isinstance(value, (list, tuple)) else list(value)
    choices = [str(getattr(c, "value", c)) for c in (getattr(desc, "choices", None) or ())]
    where = _where(param)
    if choices:

        for item in items:
            if str(item) not in choices:
                try:
                    choose(_kind(param), str(item), choices, where)
                except JakplanError as exc:
                    return str(exc)
        return f"{where}: one of {', '.join(choices)}"
    ann = getattr(desc, "annotation", None)
    for item in items:
        if ann is int and not str(item).strip().lstrip("+-").isdigit():
            return f"{where} '{item}' is not a whole number"
        if ann is float:
            try:
                float(str(item))
            except ValueError:
                return f"{where} '{item}' is not a number"
    shown = ", ".join(f"'{i}'" for i in items)
    return f"{where} {shown} is not a valid {_kind(param)}"


def _named_choices(param, value: Any) -> Any:
    """``value`` with each item taken as the choice it names (any case, '-', '_' or space alike: the one names
    module), or None when an item names none."""
    choices = [str(getattr(c, "value", c)) for c in (getattr(getattr(param, "type_descriptor", None), "choices", None)
                                                     or ())]
    if not choices:
        return None

    items = [value] if isinstance(value, str) or not isinstance(value, (list, tuple)) else list(value)
    try:
        named = [choose(_kind(param), str(item), choices) for item in items]
    except JakplanError:
        return None
    return named[0] if isinstance(value, str) or not isinstance(value, (list, tuple)) else type(value)(named)


def _word_refusals(param) -> None:
    """Have ``param`` say the values its type refuses in jakplan's words (:func:`worded_refusal`), not the type
    checker's ("Input should be a valid integer ...", "Value error, 'html' is not one of ...")."""
    if getattr(param, "_jakplan_worded", False):
        return
    typed = param.process_value

    def process_value(ctx, value):
        try:
            return typed(ctx, value)
        except _BAD_PARAMETER as exc:
            if isinstance(exc, _MISSING) or value is None:
                raise
            named = _named_choices(param, value)  # 'JSON', 'A4': the choice meant, as with every other name
            if named is not None:
                return typed(ctx, named)
            raise _USAGE[0](worded_refusal(param, value), ctx=ctx) from None

    param.process_value = process_value
    param._jakplan_worded = True


class PlainArgument(TyperArgument):
    """A positional argument as a person reads it in help: ``jakplan status PLANFILE``, ``[PLANFILE]`` when it
    may be left out, ``FILE...`` for several; no ``{PLANFILE}`` nor ``<str>`` (typer's own display)."""

    def _name(self) -> str:
        name = (self.metavar or self.name or "value").upper()
        return name + "..." if self.nargs != 1 and not name.endswith("...") else name

    def _rich_display_name(self) -> str:
        return self._name()

    def _usage_display_name(self) -> str:
        return self._name() if self.required else f"[{self._name()}]"

    def display_type_rich(self, ctx) -> None:  # type: ignore[override]
        return None

    def make_metavar(self, ctx=None) -> str:  # type: ignore[override]  # click's name for it in errors
        return self._name()


class GuardedGroup(TyperGroup):
    """The ``jakplan`` group: runs the command through :func:`run_guarded`; its commands' help names values in
    capitals (:data:`METAVARS`)."""

    def get_command(self, ctx, cmd_name):  # type: ignore[override]
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            _name_metavars(cmd)
        return cmd

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # type: ignore[override]
        code = run_guarded(lambda: super(GuardedGroup, self).main(
            args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False, **extra))
        if standalone_mode:
            sys.exit(code)
        return code


class GentleStop:
    """Ctrl-C for a long run (``cohort export``): the first one asks the run to stop after the work in hand
    (``stop()`` turns True and one line says so), a second one stops at once (KeyboardInterrupt: exit 130,
    temporary files removed, no traceback). Used as a context manager; outside the main thread it does nothing."""

    def __init__(self, what: str = "the patient in hand"):
        self.what = what
        self.requested = False
        self._old: Any = None

    def __call__(self) -> bool:
        return self.requested

    def _handler(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        echo_err(f"Interrupted: finishing {self.what}, then stopping (Ctrl-C again to stop at once).")

    def __enter__(self) -> "GentleStop":
        if threading.current_thread() is threading.main_thread():
            try:
                self._old = signal.signal(signal.SIGINT, self._handler)
            except (ValueError, OSError):
                self._old = None
        return self

    def __exit__(self, *exc) -> None:
        if self._old is not None:
            try:
                signal.signal(signal.SIGINT, self._old)
            except (ValueError, OSError):
                pass
