"""The Typer application object that every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="jakplan",
    help="Monitoring planner for oral JAK-inhibitor therapy. A planning aid: the prescriber's instructions come first.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Monitoring planner for oral JAK-inhibitor therapy. A planning aid: the prescriber's instructions come first."""
