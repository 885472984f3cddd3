"""`jakplan protocols`: the shipped protocol variants; `jakplan protocols show NAME`: every entry with its source."""

from __future__ import annotations

from typing import Optional

import typer

from jakplan.actions import dose_matrix_of, protocol_catalogue, protocol_named
from jakplan.cli.base import app
from jakplan.cli.common import clean_errors, format_enum, format_option, show

protocols_app = typer.Typer(
    help="List the protocol variants (US label, EU SmPC, local protocols) for every drug; `show` prints one in full.",
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(protocols_app, name="protocols")

ProtocolsFormat = format_enum("protocols")
ProtocolFormat = format_enum("protocol")


@protocols_app.callback(invoke_without_command=True)
def protocols(
    ctx: typer.Context,
    drug: Optional[str] = typer.Option(None, "--drug", help="Only this drug."),
    fmt: ProtocolsFormat = format_option("protocols"),  # type: ignore[valid-type]
) -> None:
    """List the protocol variants shipped for each drug, with their indications and which one is the default."""
    if ctx.invoked_subcommand:
        return
    with clean_errors():
        show("protocols", fmt, rows=protocol_catalogue(drug))


@protocols_app.command("show")
def show_protocol(
    name: str = typer.Argument(..., help="DRUG/VARIANT (e.g. baricitinib/eu-smpc), VARIANT with --drug, or a path to a .toml file."),
    drug: Optional[str] = typer.Option(None, "--drug", help="The drug, when NAME is a variant such as us-label (default baricitinib)."),
    fmt: ProtocolFormat = format_option("protocol"),  # type: ignore[valid-type]
    doses: bool = typer.Option(False, "--doses", help="The interaction and dose matrix instead: for each indication, "
                               "the dose at every kidney band, hepatic class and interaction class, with sources."),
) -> None:
    """Print every rule, threshold, dose, risk note and course of one protocol, each with its source."""
    with clean_errors():
        protocol = protocol_named(name, drug)
        if doses:
            show("dose-matrix", fmt, protocol=protocol, matrix=dose_matrix_of(protocol))
            return
        show("protocol", fmt, protocol=protocol)
