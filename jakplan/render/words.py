"""Words for the engine's data: conditions, factors, why an entry does or does not apply.

The engine returns structured records (:class:`jakplan.model.Condition`, :class:`jakplan.engine.conditions.Match`,
:class:`jakplan.model.Skip`); every renderer words them through this module, so each is worded one way.
"""

from __future__ import annotations

from typing import Callable

from jakplan.catalog.medicines import medicine_label
from jakplan.catalog.vocab import vocabulary
from jakplan.dates import plural
from jakplan.escape import shown
from jakplan.model import Condition, Skip

_SYMBOLS = {"min": ">=", "max": "<=", "above": ">", "below": "<"}


def factor_label(name: str) -> str:
    """The factor's label from the vocabulary ('creatinine clearance'), or its name with spaces."""
    return vocabulary()["factors"].get(name, {}).get("label", name.replace("_", " "))


def patient_words(name: str) -> str:
    """The factor in a patient's words ('your kidney function'), from the vocabulary's ``patient`` key; else
    'your ' and its label."""
    spec = vocabulary()["factors"].get(name, {})
    return spec.get("patient") or f"your {factor_label(name)}"


def and_list(items) -> str:
    """'a', 'a and b', 'a, b and c' (duplicates dropped, order kept)."""
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def condition_text(cond: Condition) -> str:
    """'age > 50', 'creatinine clearance >= 30', 'taking a strong OAT3 inhibitor', 'pregnancy possible'."""
    if cond.op == "has":

        vals = cond.value if isinstance(cond.value, list) else [cond.value]
        return "taking a " + " or ".join(medicine_label(v) for v in vals)
    if cond.op == "is" and not isinstance(cond.value, bool):
        vals = cond.value if isinstance(cond.value, list) else [cond.value]
        return f"{factor_label(cond.factor)} is {' or '.join(map(str, vals))}"
    if cond.op == "is":
        return factor_label(cond.factor) if cond.value else f"no {factor_label(cond.factor)}"
    return f"{factor_label(cond.factor)} {_SYMBOLS[cond.op]} {cond.value}"




def raw_condition_text(cond: Condition) -> str:
    """A condition in the factor's own name ('age >= 65', 'taking probenecid', 'no clot history')."""
    name = cond.factor.replace("_", " ")
    v = cond.value
    if cond.op == "has":
        vals = v if isinstance(v, list) else [v]
        return "taking " + " or ".join(str(x).replace("_", " ") for x in vals)
    if isinstance(v, bool):
        return name if v else f"no {name}"
    if isinstance(v, list):
        v = " or ".join(map(str, v))
    return f"{name} {_SYMBOLS.get(cond.op, cond.op)} {v}"


def open_condition_text(cond: Condition) -> str:
    """'applies if eGFR < 60 (eGFR not given)'."""
    return f"applies if {condition_text(cond)} ({factor_label(cond.factor)} not given)"


def open_texts(conds: tuple[Condition, ...]) -> list[str]:
    return [open_condition_text(c) for c in conds]


def skip_text(skip: Skip) -> str:
    """Why a rule is not in the plan: 'only for ra', 'applies only if age >= 65', or its open conditions."""
    if skip.indications:
        return f"only for {', '.join(skip.indications)}"
    if skip.failed is not None:
        return f"applies only if {raw_condition_text(skip.failed)}"
    return "; ".join(open_texts(skip.open))


def cite_full(c) -> str:
    """'[S1] Olumiant US Prescribing Information, US PI 2.1 (secondary source: mirror)'."""
    s = f"[{c.source.id}] {c.source.document}"
    if c.section:
        s += f", {c.section}"
    note = c.source.grade_note()
    return s + (" " + note if note else "")


def cite_short(c, tags: bool = True) -> str:
    """'US PI 2.1 [S1]' ('US PI 2.1' without tags), with the source's grade note."""
    if tags:
        s = f"{c.section} [{c.source.id}]" if c.section else f"[{c.source.id}]"
    else:
        s = c.section or c.source.document
    note = c.source.grade_note()
    return s + (" " + note if note else "")


def cite_tagged(c) -> str:
    """'[S1] US PI 2.1', with the source's grade note (tables that list many entries of few sources)."""
    s = f"[{c.source.id}] {c.section}" if c.section else f"[{c.source.id}]"
    note = c.source.grade_note()
    return s + (" " + note if note else "")


def phase_words(before_start: bool) -> str:
    return "before the first dose" if before_start else "during treatment"


def note_text(note, confirmed_on=None, confirm_pending: bool = False, flagged: bool = False) -> str:
    """A finding's or report's remark (:class:`jakplan.engine.labs.Note`) in words. ``confirmed_on``: the
    earlier result that confirms a confirm-on-repeat threshold; ``confirm_pending``: not yet confirmed;
    ``flagged``: the value is flag-tier (shown to the prescriber)."""
    from jakplan.engine.labs import analyte_name

    code, args = note.code, note.args
    if code == "no_limit":
        drug, pid, analytes, before, ind = args
        tail = "show it to the prescriber and check the label" if flagged else "check the label"
        return (f"this protocol ({drug}/{pid}) gives no limit for {', '.join(analyte_name(a) for a in analytes)} "
                f"{phase_words(before)} in {ind}: {tail}")
    if code == "drop_only":
        return "only a fall-from-baseline rule applies and no baseline was given: check the label"
    if code == "doses_by":
        return f"the label doses by {analyte_name(args[0])}: see the dose advice"
    if code == "no_baseline":
        t = args[0]
        return f"no baseline given, so '{t.text()}' ({t.citation.source.id}) was not checked"
    if code == "until_baseline":
        return "not assessed until the value before treatment is known (give the baseline)"
    if code == "censored":
        censor, value, open_ = args
        return (f"the result is '{censor}{value:g}' (censored): it cannot say whether "
                + "; ".join(f"'{t.text()}'" for t in open_) + " applies; ask the laboratory for the value")
    if code == "confirm":
        if confirmed_on is not None:
            return f"confirmed: the result on {confirmed_on} crossed it too"
        return "confirm on a repeat test before acting" + (" (not yet confirmed: record the repeat)"
                                                            if confirm_pending else "")
    if code == "label":
        return str(args[0])
    if code == "no_values":
        return "no values given"
    if code == "not_assessed":
        return f"not assessed: {unassessed_text(args[0])}"
    return code.replace("_", " ")


def item_note_text(item) -> str:
    """Why a check is in its state (:attr:`jakplan.engine.tracking.Item.notes`), in words ('' when nothing)."""
    return "; ".join(_item_note(n.code, n.args) for n in getattr(item, "notes", ()))


_ITEM_NOTES: dict[str, Callable[[tuple], str]] = {
    "superseded": lambda a: f"not done; superseded by the check on {a[0]}",
    "early": lambda a: f"done early (window opened {a[0]})",
    "late": lambda a: f"done {plural(a[0], 'day')} after the window closed",
    "result": lambda a: "done by result" + (f" (imported from {', '.join(a)})" if a else ""),
    "same_kind": lambda a: f"done with {a[0]} on {a[1]}",
    "note": lambda a: f"note: {a[0]}",
    "history": lambda a: f"last done, from the history in {a[0]} ({', '.join(a[1:])})",
    "waived": lambda a: f"waived on {a[0]}: {a[1]}",
    "not_applicable": lambda a: f"not applicable from {a[0]}: {a[1]}",
    "on_hold": lambda a: f"on hold: treatment paused since {a[0]}",
    "replaced": lambda a: f"not done; the next check (due {a[0]}) replaces it",
}
"""The words of each :attr:`jakplan.engine.tracking.Item.notes` code, from its data."""


def _item_note(code: str, a: tuple) -> str:
    said = _ITEM_NOTES.get(code)
    return said(a) if said is not None else code.replace("_", " ")


def recorded_text(item) -> str:
    """What a plan file records for a check, in a calendar's or a JSON's words: 'done 2024-06-03', 'done
    2024-06-20 (3 days after the window closed)', 'waived on ...: reason'."""

    if item.state == "done":
        return f"done {item.done_on.isoformat()}" + (f" ({plural(item.days_late, 'day')} after the window closed)"
                                                     if item.days_late else "")
    return item_note_text(item)


def status_note_text(note) -> str:
    """A note of a plan file's course (:func:`jakplan.engine.tracking._notes`) in words."""

    code, args = note.code, note.args
    if code == "paused_until":
        start, reason, restart = args
        why = f" ({reason})" if reason else ""
        return (f"Treatment paused since {start}{why}, restart planned for {restart}: in-treatment checks from that "
                "day are on hold until then.")
    if code == "paused":
        start, reason = args
        why = f" ({reason})" if reason else ""
        return (f"Treatment paused since {start}{why}: in-treatment checks from that day are on hold until you "
                "record the restart (jakplan resume).")
    if code == "paused_closed":
        start, end, reason, days = args
        why = f" ({reason})" if reason else ""
        return (f"Paused {start} to {end}{why}, {plural(days, 'day')}: checks dated on or after {start} moved "
                f"{plural(days, 'day')} later (jakplan counts time on treatment; a planning assumption: ask the "
                "prescriber whether checks are repeated on restart).")
    if code == "counted_from_last":
        return f"Counted from the last time done: {', '.join(args[0])}; everything else from the start date."
    return code.replace("_", " ")


def notes_text(notes, **kw) -> list[str]:
    return [note_text(n, **kw) for n in notes]


def unassessed_text(findings) -> str:
    """'check the label for platelets (no limit in this protocol); haemoglobin needs its value before treatment
    (a fall-from-baseline rule)'"""
    from jakplan.engine.labs import analyte_name

    no_limit = [analyte_name(f.analyte) for f in findings if f.unassessed == "no_limit"]
    no_base = [analyte_name(f.analyte) for f in findings if f.unassessed == "no_baseline"]
    parts = []
    if no_limit:
        parts.append(f"check the label for {', '.join(no_limit)} (no limit in this protocol)")
    if no_base:
        parts.append(f"{', '.join(no_base)} {'needs its' if len(no_base) == 1 else 'need their'} value before "
                     f"treatment (a fall-from-baseline rule could not be checked)")
    return "; ".join(parts)


def lab_action_text(a) -> str:
    """'haemoglobin 7.5 g/dL on 2024-06-01: < 8 g/dL -> Interrupt; resume ...; notes [source]' for a recorded
    value that needs action (:class:`jakplan.engine.tracking.LabAction`), or why it was not assessed."""
    from jakplan.engine.labs import Note, action_label

    f = a.finding
    label = vocabulary()["analytes"].get(f.analyte, {}).get("label", f.analyte)
    head = f"{label} {f.value:g} {f.unit} on {a.on}"
    if getattr(a, "tier", "") == "flag":  # no protocol limit, but the laboratory says it is abnormal
        return f"{head}: {lab_signal_text(a.signal, f.unit)}; " + "; ".join(notes_text(f.notes, flagged=True))
    if f.threshold is None:  # fail closed: no limit in this protocol is not "fine"
        return f"{head}: not assessed: " + "; ".join(notes_text(f.notes))
    text = f"{head}: {f.threshold.text()} -> {action_label(f.action)}"
    if f.resume:
        text += f"; resume {f.resume}"
    notes = [n for n in f.notes if n.code != "confirm"]
    if f.threshold.confirm:  # the repeat confirms the earlier result, or it is still to be recorded
        notes.insert(0, Note("confirm"))
    words = notes_text(notes, confirmed_on=a.confirmed_on, confirm_pending=a.confirmed_on is None)
    return text + "".join(f"; {n}" for n in words) + f" ({cite_short(f.threshold.citation)})"


def range_text(low: float | None, high: float | None, unit: str = "") -> str:
    """'150-400 10^9/L', '< 40 x ULN', '> 60' (a reference range, either side open)."""
    u = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"{low:g}-{high:g}{u}"
    if high is not None:
        return f"<= {high:g}{u}"
    return f">= {low:g}{u}" if low is not None else ""


def flag_source(sig) -> str:
    """Who flagged a flag-tier result: 'Flagged by the laboratory' (its flag or range) or 'Flagged: beyond a
    critical limit' (the limit jakplan ships, :func:`jakplan.engine.labs.critical_limit`)."""
    return "Flagged: beyond a critical limit" if getattr(sig, "shipped", None) is not None else \
        "Flagged by the laboratory"


def lab_signal_text(sig, unit: str = "") -> str:
    """What the laboratory said (:class:`jakplan.engine.labs.LabSignal`): 'critically low (the laboratory's
    panic flag, LL; range 150-400 10^9/L)', 'above the laboratory's range (range 0-40 U/L)', 'flagged 'X''."""

    table = vocabulary().get("lab_flags", {})
    if getattr(sig, "shipped", None) is not None:
        lim = sig.shipped
        return (f"{'below' if lim.below else 'above'} the critical limit {lim.value:g} {unit} jakplan ships "
                f"({lim.section} [{lim.source}])").replace("  ", " ")
    if sig.flag and sig.known:
        words = table[sig.flag]["label"]
    elif sig.flag:
        words = f"flagged {shown(sig.flag)} (a flag jakplan does not know: counted as abnormal)"
    else:
        words = {"low": "below the laboratory's range", "high": "above the laboratory's range",
                 "normal": "within the laboratory's range"}.get(sig.side, sig.side)
    extra = [f"flag {sig.flag}"] if sig.flag and sig.known else []
    if sig.low is not None or sig.high is not None:
        extra.append(f"range {range_text(sig.low, sig.high, unit)}")
    return words + (f" ({'; '.join(extra)})" if extra else "")


def not_assessed_line(analytes) -> str:
    """One line naming the analytes no protocol limit and nothing from the laboratory judged (no values)."""
    from jakplan.engine.labs import analyte_name

    names = ", ".join(analyte_name(a) for a in analytes)
    return f"Not assessed (this protocol gives no limit and the laboratory no range or flag): {names}: check the label"


def recorded_lab_lines(found) -> list[str]:
    """`record`: the values just recorded by tier (:class:`jakplan.engine.tracking.LabAction`): '! ' and what the
    protocol says for a value beyond a limit, 'Flagged by the laboratory: ' for one the lab flagged, and one line
    naming those nothing judged; a quiet value adds nothing."""
    lines = [f"! {lab_action_text(a)}" for a in found if a.tier == "action"]
    lines += [f"{flag_source(a.signal)}: {lab_action_text(a)}" for a in found if a.tier == "flag"]
    unassessed = list(dict.fromkeys(a.analyte for a in found if a.tier == "not_assessed"))
    if unassessed:
        lines.append(not_assessed_line(unassessed))
    return lines


UNMATCHED = {
    "each_visit": "checked at every visit; nothing to complete",
    "no_such_rule": "no such rule in this plan",
    "none_open": "no open occurrence left in the plan",
}
"""Why a recorded check completes nothing (:attr:`jakplan.engine.tracking.Status.unmatched` codes)."""


def unmatched_text(code: str) -> str:
    return UNMATCHED.get(code, code.replace("_", " "))
