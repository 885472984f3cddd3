"""Words for following a course with a plan file: what `init`, `record`, `pause`, `resume` and `undo` did
(:mod:`jakplan.actions.course` returns it as data)."""

from __future__ import annotations

from jakplan.actions.course import Recorded, Resumed, RuleDoesNotApply, Undone
from jakplan.dates import plural
from jakplan.errors import JakplanError
from jakplan.history import Pause
from jakplan.model import Plan
from jakplan.render.common import dose_lines
from jakplan.render.words import factor_label, lab_action_text, recorded_lab_lines, skip_text


def error_text(exc: JakplanError) -> str:
    """The one line for a refusal, worded here when the core raised it as data."""
    if isinstance(exc, RuleDoesNotApply):
        return f"--rule '{exc.rule}' does not apply to this patient ({skip_text(exc.skip)})"
    return str(exc)


def init_text(out: str, plan: Plan) -> str:
    return (f"Wrote {out}: {plan.drug} for {plan.indication}, protocol {plan.protocol.id}, first dose "
            f"{plan.start.isoformat()}; {plural(len(plan.events), 'planned event')} in "
            f"{plural(plan.months, 'month')}.\n"
            f"Record what happens with `jakplan record {out} ...`; see what is due with `jakplan status {out}`.")


def recorded_text(rec: Recorded) -> str:
    planfile = rec.planfile
    lines = []
    for c in rec.checks:
        if c.outcome == "done":
            lines.append(f"Recorded in {planfile}: {c.rule} done {c.on}")
        else:
            lines.append(f"Recorded in {planfile}: {c.rule} {c.outcome.replace('_', ' ')} on {c.on} ({c.reason}); "
                         f"`jakplan status` lists it as closed by this decision")
    if rec.values:
        shown = ", ".join(f"{k} {v:g}" for k, v in rec.values.items())
        lines.append(f"Recorded in {planfile}: lab values on {rec.lab_day}: {shown}")
    if rec.values and rec.lab_day is not None:
        lines += _lab_lines(rec)
    return "\n".join(lines)


def _lab_lines(rec: Recorded) -> list[str]:
    """What the protocol says about the values just recorded, and the dose advice they change."""
    lines = recorded_lab_lines(rec.lab_actions)
    if rec.urgent:
        lines.append("  Contact the prescriber; if treatment is interrupted, record it with `jakplan pause`.")
    tiers = {a.tier for a in rec.lab_actions}
    if not tiers & {"action", "not_assessed"}:
        lines.append("  No limit of the protocol is crossed by these values.")
    elif "action" not in tiers:
        lines.append("  No limit of the protocol is crossed by the values it judges.")
    if rec.dose_factors and rec.plan is not None:
        changed = [factor_label(f) for f in rec.dose_factors]
        lines.append(f"  {', '.join(changed)} now used for the dose advice: "
                     + (dose_lines(rec.plan) or ["no dose entry"])[0])
    return lines


def removed_text(r) -> str:
    """What `undo` removed (:class:`jakplan.records.planfile.Removed`), in words."""
    f = r.fields
    if r.kind == "resume":
        return f"the resume on {r.on} of the pause from {f['from']} (the pause is open again)"
    if r.kind == "done":
        return f"{f['rule']} {str(f.get('outcome', 'done')).replace('_', ' ')} {r.on}"
    if r.kind == "lab":
        return f"lab values on {r.on}: " + ", ".join(f"{k} {v if isinstance(v, str) else format(v, 'g')}"
                                                     for k, v in f.items())
    if r.kind == "score":
        return f"the {f['score']} score {f['value']:g} on {r.on}"
    if r.kind == "decision":
        return f"the decision on {r.on}: {f['text']}"
    return (f"the pause from {r.on}" + (f" ({f['reason']})" if f.get("reason") else "")
            + (f" to {f['to']}" if f.get("to") else ""))


def undone_text(u: Undone) -> str:
    what = removed_text(u.removed) if u.removed is not None else "nothing"
    if u.dry_run:
        return f"Would remove from {u.planfile}: {what} (dry run: nothing changed)."
    return f"Removed from {u.planfile}: {what}."


def paused_text(planfile: str, p: Pause, planned: bool = False) -> str:
    if planned:
        return (f"Recorded in {planfile}: a pause planned from {p.start}" + (f" to {p.end}" if p.end else "")
                + f" ({p.reason}). `jakplan status {planfile}` shows it until that day; from then it is an ordinary "
                + "pause" + ("." if p.end else f" (record the restart with `jakplan resume {planfile} --on DAY`)."))
    return (f"Recorded in {planfile}: treatment paused from {p.start} ({p.reason}). "
            f"Record the restart with `jakplan resume {planfile} --on DAY`.")


def decision_text(d) -> str:
    """What `record --decision` did (:class:`jakplan.actions.course.DecisionRecorded`)."""
    lines = [f"Recorded in {d.planfile}: decision on {d.decision.on}: {d.decision.text}."]
    if d.answers:
        lines.append("It answers the lab results beyond a protocol limit up to that day:")
        lines += [f"  {lab_action_text(a)}" for a in d.answers]
    else:
        lines.append("No unanswered lab result beyond a protocol limit up to that day; the decision is kept in the file.")
    lines.append(f"`jakplan undo {d.planfile}` removes it.")
    return "\n".join(lines)


def resumed_text(r: Resumed) -> str:
    p, planfile = r.pause, r.planfile
    lines = [f"Recorded in {planfile}: treatment resumed on {p.end} after {p.days} day{'s' if p.days != 1 else ''} "
             f"(paused from {p.start}, {p.reason}). `jakplan status {planfile}` shows the moved dates."]
    for a in r.still:  # the protocol's resume limits, checked against the last values
        lines.append(f"! Still beyond a limit at its last value: {lab_action_text(a)}")
    if r.still:
        lines.append("  Check with the prescriber before restarting; record a newer value with `jakplan record`.")
    elif r.began is not None and not r.measured_since:
        lines.append(f"  No lab value recorded since the pause began ({r.began}): the protocol's resume limits "
                     f"could not be checked.")
    return "\n".join(lines)
