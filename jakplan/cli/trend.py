"""`jakplan trend PLANFILE --out trend.html`: a patient's lab values over time against the protocol's limits."""

from __future__ import annotations

import typer

from jakplan.api import record_of
from jakplan.cli.base import app
from jakplan.cli.common import clean_errors, write_stdout
from jakplan.cli.guard import echo_err
from jakplan.cli.planopts import with_planfile
from jakplan.dates import plural
from jakplan.errors import JakplanError
from jakplan.fileio import atomic_write, check_writable
from jakplan.render.trend import trend_for_record


@app.command()
@with_planfile
def trend(
    planfile: str,
    out: str = typer.Option(..., "--out", help="The HTML file to write, or - for standard output.", show_default=False),
    force: bool = typer.Option(False, "--force", help="Replace --out if it already exists."),
) -> None:
    """Plot neutrophils, lymphocytes, haemoglobin, platelets, ALT/AST and lipids over time (SVG in one HTML
    page) with the protocol's limits drawn as lines, the first dose and pauses marked. A panel whose test has
    no limit in the protocol says so (not assessed)."""
    with clean_errors():
        if out != "-":
            check_writable(out, overwrite=force)  # refused before the plot is drawn (matplotlib takes a second)
        record = record_of(planfile)
        if record.profile.start is None:
            raise JakplanError(f"{planfile}: no start date (the first dose); a trend needs it")
        page = trend_for_record(record)
        if out == "-":
            write_stdout(page)
            return
        values = sum(len(r.values) for r in record.history.labs)
        path = atomic_write(out, page, overwrite=force)
        echo_err(f"Wrote {path} ({plural(values, 'lab value')} from {planfile}).")
