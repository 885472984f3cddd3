"""The README is true: every `$ ...` line in its ```sh blocks runs (in order, in one scratch folder holding a copy
of examples/), with the exit status it claims; every ```python block runs; every command is documented."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def shell_lines():
    out = []
    for lang, body in BLOCK.findall(README):
        if lang == "sh":
            out += [ln[2:] for ln in body.splitlines() if ln.startswith("$ ")]
    return out


def python_blocks():
    return [body for lang, body in BLOCK.findall(README) if lang == "python"]


def expected_exit(line: str) -> int:
    m = re.search(r"#\s*exit\s+(\d+)\s*$", line)
    return int(m.group(1)) if m else 0


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    d = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "examples", d / "examples")
    return d


def test_readme_has_commands():
    assert any(ln.startswith("jakplan schedule") for ln in shell_lines())


SHELL_SYNTAX = re.compile(r"[|<>;&$`*]")


def run_line(line: str, scratch: Path, runner, app, env: dict) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of one README line: in-process with CliRunner when it is a plain
    `jakplan ...` command (fast), else through bash (pipes, redirects, other programs)."""
    command = shlex.split(line, comments=True)
    target = None
    if len(command) > 2 and command[-2] == ">":  # `jakplan ... > FILE`: stdout into a file
        command, target = command[:-2], command[-1]
    if command[:1] == ["jakplan"] and not any(SHELL_SYNTAX.search(w) for w in command):
        result = runner.invoke(app, command[1:], env={"COLUMNS": "100", "NO_COLOR": "1"})
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        if target is not None:
            (scratch / target).write_text(result.stdout)
            return result.exit_code, "", result.stderr
        return result.exit_code, result.stdout, result.stderr
    proc = subprocess.run(["bash", "-c", line], cwd=scratch, env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.system
def test_readme_shell_lines_run_in_order(scratch, runner, app, monkeypatch):
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1",
           "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    monkeypatch.chdir(scratch)
    for line in shell_lines():
        code, out, err = run_line(line, scratch, runner, app, env)
        want = expected_exit(line)
        assert code == want, f"README line `{line}` exited {code}, want {want}:\n{err}"
        if want == 0:
            assert out or any(tok in line for tok in (">", "--out")), f"`{line}` printed nothing"
        else:
            assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("code", python_blocks())
def test_readme_python_blocks_run(code, capsys):
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out


def test_every_command_is_documented(app):
    import typer.main

    group = typer.main.get_group(app)
    missing = [name for name in group.commands if f"$ jakplan {name}" not in README]
    assert not missing, f"commands missing from the README: {missing}"


def test_lazy_command_table_covers_every_command(app):
    import typer.main

    from jakplan.cli import COMMAND_MODULES

    assert sorted(typer.main.get_group(app).commands) == sorted(COMMAND_MODULES)
