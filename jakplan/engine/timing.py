"""Date arithmetic for rule timings (pure functions).

Every occurrence is computed from its anchor, ``anchor + n * interval``, never from the previous
occurrence: adding one month again and again drifts (Jan 31 -> Feb 29 -> Mar 29 ...), see
``calendar-notes.md``. Month and year steps use python-dateutil's ``relativedelta``, which clamps a day that
does not exist to the last day of the month (Jan 31 + 1 month = Feb 29 in 2024) and never raises.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from jakplan.errors import JakplanError
from jakplan.model import Offset, Planning, Timing

_DAYS_PER = {"days": 1, "weeks": 7}


@lru_cache(maxsize=4096)
def _step(unit: str, n: int) -> dt.timedelta | relativedelta:
    """n units as something to add to a date: exact days for days/weeks, a relativedelta for months/years."""
    if unit in _DAYS_PER:
        return dt.timedelta(days=n * _DAYS_PER[unit])
    return relativedelta(**{unit: n})  # type: ignore[arg-type]  # years=/months= keyword, not dt1


def shift(day: dt.date, off: Offset | None, k: int = 1) -> dt.date:
    """``day`` moved by ``k`` times ``off`` (calendar months/years, exact days/weeks)."""
    if off is None or off.n == 0 or k == 0:
        return day
    return day + _step(off.unit, off.n * k)


def relative_label(off: Offset | None) -> str:
    """'week 12', 'month 6', 'day 14', 'year 1'; 'start' for no offset."""
    if off is None or off.n == 0:
        return "start"
    return f"{off.unit[:-1]} {off.n}"


class Occurrence(NamedTuple):
    n: int
    date: dt.date
    window_start: dt.date
    window_end: dt.date
    relative: str


def occurrences(timing: Timing, start: dt.date, end: dt.date, planning: Planning) -> list[Occurrence]:
    """All occurrences of ``timing`` for a plan starting on ``start`` whose date is on or before ``end``.

    ``each_visit`` timings are resolved by the engine (they depend on other rules) and give nothing here.
    The date of an occurrence always lies inside its window, and no in-treatment window opens before
    ``start``.
    """
    tol = planning.tolerance

    def around(n: int, day: dt.date, rel: str, lo: dt.date | None = None, hi: dt.date | None = None) -> Occurrence:
        ws = lo if lo is not None else shift(day, tol, -1)
        we = hi if hi is not None else shift(day, tol)
        ws = max(min(ws, day), start)
        we = max(we, day)
        return Occurrence(n, day, ws, we, rel)

    if timing.type == "before_start":
        lead = timing.lead or planning.screening_lead
        opens = shift(start, lead, -1)
        return [Occurrence(0, opens, opens, start, "before start")]

    if timing.type == "at":
        day = shift(start, timing.at)
        if day > end:
            return []
        lo = shift(start, timing.earliest) if timing.earliest else None
        hi = shift(start, timing.latest) if timing.latest else None
        return [around(0, day, relative_label(timing.at), lo, hi)]

    if timing.type == "every":
        assert timing.every is not None
        anchor = shift(start, timing.start_from)
        limit = min(end, shift(start, timing.until)) if timing.until else end
        out = []
        n = 1
        while timing.times is None or n <= timing.times:
            day = shift(anchor, timing.every, n)
            if day > limit:
                break
            step = timing.every.times(n)
            if timing.start_from and timing.start_from.n:
                rel = f"{relative_label(timing.start_from)} + {step.label()}"
            else:
                rel = relative_label(step)
            out.append(around(n, day, rel))
            n += 1
        return out

    return []


def pause_shift(day: dt.date, since: dt.date, pauses: tuple) -> int:
    """Days a date counted from ``since`` moves for the closed pauses that began on or after ``since``.

    A pause pushes a date when it began on or before the (already pushed) date: treatment-time clock.
    """
    total = 0
    for p in sorted(pauses, key=lambda p: p.start):
        if p.end is None or p.start < since:
            continue
        if p.start <= day + dt.timedelta(days=total):
            total += (p.end - p.start).days
    return total


from jakplan.dates import EARLIEST, LATEST  # noqa: E402  (plans are made for start dates in this range)


def check_range(start: dt.date, months: int) -> None:

    if not EARLIEST <= start <= LATEST:
        raise JakplanError(f"start date {start.isoformat()} is outside the dates jakplan plans for "
                           f"({EARLIEST.isoformat()} to {LATEST.isoformat()})")
