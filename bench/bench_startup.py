"""Start-up benchmark: `jakplan schedule --start 2024-05-01` against a minimal Typer+Rich program.

The default view of `schedule` is the compact timeline (plain text, no rich table); `--details` (the per-rule rich
tables) is timed too, so the cost of the table drawing stays visible.

    python bench/bench_startup.py [--pairs 30]

Runs the commands in rounds (interleaved, so machine noise hits all alike), each as a fresh process with the
same interpreter, and prints the median wall time of each and two ratios: against a Typer+Rich program that
prints one table (both with shell completion on), aim <= 1.1x; and against `python -c "import typer, rich"`.

Both run as an installed program does: with bytecode caching. ``PYTHONDONTWRITEBYTECODE`` (set in some
sandboxes) is removed from the children's environment, and one warm-up run of each writes the caches first;
without caching every run recompiles jakplan's ~100 modules and the ratio reads about 1.3x instead of ~1.08x.
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
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COLUMNS"] = "120"
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=30)
    args = ap.parse_args()
    py = sys.executable
    jak = [py, "-m", "jakplan", "schedule", "--start", "2024-05-01"]
    details = jak + ["--details"]
    floor = [py, str(HERE / "floor_app.py"), "--start", "2024-05-01"]
    imports = [py, "-c", "import typer, rich"]
    timed(jak), timed(floor), timed(imports), timed(details)  # warm the file cache
    j, f, m, d = [], [], [], []
    for _ in range(args.pairs):
        j.append(timed(jak))
        d.append(timed(details))
        f.append(timed(floor))
        m.append(timed(imports))
    jm, fm, mm, dm = statistics.median(j), statistics.median(f), statistics.median(m), statistics.median(d)
    print(f"pairs: {args.pairs}")
    print(f"jakplan schedule --start 2024-05-01: median {jm * 1000:.1f} ms (min {min(j) * 1000:.1f})  (compact view)")
    print(f"  ... --details (rich tables):       median {dm * 1000:.1f} ms (min {min(d) * 1000:.1f})")
    print(f"typer+rich floor (one table):       median {fm * 1000:.1f} ms (min {min(f) * 1000:.1f})")
    print(f"python -c 'import typer, rich':     median {mm * 1000:.1f} ms (min {min(m) * 1000:.1f})")
    print(f"ratio to the floor (median): {jm / fm:.2f}x   (aim: <= 1.10x)")
    print(f"ratio to the imports (median): {jm / mm:.2f}x")
    print(f"--details to the floor (median): {dm / fm:.2f}x")
    print(f"ratio (min):    {min(j) / min(f):.2f}x   (the fastest run of each: least disturbed by other load)")


if __name__ == "__main__":
    main()
