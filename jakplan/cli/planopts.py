"""The options that say which plan to build, shared by every command that shows or starts a plan.

The plan options (``--start``, ``--months``, ``--drug``, ``--indication``, ``--protocol``, ``--profile``) are
declared here; the patient options (``--age``, ``--egfr``, ``--cv-risk/--no-cv-risk`` ...) are generated from
the one factor table (:mod:`jakplan.catalog.factors`, itself read from ``vocabulary.toml``), so a factor added
to the vocabulary is an option of every plan command, a profile key and a CSV column at once.
:func:`with_plan_options` gives a command all of them; :meth:`PlanOptions.build` turns the parsed values into
the plan through the one path, :func:`jakplan.api.plan_for_record`.
"""

from __future__ import annotations

import functools
import inspect
from typing import Annotated, Any, Optional

import typer

from jakplan.actions import factor_table, factors_from_options
from jakplan.api import overrides, plan_for_record
from jakplan.cli.common import one_planfile, parse_date, planfile_argument
from jakplan.dates import clock_today
from jakplan.errors import JakplanError
from jakplan.records.patient import PatientRecord, load_record
from jakplan.records.profile import Identity, Profile, check_months, plain_text

_PLAN = (
    ("start", Optional[str], "--start", "Date of the first dose, YYYY-MM-DD (or from --profile)."),
    ("months", Optional[str], "--months", "How many months after the start to plan (1-120; default 12)."),
    ("drug", Optional[str], "--drug", "The JAK inhibitor (default baricitinib)."),
    ("indication", Optional[str], "--indication", "Indication code (default: the drug's first, e.g. ra)."),
    ("protocol", Optional[str], "--protocol",
     "Protocol: a variant (us-label, eu-smpc, nhs-lanarkshire), DRUG/VARIANT, or a path to a .toml file."),
    ("profile", Optional[str], "--profile",
     "Same as the PLANFILE argument: a patient profile or plan file (TOML; its records count). Options given here "
     "override it."),
    ("name", Optional[str], "--name", "The patient's name (shown on checklists and sheets)."),
    ("identifier", Optional[str], "--identifier", "The patient's identifier, e.g. a hospital number."),
    ("contact", Optional[str], "--contact", "Who to call: the prescriber's or clinic's contact."),
)


def _patient_parameters() -> list[inspect.Parameter]:
    """One option per factor of the factor table, typed by the factor (flags for true/false factors)."""
    out = []
    for f in factor_table().values():
        ann: Any
        if f.type == "bool":
            ann = Annotated[Optional[bool], typer.Option(f"{f.flag}/--no-{f.option}", help=f.help, show_default=False)]
        elif f.type == "list":
            ann = Annotated[Optional[list[str]], typer.Option(f.flag, help=f.help, show_default=False)]
        else:
            ann = Annotated[Optional[str], typer.Option(f.flag, help=f.help, show_default=False)]
        out.append(inspect.Parameter(f.param, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ann))
    return out


def _plan_parameters(skip: tuple[str, ...] = ()) -> list[inspect.Parameter]:
    return [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None,
                              annotation=Annotated[typ, typer.Option(flag, help=help_, show_default=False)])
            for name, typ, flag, help_ in _PLAN if name not in skip]


class PlanOptions:
    """The parsed plan and patient options of one command."""

    def __init__(self, values: dict[str, Any]):
        if "planfile" in values:  # the argument, or --profile as its alias (not both)
            values["profile"] = one_planfile(values.pop("planfile"), values.get("profile"))
        self.values = values

    def overrides(self) -> dict[str, Any]:
        """The command-line values to lay over the patient record (bad values raise ``JakplanError``)."""
        v = self.values

        ident = Identity(*(plain_text((v.get(k) or "").strip(), f"--{k}") for k in ("name", "identifier", "contact")))
        return overrides(
            drug=v.get("drug"), indication=v.get("indication"), protocol=v.get("protocol"),
            start=parse_date(v["start"], "--start") if v.get("start") else None,
            months=_months(v.get("months")),
            factors=factors_from_options(v), identity=ident or None,
        )

    def record(self):
        """The patient record named by --profile (a profile or plan file), or an empty one."""
        path = self.values.get("profile")
        return load_record(path) if path else PatientRecord(Profile())

    def build(self, today=None):
        """The plan: the record first, the command-line values laid over it, through the one path.

        A patient named by a file (``--profile``, a course under way) is planned on ``today`` (default: the
        real today): the plan reaches 12 months past that day, or ``--months`` past it, however long ago the
        course started (a rolling horizon); without a file the plan runs from ``--start`` for ``--months``."""
        if today is None and self.values.get("profile"):
            today = clock_today()
        return plan_for_record(self.record(), self.overrides(), today=today)


def _months(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.strip().isdigit():
        raise JakplanError(f"--months '{text}' is not a whole number of months (1-120)")
    return check_months(int(text), "--months")


def _planfile_parameter() -> list[inspect.Parameter]:
    return [inspect.Parameter("planfile", inspect.Parameter.KEYWORD_ONLY, default=None,
                              annotation=Annotated[Optional[str], planfile_argument(annotated=True)])]


def with_plan_options(func=None, *, skip: tuple[str, ...] = (), planfile: bool = True):
    """Give a command every plan and patient option (--start, --profile, --age, --egfr, ...), and the PLANFILE
    argument (``planfile=False`` for `init`, which writes one rather than reads one).

    The command declares a ``plan_options: PlanOptions`` parameter and calls ``plan_options.build()`` inside
    ``clean_errors()``; the options appear after its own in ``--help``, the same for every command.
    """
    if func is None:
        return functools.partial(with_plan_options, skip=skip, planfile=planfile)
    return with_generated_options(func, "plan_options", (_planfile_parameter() if planfile else [])
                                  + _plan_parameters(skip) + _patient_parameters(), PlanOptions)


def with_planfile(func):
    """A command that works on one patient's plan file (`status`, `record`, `pause` ...): the file as the PLANFILE
    argument or with ``--profile`` (its alias, as on `schedule` and `checklist`; not both). The command's own
    ``planfile`` parameter receives the one path."""
    extra = _planfile_parameter() + [inspect.Parameter(
        "profile", inspect.Parameter.KEYWORD_ONLY, default=None,
        annotation=Annotated[Optional[str], typer.Option("--profile", help="Same as the PLANFILE argument.",
                                                         show_default=False)])]

    def collect(values: dict[str, Any]) -> str:
        path = one_planfile(values["planfile"], values["profile"])
        if path is None:
            raise JakplanError("give the plan file: PLANFILE (or --profile PLANFILE)")
        return path

    return with_generated_options(func, "planfile", extra, collect)


def with_generated_options(func, receiver: str, extra: list[inspect.Parameter], collect):
    """``func`` with the generated options ``extra`` added after its own, for Typer to read from its signature;
    at call time their values are taken out and handed to ``func`` as ``receiver=collect(values)``. The one way
    a command gets options generated from a data table (plan and patient options, score inputs)."""
    sig = inspect.signature(func, eval_str=True)  # annotations as objects: Typer reads them from the wrapper
    own = [p for p in sig.parameters.values() if p.name != receiver]
    names = [p.name for p in extra]

    @functools.wraps(func)
    def wrapper(**kwargs):
        values = {name: kwargs.pop(name) for name in names}
        return func(**{receiver: collect(values)}, **kwargs)

    del wrapper.__wrapped__  # Typer must see the signature below, not the wrapped function's
    wrapper.__signature__ = sig.replace(parameters=own + extra)  # type: ignore[attr-defined]  # read by Typer
    wrapper.__annotations__ = {p.name: p.annotation for p in own + extra}
    return wrapper
