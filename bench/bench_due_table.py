"""`cohort due` as a terminal table against `--format csv`, over N generated plan files (issue 19 item 5).

    python bench/bench_due_table.py [--files 2000] [--repeat 3] [--fresh]

The usability review measured 35.9 s for the table and 4.6 s for the CSV of 2,000 files: the table was drawn by
rich, cell by cell. The table is now plain text fitted to the width (jakplan.render.grid). Both forms run as
real commands (``python -m jakplan cohort due FOLDER --week ... --today ... --format table|csv``, one process
each, COLUMNS=80, output to a pipe that is read and dropped), paired and interleaved (the order alternates each
repeat); the medians and the ratio table/csv are reported. Aim: <= 1.5x.

The register is a working clinic's (bench_register.make_register: about 90% of checks recorded done) or, with
``--fresh``, one just imported (no history: every check since the start is overdue, the longest worklist).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

WEEK = ["--week", "2024-08-12", "--today", "2024-08-12"]


def run(folder: Path, fmt: str) -> tuple[float, int]:
    """Seconds for one `cohort due` run, and the lines it printed."""
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "jakplan", "cohort", "due", str(folder), *WEEK, "--format", fmt,
                           "--workers", "1"], capture_output=True, text=True, env=env)
    took = time.perf_counter() - t
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return took, proc.stdout.count("\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fresh", action="store_true", help="no history: the longest worklist")
    args = ap.parse_args()
    from bench_register import make_register

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "register"
        make_register(folder, args.files)
        if args.fresh:
            for p in folder.glob("*.toml"):
                p.write_text(re.split(r"\n\[\[(?:done|lab|pause)\]\]", p.read_text())[0] + "\n")
        table, csv = [], []
        lines = {}
        for k in range(args.repeat):
            for fmt in (("table", "csv") if k % 2 == 0 else ("csv", "table")):
                took, n = run(folder, fmt)
                (table if fmt == "table" else csv).append(took)
                lines[fmt] = n
        t, c = statistics.median(table), statistics.median(csv)
        print(f"cohort due over {args.files} plan files ({'fresh' if args.fresh else 'working clinic'}), "
              f"median of {args.repeat}, one process each:")
        print(f"  --format csv    {c:6.2f} s ({lines['csv']} lines)")
        print(f"  --format table  {t:6.2f} s ({lines['table']} lines at 80 columns)")
        print(f"  table / csv     {t / c:6.2f}x (aim <= 1.5x)")


if __name__ == "__main__":
    main()
