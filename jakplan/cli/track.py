"""Following a course with a plan file: `init`, `record`, `pause`, `resume` and `status`."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import List, Optional

import typer

from jakplan.cli.base import app
from jakplan.cli.common import clean_errors, make_console, parse_date, write_stdout
from jakplan.cli.guard import echo_err
from jakplan.cli.planopts import PlanOptions, with_plan_options
from jakplan.cli.scoreopts import ScoreOptions, with_score_options
from jakplan.dates import plural

EXIT_OVERDUE = 1


class StatusFormat(str, Enum):
    table = "table"
    json = "json"


def parse_lab(text: str, uln: str | None = None) -> tuple[str, float]:
    """'hb=9.5' -> ('hb', 9.5) through the one lab-value path (the same refusals as `jakplan labs`)."""
    from jakplan.records.labvalues import parse_lab_item

    return parse_lab_item(text, "--lab", uln=uln)


def _not_future(day: dt.date, option: str) -> dt.date:
    from jakplan.errors import JakplanError

    if day > dt.date.today():
        raise JakplanError(f"{option} {day} is in the future; record what has happened")
    return day


@app.command()
@with_plan_options
def init(
    plan_options: PlanOptions,
    out: str = typer.Option(..., "--out", help="The plan file to create (.toml)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Create a plan file: the patient profile plus room for the history of what is done and measured.

    Takes the same patient options as `schedule` (--age, --egfr, --with ...), or --profile to start from a file."""
    with clean_errors():
        from jakplan.api import create_plan_file

        plan = create_plan_file(plan_options.record(), plan_options.overrides(), out, force)
        write_stdout(
            f"Wrote {out}: {plan.drug} for {plan.indication}, protocol {plan.protocol.id}, first dose "
            f"{plan.start.isoformat()}; {plural(len(plan.events), 'planned event')} in {plural(plan.months, 'month')}.\n"
            f"Record what happens with `jakplan record {out} ...`; see what is due with `jakplan status {out}`."
        )


@app.command()
@with_score_options
def record(
    score_options: ScoreOptions,
    planfile: str = typer.Argument(..., help="The plan file."),
    rule: List[str] = typer.Option([], "--rule", help="Id of the check that was done (repeatable)."),
    done: Optional[str] = typer.Option(None, "--done", help="Day the checks given with --rule were done."),
    lab: List[str] = typer.Option([], "--lab", help="A measured value ANALYTE=VALUE (repeatable), with an optional unit as in `jakplan labs`: anc=1.8, anc=1200/mm3, hb=95g/L, alt=2.5 (x ULN) or alt=120U/L with --alt-uln, egfr=38, crcl=45, weight=70."),
    alt_uln: Optional[str] = typer.Option(None, "--alt-uln", help="The laboratory's upper limit of normal for ALT/AST in U/L, when --lab alt=... is in U/L."),
    on: Optional[str] = typer.Option(None, "--on", help="Day the --lab values were measured."),
    note: str = typer.Option("", "--note", help="A note kept with the record."),
    waive: Optional[str] = typer.Option(None, "--waive", help="Record the --rule checks as waived, with this reason "
                                        "(closes the open occurrence; --done DAY is the day decided, default today)."),
    not_applicable: Optional[str] = typer.Option(None, "--not-applicable", help="Record that the --rule checks no "
                                                 "longer apply to this patient, with this reason (closes this and "
                                                 "every later occurrence)."),
) -> None:
    """Record checks that were done (--rule ... --done DAY) and lab values (--lab a=v ... --on DAY); or close a
    check by a decision: --rule ID --waive "reason" or --rule ID --not-applicable "reason".

    Lab values go through the same checks as `jakplan labs` (a refused value leaves the file untouched); what
    the protocol says about them (including a fall from baseline and a result to confirm on a repeat) is
    printed at once. `jakplan undo FILE` removes the last entry.

    A disease-activity score (--score NAME with its inputs, or NAME=VALUE) is recorded on --on DAY on its own,
    and the response milestones it answers are judged at once."""
    with clean_errors():
        from jakplan.records.profile import plain_text

        plain_text(note, "--note")  # before the plan file is touched
        if score_options.score is not None or score_options.raw:
            _record_score(planfile, score_options, rule, lab, on, note)
            return
        outcome, reason = _decision(waive, not_applicable)
        done = _check_record_options(rule, done, lab, on, outcome)
        done_day = _not_future(parse_date(done, "--done"), "--done") if done else None
        lab_day = _not_future(parse_date(on, "--on"), "--on") if on else None
        values = _parse_lab_options(lab, alt_uln)

        from jakplan.api import plan_for_record
        from jakplan.records.patient import load_record

        plan = plan_for_record(load_record(planfile))
        _resolve_rules(rule, plan)
        lines, history = _write_record(planfile, rule, done_day, lab_day, values, note, outcome, reason)
        if values and lab_day is not None:
            lines += _lab_lines(planfile, history, lab_day, values)
        write_stdout("\n".join(lines))


def _record_score(planfile: str, opts: ScoreOptions, rule: List[str], lab: List[str], on: Optional[str],
                  note: str) -> None:
    """`record --score`: one call into the api, one render call."""
    from jakplan.api import record_score
    from jakplan.errors import JakplanError
    from jakplan.render.scores import score_recorded_lines

    given = opts.inputs()
    if rule or lab:
        raise JakplanError("--score is recorded on its own: record --rule or --lab in another command")
    if not on:
        raise JakplanError("--on DAY is missing: say when the score was measured")
    day = _not_future(parse_date(on, "--on"), "--on")
    rec, status = record_score(planfile, opts.score or "", day, given, note)
    write_stdout("\n".join(score_recorded_lines(planfile, rec, status)))


def _check_record_options(rule: List[str], done: Optional[str], lab: List[str], on: Optional[str],
                          outcome: str) -> Optional[str]:
    """Refuse option combinations `record` cannot act on; returns --done (today by default for a decision)."""
    from jakplan.errors import JakplanError

    if outcome != "done":
        if not rule:
            opt = "--waive" if outcome == "waived" else "--not-applicable"
            raise JakplanError(f"{opt} needs at least one --rule ID")
        done = done or dt.date.today().isoformat()
    if not rule and not lab:
        raise JakplanError("nothing to record: give --rule ID --done DAY and/or --lab ANALYTE=VALUE --on DAY")
    if rule and not done:
        raise JakplanError("--done DAY is missing: say when the check was done")
    if lab and not on:
        raise JakplanError("--on DAY is missing: say when the lab values were measured")
    if done and not rule:
        raise JakplanError("--done needs at least one --rule ID")
    if on and not lab:
        raise JakplanError("--on needs at least one --lab ANALYTE=VALUE")
    return done


def _parse_lab_options(lab: List[str], alt_uln: Optional[str]) -> dict[str, float]:
    """The --lab items as {analyte: value}, refusing an analyte given twice."""
    from jakplan.errors import JakplanError

    values: dict[str, float] = {}
    for item in lab:
        name, value = parse_lab(item, alt_uln)
        if name in values:
            raise JakplanError(f"--lab {name} is given twice")
        values[name] = value
    return values


def _resolve_rules(rule: List[str], plan) -> None:
    """Map each --rule to the protocol's own id (in place) and refuse unknown or skipped checks."""
    from jakplan.actions import resolve_rule_ids
    from jakplan.errors import JakplanError
    from jakplan.render.words import skip_text

    rule[:] = resolve_rule_ids(rule, plan)  # any case, '-' for '_'; a near miss is named, never taken
    skipped = {s.rule: skip_text(s) for s in plan.skipped}
    for rid in rule:
        if rid in skipped:
            raise JakplanError(f"--rule '{rid}' does not apply to this patient ({skipped[rid]})")


def _write_record(planfile: str, rule: List[str], done_day, lab_day, values: dict[str, float], note: str,
                  outcome: str, reason) -> tuple[list[str], object]:
    """Add the checks and lab values to the plan file; returns the lines to print and the new history."""
    from jakplan.records.planfile import edit_planfile

    lines = []
    with edit_planfile(planfile) as pf:
        for rid in rule:
            pf.add_done(rid, done_day, note, outcome, reason)
            if outcome == "done":
                lines.append(f"Recorded in {planfile}: {rid} done {done_day}")
            else:
                lines.append(f"Recorded in {planfile}: {rid} {outcome.replace('_', ' ')} on {done_day} ({reason}); "
                             f"`jakplan status` lists it as closed by this decision")
        if values:
            pf.add_lab(lab_day, values, note)
            shown = ", ".join(f"{k} {v:g}" for k, v in values.items())
            lines.append(f"Recorded in {planfile}: lab values on {lab_day}: {shown}")
        history = pf.history
    return lines, history


def _lab_lines(planfile: str, history, day: dt.date, values: dict[str, float]) -> list[str]:
    """What the protocol says about the values just recorded, judged with the whole history (so a fall from
    the baseline and a repeat that confirms an earlier result count), and the dose advice they change."""
    from jakplan.actions import recorded_lab_actions
    from jakplan.api import factor_updates, plan_for_record
    from jakplan.records.patient import load_record
    from jakplan.render.common import dose_lines
    from jakplan.render.words import recorded_lab_lines

    record = load_record(planfile)
    plan = plan_for_record(record, today=max(day, dt.date.today()))
    found = recorded_lab_actions(plan, history, day, set(values))
    lines = recorded_lab_lines(found)
    if any(a.action in ("interrupt", "stop", "discontinue", "do_not_start") for a in found):
        lines.append("  Contact the prescriber; if treatment is interrupted, record it with `jakplan pause`.")
    if not [a for a in found if a.tier == "action"]:
        lines.append("  No limit of the protocol is crossed by these values.")
    from jakplan.render.words import factor_label

    changed = [factor_label(f) for f, (_, on) in factor_updates(record, max(day, dt.date.today())).items() if on == day]
    if changed:
        lines.append(f"  {', '.join(changed)} now used for the dose advice: " + (dose_lines(plan) or ["no dose entry"])[0])
    return lines


@app.command()
def undo(
    planfile: str = typer.Argument(..., help="The plan file."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be removed; change nothing."),
) -> None:
    """Remove the last entry added to a plan file (a check done, lab values, a pause or a resume)."""
    with clean_errors():
        from jakplan.errors import JakplanError
        from jakplan.records.planfile import edit_planfile

        class _DryRun(Exception):
            pass

        removed = ""
        try:
            with edit_planfile(planfile) as pf:
                removed = pf.undo_last()
                if dry_run:
                    raise _DryRun
        except _DryRun:
            write_stdout(f"Would remove from {planfile}: {removed} (dry run: nothing changed).")
            return
        except JakplanError:
            raise
        write_stdout(f"Removed from {planfile}: {removed}.")


def _decision(waive: str | None, not_applicable: str | None) -> tuple[str, str]:
    """(outcome, reason) of `record`: done, or a waiver / not-applicable decision with its reason."""
    from jakplan.errors import JakplanError

    if waive is not None and not_applicable is not None:
        raise JakplanError("give --waive or --not-applicable, not both")
    if waive is not None:
        if not waive.strip():
            raise JakplanError("--waive needs a reason, e.g. --waive \"checked at the other hospital\"")
        return "waived", waive.strip()
    if not_applicable is not None:
        if not not_applicable.strip():
            raise JakplanError("--not-applicable needs a reason")
        return "not_applicable", not_applicable.strip()
    return "done", ""


@app.command()
def pause(
    planfile: str = typer.Argument(..., help="The plan file."),
    from_: str = typer.Option(..., "--from", help="First day without the drug, YYYY-MM-DD."),
    reason: str = typer.Option(..., "--reason", help="Why treatment is paused (e.g. \"herpes zoster\")."),
) -> None:
    """Record that treatment is interrupted; checks from that day are on hold until `resume`."""
    with clean_errors():
        from jakplan.records.planfile import edit_planfile
        from jakplan.records.profile import plain_text

        plain_text(reason, "--reason")  # before the plan file is touched
        day = _not_future(parse_date(from_, "--from"), "--from")
        with edit_planfile(planfile) as pf:
            p = pf.start_pause(day, reason)
        write_stdout(f"Recorded in {planfile}: treatment paused from {p.start} ({p.reason}). "
                     f"Record the restart with `jakplan resume {planfile} --on DAY`.")


@app.command()
def resume(
    planfile: str = typer.Argument(..., help="The plan file."),
    on: str = typer.Option(..., "--on", help="First day back on the drug, YYYY-MM-DD."),
) -> None:
    """Record that treatment restarted; later checks move by the length of the pause (shown by `status`)."""
    with clean_errors():
        from jakplan.actions import resume_check
        from jakplan.records.planfile import edit_planfile
        from jakplan.render.words import lab_action_text

        day = _not_future(parse_date(on, "--on"), "--on")
        with edit_planfile(planfile) as pf:
            p = pf.end_pause(day)
        lines = [f"Recorded in {planfile}: treatment resumed on {p.end} after {p.days} day{'s' if p.days != 1 else ''} "
                 f"(paused from {p.start}, {p.reason}). `jakplan status {planfile}` shows the moved dates."]
        still, began, since = resume_check(planfile, day)
        for a in still:  # the protocol's resume limits, checked against the last values
            lines.append(f"! Still beyond a limit at its last value: {lab_action_text(a)}")
        if still:
            lines.append("  Check with the prescriber before restarting; record a newer value with `jakplan record`.")
        elif began is not None and not since:
            lines.append(f"  No lab value recorded since the pause began ({began}): the protocol's resume limits "
                         f"could not be checked.")
        write_stdout("\n".join(lines))


@app.command()
def status(
    planfile: str = typer.Argument(..., help="The plan file."),
    today: Optional[str] = typer.Option(None, "--today", help="Status on this day instead of today (YYYY-MM-DD)."),
    fmt: StatusFormat = typer.Option(StatusFormat.table, "--format", help="table (terminal) or json."),
    brief: bool = typer.Option(False, "--brief", help="Only the summary, the dose and what needs action now, "
                               "one line each."),
    done: bool = typer.Option(False, "--done", help="Also list every check recorded done (by default one line "
                              "says how many)."),
) -> None:
    """What is done, due, overdue and next. Exits 1 when something is overdue (for reminder scripts)."""
    with clean_errors():
        from jakplan.api import status_for_record
        from jakplan.records.patient import load_record

        day = parse_date(today, "--today") if today else dt.date.today()
        st = status_for_record(load_record(planfile), day)
        if fmt is StatusFormat.json:
            import json

            from jakplan.render.status import status_dict

            write_stdout(json.dumps(status_dict(st, planfile), indent=2, ensure_ascii=False))
        else:
            from pathlib import Path

            from jakplan.render.status import render_status

            render_status(st, make_console(), Path(planfile).name, brief=brief, done=done)
    if st.open_actions:
        echo_err(f"{planfile}: a lab result needs action on {day.isoformat()}")
        raise typer.Exit(EXIT_OVERDUE)
    if st.overdue:
        n = len(st.overdue)
        echo_err(f"{planfile}: {n} item{'s' if n != 1 else ''} overdue on {day.isoformat()}")
        raise typer.Exit(EXIT_OVERDUE)
    if any(v.state == "not_met" for v in st.responses):
        echo_err(f"{planfile}: a response criterion is not met on {day.isoformat()}")
        raise typer.Exit(EXIT_OVERDUE)
