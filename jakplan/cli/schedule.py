"""`jakplan schedule`: the monitoring timeline for one patient and start date."""

from __future__ import annotations

from typing import Optional

import typer

from .base import app
from .common import Format, clean_errors, make_console, write_stdout
from .planopts import (
    AgeOpt,
    BornOpt,
    CancerOpt,
    ClotOpt,
    CrclOpt,
    CvRiskOpt,
    Cyp2c9Opt,
    EgfrOpt,
    HbvOpt,
    HepaticOpt,
    InfectionsOpt,
    PregnancyOpt,
    ProfileOpt,
    SkinCancerOpt,
    SmokerOpt,
    TbRiskOpt,
    WeightOpt,
    WithOpt,
)


@app.command()
def schedule(
    start: Optional[str] = typer.Option(None, "--start", help="Date of the first dose, YYYY-MM-DD (or from --profile)."),
    months: Optional[int] = typer.Option(None, "--months", help="How many months after the start to plan (1-120; default 12)."),
    drug: Optional[str] = typer.Option(None, "--drug", help="The JAK inhibitor (default baricitinib)."),
    indication: Optional[str] = typer.Option(None, "--indication", help="Indication code (default: the drug's first, e.g. ra)."),
    protocol: Optional[str] = typer.Option(
        None, "--protocol", help="Protocol variant (e.g. us-label, eu-smpc, nhs-lanarkshire) or a path to a .toml file."
    ),
    fmt: Format = typer.Option(Format.table, "--format", help="table (terminal), markdown, json or fhir (an HL7 FHIR R4 CarePlan)."),
    sources: bool = typer.Option(False, "--sources", help="Show each row's citation."),
    profile: ProfileOpt = None,
    age: AgeOpt = None,
    born: BornOpt = None,
    weight: WeightOpt = None,
    egfr: EgfrOpt = None,
    crcl: CrclOpt = None,
    hepatic: HepaticOpt = None,
    with_: WithOpt = None,
    cyp2c9: Cyp2c9Opt = None,
    smoker: SmokerOpt = None,
    cv_risk: CvRiskOpt = None,
    cancer_history: CancerOpt = None,
    clot_history: ClotOpt = None,
    skin_cancer_risk: SkinCancerOpt = None,
    recurrent_infections: InfectionsOpt = None,
    hbv_core_antibody: HbvOpt = None,
    high_tb_risk: TbRiskOpt = None,
    pregnancy_possible: PregnancyOpt = None,
) -> None:
    """Print the monitoring timeline: the dose for this patient and the risk notes, then screening before the
    first dose, lab checks, reviews and milestones."""
    with clean_errors():
        from .planopts import patient_factors, plan_from_profile

        factors = patient_factors(
            age, born, weight, egfr, crcl, hepatic, with_, cyp2c9, smoker, cv_risk, cancer_history, clot_history,
            skin_cancer_risk, recurrent_infections, hbv_core_antibody, high_tb_risk, pregnancy_possible,
        )
        plan = plan_from_profile(profile, start, months, drug, indication, protocol, factors)
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
