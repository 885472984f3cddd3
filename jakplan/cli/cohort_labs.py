"""`jakplan cohort labs import FILE... --into FOLDER`: lab results (CSV, FHIR R4 Bundle, HL7 v2 ORU^R01) into
a clinic's plan files."""

from __future__ import annotations

import contextlib
import datetime as dt
from enum import Enum
from typing import Callable, Iterator, List, Optional

import typer

from jakplan.cli.cohort import _progress, cohort_app
from jakplan.cli.common import clean_errors, format_enum, format_option, parse_date, show
from jakplan.cli.guard import echo_err
from jakplan.clinic.labjob import import_lab_files
from jakplan.render.labimport import grouped_problem_lines

labs_app = typer.Typer(help="Lab results for a clinic's patients: import them into the plan files.",
                       no_args_is_help=True, rich_markup_mode=None)
cohort_app.add_typer(labs_app, name="labs")

EXIT_NOTHING_READ = 2
EXIT_UNMATCHED_CRITICAL = 1
EXIT_NOT_WRITTEN = 2


class LabFileFormat(str, Enum):
    csv = "csv"
    fhir = "fhir"
    hl7 = "hl7"


ReportFormat = format_enum("lab-import")


@labs_app.command("import")
def labs_import(
    files: List[str] = typer.Argument(..., metavar="FILE", help="Lab files: CSV (patient, date, analyte, value, unit[, uln]), a "
                                               "FHIR R4 Bundle of Observations (.json) or HL7 v2 ORU^R01 messages (.hl7)."),
    into: str = typer.Option(..., "--into", help="The clinic's folder of plan files (<patient id>.toml).",
                             show_default=False),
    input_format: Optional[LabFileFormat] = typer.Option(None, "--input-format",
                                                         help="csv, fhir or hl7 (default: from the file name and content)."),
    today: Optional[str] = typer.Option(None, "--today", help="Results dated after this day are refused (default: today)."),
    fmt: ReportFormat = format_option("lab-import"),  # type: ignore[valid-type]
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would be added and any limit crossed; change no file."),
    mapping: Optional[List[str]] = typer.Option(None, "--map", metavar="HEADER=COLUMN",
                                                help="The clinic's own CSV header for a jakplan column, e.g. "
                                                     "--map \"PatientID=patient\" --map \"RefRange=range\" "
                                                     "(repeatable; \"HEADER=-\" ignores a column; also [columns] "
                                                     "in clinic.toml)."),
) -> None:
    """Append lab results to each patient's plan file. Every value goes through the same unit conversion and
    plausibility checks as `jakplan labs`; a bad row, entry or segment is reported by file and line and the rest
    are imported; a value already in the plan file is skipped (importing the same file twice adds nothing).
    Values that cross a protocol limit are listed with the action. The register's clinic.toml (laboratory upper
    limits of normal, column names, identifier prefixes, default protocol) is used when present. Exits 2 if
    nothing could be read or a plan file could not be written (it is left unchanged), 1 if a result for a
    patient with no plan file crosses a limit of the default protocol (or cannot be judged because clinic.toml
    names none)."""
    with clean_errors():
        day = parse_date(today, "--today") if today else dt.date.today()
        outcome = import_lab_files(files, into, day, input_format.value if input_format else None, mapping,
                                   dry_run, progress=_ticker)
        if fmt == "text":
            for line in grouped_problem_lines(outcome.problems):
                echo_err(line)
        show("lab-import", fmt, outcome=outcome)
    if not outcome.read:
        raise typer.Exit(EXIT_NOTHING_READ)
    if outcome.summary is not None and outcome.summary.unwritten:
        raise typer.Exit(EXIT_NOT_WRITTEN)  # a plan file left unchanged (too large to read back, disk full)
    if any(not u.quiet for u in outcome.unmatched):
        raise typer.Exit(EXIT_UNMATCHED_CRITICAL)


@contextlib.contextmanager
def _ticker(total: int, what: str) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr (only on a terminal), advanced by the function it gives."""
    progress, task = _progress(total, what)
    with progress:
        yield lambda: progress.advance(task)
