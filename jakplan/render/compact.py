"""The compact timeline: one row per visit day, in short words (the default view of ``jakplan schedule``).

Plain text, no rich table: every line is built here as a string (data in, words out), so the view is cheap to
print and easy to test at a given width. What it leaves out (each rule's title, citations, clinician notes,
borrowed-rule reasons) is one ``--details`` away; what it must not leave out (every check due, fasting, the
dose verdict, the risk notes, "check the current label") is here in short form.

    >>> import datetime as dt
    >>> from jakplan.api import plan_for
    >>> lines = compact_lines(plan_for(dt.date(2024, 5, 1)), width=80)
    >>> max(len(ln) for ln in lines) <= 80
    True
"""

from __future__ import annotations

import datetime as dt
import textwrap

from jakplan.catalog.vocab import vocabulary
from jakplan.engine.visits import Visit, every_visit_rules, suggested_day, visits, weekday
from jakplan.model import Event, Plan
from jakplan.render.common import (
    DISCLAIMER,
    course_line,
    dose_view,
    drug_name,
    horizon_text,
    indication_name,
    is_default_protocol,
    phase_titles,
    risk_lines,
    silence_summary,
)
from jakplan.render.words import condition_text

CHECK_KIND_ORDER = ("test", "action", "assess", "ask")
"""How a visit's checks are grouped in one row: tests first, then things to do, to assess, to ask."""

MARK_WORDS = {
    "past": "window closed",
    "open": "window open today",
    "next": "the next visit",
    "overdue": "window closed, not all recorded done",
    "done": "every check recorded done",
    "missed": "not all done, a later check replaces it",
}


def short_check(code: str) -> str:
    """A check in a word or two ('blood count', 'kidney'), from the vocabulary's ``short``."""
    spec = vocabulary()["checks"].get(code, {})
    return spec.get("short") or spec.get("label", code)


def check_kind(code: str) -> str:
    return vocabulary()["checks"].get(code, {}).get("kind", "test")


def note_word(note: str) -> str | None:
    """The word a patient note shortens to ('fasting'), or None when it has none (printed in full)."""
    for opening, word in vocabulary().get("note_words", {}).items():
        if note.startswith(opening):
            return word
    return None


def condition_short(cond) -> str:
    """A condition that could not be checked (factor not given), in short: 'if age > 50'."""

    return f"if {condition_text(cond)}"


def every_visit_line(plan: Plan) -> str:
    """'At every lab visit during treatment: ask about infections, TB symptoms, ...' ('' when none)."""
    ids = every_visit_rules(plan)
    if not ids:
        return ""
    parts: list[str] = []
    seen: dict[str, None] = {}
    for ev in plan.events:
        if ev.rule in ids and ev.rule not in seen:
            seen[ev.rule] = None
            parts.append(_event_words(ev, asks_prefix=True))
    return "At every lab visit during treatment: " + "; ".join(parts) + "."


def _event_words(ev: Event, asks_prefix: bool = False) -> str:
    words = ", ".join(short_check(c) for c in ev.checks)
    if asks_prefix and all(check_kind(c) == "ask" for c in ev.checks):
        words = "ask about " + words
    if ev.conditions:
        words += " (" + "; ".join(condition_short(c) for c in ev.conditions) + ")"
    return words


def visit_words(visit: Visit, skip_rules: tuple[str, ...] = (), note_refs: dict[str, int] | None = None) -> str:
    """Everything due at a visit in short words, grouped by what kind of check it is:

    'blood count, kidney, liver, lipids (fasting); disease activity, response review'.
    Checks of ``skip_rules`` (the every-visit questions, printed once) are left out. A patient note with a short
    word ('fasting') follows its checks; any other note is left to the caller to print in full, and marked
    '(note N)' after its checks when ``note_refs`` numbers it (see :func:`visit_notes`).
    """
    groups: dict[str, dict[str, None]] = {k: {} for k in CHECK_KIND_ORDER}
    for ev in visit.events:
        if ev.rule in skip_rules:
            continue
        suffix = []
        for note in ev.patient_notes:
            word = note_word(note)
            if word:
                suffix.append(word)
            elif note_refs is not None and note in note_refs:
                suffix.append(f"note {note_refs[note]}")
        suffix += [condition_short(c) for c in ev.conditions]
        tail = f" ({'; '.join(suffix)})" if suffix else ""
        for code in ev.checks:
            kind = check_kind(code)
            groups.setdefault(kind, {})
            label = short_check(code)
            # one check due twice (with and without a note): keep the noted form only
            if tail:
                groups[kind].pop(label, None)
                groups[kind][label + tail] = None
            elif not any(k.startswith(label + " (") for k in groups[kind]):
                groups[kind][label] = None
    parts = [("ask about " if kind == "ask" else "") + ", ".join(g) for kind, g in groups.items() if g]
    return "; ".join(parts)


def visit_notes(visit: Visit, skip_rules: tuple[str, ...] = ()) -> list[str]:
    """The visit's patient notes that have no short word (printed in full by the caller), once each."""
    return list(dict.fromkeys(n for ev in visit.events if ev.rule not in skip_rules
                              for n in ev.patient_notes if not note_word(n)))


def note_numbers(all_visits, skip_rules: tuple[str, ...] = ()) -> dict[str, int]:
    """Each patient note without a short word, numbered in order of its first visit (printed under the table)."""
    refs: dict[str, int] = {}
    for v in all_visits:
        for n in visit_notes(v, skip_rules):
            refs.setdefault(n, len(refs) + 1)
    return refs


def window_short(visit: Visit) -> str:
    """'04-03 to 05-01' within the visit's year; a full date for an end in another year."""
    a, b = visit.window_start, visit.window_end
    if a == b:
        return a.isoformat()[5:] if a.year == visit.date.year else a.isoformat()
    fa = a.isoformat()[5:] if a.year == visit.date.year else a.isoformat()
    fb = b.isoformat()[5:] if b.year == visit.date.year else b.isoformat()
    return f"{fa} to {fb}"


def visit_when_short(visit: Visit) -> str:
    return "before start" if visit.before_start else visit.label


class Marks:
    """How each visit stands on ``today``: past, open (window open), next; from a plan file's records also
    overdue, or done (every check of the visit recorded done). (A plain class: a dataclass costs start-up time.)"""

    def __init__(self, today: dt.date, by_date: dict):
        self.today = today
        self.by_date = by_date

    @classmethod
    def on(cls, all_visits: tuple[Visit, ...], today: dt.date, overdue: frozenset = frozenset(),
           done: frozenset = frozenset(), missed: frozenset = frozenset()) -> "Marks":
        marks: dict[dt.date, str] = {}
        next_found = False
        for v in all_visits:
            if v.date in overdue:
                marks[v.date] = "overdue"
            elif v.date in done:
                marks[v.date] = "done"
            elif v.date in missed:
                marks[v.date] = "missed"
            elif v.window_end < today:
                marks[v.date] = "past"
            elif v.window_start <= today:
                marks[v.date] = "open"
            elif not next_found:
                marks[v.date] = "next"
                next_found = True
            if v.window_start > today:
                next_found = True
        return cls(today, marks)


def _wrap(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, width=width, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [""]


def header_lines(plan: Plan) -> list[str]:
    """The short context above the table: plan, protocol, dose, risk notes, every-visit questions."""
    p = plan.protocol
    out = [f"{drug_name(plan)} monitoring plan: {indication_name(plan)}, from {plan.start.isoformat()} (first dose) "
           f"to {horizon_text(plan)}."]
    proto = f"Protocol {p.drug}/{p.id} ({p.title})"
    if is_default_protocol(plan):
        proto += ", the default; choose another with --protocol"
    borrowed = list(dict.fromkeys(inc.protocol for inc in p.includes
                                  if not inc.indications or plan.indication in inc.indications))
    if borrowed:
        proto += f". Some rules come from {', '.join(borrowed)} (--details says why)"
    out.append(proto + ".")
    if course_line(plan, tags=False):
        out.append(course_line(plan, tags=False))
    view = dose_view(plan, tags=False)
    if view is not None:
        out.append(view.headline)
        out += [i.text for i in view.of("derived")]  # a computed or recorded value behind the dose is always labelled
        if plan.dose and plan.dose.conflict:
            out += ["  - " + i.text for i in view.items if i.kind in ("conflict", "unused", "note")]
        change = next((i.text for i in view.of("would_change") if i.text), "")
        if change:
            out.append(change.rstrip(":") + "; see --details.")
    out += risk_lines(plan, tags=False)
    if silence_summary(plan):
        out.append(silence_summary(plan) + " --details says why.")
    ev_line = every_visit_line(plan)
    if ev_line:
        out.append(ev_line)
    n_check = len(plan.unverified)
    more = "each rule with its reasons and sources"
    if n_check:
        more = f"{n_check} point{'s' if n_check != 1 else ''} to check on the current label, " + more
    out.append(f"With --details: {more}.")
    return out


def compact_lines(plan: Plan, width: int = 80, today: dt.date | None = None,
                  overdue: frozenset = frozenset(), done: frozenset = frozenset(),
                  missed: frozenset = frozenset()) -> list[str]:
    """The compact timeline as lines of at most ``width`` characters (a word longer than a column may
    overflow it; none of the shipped words is that long). ``today`` adds a mark to each visit; ``overdue``
    holds the visit days with a check recorded as overdue, ``done`` those with every check recorded done (both
    from a plan file's records)."""
    width = max(width, 40)
    all_visits = visits(plan)
    marks = Marks.on(all_visits, today, overdue, done, missed) if today else None
    out = _top_lines(plan, width, today, marks)
    skip = every_visit_rules(plan)

    rows = [(v, window_short(v), visit_when_short(v)) for v in all_visits]
    cols = _column_widths(rows, marks, width)
    titles = phase_titles(plan)
    note_refs = note_numbers(all_visits, skip)
    out.append("")
    out += _row_lines(["", "Date", "Window", "When"], "Due", cols)
    phase = None
    for v, win, when in rows:
        ph = v.events[0].phase
        if ph != phase:
            phase = ph
            out.append(titles.get(ph, ph))
        mark = marks.by_date.get(v.date, "") if marks else ""
        words = visit_words(v, skip, note_refs)
        better = suggested_day(v)
        if better is not None:  # a weekend date whose window holds a weekday
            words = f"({weekday(v.date)}: or {weekday(better)} {better.isoformat()[5:]}) " + words
        out += _row_lines([mark, f"{v.date.isoformat()} {weekday(v.date)}", win, when], words, cols)
    if note_refs:
        out.append("")
        for note, n in note_refs.items():
            out += _wrap(f"Note {n}: {note}", width, "  ")
    out.append("")
    out += _wrap(DISCLAIMER, width)
    return out


def _top_lines(plan: Plan, width: int, today: dt.date | None, marks: "Marks | None") -> list[str]:
    """The header lines above the table, and the legend of the marks when ``today`` is given."""
    out: list[str] = []
    for ln in header_lines(plan):
        out += _wrap(ln, width, "      " if ln.startswith("  - ") else "  ")
    if marks and today is not None:
        shown = [m for m in ("done", "missed", "past", "open", "next", "overdue") if m in marks.by_date.values()]
        legend = "; ".join(f"{m} = {MARK_WORDS[m]}" for m in shown) or "nothing marked"
        out += _wrap(f"On {today.isoformat()}: {legend}.", width, "  ")
    return out


def _column_widths(rows: list, marks: "Marks | None", width: int) -> tuple[int, int, int, int, bool]:
    """(mark, window, when, due) column widths and whether the due words go on lines of their own."""
    mark_w = max((len(m) for m in marks.by_date.values()), default=0) + 1 if marks else 0
    win_w = max((len(w) for _, w, _ in rows), default=6)
    when_w = min(max((len(w) for _, _, w in rows), default=4), 20)
    fixed = mark_w + 14 + 2 + win_w + 2 + when_w + 2
    due_w = width - fixed
    stacked = due_w < 24
    if stacked:
        due_w = width - 4
    return mark_w, win_w, when_w, due_w, stacked


def _row_lines(cells: list[str], due: str, cols: tuple[int, int, int, int, bool]) -> list[str]:
    """One table row (mark, date, window, when, due words) as lines, in the widths of ``cols``."""
    mark_w, win_w, when_w, due_w, stacked = cols
    first = (f"{cells[0]:<{mark_w}}" if mark_w else "") + f"{cells[1]:<14}  {cells[2]:<{win_w}}  "
    when_lines = _wrap(cells[3], when_w)
    if stacked:
        lines = [(first + cells[3]).rstrip()]
        return lines + ["    " + ln for ln in _wrap(due, due_w)]
    due_lines = _wrap(due, due_w)
    n = max(len(when_lines), len(due_lines))
    lines = []
    for i in range(n):
        w = when_lines[i] if i < len(when_lines) else ""
        d = due_lines[i] if i < len(due_lines) else ""
        lead = first if i == 0 else " " * len(first)
        lines.append(f"{lead}{w:<{when_w}}  {d}".rstrip())
    return lines


def compact_text(plan: Plan, width: int = 80, today: dt.date | None = None,
                 overdue: frozenset = frozenset(), done: frozenset = frozenset(),
                 missed: frozenset = frozenset()) -> str:
    return "\n".join(compact_lines(plan, width, today, overdue, done, missed)) + "\n"
