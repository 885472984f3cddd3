"""Cohort throughput: N generated profiles -> one .ics file per patient, against the icalendar floor.

    python bench/bench_cohort.py [--patients 10000] [--small 1000] [--workers 2] [--repeat 3]

What it measures (printed, not asserted):

- jakplan: ``jakplan.clinic.cohort.export_rows`` from a CSV of N deterministic profiles to N .ics files, end to end:
  reading the CSV, building each plan, rendering the calendar, and the atomic write of each file
  (temporary file + fsync + rename; one fsync of the output folder per run). Wall time, patients/s; run serially and with
  ``--workers`` processes (the default for a cohort of this size).
- the floor: the time icalendar alone takes to build and serialize the same events (same UIDs, dates,
  summaries, descriptions, categories; extracted from jakplan's calendars beforehand) in one process, with
  no plan building and no files. The issue's aim: jakplan's total at most 1.5x the floor.
- linearity: seconds per patient at --small and at --patients patients (serial), and their ratio.
- memory: tracemalloc peak while exporting --small and --patients patients serially (the cohort is streamed,
  not held: what grows is only the set of patient ids seen, about 100 bytes each, which lets a duplicate id be
  refused instead of overwriting another patient's calendar), and the largest resident set of the workers.
- the single-command ratio of bench/bench_startup.py (jakplan schedule vs a Typer+Rich floor), run as is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

os.environ.setdefault("SOURCE_DATE_EPOCH", "1711960200")

PROTOCOLS = ("us-label", "eu-smpc", "nhs-lanarkshire")


def make_csv(path: Path, n: int, seed: int = 6) -> None:
    """n deterministic profiles: starts over 2023-2025, the three baricitinib RA protocols, ages 18-90."""
    rng = random.Random(seed)
    day0 = dt.date(2023, 1, 1)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("id,start,drug,indication,protocol,months,age,smoker\n")
        for k in range(n):
            start = day0 + dt.timedelta(days=rng.randrange(3 * 365))
            fh.write(f"p{k:06d},{start.isoformat()},baricitinib,ra,{rng.choice(PROTOCOLS)},"
                     f"{rng.choice((12, 12, 24))},{rng.randint(18, 90)},{rng.choice(('never', 'past', 'current'))}\n")


def run_jakplan(csv: Path, out: Path, workers: int) -> tuple[float, int]:
    from jakplan.clinic.cohort import export_rows
    from jakplan.render.cohortfiles import render_patient

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    t0 = time.perf_counter()
    n = 0
    for res in export_rows(csv, out, ("ics",), workers=workers, render=render_patient):
        if not res.ok:
            raise SystemExit(res.message)
        n += 1
    return time.perf_counter() - t0, n


def extract_events(csv: Path) -> list[tuple[dict, list[dict]]]:
    """The calendar and event fields of every patient, as jakplan writes them (untimed)."""
    from jakplan.api import plan_for_record
    from jakplan.records.csvrows import read_rows, record_from_row
    from jakplan.render.ics import calendar

    out = []
    for row in read_rows(csv):
        pid, record = record_from_row(row)
        cal = calendar(plan_for_record(record), namespace=pid)
        head = {"uid": str(cal["UID"]), "name": str(cal["NAME"]), "description": str(cal["DESCRIPTION"])}
        events = []
        for ev in cal.walk("VEVENT"):
            events.append({
                "uid": str(ev["UID"]), "start": ev.start, "end": ev.end, "summary": str(ev["SUMMARY"]),
                "description": str(ev["DESCRIPTION"]), "categories": [str(c) for c in ev["CATEGORIES"].cats],
            })
        out.append((head, events))
    return out


def run_floor(data) -> float:
    """icalendar alone: build and serialize the same calendars (one process, no files)."""
    from icalendar import Calendar, Event

    stamp = dt.datetime(2024, 4, 1, 8, 30, tzinfo=dt.timezone.utc)
    t0 = time.perf_counter()
    for head, events in data:
        evs = [Event.new(uid=e["uid"], stamp=stamp, start=e["start"], end=e["end"], summary=e["summary"],
                         description=e["description"], categories=e["categories"], sequence=0,
                         transparency="TRANSPARENT") for e in events]
        cal = Calendar.new(prodid="-//jakplan//floor//EN", uid=head["uid"], name=head["name"],
                           description=head["description"], subcomponents=evs)
        cal.to_ical()
    return time.perf_counter() - t0


def peak_memory(csv: Path, out: Path) -> float:
    """tracemalloc peak (MiB) of a serial export."""
    from jakplan.clinic.cohort import export_rows
    from jakplan.render.cohortfiles import render_patient

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    tracemalloc.start()
    for _ in export_rows(csv, out, ("ics",), workers=1, render=render_patient):
        pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=10_000)
    ap.add_argument("--small", type=int, default=1_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-startup", action="store_true", help="skip bench_startup.py")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="jakplan-bench-"))
    try:
        big, small = tmp / "big.csv", tmp / "small.csv"
        make_csv(big, args.patients)
        make_csv(small, args.small)
        out = tmp / "out"
        from jakplan.api import plan_for_record  # noqa: F401  warm imports
        run_jakplan(small, out, 1)

        data = extract_events(big)
        n_events = sum(len(ev) for _, ev in data)
        floor = statistics.median(run_floor(data) for _ in range(args.repeat))
        del data

        serial = [run_jakplan(big, out, 1)[0] for _ in range(args.repeat)]
        pooled = [run_jakplan(big, out, args.workers)[0] for _ in range(args.repeat)]
        small_t = [run_jakplan(small, out, 1)[0] for _ in range(args.repeat)]
        s, p, sm = statistics.median(serial), statistics.median(pooled), statistics.median(small_t)
        files = len(list(out.iterdir()))

        mem_small = peak_memory(small, out)
        mem_big = peak_memory(big, out)
        child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        n = args.patients
        print(f"cohort: {n} patients, {n_events} calendar events, {os.cpu_count()} CPUs, median of {args.repeat}")
        print(f"floor   icalendar alone, build + serialize, 1 process: {floor:7.2f} s  ({n / floor:7.0f} patients/s)")
        print(f"jakplan export, 1 process  (plan + .ics + fsync'd writes): {s:7.2f} s  ({n / s:7.0f} patients/s)"
              f"  ratio to floor {s / floor:.2f}x")
        print(f"jakplan export, {args.workers} processes:{'':29}{p:7.2f} s  ({n / p:7.0f} patients/s)"
              f"  ratio to floor {p / floor:.2f}x   (aim: <= 1.50x)")
        print(f"linearity (1 process): {sm / args.small * 1e3:.3f} ms/patient at {args.small}, "
              f"{s / n * 1e3:.3f} ms/patient at {n}  (ratio {s / n / (sm / args.small):.2f})")
        grow = (mem_big - mem_small) * 2**20 / (n - args.small) if n > args.small else 0.0
        print(f"memory: tracemalloc peak {mem_small:.1f} MiB at {args.small} patients, {mem_big:.1f} MiB at {n} "
              f"({grow:.0f} bytes per extra patient: the set of ids seen, kept to refuse a duplicate id); "
              f"largest worker RSS {child_rss:.0f} MiB")
        print(f"files written in the last run: {files}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if not args.no_startup:
        print("\nsingle command (bench/bench_startup.py):")
        sys.stdout.flush()
        subprocess.run([sys.executable, str(HERE / "bench_startup.py"), "--pairs", "20"], check=False)


if __name__ == "__main__":
    main()
