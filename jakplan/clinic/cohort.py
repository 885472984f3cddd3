"""A clinic's cohort: every patient at once, streamed, in parallel when it pays.

- :func:`export_rows` turns a CSV of profiles into one .ics (and JSON, and optionally FHIR) file per patient.
- :func:`due_files` reads every plan file in a folder and says who is due or overdue in a given week.

Both stream: rows and files are read lazily, handed to workers in small chunks with a bounded number in
flight, and each result is yielded (and can be printed) as soon as it is ready, so memory does not grow with
the cohort (except for the set of patient ids seen, kept to refuse a duplicate id). A bad row or file becomes one result naming the file and line; the rest go on. Each patient's
files are rendered in memory first and written atomically; if one of them cannot be written, the others
written for that patient are removed again, so no patient is left half-written.

CSV columns: ``id`` and ``start`` (required), ``drug``, ``indication``, ``protocol``, ``months``, and any
patient factor of the vocabulary (``age``, ``egfr``, ``smoker`` ...; an empty cell means "not given").
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, NamedTuple, TypeVar

from jakplan.api import one_run, plan_for_record, status_for_record
from jakplan.clinic.audit import aggregate, patient_rows
from jakplan.clinic.worklist import row_codes, sort_rows, week_rows
from jakplan.engine.tracking import track
from jakplan.engine.visits import parse_clinic_days
from jakplan.errors import JakplanError
from jakplan.fileio import atomic_write, clean_stale_temps, fsync_dir, read_existing, remove_live_temps, write_group
from jakplan.records.clinicsettings import load_settings
from jakplan.records.csvrows import Row, count_rows, read_rows, record_from_row
from jakplan.records.register import plan_file_names, read_record
from jakplan.records.register import plan_files as listed

PARALLEL_MIN = 100
"""Below this many patients a pool of 2 saves too little to matter (measured: 150 patients 0.68 s in one
process, 0.42 s in two; 400 patients 1.95 s vs 1.10 s)."""
CHUNK = 64

T = TypeVar("T")
R = TypeVar("R")


# -- streaming, optionally parallel map ------------------------------------------------------------------


def _run_chunk(fn: Callable[[Any], Any], chunk: list) -> list:
    return [fn(x) for x in chunk]


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    buf: list[T] = []
    for x in items:
        buf.append(x)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


def _worker_init(parent: int | None = None) -> None:
    """A worker ignores Ctrl-C (the main process decides when to stop), cleans up on SIGTERM, and ends when
    ``parent`` (the process that started it) does, even by kill -9 (see :func:`_end_with_parent`)."""

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _worker_term)
    if parent is not None:
        _end_with_parent(parent)


PR_SET_PDEATHSIG = 1
"""Linux prctl(2) option: the signal a process receives when the thread that created it ends."""


def _end_with_parent(parent: int) -> None:
    """Make this worker end with ``parent``: on Linux the kernel sends it SIGTERM when the parent dies
    (``prctl(PR_SET_PDEATHSIG)``; the SIGTERM handler removes the worker's temporary files, and a group of files
    being renamed into place is finished first, as signals are held then); elsewhere a thread looks every half
    second whether the parent is still there. A parent that died before this ran is noticed at once. Under a fork
    server (not the fork start method) the worker's parent is the server, which ends with the main process."""

    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes  # Linux only: the parent-death signal

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    direct = os.getppid() == parent  # False under a fork server (or when the parent is already gone)
    if not direct and not _alive(parent):
        _worker_term(signal.SIGTERM, None)
    if not armed:

        threading.Thread(target=_watch_parent, args=(parent, direct), name="jakplan-parent-watch",
                         daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _watch_parent(parent: int, direct: bool) -> None:
    """SIGTERM to this process once ``parent`` is gone: ``direct``, when it is our parent no longer (a parent
    killed and not yet reaped still answers a signal); else when it no longer exists."""

    if hasattr(signal, "pthread_sigmask"):  # signals go to the main thread (held there while files are renamed)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    while (os.getppid() == parent) if direct else _alive(parent):
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)  # handled in the main thread, after any group of renames


def _worker_term(signum, frame) -> None:

    remove_live_temps()
    os._exit(128 + signum)


def stream_map(fn: Callable[[T], R], items: Iterable[T], workers: int = 1, chunk: int = CHUNK,
               stop: Callable[[], bool] | None = None) -> Iterator[R]:
    """``map(fn, items)`` in order, over ``workers`` processes when > 1, with at most 2 chunks per worker in
    flight (``fn`` must be a module-level function). Input is consumed lazily.

    ``stop`` is asked before each new item (or chunk) is started; once it says True no more are started, and
    the ones in hand are finished and yielded. An exception in the consumer (a second Ctrl-C) stops the
    workers at once (SIGTERM: each removes its temporary files)."""
    stopped = stop or (lambda: False)
    if workers <= 1:
        for x in items:
            if stopped():
                return
            yield fn(x)
        return
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init, initargs=(os.getpid(),))
    try:
        pending: deque = deque()
        for c in _chunks(items, chunk):
            if stopped():
                break
            pending.append(pool.submit(_run_chunk, fn, c))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        if stopped():
            for f in pending:
                f.cancel()  # not yet started: dropped; the ones running are finished and yielded
        while pending:
            f = pending.popleft()
            if not f.cancelled():
                yield from f.result()
    except BaseException:
        for proc in list(getattr(pool, "_processes", {}).values()):
            try:
                proc.terminate()
            except Exception:
                pass
        # the workers are gone, so waiting is short; not waiting would leave the pool's exit hook writing to a
        # closed pipe at interpreter exit (a traceback on stderr)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _in_one_run(results: Iterator[R]) -> Iterator[R]:
    """Consume ``results`` inside :func:`jakplan.api.one_run`: each protocol reference is loaded once per run
    (worker processes, forked inside it, keep their own copy for the run)."""

    with one_run():
        yield from results


def chunk_size(n: int, workers: int) -> int:
    """Chunks small enough that every worker gets several (load balance), at most CHUNK rows."""
    return max(4, min(CHUNK, n // (workers * 4) if workers > 1 else CHUNK))


def default_workers(n: int) -> int:
    """2 processes (or the machine's cores, if fewer) once the cohort is large enough to pay for a pool."""
    return min(2, os.cpu_count() or 1) if n >= PARALLEL_MIN else 1


# The renderer of one patient's files, ``render(plan, pid, formats, who="", dtstamp=None, recorded=None)`` ->
# each format's bytes: :func:`jakplan.render.cohortfiles.render_patient`. It is passed in by the caller (the CLI),
# because the clinic layer sits below render/ and never imports it; a module-level function, so workers can
# receive it.
Renderer = Callable[..., dict[str, bytes]]

# -- export ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportJob:
    row: Row
    out: str
    render: Renderer
    formats: tuple[str, ...] = ("ics", "json")
    overwrite: bool = False


@dataclass(frozen=True)
class Result:
    name: str
    where: str
    ok: bool
    message: str = ""
    files: tuple[str, ...] = ()
    events: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


SUFFIX = {"ics": ".ics", "json": ".json", "fhir": ".fhir.json"}


def export_one(job: ExportJob) -> Result:
    """Render and write one patient's files as a unit (all or none); never raises for the patient's own
    problems: whatever goes wrong with one row (bad data, a date out of range, an unexpected error) becomes
    that row's Result, and the run goes on."""

    row = job.row
    pid = row.cells.get("id", "?")
    try:
        pid, record = record_from_row(row)
        plan = plan_for_record(record)
        targets, unchanged, events = [], 0, 0
        for f in job.formats:  # a re-run leaves files that already hold this content alone (like the register form)
            target = Path(job.out) / f"{pid}{SUFFIX[f]}"
            payload = _changed_only(target, f, lambda stamp, old=None, f=f: job.render(
                plan, pid, (f,), "", stamp, None, old if f == "ics" else None)[f])
            if f == "ics":
                events = vevents(payload if payload is not None else target.read_bytes())
            if payload is None:
                unchanged += 1
            else:
                targets.append((target, payload))
        # new files are created exclusively (a name taken meanwhile fails the patient, never replaces a file);
        # the folder is synced once at the end, and stale temporary files were cleaned at the start of the run
        if targets:
            write_group(targets, overwrite=job.overwrite, sync_dir=False, clean=False)
        return Result(pid, row.where, True, files=tuple(str(t) for t, _ in targets),
                      events=events if "ics" in job.formats else len(plan.events), detail={"unchanged": unchanged})
    except JakplanError as exc:
        msg = str(exc)
        if not msg.startswith(row.source):
            msg = f"{row.where} (id {pid}): {msg}"
        return Result(pid, row.where, False, msg)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - one row never aborts the run
        return Result(pid, row.where, False, f"{row.where} (id {pid}): this row could not be planned "
                                             f"({type(exc).__name__}: {exc}); please report it")


def vevents(ics: bytes) -> int:
    """The events a calendar holds (what a calendar program shows), not the plan's occurrences."""
    return ics.count(b"\nBEGIN:VEVENT") + ics.startswith(b"BEGIN:VEVENT")


def output_folder(out: str | os.PathLike) -> Path:
    """The folder for per-patient files, created if its parent exists; anything else is one line."""
    outdir = Path(out)
    if outdir.is_dir():
        return outdir
    if outdir.exists() or outdir.is_symlink():
        raise JakplanError(f"{outdir}: exists and is not a folder")
    parent = outdir.parent if str(outdir.parent) else Path(".")
    if not parent.is_dir():
        why = "its parent folder does not exist" if not parent.exists() else f"{parent} is not a folder"
        raise JakplanError(f"{outdir}: cannot create this folder: {why}")
    try:
        outdir.mkdir()
    except FileExistsError:
        if not outdir.is_dir():
            raise JakplanError(f"{outdir}: exists and is not a folder") from None
    except OSError as exc:
        raise JakplanError(f"{outdir}: cannot create this folder: {exc.strerror}") from None
    return outdir


def export_rows(csv_path: str | os.PathLike, out: str | os.PathLike, formats: tuple[str, ...] = ("ics", "json"),
                overwrite: bool = False, workers: int | None = None, total: int | None = None,
                stop: Callable[[], bool] | None = None, *, render: Renderer) -> Iterator[Result]:
    """One Result per CSV data row, in order (see the module docstring). ``workers`` None: decide by size.

    ``stop`` is asked before each patient (or chunk) is started: once it says True (a first Ctrl-C), the
    patients in hand are finished and no more are started."""

    rows = read_rows(csv_path)
    outdir = output_folder(out)
    clean_stale_temps(outdir)  # once per run, not once per file
    n = total if total is not None else count_rows(csv_path)
    if workers is None:
        workers = default_workers(n)

    seen: dict[str, tuple[str, str]] = {}  # ids folded for case -> (id, where): P1 and p1 share a file name on
    # a case-insensitive file system, so one patient's calendar would replace the other's

    def jobs() -> Iterator[ExportJob]:
        for row in rows:
            pid = row.cells.get("id", "")
            earlier = seen.get(pid.casefold()) if pid else None
            if earlier is not None:
                why = f"id '{pid}' is used by an earlier row" if earlier[0] == pid else (
                    f"id '{pid}' and id '{earlier[0]}' ({earlier[1]}) differ only in case; their files would be one "
                    f"file where file names ignore case (rename one id)")
                bad = Row(row.source, row.line, {"id": pid, "__error__": why})
                yield ExportJob(bad, str(outdir), render, formats, overwrite)
                continue
            if pid:
                seen[pid.casefold()] = (pid, row.where)
            yield ExportJob(row, str(outdir), render, formats, overwrite)

    def synced(results: Iterator[Result]) -> Iterator[Result]:
        yield from results

        fsync_dir(outdir)  # one folder fsync makes every rename of the run durable

    return synced(_in_one_run(stream_map(export_one, jobs(), workers, chunk_size(n, workers), stop)))


# -- export from a register (a folder of plan files) ------------------------------------------------------


@dataclass(frozen=True)
class RegisterJob:
    path: str
    out: str
    render: Renderer
    formats: tuple[str, ...] = ("ics", "json")
    today: dt.date | None = None
    """The day of the export: the calendars reach 12 months past it (None: the plan file's own months)."""
    systems: dict[str, str] = field(default_factory=dict)
    """clinic.toml [identifiers] systems (URI = prefix), for a CarePlan's subject."""
    clinic_days: tuple[int, ...] = ()
    """clinic.toml clinic_days as weekday numbers (() = Monday to Friday)."""


_DTSTAMP = re.compile(rb"^DTSTAMP:(\d{8}T\d{6}Z)\r?$", re.MULTILINE)


def _old_stamp(data: bytes) -> dt.datetime | None:
    m = _DTSTAMP.search(data)
    if not m:
        return None
    return dt.datetime.strptime(m.group(1).decode(), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)


def who_of(identity, pid: str) -> str:
    """How a clinic's calendar names the patient: 'name (identifier)', either alone, or the plan file's id."""
    if identity and identity.name and identity.identifier:
        return f"{identity.name} ({identity.identifier})"
    if identity and (identity.name or identity.identifier):
        return identity.name or identity.identifier
    return pid


def _changed_only(target: Path, fmt: str, render) -> bytes | None:
    """The bytes to write to ``target`` (``render(dtstamp)``), or None when it already holds this content.

    A calendar's DTSTAMP is the time of the export, so an existing calendar is compared with the calendar
    rendered with its own DTSTAMP: unchanged content is not rewritten, a changed one gets a new DTSTAMP."""

    old = read_existing(target)  # a FIFO, device or link out of the folder is refused, never opened for reading
    if old is None:
        return render(None, None)
    stamp = _old_stamp(old) if fmt == "ics" else None
    new = render(stamp, old)
    if new == old:
        return None
    return render(None, old) if stamp is not None else new


def recorded_items(plan, history) -> list:
    """What a plan file records for the plan's occurrences (:class:`jakplan.engine.tracking.Item`: done on time
    or late, waived, not applicable); the renderers word them (render.words.recorded_text).

    Independent of the day of the export: the course is tracked on the day of the last record."""

    if not history.done:
        return []
    last = max([d.on for d in history.done] + [plan.start])
    return [i for i in track(plan, history, last).items
            if i.state in ("done", "waived", "not_applicable") and i.done_on is not None]


def export_planfile(job: RegisterJob) -> Result:
    """Write one plan file's calendar (and JSON ...) where its content changed; never raises for its problems.

    ``files`` of the result: the files written; ``detail``: ``unchanged`` (files left as they were) or
    ``skipped`` (a TOML file that is not a plan file)."""

    p = Path(job.path)
    pid = p.stem
    try:
        record = read_record(p)
        if record is None:
            return Result(pid, str(p), True, detail={"skipped": "not a plan file (no 'jakplan = 1')"})
        plan = plan_for_record(record, today=job.today)
        who = who_of(record.profile.identity, pid)
        recorded = recorded_items(plan, record.history)
        status = None
        if "fhir" in job.formats and job.today is not None:  # the CarePlan's activities say what was done
            status = track(plan, record.history.as_of(job.today), job.today)
        written, unchanged = [], 0
        for f in job.formats:
            target = Path(job.out) / f"{pid}{SUFFIX[f]}"
            payload = _changed_only(target, f, lambda stamp, old=None, f=f: job.render(
                plan, pid, (f,), who, stamp, recorded, old if f == "ics" else None,
                status=status if f == "fhir" else None, systems=job.systems, clinic_days=job.clinic_days or None)[f])
            if payload is None:
                unchanged += 1
                continue
            # folder synced once at the end; stale temporary files were cleaned once at the start of the run (a
            # scan of the output folder per file written made a run O(n^2) in directory entries)
            atomic_write(target, payload, overwrite=True, sync_dir=False, clean=False)
            written.append(str(target))
        events = vevents(Path(job.out, f"{pid}.ics").read_bytes()) if "ics" in job.formats else len(plan.events)
        return Result(pid, str(p), True, files=tuple(written), events=events, detail={"unchanged": unchanged})
    except JakplanError as exc:
        return Result(pid, str(p), False, str(exc))


_TMP = re.compile(r"^\..+\.(ics|json)\.[A-Za-z0-9_]+\.tmp$")


def remove_leftovers(out: Path) -> int:
    """Remove temporary files an interrupted export left behind (the target files are never half-written)."""
    n = 0
    for t in out.glob(".*.tmp"):
        if _TMP.match(t.name):
            t.unlink(missing_ok=True)
            n += 1
    return n


def export_register(folder: str | os.PathLike, out: str | os.PathLike, formats: tuple[str, ...] = ("ics", "json"),
                    workers: int | None = None, stop: Callable[[], bool] | None = None, *,
                    render: Renderer, today: dt.date | None = None) -> tuple[int, Iterator[Result]]:
    """(number of files, one Result per plan file): each patient's files, rewritten only where they changed.

    Safe to re-run after an interrupted run: every file is replaced atomically, leftover temporary files are
    removed first, and what is already up to date is left alone."""

    outdir = Path(out)
    if not outdir.exists() and outdir.parent.is_dir():
        outdir.mkdir()
    if not outdir.is_dir():
        raise JakplanError(f"{outdir}: not a folder, and its parent folder does not exist")
    files = plan_file_names(folder)  # held for the whole run: text, not Path objects (memory ~flat at 50,000)
    if not files:
        raise JakplanError(f"{folder}: no plan files in this folder (*.toml files that start with 'jakplan = 1'); "
                           f"give a register folder or a CSV of profiles")

    remove_leftovers(outdir)
    clean_stale_temps(outdir)  # once per run, not once per file
    if workers is None:
        workers = default_workers(len(files))

    def synced(results: Iterator[Result]) -> Iterator[Result]:
        yield from results

        fsync_dir(outdir)


    settings = load_settings(Path(folder))
    days = parse_clinic_days(settings.clinic_days, f"{settings.path}: clinic_days") if settings.clinic_days else ()
    jobs = (RegisterJob(p, str(outdir), render, formats, today, settings.systems, days) for p in files)
    return len(files), synced(_in_one_run(stream_map(export_planfile, jobs, workers, chunk_size(len(files), workers),
                                                     stop)))


# -- who is due ------------------------------------------------------------------------------------------


# The words of one patient's worklist rows, ``word(rows) -> [dict]``: :func:`jakplan.render.worklist.word_rows`,
# passed in by the caller (the CLI) like the files' renderer of `cohort export`; without it the rows are plain
# codes (:func:`jakplan.engine.worklist.row_codes`).
RowWords = Callable[[list], list]


@dataclass(frozen=True)
class DueJob:
    path: str
    week_start: dt.date
    today: dt.date | None = None
    """The day each patient is judged on, with everything recorded up to it (default: the week's Monday)."""
    word: RowWords | None = None


def due_one(job: DueJob) -> Result:
    """One plan file's worklist rows for the week (``detail['rows']``, see :mod:`jakplan.engine.worklist`), worded
    by ``job.word`` (or plain codes)."""

    p = Path(job.path)
    try:
        record = read_record(p)
        if record is None:
            return Result(p.stem, str(p), True, detail={"skipped": True, "rows": [], "overdue": False})
        st = status_for_record(record, job.today or job.week_start)
        typed = week_rows(st, p.stem, str(p), job.week_start)
        rows = job.word(typed) if job.word is not None else [row_codes(r) for r in typed]
        if record.kept:  # the register's kept columns (consultant ...): the HTML worklist filters by them
            for r in rows:
                r["kept"] = dict(record.kept)
        return Result(p.stem, str(p), True, detail={
            "rows": rows, "overdue": any(r["kind"] == "overdue" for r in rows),
            "paused": bool(st.pauses and st.pauses[-1].end is None)})
    except JakplanError as exc:
        return Result(p.stem, str(p), False, str(exc))
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - one file never aborts the folder
        return Result(p.stem, str(p), False, f"{p}: could not be read ({type(exc).__name__}: {exc}); please report it")


def plan_files(folder: str | os.PathLike) -> list[Path]:
    """The plan files of a register folder (see :func:`jakplan.records.register.plan_files`)."""

    return listed(folder)


def due_files(files: list[Path], week_start: dt.date, workers: int | None = None,
              today: dt.date | None = None, *, word: RowWords | None = None) -> Iterator[Result]:
    """Each plan file's worklist rows: judged as of ``today`` (results and records up to that day count; the
    CLI's default is the real today), listing what falls due through the end of the week from ``week_start``;
    ``word`` words each patient's rows in the worker (see :data:`RowWords`)."""
    if workers is None:
        workers = default_workers(len(files))
    return _in_one_run(stream_map(due_one, (DueJob(str(p), week_start, today, word) for p in files), workers,
                                  chunk_size(len(files), workers)))


class Worklist(NamedTuple):
    """`cohort due` as one use case: the week's rows, sorted (lab results needing action, overdue, due), and what
    the summary is built from."""

    rows: list[dict[str, Any]]
    nfiles: int
    """Plan files read (TOML files that are not plan files not counted)."""
    errors: list[tuple[str, str]]
    """(file, message) for each plan file that could not be read; the others are still listed."""
    skipped: int
    overdue_patients: int
    lab_patients: int
    """Patients with a lab result that needs action."""


def _sweep(results: Iterable[Result], errors: list[tuple[str, str]], tick: Callable[[], None] | None,
           on_error: Callable[[str], None] | None) -> Iterator[Result]:
    """The readable results; each file counted by ``tick``, each error kept in ``errors`` as (file, message)
    and passed to ``on_error`` as it comes."""
    for res in results:
        if tick is not None:
            tick()
        if not res.ok:
            errors.append((res.where, res.message))
            if on_error is not None:
                on_error(res.message)
            continue
        yield res


def worklist(files: list[Path], week_start: dt.date, today: dt.date, workers: int | None = None, *,
             word: RowWords | None = None, tick: Callable[[], None] | None = None,
             on_error: Callable[[str], None] | None = None) -> Worklist:
    """The week's worklist of a register (see :func:`due_files`); ``tick`` is called once per file read (a
    progress bar), ``on_error`` with each file's error as it is found."""
    rows: list[dict[str, Any]] = []
    errors: list[tuple[str, str]] = []
    skipped = overdue = lab = 0
    for res in _sweep(due_files(files, week_start, workers, today, word=word), errors, tick, on_error):
        skipped += bool(res.detail.get("skipped"))
        overdue += res.detail["overdue"]
        lab += any(r["kind"] == "lab" for r in res.detail["rows"])
        rows += res.detail["rows"]
    return Worklist(sort_rows(rows), len(files) - skipped, errors, skipped, overdue, lab)


class ExportTally(NamedTuple):
    """What `cohort export` did, counted for its summary (render/cohortrun.py words it)."""

    source: str
    """The register folder or the CSV of profiles."""
    out: str
    formats: tuple[str, ...]
    register: bool
    patients: int = 0
    """Patients written (from a CSV) or up to date (from a register)."""
    files: int = 0
    """Files written."""
    events: int = 0
    """Calendar events written (from a CSV)."""
    unchanged: int = 0
    """Files already up to date, not written again (from a register)."""
    skipped: int = 0
    """TOML files that are not plan files (from a register)."""
    failed: tuple[str, ...] = ()
    """The message of each patient not written."""


def tally_export(source: str, out: str, formats: tuple[str, ...], results: Iterable[Result], register: bool, *,
                 tick: Callable[[], None] | None = None,
                 on_error: Callable[[str], None] | None = None) -> ExportTally:
    """Count the results of :func:`export_rows` or :func:`export_register` as they come (``tick`` once per
    patient, ``on_error`` with each failure)."""
    patients = files = events = unchanged = skipped = 0
    errors: list[tuple[str, str]] = []
    for res in _sweep(results, errors, tick, on_error):
        if res.detail.get("skipped"):
            skipped += 1
        else:
            patients += 1
            files += len(res.files)
            events += res.events
            unchanged += res.detail.get("unchanged", 0)
    return ExportTally(source, out, formats, register, patients, files, events, unchanged, skipped,
                       tuple(message for _, message in errors))


class Audit(NamedTuple):
    """`cohort audit` as one use case: the groups (check x drug, with outcomes and patients) and the basis."""

    groups: list[dict[str, Any]]
    nfiles: int
    errors: list[tuple[str, str]]
    skipped: int


# -- the audit -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditJob:
    path: str
    start: dt.date
    end: dt.date


def audit_one(job: AuditJob) -> Result:
    """One plan file's occurrences in the period with their outcome (``detail['rows']``, see :mod:`jakplan.clinic.audit`)."""

    p = Path(job.path)
    try:
        record = read_record(p)
        if record is None:
            return Result(p.stem, str(p), True, detail={"skipped": True, "rows": []})
        if record.profile.start is not None and record.profile.start > job.end + dt.timedelta(days=366):
            return Result(p.stem, str(p), True, detail={"rows": []})
        st = status_for_record(record, job.end)
        return Result(p.stem, str(p), True, detail={"rows": patient_rows(st, p.stem, job.start, job.end)})
    except JakplanError as exc:
        return Result(p.stem, str(p), False, str(exc))


def audit_files(files: list[Path], start: dt.date, end: dt.date, workers: int | None = None) -> Iterator[Result]:
    if workers is None:
        workers = default_workers(len(files))
    return _in_one_run(stream_map(audit_one, (AuditJob(str(p), start, end) for p in files), workers,
                                  chunk_size(len(files), workers)))


def audit(files: list[Path], start: dt.date, end: dt.date, workers: int | None = None, *,
          tick: Callable[[], None] | None = None, on_error: Callable[[str], None] | None = None) -> Audit:
    """The audit of a register for the period (see :func:`audit_files`); ``tick`` and ``on_error`` as for
    :func:`worklist`."""
    rows: list[dict[str, Any]] = []
    errors: list[tuple[str, str]] = []
    skipped = 0
    for res in _sweep(audit_files(files, start, end, workers), errors, tick, on_error):
        skipped += bool(res.detail.get("skipped"))
        rows += res.detail["rows"]
    return Audit(aggregate(rows), len(files) - skipped, errors, skipped)
