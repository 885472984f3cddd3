"""What a lab value means under a protocol (pure): continue, do not start, interrupt (and when to resume),
reduce the dose, stop or discontinue, each with its source.

    >>> from jakplan.catalog.loader import load_protocol
    >>> from jakplan.engine.labs import evaluate_labs
    >>> report = evaluate_labs(load_protocol("baricitinib", "us-label"), {"anc": 0.8, "alc": 0.6, "hb": 9.5})
    >>> report.action, [f.action for f in report.findings]
    ('interrupt', ['interrupt', 'continue', 'continue'])

Values are in the canonical units of vocabulary.toml [analytes] (parse and convert with jakplan.catalog.units).
Thresholds come from the protocol's [[threshold]] entries for the indication: ``below`` / ``above`` a value,
or ``drop`` = a fall from the patient's baseline of more than the value. The most severe action wins, in the
order of vocabulary.toml [actions].

Fail closed: a value for which the protocol gives no limit in that phase and indication (or that crosses no
limit while a fall-from-baseline rule could not be checked for want of a baseline) is ``not_assessed``, which ranks above continue / ok_to_start, so the
overall verdict is never calm while any given value was not assessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from jakplan.catalog.vocab import drug_info, vocabulary
from jakplan.engine.dosing import dose_factors
from jakplan.errors import JakplanError
from jakplan.model import Citation, Protocol, Threshold

CALM = ("continue", "ok_to_start")
"""The verdicts that let treatment go ahead; never given for a value the protocol has no limit for."""
NOT_ASSESSED = "not_assessed"


def severity(action: str) -> int:
    """Position in vocabulary.toml [actions] (mildest first); 'ok_to_start' ranks with 'continue'.

    'not_assessed' ranks above both: a value without a limit can never let the overall verdict be calm."""
    order = list(vocabulary()["actions"])
    if action == "ok_to_start":
        return order.index("continue")
    return order.index(action)


class Note(NamedTuple):
    """A remark on a finding or a report, as a code and its data (the engine words nothing;
    :func:`jakplan.render.words.note_text` does). Codes:

    - ``no_limit`` (drug, protocol id, analytes, before_start, indication): the protocol gives no limit here;
    - ``drop_only`` (): only a fall-from-baseline rule applies and no baseline was given;
    - ``doses_by`` (analyte,): the label doses by this value (see the dose advice);
    - ``no_baseline`` (threshold,): a fall-from-baseline threshold was not checked, no baseline;
    - ``until_baseline`` (): not assessed until the value before treatment is known;
    - ``censored`` (censor, value, thresholds): a censored result cannot decide these thresholds;
    - ``confirm`` (): confirm on a repeat test before acting;
    - ``label`` (text,): the protocol threshold's own note (data, as written in the protocol file);
    - ``no_values`` (): a report with no values; ``not_assessed`` (findings,): what a report could not judge.
    """

    code: str
    args: tuple = ()


def no_limit_note(protocol: Protocol, analyte: str | list[str], before_start: bool, indication: str) -> Note:
    analytes = (analyte,) if isinstance(analyte, str) else tuple(analyte)
    return Note("no_limit", (protocol.drug, protocol.id, analytes, before_start, indication))


def action_label(action: str) -> str:
    return vocabulary()["actions"][action]


@dataclass(frozen=True)
class Finding:
    """One value judged against the protocol's thresholds for its analyte."""

    analyte: str
    value: float
    unit: str
    action: str
    threshold: Threshold | None = None
    """The threshold behind the action (the most severe one crossed), or None."""
    crossed: tuple[Threshold, ...] = ()
    resume: str = ""
    notes: tuple[Note, ...] = ()
    baseline: float | None = None
    unassessed: str = ""
    """Why a not_assessed value was not assessed: 'no_limit' (the protocol gives none for it here) or
    'no_baseline' (a fall-from-baseline rule could not be checked)."""

    @property
    def citation(self) -> Citation | None:
        return self.threshold.citation if self.threshold else None

    def as_dict(self) -> dict[str, Any]:
        t = self.threshold
        return {
            "analyte": self.analyte,
            "label": vocabulary()["analytes"][self.analyte]["label"],
            "value": self.value,
            "unit": self.unit,
            "baseline": self.baseline,
            "action": self.action,
            "action_label": action_label(self.action),
            "threshold": None if t is None else {
                "id": t.id, "rule": t.text(), "comparison": t.comparison, "value": t.value, "confirm": t.confirm,
            },
            "crossed": [x.id for x in self.crossed],
            "resume": self.resume,
            "notes": [n.code for n in self.notes],  # the renderers replace the codes with words
            "not_assessed_because": self.unassessed or None,
            "source": self.citation.as_dict() if self.citation else None,
        }


@dataclass(frozen=True)
class LabReport:
    drug: str
    protocol: str
    indication: str
    before_start: bool
    findings: tuple[Finding, ...]
    action: str
    """The overall verdict: the most severe action of any finding."""
    resume: tuple[str, ...] = ()
    notes: tuple[Note, ...] = field(default_factory=tuple)
    not_assessed: tuple[str, ...] = ()
    """Analytes given for which the protocol has no limit in this phase and indication (never judged calm)."""
    not_given: tuple[str, ...] = ()
    """Analytes the protocol judges in this phase and indication that were not given: the verdict covers only
    what was given, and a calm verdict with one missing is never plain OK (a partial panel)."""

    @property
    def complete(self) -> bool:
        return not self.not_given

    def as_dict(self) -> dict[str, Any]:
        return {
            "drug": self.drug,
            "protocol": self.protocol,
            "indication": self.indication,
            "phase": "before_start" if self.before_start else "during",
            "action": self.action,
            "action_label": action_label(self.action),
            "resume": list(self.resume),
            "notes": [n.code for n in self.notes],  # the renderers replace the codes with words
            "not_assessed": list(self.not_assessed),
            "not_given": list(self.not_given),
            "complete": self.complete,
            "findings": [f.as_dict() for f in self.findings],
        }


def _default_indication(protocol: Protocol) -> str:
    try:
        ind = drug_info(protocol.drug).get("default_indication", "")
    except JakplanError:
        ind = ""
    if protocol.indications and ind not in protocol.indications:
        return protocol.indications[0]
    return ind


def thresholds_for(protocol: Protocol, indication: str | None = None) -> list[Threshold]:
    """The protocol's thresholds that apply to ``indication`` (default: the drug's default indication)."""
    ind = indication or _default_indication(protocol)
    return [t for t in protocol.thresholds if not t.indications or ind in t.indications]


def _crossed(t: Threshold, value: float, baseline: float | None) -> bool:
    if t.comparison == "below":
        return value < t.value
    if t.comparison == "above":
        return value > t.value
    return baseline is not None and baseline - value > t.value


def _decided(t: Threshold, value: float, censor: str, baseline: float | None) -> bool | None:
    """Whether a value crosses ``t``; for a censored value ('>90': above the bound 90) None when the bound
    cannot decide (">90" is above every eGFR step below 90, but cannot say whether it is above 120)."""
    if not censor:
        return _crossed(t, value, baseline)
    above, strict = censor.startswith(">"), len(censor) == 1
    if t.comparison == "below":
        if above:
            return False if value >= t.value else None
        return True if (value <= t.value if strict else value < t.value) else None
    if t.comparison == "above":
        if not above:
            return False if value <= t.value else None
        return True if (value >= t.value if strict else value > t.value) else None
    return None  # a fall from baseline: a censored value cannot say how far it fell


def _checked_indication(protocol: Protocol, values: dict[str, float], baseline: dict[str, float],
                        indication: str | None, vocab: dict) -> str:
    """The indication to judge for, after checking every analyte is known and the protocol covers it."""
    for name in list(values) + list(baseline):
        if name not in vocab:
            raise JakplanError(f"unknown analyte '{name}'; known: {', '.join(sorted(vocab))}")
    ind = indication or _default_indication(protocol)
    if protocol.indications and ind not in protocol.indications:
        raise JakplanError(f"protocol '{protocol.id}' for {protocol.drug} does not cover indication '{ind}'; "
                           f"it covers: {', '.join(protocol.indications)}")
    return ind


def _unchecked_finding(protocol: Protocol, analyte: str, value: float, mine: list[Threshold], notes: list[Note],
                       base: float | None, before_start: bool, ind: str, vocab: dict) -> Finding:
    """Fail closed: no limit (or only a fall-from-baseline rule without a baseline) is not "fine"."""
    notes.insert(0, no_limit_note(protocol, analyte, before_start, ind) if not mine else Note("drop_only"))
    feeds = vocab[analyte].get("factor")
    if feeds and feeds in dose_factors(protocol):
        notes.insert(1, Note("doses_by", (analyte,)))
    return Finding(analyte, value, vocab[analyte]["unit"], NOT_ASSESSED, notes=tuple(notes),
                   baseline=base, unassessed="no_limit" if not mine else "no_baseline")


def _finding(protocol: Protocol, analyte: str, value: float, usable: list[Threshold], base: float | None,
             before_start: bool, ind: str, vocab: dict, censor: str = "") -> Finding:
    """One value judged against the usable thresholds for its analyte."""
    phase = "before_start" if before_start else "during"
    calm = "ok_to_start" if before_start else "continue"
    mine = [t for t in usable if t.analyte == analyte]
    notes: list[Note] = []
    if any(t.comparison == "drop" for t in mine) and base is None:
        notes.append(Note("no_baseline", (next(t for t in mine if t.comparison == "drop"),)))
    checkable = [t for t in mine if t.comparison != "drop" or base is not None]
    if not checkable:
        return _unchecked_finding(protocol, analyte, value, mine, notes, base, before_start, ind, vocab)
    decided = {t.id: _decided(t, value, censor, base) for t in checkable}
    crossed = [t for t in checkable if decided[t.id]]
    open_ = [t for t in checkable if decided[t.id] is None]
    if open_:
        notes.append(Note("censored", (censor, value, tuple(open_))))
    if not crossed and open_:
        return Finding(analyte, value, vocab[analyte]["unit"], NOT_ASSESSED, notes=tuple(notes), baseline=base,
                       unassessed="censored")
    if not crossed:
        # a fall-from-baseline rule left unchecked (no baseline) may still apply: not calm either
        unchecked = len(checkable) < len(mine)
        if unchecked:
            notes.insert(1, Note("until_baseline"))
        return Finding(analyte, value, vocab[analyte]["unit"], NOT_ASSESSED if unchecked else calm,
                       notes=tuple(notes), baseline=base, unassessed="no_baseline" if unchecked else "")
    worst = max(crossed, key=lambda t: severity(getattr(t, phase)))
    action = getattr(worst, phase)
    if worst.confirm:
        notes.append(Note("confirm"))
    notes += [Note("label", (text,)) for text in worst.notes]
    return Finding(
        analyte, value, vocab[analyte]["unit"], action, worst, tuple(crossed),
        resume=worst.resume if action in ("interrupt", "do_not_start") else "", notes=tuple(notes), baseline=base,
    )


def evaluate_labs(
    protocol: Protocol,
    values: dict[str, float],
    before_start: bool = False,
    baseline: dict[str, float] | None = None,
    *,
    indication: str | None = None,
    censored: dict[str, str] | None = None,
) -> LabReport:
    """Judge each value (canonical units) against ``protocol``'s thresholds, before the start or during treatment.

    ``baseline`` holds the patient's pre-treatment values for thresholds that compare with them (a fall in
    haemoglobin of more than 2 g/dL on tofacitinib). Returns one finding per value, in the order given, and
    the overall action with every resume condition.
    """
    vocab = vocabulary()["analytes"]
    baseline = dict(baseline or {})
    ind = _checked_indication(protocol, values, baseline, indication, vocab)
    phase = "before_start" if before_start else "during"
    usable = [t for t in thresholds_for(protocol, ind) if getattr(t, phase)]
    censored = censored or {}
    findings: list[Finding] = [_finding(protocol, analyte, value, usable, baseline.get(analyte), before_start, ind,
                                        vocab, censored.get(analyte, "")) for analyte, value in values.items()]
    overall = max((f.action for f in findings), key=severity, default=NOT_ASSESSED)
    resume = tuple(dict.fromkeys(f.resume for f in findings if f.resume and f.action == overall))
    unassessed = tuple(f.analyte for f in findings if f.action == NOT_ASSESSED)
    notes: tuple[Note, ...] = ()
    if not values:
        notes = (Note("no_values"),)
    elif unassessed and overall != NOT_ASSESSED:
        notes = (Note("not_assessed", (tuple(findings),)),)
    # a fall-from-baseline rule judges an analyte too, but only with a baseline; a value alone is what is asked
    judged = dict.fromkeys(t.analyte for t in usable if t.comparison != "drop")
    not_given = tuple(a for a in judged if a not in values)
    return LabReport(protocol.drug, protocol.id, ind, before_start, tuple(findings), overall, resume, notes,
                     not_assessed=unassessed, not_given=not_given)


def analyte_name(analyte: str) -> str:
    """The short name used in sentences ('neutrophils', 'ALT/AST')."""
    spec = vocabulary()["analytes"][analyte]
    return spec.get("name", spec["label"])


# -- what the laboratory said: the flag tier ------------------------------------------------------------------

@dataclass(frozen=True)
class LabSignal:
    """What the laboratory itself said about one value: its abnormal flag and where the value falls in its
    reference range (from the lab file: HL7 OBX-7/OBX-8, FHIR referenceRange/interpretation, CSV columns)."""

    side: str
    """'low', 'high', 'abnormal' (flagged, no side) or 'normal' (flagged normal, or within the range)."""
    flag: str = ""
    """The laboratory's flag as sent ('L', 'HH' ...; '' when only the range was given)."""
    critical: bool = False
    """The laboratory's critical (panic) flag."""
    low: float | None = None
    high: float | None = None
    """The reference range in the canonical unit, when given."""
    known: bool = True
    """False for a flag not in vocabulary.toml [lab_flags] (kept as sent, counted as abnormal: fail closed)."""
    shipped: Any = None
    """The shipped critical limit the value is beyond (:class:`CriticalLimit`), when that is what flags it."""

    @property
    def abnormal(self) -> bool:
        return self.side != "normal"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"side": self.side, "flag": self.flag or None, "critical": self.critical,
               "reference_range": None if self.low is None and self.high is None else [self.low, self.high]}
        if self.shipped is not None:
            out["critical_limit"] = {"below" if self.shipped.below else "above": self.shipped.value,
                                     "source": self.shipped.source, "section": self.shipped.section}
        return out


@dataclass(frozen=True)
class CriticalLimit:
    """A critical limit jakplan ships as data (vocabulary.toml [analytes] ``critical``, cited): a value beyond it
    is flagged when no protocol limit decides it, whatever the laboratory sent."""

    analyte: str
    value: float
    below: bool
    source: str
    section: str


def critical_limit(analyte: str) -> CriticalLimit | None:
    spec = vocabulary()["analytes"].get(analyte, {}).get("critical")
    if not spec:
        return None
    below = "below" in spec
    return CriticalLimit(analyte, float(spec["below" if below else "above"]), below, spec["source"], spec["section"])


def beyond_critical(analyte: str, value: float, censor: str = "") -> LabSignal | None:
    """A flag-tier signal when ``value`` is beyond the analyte's shipped critical limit (a censored value only
    when its bound is: '<0.2' is below 0.5, '>0.2' is not known to be)."""
    lim = critical_limit(analyte)
    if lim is None:
        return None
    if lim.below:
        hit = value < lim.value and not censor.startswith(">") or (censor.startswith("<") and value <= lim.value)
    else:
        hit = value > lim.value and not censor.startswith("<") or (censor.startswith(">") and value >= lim.value)
    if not hit:
        return None
    return LabSignal("low" if lim.below else "high", "", True, shipped=lim)


def flag_code(text: str) -> str | None:
    """The code of vocabulary.toml [lab_flags] a flag as sent stands for ('low', 'L', 'l' -> 'L'); None when the
    table does not know it (the caller keeps it as sent)."""
    t = " ".join(str(text).split())
    table = vocabulary().get("lab_flags", {})
    if t in table:
        return t
    low = t.lower()
    for code, spec in table.items():
        if low == code.lower() or low in spec.get("words", ()):
            return code
    return None


def lab_signal(value: float, censor: str = "", ref: tuple[float | None, float | None] | None = None,
               flag: str = "") -> LabSignal | None:
    """What the laboratory's flag and reference range say about ``value`` (canonical unit); None when the lab
    file gave neither. The flag wins over the range (the laboratory knows its own range best); a value outside
    the range is low or high; a censored value ('<5') outside only when its bound says so."""
    low, high = ref if ref is not None else (None, None)
    if flag:
        code = flag_code(flag)
        if code is None:
            return LabSignal("abnormal", flag, False, low, high, known=False)
        spec = vocabulary()["lab_flags"][code]
        return LabSignal(spec["side"], code, bool(spec.get("critical", False)), low, high)
    if low is None and high is None:
        return None
    below = low is not None and (value < low if not censor.startswith(">") else False)
    above = high is not None and (value > high if not censor.startswith("<") else False)
    if censor.startswith("<") and low is not None and value <= low:
        below = True  # '<5' with a range from 10: below it whatever the true value
    if censor.startswith(">") and high is not None and value >= high:
        above = True
    return LabSignal("low" if below else "high" if above else "normal", "", False, low, high)
