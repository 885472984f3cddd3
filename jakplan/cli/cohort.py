"""`jakplan cohort due` and `jakplan cohort export`: a clinic's patients at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from jakplan.cli.base import app
from jakplan.cli.common import clean_errors, format_enum, format_option, make_console, parse_date, show, write_stdout
from jakplan.cli.guard import EXIT_INTERRUPTED, GentleStop, echo_err, error_line
from jakplan.clinic.cohort import audit as register_audit
from jakplan.clinic.cohort import count_rows, export_register, export_rows, plan_files, tally_export, worklist
from jakplan.clinic.register_import import import_rows
from jakplan.clinic.worklist import monday
from jakplan.errors import JakplanError
from jakplan.records.clinicsettings import load_settings, parse_map
from jakplan.render import audit as render
from jakplan.render.cohortfiles import render_patient
from jakplan.render.cohortrun import (
    export_csv_table,
    export_register_text,
    import_row_line,
    import_summary,
    interrupted_text,
    nothing_changed_text,
)
from jakplan.render.common import DISCLAIMER
from jakplan.render.worklist import summary, word_rows

cohort_app = typer.Typer(help="A clinic's patients at once: who is due, and calendars for everyone.",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(cohort_app, name="cohort")

EXIT_OVERDUE = 1
EXIT_BAD_INPUT = 2


DueFormat = format_enum("due")
OutFormat = format_enum("patient-files")
AuditFormat = format_enum("audit")


def _progress(total: int, what: str):
    """A rich progress bar on stderr (only on a terminal, gone when done)."""
    console = make_console(stderr=True)
    progress = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                        console=console, transient=True, disable=not console.is_terminal)
    return progress, progress.add_task(what, total=total)


def _advancing(items, progress, task):
    for item in items:
        progress.advance(task)
        yield item


@cohort_app.command("due")
def due(
    folder: str = typer.Argument(..., help="The register: a folder of plan files (*.toml)."),
    week: Optional[str] = typer.Option(None, "--week", help="The Monday of the week to look at (another day is "
                                                            "moved back to its Monday; default: this week)."),
    fmt: DueFormat = format_option("due"),  # type: ignore[valid-type]
    workers: Optional[int] = typer.Option(None, "--workers", help="Processes (default: 2 for a large cohort, else 1)."),
    today: Optional[str] = typer.Option(None, "--today", help="Judge each patient as of this day, with everything "
                                                              "recorded up to it (default: today; --week only "
                                                              "chooses the week listed)."),
) -> None:
    """The week's worklist: lab results that need action first, then overdue checks (most days late first),
    then checks due this week, with patient, drug, the tests in words and the window.

    Exits 1 when someone is overdue, 2 when a file could not be read (the others are still reported).
    """

    with clean_errors():
        day = parse_date(today, "--today") if today else dt.date.today()
        start = parse_date(week, "--week") if week else monday(day)
        if start.weekday() != 0:
            echo_err(f"--week {start.isoformat()} is a {start.strftime('%A')}; weeks start on Monday: showing the "
                       f"week from {monday(start).isoformat()}")
            start = monday(start)
        end = start + dt.timedelta(days=6)
        files = plan_files(folder)
        progress, task = _progress(len(files), "Reading plan files")
        with progress:
            wl = worklist(files, start, day, workers, word=word_rows, tick=lambda: progress.advance(task),
                          on_error=lambda message: echo_err(error_line(message)))
        show("due", fmt, rows=wl.rows, start=start, end=end, nfiles=wl.nfiles, errors=wl.errors, skipped=wl.skipped,
             line=summary(wl.rows, wl.nfiles, len(wl.errors), wl.skipped))
    if wl.errors:
        raise typer.Exit(EXIT_BAD_INPUT)
    if wl.overdue_patients or wl.lab_patients:
        parts = [f"{n} patient{'s' if n != 1 else ''} with {what}" for n, what in
                 ((wl.lab_patients, "a lab result that needs action"), (wl.overdue_patients, "overdue checks")) if n]
        echo_err("; ".join(parts))
        raise typer.Exit(EXIT_OVERDUE)


@cohort_app.command("export")
def export(
    csv_file: str = typer.Argument(..., help="The register (a folder of plan files), or a CSV of profiles: "
                                             "id,start[,drug,indication,protocol,months,<factors>]."),
    out: str = typer.Option(..., "--out", help="Folder for the per-patient files (created if its parent exists)."),
    fmt: List[OutFormat] = typer.Option(["ics", "json"], "--format",  # type: ignore[valid-type]
                                        help="Files per patient (repeatable): ics, json, fhir. Default: ics and json."),
    force: bool = typer.Option(False, "--force", help="Replace existing files."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Processes (default: 2 for a large cohort, else 1)."),
) -> None:
    """One .ics calendar (and JSON plan, and optionally FHIR CarePlan) per patient of a register or a CSV.

    From a register: pauses and identity included, only files whose content changed are rewritten (a re-run
    with no change writes nothing). From a CSV (a shortcut): existing files are kept unless --force.
    A bad row or file is reported by name and the rest are still written. Exits 2 if any failed.
    """
    if Path(csv_file).is_dir():
        _export_register(csv_file, out, tuple(dict.fromkeys(str(f) for f in fmt)), workers)
        return
    stop = GentleStop("the patients in hand")
    with clean_errors(), stop:
        formats = tuple(dict.fromkeys(str(f) for f in fmt))
        total = count_rows(csv_file)
        results = export_rows(csv_file, out, formats, overwrite=force, workers=workers, total=total, stop=stop,
                              render=render_patient)
        progress, task = _progress(total, "Writing calendars")
        with progress:
            tally = tally_export(csv_file, out, formats, results, False, tick=lambda: progress.advance(task),
                                 on_error=lambda message: echo_err(error_line(message)))
        export_csv_table(tally, make_console())
    if stop.requested:
        echo_err(interrupted_text(tally))
        raise typer.Exit(EXIT_INTERRUPTED)
    if tally.failed:
        raise typer.Exit(EXIT_BAD_INPUT)


# -- the register: a folder of plan files ------------------------------------------------------------------


@cohort_app.command("import")
def import_csv(
    csv_file: str = typer.Argument(..., metavar="FILE", help="A CSV of profiles: id,start[,drug,indication,protocol,months,name,"
                                             "identifier,contact,<factors>]."),
    into: str = typer.Option(..., "--into", help="The register: a folder of plan files, one <id>.toml per patient "
                                                 "(created if its parent exists)."),
    keep_columns: bool = typer.Option(False, "--keep-columns", help="Keep columns jakplan does not know as text in "
                                                                    "each plan file's [columns] table instead of refusing the file."),
    mapping: Optional[List[str]] = typer.Option(None, "--map", metavar="HEADER=COLUMN",
                                                help="The clinic's own header for a jakplan column, e.g. --map "
                                                     "\"Hospital No=id\" --map \"Start Date=start\" (repeatable; "
                                                     "\"HEADER=-\" ignores a column; also [columns] in the register's "
                                                     "clinic.toml)."),
) -> None:
    """Create or update one plan file per CSV row: new ids are created, changed profile values are updated
    (each change printed as old -> new), the history is never touched. Exits 2 if any row failed."""
    bad = 0
    with clean_errors():
        settings = load_settings(into) if Path(into).is_dir() else None
        columns = {**(settings.columns if settings else {}), **parse_map(mapping)}

        counts = {"created": 0, "updated": 0, "unchanged": 0, "error": 0}
        progress, task = _progress(count_rows(csv_file), "Importing rows")
        with progress:
            results = list(_advancing(import_rows(csv_file, into, keep_columns, columns), progress, task))
        for res in results:
            counts[res.action] += 1
            if res.action == "error":
                bad += 1
                echo_err(error_line(res.message))
            elif line := import_row_line(res):
                write_stdout(line)
        write_stdout(import_summary(csv_file, into, counts))
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)


def _export_register(folder: str, out: str, formats: tuple[str, ...], workers: Optional[int]) -> None:
    """`cohort export FOLDER`: calendars from the plan files, rewritten only where they changed."""
    stop = GentleStop("the patients in hand")
    with clean_errors(), stop:
        total, results = export_register(folder, out, formats, workers, stop, render=render_patient,
                                         today=dt.date.today())
        progress, task = _progress(total, "Updating calendars")
        with progress:
            tally = tally_export(folder, out, formats, results, True, tick=lambda: progress.advance(task),
                                 on_error=lambda message: echo_err(error_line(message)))
        lines = [export_register_text(tally)]
        if tally.files == 0 and not tally.failed and not stop.requested:
            lines.append(nothing_changed_text())
        write_stdout("\n".join([*lines, DISCLAIMER]))
    if stop.requested:
        echo_err(interrupted_text(tally))
        raise typer.Exit(EXIT_INTERRUPTED)
    if tally.failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@cohort_app.command("audit")
def audit(
    folder: str = typer.Argument(..., help="The register: a folder of plan files (*.toml)."),
    from_: str = typer.Option(..., "--from", help="First day of the period, YYYY-MM-DD."),
    to: str = typer.Option(..., "--to", help="Last day of the period, YYYY-MM-DD."),
    fmt: AuditFormat = format_option("audit"),  # type: ignore[valid-type]
    workers: Optional[int] = typer.Option(None, "--workers", help="Processes (default: 2 for a large cohort, else 1)."),
) -> None:
    """For each check and drug: how many planned in the period were done in their window, early, late, missing,
    waived or not applicable (judged on the last day of the period), and the patients behind each number."""
    with clean_errors():
        start, end = parse_date(from_, "--from"), parse_date(to, "--to")
        if end < start:
            raise JakplanError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
        files = plan_files(folder)
        progress, task = _progress(len(files), "Reading plan files")
        with progress:
            au = register_audit(files, start, end, workers, tick=lambda: progress.advance(task),
                       on_error=lambda message: echo_err(error_line(message)))
        show("audit", fmt, groups=au.groups, start=start, end=end, nfiles=au.nfiles, errors=au.errors,
             skipped=au.skipped, line=render.basis(au.nfiles - len(au.errors), au.skipped, len(au.errors)))
    if au.errors:
        raise typer.Exit(EXIT_BAD_INPUT)


import jakplan.cli.cohort_history  # noqa: E402,F401  (registers `cohort history import`)
import jakplan.cli.cohort_labs  # noqa: E402,F401  (registers `cohort labs import`)
