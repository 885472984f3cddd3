"""`jakplan protocols`: the shipped protocol variants; `jakplan protocols show NAME`: every entry with its source."""

from __future__ import annotations

from typing import Optional

import typer

from jakplan.cli.base import app
from jakplan.cli.common import Format, clean_errors, make_console, write_stdout

protocols_app = typer.Typer(
    help="List the protocol variants (US label, EU SmPC, local protocols) for every drug; `show` prints one in full.",
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(protocols_app, name="protocols")


@protocols_app.callback(invoke_without_command=True)
def protocols(
    ctx: typer.Context,
    drug: Optional[str] = typer.Option(None, "--drug", help="Only this drug."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, markdown or json."),
) -> None:
    """List the protocol variants shipped for each drug, with their indications and which one is the default."""
    if ctx.invoked_subcommand:
        return
    with clean_errors():
        from jakplan.actions import check_drug
        from jakplan.errors import JakplanError
        from jakplan.render.common import DISCLAIMER
        from jakplan.render.protocol import catalogue

        if drug:
            check_drug(drug)
        if fmt is Format.fhir:
            raise JakplanError("--format fhir is for plans; use table, markdown or json")
        rows = [r for r in catalogue() if not drug or r["drug"] == drug]
        if fmt is Format.json:
            import json

            write_stdout(json.dumps({"protocols": rows, "disclaimer": DISCLAIMER}, indent=2, ensure_ascii=False))
            return
        cols = ["Drug", "Protocol", "Title", "Jurisdiction", "Indications", "Default for"]
        cells = [[f"{r['drug']} ({r['brand']})", r["protocol"], r["title"], r["jurisdiction"],
                  ", ".join(r["indications"]), ", ".join(r["default_for"]) or "-"] for r in rows]
        hint = "Use one with --protocol NAME (or a path to your own .toml); see it with `jakplan protocols show DRUG/NAME`."
        if fmt is Format.markdown:
            from jakplan.escape import markdown_table

            lines = markdown_table(cols, cells)
            write_stdout("\n".join(lines + ["", hint, "", f"_{DISCLAIMER}_"]))
            return
        from jakplan.render.grid import print_grid

        console = make_console()
        # the terminal's compact form: one row per protocol, three columns that fit 80
        short = [[f"{r['drug']}/{r['protocol']}", f"{r['title']}; {r['jurisdiction']}",
                  ", ".join(r["indications"]) + (f" (default for {', '.join(r['default_for'])})" if r["default_for"] else "")]
                 for r in rows]
        print_grid(console, ["Protocol", "Title; jurisdiction", "Indications"], short, nowrap=(0,))
        console.print(hint)
        console.print(DISCLAIMER)


@protocols_app.command("show")
def show(
    name: str = typer.Argument(..., help="DRUG/VARIANT (e.g. baricitinib/eu-smpc), VARIANT with --drug, or a path to a .toml file."),
    drug: Optional[str] = typer.Option(None, "--drug", help="The drug, when NAME is a variant such as us-label (default baricitinib)."),
    fmt: Format = typer.Option(Format.table, "--format", help="table, markdown or json."),
) -> None:
    """Print every rule, threshold, dose, risk note and course of one protocol, each with its source."""
    with clean_errors():
        from jakplan.actions import protocol_named
        from jakplan.errors import JakplanError

        if fmt is Format.fhir:
            raise JakplanError("--format fhir is for plans; use table, markdown or json")
        proto = protocol_named(name, drug)
        from jakplan.render.protocol import protocol_dict, render_protocol_markdown, render_protocol_terminal

        if fmt is Format.json:
            import json

            write_stdout(json.dumps(protocol_dict(proto), indent=2, ensure_ascii=False))
        elif fmt is Format.markdown:
            write_stdout(render_protocol_markdown(proto))
        else:
            render_protocol_terminal(proto, make_console())
