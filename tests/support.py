"""Helpers shared by the edge tests (the bad-input matrix, confined writes, course sequences, lab bounds)."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

PLAN = """\
jakplan = 1
drug = "baricitinib"
indication = "ra"
protocol = "us-label"
start = 2024-05-01
months = 12

[factors]
age = 58
"""
"""A plan file for the edge tests: baricitinib, US label, RA, from 2024-05-01."""


@contextlib.contextmanager
def no_hang(seconds: int = 20) -> Iterator[None]:
    """Fail with TimeoutError instead of hanging (a FIFO opened for writing, a device read without end)."""

    def hung(*_):
        raise TimeoutError(f"hung: still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def ok(runner, app, *args):
    """Run a command that must succeed; the result (its output shown if it did not)."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def screening_rules(start: str = "2024-05-01", **kw) -> list[str]:
    """The screening rules in the default plan (baricitinib, US label, RA unless ``kw`` says otherwise): what
    a test records done to get past screening, read from the plan rather than listed by hand."""
    import datetime as dt

    from jakplan.api import plan_for

    plan = plan_for(dt.date.fromisoformat(start), **kw)
    return sorted({e.rule for e in plan.events if e.kind == "screening"})
