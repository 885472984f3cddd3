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
  rename; one fsync of the folder) - the work no importer can skip.

Aims (issue 19): >= 5,000 values/s over 2,000 plan files, and <= 2x the floor.

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


def run_jakplan(csv_path: Path, folder: Path) -> float:
    from typer.testing import CliRunner

    from jakplan.cli import app

    t0 = time.perf_counter()
    res = CliRunner().invoke(app, ["cohort", "labs", "import", str(csv_path), "--into", str(folder),
                                   "--today", "2025-01-01", "--format", "json"])
    took = time.perf_counter() - t0
    if res.exit_code != 0:
        raise SystemExit(res.output[-2000:])
    return took


def run_floor(csv_path: Path, folder: Path) -> float:
    from jakplan.fileio import atomic_write, fsync_dir

    t0 = time.perf_counter()
    lines: dict[str, list[str]] = {}
    with csv_path.open(newline="") as fh:
        rows = csv.reader(fh)
        next(rows)
        for pid, day, code, value, _unit in rows:
            lines.setdefault(pid, []).append(f"\n[[lab]]\non = {day}\nx{code.replace('-', '_')} = {float(value)!r}\n")
    for pid, extra in lines.items():
        p = folder / f"{pid}.toml"
        atomic_write(p, p.read_bytes() + "".join(extra).encode(), overwrite=True, sync_dir=False)
    fsync_dir(folder)
    return time.perf_counter() - t0


def main() -> None:
    from bench_register import make_register

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--values-per-file", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="jakplan-labimport-bench-"))
    try:
        reg = tmp / "register"
        make_register(reg, args.files)
        files = sorted(reg.glob("*.toml"))
        csv_path = tmp / "labs.csv"
        values = make_csv(csv_path, files, args.values_per_file)
        ours, floor = [], []
        for k in range(args.repeat):
            order = (("floor", run_floor), ("jakplan", run_jakplan)) if k % 2 == 0 else \
                (("jakplan", run_jakplan), ("floor", run_floor))
            for name, fn in order:
                work = tmp / f"work-{k}-{name}"
                shutil.copytree(reg, work)
                took = fn(csv_path, work)
                (floor if name == "floor" else ours).append(took)
                shutil.rmtree(work)
        j, f = statistics.median(ours), statistics.median(floor)
        print(f"cohort labs import: {values:,} values into {len(files):,} plan files, one process, "
              f"median of {args.repeat}")
        print(f"  jakplan {j:.2f} s ({values / j:,.0f} values/s); floor {f:.2f} s ({values / f:,.0f} values/s); "
              f"ratio {j / f:.2f}x (aim: >= 5,000 values/s and <= 2x)")
        print(f"  runs: jakplan {', '.join(f'{x:.2f}' for x in ours)}; floor {', '.join(f'{x:.2f}' for x in floor)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
