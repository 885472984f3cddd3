"""The one parser for dates a person types (``--start``, ``--on``, ``--today``, CSV cells ...).

Accepted: ISO 8601 calendar dates, with or without zero padding (``2024-05-01``, ``2024-5-1``; ``/`` works as
the separator too when the year comes first). Refused, with a hint: a day/month form such as ``01/05/2024``,
which is 1 May in most of the world and 5 January in the US; the error names both readings (or the one
reading, when only one is a date) and asks for YYYY-MM-DD. A refused date is never guessed.

    >>> parse_user_date("2024-5-1", "--start")
    datetime.date(2024, 5, 1)
"""

from __future__ import annotations

import datetime as dt
import os
import re

from jakplan.errors import JakplanError

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9000, 12, 31)
"""The dates jakplan works with: every date a person types must fall in this range (a plan made in it keeps its
screening before the start and every check up to 10 years after it representable)."""

_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")


def plural(n: int, noun: str, nouns: str = "") -> str:
    """'1 day', '3 days', '0 days' ('nouns': an irregular plural)."""
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"


def clock_today() -> dt.date:
    """Today, for a plan that rolls with the calendar: the UTC day of ``SOURCE_DATE_EPOCH`` when it is set (the
    reproducible-builds convention the .ics DTSTAMP follows too, so samples do not change with the day they are
    made), else the local date."""

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
        except (OverflowError, OSError, ValueError):
            pass
    return dt.date.today()


def _real(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_user_date(value: str, option: str = "date") -> dt.date:
    """A calendar date typed by a person; anything else raises JakplanError naming ``option`` and the value."""
    text = str(value).strip()
    m = _ISO.match(text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        try:
            day = dt.date(y, mo, d)
        except ValueError as exc:
            raise JakplanError(f"{option} '{value}' is not a real calendar date ({exc})") from None
        if not EARLIEST <= day <= LATEST:
            raise JakplanError(f"{option} '{value}' is outside the dates jakplan works with "
                               f"({EARLIEST.isoformat()} to {LATEST.isoformat()})")
        return day
    m = _DAY_MONTH.match(text)
    if m:
        a, b, y = (int(g) for g in m.groups())
        if len(m.group(3)) == 2:
            raise JakplanError(f"{option} '{value}': a two-digit year is ambiguous; write the date as YYYY-MM-DD")
        dm, md = _real(y, b, a), _real(y, a, b)
        readings = []
        if dm:
            readings.append(f"{dm.isoformat()} (day/month)")
        if md and md != dm:
            readings.append(f"{md.isoformat()} (month/day)")
        if len(readings) == 2:
            raise JakplanError(f"{option} '{value}' is ambiguous: it could be {readings[0]} or {readings[1]}; "
                               "write it as YYYY-MM-DD")
        if readings:
            raise JakplanError(f"{option} '{value}': write it as YYYY-MM-DD ({readings[0].split(' ')[0]}?)")
        raise JakplanError(f"{option} '{value}' is not a real calendar date; write it as YYYY-MM-DD")
    raise JakplanError(f"{option} '{value}' is not a date; write it as YYYY-MM-DD, e.g. 2024-05-01")
