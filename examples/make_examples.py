"""Regenerate the sample outputs in examples/ from the real commands.

    python examples/make_examples.py

tests/test_examples.py runs the same commands and fails when a committed sample is stale, so the samples
always show what jakplan prints today. Add a (file name, argv) pair to EXAMPLES for a new sample.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (output file in examples/, jakplan arguments). Terminal samples are rendered 120 columns wide.
EXAMPLES: list[tuple[str, list[str]]] = [
    ("schedule-table.txt", ["schedule", "--start", "2024-05-01"]),
    ("schedule-sources.md", ["schedule", "--start", "2024-05-01", "--format", "markdown", "--sources"]),
    ("schedule.json", ["schedule", "--start", "2024-05-01", "--format", "json"]),
    ("schedule-nhs-lanarkshire.md", ["schedule", "--start", "2024-01-31", "--protocol", "nhs-lanarkshire", "--format", "markdown"]),
]


def render(argv: list[str]) -> str:
    """Run jakplan in-process with CliRunner and return its standard output."""
    os.environ["COLUMNS"] = "120"
    os.environ["NO_COLOR"] = "1"
    from typer.testing import CliRunner

    from jakplan.cli import app

    result = CliRunner().invoke(app, argv)
    if result.exit_code != 0:
        raise SystemExit(f"jakplan {' '.join(argv)} failed: {result.output}")
    return result.stdout


def main() -> None:
    for name, argv in EXAMPLES:
        (HERE / name).write_text(render(argv))
        print(f"wrote examples/{name}", file=sys.stderr)


if __name__ == "__main__":
    main()
