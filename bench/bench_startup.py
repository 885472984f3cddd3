"""Start-up benchmark: `jakplan schedule --start 2024-05-01` against a minimal Typer+Rich program.

    python bench/bench_startup.py [--pairs 30]

Runs the two commands pair by pair (interleaved, so machine noise hits both alike), each as a fresh
process with the same interpreter, and prints the median wall time of each and their ratio.
Aim (issue 3): jakplan at most 1.2x the floor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(argv: list[str]) -> float:
    env = {**os.environ, "COLUMNS": "120"}
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=30)
    args = ap.parse_args()
    py = sys.executable
    jak = [py, "-m", "jakplan", "schedule", "--start", "2024-05-01"]
    floor = [py, str(HERE / "floor_app.py"), "--start", "2024-05-01"]
    timed(jak), timed(floor)  # warm the file cache
    j, f = [], []
    for _ in range(args.pairs):
        j.append(timed(jak))
        f.append(timed(floor))
    jm, fm = statistics.median(j), statistics.median(f)
    print(f"pairs: {args.pairs}")
    print(f"jakplan schedule --start 2024-05-01: median {jm * 1000:.1f} ms (min {min(j) * 1000:.1f})")
    print(f"typer+rich floor (one table):       median {fm * 1000:.1f} ms (min {min(f) * 1000:.1f})")
    print(f"ratio (median): {jm / fm:.2f}x   (aim: <= 1.20x)")
    print(f"ratio (min):    {min(j) / min(f):.2f}x   (the fastest run of each: least disturbed by other load)")


if __name__ == "__main__":
    main()
