"""Plan files: a patient profile plus the history of what was done, measured and paused (TOML).

A plan file is a profile (see :mod:`jakplan.records.profile`) with three history tables, so every command that
takes ``--profile`` also takes a plan file::

    jakplan = 1
    drug = "baricitinib"
    indication = "ra"
    protocol = "us-label"
    start = 2024-05-01
    months = 12

    [factors]
    age = 58

    [[done]]                    # a check that was done: the rule id and the day
    rule = "lipids_week12"
    on = 2024-07-29

    [[lab]]                     # lab values measured on one day, in the vocabulary's canonical units
    on = 2024-07-29
    anc = 1.8
    alc = 0.9

    [[pause]]                   # a treatment interruption; `to` is the day treatment resumed
    from = 2024-09-02
    to = 2024-09-23
    reason = "herpes zoster"

Safety: reads use ``tomllib`` and validate everything (a malformed or newer-format file is refused with one
line naming the file and the entry, and is left untouched). Changes go through :func:`edit_planfile`, which
holds an exclusive lock (``fcntl.flock`` on a hidden ``.<name>.lock`` file beside the plan file) across
read-modify-write, edits the document with ``tomlkit`` so the user's comments and layout survive, checks
the result parses back, and replaces the file atomically (temp file + fsync + rename).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple

import tomli as tomllib  # the compiled tomli: what the standard tomllib was taken from, 3x faster

from jakplan.catalog.scores import score_table
from jakplan.catalog.vocab import vocabulary
from jakplan.dates import EARLIEST, LATEST
from jakplan.engine.scores import check_value, compute
from jakplan.errors import JakplanError
from jakplan.fileio import (
    MAX_INPUT_BYTES,
    Replacement,
    atomic_write,
    check_writable,
    holds,
    prepare_replace,
    read_bytes,
    write_target,
)
from jakplan.history import OUTCOMES, VIA, Decision, Done, History, LabRecord, Pause, ScoreRecord
from jakplan.records.labvalues import lab_value
from jakplan.records.profile import Profile, plain_text, profile_from_dict

LOCK_TIMEOUT = 10.0
"""Seconds a command waits for another jakplan command to finish with the same plan file."""

_RESERVED_LAB_KEYS = ("on", "note", "added", "at", "range", "flag", "sources", "preliminary")
"""Keys of a [[lab]] entry that are not analytes: ``range`` holds the laboratory's reference range of each analyte
that has one (``range = { platelets = { low = 150, high = 400 } }``, canonical units), ``flag`` its abnormal flag
as sent (``flag = { platelets = "L" }``)."""
STAMP = "added"
HISTORY_TABLES = ("done", "lab", "pause", "score", "decision")
"""The tables of a plan file that hold the recorded course (jakplan appends to them; never profile values)."""
"""Each entry jakplan writes carries the moment it was added (``added = 2024-07-29T10:15:02.123456``), so that
`jakplan undo` can remove the last one; a resume adds ``resumed`` to its pause. Hand-written entries may omit
them."""


class Removed(NamedTuple):
    """What `undo` removed from a plan file: the kind of entry ('done', 'lab', 'score', 'decision', 'pause', or
    'resume': the end of a pause), its day (for a resume, the day treatment resumed) and its other fields as
    stored (a lab entry's analytes and values; a done entry's rule, outcome ...)."""

    kind: str
    on: dt.date
    fields: dict[str, Any]


@dataclass
class PlanFile:
    path: Path
    profile: Profile
    history: History = field(default_factory=History)
    _tk: Any = None  # the tomlkit document while the file is being edited (parsed when a change needs it)
    _last_stamp: Any = None  # the latest stamp in the file, found once per edit (not re-scanned per entry)
    _text: str | None = None  # the file's text while it is being edited
    _raw: Any = None  # ... and as tomllib read it
    _tail: list[str] = field(default_factory=list)  # [[lab]] entries appended as text (no TOML editor needed)
    _lab_index: Any = None  # (day, analyte) -> times of day of the lab entries holding it (see _lab_times)
    _read: Any = None  # the history as read under the lock (checked whole then; see _save)

    @property
    def _doc(self) -> Any:
        """The tomlkit document of the file being edited, parsed on first use (with any entries appended)."""
        if self._tk is None and self._text is not None:
            import tomlkit

            text = self._text + "".join(self._tail)
            try:
                self._tk = tomlkit.parse(text)
            except Exception as exc:  # read by tomllib, yet not by tomlkit: refuse, change nothing
                raise JakplanError(f"{self.path}: cannot be edited safely (the TOML editor refuses it: "
                                   f"{type(exc).__name__})") from None
            self._tail = []
        return self._tk

    @_doc.setter
    def _doc(self, doc: Any) -> None:
        self._tk = doc

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def start(self) -> dt.date:
        assert self.profile.start is not None
        return self.profile.start

    # -- changes (only inside edit_planfile) -------------------------------------------------------------

    def _aot(self, key: str):
        import tomlkit

        if self._doc is None:
            raise JakplanError(f"{self.path}: internal error: change outside edit_planfile")
        if key not in self._doc:
            self._doc.add(tomlkit.nl())
            self._doc[key] = tomlkit.aot()
        return self._doc[key]

    def add_done(self, rule: str, on: dt.date, note: str = "", outcome: str = "done", reason: str = "",
                 via: str = "", basis: tuple[str, ...] = ()) -> Done:
        """Append a [[done]] entry; ``via``/``basis`` say how it was counted done when not by hand (as data:
        :data:`jakplan.history.VIA`), e.g. ``via = "history"``, ``basis = ["history.csv", "last_alt"]``."""
        plain_text(note, "--note")
        plain_text(reason, "the reason")
        for b in basis:
            plain_text(b, "the basis")
        if via and via not in VIA:
            raise JakplanError(f"{self.path}: via '{via}' is not one of {', '.join(VIA)}")
        same = next((d for d in self.history.done if d.rule == rule and d.on == on), None)
        if same is not None:
            raise JakplanError(f"{self.path}: {rule} is already recorded as {same.outcome.replace('_', ' ')} on {on}")
        if outcome not in OUTCOMES:
            raise JakplanError(f"{self.path}: outcome '{outcome}' is not one of {', '.join(OUTCOMES)}")
        if outcome != "done" and not reason.strip():
            raise JakplanError(f"the reason is empty; say why {rule} is {outcome.replace('_', ' ')}")
        entry: dict[str, Any] = {"rule": rule, "on": on}
        if outcome != "done":
            entry["outcome"] = outcome
            entry["reason"] = reason.strip()
        if note:
            entry["note"] = note
        if via:
            entry["via"] = via
            entry["basis"] = list(basis)
        entry[STAMP] = self._stamp()
        self._aot("done").append(entry)
        rec = Done(rule, on, note, outcome, reason.strip(), via, tuple(basis))
        self.history = self.history.but(done=self.history.done + (rec,))
        return rec

    def _stamp(self) -> dt.datetime:
        """A moment later than any stamp in the file (two entries of one command never tie)."""
        now = dt.datetime.now().replace(tzinfo=None)
        if self._last_stamp is None:
            doc = self._tk if self._tk is not None or self._raw is None else self._raw
            self._last_stamp = max((st for st, _, _ in stamped_entries(doc)), default=dt.datetime.min)
        last = self._last_stamp
        if now <= last:
            now = last + dt.timedelta(microseconds=1)
        self._last_stamp = now
        return now

    def add_lab(self, on: dt.date, values: dict[str, float], note: str = "", at: str = "",
                censored: dict[str, str] | None = None,
                ranges: dict[str, tuple[float | None, float | None]] | None = None,
                flags: dict[str, str] | None = None, sources: tuple[str, ...] = (),
                preliminary: tuple[str, ...] = ()) -> LabRecord:
        """Append a [[lab]] entry; ``at`` the time of day (two results of one analyte on one day need their
        times), ``censored`` analyte -> '<' / '>' ... for a result beyond what the laboratory measures;
        ``ranges`` and ``flags`` the laboratory's reference range (canonical units) and abnormal flag;
        ``sources`` the lab files imported from, ``preliminary`` the analytes not yet final (data, not a note)."""
        plain_text(note, "--note")
        for f in sources:
            plain_text(f, "a lab file name")
        preliminary = tuple(a for a in preliminary if a in values)
        censored = dict(censored or {})
        ranges = {a: r for a, r in (ranges or {}).items() if a in values and r != (None, None)}
        flags = {a: f for a, f in (flags or {}).items() if a in values and f}
        index = self._lab_times()
        same = sorted(a for a in values for t in index.get((on, a), ()) if t == at or not t or not at)
        if same:
            raise JakplanError(f"{self.path}: {', '.join(same)} already recorded on {on}{' at ' + at if at else ''}; "
                               f"nothing recorded (remove the earlier entry with `jakplan undo {self.path}` or edit "
                               f"the file)")
        entry: dict[str, Any] = {"on": on}
        if at:
            entry["at"] = at
        entry.update({a: f"{censored[a]}{v:.6g}" if a in censored else v for a, v in values.items()})
        if ranges or flags:
            import tomlkit

            if ranges:
                entry["range"] = tomlkit.inline_table()
                for a, (lo, hi) in ranges.items():
                    bounds = tomlkit.inline_table()
                    bounds.update({k: float(f"{b:.6g}") for k, b in (("low", lo), ("high", hi)) if b is not None})
                    entry["range"][a] = bounds
            if flags:
                entry["flag"] = tomlkit.inline_table()
                entry["flag"].update({a: plain_text(f, "flag") for a, f in flags.items()})
        if sources:
            entry["sources"] = list(sources)
        if preliminary:
            entry["preliminary"] = list(preliminary)
        if note:
            entry["note"] = note
        entry[STAMP] = self._stamp()
        if self._tk is None and self._text is not None and not isinstance(self._raw.get("lab", []), dict):
            self._tail.append(_entry_text("lab", entry))  # appended as text: no TOML editor round trip
        else:
            self._aot("lab").append(entry)
        rec = LabRecord(on, dict(values), note, at, censored,
                        {a: (None if lo is None else float(f"{lo:.6g}"), None if hi is None else float(f"{hi:.6g}"))
                         for a, (lo, hi) in ranges.items()}, flags, tuple(sources), preliminary)
        self.history = self.history.but(labs=self.history.labs + (rec,))
        for a in rec.values:
            index.setdefault((on, a), []).append(at)
        return rec

    def _lab_times(self) -> dict[tuple[dt.date, str], list[str]]:
        """(day, analyte) -> the time of day of each lab entry holding it, built once per edit and kept up to date
        by :meth:`add_lab` (each added day checked against an index, not against every earlier entry)."""
        if self._lab_index is None:
            self._lab_index = {}
            for rec in self.history.labs:
                for a in rec.values:
                    self._lab_index.setdefault((rec.on, a), []).append(rec.at)
        return self._lab_index

    def add_score(self, rec: ScoreRecord) -> ScoreRecord:
        """Append a disease-activity score (checked by :mod:`jakplan.engine.scores` before it gets here)."""
        plain_text(rec.note, "--note")
        if any(s.on == rec.on and s.score == rec.score for s in self.history.scores):
            raise JakplanError(f"{self.path}: a {rec.score} score is already recorded on {rec.on}; nothing recorded "
                               f"(remove the earlier entry with `jakplan undo {self.path}` or edit the file)")
        entry: dict[str, Any] = {"on": rec.on, "score": rec.score, "value": rec.value}
        if rec.inputs:
            entry["inputs"] = dict(rec.inputs)
        if rec.note:
            entry["note"] = rec.note
        entry[STAMP] = self._stamp()
        self._aot("score").append(entry)
        self.history = self.history.but(scores=self.history.scores + (rec,))
        return rec

    def add_decision(self, on: dt.date, text: str, note: str = "") -> Decision:
        """Append a [[decision]]: the prescriber's decision on ``on`` (it answers the results beyond a protocol limit
        recorded up to that day)."""
        plain_text(text, "--decision")
        plain_text(note, "--note")
        if not text.strip():
            raise JakplanError("--decision is empty; say what was decided, e.g. --decision \"continue: prescriber "
                               "reviewed\"")
        if any(d.on == on and d.text == text.strip() for d in self.history.decisions):
            raise JakplanError(f"{self.path}: this decision is already recorded on {on}")
        entry: dict[str, Any] = {"on": on, "text": text.strip()}
        if note:
            entry["note"] = note
        entry[STAMP] = self._stamp()
        self._aot("decision").append(entry)
        rec = Decision(on, text.strip(), note)
        self.history = self.history.but(decisions=self.history.decisions + (rec,))
        return rec

    def set_value(self, table: str | None, key: str, value: Any) -> None:
        """Set a profile value: top level (``table`` None) or in ``[factors]``, ``[patient]`` ... (created if
        missing). The history is never touched; the file is checked when it is saved."""
        import tomlkit

        if self._doc is None:
            raise JakplanError(f"{self.path}: internal error: change outside edit_planfile")
        if table in HISTORY_TABLES or (table is None and key in HISTORY_TABLES):
            raise JakplanError(f"{self.path}: internal error: the history is changed only by its own methods")
        if table is None:
            self._doc[key] = value
            return
        if table not in self._doc:
            # a new table goes before the history, so the file still reads profile first
            t = tomlkit.table()
            t[key] = value
            body = self._doc.body
            at = next((n for n, (k, _) in enumerate(body) if k is not None and k.key in HISTORY_TABLES), None)
            if at is None:
                self._doc[table] = t
            else:
                new = tomlkit.document()
                for n, (k, item) in enumerate(body):
                    if n == at:
                        new[table] = t
                        new.add(tomlkit.nl())
                    if k is None:
                        new.add(item)
                    else:
                        new.append(k, item)
                self._doc = new
            return
        self._doc[table][key] = value

    def start_pause(self, on: dt.date, reason: str, end: dt.date | None = None) -> Pause:
        """Append a [[pause]] from ``on`` (open; or, for a pause planned ahead, to ``end``)."""
        plain_text(reason, "--reason")
        open_p = self.history.open_pause
        if open_p is not None:
            raise JakplanError(f"{self.path}: treatment is already paused since {open_p.start}; resume it first")
        if on < self.start:
            raise JakplanError(f"{self.path}: a pause cannot begin ({on}) before the start date ({self.start})")
        last = max((p.end for p in self.history.pauses if p.end), default=None)
        if last is not None and on < last:
            raise JakplanError(f"{self.path}: a pause cannot begin ({on}) before the previous one ended ({last})")
        if not reason.strip():
            raise JakplanError("--reason is empty; say why treatment is paused")
        if end is not None and end < on:
            raise JakplanError(f"{self.path}: a pause cannot end ({end}) before it begins ({on})")
        entry: dict[str, Any] = {"from": on}
        if end is not None:
            entry["to"] = end
        entry.update({"reason": reason, STAMP: self._stamp()})
        self._aot("pause").append(entry)
        rec = Pause(on, end, reason)
        self.history = self.history.but(pauses=self.history.pauses + (rec,))
        return rec

    def end_pause(self, on: dt.date) -> Pause:
        open_p = self.history.open_pause
        if open_p is None:
            raise JakplanError(f"{self.path}: treatment is not paused; nothing to resume")
        if on < open_p.start:
            raise JakplanError(f"{self.path}: cannot resume on {on}, before the pause began ({open_p.start})")
        idx = self.history.pauses.index(open_p)
        self._aot("pause")[idx]["to"] = on
        self._aot("pause")[idx]["resumed"] = self._stamp()
        rec = Pause(open_p.start, on, open_p.reason)
        pauses = list(self.history.pauses)
        pauses[idx] = rec
        self.history = self.history.but(pauses=tuple(pauses))
        return rec


    def undo_last(self) -> Removed:
        """Remove the last entry jakplan added (a done check, lab values, a score, a decision or a pause; for a
        resume, the resume) and return what was removed, as data (render/course.py words it)."""
        entries = stamped_entries(self._doc)
        if not entries:
            raise JakplanError(f"{self.path}: nothing to undo (no entry recorded by jakplan; entries written by "
                               f"hand have no '{STAMP}' time: edit the file)")
        _, key, idx = max(entries)
        if key == "resumed":
            entry = self._doc["pause"][idx]
            what = Removed("resume", entry["to"], {"from": entry["from"]})
            del entry["to"]
            del entry["resumed"]
            return what
        table = self._doc[key]
        entry = table[idx]
        if key == "lab":
            what = Removed("lab", entry["on"], {k: v for k, v in entry.items() if k not in _RESERVED_LAB_KEYS})
        elif key == "pause":
            what = Removed("pause", entry["from"], {k: entry[k] for k in ("to", "reason") if entry.get(k)})
        else:  # done, score, decision
            what = Removed(key, entry["on"], {k: v for k, v in entry.items() if k not in ("on", STAMP)})
        del table[idx]
        if len(table) == 0:
            del self._doc[key]
        return what


def stamped_entries(doc: Any) -> list[tuple[dt.datetime, str, int]]:
    """(moment, table or 'resumed', index) of every entry that carries jakplan's stamp."""
    out: list[tuple[dt.datetime, str, int]] = []
    if doc is None:
        return out
    for key in HISTORY_TABLES:
        for i, e in enumerate(doc.get(key, [])):
            st = e.get(STAMP)
            if isinstance(st, dt.datetime):
                out.append((st.replace(tzinfo=None), key, i))
            if key == "pause" and isinstance(e.get("resumed"), dt.datetime):
                out.append((e["resumed"].replace(tzinfo=None), "resumed", i))
    return out


# -- reading and validating ----------------------------------------------------------------------------


def _time(val: Any, where: str) -> str:
    """A [[lab]] entry's ``at``: a time of day 'HH:MM' (or a TOML time), '' when absent."""
    if val is None:
        return ""
    if isinstance(val, dt.time):
        return val.strftime("%H:%M")
    if isinstance(val, str) and re.match(r"^([01]\d|2[0-3]):[0-5]\d$", val):
        return val
    raise JakplanError(f"{where}: at {val!r} is not a time of day (\"HH:MM\")")


def _date(val: Any, where: str, key: str) -> dt.date:

    day = None
    if isinstance(val, str):
        try:
            day = dt.date.fromisoformat(val)
        except ValueError:
            pass
    elif isinstance(val, dt.date) and not isinstance(val, dt.datetime):
        day = val
    if day is None:
        raise JakplanError(f"{where}: field '{key}' must be a date (YYYY-MM-DD), not {val!r}")
    if not EARLIEST <= day <= LATEST:  # as for every typed date: a resume in 9999 is no date to plan with
        raise JakplanError(f"{where}: field '{key}' {day.isoformat()} is outside the dates jakplan works with "
                           f"({EARLIEST.isoformat()} to {LATEST.isoformat()})")
    return day


def _text(entry: dict, key: str, where: str, required: bool = False) -> str:
    if key not in entry:
        if required:
            raise JakplanError(f"{where}: field '{key}' is missing")
        return ""
    if not isinstance(entry[key], str):
        raise JakplanError(f"{where}: field '{key}' must be text, not {entry[key]!r}")
    return plain_text(entry[key], f"{where}: field '{key}'")


def _preliminary(entry: dict, read: dict, where: str) -> tuple[str, ...]:
    names = _texts(entry, "preliminary", where)
    stray = [n for n in names if n not in read]
    if stray:
        raise JakplanError(f"{where}: field 'preliminary' names {', '.join(stray)}, which this entry does not record")
    return names


def _texts(entry: dict, key: str, where: str) -> tuple[str, ...]:
    """An optional list of texts (``sources = ["week.hl7"]``)."""
    val = entry.get(key, [])
    if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
        raise JakplanError(f"{where}: field '{key}' must be a list of texts, not {val!r}")
    return tuple(plain_text(v, f"{where}: field '{key}'") for v in val)


def _entries(raw: dict, key: str, where: str) -> list[dict]:
    val = raw.get(key, [])
    if not isinstance(val, list) or not all(isinstance(e, dict) for e in val):
        raise JakplanError(f"{where}: '{key}' must be a list of [[{key}]] tables")
    return val


_CENSORED = re.compile(r"^\s*(<=|>=|<|>)\s*([0-9.eE+-]+)\s*$")


def check_lab_entry(analyte: str, value: Any, where: str) -> tuple[float, str]:
    """A value of a [[lab]] entry: a number, or a censored result written as text ('>90', '<0.5'): (value, censor)."""
    if isinstance(value, str):
        m = _CENSORED.match(value)
        if not m:
            raise JakplanError(f"{where}: {analyte} must be a number, or a censored result such as '>90', "
                               f"not {value!r}")
        try:
            number = float(m.group(2))
        except ValueError:
            raise JakplanError(f"{where}: {analyte} '{value}' is not a number after its '{m.group(1)}'") from None
        return check_lab_value(analyte, number, where), m.group(1)
    return check_lab_value(analyte, value, where), ""


def _lab_ranges(raw: Any, values: dict, where: str) -> dict[str, tuple[float | None, float | None]]:
    """A [[lab]] entry's ``range`` table: analyte -> {low, high} (numbers in the canonical unit, one may be absent)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise JakplanError(f"{where}: field 'range' must be a table such as {{ platelets = {{ low = 150, high = 400 }} }}")
    out: dict[str, tuple[float | None, float | None]] = {}
    for a, b in raw.items():
        w = f"{where}: range of {a}"
        if a not in values:
            raise JakplanError(f"{w}: no {a} value in this entry")
        if not isinstance(b, dict) or not b or set(b) - {"low", "high"}:
            raise JakplanError(f"{w}: must be a table with low and/or high, e.g. {{ low = 150, high = 400 }}")
        lo, hi = (b.get(k) for k in ("low", "high"))
        for k, v in (("low", lo), ("high", hi)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v != v
                                  or v in (float("inf"), float("-inf"))):
                raise JakplanError(f"{w}: {k} must be a number, not {v!r}")
        if lo is not None and hi is not None and lo > hi:
            raise JakplanError(f"{w}: low {lo:g} is above high {hi:g}")
        out[a] = (None if lo is None else float(lo), None if hi is None else float(hi))
    return out


def _lab_flags(raw: Any, values: dict, where: str) -> dict[str, str]:
    """A [[lab]] entry's ``flag`` table: analyte -> the laboratory's abnormal flag as sent (text)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise JakplanError(f"{where}: field 'flag' must be a table such as {{ platelets = \"L\" }}")
    out = {}
    for a, f in raw.items():
        if a not in values:
            raise JakplanError(f"{where}: flag of {a}: no {a} value in this entry")
        if not isinstance(f, str) or not f.strip() or len(f) > 40:
            raise JakplanError(f"{where}: flag of {a} must be short text such as \"L\", not {f!r}")
        out[a] = plain_text(f.strip(), f"{where}: flag of {a}")
    return out


def check_lab_value(analyte: str, value: Any, where: str) -> float:
    """A value read from a plan file: a number in the canonical unit, through the one lab-value path
    (:func:`jakplan.records.labvalues.lab_value`: the same refusals as `labs` and `record --lab`)."""

    analytes = vocabulary()["analytes"]
    if analyte not in analytes:
        raise JakplanError(f"{where}: unknown lab analyte '{analyte}'; known: {', '.join(sorted(analytes))}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise JakplanError(f"{where}: {analyte} must be a number (in {analytes[analyte]['unit']}), not {value!r}")
    return lab_value(analyte, value, where=f"{where}: {analyte}")


def _check_stamps(entry: dict, where: str, keys=(STAMP,)) -> None:
    for key in keys:
        if key in entry and not isinstance(entry[key], dt.datetime):
            raise JakplanError(f"{where}: field '{key}' must be a date and time (when jakplan added the entry), "
                               f"not {entry[key]!r}")


def _lab_records(entries: list[dict], where: str, earlier: tuple[LabRecord, ...] = ()) -> list[LabRecord]:
    """The [[lab]] entries ``entries``, each checked, and none recording an analyte twice on one day (unless both
    have their times) among themselves or with the ``earlier`` entries of the file (already checked): entries
    appended to a file are checked against what it holds without checking that again (see :func:`_save`)."""
    labs: list[LabRecord] = []
    seen: dict[tuple[dt.date, str], set[str]] = {}
    for rec in earlier:
        for a in rec.values:
            seen.setdefault((rec.on, a), set()).add(rec.at)
    for i, e in enumerate(entries, start=len(earlier) + 1):
        w = f"{where}: lab #{i}"
        if "on" not in e:
            raise JakplanError(f"{w}: field 'on' is missing")
        _check_stamps(e, w)
        read = {k: check_lab_entry(k, v, w) for k, v in e.items() if k not in _RESERVED_LAB_KEYS}
        if not read:
            raise JakplanError(f"{w}: no lab values (write e.g. anc = 1.8)")
        at = _time(e.get("at"), w)
        rec = LabRecord(_date(e["on"], w, "on"), {k: v for k, (v, _) in read.items()}, _text(e, "note", w), at,
                        {k: c for k, (_, c) in read.items() if c}, _lab_ranges(e.get("range"), read, w),
                        _lab_flags(e.get("flag"), read, w), _texts(e, "sources", w), _preliminary(e, read, w))
        for a in rec.values:  # one index, not a scan of every earlier entry
            key = (rec.on, a)
            times = seen.setdefault(key, set())
            if at in times or (times and (not at or "" in times)):
                raise JakplanError(f"{w}: {a} recorded twice on {rec.on}{' at ' + at if at else ''}; keep one entry "
                                   f"(two results of one day need their times: at = \"08:30\")")
            times.add(at)
        labs.append(rec)
    return labs


def history_from_dict(raw: dict[str, Any], where: str, start: dt.date) -> History:
    done = []
    for i, e in enumerate(_entries(raw, "done", where), start=1):
        w = f"{where}: done #{i}"
        rule = _text(e, "rule", w, required=True)
        if "on" not in e:
            raise JakplanError(f"{w}: field 'on' is missing")
        extra = set(e) - {"rule", "on", "note", "outcome", "reason", "via", "basis", STAMP}
        if extra:
            raise JakplanError(f"{w}: unknown field(s): {', '.join(sorted(extra))}")
        _check_stamps(e, w)
        outcome = _text(e, "outcome", w) or "done"
        if outcome not in OUTCOMES:
            raise JakplanError(f"{w}: outcome '{outcome}' is not one of {', '.join(OUTCOMES)}")
        reason = _text(e, "reason", w).strip()
        if outcome != "done" and not reason:
            raise JakplanError(f"{w}: a check recorded as {outcome.replace('_', ' ')} needs a 'reason'")
        via = _text(e, "via", w)
        if via and via not in VIA:
            raise JakplanError(f"{w}: via '{via}' is not one of {', '.join(VIA)}")
        done.append(Done(rule, _date(e["on"], w, "on"), _text(e, "note", w), outcome, reason, via,
                         _texts(e, "basis", w)))
    labs = _lab_records(_entries(raw, "lab", where), where)
    pauses: list[Pause] = []
    for i, e in enumerate(_entries(raw, "pause", where), start=1):
        w = f"{where}: pause #{i}"
        if "from" not in e:
            raise JakplanError(f"{w}: field 'from' is missing")
        extra = set(e) - {"from", "to", "reason", STAMP, "resumed"}
        if extra:
            raise JakplanError(f"{w}: unknown field(s): {', '.join(sorted(extra))}")
        _check_stamps(e, w, (STAMP, "resumed"))
        p = Pause(_date(e["from"], w, "from"), _date(e["to"], w, "to") if "to" in e else None, _text(e, "reason", w))
        if p.start < start:
            raise JakplanError(f"{w}: 'from' {p.start} is before the start date {start}")
        if p.end is not None and p.end < p.start:
            raise JakplanError(f"{w}: 'to' {p.end} is before 'from' {p.start}")
        if pauses:
            prev = pauses[-1]
            if prev.end is None:
                raise JakplanError(f"{w}: the previous pause (from {prev.start}) has no 'to'; only the last pause may be open")
            if p.start < prev.end:
                raise JakplanError(f"{w}: 'from' {p.start} is before the previous pause ended ({prev.end})")
        pauses.append(p)
    return History(tuple(done), tuple(labs), tuple(pauses), _scores(raw, where), _decisions(raw, where))


def _decisions(raw: dict[str, Any], where: str) -> tuple[Decision, ...]:
    """The [[decision]] entries: a day and what was decided (``record --decision``)."""
    out: list[Decision] = []
    for i, e in enumerate(_entries(raw, "decision", where), start=1):
        w = f"{where}: decision #{i}"
        extra = set(e) - {"on", "text", "note", STAMP}
        if extra:
            raise JakplanError(f"{w}: unknown field(s): {', '.join(sorted(extra))}")
        for key in ("on", "text"):
            if key not in e:
                raise JakplanError(f"{w}: field '{key}' is missing")
        _check_stamps(e, w)
        text = _text(e, "text", w, required=True).strip()
        if not text:
            raise JakplanError(f"{w}: 'text' is empty; say what was decided")
        out.append(Decision(_date(e["on"], w, "on"), text, _text(e, "note", w)))
    return tuple(out)


def _scores(raw: dict[str, Any], where: str) -> tuple[ScoreRecord, ...]:
    """The [[score]] entries, each checked as `record --score` checks it: a known score, inputs in range and
    the value the formula gives from them (or, given directly, a value the formula can give)."""

    table = score_table()
    out: list[ScoreRecord] = []
    for i, e in enumerate(_entries(raw, "score", where), start=1):
        w = f"{where}: score #{i}"
        extra = set(e) - {"on", "score", "value", "inputs", "note", STAMP}
        if extra:
            raise JakplanError(f"{w}: unknown field(s): {', '.join(sorted(extra))}")
        for key in ("on", "score", "value"):
            if key not in e:
                raise JakplanError(f"{w}: field '{key}' is missing")
        _check_stamps(e, w)
        sid = _text(e, "score", w)
        if sid not in table.scores:
            raise JakplanError(f"{w}: unknown score '{sid}'; known: {', '.join(table.scores)}")
        score = table.scores[sid]
        inputs = e.get("inputs", {})
        if not isinstance(inputs, dict):
            raise JakplanError(f"{w}: field 'inputs' must be a table")
        try:
            value = check_value(score, e["value"], table)
            if inputs and compute(score, inputs, table) != value:
                raise JakplanError(f"value {value:g} is not what its inputs give ({compute(score, inputs, table):g})")
        except JakplanError as exc:
            raise JakplanError(f"{w}: {exc}") from None
        rec = ScoreRecord(_date(e["on"], w, "on"), sid, value, {k: float(v) for k, v in inputs.items()},
                          _text(e, "note", w))
        if any(s.on == rec.on and s.score == sid for s in out):
            raise JakplanError(f"{w}: {sid} recorded twice on {rec.on}; keep one entry")
        out.append(rec)
    return tuple(out)


def parse_toml_text(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise JakplanError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise JakplanError(f"{path}: not valid TOML: nested too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits (Python's int conversion limit)
        raise JakplanError(f"{path}: not valid TOML: {str(exc).split(';')[0]}") from None


def planfile_from_text(text: str, path: Path, need_start: bool = True) -> PlanFile:
    """A plan file (or, with ``need_start=False``, a profile that may still lack its start date)."""
    return planfile_from_raw(parse_toml_text(text, path), path, need_start)


def planfile_from_raw(raw: dict[str, Any], path: Path, need_start: bool = True) -> PlanFile:
    """A plan file from its parsed TOML (see :func:`planfile_from_text`)."""
    where = str(path)
    profile = profile_from_dict(raw, where, path)
    if profile.start is None:
        if need_start or any(k in raw for k in HISTORY_TABLES):
            raise JakplanError(f"{where}: field 'start' (date of the first dose) is missing; a plan file needs it")
        return PlanFile(path=path, profile=profile)
    return PlanFile(path=path, profile=profile, history=history_from_dict(raw, where, profile.start))


def _read_text(path: Path) -> str:
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise JakplanError(f"{path}: not valid TOML: not UTF-8 text") from None


def load_planfile(path: str | os.PathLike, need_start: bool = True) -> PlanFile:
    """Read and validate a plan file (no lock needed: writes replace the file atomically)."""
    p = Path(path)
    return planfile_from_text(_read_text(p), p, need_start)


# -- writing -------------------------------------------------------------------------------------------


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


@contextlib.contextmanager
def file_lock(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive advisory lock for ``path`` (POSIX ``flock`` on ``.<name>.lock`` beside it).

    The lock file is left in place: removing it would let a waiting process lock a file that a third one
    has already replaced.
    """
    fd = _take_lock(path, timeout)
    assert fd is not None
    try:
        yield
    finally:
        _release_lock(fd)


def _take_lock(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT, create: bool = True,
               target: Path | None = None) -> int | None:
    """The open lock file of ``path``, locked (see :func:`file_lock`); :func:`_release_lock` releases it, on any
    thread (an ``flock`` belongs to the open file, not to a thread). ``create=False``: None when there is no lock
    file yet (nothing is made). ``target``: where ``path`` leads, already found."""
    try:
        import fcntl  # POSIX only: refused with one line elsewhere
    except ImportError:  # not a POSIX system
        raise JakplanError("changing a plan file needs POSIX file locking (Linux, macOS, BSD)") from None

    if target is None:
        target = write_target(Path(path))  # a symlinked plan file shares the lock of the file it points to
    lp = lock_path(target)
    try:
        fd = os.open(lp, os.O_RDWR | os.O_CREAT if create else os.O_RDWR, 0o644)
    except OSError as exc:
        folder = target.parent if str(target.parent) else Path(".")
        if not create and isinstance(exc, FileNotFoundError):
            return None
        if not folder.is_dir():
            raise JakplanError(f"{target}: folder {folder} does not exist") from None
        raise JakplanError(f"{target}: cannot create the lock file {lp.name}: {exc.strerror}") from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise JakplanError(
                        f"{target}: another jakplan command is changing this file (waited {timeout:g} s); try again"
                    ) from None
                time.sleep(0.02)
    except BaseException:
        os.close(fd)
        raise


def _release_lock(fd: int) -> None:
    import fcntl  # POSIX only (the lock was taken, so it is there)

    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


_OTHER_LAB = re.compile(r"""^[ \t]*(["']?lab["']?[ \t]*[=.]|\[[ \t]*["']?lab["']?[ \t]*[\].])""", re.M)
"""'lab' defined other than by [[lab]] headers (a key, a dotted key or a [lab] table): appending is checked whole."""


def _value_text(v: Any) -> str:
    """A value as TOML text, as tomlkit writes it: numbers, dates, local date-times, plain strings and lists of them
    directly (the most of a lab entry: tomlkit's item per value was a tenth of a lab import's own time), anything
    else by tomlkit."""
    kind = type(v)
    if kind is float and math.isfinite(v) or kind is int:
        return repr(v)
    if kind is dt.date or kind is dt.datetime and v.tzinfo is None:
        return v.isoformat()
    if kind is str and _plain_str(v):
        return f'"{v}"'
    if kind is list and all(type(x) is str and _plain_str(x) for x in v):
        return "[" + ", ".join(f'"{x}"' for x in v) + "]"
    import tomlkit

    return tomlkit.item(v).as_string()


def _plain_str(v: str) -> bool:
    """A string TOML writes between double quotes as it is (no quote, backslash or control character to escape)."""
    return v.isprintable() and '"' not in v and "\\" not in v


def _entry_text(key: str, entry: dict[str, Any]) -> str:
    """One [[key]] table as TOML text, to append to a file (values written as tomlkit writes them)."""
    return "\n".join([f"\n[[{key}]]"] + [f"{k} = {_value_text(v)}" for k, v in entry.items()]) + "\n"


def _save(pf: PlanFile, sync_dir: bool = True, clean: bool = True) -> None:
    """Write ``pf`` back now (see :func:`_prepared`), refusing it if another program saved the file meanwhile."""
    _prepared(pf, clean).put(before_rename=lambda: _check_unchanged(pf), sync_dir=sync_dir)


def _prepared(pf: PlanFile, clean: bool = True, target: Path | None = None) -> Replacement:
    """The edited plan file's new text, checked to read back, ready to be written (the file is not yet changed)."""
    import tomlkit

    fast = pf._tk is None and pf._text is not None
    if fast:  # only entries appended as text
        assert pf._text is not None
        text = pf._text + ("" if pf._text.endswith("\n") or not pf._text else "\n") + "".join(pf._tail)
    else:
        text = tomlkit.dumps(pf._doc)
    try:
        if fast and pf._raw is not None and pf._read is not None and not _OTHER_LAB.search(pf._text or ""):
            # [[lab]] tables appended to a valid file that defines 'lab' no other way read back as its
            # entries plus the new ones. The file as read was checked whole under the lock (profile and history);
            # the appended text is parsed and its entries checked, each and against the file's entries, which is
            # all that reading the whole new text would check anew (nothing else in it changed)
            tail = parse_toml_text("".join(pf._tail), pf.path)
            new = tail.get("lab", [])
            if set(tail) - {"lab"} or not isinstance(new, list) or not isinstance(pf._raw.get("lab", []), list) \
                    or not all(isinstance(e, dict) for e in new):
                raise JakplanError(f"{pf.path}: the appended entries do not read back as [[lab]] tables")
            _lab_records(new, str(pf.path), pf._read.labs)
        else:
            planfile_from_text(text, pf.path)  # what we write must read back
    except JakplanError:
        if pf._tk is not None or not pf._tail:
            raise
        pf._tk = None  # appended text does not read back (a hand-written shape): edit through the TOML editor
        text = tomlkit.dumps(pf._doc)
        planfile_from_text(text, pf.path)
    # written through a symlinked plan file; larger than the reader's cap: refused before anything is written
    return prepare_replace(pf.path, text, clean, follow_links=True, limit=MAX_INPUT_BYTES, target=target)


class PendingSave:
    """An edited plan file, checked and ready, whose lock is still held (``edit_planfile(..., later=...)``):
    :meth:`run` writes it, on any thread (temporary file, fsync, the refusal when another program saved the file
    meanwhile, rename) and releases the lock; :meth:`drop` releases the lock and writes nothing. Only the first
    of the two calls acts (a run after a drop refuses: nothing is written)."""

    def __init__(self, pf: PlanFile, replacement: Replacement, lock: int, sync_dir: bool) -> None:
        self.pf, self.replacement, self.lock, self.sync_dir = pf, replacement, lock, sync_dir
        self._claim = threading.Lock()

    def run(self) -> None:
        if not self._claim.acquire(blocking=False):
            raise JakplanError(f"{self.pf.path}: not written (the change was dropped)")
        pf = self.pf
        try:
            self.replacement.put(before_rename=lambda: _check_unchanged(pf), sync_dir=self.sync_dir)
        finally:
            self._release()

    def drop(self) -> None:
        if self._claim.acquire(blocking=False):
            self._release()

    def _release(self) -> None:
        pf = self.pf
        try:
            _release_lock(self.lock)
        finally:
            pf._tk, pf._text, pf._raw, pf._tail, pf._lab_index, pf._read = None, None, None, [], None, None


class ChangedMeanwhile(JakplanError):
    """The plan file changed between jakplan reading it (under its lock) and writing it back: another program (an
    editor's save) wrote it. Nothing is written; the caller may read it again and redo the change."""


def _check_unchanged(pf: PlanFile) -> None:
    """Refuse to replace a plan file that is no longer the text this edit read: the lock keeps other jakplan
    commands out, not an editor, and writing now would lose what it saved (a lost update). Compared by content
    (a modification time can repeat within its clock's tick)."""
    if pf._text is None:  # not read by edit_planfile: nothing to compare with
        return
    if not holds(pf.path, pf._text.encode("utf-8")):
        raise ChangedMeanwhile(f"{pf.path}: changed by another program while jakplan was changing it; nothing "
                               f"written (run the command again to make the change on what the file holds now)")


@contextlib.contextmanager
def edit_planfile(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT, sync_dir: bool = True,
                  clean: bool = True, later: Callable[[PendingSave], None] | None = None) -> Iterator[PlanFile]:
    """Lock, read and validate a plan file, yield it for changes, and write it back atomically.

    If the body raises, nothing is written and the file stays as it was. ``sync_dir=False``: the caller syncs
    the folder once after a batch of files (:func:`jakplan.fileio.fsync_dir`), as a lab import does;
    ``clean=False``: the caller removed stale temporary files from the folder once before the batch
    (:func:`jakplan.fileio.clean_stale_temps`), so a batch of n files does not scan the folder n times.
    ``later``: the change is checked when the block ends, then handed, with the lock still held, to
    ``later(pending)`` instead of being written now; the caller calls ``pending.run()`` (which writes it and
    releases the lock, on any thread) or ``pending.drop()`` (a lab import's writer threads).
    """
    p = Path(path)
    target = write_target(p)  # a symlinked plan file is locked and written as the file it points to
    before = None
    lock = _take_lock(p, timeout, False, target)  # its lock file exists: locked at once, read once (under the lock)
    if lock is None:  # its first edit: a missing, special or bad file fails before a lock file is made
        before = _read_text(p)
        first_raw = parse_toml_text(before, p)
        first = planfile_from_raw(first_raw, p)
        lock = _take_lock(p, timeout, True, target)
        assert lock is not None
    pending = None
    try:
        text = _read_text(p)
        if text == before:  # unchanged since it was validated: not parsed twice
            pf, raw = first, first_raw
        else:
            raw = parse_toml_text(text, p)
            pf = planfile_from_raw(raw, p)
        pf._text, pf._raw, pf._read = text, raw, pf.history  # the TOML editor parses it only when a change needs it
        yield pf
        pending = PendingSave(pf, _prepared(pf, clean, target), lock, sync_dir)
        if later is None:
            pending.run()  # written (or refused) and the lock released
        else:
            later(pending)  # the lock goes with it
    except BaseException:
        if pending is None:  # the body or the checks failed (or an interrupt came): nothing written
            _release_lock(lock)
        else:
            pending.drop()  # not yet run (an interrupt during the hand-over): nothing written; else nothing to do
        raise


HEADER = """\
jakplan plan file: the patient profile (who, which drug and protocol, from when) and the history of
what was done, measured and paused. jakplan adds [[done]], [[lab]] and [[pause]] entries with
`jakplan record`, `jakplan pause` and `jakplan resume`; you may edit it by hand (comments are kept).
A planning aid, not medical advice: the prescriber's instructions come first."""


def create_planfile(path: str | os.PathLike, profile: Profile, overwrite: bool = False, clean: bool = True) -> PlanFile:
    """Write a new plan file for ``profile`` (never replaces an existing file unless ``overwrite``; ``clean``: as
    for :func:`edit_planfile`)."""
    import tomlkit

    p = Path(path)
    if profile.start is None:
        raise JakplanError("a plan file needs a start date (--start)")
    doc = tomlkit.document()
    for line in HEADER.splitlines():
        doc.add(tomlkit.comment(line))
    data = profile.to_dict()
    factors = data.pop("factors", None)
    for key, val in data.items():
        doc[key] = val
    if factors:
        table = tomlkit.table()
        for k, v in factors.items():
            table[k] = v
        doc["factors"] = table
    pf = PlanFile(path=p, profile=profile)
    pf._doc = doc

    check_writable(path, overwrite)  # refused targets (a trailing /, a link out) fail before a lock file is made
    with file_lock(p):
        if p.exists() and not overwrite:
            raise JakplanError(f"{p}: already exists; not overwriting it (use --force to replace it)")
        text = tomlkit.dumps(doc)
        pf = planfile_from_text(text, p)
        atomic_write(p, text, overwrite=overwrite, clean=clean, limit=MAX_INPUT_BYTES)
    return pf
