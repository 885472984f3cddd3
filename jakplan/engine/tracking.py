"""Following a course: what was done, what is due or overdue on a given day, and what comes next.

:func:`track` is pure: (plan, history, today) -> :class:`Status`. :func:`jakplan.api.status_for_record` builds the
plan of a patient record (the one path) and tracks it.

How an item's date is found (``anchor`` in the output):

- ``start``: the fixed grid of the plan, counted from the start date (week 4, week 12, every 3 months ...).
- ``last_done``: for a rule with an ``every`` timing and ``anchor = "last_done"``, once it has been done the
  next date is *last done + interval* (the n-th after it is last done + n x interval, computed from that
  anchor, never by adding the interval again and again).

How a recorded check is matched: it completes the latest open occurrence of its rule whose window had
opened by that day; earlier open occurrences of the rule are marked *missed* (one blood test does not need
repeating to catch up). A check done before any window opened completes the next occurrence (done early).
If a later occurrence of a rule is already due, the earlier overdue one is listed as missed, not overdue.

Pauses (treatment interruptions) use a treatment-time clock, a planning assumption the output states: an
in-treatment check dated on or after the day a pause began moves later by the length of the pause; while a
pause is open, checks from its first day are on hold. Screening before the first dose never moves.
"""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import dataclass, field, replace
from typing import Any

from jakplan.catalog.vocab import vocabulary
from jakplan.engine.labs import CALM, NOT_ASSESSED, Note, beyond_critical, evaluate_labs, lab_signal, severity
from jakplan.engine.plan import build_plan
from jakplan.engine.scores import ResponseVerdict, responses
from jakplan.engine.timing import pause_shift, shift
from jakplan.engine.visits import REVIEW_KINDS
from jakplan.history import Done, History, Pause
from jakplan.model import Citation, Event, Plan, Rule

STATES = ("overdue", "due", "on_hold", "upcoming", "done", "missed", "waived", "not_applicable")
"""An item's state; ``waived`` and ``not_applicable`` are closed by a recorded decision with its reason."""


@dataclass(frozen=True)
class Item:
    """One occurrence of one rule, with its state on the status day."""

    rule: str
    title: str
    kind: str
    occurrence: int
    date: dt.date
    window_start: dt.date
    window_end: dt.date
    relative: str
    anchor: str
    """'start' (fixed grid from the start date) or 'last_done'."""
    anchor_date: dt.date
    citation: Citation
    state: str = "upcoming"
    planned: dt.date | None = None
    """The date on the start grid before a pause moved it (None if not moved)."""
    shifted_days: int = 0
    done_on: dt.date | None = None
    days_late: int = 0
    """Overdue: days since the item's date. Done: days after the window closed (0 if in time)."""
    notes: tuple[Note, ...] = ()
    """Why the item is in its state, as codes (render.words.item_note_text words them): ``superseded`` (day),
    ``early`` (window start), ``late`` (days), how it was counted done when not by hand (:data:`jakplan.history.VIA`:
    ``result`` (the lab files), ``same_kind`` (the other review, its day), ``history`` (file, columns)), ``note`` (the record's own note, as written), ``waived`` (day,
    reason), ``not_applicable`` (day, reason), ``on_hold`` (pause start), ``replaced`` (the next check's date)."""

    @property
    def anchor_text(self) -> str:
        if self.anchor == "last_done":
            return f"last done {self.anchor_date.isoformat()}"
        return f"start {self.anchor_date.isoformat()}"


@dataclass(frozen=True)
class LabAction:
    """A recorded lab value that crossed a protocol threshold, and what the protocol says to do."""

    on: dt.date
    analyte: str
    value: float
    action: str
    current: bool
    """True for the most recent record of this analyte (earlier ones are history)."""
    detail: dict[str, Any] = field(default_factory=dict)
    finding: Any = None
    """The :class:`jakplan.engine.labs.Finding` behind it (renderers word it: render.words.lab_action_text)."""
    confirmed_on: dt.date | None = None
    """For a threshold to confirm on a repeat test: the earlier day a result crossed it too (None: not yet)."""
    answered_on: dt.date | None = None
    """The day the result was answered: by a treatment pause that started on or after it, or by a decision
    recorded on or after it (`record --decision`); None: open."""
    answered_by: str = ""
    """How it was answered: 'pause' or 'decision' ('' while open)."""
    decision: str = ""
    """The decision's text when a decision answered it."""
    signal: Any = None
    """What the laboratory said about a value the protocol could not judge (:class:`jakplan.engine.labs.LabSignal`:
    its flag, its reference range), or None."""

    @property
    def tier(self) -> str:
        """'action' (the value crosses a protocol limit: interrupt, stop, do not start, reduce ...); 'flag' (no
        protocol limit decides it, but the laboratory flagged it abnormal or it is outside the laboratory's
        reference range); 'not_assessed' (no protocol limit, and nothing from the laboratory either). Quiet values
        (within the protocol's limits, or with no protocol limit but within the laboratory's range) never become
        a LabAction. :data:`TIERS` orders them."""
        if self.action != "not_assessed":
            return "action"
        return "flag" if self.signal is not None and self.signal.abnormal else "not_assessed"

    @property
    def open(self) -> bool:
        """An action-tier result still to be answered: the most recent value of its analyte, and no pause since
        (a later value within limits makes it not current; a pause answers it)."""
        return self.tier == "action" and self.current and self.answered_on is None

    @property
    def open_flag(self) -> bool:
        """A flag-tier result still to be seen: the most recent value of its analyte, and no pause since."""
        return self.tier == "flag" and self.current and self.answered_on is None


TIERS = ("action", "flag", "not_assessed")
"""The tiers of a recorded result that is not quiet, most urgent first (see :attr:`LabAction.tier`)."""


@dataclass(frozen=True)
class Status:
    plan: Plan
    today: dt.date
    items: tuple[Item, ...]
    visit_rules: tuple[Rule, ...]
    lab_actions: tuple[LabAction, ...]
    pauses: tuple[Pause, ...]
    unmatched: tuple[tuple[str, dt.date, str], ...]
    """Recorded checks that completed nothing: (rule, day, why: a code of render.words.UNMATCHED)."""
    notes: tuple[Any, ...]
    """About the course as a whole (:class:`jakplan.engine.labs.Note`: pauses, checks counted from the last time done)."""
    responses: tuple[ResponseVerdict, ...] = ()
    """Each response milestone judged on ``today`` (:func:`jakplan.engine.scores.responses`)."""
    planned_pauses: tuple[Pause, ...] = ()
    """Pauses recorded ahead (`pause --from DAY --planned`) that begin after ``today``: every view says they are
    coming; on their first day they are ordinary pauses."""
    decisions: tuple[Any, ...] = ()
    """The decisions recorded up to ``today`` (:class:`jakplan.history.Decision`), oldest first."""

    def by_state(self, state: str) -> list[Item]:
        return [i for i in self.items if i.state == state]

    @property
    def overdue(self) -> list[Item]:
        return self.by_state("overdue")

    @property
    def open_actions(self) -> list[LabAction]:
        """Lab results that cross a protocol limit and are not answered yet, most severe first: what every view
        says first, and why `status` and `next` exit 1."""

        return sorted((a for a in self.lab_actions if a.open), key=lambda a: (-severity(a.action), a.on, a.analyte))

    @property
    def open_flags(self) -> list[LabAction]:
        """Results the protocol gives no limit for that the laboratory flagged (or that are outside its range),
        still current: after the actions, before anything overdue; critical flags first."""
        return sorted((a for a in self.lab_actions if a.open_flag),
                      key=lambda a: (not a.signal.critical, a.on, a.analyte))

    @property
    def not_assessed(self) -> list[str]:
        """The analytes whose latest value no protocol limit and nothing from the laboratory judged (one line per
        patient names them; their values are not listed)."""
        return sorted({a.analyte for a in self.lab_actions if a.current and a.tier == "not_assessed"})

    @property
    def worst(self) -> str:
        """The worst open finding's tier: 'action', 'flag', 'overdue', 'due' or '' (what every summary leads with)."""
        if self.open_actions:
            return "action"
        if self.open_flags:
            return "flag"
        if self.overdue:
            return "overdue"
        return "due" if self.due else ""

    @property
    def due(self) -> list[Item]:
        return self.by_state("due")

    @property
    def done(self) -> list[Item]:
        return sorted(self.by_state("done"), key=lambda i: (i.done_on or i.date, i.rule))

    @property
    def next(self) -> list[Item]:
        """The next upcoming (or on-hold) occurrence of each rule, soonest first."""
        seen: dict[str, Item] = {}
        for i in sorted(self.items, key=lambda i: (i.date, i.rule)):
            if i.state in ("upcoming", "on_hold") and i.rule not in seen:
                seen[i.rule] = i
        return list(seen.values())


def _with(item: "Item", **changes: Any) -> "Item":
    """``dataclasses.replace`` for an :class:`Item` without re-running ``__init__`` (a cohort tracks tens of
    thousands of items; this copy is about ten times faster and gives an equal item)."""
    new = object.__new__(Item)
    new.__dict__.update(item.__dict__)
    new.__dict__.update(changes)
    return new


def _item_from_event(ev: Event, start: dt.date) -> Item:
    """An item from a plan event (its date already moved by any pause, see :func:`jakplan.engine.plan.with_pauses`)."""
    return Item(
        rule=ev.rule, title=ev.title, kind=ev.kind, occurrence=ev.occurrence, date=ev.date,
        window_start=ev.window_start, window_end=ev.window_end, relative=ev.relative, anchor="start",
        anchor_date=start, citation=ev.citation, planned=ev.planned, shifted_days=ev.shifted_days,
    )


def _after_last_done(rule: Rule, plan: Plan, last: dt.date, first_n: int, limit: dt.date,
                     pauses: tuple[Pause, ...]) -> list[Item]:
    """Occurrences of an ``every`` rule counted from the day it was last done: last + k x interval."""
    t = rule.timing
    assert t.every is not None
    tol = plan.protocol.planning.tolerance
    out = []
    k = 1
    while True:
        n = first_n + k
        if t.times is not None and n > t.times:
            break
        base = shift(last, t.every, k)
        if base > limit:
            break
        moved = pause_shift(base, last, pauses)
        delta = dt.timedelta(days=moved)
        day = base + delta
        ws = max(shift(base, tol, -1), last + dt.timedelta(days=1)) + delta
        we = shift(base, tol) + delta
        out.append(Item(
            rule=rule.id, title=rule.title, kind=rule.kind, occurrence=n, date=day, window_start=ws,
            window_end=we, relative=f"{t.every.times(k).label()} after last done", anchor="last_done",
            anchor_date=last, citation=rule.citation, planned=base if moved else None, shifted_days=moved,
        ))
        k += 1
    return out


def _limit(rule: Rule, plan: Plan, pauses: tuple[Pause, ...]) -> dt.date:
    paused = sum((p.end - p.start).days for p in pauses if p.end)
    end = plan.end  # already counts the pauses
    if rule.timing.until is not None:
        end = min(end, shift(plan.start, rule.timing.until) + dt.timedelta(days=paused))
    return end


def _with_results(history: History, tracked: dict[str, Rule], plan: Plan) -> History:
    """The history with each lab rule answered by its results counted as done on the day of the results: a lab
    record dated in a window of the rule and holding at least one result of every test of the rule (vocabulary
    ``analytes`` and ``results``) closes it, noted as done by result with where the results came from. A check
    recorded done on that day is left as recorded; a result outside every window of the rule closes nothing."""

    checks = vocabulary()["checks"]
    recorded = {(d.rule, d.on) for d in history.done}
    extra = []
    for rid, rule in tracked.items():
        needs = [set(checks.get(c, {}).get("analytes", ())) | set(checks.get(c, {}).get("results", ()))
                 for c in rule.checks]
        if rule.kind not in ("lab", "screening") or not needs or not all(needs):
            continue
        windows = [(e.window_start, e.window_end) for e in plan.events if e.rule == rid]
        for rec in history.labs:
            if not any(lo <= rec.on <= hi for lo, hi in windows):
                continue
            if (rid, rec.on) not in recorded and all(n & set(rec.values) for n in needs):
                extra.append(Done(rid, rec.on, via="result", basis=rec.sources))
                recorded.add((rid, rec.on))
    return history.but(done=history.done + tuple(extra)) if extra else history


def _with_scores(history: History, verdicts: tuple[ResponseVerdict, ...]) -> History:
    """The history with each response milestone answered by a recorded score counted as done on that day
    (unless a check of that milestone is recorded already): recording the score is doing the review."""
    recorded = {(d.rule, d.on) for d in history.done}
    extra = tuple(Done(v.rule, v.current.on, via="score", basis=(v.current.score, f"{v.current.value:g}"))
                  for v in verdicts if v.current is not None and (v.rule, v.current.on) not in recorded
                  and not any(d.rule == v.rule and d.on >= v.window_start for d in history.done))
    return history.but(done=history.done + extra) if extra else history


def _with_same_kind(history: History, tracked: dict[str, Rule], plan: Plan) -> History:
    """The history with each review recorded done also closing the reviews of the same kind whose window holds
    that day (both reviews or both milestones, the same checks: a week-24 response review and the NICE month-6
    one, which the plan puts on one visit when their windows allow, see
    :func:`jakplan.engine.visits.merge_reviews`): one consultation answers both, noted as done with the other.
    A review already recorded in that window is left as recorded."""

    kinds = {rid: (r.kind, frozenset(r.checks)) for rid, r in tracked.items() if r.kind in REVIEW_KINDS}
    if len(kinds) < 2 or not history.done:
        return history
    windows: dict[str, list[tuple[dt.date, dt.date]]] = {}
    for e in plan.events:
        if e.rule in kinds:
            windows.setdefault(e.rule, []).append((e.window_start, e.window_end))
    extra: list[Done] = []
    for d in history.done:
        if d.outcome != "done" or d.rule not in kinds or d.via == "same_kind":
            continue
        for rid, key in kinds.items():
            if rid == d.rule or key != kinds[d.rule]:
                continue
            for lo, hi in windows.get(rid, ()):
                if lo <= d.on <= hi and not any(x.rule == rid and lo <= x.on <= hi for x in history.done + tuple(extra)):
                    extra.append(Done(rid, d.on, via="same_kind", basis=(d.rule, d.on.isoformat())))
    return history.but(done=history.done + tuple(extra)) if extra else history


def _sort_done(history: History, tracked: dict, applicable: dict) -> tuple[dict[str, list], list]:
    """Recorded checks by rule, and those that can complete nothing: (rule, day, why)."""
    done_by_rule: dict[str, list] = {}
    unmatched: list[tuple[str, dt.date, str]] = []
    for d in sorted(history.done, key=lambda d: d.on):
        if d.rule in tracked:
            done_by_rule.setdefault(d.rule, []).append(d)
        elif d.rule in applicable:
            unmatched.append((d.rule, d.on, "each_visit"))
        else:
            unmatched.append((d.rule, d.on, "no_such_rule"))
    return done_by_rule, unmatched


def _complete(rule: Rule, plan: Plan, outstanding: list[Item], done: list, closed: tuple,
              unmatched: list) -> tuple[list[Item], list[Item]]:
    """(finished items, items still open) after matching the recorded checks of one rule (see module doc)."""
    finished: list[Item] = []
    for d in done:
        opened = [i for i in outstanding if i.window_start <= d.on]
        if opened:
            target = opened[-1]
            finished += [_with(m, state="missed", notes=(Note("superseded", (d.on,)),)) for m in opened[:-1]]
            notes: tuple[Note, ...] = ()
        elif outstanding:
            target = outstanding[0]
            notes = (Note("early", (target.window_start,)),)
        else:
            unmatched.append((rule.id, d.on, "none_open"))
            continue
        if d.outcome == "not_applicable":
            finished += _closed_by_decision(d, target, outstanding)
            outstanding = []
            continue
        if d.outcome == "waived":
            finished += _closed_by_decision(d, target, outstanding)
        else:
            late = max(0, (d.on - target.window_end).days)
            if late:
                notes = (Note("late", (late,)),)
            if d.via in ("result", "history", "same_kind"):  # say how, and from where
                notes = (Note(d.via, d.basis),) + notes
            if d.note:  # what the person who recorded it wrote
                notes += (Note("note", (d.note,)),)
            finished.append(_with(target, state="done", done_on=d.on, days_late=late, notes=notes))
        outstanding = outstanding[outstanding.index(target) + 1:]
        if rule.anchor == "last_done" and rule.timing.type == "every":
            outstanding = _after_last_done(rule, plan, d.on, target.occurrence, _limit(rule, plan, closed), closed)
    return finished, outstanding


def _closed_by_decision(d, target: Item, outstanding: list[Item]) -> list[Item]:
    """A waiver closes its occurrence; 'not applicable' closes it and every later occurrence of the rule."""
    if d.outcome == "waived":
        return [_with(target, state="waived", done_on=d.on, notes=(Note("waived", (d.on, d.reason)),))]
    rest = outstanding[outstanding.index(target):]
    return [_with(i, state="not_applicable", done_on=d.on, notes=(Note("not_applicable", (d.on, d.reason)),))
            for i in rest]


def _classify(outstanding: list[Item], plan: Plan, open_p: Pause | None, today: dt.date) -> list[Item]:
    """The state of each open item on ``today``; only the latest open occurrence whose window has opened
    counts, earlier ones were missed."""
    out: list[Item] = []
    for i in outstanding:
        if open_p is not None and i.date >= open_p.start and i.date >= plan.start:
            out.append(_with(i, state="on_hold", notes=(Note("on_hold", (open_p.start,)),)))
        elif i.window_end < today:
            out.append(_with(i, state="overdue", days_late=(today - i.date).days))
        elif i.window_start <= today:
            out.append(_with(i, state="due"))
        else:
            out.append(i)
    active = [n for n, i in enumerate(out) if i.state in ("overdue", "due")]
    for n in active[:-1]:
        nxt = out[active[-1]]
        out[n] = _with(out[n], state="missed", days_late=0, notes=(Note("replaced", (nxt.date,)),))
    return out


def track(plan: Plan, history: History, today: dt.date) -> Status:
    """Every occurrence of every applicable rule with its state on ``today`` (pure).

    ``plan`` should reach far enough past ``today`` to show what comes next (see
    :func:`jakplan.api.status_for_record`). Records dated after ``today`` are left out, so a past ``today``
    shows the course as it stood then; the dates count the pauses known on ``today``.
    """
    planned = tuple(p for p in history.pauses if p.start > today)
    restarts = {p.start: p.end for p in history.pauses if p.end is not None and p.start <= today < p.end}
    history = history.as_of(today)
    pauses = history.pauses
    if plan.pauses != pauses and plan.patient is not None:

        plan = build_plan(plan.protocol, plan.patient, plan.start, plan.months, pauses)._replace(identity=plan.identity, derived=plan.derived)
    closed = tuple(p for p in pauses if p.end is not None)
    skipped = {s.rule for s in plan.skipped}
    applicable = {r.id: r for r in plan.protocol.rules if r.id not in skipped}
    tracked = {rid: r for rid, r in applicable.items() if r.timing.type != "each_visit"}
    verdicts = responses(plan, history, today)
    answered = _with_same_kind(_with_results(_with_scores(history, verdicts), tracked, plan), tracked, plan)
    done_by_rule, unmatched = _sort_done(answered, tracked, applicable)
    items: list[Item] = []
    for rid, rule in tracked.items():
        events = sorted((ev for ev in plan.events if ev.rule == rid), key=lambda e: e.occurrence)
        outstanding = [_item_from_event(ev, plan.start) for ev in events]
        finished, outstanding = _complete(rule, plan, outstanding, done_by_rule.get(rid, []), closed, unmatched)
        items += finished + _classify(outstanding, plan, history.open_pause, today)
    items.sort(key=lambda i: (i.date, STATES.index(i.state), i.rule, i.occurrence))
    return Status(
        plan=plan, today=today, items=tuple(items),
        visit_rules=tuple(r for r in applicable.values() if r.timing.type == "each_visit"),
        lab_actions=tuple(_answered(lab_actions(plan, history), pauses, history.decisions)), pauses=pauses,
        unmatched=tuple(unmatched), notes=tuple(_notes(plan, pauses, tracked, restarts)),
        responses=verdicts, planned_pauses=planned,
        decisions=tuple(sorted(history.decisions, key=lambda d: d.on)),
    )


def _notes(plan: Plan, pauses: tuple[Pause, ...], tracked: dict[str, Rule],
           restarts: dict[dt.date, dt.date] | None = None) -> list[Note]:
    """What the status says about the course as a whole, as codes (render.words.status_note_text words them):
    ``paused_until`` (start, reason, planned restart), ``paused`` (start, reason: open), ``paused_closed``
    (start, end, reason, days), ``counted_from_last`` (rule ids)."""
    out = []
    for p in pauses:
        if p.end is None and (restarts or {}).get(p.start):
            out.append(Note("paused_until", (p.start, p.reason, (restarts or {})[p.start])))
        elif p.end is None:
            out.append(Note("paused", (p.start, p.reason)))
        else:
            out.append(Note("paused_closed", (p.start, p.end, p.reason, (p.end - p.start).days)))
    last = tuple(r.id for r in tracked.values() if r.anchor == "last_done")
    if last:
        out.append(Note("counted_from_last", (last,)))
    return out


def _answered(actions: list[LabAction], pauses: tuple[Pause, ...], decisions: tuple = ()) -> list[LabAction]:
    """Each action- or flag-tier result with the day it was answered: by a pause that started on or after it, or
    by a decision recorded on or after it (the earliest of them)."""

    out = []
    for a in actions:
        if a.tier not in ("action", "flag"):
            out.append(a)
            continue
        answers = [(p.start, 0, "pause", "") for p in pauses if p.start >= a.on]
        answers += [(d.on, 1, "decision", d.text) for d in decisions if d.on >= a.on]
        if answers:
            on, _, by, text = min(answers)
            a = replace(a, answered_on=on, answered_by=by, decision=text)
        out.append(a)
    return out


class Course(typing.Protocol):
    """What judging recorded lab values needs of a plan: a :class:`~jakplan.model.Plan`, or the api's ``Course``
    (the same start, protocol and indication, without the plan's dates)."""

    @property
    def start(self) -> dt.date: ...
    @property
    def protocol(self) -> Any: ...
    @property
    def indication(self) -> str: ...


def lab_actions(plan: Course, history: History) -> list[LabAction]:
    """What each recorded lab value means under the protocol's thresholds (:func:`jakplan.engine.labs.evaluate_labs`).

    A record dated before the start is judged by the before-start actions, later ones by the during-treatment
    actions; thresholds that compare with a baseline use the last values recorded before the start date.
    Only values that are not quiet are returned (see :attr:`LabAction.tier`): those that cross a protocol limit,
    and those the protocol gives no limit for (``not_assessed``: never silently fine) unless the laboratory's own
    range or flag says they are normal; a laboratory flag or a value outside its range makes them the flag tier.
    """
    if not history.labs:
        return []

    labs = sorted(history.labs, key=lambda r: (r.on, r.at))  # two results of one day: each judged, in time order
    latest: dict[str, dt.date] = {}
    baseline: dict[str, float] = {}
    for rec in labs:
        for a, v in rec.values.items():
            latest[a] = rec.on
            if rec.on < plan.start and a not in rec.censored:
                baseline[a] = v
    out = []
    crossed_on: dict[str, dt.date] = {}  # threshold id -> the last earlier day a result crossed it
    for rec in labs:
        before = rec.on < plan.start
        report = evaluate_labs(plan.protocol, dict(rec.values), before_start=before,
                               baseline=None if before else baseline, indication=plan.indication,
                               censored=rec.censored)
        for f in report.findings:
            if f.action in CALM:
                continue  # within the protocol's limits: quiet
            signal = None
            if f.action == NOT_ASSESSED:  # no protocol limit decides it: what did the laboratory say?
                censor = rec.censored.get(f.analyte, "")
                signal = beyond_critical(f.analyte, f.value, censor) or lab_signal(
                    f.value, censor, rec.ranges.get(f.analyte), rec.flags.get(f.analyte, ""))
                if signal is not None and not signal.abnormal:
                    continue  # within the laboratory's range (or flagged normal): quiet
            earlier = crossed_on.get(f.threshold.id) if f.threshold is not None and f.threshold.confirm else None
            out.append(LabAction(on=rec.on, analyte=f.analyte, value=f.value, action=f.action,
                                 current=latest.get(f.analyte) == rec.on, detail=f.as_dict(), finding=f,
                                 confirmed_on=earlier, signal=signal))
        for f in report.findings:
            for t in f.crossed:
                crossed_on[t.id] = rec.on
    return out


# -- history brought in: "last done" dates per check ----------------------------------------------------------

HISTORY_PREFIX = "last_"
"""A register's history column: ``last_<check>`` (a check code of vocabulary.toml [checks] or its short name with
underscores, ``last_cbc_diff`` / ``last_blood_count``) or ``last_<rule id>`` of the patient's protocol."""


def history_check(name: str) -> str | None:
    """The check code a history column's name (without ``last_``) stands for: a code ('cbc_diff') or a check's
    short name with spaces as underscores ('blood_count'); None when it names no check."""

    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    checks = vocabulary()["checks"]
    if key in checks:
        return key
    return next((c for c, spec in checks.items() if spec.get("short", "").replace(" ", "_").replace("-", "_") == key),
                None)


def done_from_history(plan: Plan, last: dict[str, dt.date]) -> tuple[list[tuple[str, dt.date, tuple[str, ...]]], list[str]]:
    """The checks of ``plan`` closed by "last done" dates brought in from a clinic's records (pure).

    ``last``: a history column's name without ``last_`` (a check code or short name, or a rule id) -> the day it
    was last done. A rule named by its id takes that day; otherwise a rule whose every check has a day takes the
    earliest of them (the day by which all of it had been done: a partial history never closes a whole rule).
    The day closes, as done on that day (tracking then marks earlier occurrences missed and counts on from it),
    every such rule whose first window had opened by then, one-off ones included: a newer blood count makes an
    older missing one moot for the worklist, and the note says where the day came from. A day before a
    treatment rule's first window counts for nothing (a blood count before the first dose is not the week-4
    bloods); screening before the first dose takes any day. Returns ((rule, day, from which columns), the names
    that close nothing in this plan)."""
    skipped = {s.rule for s in plan.skipped}
    by_check: dict[str, dt.date] = {}
    used: set[str] = set()
    for name, day in last.items():
        code = history_check(name)
        if code is not None:
            by_check[code] = max(day, by_check.get(code, day))
    out: list[tuple[str, dt.date, tuple[str, ...]]] = []
    for rule in plan.protocol.rules:
        if rule.id in skipped or rule.timing.type == "each_visit":
            continue
        events = [e for e in plan.events if e.rule == rule.id]
        if not events:
            continue
        if rule.id in last:
            day = last[rule.id]
            how: tuple[str, ...] = (HISTORY_PREFIX + rule.id,)
        elif rule.checks and all(c in by_check for c in rule.checks):
            day = min(by_check[c] for c in rule.checks)
            how = tuple(HISTORY_PREFIX + c for c in rule.checks)
        else:
            continue
        before_start = min(e.date for e in events) < plan.start
        if not before_start and day < min(e.window_start for e in events):
            continue
        used.update([rule.id] if rule.id in last else [n for n in last if history_check(n) in rule.checks])
        out.append((rule.id, day, how))
    return out, sorted(n for n in last if n not in used)
