"""What every renderer shares: the disclaimer, names for codes, and the plan as plain data (JSON contract)."""

from __future__ import annotations

from typing import Any, NamedTuple

from jakplan.catalog.factors import factor_table
from jakplan.catalog.files import data_path
from jakplan.catalog.medicines import class_label, medicine_label
from jakplan.catalog.requirements import items
from jakplan.catalog.vocab import default_protocol, drugs, vocabulary
from jakplan.dates import plural
from jakplan.engine.conditions import missing_factors
from jakplan.model import Citation, DoseLine, Event, Plan, Protocol
from jakplan.render.words import cite_short, condition_text, factor_label, open_texts, skip_text

DISCLAIMER = "jakplan is a planning aid, not medical advice: the prescriber's instructions come first."


def drug_name(plan: Plan) -> str:
    return drugs().get(plan.drug, {}).get("name", plan.drug)


def indication_name(plan: Plan) -> str:
    return drugs().get(plan.drug, {}).get("indications", {}).get(plan.indication, plan.indication)


def check_label(code: str) -> str:
    return vocabulary()["checks"].get(code, {}).get("label", code)


def phase_titles(plan: Plan) -> dict[str, str]:
    return {ph.id: ph.title for ph in plan.protocol.planning.phases}


def window_text(ev: Event) -> str:
    if ev.window_start == ev.window_end:
        return ev.window_start.isoformat()
    return f"{ev.window_start.isoformat()} to {ev.window_end.isoformat()}"


def protocol_lines(plan: Plan) -> list[str]:
    """Which protocol variant is in force, and what it borrows from where (one line each)."""
    p = plan.protocol
    lines = [f"Protocol: {p.drug}/{p.id} - {p.title}" + (f" ({p.jurisdiction})" if p.jurisdiction else "")]
    if is_default_protocol(plan):
        lines[0] += f" [default for {p.drug} in {indication_name(plan)}; choose another with --protocol]"
    if p.extends:
        lines.append(f"  extends {p.drug}/{p.extends}")
    for inc in p.includes:
        if inc.indications and plan.indication not in inc.indications:
            continue
        what = ", ".join(inc.rules + tuple(f"risk note {r}" for r in inc.risks))
        lines.append(f"  {what} from {inc.protocol}: {inc.why}")
    return lines


def is_default_protocol(plan: Plan) -> bool:
    """True when the plan uses the shipped protocol jakplan picks when --protocol is not given."""
    p = plan.protocol
    shipped = str(data_path() / "protocols" / p.drug / f"{p.id}.toml")
    try:
        return p.path == shipped and p.id == default_protocol(p.drug, plan.indication)
    except Exception:  # an unknown drug in a user file: not a default
        return False


def factor_text(name: str, value: Any) -> str:
    label = factor_label(name)
    if isinstance(value, bool):
        return label if value else vocabulary()["factors"].get(name, {}).get("no_label", f"no {label}")
    if isinstance(value, list):
        return f"{label}: {', '.join(v.replace('_', ' ') for v in value) or 'none'}"
    unit = vocabulary()["factors"].get(name, {}).get("unit", "")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    return f"{label} {value}{' ' + unit if unit and unit != 'years' else ''}"


def patient_line(plan: Plan) -> str:
    factors = plan.patient.factors if plan.patient else {}
    kind = {dv.name: dv.kind + (f" {dv.on.isoformat()}" if dv.on else "") for dv in plan.derived}
    given = [factor_text(k, v) + (f" ({kind[k]})" if k in kind else "") for k, v in factors.items() if v is not None]
    if not given:
        return "Patient: no patient factors given (age, kidney function, medicines ... change the dose and the checks)."
    return "Patient: " + "; ".join(given) + "."


OUTCOME_WORDS = {
    "not_recommended": "NOT RECOMMENDED for this patient",
    "contraindicated": "CONTRAINDICATED for this patient",
}


def _possible_groups(lines: tuple[DoseLine, ...], tags: bool = True) -> list[str]:
    """'2 mg once daily if: aged 65 or over [S8]; ...' grouped by what would change."""
    groups: dict[str, dict[str, list[str]]] = {}  # head -> citation -> whys: one citation per run of reasons
    for dl in lines:
        e = dl.entry
        head = e.dose if e.outcome in ("standard", "adjusted") else OUTCOME_WORDS[e.outcome].split(" for ")[0].lower()
        why = e.why or " and ".join(condition_text(c) for c in dl.open_conditions)
        groups.setdefault(head, {}).setdefault(cite_short(e.citation, tags), []).append(why)
    return [f"{head} if: " + "; ".join(f"{', '.join(whys)} ({cite})" for cite, whys in by_cite.items())
            for head, by_cite in groups.items()]


class AdviceItem(NamedTuple):
    """One item under the dose headline. ``kind``: ``conflict`` (one of several adjusted doses that disagree),
    ``unused`` (a factor given that this label does not dose by), ``derived`` (a computed or recorded value the
    dose used), ``note`` (a note of the entry behind the dose), ``would_change`` (the changes a factor not
    given would make: ``children`` holds one item per change, kind ``change``), ``check_label`` (a point to
    check on the current label)."""

    kind: str
    text: str
    children: tuple["AdviceItem", ...] = ()


class DoseView(NamedTuple):
    """The dose for this patient as a tree every renderer walks (never by matching its words or indentation):
    the headline (the verdict) and the items under it."""

    headline: str
    settled: bool
    items: tuple[AdviceItem, ...] = ()
    outcome: str = ""
    """The engine's verdict: standard, adjusted, check (the dose unless a change below applies), unknown,
    check_label, not_recommended or contraindicated."""
    dose: str = ""
    """The dose the verdict names ('2 mg once daily'), '' when none is named."""
    why: tuple[str, ...] = ()
    """Why that dose (each reason's own words, 'eGFR 30 to < 60'); no citation."""
    missing: tuple[str, ...] = ()
    """The patient factors the dose depends on that were not given (factor names: 'egfr', 'with')."""
    unknown_medicines: tuple[str, ...] = ()
    """Medicines given whose interactions are not assessed (unknown to jakplan, or of a class the protocol states
    nothing about), as named to the reader."""
    conflict: bool = False
    """Several adjustments apply with different doses: the prescriber decides how they combine."""
    citations: tuple[Citation, ...] = ()
    """The sources of the reasons behind the dose."""

    def of(self, kind: str) -> list[AdviceItem]:
        return [i for i in self.items if i.kind == kind]

    def lines(self) -> list[str]:
        """The tree as indented lines, for plain-text views that print it as it is."""
        out = [self.headline]
        for item in self.items:
            if item.text:
                out.append(f"  {item.text}")
            out += [f"    {c.text}" for c in item.children]
        return out


def _headline(plan: Plan, d, tags: bool) -> str:
    if d.outcome in OUTCOME_WORDS:
        return f"{OUTCOME_WORDS[d.outcome]}: " + "; ".join(
            f"{r.entry.why} ({cite_short(r.entry.citation, tags)})" for r in d.reasons)
    if d.outcome == "check_label":
        return "Dose: check the current label: " + "; ".join(f"{u.topic}. {u.detail}" for u in d.check_label)
    if d.outcome == "unknown" and any(dl.entry.outcome == "standard" for dl in d.possible):
        return f"Dose: {depends_text(d)}; the label's doses are listed below."
    if d.outcome == "unknown":
        return "Dose: no dose entry of this protocol applies to this patient; check the current label."
    if d.outcome == "check":
        return (f"Dose: {depends_text(d)}. If none of the changes below applies: {d.dose} ("
                + "; ".join(cite_short(r.entry.citation, tags) for r in d.reasons) + ")")
    if d.outcome == "standard":
        return (f"Dose: {d.dose} (" + "; ".join(cite_short(r.entry.citation, tags) for r in d.reasons) + ")"
                + (f"; {unused_text(d)}" if d.unused else ""))
    if d.conflict:
        return ("Dose: several adjustments apply with different doses; the prescriber decides how they combine"
                + (f" (and it may change further: {depends_text(d)})" if d.missing else "") + ":")
    return (f"Dose: {d.dose}: " + "; ".join(f"{r.entry.why}, {cite_short(r.entry.citation, tags)}" for r in d.reasons)
            + (f"; may change further: {depends_text(d)}" if d.missing else (f"; {unused_text(d)}" if d.unused else "")))


def dose_view(plan: Plan, tags: bool = True) -> DoseView | None:
    """The dose for this patient and why, as a tree (see :class:`DoseView`); None without dose advice.

    ``tags`` adds the source tags ([S1]) to the sections cited."""
    d = plan.dose
    if d is None:
        return None
    headline = _headline(plan, d, tags)
    items: list[AdviceItem] = []
    if d.conflict and d.outcome not in OUTCOME_WORDS and d.outcome not in ("check_label", "unknown", "check", "standard"):
        items += [AdviceItem("conflict", f"{r.entry.dose}: {r.entry.why}, {cite_short(r.entry.citation, tags)}")
                  for r in d.reasons]
    if d.unused and "not used by this label" not in headline:
        items.append(AdviceItem("unused", f"{unused_text(d)[0].upper()}{unused_text(d)[1:]}."))
    items += [AdviceItem("derived", line) for line in derived_lines(plan)]  # computed or recorded values used
    items += [AdviceItem("note", n) for n in dict.fromkeys(
        f"{r.entry.why + ': ' if r.entry.why and len(d.reasons) > 1 else ''}{n}" for r in d.reasons for n in r.entry.notes)]
    if d.possible:
        factors = plan.patient.factors if plan.patient else {}
        missing = dict.fromkeys(factor_label(f) for dl in d.possible for f in missing_factors(dl.entry.conditions, factors))
        said = d.missing and "(not given)" in headline  # the headline has just said which factors
        items.append(AdviceItem("would_change", "" if said else f"Would change with {', '.join(missing)} (not given):",
                                tuple(AdviceItem("change", g) for g in _possible_groups(d.possible, tags))))
    for u, _ in d.check_label_possible:
        items.append(AdviceItem("check_label", f"Check the current label ({open_text(u.conditions, plan)}): {u.topic}. {u.detail}"))

    unassessed = tuple(dict.fromkeys([*getattr(d, "unknown_medicines", ()),
                                      *(m for m, _ in getattr(d, "unstated_classes", ()))]))
    return DoseView(headline, d.settled, tuple(items), outcome=d.outcome, dose=d.dose or "",
                    why=tuple(r.entry.why for r in d.reasons if r.entry.why),
                    missing=tuple(f for f in d.missing if not (unassessed and f == "with")),
                    unknown_medicines=tuple(medicine_label(m) for m in unassessed), conflict=bool(d.conflict),
                    citations=tuple(r.entry.citation for r in d.reasons))


def dose_lines(plan: Plan, tags: bool = True) -> list[str]:
    """The dose tree as indented lines (:meth:`DoseView.lines`), for views that print it as it is."""
    view = dose_view(plan, tags)
    return [] if view is None else view.lines()


MAX_FLAGS = 3
"""Up to this many factors not given, the dose headline names the options to give."""


def depends_text(d) -> str:
    """'depends on creatinine clearance: give --crcl (eGFR is not used by this label)' from the dose advice; a
    medicine jakplan does not know is named as not assessed for interactions."""

    table = factor_table()
    unknown = tuple(getattr(d, "unknown_medicines", ()))
    unstated = tuple(getattr(d, "unstated_classes", ()))
    missing = [f for f in d.missing if not ((unknown or unstated) and f == "with")]
    parts = []
    if missing:
        text = f"depends on {', '.join(factor_label(f) for f in missing)} (not given)"
        if len(missing) <= MAX_FLAGS:  # name the options to give (a long list is left to the changes below)
            flags = [table[f].flag + (" (or --age, --weight, --sex and --creatinine to compute it)" if f == "crcl" else "")
                     for f in missing if f in table]
            text += f": give {', '.join(flags)}"
        parts.append(text)
    if unknown:
        parts.append(f"not assessed for interactions with {', '.join(medicine_label(m) for m in unknown)} (a "
                     f"medicine jakplan does not know: check the label's interaction section)")
    if unstated:
        named = "; ".join(f"{medicine_label(m)} ({class_label(c)})" if m != c else class_label(c) for m, c in unstated)
        parts.append(f"not assessed for interactions with {named}: this protocol states nothing about that class "
                     f"(check the label's interaction section)")
    if d.unused:
        parts.append(unused_text(d))
    return "; ".join(parts)


def unused_text(d) -> str:
    names = [factor_label(f) for f in d.unused]
    return f"{' and '.join(names)} {'is' if len(names) == 1 else 'are'} not used by this label"


def silence_title(item: str) -> str:
    """The class requirement's title (class-requirements.toml), or its id if unknown."""

    return next((it.title for it in items() if it.id == item), item.replace("_", " "))


def silence_lines(plan: Plan, tags: bool = True) -> list[str]:
    """One line per class requirement the protocol's source does not address for this plan's indication:
    'Not addressed by the source: Baseline liver enzymes: <why> (<section> [S8])'."""
    return [f"Not addressed by the source: {silence_title(s.item)}: {s.why} ({cite_short(s.citation, tags)})"
            for s in getattr(plan, "silent", ())]


def silence_summary(plan: Plan) -> str:
    """The silences in one line (compact views): 'Not addressed by this protocol's source (3): ...; ...'."""
    silent = getattr(plan, "silent", ())
    if not silent:
        return ""
    names = "; ".join(f"{silence_title(s.item).split(':')[0]} [{s.citation.source.id}]" for s in silent)
    return f"Not addressed by this protocol's source ({len(silent)}, declared silent): {names}."


def silence_dicts(plan: Plan) -> list[dict]:
    """The silences as JSON fields (schedule and status): item, its title, why, and the source that is silent."""
    return [{"item": s.item, "title": silence_title(s.item), "why": s.why, "source": s.citation.as_dict()}
            for s in getattr(plan, "silent", ())]


def derived_lines(plan: Plan) -> list[str]:
    """'creatinine clearance 52.3 mL/min: computed by Cockcroft-Gault ...' for each factor jakplan did not take
    as typed."""
    return [f"{factor_text(dv.name, dv.value)}: {derived_how(dv)}." for dv in plan.derived]


def derived_how(dv) -> str:
    """How a factor jakplan did not take as typed was found (:class:`jakplan.model.Derived`): 'computed by
    Cockcroft-Gault from age 60, weight 70 kg, female, serum creatinine 1.1 mg/dL (Cockcroft DW ...)' or
    'recorded on 2024-06-01; the file's [factors] says 45'."""
    if dv.kind == "computed":
        given = dict(dv.inputs)
        parts = [f"age {given['age']}", f"weight {given['weight']:g} kg", str(given["sex"]),
                 f"serum creatinine {given['creatinine']:g} mg/dL"] if set(given) >= {"age", "weight", "sex",
                                                                               "creatinine"} else \
            [f"{factor_label(k)} {v}" for k, v in dv.inputs]
        return f"computed by Cockcroft-Gault from {', '.join(parts)} ({dv.source})"
    how = f"recorded on {dv.on.isoformat()}" if dv.on else "recorded"
    if dv.before is not None:
        how += f"; the file's [factors] says {dv.before:g}"
    return how


def risk_lines(plan: Plan, tags: bool = True) -> list[str]:
    """Risk notes that apply to the patient; then, in one line, the factors that would add more."""
    levels = vocabulary()["risk_levels"]
    out, ask = [], []
    for rn in plan.risks:
        r = rn.risk
        if rn.open_conditions:
            ask += [factor_label(f) for f in missing_factors(r.conditions, plan.patient.factors if plan.patient else {})]
            continue
        out.append(f"{levels.get(r.level, r.level)}: {r.text} ({cite_short(r.citation, tags)})")
    if ask:
        out.append(f"More risk notes depend on: {', '.join(dict.fromkeys(ask))} (not given).")
    return out


def unverified_lines(plan: Plan) -> list[str]:
    out = []
    for u, open_conds in plan.unverified:
        if u.dose:
            continue  # shown with the dose, where it replaces the figure
        cond = f" ({open_text(u.conditions, plan)})" if open_conds else ""
        out.append(f"Check the current label{cond}: {u.topic}. {u.detail}")
    return out


def open_text(conditions, plan: Plan) -> str:
    """'if eGFR < 60; not given' for the conditions whose factor the patient did not give."""
    factors = plan.patient.factors if plan.patient else {}
    conds = [condition_text(c) for c in conditions if factors.get(c.factor) is None]
    return "if " + " and ".join(conds) + "; not given"


def horizon_text(plan: Plan) -> str:
    """'2025-05-01 (12 months)', or the last day of a fixed course when it ends first."""
    if plan.course_end is not None and plan.course_end < plan.end:
        return f"{plan.course_end.isoformat()} (end of the fixed course)"
    return f"{plan.end.isoformat()} ({plural(plan.months, 'month')})"


def course_line(plan: Plan, tags: bool = True) -> str:
    if plan.course is None or plan.course_end is None:
        return ""
    c = plan.course
    return (f"Fixed course: {c.length.label()}, {plan.start.isoformat()} to {plan.course_end.isoformat()} at the "
            f"latest ({cite_short(c.citation, tags)}); no checks are planned after it.")


def planning_line(plan: Plan) -> str:
    pl = plan.protocol.planning
    return (
        f"Windows: +/- {pl.tolerance.label()} unless the source gives a range; screening opens "
        f"{pl.screening_lead.label()} before the first dose (planning assumptions, not label figures)."
    )


def protocol_file(plan: Plan) -> str:
    """The plan's protocol file (see :func:`protocol_path`)."""
    return protocol_path(plan.protocol)


def protocol_path(protocol: Protocol) -> str:
    """The protocol's file: 'jakplan/data/...' for a shipped one (same on every machine), else as given."""
    path = protocol.path
    root = str(data_path())
    if path.startswith(root):
        return "jakplan/data" + path[len(root):].replace("\\", "/")
    return path


def event_dict(ev: Event) -> dict[str, Any]:
    out = _event_fields(ev)
    if ev.shifted_days and ev.planned is not None:
        out.update(planned=ev.planned.isoformat(), shifted_days=ev.shifted_days)
    if ev.on_hold:
        out["on_hold"] = True
    if ev.nominal is not None:  # a review placed on a visit day inside its window: the day its timing gives
        out["nominal"] = ev.nominal.isoformat()
    return out


def _event_fields(ev: Event) -> dict[str, Any]:
    return {
        "date": ev.date.isoformat(),
        "window_start": ev.window_start.isoformat(),
        "window_end": ev.window_end.isoformat(),
        "kind": ev.kind,
        "rule": ev.rule,
        "title": ev.title,
        "checks": list(ev.checks),
        "source": ev.citation.as_dict(),
        "relative": ev.relative,
        "phase": ev.phase,
        "anchor": ev.anchor,
        "notes": list(ev.notes),
        "patient_notes": list(ev.patient_notes),
        "conditions": open_texts(ev.conditions),
        "origin": ev.origin,
    }


def plan_dict(plan: Plan) -> dict[str, Any]:
    """The JSON contract of ``--format json``: start, drug, indication, protocol, events (+ context)."""
    p = plan.protocol
    return {
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "months": plan.months,
        "drug": plan.drug,
        "indication": plan.indication,
        "protocol": p.id,
        "protocol_detail": {
            "title": p.title,
            "jurisdiction": p.jurisdiction,
            "file": protocol_file(plan),
            "extends": p.extends,
            "borrowed": [{"protocol": i.protocol, "rules": list(i.rules), "why": i.why} for i in p.includes],
            "planning": planning_line(plan),
        },
        "check_current_label": [{"topic": u.topic, "detail": u.detail, "applies_if": open_texts(oc)}
                                for u, oc in plan.unverified],
        "not_applicable": [{"rule": s.rule, "reason": skip_text(s)} for s in plan.skipped],
        "not_addressed_by_source": silence_dicts(plan),
        "events": [event_dict(e) for e in plan.events],
        "disclaimer": DISCLAIMER,
        "protocol_is_default": is_default_protocol(plan),
        "patient": patient_dict(plan),
        "derived_factors": [{"factor": dv.name, "value": dv.value, "kind": dv.kind, "how": derived_how(dv),
                             "source": dv.source, "on": dv.on.isoformat() if dv.on else None} for dv in plan.derived],
        "dose": dose_dict(plan),
        "risk_notes": [
            {"id": rn.risk.id, "level": rn.risk.level, "text": rn.risk.text, "applies_if": open_texts(rn.open_conditions),
             "source": rn.risk.citation.as_dict()}
            for rn in plan.risks
        ],
        "course": None if plan.course is None else {
            "id": plan.course.id, "length": plan.course.length.label(), "text": plan.course.text,
            "last_day": plan.course_end.isoformat() if plan.course_end else None,
            "source": plan.course.citation.as_dict(),
        },
    }


def patient_dict(plan: Plan) -> dict[str, Any]:
    factors = dict(plan.patient.factors) if plan.patient else {}
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in factors.items() if v is not None}


def _dose_line_dict(dl: DoseLine) -> dict[str, Any]:
    e = dl.entry
    return {"id": e.id, "outcome": e.outcome, "dose": e.dose, "why": e.why, "notes": list(e.notes),
            "applies_if": open_texts(dl.open_conditions), "source": e.citation.as_dict()}


def _advice_dict(view: DoseView | None) -> dict[str, Any] | None:
    """The dose tree as JSON: the headline and each item with its kind, text and children."""
    if view is None:
        return None

    def item(i: AdviceItem) -> dict[str, Any]:
        return {"kind": i.kind, "text": i.text, "children": [item(c) for c in i.children]}

    return {"headline": view.headline, "settled": view.settled, "items": [item(i) for i in view.items]}


def dose_dict(plan: Plan) -> dict[str, Any] | None:
    d = plan.dose
    if d is None:
        return None
    return {
        "outcome": d.outcome,
        "dose": d.dose,
        "text": dose_lines(plan)[0],
        "advice": _advice_dict(dose_view(plan)),
        "reasons": [_dose_line_dict(r) for r in d.reasons],
        "conflict": d.conflict,
        "possible": [_dose_line_dict(r) for r in d.possible],
        "check_current_label": [{"topic": u.topic, "detail": u.detail} for u in d.check_label]
        + [{"topic": u.topic, "detail": u.detail, "applies_if": open_texts(oc)} for u, oc in d.check_label_possible],
        "settled": d.settled,
        "depends_on_not_given": list(d.missing),
        "not_used_by_label": list(d.unused),
    }
