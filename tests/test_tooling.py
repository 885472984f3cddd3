"""The tools a contributor expects are clean on the code: ruff (pyflakes, bugbear, isort; configured in
pyproject.toml) and mypy on the package at its default strictness."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(shutil.which("ruff") is None and _run("ruff", "--version").returncode != 0,
                    reason="ruff is installed with the test extra: pip install '.[test]'")
def test_ruff_is_clean():
    r = _run("ruff", "check", "--no-cache", ".")
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.system
def test_mypy_is_clean():
    r = _run("mypy", "--cache-dir", str(ROOT / ".mypy_cache"))
    assert r.returncode == 0, r.stdout + r.stderr
