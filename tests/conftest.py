"""Shared test setup: a fixed terminal width for CLI output, and the CLI runner."""

import os

import pytest

os.environ["COLUMNS"] = "120"
os.environ.setdefault("NO_COLOR", "1")


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()


@pytest.fixture
def app():
    from jakplan.cli import app as _app

    return _app


def pytest_collection_modifyitems(items):
    """`trend` draws with matplotlib (0.5-1 s a page): its tests, and the `trend` case of tests run for every
    command, are in the system tier with the browser and the signals; the fast inner loop keeps one trend test
    per behaviour through `test_new_analyte` (every lab door and trend on an analyte added in data)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {}).values()
        commands = [v if isinstance(v, str) else v[0] for v in params if isinstance(v, str) or
                    (isinstance(v, (list, tuple)) and v and isinstance(v[0], str))]
        if item.module.__name__ == "test_trend" or "trend" in commands:
            item.add_marker(pytest.mark.system)
