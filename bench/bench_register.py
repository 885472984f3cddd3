"""A clinic's register at scale: `cohort due` and `cohort export` over N generated plan files, each against its floor.

    python bench/bench_register.py [--files 10000] [--export-files 10000] [--repeat 3]

Paired and interleaved (each repeat runs the floor and jakplan back to back, in alternating order), medians
reported; one process (``workers=1``) for every ratio, so they compare like with like; `cohort due` is also
timed with the default number of processes for the size.

- ``cohort due``: :func:`jakplan.clinic.cohort.due_files` over N plan files for the week of 2024-08-12 (read with
  tomllib, validated, plan built through the one path, tracked, worklist rows built) plus sorting the rows.
  Floor: tomllib parse of the same files + building their plans (``planfile_from_raw`` and
  ``plan_for_record(record, today=week)``, protocols loaded once per run as in the due run), the work no
  worklist can skip. Aim: >= 2,000 files/s and <= 1.5x.
- ``cohort export``: :func:`jakplan.clinic.cohort.export_register` of the same register to .ics files into an empty
  folder (every file written: plans built, calendars rendered, each file written atomically with an fsync, one
  fsync of the folder). Floor: icalendar building and serialising the same events (same UIDs, dates,
  summaries, descriptions, categories; extracted beforehand) and writing each file with the same atomic write
  (temporary file, fsync, rename; one folder fsync). Aim: <= 1.3x. Also timed: .ics + .json (JSON written by
  orjson; no floor), and a re-run with nothing changed (nothing written).
- the protocol cache: the number of protocol files loaded in a due run (one per distinct protocol).

The generated plan files (a working clinic): baricitinib RA on the three shipped protocols, starts over
2023-2024, ages 18-90, a name and identifier; each check planned before the week recorded as done with
probability 0.9 (most on the day, some late), lab values at a third of the lab visits, and a closed pause for
one patient in twenty.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

os.environ.setdefault("SOURCE_DATE_EPOCH", "1711960200")

PROTOCOLS = ("us-label", "eu-smpc", "nhs-lanarkshire")
WEEK = dt.date(2024, 8, 12)


def make_register(folder: Path, n: int, seed: int = 11) -> None:
    """n plan files of a working clinic: each check planned before the week recorded as done (on its date,
    a few late) with probability 0.9, labs at some visits, a closed pause for one patient in twenty."""
    from jakplan.api import plan_for

    rng = random.Random(seed)
    day0 = dt.date(2023, 1, 1)
    folder.mkdir(parents=True, exist_ok=True)
    plans = {}
    for k in range(n):
        proto = rng.choice(PROTOCOLS)
        start = day0 + dt.timedelta(days=rng.randrange(600))
        age = rng.randint(18, 90)
        smoker = rng.choice(("never", "past", "current"))
        key = (proto, start, age >= 65, smoker)
        if key not in plans:
            plans[key] = plan_for(start, protocol=proto, months=24, factors={"age": age, "smoker": smoker})
        plan = plans[key]
        lines = ["jakplan = 1", 'drug = "baricitinib"', 'indication = "ra"', f'protocol = "{proto}"',
                 f"start = {start.isoformat()}", "", "[patient]", f'name = "Patient {k}"', f'identifier = "MRN {k:07d}"',
                 "", "[factors]", f"age = {age}", f'smoker = "{smoker}"']
        done_days, lab_days = set(), set()
        for ev in plan.events:
            if ev.date < WEEK - dt.timedelta(days=7) and rng.random() < 0.9:
                on = ev.date + dt.timedelta(days=rng.choice((0, 0, 0, 1, 2, 20)))
                if on < WEEK and (ev.rule, on) not in done_days:
                    done_days.add((ev.rule, on))
                    lines += ["", "[[done]]", f'rule = "{ev.rule}"', f"on = {on.isoformat()}"]
                    if ev.kind == "lab" and on not in lab_days and rng.random() < 0.3:
                        lab_days.add(on)
                        lines += ["", "[[lab]]", f"on = {on.isoformat()}", f"anc = {rng.choice((0.8, 1.9, 3.2, 4.1))}",
                                  f"hb = {rng.choice((7.5, 11.0, 13.4, 14.2))}"]
        if rng.random() < 0.05:
            p0 = start + dt.timedelta(days=60)
            lines += ["", "[[pause]]", f"from = {p0.isoformat()}", f"to = {(p0 + dt.timedelta(days=14)).isoformat()}",
                      'reason = "infection"']
        (folder / f"p{k:06d}.toml").write_text("\n".join(lines) + "\n")


# -- cohort due ------------------------------------------------------------------------------------------


def run_due(files, workers: int = 1) -> tuple[float, int]:
    from jakplan.clinic.cohort import due_files
    from jakplan.clinic.worklist import sort_rows

    t0 = time.perf_counter()
    rows = []
    for res in due_files(files, WEEK, workers=workers):
        if not res.ok:
            raise SystemExit(res.message)
        rows += res.detail["rows"]
    sort_rows(rows)
    return time.perf_counter() - t0, len(rows)


def run_due_floor(files) -> float:
    import tomllib

    from jakplan.api import one_run, plan_for_record
    from jakplan.records.patient import PatientRecord
    from jakplan.records.planfile import planfile_from_raw

    t0 = time.perf_counter()
    with one_run():  # the protocols loaded once, as in the due run: the floor is the per-file work
        for p in files:
            pf = planfile_from_raw(tomllib.loads(p.read_bytes().decode("utf-8")), p)
            plan_for_record(PatientRecord(pf.profile, pf.history, str(p)), today=WEEK)
    return time.perf_counter() - t0


# -- cohort export ---------------------------------------------------------------------------------------


def run_export(folder: Path, out: Path, formats=("ics",), clear: bool = True) -> tuple[float, int]:
    from jakplan.clinic.cohort import export_register
    from jakplan.render.cohortfiles import render_patient

    if clear:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
    t0 = time.perf_counter()
    _, results = export_register(folder, out, formats, workers=1, render=render_patient)
    written = 0
    for res in results:
        if not res.ok:
            raise SystemExit(res.message)
        written += len(res.files)
    return time.perf_counter() - t0, written


def extract_events(folder: Path) -> list[tuple[str, dict, list[dict]]]:
    """Every calendar as jakplan writes it (untimed): file name, calendar fields, event fields."""
    from icalendar import Calendar

    out = []
    for p in sorted(folder.glob("*.ics")):
        cal = Calendar.from_ical(p.read_bytes())
        head = {k: str(cal[k]) for k in ("UID", "NAME", "DESCRIPTION", "X-WR-CALNAME")}
        events = [{"uid": str(ev["UID"]), "start": ev.start, "end": ev.end, "summary": str(ev["SUMMARY"]),
                   "description": str(ev["DESCRIPTION"]), "categories": [str(c) for c in ev["CATEGORIES"].cats]}
                  for ev in cal.walk("VEVENT")]
        out.append((p.name, head, events))
    return out


def run_export_floor(data, out: Path) -> float:
    from icalendar import Calendar, Event, vText

    from jakplan.fileio import atomic_write, fsync_dir

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    stamp = dt.datetime(2024, 4, 1, 8, 30, tzinfo=dt.timezone.utc)
    t0 = time.perf_counter()
    for name, head, events in data:
        evs = [Event.new(uid=e["uid"], stamp=stamp, start=e["start"], end=e["end"], summary=e["summary"],
                         description=e["description"], categories=e["categories"], sequence=0,
                         transparency="TRANSPARENT") for e in events]
        cal = Calendar.new(prodid="-//jakplan//floor//EN", uid=head["UID"], name=head["NAME"],
                           description=head["DESCRIPTION"], subcomponents=evs)
        cal["X-WR-CALNAME"] = vText(head["X-WR-CALNAME"])
        atomic_write(out / name, cal.to_ical(), overwrite=True, sync_dir=False)
    fsync_dir(out)
    return time.perf_counter() - t0


def paired(a, b, repeat: int) -> tuple[list, list]:
    """Run a() and b() ``repeat`` times each, interleaved, alternating which goes first."""
    ra, rb = [], []
    for k in range(repeat):
        if k % 2:
            rb.append(b())
            ra.append(a())
        else:
            ra.append(a())
            rb.append(b())
    return ra, rb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--export-files", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="jakplan-register-bench-"))
    try:
        reg = tmp / "register"
        make_register(reg, args.files)
        import jakplan.catalog.loader as loader
        from jakplan.clinic.cohort import plan_files

        files = plan_files(reg)
        run_due(files[:200])  # warm imports and the protocol cache
        loaded = []
        real = loader.load_protocol_file
        loader._CACHE.clear()
        loader.load_protocol_file = lambda *a, **k: loaded.append(a[0]) or real(*a, **k)
        run_due(files)
        loader.load_protocol_file = real

        due_runs, floor_runs = paired(lambda: run_due(files), lambda: run_due_floor(files), args.repeat)
        due_t = statistics.median(t for t, _ in due_runs)
        floor_t = statistics.median(floor_runs)
        n_rows = due_runs[0][1]
        n = len(files)
        print(f"register: {n} plan files, {os.cpu_count()} CPUs, one process, median of {args.repeat} paired runs")
        print(f"cohort due   {due_t:7.2f} s  {n / due_t:7.0f} files/s  ({n_rows} worklist rows)   aim >= 2000 files/s")
        print(f"  floor      {floor_t:7.2f} s  {n / floor_t:7.0f} files/s  (tomllib + validate + build the plans)")
        print(f"  ratio      {due_t / floor_t:.2f}x   aim <= 1.50x")
        print(f"  protocol files loaded in one due run: {len(loaded)} ({len(set(loaded))} distinct)")
        from jakplan.clinic.cohort import default_workers

        w = default_workers(n)
        if w > 1:
            pooled = statistics.median(run_due(files, w)[0] for _ in range(args.repeat))
            print(f"cohort due, {w} processes (the default at this size): {pooled:.2f} s  {n / pooled:.0f} files/s")

        ereg = reg
        if args.export_files < n:
            ereg = tmp / "register-export"
            ereg.mkdir()
            for p in files[:args.export_files]:
                shutil.copy(p, ereg / p.name)
        m = len(plan_files(ereg))
        out, fout = tmp / "out", tmp / "floor"
        run_export(ereg, out)
        data = extract_events(out)
        n_events = sum(len(ev) for _, _, ev in data)
        exp_runs, efloor_runs = paired(lambda: run_export(ereg, out), lambda: run_export_floor(data, fout), args.repeat)
        exp_t = statistics.median(t for t, _ in exp_runs)
        efloor_t = statistics.median(efloor_runs)
        both = statistics.median(run_export(ereg, out, ("ics", "json"))[0] for _ in range(max(1, args.repeat // 2)))
        again = run_export(ereg, out, ("ics", "json"), clear=False)
        print(f"\ncohort export: {m} plan files -> {m} .ics ({n_events} events), one process, median of {args.repeat} paired runs")
        print(f"cohort export .ics  {exp_t:7.2f} s  {m / exp_t:7.0f} files/s")
        print(f"  floor             {efloor_t:7.2f} s  {m / efloor_t:7.0f} files/s  (icalendar build + serialise + atomic write)")
        print(f"  ratio             {exp_t / efloor_t:.2f}x   aim <= 1.30x")
        print(f"cohort export .ics + .json  {both:7.2f} s;  re-run with nothing changed: {again[0]:.2f} s, {again[1]} files written")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
