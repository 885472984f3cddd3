"""`jakplan schedule`: the monitoring timeline for one patient and start date."""

from __future__ import annotations

import typer

from jakplan.cli.base import app
from jakplan.cli.common import Format, clean_errors, make_console, write_stdout
from jakplan.cli.planopts import PlanOptions, with_plan_options


@app.command()
@with_plan_options
def schedule(
    plan_options: PlanOptions,
    fmt: Format = typer.Option(Format.table, "--format", help="table (terminal), markdown, json or fhir (an HL7 FHIR R4 CarePlan)."),
    sources: bool = typer.Option(False, "--sources", help="Show each row's citation."),
) -> None:
    """Print the monitoring timeline: the dose for this patient and the risk notes, then screening before the
    first dose, lab checks, reviews and milestones."""
    with clean_errors():
        plan = plan_options.build()
        if fmt is Format.json:
            import json

            from jakplan.render.common import plan_dict

            write_stdout(json.dumps(plan_dict(plan), indent=2, ensure_ascii=False))
        elif fmt is Format.fhir:
            from jakplan.render.fhir import careplan_json

            write_stdout(careplan_json(plan))
        elif fmt is Format.markdown:
            from jakplan.render.markdown import render_markdown

            write_stdout(render_markdown(plan, sources=sources))
        else:
            from jakplan.render.terminal import render_terminal

            render_terminal(plan, make_console(), sources=sources)
