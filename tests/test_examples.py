"""The committed samples in examples/ are exactly what the commands print today."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES_DIR / "make_examples.py")
make_examples = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_examples)


@pytest.mark.parametrize("name, argv", make_examples.EXAMPLES, ids=[n for n, _ in make_examples.EXAMPLES])
def test_sample_is_current(name, argv):
    with open(EXAMPLES_DIR / name, encoding="utf-8", newline="") as fh:  # as written: .ics lines end in CRLF
        committed = fh.read()
    assert make_examples.render(argv) == committed, f"examples/{name} is stale: run python examples/make_examples.py"
