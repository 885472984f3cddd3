"""Linear at scale: the per-patient cost of `cohort export`, `cohort due` and `cohort audit` at 2,500, 10,000 and
50,000 patients, and the peak memory of each run.

    python bench/bench_scale.py [--sizes 2500,10000,50000] [--repeat 1] [--commands export,due,audit] [--workers 1]

Method (issue 20 item 5):

- One register of the largest size is generated (bench_register.py's working clinic: three baricitinib
  protocols, about 30 history entries per plan file); each smaller register is its first N plan files (hard
  links, so the smaller cohorts are the same patients; the generator is deterministic, patient by patient).
- Each run is its own Python process (a fresh interpreter with jakplan imported before the clock starts), so its
  peak resident set (Linux VmHWM; ``resource.getrusage`` elsewhere, see :func:`peak_rss_mib`) is that run's own
  and memory can be compared across sizes. ``--workers 1`` (the default) runs the whole job in that process; its wall time and CPU time
  (``time.process_time``) are both reported per patient.
- ``cohort export``: :func:`jakplan.clinic.cohort.export_register` of the register into an empty folder with the
  command's default formats (.ics and .json), as on the day 2025-06-02 (the calendars reach 12 months past it);
  every file written atomically (temporary file, fsync, rename), the folder fsynced once.
- ``cohort due``: :func:`jakplan.clinic.cohort.due_files` for the week of 2024-08-12 as the command runs it (rows
  worded), plus sorting the worklist. ``cohort audit``: :func:`jakplan.clinic.cohort.audit_files` for
  2024-01-01 to 2024-06-30 plus the aggregation.
- The runs are interleaved: each repeat runs every size (each command), in alternating order, and the medians
  are reported. The floor each ratio is taken against is the per-patient cost at the smallest size, measured in
  the same run. "own" is the wall time less the time the process waited for a CPU while ready to run
  (``/proc/self/schedstat``): on a shared machine, the run's own CPU and I/O time. Aim: the per-patient cost
  at the largest size within 1.3x of that at the smallest; export's memory flat (due and audit keep every
  worklist or audit row to sort or count them, so theirs grows with the rows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

os.environ.setdefault("SOURCE_DATE_EPOCH", "1711960200")

EXPORT_DAY = dt.date(2025, 6, 2)
WEEK = dt.date(2024, 8, 12)
AUDIT = (dt.date(2024, 1, 1), dt.date(2024, 6, 30))


# -- one run, in a child process ----------------------------------------------------------------------------


def peak_rss_mib() -> float:
    """This process's peak resident set in MiB: Linux's VmHWM (the high-water mark of this program's own memory;
    ``getrusage(RUSAGE_SELF).ru_maxrss`` keeps the peak of the process image before exec, here the parent's
    that generated the register), else ``ru_maxrss`` (KiB on Linux, bytes on macOS)."""
    import resource

    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024


def cpu_wait() -> float:
    """Seconds this process has waited for a CPU while ready to run (Linux /proc/self/schedstat; 0 elsewhere): on a
    shared machine, wall time minus this is the run's own time (CPU and I/O), free of other programs' load."""
    try:
        with open("/proc/self/schedstat") as fh:
            return int(fh.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def child(command: str, register: Path, out: Path, workers: int) -> dict:
    """Time one command over ``register`` in this process; jakplan is imported before the clock starts."""
    from jakplan.clinic.audit import aggregate
    from jakplan.clinic.cohort import audit_files, due_files, export_register, plan_files
    from jakplan.clinic.worklist import sort_rows
    from jakplan.render.cohortfiles import render_patient
    from jakplan.render.worklist import word_rows

    extra = 0
    w0, c0, q0 = time.perf_counter(), time.process_time(), cpu_wait()
    if command == "export":
        n, results = export_register(register, out, ("ics", "json"), workers, render=render_patient, today=EXPORT_DAY)
        for res in results:
            if not res.ok:
                raise SystemExit(res.message)
            extra += len(res.files)
    elif command == "due":
        files = plan_files(register)
        n, rows = len(files), []
        for res in due_files(files, WEEK, workers, WEEK, word=word_rows):
            if not res.ok:
                raise SystemExit(res.message)
            rows += res.detail["rows"]
        extra = len(sort_rows(rows))
    elif command == "audit":
        files = plan_files(register)
        n, rows = len(files), []
        for res in audit_files(files, *AUDIT, workers):
            if not res.ok:
                raise SystemExit(res.message)
            rows += res.detail["rows"]
        aggregate(rows)
        extra = len(rows)
    else:
        raise SystemExit(f"unknown command {command}")
    wall = time.perf_counter() - w0
    return {"n": n, "wall": wall, "cpu": time.process_time() - c0, "own": wall - (cpu_wait() - q0),
            "rss": peak_rss_mib(), "extra": extra}


def run_child(script: Path, args: list[str]) -> dict:
    """Run ``script --child ARGS`` in a fresh interpreter; its last stdout line is the JSON result."""
    done = subprocess.run([sys.executable, str(script), "--child", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{script.name} {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the registers ------------------------------------------------------------------------------------------


def registers(tmp: Path, sizes: list[int]) -> dict[int, Path]:
    """One register per size: the largest generated, the others its first N plan files (hard links)."""
    from bench_register import make_register

    big = max(sizes)
    full = tmp / f"register-{big}"
    make_register(full, big)
    names = sorted(p.name for p in full.glob("*.toml"))
    out = {big: full}
    for n in sizes:
        if n == big:
            continue
        d = tmp / f"register-{n}"
        d.mkdir()
        for name in names[:n]:
            try:
                os.link(full / name, d / name)
            except OSError:
                shutil.copy(full / name, d / name)
        out[n] = d
    return out


def report(command: str, runs: dict[int, list[dict]], unit: str = "patient", per: str = "extra") -> list[str]:
    """Lines for one command: per size the median wall and CPU cost per unit and the peak RSS; the ratios."""
    sizes = sorted(runs)
    med = {n: {k: statistics.median(r.get(k, r["wall"]) for r in runs[n]) for k in ("wall", "own", "cpu", "rss", "extra")}
           for n in sizes}
    lines = [f"{command}:"]
    for n in sizes:
        m = med[n]
        each = ", ".join(f"{r['wall']:.1f}" for r in runs[n])
        lines.append(f"  {n:>7,} {unit}s  {m['wall'] / n * 1e3:7.3f} ms/{unit} wall  {m['own'] / n * 1e3:7.3f} ms/{unit} "
                     f"own  {m['cpu'] / n * 1e3:7.3f} ms/{unit} CPU   peak RSS {m['rss']:6.1f} MiB   "
                     f"({m['wall']:7.1f} s; {per} {int(m['extra']):,})   "
                     f"runs: {each} s")
    lo, hi = sizes[0], sizes[-1]
    if hi != lo:
        w, o, c = ((med[hi][k] / hi) / (med[lo][k] / lo) for k in ("wall", "own", "cpu"))
        lines.append(f"  per-{unit} cost {hi:,} / {lo:,}: wall {w:.2f}x, own {o:.2f}x, CPU {c:.2f}x (aim <= 1.30x); "
                     f"peak RSS {med[hi]['rss'] - med[lo]['rss']:+.1f} MiB")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2500,10000,50000", help="register sizes, comma-separated")
    ap.add_argument("--repeat", type=int, default=1, help="interleaved rounds (medians reported)")
    ap.add_argument("--commands", default="export,due,audit")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--child", nargs=4, metavar=("COMMAND", "REGISTER", "OUT", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        command, register, out, workers = args.child
        print(json.dumps(child(command, Path(register), Path(out), int(workers))))
        return

    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    tmp = Path(tempfile.mkdtemp(prefix="jakplan-scale-bench-"))
    try:
        t0 = time.perf_counter()
        regs = registers(tmp, sizes)
        print(f"registers generated: {', '.join(f'{n:,}' for n in sizes)} plan files "
              f"({time.perf_counter() - t0:.0f} s); {os.cpu_count()} CPUs, workers={args.workers}, "
              f"{args.repeat} interleaved round(s)", flush=True)
        runs: dict[str, dict[int, list[dict]]] = {c: {n: [] for n in sizes} for c in commands}
        for k in range(args.repeat):
            for n in (sizes if k % 2 == 0 else sizes[::-1]):
                for c in commands:
                    out = tmp / "out"
                    shutil.rmtree(out, ignore_errors=True)
                    out.mkdir()
                    r = run_child(Path(__file__).resolve(), [c, str(regs[n]), str(out), str(args.workers)])
                    assert r["n"] == n, r
                    runs[c][n].append(r)
                    print(f"  round {k + 1}: {c} {n:,}: {r['wall']:.1f} s wall, {r['own']:.1f} s own, {r['cpu']:.1f} s CPU, "
                          f"peak RSS {r['rss']:.0f} MiB", flush=True)
        print()
        per = {"export": "files written", "due": "worklist rows", "audit": "audit rows"}
        for c in commands:
            print("\n".join(report(f"cohort {c}", runs[c], per=per.get(c, "extra"))))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
