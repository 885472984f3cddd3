"""Words for `jakplan cohort labs import` (:class:`jakplan.clinic.labjob.LabImportOutcome`): the text report,
the problems on stderr (identical ones grouped), and the JSON."""

from __future__ import annotations

from typing import Any

from jakplan.actions import analyte_spec
from jakplan.clinic.labjob import NOT_ASSESSED, URGENT, LabImportOutcome, Unmatched
from jakplan.render.common import DISCLAIMER
from jakplan.render.words import lab_action_text

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


def judged_text(u: Unmatched) -> str:
    """'crosses: interrupt', 'not crossing', 'not judged (...)'."""
    if u.verdict == "no_protocol":
        return "not judged (no default_protocol in clinic.toml)"
    if u.verdict == "calm":
        return "not crossing"
    if u.verdict == "no_limit":
        return f"not judged ({u.protocol} gives no limit)"
    return f"crosses: {u.action}"


def import_text(o: LabImportOutcome) -> str:
    """The report on stdout (the problems go to stderr: :func:`grouped_problem_lines`)."""
    lines = _report_lines(o)
    return "\n".join(lines + _unmatched_lines(o.unmatched) + [DISCLAIMER])


def _report_lines(o: LabImportOutcome) -> list[str]:
    summary, dry_run = o.summary, o.dry_run
    lines = []
    for r in o.results:
        bad = sum(1 for p in r.problems if p.kind != "not_followed")
        other = sum(1 for p in r.problems if p.kind == "not_followed")
        lines.append(f"Read {r.path} ({r.format}): {len(r.records)} value(s)"
                     + (f", {bad} reported" if bad else "") + (f", {other} for tests jakplan does not follow" if other else ""))
    verb = "to add" if dry_run else "added"
    if summary is not None:
        for p in summary.patients:
            days = ", ".join(d.isoformat() for d in sorted(p.added))
            lines.append(f"  {p.patient} ({p.path.name}): {p.added_count} value(s) {verb}"
                         + (f" ({days})" if days else "") + (f"; {p.already} already there" if p.already else ""))
        lines.append(f"{'Would add' if dry_run else 'Added'} {summary.added} value(s) to "
                     f"{sum(1 for p in summary.patients if p.added)} plan file(s) in {summary.folder}; "
                     f"{summary.already} already there; {len(o.problems)} problem(s) (listed on stderr)."
                     + (" Dry run: no file was changed." if dry_run else ""))
    else:
        lines.append("Nothing could be read; no plan file was changed.")
    acting = [f for f in o.findings if f.action != NOT_ASSESSED]
    for f in sorted(acting, key=lambda f: (f.action not in URGENT, f.patient)):
        lines.append(f"! {f.patient}: {lab_action_text(f.lab_action)}")
    if any(f.action in URGENT for f in acting):
        lines.append("  Contact the prescriber; if treatment is interrupted, record it with `jakplan pause`.")
    unjudged: dict[str, dict[str, None]] = {}
    for f in o.findings:
        if f.action == NOT_ASSESSED:
            unjudged.setdefault(f.patient, {})[_name(f.analyte)] = None
    if unjudged:
        lines.append("Not assessed (this protocol gives no limit for them; check the label): "
                     + "; ".join(f"{pid}: {', '.join(names)}" for pid, names in unjudged.items()))
    return lines


def _unmatched_lines(unmatched: list[Unmatched]) -> list[str]:
    if not unmatched:
        return []
    lines = [f"Results for patients with no plan file ({len(unmatched)}; add the patient or their identifier):"]
    urgent = [u for u in unmatched if not u.quiet]
    for u in urgent:
        r = u.result
        lines.append(f"! {r.patient_id}: {_name(r.analyte)} {r.censor}{r.value:g} on {r.on} ({r.where}): "
                     f"{judged_text(u)}")
    quiet = len(unmatched) - len(urgent)
    if quiet:
        lines.append(f"  {quiet} other result(s) cross no limit of the default protocol.")
    return lines


def import_dict(o: LabImportOutcome) -> dict[str, Any]:
    summary = o.summary
    return {
        "dry_run": o.dry_run,
        "files": [{"path": r.path, "format": r.format, "values_read": len(r.records), "fatal": r.fatal}
                  for r in o.results],
        "patients": [] if summary is None else [
            {"patient": p.patient, "plan_file": str(p.path), "already_there": p.already,
             "added": [{"on": d.isoformat(), "values": v} for d, v in sorted(p.added.items())]}
            for p in summary.patients],
        "problems": [{"where": p.where, "message": p.message, "kind": p.kind} for p in o.problems],
        "actions": [{"patient": f.patient, "action": f.action, "text": lab_action_text(f.lab_action)}
                    for f in o.findings if f.action != NOT_ASSESSED],
        "not_assessed": [{"patient": f.patient, "analyte": f.analyte, "text": lab_action_text(f.lab_action)}
                         for f in o.findings if f.action == NOT_ASSESSED],
        "disclaimer": DISCLAIMER,
        "unmatched": [{"patient": u.result.patient_id, "where": u.result.where, "analyte": u.result.analyte,
                       "value": u.result.value, "censor": u.result.censor, "judged": judged_text(u)}
                      for u in o.unmatched],
    }


def _name(analyte: str) -> str:
    entry = analyte_spec(analyte)
    return entry.get("name") or entry.get("label", analyte)
