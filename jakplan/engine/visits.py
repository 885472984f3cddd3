"""Visit days: a plan's events grouped by the day they fall on (pure; no I/O, no new dates).

The calendar export and the visit checklist both read the plan through this module, so they show exactly the
days the timeline printed: a visit is nothing more than the engine's events that share a date.

    >>> import datetime as dt
    >>> from jakplan.api import plan_for
    >>> plan = plan_for(dt.date(2024, 5, 1), protocol="nhs-lanarkshire")
    >>> [v.date.isoformat() for v in visits(plan)][:3]
    ['2024-04-03', '2024-05-29', '2024-07-24']
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from jakplan.errors import JakplanError
from jakplan.model import KINDS, Event, Plan


class Visit(NamedTuple):
    """The events of one plan that fall on ``date``, in the engine's order (screening, lab, review, milestone)."""

    date: dt.date
    events: tuple[Event, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        """The kinds due that day, in the canonical order of :data:`jakplan.model.KINDS`."""
        present = {e.kind for e in self.events}
        return tuple(k for k in KINDS if k in present)

    @property
    def window_start(self) -> dt.date:
        """First day on which every check of the visit is inside its own window."""
        return max(e.window_start for e in self.events)

    @property
    def window_end(self) -> dt.date:
        """Last day on which every check of the visit is inside its own window."""
        return min(e.window_end for e in self.events)

    @property
    def before_start(self) -> bool:
        """True for the screening visit(s) before the first dose."""
        return all(e.kind == "screening" for e in self.events)

    @property
    def label(self) -> str:
        """How the timeline names the day: 'week 12', 'week 12 + 3 months', 'before start ...'."""
        return self.events[0].relative

    def checks(self) -> tuple[str, ...]:
        """Every check code due that day, once each, in event order."""
        seen: dict[str, None] = {}
        for ev in self.events:
            for c in ev.checks:
                seen.setdefault(c, None)
        return tuple(seen)


REVIEW_KINDS = ("review", "milestone")
"""Kinds of event that are a conversation with the team, not a test: they join a visit inside their window."""


def same_kind(a: Event, b: Event) -> bool:
    """Two reviews of the same kind: both reviews (or both milestones) asking the same checks, from two rules
    (a week-24 response review and the NICE month-6 one): one consultation answers both."""
    return (a.kind == b.kind and a.kind in REVIEW_KINDS and a.rule != b.rule
            and frozenset(a.checks) == frozenset(b.checks))


def _nearest(days, target: dt.date) -> dt.date:
    return min(days, key=lambda d: (abs((d - target).days), d))


def merge_reviews(events: list[Event], start: dt.date) -> list[Event]:
    """Reviews placed on the visits they can share, never outside their own windows (pure; the one place
    where this happens, so the timeline, calendar, checklist, status and worklist all show one visit).

    1. A review or milestone on or after the first dose whose window holds a lab visit's day is placed on that
       day (the lab day nearest its own date, the earlier of two as near): the bloods and the review are one
       appointment.
    2. Reviews of the same kind (:func:`same_kind`) whose allowed days overlap share one day: the allowed days of
       a review are the lab days inside its window when there are any (rule 1 holds), else its whole window;
       the shared day is the allowed day nearest to the earlier review's date.

    A moved event keeps the date its timing gives in ``nominal``; its window is unchanged. The plan does this on
    the start grid, before pauses move dates (a pause moves a visit's events together)."""
    lab_days = sorted({e.date for e in events if e.kind == "lab" and e.date >= start and not e.on_hold})

    def labs_in(ev: Event) -> list[dt.date]:
        lo = bisect.bisect_left(lab_days, ev.window_start)
        hi = bisect.bisect_right(lab_days, ev.window_end)
        return lab_days[lo:hi]

    out = list(events)
    allowed: dict[int, tuple[dt.date, dt.date, list[dt.date]]] = {}  # index -> (lo, hi, lab days in [lo, hi])
    for n, ev in enumerate(out):
        if ev.kind not in REVIEW_KINDS or ev.date < start or ev.on_hold:
            continue
        inside = labs_in(ev)
        allowed[n] = (ev.window_start, ev.window_end, inside)
        if inside and ev.date not in inside:
            out[n] = ev._replace(date=_nearest(inside, ev.date), nominal=ev.date)
    groups: dict[tuple, list[int]] = {}
    for n in allowed:
        groups.setdefault((out[n].kind, frozenset(out[n].checks)), []).append(n)
    for members in groups.values():
        if len({out[n].rule for n in members}) < 2:
            continue
        members.sort(key=lambda n: (out[n].date, out[n].rule))
        cluster: list[int] = []
        lo = hi = start
        labs: list[dt.date] | None = None
        for n in members + [-1]:
            if n >= 0 and cluster and out[n].rule not in {out[m].rule for m in cluster}:
                nlo, nhi, nlabs = allowed[n]
                jlo, jhi = max(lo, nlo), min(hi, nhi)
                if labs is None and not nlabs:
                    jlabs = None
                else:
                    pool = nlabs if labs is None else [d for d in labs if not nlabs or d in nlabs]
                    jlabs = [d for d in pool if jlo <= d <= jhi]
                if jlo <= jhi and (jlabs is None or jlabs):
                    cluster.append(n)
                    lo, hi, labs = jlo, jhi, jlabs
                    continue
            if len(cluster) > 1:
                first = out[cluster[0]].date
                day = _nearest(labs, first) if labs else min(max(first, lo), hi)
                for m in cluster:
                    ev = out[m]
                    if ev.date != day:
                        out[m] = ev._replace(date=day, nominal=ev.nominal or ev.date)
            if n >= 0:
                cluster = [n]
                lo, hi, nlabs = allowed[n]
                labs = nlabs or None
        # a lab list of None means: no lab day in any member's window (every day of [lo, hi] is allowed)
    return out


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CLINIC_DAYS = (0, 1, 2, 3, 4)
"""The days a clinic sees patients by default (Monday to Friday; ``datetime.weekday`` numbers)."""


def weekday(day: dt.date, short: bool = True) -> str:
    """'Wed' (or 'Wednesday')."""
    name = WEEKDAYS[day.weekday()]
    return name[:3] if short else name


def parse_clinic_days(text: str, where: str = "clinic days") -> tuple[int, ...]:
    """'mon-fri', 'mon,wed,fri', 'tue-thu,sat' -> weekday numbers; anything else is one clear error."""
    names = [d[:3].lower() for d in WEEKDAYS]
    out: set[int] = set()
    for part in str(text).replace(" ", "").lower().split(","):
        a, _, b = part.partition("-")
        if a[:3] not in names or (b and b[:3] not in names) or not a:
            raise JakplanError(f"{where} '{text}': write days as mon, tue, wed, thu, fri, sat, sun, separated by "
                               "commas, or a range such as mon-fri")
        i, j = names.index(a[:3]), names.index(b[:3]) if b else names.index(a[:3])
        out.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
    return tuple(sorted(out))


def suggested_day(visit: "Visit", clinic_days: tuple[int, ...] = CLINIC_DAYS) -> dt.date | None:
    """A clinic day inside the visit's window, nearest its date (the earlier of two as near), when the date
    itself is not a clinic day (a Saturday, say); None when it is one or no day of the window is."""
    if visit.date.weekday() in clinic_days:
        return None
    days = [visit.window_start + dt.timedelta(days=k) for k in range((visit.window_end - visit.window_start).days + 1)]
    ok = [d for d in days if d.weekday() in clinic_days]
    return min(ok, key=lambda d: (abs((d - visit.date).days), d)) if ok else None


def every_visit_rules(plan: Plan) -> tuple[str, ...]:
    """Ids of the rules due at every in-treatment lab visit (timing ``each_visit``) that are in the plan."""
    in_plan = {ev.rule for ev in plan.events}
    return tuple(rule.id for rule in plan.protocol.rules if rule.timing.type == "each_visit" and rule.id in in_plan)


def next_open_visit(st) -> Visit | None:
    """From a plan file's course (:class:`jakplan.engine.tracking.Status`), the next visit with a check still open
    (due or upcoming): checks recorded done are left out, dates moved by a pause are used, and the every-visit
    questions ride on the lab day. None when no check is open."""
    plan = st.plan
    by_key = {(e.rule, e.occurrence): e for e in plan.events}
    open_items = [i for i in st.items if i.state in ("due", "upcoming")]
    if not open_items:
        return None
    day = min(i.date for i in open_items)
    group = [i for i in open_items if i.date == day]
    events = []
    for i in group:
        ev = by_key.get((i.rule, i.occurrence))
        if ev is not None:
            events.append(ev._replace(date=i.date, window_start=i.window_start, window_end=i.window_end))
    days = {i.date for i in group}
    planned = {i.planned: i.date for i in group if i.planned}
    every = set(every_visit_rules(plan))
    for ev in plan.events:
        if ev.rule not in every:
            continue
        if ev.date in days:
            events.append(ev)
        elif ev.date in planned:
            moved = planned[ev.date] - ev.date
            events.append(ev._replace(date=ev.date + moved, window_start=ev.window_start + moved,
                                      window_end=ev.window_end + moved))
    return Visit(day, tuple(events)) if events else None


def visits(plan: Plan) -> tuple[Visit, ...]:
    """The plan's events grouped into visit days, in date order; every event belongs to exactly one visit."""
    days: dict[dt.date, list[Event]] = {}
    for ev in sorted(plan.events, key=lambda e: e.sort_key):
        days.setdefault(ev.date, []).append(ev)
    return tuple(Visit(day, tuple(evs)) for day, evs in sorted(days.items()))


class Lookup(NamedTuple):
    """The answer to "what is due on this day?": the visit, or nothing and the nearest visits around the day."""

    day: dt.date
    visit: Visit | None
    before: Visit | None = None
    after: Visit | None = None
    open_windows: tuple[Visit, ...] = ()
    """Other visits whose window includes ``day`` (their checks could also be done then)."""

    @property
    def exact(self) -> bool:
        """True when the visit is planned on ``day`` itself (not only open then)."""
        return self.visit is not None and self.visit.date == self.day


def plan_first_day(plan: Plan) -> dt.date:
    """The first day anything is planned: screening opens (or the first dose, for a plan without screening)."""
    return min([e.window_start for e in plan.events] + [plan.start])


def lookup(plan: Plan, day: dt.date, option: str = "--on") -> Lookup:
    """The visit whose window holds ``day`` (the visit planned that day, else the open window nearest to it);
    when no window holds the day, ``visit`` is None and the nearest visits before and after it are given.

    A day before screening opens or after the end of the plan is an input error (``JakplanError``):
    nothing could be due then, and the user most likely mistyped the date or needs a longer plan.
    """
    first = plan_first_day(plan)
    if day < first:
        raise JakplanError(
            f"{option} {day.isoformat()} is before screening opens ({first.isoformat()}); nothing is planned that early"
        )
    if day > plan.end:
        raise JakplanError(
            f"{option} {day.isoformat()} is after the end of the plan ({plan.end.isoformat()}); "
            "plan further with --months"
        )
    all_visits = visits(plan)
    before = [v for v in all_visits if v.date < day]
    after = [v for v in all_visits if v.date > day]
    around = (before[-1] if before else None, after[0] if after else None)
    for v in all_visits:
        if v.date == day:
            return Lookup(day, v, *around, tuple(o for o in all_visits if o is not v and o.window_start <= day <= o.window_end))
    open_windows = tuple(v for v in all_visits if v.window_start <= day <= v.window_end)
    if open_windows:
        chosen = min(open_windows, key=lambda v: (abs((v.date - day).days), v.date))
        return Lookup(day, chosen, *around, tuple(v for v in open_windows if v is not chosen))
    return Lookup(day, None, *around, ())


def next_visit(plan: Plan, today: dt.date) -> Visit:
    """The first visit whose window has not closed on ``today`` (an open window counts, even when the
    visit's own day is past); an error if the plan has none left."""
    for v in visits(plan):
        if v.window_end >= today:
            return v
    raise JakplanError(
        f"no visit left on or after {today.isoformat()}: the plan ends {plan.end.isoformat()}; plan further with --months"
    )


def week_day(plan: Plan, week: int) -> dt.date:
    """The day ``week`` weeks after the first dose (week 0 is the day of the first dose)."""
    if week < 0:
        raise JakplanError(f"--week {week}: give a week number of 0 or more (weeks after the first dose)")
    try:
        return plan.start + relativedelta(weeks=week)
    except (OverflowError, ValueError):
        raise JakplanError(f"--week {week} is after the end of the plan ({plan.end.isoformat()})") from None
