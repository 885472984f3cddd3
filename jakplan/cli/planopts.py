"""The options that say which plan to build, shared by every command that renders a plan.

Each option is an ``Annotated`` type, so a command declares ``start: StartOpt`` and gets the same name, help and
default as every other command; :func:`plan_from_options` turns the parsed values into a :class:`Plan`. New plan
options (a patient profile, patient factors) belong here, so that all commands pick them up together.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

StartOpt = Annotated[str, typer.Option("--start", help="Date of the first dose, YYYY-MM-DD.", show_default=False)]
MonthsOpt = Annotated[int, typer.Option("--months", help="How many months after the start to plan (1-120).")]
DrugOpt = Annotated[str, typer.Option("--drug", help="The JAK inhibitor.")]
IndicationOpt = Annotated[
    Optional[str], typer.Option("--indication", help="Indication code (default: the drug's first, e.g. ra).")
]
ProtocolOpt = Annotated[
    Optional[str],
    typer.Option(
        "--protocol", help="Protocol variant (e.g. us-label, eu-smpc, nhs-lanarkshire) or a path to a .toml file."
    ),
]


def plan_from_options(
    start: str,
    months: int = 12,
    drug: str = "baricitinib",
    indication: Optional[str] = None,
    protocol: Optional[str] = None,
):
    """Parse and check the plan options and build the plan; bad input raises ``JakplanError``."""
    from ..api import plan_for
    from .common import parse_date

    return plan_for(parse_date(start, "--start"), drug=drug, indication=indication, protocol=protocol, months=months)
