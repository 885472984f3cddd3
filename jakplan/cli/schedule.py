"""`jakplan schedule`: the monitoring timeline for one start date."""

from __future__ import annotations

from typing import Optional

import typer

from . import app
from .common import Format, clean_errors, make_console, parse_date, write_stdout


@app.command()
def schedule(
    start: str = typer.Option(..., "--start", help="Date of the first dose, YYYY-MM-DD."),
    months: int = typer.Option(12, "--months", help="How many months after the start to plan (1-120)."),
    drug: str = typer.Option("baricitinib", "--drug", help="The JAK inhibitor."),
    indication: Optional[str] = typer.Option(None, "--indication", help="Indication code (default: the drug's first, e.g. ra)."),
    protocol: Optional[str] = typer.Option(
        None, "--protocol", help="Protocol variant (e.g. us-label, eu-smpc, nhs-lanarkshire) or a path to a .toml file."
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table (terminal), markdown, json or fhir (an HL7 FHIR R4 CarePlan)."),
    sources: bool = typer.Option(False, "--sources", help="Show each row's citation."),
) -> None:
    """Print the monitoring timeline: screening before the first dose, lab checks, reviews and milestones."""
    with clean_errors():
        from ..api import plan_for

        plan = plan_for(parse_date(start, "--start"), drug=drug, indication=indication, protocol=protocol, months=months)
        if fmt is Format.json:
            import json

            from ..render.common import plan_dict

            write_stdout(json.dumps(plan_dict(plan), indent=2, ensure_ascii=False))
        elif fmt is Format.fhir:
            from ..render.fhir import careplan_json

            write_stdout(careplan_json(plan))
        elif fmt is Format.markdown:
            from ..render.markdown import render_markdown

            write_stdout(render_markdown(plan, sources=sources))
        else:
            from ..render.terminal import render_terminal

            render_terminal(plan, make_console(), sources=sources)
