"""`jakplan sheet`: the whole course on one printed page (HTML, or PDF through headless Chromium)."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from jakplan.cli.base import app
from jakplan.cli.common import clean_errors, write_stdout
from jakplan.cli.guard import echo_err
from jakplan.cli.planopts import PlanOptions, with_plan_options


class SheetFormat(str, Enum):
    html = "html"
    pdf = "pdf"


class Paper(str, Enum):
    a4 = "a4"
    letter = "letter"


@app.command()
@with_plan_options
def sheet(
    plan_options: PlanOptions,
    out: Optional[str] = typer.Option(None, "--out", help="Write the sheet to this file (- or none: standard output, html only)."),
    fmt: SheetFormat = typer.Option(SheetFormat.html, "--format", help="html (print it from a browser) or pdf (needs Chromium)."),
    paper: Paper = typer.Option(Paper.a4, "--paper", help="a4 or letter."),
    force: bool = typer.Option(False, "--force", help="Replace --out if it already exists."),
) -> None:
    """The whole plan on one page for the patient and the GP: who, the medicine and dose, every visit with a
    tick box, what to watch for between visits and when to call, and the sources as footnotes."""
    with clean_errors():
        from jakplan.errors import JakplanError
        from jakplan.fileio import atomic_write, check_writable
        from jakplan.render.sheet import build_sheet, render_html

        if out == "-":
            out = None
        if fmt is SheetFormat.pdf and out is None:
            raise JakplanError("--format pdf writes a file: give --out FILE.pdf")
        if out is not None:
            check_writable(out, overwrite=force)  # refused before the plan is built
        page = render_html(build_sheet(plan_options.build(), paper=paper.value, status=_course(plan_options)))
        if out is None:
            write_stdout(page)
            return
        if fmt is SheetFormat.pdf:
            from jakplan.render.pdf import html_to_pdf

            path = atomic_write(out, html_to_pdf(page), overwrite=force)
        else:
            path = atomic_write(out, page, overwrite=force)
        echo_err(f"Wrote {path}.")


def _course(plan_options: PlanOptions):
    """A plan file's course today when it has records (the sheet fills "Done on" and leads with open findings)."""
    from jakplan.cli.checklist import _course as course

    return course(plan_options, None)
