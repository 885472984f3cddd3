"""`cohort labs import` at a clinic's scale: a lab CSV of V values for N plan files, against its floor.

    python bench/bench_labimport.py [--files 2000] [--values-per-file 8] [--repeat 3]

Paired and interleaved (each repeat runs the floor and jakplan back to back, in alternating order, each on a
fresh copy of the register made before the clock starts), medians reported, one process.

- jakplan: the command ``jakplan cohort labs import labs.csv --into register`` run in this process (typer's
  CliRunner: everything the command does except the interpreter's start): every value read through the
  lab-value path, matched to its plan file, appended under the plan file's lock with an atomic replace, and every
  touched patient's new values judged against the protocol for the report.
- floor: parsing the same CSV (the csv module, a float per value) plus reading each touched plan file and
  atomically rewriting it with the new lines appended (jakplan's own atomic write: temporary file, fsync,
  rename; one look for stale temporary files and one fsync of the folder, as the import) - the work no importer
  can skip, one file after the other.

Aims (issue 19): >= 5,000 values/s over 2,000 plan files, and <= 2x the floor. ``--worked``: the plan files
have the lock files jakplan's own edits leave beside them (by default none has, and the import creates 2,000).

    python bench/bench_labimport.py --scaling [--days 500,1000,2000,4000] [--obx 1000,4000,14000]
                                              [--patients 500,2000,8000] [--repeat 3]

Linear growth (issue 20 item 5), each run in its own process (its peak memory its own: Linux VmHWM), the sizes
interleaved (alternating order), medians of wall and CPU time per unit, and the ratio largest / smallest size
(the floor: the per-unit cost at the smallest size, in the same run; aim <= 1.3x):

- many days for one patient: a CSV of D days x 4 analytes for one plan file, the whole `cohort labs import` use case
  (read, store: one [[lab]] entry per day appended in one edit, judge); cost per day;
- many OBX in one HL7 message: one ORU^R01 message of N OBX segments (one patient, 4 analytes a day, N/4 days),
  read by the HL7 reader (parse, lab-value path); cost per OBX (storing N/4 days is the case above); 14,000 OBX
  is about the largest message jakplan reads (labimport.MAX_HL7_MESSAGE, 1 MiB);
- many patients: a CSV of 4 values for each of P plan files (with identifiers, a tenth matched by identifier), the
  whole use case; cost per patient.

The register is bench_register.py's working clinic (about 30 history entries per file); the CSV gives each
patient two days after that history, each with ANC, lymphocytes, haemoglobin and platelets (LOINC codes, SI units).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

os.environ.setdefault("SOURCE_DATE_EPOCH", "1711960200")

ANALYTES = (("751-8", "1.9", "10*9/L"), ("731-0", "1.1", "10*9/L"), ("718-7", "13.1", "g/dL"),
            ("777-3", "240", "10*9/L"))
DAYS = ("2024-09-02", "2024-09-03", "2024-09-04", "2024-09-05")


def make_csv(path: Path, files: list[Path], per_file: int) -> int:
    n = 0
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["patient", "date", "analyte", "value", "unit"])
        for p in files:
            for k in range(per_file):
                code, value, unit = ANALYTES[k % len(ANALYTES)]
                w.writerow([p.stem, DAYS[k // len(ANALYTES) % len(DAYS)], code, value, unit])
                n += 1
    return n


def run_jakplan(csv_path: Path, folder: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of the command."""
    from typer.testing import CliRunner

    from jakplan.cli import app

    t0, c0 = time.perf_counter(), time.process_time()
    res = CliRunner().invoke(app, ["cohort", "labs", "import", str(csv_path), "--into", str(folder),
                                   "--today", "2025-01-01", "--format", "json"])
    took = time.perf_counter() - t0, time.process_time() - c0
    if res.exit_code != 0:
        raise SystemExit(res.output[-2000:])
    return took


def run_floor(csv_path: Path, folder: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of the floor."""
    from jakplan.fileio import atomic_write, clean_stale_temps, fsync_dir

    t0, c0 = time.perf_counter(), time.process_time()
    clean_stale_temps(folder)
    lines: dict[str, list[str]] = {}
    with csv_path.open(newline="") as fh:
        rows = csv.reader(fh)
        next(rows)
        for pid, day, code, value, _unit in rows:
            lines.setdefault(pid, []).append(f"\n[[lab]]\non = {day}\nx{code.replace('-', '_')} = {float(value)!r}\n")
    for pid, extra in lines.items():
        p = folder / f"{pid}.toml"
        # clean=False: the folder is looked through for stale temporary files once, above, as the import does (the
        # floor did it once per file until 2026-12-04: 2,000 scans of 2,000 names, about 1 s of its time)
        atomic_write(p, p.read_bytes() + "".join(extra).encode(), overwrite=True, sync_dir=False, clean=False)
    fsync_dir(folder)
    return time.perf_counter() - t0, time.process_time() - c0


# -- linear growth (--scaling) ------------------------------------------------------------------------------

PLAN = ('jakplan = 1\ndrug = "baricitinib"\nindication = "ra"\nprotocol = "us-label"\nstart = 1990-01-01\n\n'
        '[factors]\nage = 60\n')
TODAY = "2025-01-01"


def _day(k: int):
    import datetime as dt

    return dt.date(1990, 1, 2) + dt.timedelta(days=k)


def make_days(folder: Path, days: int) -> Path:
    """One plan file p1.toml and a CSV of ``days`` days x the 4 analytes for it."""
    (folder / "reg").mkdir()
    (folder / "reg" / "p1.toml").write_text(PLAN)
    path = folder / "labs.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["patient", "date", "analyte", "value", "unit"])
        for k in range(days):
            for code, value, unit in ANALYTES:
                w.writerow(["p1", _day(k).isoformat(), code, value, unit])
    return path


def make_obx(folder: Path, n: int) -> Path:
    """One ORU^R01 message of ``n`` OBX segments for one patient (4 analytes a day)."""
    lines = ["MSH|^~\\&|LABSYS|CITYLAB|JAKPLAN|CLINIC|202409021130||ORU^R01^ORU_R01|MSG1|P|2.5.1",
             "PID|1||p1^^^CLINIC^MR||Example^Bob||19530310|M", "OBR|1|O1|L1|58410-2^CBC^LN|||199001020815"]
    for k in range(n):
        code, value, unit = ANALYTES[k % len(ANALYTES)]
        lines.append(f"OBX|{k + 1}|NM|{code}^x^LN||{value}|{unit}^^UCUM|1-400|N|||F|||"
                     f"{_day(k // len(ANALYTES)).strftime('%Y%m%d')}0815")
    path = folder / "labs.hl7"
    path.write_text("\r".join(lines) + "\r")
    return path


def make_patients(folder: Path, n: int) -> Path:
    """``n`` plan files with identifiers and a CSV of the 4 analytes for each (a tenth named by identifier)."""
    reg = folder / "reg"
    reg.mkdir()
    for k in range(n):
        (reg / f"p{k}.toml").write_text(PLAN + f'\n[patient]\nidentifier = "MRN {k:07d}"\n')
    path = folder / "labs.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["patient", "date", "analyte", "value", "unit"])
        for k in range(n):
            for code, value, unit in ANALYTES:
                w.writerow([f"MRN {k:07d}" if k % 10 == 0 else f"p{k}", "2024-09-02", code, value, unit])
    return path


MAKERS = {"days": make_days, "obx": make_obx, "patients": make_patients}


def scaling_child(kind: str, folder: Path) -> dict:
    """One timed run in this process (jakplan imported before the clock starts)."""
    import datetime as dt

    from bench_scale import peak_rss_mib

    from jakplan.clinic.labjob import import_lab_files
    from jakplan.records.labimport import import_file

    src = folder / ("labs.hl7" if kind == "obx" else "labs.csv")
    day = dt.date.fromisoformat(TODAY)
    w0, c0 = time.perf_counter(), time.process_time()
    if kind == "obx":
        res = import_file(src, day)
        problems, n = res.problems, len(res.records)
    else:
        out = import_lab_files([str(src)], str(folder / "reg"), day)
        problems, n = out.problems, out.read
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    if problems:
        raise SystemExit(f"{kind}: {problems[0]}")
    return {"wall": wall, "cpu": cpu, "rss": peak_rss_mib(), "values": n}


def scaling(args) -> None:
    from bench_scale import run_child

    plans = [("days", "day", args.days), ("obx", "OBX", args.obx), ("patients", "patient", args.patients)]
    tmp = Path(tempfile.mkdtemp(prefix="jakplan-labscale-bench-"))
    try:
        for kind, unit, sizes_text in plans:
            sizes = sorted({int(x) for x in sizes_text.split(",") if x.strip()})
            if not sizes:
                continue
            runs: dict[int, list[dict]] = {n: [] for n in sizes}
            for k in range(args.repeat):
                for n in (sizes if k % 2 == 0 else sizes[::-1]):
                    work = tmp / f"{kind}-{n}-{k}"
                    work.mkdir()
                    MAKERS[kind](work, n)
                    runs[n].append(run_child(Path(__file__).resolve(), [kind, str(work)]))
                    shutil.rmtree(work)
            print(f"{kind}: median of {args.repeat}, each run in its own process")
            med = {n: {key: statistics.median(r[key] for r in runs[n]) for key in ("wall", "cpu", "rss", "values")}
                   for n in sizes}
            for n in sizes:
                m = med[n]
                print(f"  {n:>7,} {unit}s  {m['wall'] / n * 1e6:8.1f} us/{unit} wall  {m['cpu'] / n * 1e6:8.1f} us/{unit} "
                      f"CPU  peak RSS {m['rss']:6.1f} MiB  ({int(m['values']):,} values)")
            lo, hi = sizes[0], sizes[-1]
            if hi != lo:
                print(f"  per-{unit} cost {hi:,} / {lo:,}: wall {(med[hi]['wall'] / hi) / (med[lo]['wall'] / lo):.2f}x, "
                      f"CPU {(med[hi]['cpu'] / hi) / (med[lo]['cpu'] / lo):.2f}x (aim <= 1.30x)", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    from bench_register import make_register

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--values-per-file", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--worked", action="store_true",
                    help="each plan file has the lock file jakplan's own edits leave beside it (a register jakplan has "
                         "written to before); by default none has, as in a register written by another program, and "
                         "the import creates them")
    ap.add_argument("--scaling", action="store_true", help="linear growth: many days, many OBX, many patients")
    ap.add_argument("--days", default="500,1000,2000,4000")
    ap.add_argument("--obx", default="1000,4000,14000")
    ap.add_argument("--patients", default="500,2000,8000")
    ap.add_argument("--child", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        import json

        print(json.dumps(scaling_child(args.child[0], Path(args.child[1]))))
        return
    if args.scaling:
        scaling(args)
        return

    tmp = Path(tempfile.mkdtemp(prefix="jakplan-labimport-bench-"))
    try:
        reg = tmp / "register"
        make_register(reg, args.files)
        files = sorted(reg.glob("*.toml"))
        if args.worked:
            from jakplan.records.planfile import lock_path

            for p in files:
                lock_path(p).touch()
        csv_path = tmp / "labs.csv"
        values = make_csv(csv_path, files, args.values_per_file)
        ours: list[tuple[float, float]] = []
        floor: list[tuple[float, float]] = []
        for k in range(args.repeat):
            order = (("floor", run_floor), ("jakplan", run_jakplan)) if k % 2 == 0 else \
                (("jakplan", run_jakplan), ("floor", run_floor))
            for name, fn in order:
                work = tmp / f"work-{k}-{name}"
                shutil.copytree(reg, work)
                took = fn(csv_path, work)
                (floor if name == "floor" else ours).append(took)
                shutil.rmtree(work)
        j, f = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in floor)
        jc, fc = statistics.median(c for _, c in ours), statistics.median(c for _, c in floor)
        print(f"cohort labs import: {values:,} values into {len(files):,} plan files"
              f"{' with their lock files (--worked)' if args.worked else ''}, one process, median of {args.repeat}")
        print(f"  jakplan {j:.2f} s ({values / j:,.0f} values/s); floor {f:.2f} s ({values / f:,.0f} values/s); "
              f"ratio {j / f:.2f}x (aim: >= 5,000 values/s and <= 2x)")
        print(f"  CPU time of this process (the fsyncs' waits left out, so it moves less with the machine's load): "
              f"jakplan {jc:.2f} s, floor {fc:.2f} s, {jc / fc:.2f}x")
        print(f"  runs: jakplan {', '.join(f'{w:.2f}' for w, _ in ours)}; floor {', '.join(f'{w:.2f}' for w, _ in floor)}"
              f"; load average {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
