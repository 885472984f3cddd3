"""The plan as an iCalendar file (RFC 5545), written with the ``icalendar`` package: one all-day event per visit day.

Design, section by section of RFC 5545:

- One VEVENT per visit day (:func:`jakplan.engine.visits.visits`), never an RRULE (3.8.5.3): a rule such as
  ``FREQ=MONTHLY;INTERVAL=3`` started on the 31st skips the months that have no 31st (3.3.10), while the engine
  clamps to the month's last day. Dated events show exactly the days the timeline printed.
- DTSTART is a DATE value (3.8.2.4, 3.3.4) and DTEND the next day, exclusive (3.8.2.2, 3.6.1): an all-day event
  with no time zone, so nobody east or west of UTC sees it on the wrong day.
- UID (3.8.4.7) is derived from the plan, not from a random number or the clock: the drug, indication and
  protocol (and an optional ``namespace``, e.g. a patient id), plus the rule and occurrence number of the
  visit's first check, never its date. Exporting the same plan again gives the same UIDs, so a calendar that
  re-imports the file updates its events instead of duplicating them; when the first dose moves (screening came
  back late), every visit keeps its UID and moves in place.
- DTSTAMP (3.8.7.2) is required. In an object without METHOD (this file has none: it is published, not an iTIP
  message) it means when the information was last revised, so by default it is the export time in UTC, which
  tells a calendar that re-imports the file that its content is current. For byte-identical output pass
  ``dtstamp`` or set ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention); the examples do.
- SEQUENCE (3.8.7.4) is 0 when a calendar component is created. When the earlier export is known (the file
  being replaced: `export --force`, a register's `cohort export`), an event whose content changed gets the
  earlier SEQUENCE plus one, so clients that honour it take the new text; an event of the earlier file that no
  longer exists is written again with STATUS:CANCELLED (3.8.1.11) and a higher SEQUENCE, so it is withdrawn
  rather than left behind.
- PRODID and VERSION (3.7.3, 3.7.4) come from ``Calendar.new``; the calendar has its own stable UID and NAME
  (RFC 7986 5.3, 5.1).
- CATEGORIES (3.8.1.2) carry the kinds due that day (screening, lab, review, milestone); DESCRIPTION (3.8.1.5)
  the window, the items, patient-facing notes and the sources; TRANSP is TRANSPARENT (3.8.2.7): a reminder of a
  visit does not block the day.
- A reminder is a VALARM with ACTION:DISPLAY and the DESCRIPTION the RFC requires for it (3.6.6); its TRIGGER is
  relative to the start of the all-day event, that is local midnight (``-PT15H`` fires at 09:00 the day before).
  Some calendar services ignore alarms in imported files, so reminders are best effort.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Any

from jakplan import __version__
from jakplan.catalog.vocab import vocabulary
from jakplan.engine.visits import CLINIC_DAYS, Visit, suggested_day, visits, weekday
from jakplan.errors import JakplanError
from jakplan.escape import strip_controls
from jakplan.model import Plan
from jakplan.render.common import (
    DISCLAIMER,
    check_label,
    drug_name,
    indication_name,
    silence_summary,
    window_text,
)
from jakplan.render.compact import check_kind, every_visit_rules, note_word, short_check
from jakplan.render.words import cite_full, open_texts

PRODID = f"-//jakplan//jakplan {__version__}//EN"


def plan_key(plan: Plan, namespace: str = "") -> str:
    """What identifies a plan for UIDs: namespace, drug, indication and protocol (not the first-dose date, so
    that moving the start moves the events instead of duplicating them)."""
    return "|".join(["jakplan-2", namespace, plan.drug, plan.indication, plan.protocol.drug, plan.protocol.id])


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def visit_uid(plan: Plan, visit: Visit, namespace: str = "") -> str:
    """The stable UID of one visit day (RFC 5545 3.8.4.7): a hash of the plan's identity and the rule and
    occurrence of the visit's first check (screening: the before-start visit)."""
    first = min((e.rule, e.occurrence) for e in visit.events)
    return f"{_digest(plan_key(plan, namespace) + '|' + first[0] + '|' + str(first[1]))}@jakplan"


def _previous_events(previous: bytes | None) -> dict[str, tuple[int, tuple, Any]]:
    """UID -> (SEQUENCE, content, the VEVENT) of an earlier export of this calendar (empty if unknown or not
    a calendar jakplan can read)."""
    if not previous:
        return {}
    from icalendar import Calendar

    try:
        cal = Calendar.from_ical(previous)
    except (ValueError, IndexError, KeyError):
        return {}
    out = {}
    for ev in cal.walk("VEVENT"):
        uid = str(ev.get("UID", ""))
        if uid:
            out[uid] = (int(ev.get("SEQUENCE", 0)), _content(ev), ev)
    return out


def _content(ev) -> tuple:
    """What a revision changes: the day, the title, the text and the status."""
    start = ev.get("DTSTART")
    return (start.dt if start is not None else None, str(ev.get("SUMMARY", "")), str(ev.get("DESCRIPTION", "")),
            str(ev.get("STATUS", "")))


def _revise(events: list, previous: dict, stamp: dt.datetime) -> list:
    """Each event with its SEQUENCE (the earlier one, plus one if its content changed), and the earlier events
    that no longer exist, cancelled with a higher SEQUENCE (RFC 5545 3.8.1.11, 3.8.7.4)."""
    from icalendar import Event

    if not previous:
        return events
    uids = set()
    for ev in events:
        uid = str(ev["UID"])
        uids.add(uid)
        if uid in previous:
            seq, content, _ = previous[uid]
            ev["SEQUENCE"] = seq + 1 if content != _content(ev) else seq
    for uid, (seq, _content_before, old) in previous.items():
        if uid in uids:
            continue
        gone = Event.from_ical(old.to_ical())
        if str(gone.get("STATUS", "")) != "CANCELLED":
            gone["STATUS"] = "CANCELLED"
            gone["SEQUENCE"] = seq + 1
            gone.pop("DTSTAMP", None)
            gone.add("DTSTAMP", stamp)
        events.append(gone)
    return events


def calendar_uid(plan: Plan, namespace: str = "") -> str:
    """The stable UID of the calendar itself (RFC 7986 5.3)."""
    return f"{_digest(plan_key(plan, namespace) + '|calendar')}@jakplan"


def default_dtstamp() -> dt.datetime:
    """DTSTAMP for an export (RFC 5545 3.8.7.2): ``SOURCE_DATE_EPOCH`` when set, else now, in UTC, whole seconds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise JakplanError(f"SOURCE_DATE_EPOCH '{epoch}' is not a Unix time in seconds") from None
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _short_words(visit: Visit, kinds: tuple[str, ...], skip: tuple[str, ...] = ()) -> list[str]:
    """The visit's checks of these check kinds in a word or two each ('blood count', 'kidney'), once each."""

    seen: dict[str, None] = {}
    for ev in visit.events:
        if ev.rule in skip:
            continue
        for c in ev.checks:
            if check_kind(c) in kinds:
                seen.setdefault(short_check(c), None)
    return list(seen)


def summary(plan: Plan, visit: Visit) -> str:
    """The event's title in a patient's words, what happens first and when last: 'Blood test: blood count,
    kidney, liver (week 12)', 'Blood test (fasting) and review: ...', 'Review: disease activity, response review
    (month 6)', 'Before the first dose: ... (by 2024-05-01)'. A phone that shows 20 characters shows what it is."""

    checks = vocabulary()["checks"]
    skip = every_visit_rules(plan)  # the questions asked at every visit are in the description, not the title
    tests = [c for ev in visit.events if ev.rule not in skip for c in ev.checks if checks.get(c, {}).get("kind", "test") == "test"]
    fasting = any(note_word(n) == "fasting" for ev in visit.events for n in ev.patient_notes)
    if visit.before_start:
        what = _short_words(visit, ("test", "action", "assess"), skip)
        return f"Before the first dose: {', '.join(what)} (by {plan.start.isoformat()}, the first dose)"
    review = any(ev.kind in ("review", "milestone") for ev in visit.events if ev.rule not in skip)
    if tests:
        lead = "Blood test" if all(checks.get(c, {}).get("sample") == "blood" for c in tests) else "Tests"
        lead += " (fasting)" if fasting else ""
        lead += " and review" if review else ""
        what = _short_words(visit, ("test",), skip)
    else:
        lead = "Review" if review else "Visit"
        what = _short_words(visit, ("assess", "action", "test"), skip) or _short_words(visit, ("ask",))
    return f"{lead}: {', '.join(what)} ({visit.label})"


def description(plan: Plan, visit: Visit, recorded: dict | None = None,
                clinic_days: tuple[int, ...] = CLINIC_DAYS) -> str:
    """The event's text: context, the day (its weekday, a clinic day in the window when it is not one, the
    first-dose deadline of screening), window, each item with its checks and notes (and what was recorded for
    it, ``recorded``: (rule, occurrence) -> text), the sources, the disclaimer."""
    lines = [
        f"{drug_name(plan)} for {indication_name(plan).lower()}, protocol {plan.protocol.drug}/{plan.protocol.id}; "
        f"first dose {plan.start.isoformat()}.",
        f"Visit: {visit.label}, {weekday(visit.date, False)} {visit.date.isoformat()}.",
        f"Window: {visit.window_start.isoformat()} to {visit.window_end.isoformat()}"
        if visit.window_start != visit.window_end
        else f"Window: {visit.window_start.isoformat()}",
        *([f"Deadline: by the first dose, {weekday(plan.start, False)} {plan.start.isoformat()}."]
          if visit.before_start else []),
        *([f"{weekday(visit.date, False)} is not a clinic day: {weekday(better, False)} {better.isoformat()} is in "
           "the window too."] if (better := suggested_day(visit, clinic_days)) is not None else []),
        "",
        "Due:",
    ]
    prep: list[str] = []
    for ev in visit.events:
        head = f"- {ev.title} [{ev.citation.source.id}]"
        if (ev.window_start, ev.window_end) != (visit.window_start, visit.window_end):
            head += f" (its window: {window_text(ev)})"
        lines.append(head)
        lines.append("  " + "; ".join(check_label(c) for c in ev.checks))
        if recorded and (ev.rule, ev.occurrence) in recorded:
            lines.append(f"  Recorded: {recorded[(ev.rule, ev.occurrence)]}")
        for cond in open_texts(ev.conditions):
            lines.append(f"  ({cond})")
        for note in ev.patient_notes:
            lines.append(f"  ! {note}")
            if note not in prep:
                prep.append(note)
    if prep:
        lines += ["", "Before the visit:"] + [f"- {n}" for n in prep]
    if silence_summary(plan):  # what the protocol's source does not address (issue 17 item 5), in one line
        lines += ["", silence_summary(plan)]
    lines += ["", "Sources:"]
    seen: set[str] = set()
    for c in [ev.citation for ev in visit.events] + [s.citation for s in plan.silent]:
        cite = cite_full(c)
        if cite not in seen:
            seen.add(cite)
            lines.append(f"- {cite}")
    lines += ["", DISCLAIMER]
    return "\n".join(lines)


def _checked_stamp(plan: Plan, remind: dt.timedelta | None, dtstamp: dt.datetime | None) -> dt.datetime:
    """The DTSTAMP in UTC, after checking the reminder is not negative and the plan has events."""
    if remind is not None and remind < dt.timedelta(0):
        raise JakplanError("a reminder is given as a time before the visit, so it cannot be negative")
    if not plan.events:
        # RFC 5545 3.6: a calendar holds at least one component; an empty file would be refused on import
        raise JakplanError("nothing to export: the plan has no events in this period")
    stamp = dtstamp or default_dtstamp()
    if stamp.tzinfo is None:
        raise JakplanError("DTSTAMP must be a UTC date-time (RFC 5545 3.8.7.2)")
    return stamp.astimezone(dt.timezone.utc)


def _visit_event(plan: Plan, visit: Visit, stamp: dt.datetime, remind: dt.timedelta | None, namespace: str,
                 title_prefix: str, recorded: dict | None, clinic_days: tuple[int, ...] = CLINIC_DAYS):
    """One visit as an all-day VEVENT, with a display alarm ``remind`` before it when asked."""
    from icalendar import Alarm, Event
    from icalendar.enums import TRANSP

    title = summary(plan, visit)
    if title_prefix.strip():
        title = f"{title_prefix.strip()}: {title}"
    ev = Event.new(
        uid=visit_uid(plan, visit, namespace),
        stamp=stamp,
        start=visit.date,
        end=visit.date + dt.timedelta(days=1),
        summary=strip_controls(title, keep_newlines=False),
        description=strip_controls(description(plan, visit, recorded, clinic_days)),
        categories=list(visit.kinds),
        sequence=0,
        transparency=TRANSP.TRANSPARENT,
    )
    if remind is not None:
        prep = [n for e in visit.events for n in e.patient_notes]
        text = f"Reminder: {title} on {visit.date.isoformat()}."
        if prep:
            text += " " + " ".join(dict.fromkeys(prep))
        alarm = Alarm.new(description=strip_controls(text, keep_newlines=False))
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -remind)
        ev.add_component(alarm)
    return ev


def calendar(
    plan: Plan,
    remind: dt.timedelta | None = None,
    *,
    dtstamp: dt.datetime | None = None,
    namespace: str = "",
    title_prefix: str = "",
    calendar_name: str = "",
    recorded: dict | None = None,
    previous: bytes | None = None,
    clinic_days: tuple[int, ...] = CLINIC_DAYS,
):
    """The plan as an ``icalendar.Calendar`` (see the module docstring for the RFC 5545 choices).

    ``title_prefix`` starts every event's title ("Anna E.: Baricitinib week 12 ..."): calendars are often
    shared, so the patient's name goes into events only when asked. ``calendar_name`` is put before the
    calendar's own name (NAME / X-WR-CALNAME), e.g. the patient's name or identifier in a cohort export.
    ``recorded`` ((rule, occurrence) -> text, from a plan file's history) adds what was recorded to each item.
    ``previous``: the bytes of the earlier export this file replaces, when known (SEQUENCE and cancellations).
    ``clinic_days``: the weekdays the clinic sees patients (a visit on another day names one in its window)."""
    from icalendar import Calendar

    stamp = _checked_stamp(plan, remind, dtstamp)
    events = [_visit_event(plan, visit, stamp, remind, namespace, title_prefix, recorded, clinic_days)
              for visit in visits(plan)]
    events = _revise(events, _previous_events(previous), stamp)
    cal = Calendar.new(
        prodid=PRODID,
        uid=calendar_uid(plan, namespace),
        name=strip_controls((f"{calendar_name.strip()}: " if calendar_name.strip() else "")
                            + f"{drug_name(plan)} monitoring plan from {plan.start.isoformat()}", keep_newlines=False),
        description=strip_controls(f"{drug_name(plan)} for {indication_name(plan).lower()}, protocol "
        f"{plan.protocol.drug}/{plan.protocol.id}, first dose {plan.start.isoformat()}. {DISCLAIMER}"),
        subcomponents=events,
    )
    cal.validate()
    return cal


def calendar_bytes(
    plan: Plan,
    remind: dt.timedelta | None = None,
    *,
    dtstamp: dt.datetime | None = None,
    namespace: str = "",
    title_prefix: str = "",
    calendar_name: str = "",
    recorded: dict | None = None,
    previous: bytes | None = None,
    clinic_days: tuple[int, ...] = CLINIC_DAYS,
) -> bytes:
    """The plan as the bytes of an .ics file (RFC 5545), one all-day event per visit day.

    ``remind`` adds a VALARM that long before the start of each visit day (local midnight); None for no alarm.
    ``dtstamp`` fixes DTSTAMP (default: ``SOURCE_DATE_EPOCH`` or now); ``namespace`` separates the UIDs of
    plans that would otherwise be identical (e.g. two patients with the same drug, protocol and start date in
    one clinic calendar).
    """
    return calendar(plan, remind, dtstamp=dtstamp, namespace=namespace, title_prefix=title_prefix,
                    calendar_name=calendar_name, recorded=recorded, previous=previous,
                    clinic_days=clinic_days).to_ical()


def identity_label(plan: Plan) -> str:
    """'Anna Example (MRN 123)', 'Anna Example' or 'MRN 123' from the plan's patient identity ('' if none)."""
    ident = getattr(plan, "identity", None)
    if not ident:
        return ""
    name, number = getattr(ident, "name", "") or "", getattr(ident, "identifier", "") or ""
    return f"{name} ({number})" if name and number else (name or number)
