"""`jakplan sheet`: the whole course on one printed page (HTML, or PDF through headless Chromium)."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from jakplan.actions.plans import course_status
from jakplan.cli.base import app
from jakplan.cli.common import clean_errors, format_enum, format_option, write_stdout
from jakplan.cli.guard import echo_err
from jakplan.cli.planopts import PlanOptions, with_plan_options
from jakplan.errors import JakplanError
from jakplan.fileio import atomic_write, check_writable
from jakplan.render.registry import render

SheetFormat = format_enum("sheet")


class Paper(str, Enum):
    a4 = "a4"
    letter = "letter"


@app.command()
@with_plan_options
def sheet(
    plan_options: PlanOptions,
    out: Optional[str] = typer.Option(None, "--out", help="Write the sheet to this file (- or none: standard output, html only)."),
    fmt: SheetFormat = format_option("sheet"),  # type: ignore[valid-type]
    paper: Paper = typer.Option(Paper.a4, "--paper", help="a4 or letter."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it already exists."),
) -> None:
    """The whole plan on one page for the patient and the GP: who, the medicine and dose, every visit with a
    tick box, what to watch for between visits and when to call, and the sources as footnotes."""
    with clean_errors():
        if out == "-":
            out = None
        if fmt == "pdf" and out is None:
            raise JakplanError("--format pdf writes a file: give --out FILE.pdf")
        if out is not None:
            check_writable(out, overwrite=force)  # refused before the plan is built
        out_ = render("sheet", fmt, plan=plan_options.build(), paper=paper.value,
                      status=course_status(plan_options.record(), plan_options.overrides()))
        if out is None:
            write_stdout(out_.text or "")
            return
        path = atomic_write(out, out_.data if out_.data is not None else out_.text or "", overwrite=force)
        echo_err(f"Wrote {path}.")
