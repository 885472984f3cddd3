"""`jakplan labs`: what these lab values mean under the protocol (continue, do not start, interrupt ...)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import typer

from jakplan.cli.base import app
from jakplan.cli.common import Format, clean_errors, make_console, write_stdout

ANALYTE_OPTIONS = (("anc", "--anc"), ("alc", "--alc"), ("hb", "--hb"), ("platelets", "--platelets"), ("alt_uln", "--alt"))


@app.command()
def labs(
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
    fmt: Format = typer.Option(Format.table, "--format", help="table (terminal), markdown or json."),
    profile: Optional[str] = typer.Option(
        None, "--profile", help="Take the drug, indication and protocol from this profile (or plan file)."
    ),
) -> None:
    """Evaluate lab values against the protocol's thresholds: per value and overall, continue, do not start,
    interrupt (and when it may resume), reduce the dose, or discontinue, with the source."""
    with clean_errors():
        from jakplan.actions import judge_labs
        from jakplan.errors import JakplanError
        from jakplan.records.labvalues import lab_value

        values, shown = _given_values({"anc": anc, "alc": alc, "hb": hb, "platelets": platelets, "alt_uln": alt},
                                      alt, alt_uln)
        baseline = {}
        if hb_baseline is not None:
            baseline["hb"] = lab_value("hb", hb_baseline, where="--hb-baseline")
        if fmt is Format.fhir:
            raise JakplanError("--format fhir is for plans; use table, markdown or json for lab results")
        plan = _plan_with_baseline(profile, drug, indication, protocol, baseline)
        proto, ind = plan.protocol, plan.indication
        report = judge_labs(proto, values, before_start=before_start, baseline=baseline, indication=ind)
        _print_labs(report, proto, shown, fmt)


def _given_values(given: dict, alt: Optional[str], alt_uln: Optional[str]) -> tuple[dict, dict]:
    """({analyte: value}, {analyte: as given}) from the options, refusing --alt-uln alone or no values."""
    from jakplan.errors import JakplanError
    from jakplan.records.labvalues import lab_measurement

    values, shown = {}, {}
    for analyte, option in ANALYTE_OPTIONS:
        if given[analyte] is not None:
            m = lab_measurement(analyte, given[analyte], where=option, uln=alt_uln)
            values[analyte], shown[analyte] = m.value, m.given
    if alt_uln is not None and alt is None:
        raise JakplanError("--alt-uln is the upper limit of normal for --alt in U/L; give --alt too")
    if not values:
        raise JakplanError("no lab values given: use --anc, --alc, --hb, --platelets and/or --alt")
    return values, shown


def _plan_with_baseline(profile: Optional[str], drug: Optional[str], indication: Optional[str],
                        protocol: Optional[str], baseline: dict):
    """The plan for the profile (or defaults); fills baseline["hb"] from the record when not given."""
    from jakplan.api import baseline_labs, overrides, plan_for_record
    from jakplan.records.patient import PatientRecord, load_record
    from jakplan.records.profile import Profile

    record = load_record(profile) if profile else PatientRecord(Profile())
    # the protocol and indication through the one path (a start date is not needed to judge values)
    start = record.profile.start or dt.date.today()
    plan = plan_for_record(record, overrides(drug=drug, indication=indication, protocol=protocol, start=start))
    if "hb" not in baseline and record.profile.start is not None:
        recorded = baseline_labs(record, record.profile.start)
        if "hb" in recorded:
            baseline["hb"] = recorded["hb"]
    return plan


def _print_labs(report, proto, shown: dict, fmt: Format) -> None:
    """Write the report as json, markdown or a terminal table."""
    from jakplan.render.labs import labs_dict, render_labs_markdown, render_labs_terminal

    if fmt is Format.json:
        import json

        write_stdout(json.dumps(labs_dict(report, proto, shown), indent=2, ensure_ascii=False))
    elif fmt is Format.markdown:
        write_stdout(render_labs_markdown(report, proto, shown))
    else:
        render_labs_terminal(report, proto, shown, make_console())
