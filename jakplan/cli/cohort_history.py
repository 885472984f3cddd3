"""`jakplan cohort history import CSV --into FOLDER`: the day each check was last done, per patient, into a
register's plan files (so a new register starts with a true worklist)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List, Optional

import typer

from jakplan.cli.cohort import cohort_app
from jakplan.cli.common import EXIT_BAD_INPUT, clean_errors, parse_date, write_stdout
from jakplan.cli.guard import echo_err
from jakplan.clinic.history_import import import_history
from jakplan.escape import one_line
from jakplan.records.clinicsettings import load_settings, parse_map
from jakplan.render.cohortrun import history_row_lines, history_summary

history_app = typer.Typer(help="A register's history: when each check was last done, before jakplan kept it.",
                          no_args_is_help=True, rich_markup_mode=None)
cohort_app.add_typer(history_app, name="history")


@history_app.command("import")
def history_import(
    csv_file: str = typer.Argument(..., metavar="FILE", help="A CSV: id, then last_<check> columns (last_blood_count, last_liver, "
                                             "last_kidney, last_lipids, last_<check code> or last_<rule id>) holding "
                                             "the day each was last done."),
    into: str = typer.Option(..., "--into", help="The register: a folder of plan files (<id>.toml).",
                             show_default=False),
    today: Optional[str] = typer.Option(None, "--today", help="Days after this one are refused (default: today)."),
    mapping: Optional[List[str]] = typer.Option(None, "--map", metavar="HEADER=COLUMN",
                                                help="The clinic's own header for a column, e.g. --map "
                                                     "\"Hospital No=id\" --map \"Last FBC=last_blood_count\" "
                                                     "(repeatable; also [columns] in the register's clinic.toml)."),
) -> None:
    """Record in each patient's plan file the checks the history closes: a rule whose every check has a day is
    done on the earliest of them (a rule named by its id on its day), noted as from this file. Importing the same
    file twice adds nothing. Exits 2 if a row failed (the others are still recorded)."""
    bad = 0
    with clean_errors():
        day = parse_date(today, "--today") if today else dt.date.today()
        settings = load_settings(into) if Path(into).is_dir() else None
        columns = {**(settings.columns if settings else {}), **parse_map(mapping)}
        counts = {"recorded": 0, "unchanged": 0, "error": 0}
        entries = 0
        for res in import_history(csv_file, into, columns, day):
            counts[res.action] += 1
            if res.action == "error":
                bad += 1
                echo_err(one_line(f"Error: {res.message}"))
                continue
            entries += len(res.recorded)
            for line in history_row_lines(res):
                write_stdout(line)
        write_stdout(history_summary(csv_file, into, entries, counts))
    if bad:
        raise typer.Exit(EXIT_BAD_INPUT)
