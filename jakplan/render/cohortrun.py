"""What the cohort commands did, in words: the summary of `cohort export` (from a register or a CSV), of `cohort
import` and `cohort history import` (row by row), and the line said when an export is interrupted (the counts come from :mod:`jakplan.clinic.cohort`)."""

from __future__ import annotations

from jakplan.dates import plural
from jakplan.escape import one_line
from jakplan.render.common import DISCLAIMER


def export_register_text(t) -> str:
    """`cohort export FOLDER` (:class:`jakplan.clinic.cohort.ExportTally`): the one summary line (the command
    adds the disclaimer)."""
    not_plans = (f", {plural(t.skipped, 'TOML file')} that "
                 f"{'is not a plan file' if t.skipped == 1 else 'are not plan files'} skipped") if t.skipped else ""
    errors = f", {plural(len(t.failed), 'plan file')} with errors (see stderr)" if t.failed else ""
    return (f"{t.source} -> {t.out}/ ({', '.join(t.formats)}): {plural(t.patients, 'patient')}, "
            f"{plural(t.files, 'file')} written, {t.unchanged} unchanged{not_plans}{errors}.")


def nothing_changed_text() -> str:
    return "Nothing changed: every file is up to date; nothing was written."


def export_csv_table(t, console) -> None:
    """`cohort export FILE.csv`: a table of what was written, the rows not written (20 at most), the disclaimer."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{t.source} -> {t.out.rstrip('/') or t.out}/ ({', '.join(t.formats)})", title_justify="left")
    for head in ("Patients written", "Files", "Events", "Rows with errors"):
        table.add_column(head, justify="right")
    table.add_row(str(t.patients), str(t.files), str(t.events), str(len(t.failed)))
    console.print(table)
    for message in t.failed[:20]:
        console.print(Text(f"  not written: {one_line(message)}", style="red"))
    if len(t.failed) > 20:
        console.print(Text(f"  ... and {len(t.failed) - 20} more (all listed on stderr)", style="red"))
    console.print(Text(DISCLAIMER, style="bold"))


def interrupted_text(t) -> str:
    """Said on stderr when an export stops at a signal: what is complete, and how to finish."""
    if t.register:
        return (f"Interrupted: {plural(t.patients, 'patient')} up to date, each complete; run the same command again "
                f"to finish (what is up to date is not written again).")
    return f"Interrupted: {plural(t.patients, 'patient')} written, each complete; the rows after them were not started."


def _shown(val) -> str:
    if val is None:
        return "(not set)"
    if isinstance(val, list):
        return ", ".join(str(v) for v in val) or "none"
    if hasattr(val, "isoformat"):
        return val.isoformat()
    if isinstance(val, float):
        return f"{val:g}"
    return str(val)


def import_row_line(res) -> str:
    """One row of `cohort import` (:class:`jakplan.clinic.register_import.ImportResult`) on stdout: a plan file
    updated (each change: 'egfr 55 -> 48') or created with history ('last done: bloods_week4 2024-07-20'); ''
    for an unchanged row (an error goes to stderr)."""
    said = [f"{c.name} {_shown(c.old)} -> {_shown(c.new)}" for c in res.changes] + \
        [f"last done: {r}" for r in res.last_done]
    if res.action == "updated":
        return one_line(f"Updated {res.path} ({res.where}): " + "; ".join(said))
    if res.action == "created" and said:  # with the history its last_* columns brought in
        return one_line(f"Created {res.path} ({res.where}): " + "; ".join(said))
    return ""


def import_summary(source: str, into: str, counts: dict[str, int]) -> str:
    return (f"{source} -> {into}/: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {plural(counts['error'], 'row')} with errors.")


def history_row_lines(res) -> list[str]:
    """One row of `cohort history import` (:class:`jakplan.clinic.history_import.HistoryResult`): the checks
    recorded done, and the columns that close nothing in that plan."""
    lines = []
    if res.recorded:
        lines.append(one_line(f"Recorded in {res.path} ({res.where}): " + "; ".join(res.recorded)))
    if res.unused:
        lines.append(one_line(f"{res.path} ({res.where}): closes nothing in this plan: {', '.join(res.unused)}"))
    return lines


def history_summary(source: str, into: str, entries: int, counts: dict[str, int]) -> str:
    return (f"{source} -> {into}/: {plural(entries, 'check')} recorded done in "
            f"{plural(counts['recorded'], 'plan file')}, {counts['unchanged']} unchanged, "
            f"{plural(counts['error'], 'row')} with errors.")
