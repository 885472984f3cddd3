"""`jakplan cohort labs import FILE... --into FOLDER`: lab results (CSV, FHIR R4 Bundle, HL7 v2 ORU^R01) into
a clinic's plan files."""

from __future__ import annotations

from enum import Enum
from typing import Any, List, Optional

import typer

from jakplan.cli.cohort import cohort_app
from jakplan.cli.common import clean_errors, parse_date, write_stdout
from jakplan.cli.guard import echo_err

labs_app = typer.Typer(help="Lab results for a clinic's patients: import them into the plan files.",
                       no_args_is_help=True, rich_markup_mode=None)
cohort_app.add_typer(labs_app, name="labs")

EXIT_NOTHING_READ = 2
EXIT_UNMATCHED_CRITICAL = 1
URGENT = ("interrupt", "stop", "discontinue", "do_not_start")


class LabFileFormat(str, Enum):
    csv = "csv"
    fhir = "fhir"
    hl7 = "hl7"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


@labs_app.command("import")
def labs_import(
    files: List[str] = typer.Argument(..., metavar="FILE...", help="Lab files: CSV (patient, date, analyte, value, unit[, uln]), a "
                                               "FHIR R4 Bundle of Observations (.json) or HL7 v2 ORU^R01 messages (.hl7)."),
    into: str = typer.Option(..., "--into", help="The clinic's folder of plan files (<patient id>.toml).",
                             show_default=False),
    input_format: Optional[LabFileFormat] = typer.Option(None, "--input-format",
                                                         help="csv, fhir or hl7 (default: from the file name and content)."),
    today: Optional[str] = typer.Option(None, "--today", help="Results dated after this day are refused (default: today)."),
    fmt: ReportFormat = typer.Option(ReportFormat.text, "--format", help="text or json."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would be added and any limit crossed; change no file."),
    mapping: Optional[List[str]] = typer.Option(None, "--map", metavar="\"HEADER=column\"",
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
    nothing could be read, 1 if a result for a patient with no plan file crosses a limit of the default protocol
    (or cannot be judged because clinic.toml names none)."""
    import datetime as dt

    with clean_errors():
        from pathlib import Path

        from jakplan.clinic.labstore import store_imports
        from jakplan.records.clinicsettings import load_settings, parse_map
        from jakplan.records.labimport import Context, import_file

        day = parse_date(today, "--today") if today else dt.date.today()
        settings = load_settings(into) if Path(into).is_dir() else None
        ctx = Context(day, settings or Context(day).settings, parse_map(mapping))
        from jakplan.cli.cohort import _progress

        progress, task = _progress(len(files), "Reading lab files")
        with progress:
            results = []
            for f in files:
                results.append(import_file(f, day, input_format.value if input_format else None, ctx))
                progress.advance(task)
        read = sum(len(r.records) for r in results)
        patients = len({r.patient_id for res in results for r in res.records})
        progress, task = _progress(patients, "Writing plan files")
        with progress:
            summary = store_imports(results, into, write=not dry_run, settings=settings,
                                    tick=lambda: progress.advance(task)) if read else None
        findings = _findings(summary, dry_run) if summary else []
        unmatched = _unmatched(summary, ctx.settings.default_protocol, into) if summary else []
        problems = [p for r in results for p in r.problems] + (summary.problems if summary else [])
        if fmt is ReportFormat.json:
            import json

            data = _as_dict(results, summary, problems, findings, dry_run)
            data["unmatched"] = [{"patient": r.patient_id, "where": r.where, "analyte": r.analyte,
                                  "value": r.value, "censor": r.censor, "judged": judged}
                                 for r, judged in unmatched]
            write_stdout(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            for line in grouped_problem_lines(problems):
                echo_err(line)
            write_stdout("\n".join(_text(results, summary, problems, findings, dry_run)
                                   [:-1] + _unmatched_lines(unmatched) + [_text_disclaimer()]))
        if not read:
            raise typer.Exit(EXIT_NOTHING_READ)
        if any(judged != "not crossing" for _, judged in unmatched):
            raise typer.Exit(EXIT_UNMATCHED_CRITICAL)


GROUP_AT = 3
"""Identical problems in at least this many places are reported once, with their places."""


def grouped_problem_lines(problems) -> list[str]:
    """One line per problem, except identical problems (same ``group``, or same message) in many places:
    "60 rows: LOINC 2093-3 ... is a mass code but the unit is mmol/L (labs.csv line 2, line 3, ...)"."""
    groups: dict[tuple[str, str], list] = {}
    for p in problems:
        groups.setdefault((p.kind, p.group or p.message), []).append(p)
    out = []
    for (kind, text), ps in groups.items():
        label = "Not followed" if kind == "not_followed" else "No value" if kind == "no_value" else "Error"
        if len(ps) < GROUP_AT:
            out += [f"{label}: {p}" for p in ps]
            continue
        files = list(dict.fromkeys(p.where.split(" ")[0] for p in ps))
        places = "; ".join(f + " " + ", ".join(p.where[len(f):].strip() for p in ps if p.where.split(" ")[0] == f)
                           for f in files)
        out.append(f"{label}: {len(ps)} rows: {text} ({places})")
    return out


def _text_disclaimer() -> str:
    from jakplan.render.common import DISCLAIMER

    return DISCLAIMER


def _unmatched(summary, protocol_ref: str, folder: str) -> list[tuple[Any, str]]:
    """Each result whose patient has no plan file, judged by the clinic's default protocol: 'crosses: ACTION',
    'not crossing', or 'not judged' when clinic.toml names no default protocol (fail closed)."""
    if not summary.unmatched:
        return []
    if not protocol_ref:
        return [(r, "not judged (no default_protocol in clinic.toml)") for r in summary.unmatched]
    from jakplan.actions import is_calm, judge_labs, protocol_from

    protocol = protocol_from(protocol_ref, folder)
    out = []
    for r in summary.unmatched:
        report = judge_labs(protocol, {r.analyte: r.value}, censored={r.analyte: r.censor} if r.censor else None)
        action = report.action
        out.append((r, "not crossing" if is_calm(action) else f"not judged ({protocol.id} gives no limit)"
                    if action == NOT_ASSESSED else f"crosses: {action}"))
    return out


def _unmatched_lines(unmatched) -> list[str]:
    if not unmatched:
        return []
    lines = [f"Results for patients with no plan file ({len(unmatched)}; add the patient or their identifier):"]
    urgent = [(r, j) for r, j in unmatched if j != "not crossing"]
    for r, judged in urgent:
        lines.append(f"! {r.patient_id}: {_name(r.analyte)} {r.censor}{r.value:g} on {r.on} ({r.where}): {judged}")
    quiet = len(unmatched) - len(urgent)
    if quiet:
        lines.append(f"  {quiet} other result(s) cross no limit of the default protocol.")
    return lines


def _findings(summary, dry_run: bool = False) -> list[tuple[str, str, str, str]]:
    """(patient, action, text, analyte) for each newly stored value that crosses a protocol threshold or that
    the protocol gives no limit for (``not_assessed``); for a dry run, judged as if the values had been stored."""
    from jakplan.actions import recorded_lab_actions
    from jakplan.api import plan_for_record
    from jakplan.history import LabRecord
    from jakplan.records.patient import load_record
    from jakplan.render.words import lab_action_text

    out = []
    for o in summary.patients:
        if not o.added:
            continue
        record = o.record if o.record is not None else load_record(o.path)
        if dry_run:
            h = record.history
            extra = tuple(LabRecord(day, dict(vals), "", at, dict(cens), *o.references.get((day, at), ({}, {})))
                          for day, entries in sorted(o.slots.items()) for at, vals, cens in entries)
            record = record._replace(history=h.but(labs=h.labs + extra))
        new = {(day, a) for day, vals in o.added.items() for a in vals}
        for act in recorded_lab_actions(plan_for_record(record), record.history):
            if (act.on, act.analyte) in new:
                out.append((o.patient, act.action, lab_action_text(act), act.analyte))
    return out


NOT_ASSESSED = "not_assessed"


def _text(results, summary, problems, findings, dry_run: bool = False) -> list[str]:
    from jakplan.render.common import DISCLAIMER

    lines = []
    for r in results:
        bad = sum(1 for p in r.problems if p.kind != "not_followed")
        other = sum(1 for p in r.problems if p.kind == "not_followed")
        lines.append(f"Read {r.path} ({r.format}): {len(r.records)} value(s)"
                     + (f", {bad} reported" if bad else "") + (f", {other} for tests jakplan does not follow" if other else ""))
    verb = "to add" if dry_run else "added"
    if summary is not None:
        for o in summary.patients:
            days = ", ".join(d.isoformat() for d in sorted(o.added))
            lines.append(f"  {o.patient} ({o.path.name}): {o.added_count} value(s) {verb}"
                         + (f" ({days})" if days else "") + (f"; {o.already} already there" if o.already else ""))
        lines.append(f"{'Would add' if dry_run else 'Added'} {summary.added} value(s) to "
                     f"{sum(1 for o in summary.patients if o.added)} plan file(s) in {summary.folder}; "
                     f"{summary.already} already there; {len(problems)} problem(s) (listed on stderr)."
                     + (" Dry run: no file was changed." if dry_run else ""))
    else:
        lines.append("Nothing could be read; no plan file was changed.")
    acting = [f for f in findings if f[1] != NOT_ASSESSED]
    for pid, _action, text, _ in sorted(acting, key=lambda f: (f[1] not in URGENT, f[0])):
        lines.append(f"! {pid}: {text}")
    if any(f[1] in URGENT for f in acting):
        lines.append("  Contact the prescriber; if treatment is interrupted, record it with `jakplan pause`.")
    unjudged: dict[str, dict[str, None]] = {}
    for pid, action, _, analyte in findings:
        if action == NOT_ASSESSED:
            unjudged.setdefault(pid, {})[_name(analyte)] = None
    if unjudged:
        lines.append("Not assessed (this protocol gives no limit for them; check the label): "
                     + "; ".join(f"{pid}: {', '.join(names)}" for pid, names in unjudged.items()))
    lines.append(DISCLAIMER)
    return lines


def _as_dict(results, summary, problems, findings, dry_run: bool = False) -> dict:
    from jakplan.render.common import DISCLAIMER

    return {
        "dry_run": dry_run,
        "files": [{"path": r.path, "format": r.format, "values_read": len(r.records), "fatal": r.fatal}
                  for r in results],
        "patients": [] if summary is None else [
            {"patient": o.patient, "plan_file": str(o.path), "already_there": o.already,
             "added": [{"on": d.isoformat(), "values": v} for d, v in sorted(o.added.items())]}
            for o in summary.patients],
        "problems": [{"where": p.where, "message": p.message, "kind": p.kind} for p in problems],
        "actions": [{"patient": pid, "action": action, "text": text} for pid, action, text, _ in findings
                    if action != NOT_ASSESSED],
        "not_assessed": [{"patient": pid, "analyte": analyte, "text": text} for pid, action, text, analyte in findings
                         if action == NOT_ASSESSED],
        "disclaimer": DISCLAIMER,
    }


def _name(analyte: str) -> str:
    from jakplan.actions import analyte_spec

    entry = analyte_spec(analyte)
    return entry.get("name") or entry.get("label", analyte)
