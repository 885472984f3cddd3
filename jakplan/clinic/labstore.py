"""Imported lab results into a clinic's plan files (``jakplan cohort labs import FILE --into clinic/``).

:func:`store_imports` takes what :mod:`jakplan.records.labimport` read (already converted and checked by the lab-value
path) and appends it to each patient's plan file through the plan-file writer
(:func:`jakplan.records.planfile.edit_planfile`: lock, validate, atomic replace, comments kept):

- a patient is found by plan file name (``<id>.toml``), else by the ``identifier`` in a plan file's profile;
  a patient with no plan file is reported with the lines that name them, and nothing is written for them; a
  patient who matches two plan files (two files sharing an identifier, or one file's name that is another's
  identifier) is one problem naming both, and nothing is written to either;
- one ``[[lab]]`` entry per patient and day, with a note naming the file(s) it came from;
- a value already in the plan file (same day, same analyte, same value) is skipped, so importing the same
  file twice adds nothing and a plan file with nothing new is not rewritten;
- a different value for the same day and analyte (in the plan file, or twice in the import) is reported and
  not written, except ALT and AST on one day (both stored as 'ALT/AST x ULN'): the higher is kept, since the
  labels' limits name either enzyme.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from jakplan.errors import JakplanError
from jakplan.fileio import WriteRefused, clean_stale_temps, fsync_dir, write_target
from jakplan.history import LabRecord
from jakplan.records.clinicsettings import SETTINGS_FILE, ClinicSettings
from jakplan.records.labimport import ImportedLab, ImportResult, Problem, source_file
from jakplan.records.patient import PatientRecord
from jakplan.records.planfile import ChangedMeanwhile, PendingSave, _read_text, edit_planfile, load_planfile


def same_value(a: float, b: float) -> bool:
    """Equal as stored, to 6 significant digits: plan files written while the lab-value path read values back at
    6 digits still hold such values, and must still match their source on a re-import."""
    return abs(a - b) <= 1e-9 or f"{a:.6g}" == f"{b:.6g}"


@dataclass
class PatientOutcome:
    patient: str
    path: Path
    added: dict[dt.date, dict[str, float]] = field(default_factory=dict)
    already: int = 0
    """Values skipped because the plan file already had them."""
    times: dict[dt.date, dict[str, str]] = field(default_factory=dict)
    censored: dict[tuple[dt.date, str], dict[str, str]] = field(default_factory=dict)
    slots: dict[dt.date, list[tuple[str, dict[str, float], dict[str, str]]]] = field(default_factory=dict)
    """day -> [(time of day, values, censored)] as written: one day may hold several timed entries"""
    record: Any = None
    """The patient record as written (profile and history), so the report need not read the file again."""
    references: dict[tuple[dt.date, str], tuple[dict, dict]] = field(default_factory=dict)
    """(day, time of day) -> (reference ranges, abnormal flags) of the values written in that slot."""

    @property
    def added_count(self) -> int:
        return sum(len(vals) for entries in self.slots.values() for _, vals, _ in entries)

    def lab_records(self) -> tuple[LabRecord, ...]:
        """The [[lab]] entries added (or, on a dry run, to add), as the plan file reads them back."""
        return tuple(LabRecord(day, dict(vals), "", at, dict(cens), *self.references.get((day, at), ({}, {})))
                     for day, entries in sorted(self.slots.items()) for at, vals, cens in entries)


@dataclass
class StoreSummary:
    folder: Path
    patients: list[PatientOutcome] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unmatched: list[ImportedLab] = field(default_factory=list)
    """Results whose patient has no plan file (listed in the summary; one crossing a limit fails the import)."""
    unwritten: list[Path] = field(default_factory=list)
    """Plan files whose new results could not be written (too large to read back, disk full): unchanged, and
    the import fails (exit 2)."""

    @property
    def added(self) -> int:
        return sum(p.added_count for p in self.patients)

    @property
    def already(self) -> int:
        return sum(p.already for p in self.patients)


def _index(folder: Path) -> tuple[dict[str, Path], list[Path]]:
    if not folder.is_dir():
        raise JakplanError(f"{folder}: not a folder of plan files")
    files = sorted(p for p in folder.glob("*.toml") if not p.name.startswith(".") and p.name != SETTINGS_FILE)
    return {p.stem: p for p in files}, files


_IDENT_LINE = re.compile(r'^[ \t]*identifier[ \t]*=[ \t]*"([^"\\\x00-\x1f\x7f]*)"[ \t]*(?:#[^\n]*)?$', re.M)
_HEADER = re.compile(r"^[ \t]*\[[^\n]*$", re.M)
_PATIENT = re.compile(r"^[ \t]*\[[ \t]*patient[ \t]*\][ \t]*(?:#[^\n]*)?$")
_PLAN = re.compile(r"^jakplan[ \t]*=[ \t]*1[ \t]*(?:#[^\n]*)?$", re.M)


def identifier_of(path: Path) -> str:
    """The profile identifier of a plan file ('' when it has none); a JakplanError for a file that is not a valid
    plan file (one read by the pattern is checked whole only when results are written to it). The file as jakplan
    writes it (one ``identifier = "..."`` line under ``[patient]``, no escapes, no
    multi-line strings) is read by a pattern, without parsing the whole file (a register of 50,000 plan files is
    scanned on every import); anything else is read whole, as every plan file was before."""

    text = _read_text(path)
    plain = "\\" not in text and '"""' not in text and "'''" not in text and _PLAN.search(text) is not None
    if plain and "identifier" not in text:
        return ""
    m = _IDENT_LINE.search(text) if plain and text.count("identifier") == 1 else None
    if m is not None:
        headers = [h for h in _HEADER.finditer(text, 0, m.start())]
        if headers and _PATIENT.match(headers[-1].group(0)):
            return m.group(1).strip()
    return load_planfile(path, need_start=False).profile.identity.identifier


def _by_identifier(files: list[Path], settings: ClinicSettings) -> dict[str, list[Path]]:
    """Plan files by their profile identifier as compared (spaces, case and the clinic's prefixes dropped); a key
    shared by several files lists them all (an import matching it is refused: see :func:`store_imports`)."""
    out: dict[str, list[Path]] = {}
    for p in files:
        try:
            ident = identifier_of(p)
        except JakplanError:
            continue
        if ident:
            out.setdefault(settings.identifier_key(ident), []).append(p)
    return out


def _lines(recs: Iterable[ImportedLab]) -> str:
    return ", ".join(r.where for r in recs)


def store_imports(results: list[ImportResult], folder: str | Path, write: bool = True,
                  settings: ClinicSettings | None = None, tick: Callable[[], None] | None = None) -> StoreSummary:
    """Append every imported record to its patient's plan file in ``folder`` (see the module text).
    ``write=False``: work out what would be added and report it, changing no file. A patient is matched by
    plan file name, else by identifier (system and value, with clinic.toml's prefixes stripped)."""
    folder = Path(folder)
    settings = settings or ClinicSettings()
    summary = StoreSummary(folder)
    by_name, files = _index(folder)
    if write:

        clean_stale_temps(folder)  # once per import, not once per plan file written
    mine_of: dict[str, list[ImportedLab]] = {}
    for res in results:  # one pass: records grouped by patient
        for r in res.records:
            mine_of.setdefault(r.patient_id, []).append(r)
    # every plan file's identifier, even when each patient matches a file name: one file's name may be another's
    # identifier, and then the results are refused, not routed to either (a misroute is never silent)
    by_ident = _by_identifier(files, settings) if mine_of else {}
    with _Writes(write) as writes:
        for pid, mine in mine_of.items():
            if tick is not None:
                tick()  # progress: one patient
            path = by_name.get(pid)
            keys = {settings.identifier_key(pid, system) for system in {r.patient_system for r in mine}}
            also = sorted({q for k in keys for q in by_ident.get(k, ()) if q != path})
            if len(also) + (path is not None) > 1:
                named = ([f"{path.name} (its file name)"] if path is not None else []) + \
                    [f"{q.name} (its identifier)" for q in also]
                writes.problem(Problem(
                    f"patient '{pid}'", f"matches {len(named)} plan files: {', '.join(named)}; {len(mine)} value(s) "
                    f"not imported into any of them ({_lines(mine)}): give each patient one identifier and file name"),
                    [])
                continue
            if path is None and also:
                path = also[0]
            if path is None:
                writes.problem(Problem(
                    f"patient '{pid}'", f"no plan file {pid}.toml (or with identifier '{pid}') in {folder}; "
                    f"{len(mine)} value(s) not imported ({_lines(mine)})"), mine)
                continue
            # two patients routed to one plan file (or to two names of one file: a symlink): one after the other
            writes.patient(write_target(path), pid, path, mine)
        for step in writes.steps():  # in the import's order
            if isinstance(step[0], Problem):
                problem, unmatched = step
                summary.unmatched.extend(unmatched)
                summary.problems.append(problem)
                continue
            problems, outcome, unwritten = step
            summary.problems += problems
            if outcome is not None:
                summary.patients.append(outcome)
            if unwritten is not None:
                summary.unwritten.append(unwritten)
    if write and any(p.added for p in summary.patients):

        fsync_dir(folder)  # one folder fsync makes every plan file's rename durable
    return summary


WRITERS = 2
"""Threads that write a lab import's plan files (of its one process). The edits themselves (the lock, reading and
checking what a file holds, the checks of what is appended) are made one after the other on the import's own
thread, in the import's order: they need the interpreter, so threads of their own would only take turns at it.
Each checked change is handed, its lock still held, to a writer thread, which writes the temporary file, waits for
its fsync, refuses it if another program saved the plan file meanwhile, renames it into place and releases the
lock; meanwhile the next file is read and checked. The report is in the import's order."""

_ATTEMPTS = 3
"""Times a plan file is read and changed again when another program saves it while the import writes it."""


AHEAD = 2
"""Changes handed to each writer thread and not yet settled, at most (each holds its plan file's lock)."""

SWITCH_INTERVAL = 0.001
"""Seconds the interpreter runs one thread before offering it to another while a lab import writes (Python's
default is 0.005): a writer thread back from its fsync gets it sooner while the import's thread reads and checks
the next file (2.09-2.10 s against 2.16-2.18 s, 3 runs each)."""

_Step = tuple[list[Problem], "PatientOutcome | None", "Path | None"]
"""One patient's (problems, outcome, the plan file when it was left unwritten)."""


class _Patient:
    """One patient's edit of their plan file: made by :meth:`begin`, its write (when one was handed to a writer
    thread) waited for by :meth:`settle`, which gives the patient's :data:`_Step`."""

    def __init__(self, pid: str, path: Path, mine: list[ImportedLab], write: bool) -> None:
        self.pid, self.path, self.mine, self.write = pid, path, mine, write
        self.problems: list[Problem] = []
        self.outcome: PatientOutcome | None = None
        self.future: Any = None
        self.step: _Step | None = None

    def begin(self, pool: ThreadPoolExecutor | None, attempts: int = _ATTEMPTS,
              earlier: tuple[LabRecord, ...] = ()) -> _Patient:
        def hand(pending: PendingSave) -> None:
            assert pool is not None
            self.future = pool.submit(pending.run)

        try:
            self.outcome = _store_patient(self.pid, self.path, self.mine, self.problems, self.write,
                                          attempts, hand if pool is not None else None,
                                          earlier)
        except WriteRefused as exc:  # too large to read back, disk full: the plan file is unchanged
            self.step = self._refused(exc, True)
        except JakplanError as exc:
            self.step = self._refused(exc, False)
        else:
            if self.future is None:  # written here, or nothing new to write
                self.step = (self.problems, self.outcome, None)
        return self

    def settle(self) -> _Step:
        if self.step is None:
            try:
                self.future.result()
                self.step = (self.problems, self.outcome, None)
            except ChangedMeanwhile:
                # another program (an editor) saved the file while this import was writing it: nothing was
                # written; read it again and add to what it holds now (on this thread), or report it after the
                # last attempt
                self.step = _Patient(self.pid, self.path, self.mine, self.write).begin(None, _ATTEMPTS - 1).settle()
            except WriteRefused as exc:  # disk full: the plan file is unchanged
                self.step = self._refused(exc, True)
            except JakplanError as exc:
                self.step = self._refused(exc, False)
        return self.step

    def _refused(self, exc: JakplanError, unwritten: bool) -> _Step:
        self.problems.append(Problem(str(self.path), f"{exc}; {len(self.mine)} value(s) not imported"))
        return self.problems, None, self.path if unwritten else None


class _Writes:
    """A lab import's edits, made in the import's order on this thread, their writes handed to :data:`WRITERS`
    threads (none when nothing is written), at most :data:`AHEAD` per thread waiting. On an error or an
    interrupt, the writes already handed over (each change whole and checked) are finished before it goes on, and
    no further edit is begun: every plan file is written whole or untouched."""

    def __init__(self, write: bool) -> None:
        self.write, self.ahead = write, AHEAD * WRITERS
        self.queue: collections.deque[_Patient | tuple[Problem, list[ImportedLab]]] = collections.deque()
        self.done: list[Any] = []
        self.last: dict[Path, _Patient] = {}
        self.predicted: dict[Path, tuple[LabRecord, ...]] = {}

    def __enter__(self) -> _Writes:
        self.pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="jakplan-labstore") if self.write else None
        self.switch = sys.getswitchinterval()
        if self.pool is not None:  # a writer thread back from a system call waits less for the interpreter
            sys.setswitchinterval(min(self.switch, SWITCH_INTERVAL))
        return self

    def problem(self, problem: Problem, unmatched: list[ImportedLab]) -> None:
        self.queue.append((problem, unmatched))
        self._settle(self.ahead)

    def patient(self, target: Path, pid: str, path: Path, mine: list[ImportedLab]) -> None:
        before = self.last.get(target)
        if before is not None:
            before.settle()  # the next edit of one plan file sees what the one before wrote
        # (a dry run writes nothing: the next sees what the ones before would have added)
        earlier = () if self.write else self.predicted.get(target, ())
        self.last[target] = p = _Patient(pid, path, mine, self.write).begin(self.pool, earlier=earlier)
        if not self.write and p.outcome is not None:
            self.predicted[target] = earlier + p.outcome.lab_records()
        self.queue.append(p)
        self._settle(self.ahead)

    def _settle(self, keep: int) -> None:
        while self.queue and (len(self.queue) > keep or not isinstance(self.queue[0], _Patient)
                              or self.queue[0].step is not None or self.queue[0].future.done()):
            head = self.queue.popleft()
            self.done.append(head.settle() if isinstance(head, _Patient) else head)

    def steps(self) -> list[Any]:
        self._settle(0)
        return self.done

    def __exit__(self, *exc: object) -> None:
        try:
            if self.pool is not None:
                self.pool.shutdown(wait=True)  # handed over: written, each file whole
        finally:
            sys.setswitchinterval(self.switch)


Slot = tuple[dt.date, str]
"""(day, time of day or '')"""
Wanted = dict[Slot, dict[str, tuple[float, str, list[ImportedLab]]]]
"""slot -> analyte -> (value, censor, the records it came from)"""


def _wanted(mine: list[ImportedLab], problems: list[Problem]) -> Wanted:
    """Values per day, time and analyte from the import itself, with conflicts inside it resolved or reported.
    Results of one analyte at different times of one day are all kept (each judged)."""
    grouped: dict[tuple[dt.date, str], dict[str, list[ImportedLab]]] = {}
    for r in mine:
        grouped.setdefault((r.on, r.analyte), {}).setdefault(r.at, []).append(r)
    out: Wanted = {}
    for (day, analyte), by_time in sorted(grouped.items()):
        timed = {v for at, recs in by_time.items() if at for v in ((r.value, r.censor) for r in recs)}
        for at, recs in sorted(by_time.items()):
            values = sorted({(float(f"{r.value:.6g}"), r.censor) for r in recs})
            if not at and timed:
                if all(any(same_value(v, tv) and c == tc for tv, tc in timed) for v, c in values):
                    continue  # the same result again without its time
                for r in recs:
                    problems.append(Problem(r.where, f"{analyte} on {day} has no time of day, and another result "
                                            f"of that day has one; not imported (give its time)"))
                continue
            if len(values) > 1 and analyte == "alt_uln" and not any(c for _, c in values):
                value, censor = values[-1]  # ALT and AST on one day: the higher multiple of ULN
            elif len(values) > 1:
                shown = ", ".join(f"{r.censor}{r.value:g} ({r.where})" for r in recs)
                for r in recs:
                    problems.append(Problem(r.where, f"{analyte} on {day}{' at ' + at if at else ''} has different "
                                            f"values in this import ({shown}); none of them imported"))
                continue
            else:
                value, censor = values[0]
            out.setdefault((day, at), {})[analyte] = (value, censor, recs)
    return out


def _store_patient(pid: str, path: Path, mine: list[ImportedLab], problems: list[Problem], write: bool = True,
                   attempts: int = _ATTEMPTS, later: Callable[[PendingSave], None] | None = None,
                   earlier: tuple[LabRecord, ...] = ()) -> PatientOutcome:
    """One patient's values appended to their plan file (``write``), tried ``attempts`` times when another program
    saves the file meanwhile; ``later``: the checked change is handed to it, not written here (see
    :func:`jakplan.records.planfile.edit_planfile`), and the outcome stands once it is written. ``earlier``, on a
    dry run: the entries this run would already have added to the same plan file (for another patient id routed
    to it), as if they had been written."""

    outcome = PatientOutcome(pid, path)
    wanted = _wanted(mine, problems)

    def new_values(history) -> tuple[Wanted, int, list[Problem]]:
        have: dict[tuple[dt.date, str], list[tuple[str, float, str]]] = {}
        for rec in history.labs:
            for a, v in rec.values.items():
                have.setdefault((rec.on, a), []).append((rec.at, v, rec.censored.get(a, "")))
        add: Wanted = {}
        already = 0
        found: list[Problem] = []
        for (day, at), analytes in wanted.items():
            for analyte, (value, censor, recs) in analytes.items():
                old = [(t, v, c) for t, v, c in have.get((day, analyte), []) if t == at or not t or not at]
                if any(same_value(v, value) and c == censor for _, v, c in old):
                    already += len(recs)
                elif old:
                    for r in recs:
                        found.append(Problem(r.where, f"{path.name} already has {analyte} "
                                             f"{', '.join(f'{c}{v:g}' for _, v, c in old)} on {day}"
                                             f"{' at ' + at if at else ''}; the file says {censor}{value:g}: not "
                                             f"imported (correct the plan file or the lab file; a second result of "
                                             f"the day needs its time)"))
                else:
                    add.setdefault((day, at), {})[analyte] = (value, censor, recs)
        return add, already, found

    if write:
        for attempt in range(attempts):
            try:
                with edit_planfile(path, sync_dir=False, clean=False, later=later) as pf:  # locked: what is there now decides what is new
                    add, already, found = new_values(pf.history)
                    if not add:
                        raise _NothingNew  # a plan file with nothing new is not rewritten
                    for (day, at), analytes in sorted(add.items()):
                        recs = [r for _, _, rs in analytes.values() for r in rs]
                        sources = tuple(sorted({_file_name(source_file(r.where)) for r in recs}))
                        prelim = tuple(sorted({_name(r) for r in recs if r.status == "preliminary"}))
                        pf.add_lab(day, {a: v for a, (v, _, _) in analytes.items()}, "", at,
                                   {a: c for a, (_, c, _) in analytes.items() if c},
                                   {a: (rs[-1].low, rs[-1].high) for a, (_, _, rs) in analytes.items()},
                                   {a: rs[-1].flag for a, (_, _, rs) in analytes.items()}, sources, prelim)
                    outcome.record = PatientRecord(pf.profile, pf.history, str(path))
            except _NothingNew:
                pass
            except ChangedMeanwhile:
                # another program (an editor) saved the file while this import was writing it: nothing was
                # written; read it again and add to what it holds now, or report it after the last attempt
                if attempt + 1 == attempts:
                    raise
                continue
            break
    else:
        history = load_planfile(path).history
        add, already, found = new_values(history.but(labs=history.labs + earlier) if earlier else history)
    problems += found
    outcome.already = already
    for (day, at), analytes in add.items():
        for a, (v, c, _) in analytes.items():
            outcome.added.setdefault(day, {})[a] = v
            if at:
                outcome.times.setdefault(day, {})[a] = at
            if c:
                outcome.censored.setdefault((day, at), {})[a] = c
        outcome.references[(day, at)] = ({a: (rs[-1].low, rs[-1].high) for a, (_, _, rs) in analytes.items()
                                          if (rs[-1].low, rs[-1].high) != (None, None)},
                                         {a: rs[-1].flag for a, (_, _, rs) in analytes.items() if rs[-1].flag})
        outcome.slots.setdefault(day, []).append((at, {a: v for a, (v, _, _) in analytes.items()},
                                                  {a: c for a, (_, c, _) in analytes.items() if c}))
    return outcome


class _NothingNew(Exception):
    """Raised inside the plan-file edit when nothing is new: the edit ends without writing."""


@functools.lru_cache(maxsize=256)  # the few lab files of an import, named once each, not once per value
def _file_name(source: str) -> str:
    return Path(source).name


def _name(r: ImportedLab) -> str:
    return r.analyte
