"""What each remaining start-up trick saves, measured in fresh processes: keep a trick only if it saves >= 3 ms.

    python bench/bench_tricks.py [--rounds 15]

For each trick, the same work runs with and without it, interleaved round by round (machine noise hits both
alike), each in a fresh interpreter; the script prints the median of each and the saving.

- bundle:   loading the default plan's data (vocabulary, drugs, sources, protocols) from the pre-parsed JSON
            bundle, against parsing the TOML files with tomllib (the bundle switched off).
- commands: registering only the command being run, against registering every command (Typer builds the
            options of every registered command when the app starts).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

LOAD = """
import datetime as dt
from jakplan.api import plan_for
plan_for(dt.date(2024, 5, 1))
"""
NO_BUNDLE = "import jakplan.catalog.files as f; f._bundle = lambda: {}\n" + LOAD
ONE = """
import typer.main
from jakplan.cli import load_commands
from jakplan.cli.base import app
load_commands({names})
typer.main.get_command(app)
"""


def timed(code: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - t0


def compare(name: str, with_trick: str, without: str, rounds: int) -> None:
    timed(with_trick), timed(without)  # warm the file cache
    a, b = [], []
    for _ in range(rounds):
        a.append(timed(with_trick))
        b.append(timed(without))
    ma, mb = statistics.median(a), statistics.median(b)
    verdict = "keep" if (mb - ma) * 1000 >= 3 else "drop (saves under 3 ms)"
    print(f"{name:9} with {ma * 1000:6.1f} ms, without {mb * 1000:6.1f} ms: saves {(mb - ma) * 1000:5.1f} ms -> {verdict}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    print(f"rounds: {args.rounds} (medians)")
    compare("bundle", LOAD, NO_BUNDLE, args.rounds)
    compare("commands", ONE.format(names="['schedule']"), ONE.format(names="None"), args.rounds)


if __name__ == "__main__":
    main()
