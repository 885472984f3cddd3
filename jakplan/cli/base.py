"""The Typer application object that every command module registers on."""

from __future__ import annotations

import os

import typer

from jakplan import __version__
from jakplan.cli.guard import GuardedGroup

app = typer.Typer(
    cls=GuardedGroup,
    name="jakplan",
    help="Monitoring planner for oral JAK-inhibitor therapy. A planning aid: the prescriber's instructions come first.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command inherits -h
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"jakplan {__version__}")
        raise typer.Exit()


def _no_color(value: bool) -> None:
    if value:
        os.environ["NO_COLOR"] = "1"  # rich reads it (https://no-color.org); so does every jakplan renderer


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", "-V", callback=_show_version, is_eager=True, help="Print the version and exit."),
    no_color: bool = typer.Option(False, "--no-color", callback=_no_color, is_eager=True,
                                  help="No colours or bold (the NO_COLOR environment variable does the same)."),
) -> None:
    """Monitoring planner for oral JAK-inhibitor therapy. A planning aid: the prescriber's instructions come first."""
