"""The options that say which plan to build, shared by every command that renders a plan.

Each option is an ``Annotated`` type listed once in :data:`PLAN_OPTIONS`; :func:`with_plan_options` gives a
command all of them, and :meth:`PlanOptions.build` turns the parsed values into a :class:`Plan`. New plan
options belong in :data:`PLAN_OPTIONS`, so that every plan command picks them up together.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

IndicationOpt = Annotated[
    Optional[str], typer.Option("--indication", help="Indication code (default: the drug's first, e.g. ra).")
]
ProtocolOpt = Annotated[
    Optional[str],
    typer.Option(
        "--protocol", help="Protocol variant (e.g. us-label, eu-smpc, nhs-lanarkshire) or a path to a .toml file."
    ),
]


# ---------------------------------------------------------------- the patient (same keys as a profile file)

ProfileOpt = Annotated[
    Optional[str],
    typer.Option("--profile", help="Patient profile file (TOML; a plan file works too). Options given here override it."),
]
AgeOpt = Annotated[Optional[int], typer.Option("--age", help="Age in years (or give --born).", show_default=False)]
BornOpt = Annotated[
    Optional[str], typer.Option("--born", help="Date of birth, YYYY-MM-DD: the age is taken at the start date.", show_default=False)
]
WeightOpt = Annotated[Optional[float], typer.Option("--weight", help="Body weight in kg (children's doses).", show_default=False)]
EgfrOpt = Annotated[Optional[float], typer.Option("--egfr", help="eGFR, mL/min/1.73m2.", show_default=False)]
CrclOpt = Annotated[
    Optional[float],
    typer.Option("--crcl", help="Creatinine clearance, mL/min (where a label doses by it, e.g. the EU SmPCs).", show_default=False),
]
HepaticOpt = Annotated[
    Optional[str], typer.Option("--hepatic", help="Hepatic impairment: none, or Child-Pugh class A, B or C.", show_default=False)
]
WithOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--with",
        help="An interacting medicine or class taken with the JAK inhibitor (repeatable or comma-separated), e.g. "
        "probenecid, fluconazole, strong-cyp3a4-inhibitor; 'none' for none.",
        show_default=False,
    ),
]
Cyp2c9Opt = Annotated[
    Optional[str], typer.Option("--cyp2c9", help="CYP2C9 metaboliser status: normal, intermediate or poor.", show_default=False)
]
SmokerOpt = Annotated[Optional[str], typer.Option("--smoker", help="never, past or current.", show_default=False)]
CvRiskOpt = Annotated[
    Optional[bool], typer.Option("--cv-risk/--no-cv-risk", help="Cardiovascular risk factors.", show_default=False)
]
CancerOpt = Annotated[
    Optional[bool], typer.Option("--cancer-history/--no-cancer-history", help="History of cancer.", show_default=False)
]
ClotOpt = Annotated[
    Optional[bool], typer.Option("--clot-history/--no-clot-history", help="History of blood clots (VTE).", show_default=False)
]
SkinCancerOpt = Annotated[
    Optional[bool],
    typer.Option("--skin-cancer-risk/--no-skin-cancer-risk", help="Increased risk of skin cancer.", show_default=False),
]
InfectionsOpt = Annotated[
    Optional[bool],
    typer.Option("--recurrent-infections/--no-recurrent-infections", help="Chronic or recurrent infections.", show_default=False),
]
HbvOpt = Annotated[
    Optional[str],
    typer.Option("--hbv-core-antibody", help="Hepatitis B core antibody: positive or negative.", show_default=False),
]
TbRiskOpt = Annotated[
    Optional[bool], typer.Option("--high-tb-risk/--no-high-tb-risk", help="High risk of TB exposure.", show_default=False)
]
PregnancyOpt = Annotated[
    Optional[bool],
    typer.Option("--pregnancy-possible/--no-pregnancy-possible", help="Pregnancy is possible.", show_default=False),
]


def patient_factors(
    age: Optional[int] = None,
    born: Optional[str] = None,
    weight: Optional[float] = None,
    egfr: Optional[float] = None,
    crcl: Optional[float] = None,
    hepatic: Optional[str] = None,
    with_: Optional[list[str]] = None,
    cyp2c9: Optional[str] = None,
    smoker: Optional[str] = None,
    cv_risk: Optional[bool] = None,
    cancer_history: Optional[bool] = None,
    clot_history: Optional[bool] = None,
    skin_cancer_risk: Optional[bool] = None,
    recurrent_infections: Optional[bool] = None,
    hbv_core_antibody: Optional[str] = None,
    high_tb_risk: Optional[bool] = None,
    pregnancy_possible: Optional[bool] = None,
) -> dict:
    """The patient options as profile factors (None = not given); bad values raise ``JakplanError``."""
    from jakplan.records.profile import factors_from_options
    from jakplan.cli.common import parse_date

    return factors_from_options(
        age=age, born=parse_date(born, "--born") if born else None, weight=weight, egfr=egfr, crcl=crcl,
        hepatic=hepatic, with_=with_ or None, cyp2c9=cyp2c9, smoker=smoker, cardiovascular_risk=cv_risk,
        cancer_history=cancer_history, clot_history=clot_history, skin_cancer_risk=skin_cancer_risk,
        recurrent_infections=recurrent_infections, hbv_core_antibody=hbv_core_antibody, high_tb_risk=high_tb_risk,
        pregnancy_possible=pregnancy_possible,
    )


def plan_from_profile(
    profile: Optional[str],
    start: Optional[str] = None,
    months: Optional[int] = None,
    drug: Optional[str] = None,
    indication: Optional[str] = None,
    protocol: Optional[str] = None,
    factors: Optional[dict] = None,
):
    """Build the plan from a profile file (if any) with the command-line values laid over it."""
    from jakplan.api import plan_for_profile
    from jakplan.records.profile import Profile, load_profile
    from jakplan.cli.common import parse_date

    base = load_profile(profile) if profile else Profile()
    if profile and base.protocol and base.protocol.endswith(".toml") and not protocol:
        # a protocol file named in a profile is found next to the profile
        from pathlib import Path

        here = Path(profile).parent / base.protocol
        if not Path(base.protocol).is_absolute() and here.exists():
            base.protocol = str(here)
    prof = base.merged(
        drug=drug, indication=indication, protocol=protocol, months=months,
        start=parse_date(start, "--start") if start else None, factors=factors or {},
    )
    return plan_for_profile(prof, where="--profile" if profile else "")


# ---------------------------------------------------------------- one set of plan options for every plan command

StartOrProfileOpt = Annotated[
    Optional[str], typer.Option("--start", help="Date of the first dose, YYYY-MM-DD (or from --profile).", show_default=False)
]
OptMonthsOpt = Annotated[
    Optional[int], typer.Option("--months", help="How many months after the start to plan (1-120; default 12).", show_default=False)
]
OptDrugOpt = Annotated[Optional[str], typer.Option("--drug", help="The JAK inhibitor (default baricitinib).", show_default=False)]

PATIENT_OPTIONS: tuple[tuple[str, object], ...] = (
    ("age", AgeOpt), ("born", BornOpt), ("weight", WeightOpt),
    ("egfr", EgfrOpt), ("crcl", CrclOpt), ("hepatic", HepaticOpt), ("with_", WithOpt), ("cyp2c9", Cyp2c9Opt),
    ("smoker", SmokerOpt), ("cv_risk", CvRiskOpt), ("cancer_history", CancerOpt), ("clot_history", ClotOpt),
    ("skin_cancer_risk", SkinCancerOpt), ("recurrent_infections", InfectionsOpt), ("hbv_core_antibody", HbvOpt),
    ("high_tb_risk", TbRiskOpt), ("pregnancy_possible", PregnancyOpt),
)
"""The patient factors, named as :func:`patient_factors` takes them."""

PLAN_OPTIONS: tuple[tuple[str, object], ...] = (
    ("start", StartOrProfileOpt), ("months", OptMonthsOpt), ("drug", OptDrugOpt), ("indication", IndicationOpt),
    ("protocol", ProtocolOpt), ("profile", ProfileOpt),
) + PATIENT_OPTIONS
"""The options that choose the plan and describe the patient, in the order --help lists them."""


class PlanOptions:
    """The parsed plan options of one command; :meth:`build` turns them into the :class:`Plan`."""

    def __init__(self, values: dict):
        self.values = values

    def build(self):
        """The plan (bad values raise ``JakplanError``): profile file first, command-line values laid over it."""
        v = dict(self.values)
        factors = patient_factors(**{name: v.pop(name) for name, _ in PATIENT_OPTIONS})
        return plan_from_profile(v["profile"], v["start"], v["months"], v["drug"], v["indication"], v["protocol"], factors)


def with_plan_options(func):
    """Give a command every plan and patient option (--start, --profile, --age, --egfr, ...).

    The command declares a ``plan_options: PlanOptions`` parameter and calls ``plan_options.build()`` inside
    ``clean_errors()``; the options appear after its own in ``--help``, the same for every command.
    """
    import functools
    import inspect

    sig = inspect.signature(func, eval_str=True)  # annotations as objects: Typer reads them from the wrapper
    own = [p for p in sig.parameters.values() if p.name != "plan_options"]
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ann)
             for name, ann in PLAN_OPTIONS]

    @functools.wraps(func)
    def wrapper(**kwargs):
        values = {name: kwargs.pop(name) for name, _ in PLAN_OPTIONS}
        return func(plan_options=PlanOptions(values), **kwargs)

    del wrapper.__wrapped__  # Typer must see the signature below, not the wrapped function's
    wrapper.__signature__ = sig.replace(parameters=own + extra)
    wrapper.__annotations__ = {p.name: p.annotation for p in own + extra}
    return wrapper
