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
