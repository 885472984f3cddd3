"""The Typer application object that every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="jakplan",
    help="Monitoring planner for oral JAK-inhibitor therapy. A planning aid: the prescriber's instructions come first.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _show_version(value: bool) -> None:
    if value:
        from jakplan import __version__

        typer.echo(f"jakplan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Monitoring planner for oral JAK-inhibitor therapy. A planning aid: the prescriber's instructions come first."""
