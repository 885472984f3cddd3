"""Helpers shared by the commands: option parsing, the clean-exit error path, consoles."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import sys
from enum import Enum
from typing import Any, Iterator, NoReturn

import typer

from jakplan.cli.guard import echo_err, error_line
from jakplan.dates import parse_user_date
from jakplan.errors import JakplanError
from jakplan.escape import safe_console, strip_output_controls
from jakplan.render.registry import default_format, format_enum, format_help, render

EXIT_OK = 0
EXIT_OVERDUE = 1
"""Only `status`, `cohort due` and `next`: something is overdue."""
EXIT_BAD_INPUT = 2
EXIT_NOTHING_FOUND = 3
"""Only when asked (`checklist --strict`): nothing is due on the day asked for."""

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")




def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """``Error: <message>`` on one line of stderr (control characters escaped), then exit ``code``."""
    echo_err(error_line(message))
    raise typer.Exit(code)


@contextlib.contextmanager
def clean_errors() -> Iterator[None]:
    """Turn a JakplanError into one line on stderr and exit 2 (never a traceback).

    Anything else that escapes a command is handled by :mod:`jakplan.cli.guard` (stdout errors, Ctrl-C, and
    the last-resort "internal error ... please report", exit 70)."""
    try:
        yield
    except JakplanError as exc:
        if type(exc) is JakplanError:
            fail(str(exc))
        from jakplan.render.course import error_text  # a refusal raised as data (rare): worded by render/

        fail(error_text(exc))


PLANFILE_HELP = "The patient's plan file (or profile), TOML; its records count. --profile PLANFILE is the same."


def planfile_argument(*, annotated: bool = False) -> Any:
    """The positional PLANFILE of a command that may read one patient's plan file (``jakplan checklist p.toml``):
    the one way to name it, with ``--profile`` kept as an alias (:func:`one_planfile`). ``annotated``: for an
    ``Annotated[...]`` parameter, whose default is given apart."""
    if annotated:
        return typer.Argument(metavar="PLANFILE", help=PLANFILE_HELP, show_default=False)
    return typer.Argument(None, metavar="PLANFILE", help=PLANFILE_HELP, show_default=False)


def one_planfile(planfile: str | None, profile: str | None) -> str | None:
    """The plan file named as the argument or with ``--profile`` (not both: one line)."""
    if planfile is not None and profile is not None:
        raise JakplanError(f"give the plan file once: as PLANFILE ({planfile}) or with --profile ({profile}), not both")
    return planfile if planfile is not None else profile


def parse_date(value: str, option: str) -> dt.date:
    """A calendar date typed by a person (YYYY-MM-DD, zero padding optional); a day/month form such as
    01/05/2024 is refused naming both readings. See :mod:`jakplan.dates`."""
    return parse_user_date(value, option)


def make_console(**kwargs):
    """A rich Console built at call time, so that tests (and COLUMNS) decide its width.

    Markup, emoji codes and highlighting are off: every string jakplan prints is data (titles, citations
    such as "[S1]"), never rich markup, and parsing it as markup would be both slower and wrong.
    Control characters in what it prints are removed (:func:`jakplan.escape.safe_console`).
    """
    for key in ("markup", "emoji", "highlight"):
        kwargs.setdefault(key, False)
    if os.environ.get("NO_COLOR"):  # https://no-color.org, or --no-color: no colour and no bold either
        kwargs.setdefault("color_system", None)
    return safe_console(**kwargs)


def write_stdout(text: str) -> None:
    """Print ``text`` (and a final newline); control characters other than line ends and tabs are removed."""
    text = strip_output_controls(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def format_option(*views: str, help: str | None = None) -> Any:
    """The ``--format`` option of a command showing ``views``: its choices and help from the output registry."""
    enum = format_enum(*views)
    return typer.Option(enum(default_format(views[0])), "--format", help=help or format_help(views[0]))


def show(view: str, fmt: str | Enum, **data: Any) -> bytes | None:
    """Render ``view`` in ``fmt`` through the output registry and print it; returns the bytes of a file format
    (a PDF) for the caller to write."""
    out = render(view, fmt, console=make_console, **data)
    if out.text is not None:
        if out.raw:
            sys.stdout.write(out.text)
        else:
            write_stdout(out.text)
    return out.data
