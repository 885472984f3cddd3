"""`jakplan labs`: what these lab values mean under the protocol (continue, do not start, interrupt ...)."""

from __future__ import annotations

from typing import Optional

import typer

from jakplan.actions.labs import judge_typed_labs
from jakplan.cli.base import app
from jakplan.cli.common import clean_errors, format_enum, format_option, one_planfile, planfile_argument, show

LabsFormat = format_enum("labs")


@app.command()
def labs(
    planfile: Optional[str] = planfile_argument(),
    drug: Optional[str] = typer.Option(None, "--drug", help="The JAK inhibitor (default baricitinib, or the profile's)."),
    protocol: Optional[str] = typer.Option(None, "--protocol", help="Protocol variant or a path to a .toml file (default: the drug's default for the indication)."),
    indication: Optional[str] = typer.Option(None, "--indication", help="Indication code (default: the drug's first, e.g. ra)."),
    anc: Optional[str] = typer.Option(None, "--anc", help="Neutrophils: 10^9/L by default, or with a unit: 1200/mm3, 1.2x10^9/L.", show_default=False),
    alc: Optional[str] = typer.Option(None, "--alc", help="Lymphocytes: 10^9/L by default, or 600/mm3, 600/uL.", show_default=False),
    hb: Optional[str] = typer.Option(None, "--hb", help="Haemoglobin: g/dL by default, or 95g/L.", show_default=False),
    platelets: Optional[str] = typer.Option(None, "--platelets", help="Platelets: 10^9/L by default, or 45000/mm3.", show_default=False),
    alt: Optional[str] = typer.Option(None, "--alt", help="ALT/AST as a multiple of the upper limit of normal, e.g. 3.5, or in U/L with --alt-uln: 120U/L.", show_default=False),
    alt_uln: Optional[str] = typer.Option(None, "--alt-uln", help="The laboratory's upper limit of normal for ALT/AST in U/L, when --alt is in U/L.", show_default=False),
    hb_baseline: Optional[str] = typer.Option(None, "--hb-baseline", help="Haemoglobin before treatment (for a 'fall from baseline' rule).", show_default=False),
    before_start: bool = typer.Option(False, "--before-start", help="Judge against the pre-treatment (do-not-start) thresholds."),
    fmt: LabsFormat = format_option("labs"),  # type: ignore[valid-type]
    profile: Optional[str] = typer.Option(
        None, "--profile", help="Same as the PLANFILE argument: take the drug, indication and protocol from this plan "
        "file (or profile)."
    ),
) -> None:
    """Evaluate lab values against the protocol's thresholds: per value and overall, continue, do not start,
    interrupt (and when it may resume), reduce the dose, or discontinue, with the source."""
    with clean_errors():
        profile = one_planfile(planfile, profile)
        judged = judge_typed_labs({"anc": anc, "alc": alc, "hb": hb, "platelets": platelets, "alt_uln": alt},
                                  alt_uln, hb_baseline, before_start=before_start, profile=profile, drug=drug,
                                  indication=indication, protocol=protocol)
        show("labs", fmt, judged=judged)
