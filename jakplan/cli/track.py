"""Following a course with a plan file: `init`, `record`, `pause`, `resume` and `status`."""

from __future__ import annotations

import datetime as dt
from typing import List, Optional

import typer

from jakplan.actions.course import end_pause, record_decision, record_entries, start_pause, undo_last
from jakplan.api import create_plan_file, record_of, record_score, status_for_record
from jakplan.cli.base import app
from jakplan.cli.common import clean_errors, format_enum, format_option, parse_date, show, write_stdout
from jakplan.cli.guard import echo_err
from jakplan.cli.planopts import PlanOptions, with_plan_options, with_planfile
from jakplan.cli.scoreopts import ScoreOptions, with_score_options
from jakplan.errors import JakplanError
from jakplan.records.profile import plain_text
from jakplan.render.course import decision_text, init_text, paused_text, recorded_text, resumed_text, undone_text
from jakplan.render.scores import score_recorded_lines

EXIT_OVERDUE = 1


StatusFormat = format_enum("status")


def _not_future(day: dt.date, option: str) -> dt.date:
    if day > dt.date.today():
        raise JakplanError(f"{option} {day} is in the future; record what has happened")
    return day


@app.command()
@with_plan_options(planfile=False)
def init(
    plan_options: PlanOptions,
    out: str = typer.Option(..., "--out", help="The plan file to create (.toml)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Create a plan file: the patient profile plus room for the history of what is done and measured.

    Takes the same patient options as `schedule` (--age, --egfr, --with ...), or --profile to start from a file."""
    with clean_errors():
        plan = create_plan_file(plan_options.record(), plan_options.overrides(), out, force)
        write_stdout(init_text(out, plan))


@app.command()
@with_score_options
@with_planfile
def record(
    score_options: ScoreOptions,
    planfile: str,
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
    decision: Optional[str] = typer.Option(None, "--decision", help="Record the prescriber's decision on --on DAY "
                                           "(e.g. \"continue: prescriber reviewed\"): it answers the lab results "
                                           "beyond a protocol limit up to that day."),
) -> None:
    """Record checks that were done (--rule ... --done DAY) and lab values (--lab a=v ... --on DAY); or close a
    check by a decision: --rule ID --waive "reason" or --rule ID --not-applicable "reason".

    Lab values go through the same checks as `jakplan labs` (a refused value leaves the file untouched); what
    the protocol says about them (including a fall from baseline and a result to confirm on a repeat) is
    printed at once. `jakplan undo PLANFILE` removes the last entry.

    A disease-activity score (--score NAME with its inputs, or NAME=VALUE) is recorded on --on DAY on its own,
    and the response milestones it answers are judged at once."""
    with clean_errors():
        plain_text(note, "--note")  # before the plan file is touched
        if score_options.score is not None or score_options.raw:
            _record_score(planfile, score_options, rule, lab, on, note)
            return
        if decision is not None:
            if rule or lab or done or waive is not None or not_applicable is not None:
                raise JakplanError("--decision is recorded on its own (with --on DAY and an optional --note): record "
                                   "--rule or --lab in another command")
            if not on:
                raise JakplanError("--on DAY is missing: say when the decision was made")
            day = _not_future(parse_date(on, "--on"), "--on")
            write_stdout(decision_text(record_decision(planfile, day, decision, note)))
            return
        outcome, reason = _decision(waive, not_applicable)
        done = _check_record_options(rule, done, lab, on, outcome)
        done_day = _not_future(parse_date(done, "--done"), "--done") if done else None
        lab_day = _not_future(parse_date(on, "--on"), "--on") if on else None
        rec = record_entries(planfile, rule, done_day, lab_day, lab, alt_uln, note, outcome, reason)
        write_stdout(recorded_text(rec))


def _record_score(planfile: str, opts: ScoreOptions, rule: List[str], lab: List[str], on: Optional[str],
                  note: str) -> None:
    """`record --score`: one call into the api, one render call."""
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


@app.command()
@with_planfile
def undo(
    planfile: str,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be removed; change nothing."),
) -> None:
    """Remove the last entry added to a plan file (a check done, lab values, a pause or a resume)."""
    with clean_errors():
        write_stdout(undone_text(undo_last(planfile, dry_run)))


def _decision(waive: str | None, not_applicable: str | None) -> tuple[str, str]:
    """(outcome, reason) of `record`: done, or a waiver / not-applicable decision with its reason."""
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
@with_planfile
def pause(
    planfile: str,
    from_: str = typer.Option(..., "--from", help="First day without the drug, YYYY-MM-DD."),
    reason: str = typer.Option(..., "--reason", help="Why treatment is paused (e.g. \"herpes zoster\")."),
    planned: bool = typer.Option(False, "--planned", help="A pause planned ahead (surgery, say): --from may be a "
                                 "day to come; status shows it until that day, then it is an ordinary pause."),
    to: Optional[str] = typer.Option(None, "--to", help="With --planned: the planned first day back on the drug."),
) -> None:
    """Record that treatment is interrupted; checks from that day are on hold until `resume`."""
    with clean_errors():
        plain_text(reason, "--reason")  # before the plan file is touched
        day = parse_date(from_, "--from")
        if not planned:
            if to is not None:
                raise JakplanError("--to goes with --planned (a pause planned ahead); record the restart of a "
                                   "pause under way with `jakplan resume`")
            if day > dt.date.today():
                raise JakplanError(f"--from {day} is in the future; record what has happened, or add --planned for "
                                   "a pause planned ahead")
        end = parse_date(to, "--to") if to is not None else None
        write_stdout(paused_text(planfile, start_pause(planfile, day, reason, end, planned), planned))


@app.command()
@with_planfile
def resume(
    planfile: str,
    on: str = typer.Option(..., "--on", help="First day back on the drug, YYYY-MM-DD."),
) -> None:
    """Record that treatment restarted; later checks move by the length of the pause (shown by `status`)."""
    with clean_errors():
        day = _not_future(parse_date(on, "--on"), "--on")
        write_stdout(resumed_text(end_pause(planfile, day)))


@app.command()
@with_planfile
def status(
    planfile: str,
    today: Optional[str] = typer.Option(None, "--today", help="Status on this day instead of today (YYYY-MM-DD)."),
    fmt: StatusFormat = format_option("status"),  # type: ignore[valid-type]
    brief: bool = typer.Option(False, "--brief", help="Only the summary, the dose and what needs action now, "
                               "one line each."),
    done: bool = typer.Option(False, "--done", help="Also list every check recorded done (by default one line "
                              "says how many)."),
) -> None:
    """What is done, due, overdue and next. Exits 1 when something is overdue (for reminder scripts)."""
    with clean_errors():
        day = parse_date(today, "--today") if today else dt.date.today()
        st = status_for_record(record_of(planfile), day)
        show("status", fmt, status=st, planfile=planfile, brief=brief, done=done)
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
