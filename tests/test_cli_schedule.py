"""`jakplan schedule` through CliRunner: formats, sources, and every bad input from the issue."""

import datetime as dt
import json
import subprocess
import sys

import pytest

from jakplan.api import plan_for
from jakplan.render.common import DISCLAIMER, plan_dict


def run(runner, app, *args):
    return runner.invoke(app, ["schedule", *args])


def test_json_is_the_library_plan(runner, app):
    result = run(runner, app, "--start", "2024-05-01", "--months", "24", "--format", "json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got == json.loads(json.dumps(plan_dict(plan_for(dt.date(2024, 5, 1), months=24))))
    assert {"start", "drug", "indication", "protocol", "events"} <= set(got)
    assert (got["start"], got["drug"], got["indication"], got["protocol"]) == ("2024-05-01", "baricitinib", "ra", "us-label")
    ev = got["events"][0]
    assert {"date", "window_start", "window_end", "kind", "rule", "title", "checks", "source"} <= set(ev)
    assert got["events"][-1]["date"] <= "2026-05-01"
    assert got["disclaimer"] == DISCLAIMER


def test_table_reads_like_a_plan(runner, app):
    result = run(runner, app, "--start", "2024-05-01")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for phase in ("Before the first dose", "First 12 weeks", "Maintenance"):
        assert phase in out
    assert "Protocol baricitinib/us-label" in out
    assert "nhs-lanarkshire" in out  # the borrowed cadence is named
    assert "week 12" in out and "2024-07-24" in out
    assert "prescriber's instructions come first" in out.splitlines()[-1]
    assert "[S1]" not in out


def test_sources_flag_shows_citations(runner, app):
    result = run(runner, app, "--start", "2024-05-01", "--sources")
    assert result.exit_code == 0, result.output
    assert "[S1]" in result.stdout and "[S13]" in result.stdout and "[X4]" in result.stdout


def test_markdown_table(runner, app):
    result = run(runner, app, "--start", "2024-05-01", "--format", "markdown", "--sources")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "# Baricitinib monitoring plan: Rheumatoid arthritis"
    assert "| Date | Window | When | Kind | What | Checks | Source |" in lines
    assert any(ln.startswith("| 2024-07-24 | 2024-07-17 to 2024-07-31 | week 12 | lab |") for ln in lines)
    assert lines[-1] == f"_{DISCLAIMER}_"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--start", "2024-02-30"], "--start '2024-02-30' is not a real calendar date"),
        (["--start", "tomorrowish"], "--start 'tomorrowish' is not a date; write it as YYYY-MM-DD"),
        (["--start", "2024-05-01", "--months", "0"], "months must be a whole number from 1 to 120, not 0"),
        (["--start", "2024-05-01", "--drug", "aspirin"], "unknown drug 'aspirin'; known drugs: "),
        (["--start", "2024-05-01", "--protocol", "mars"], "unknown protocol 'mars' for baricitinib"),
        (["--start", "2024-05-01", "--indication", "gout"], "unknown indication 'gout' for baricitinib"),
        (["--start", "2024-05-01", "--protocol", "missing.toml"], "missing.toml: file not found"),
    ],
)
def test_bad_input_is_one_clear_line(runner, app, args, message):
    result = run(runner, app, *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    err = result.stderr.strip()
    assert err.startswith("Error: ") and message in err, err
    assert len(err.splitlines()) == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_bad_user_protocol_names_file_rule_field(runner, app, tmp_path):
    bad = tmp_path / "our-clinic.toml"
    bad.write_text('schema = 1\nid = "c"\ndrug = "baricitinib"\ntitle = "C"\n'
                   '[[rule]]\nid = "x"\nkind = "lab"\ntitle = "X"\nchecks = ["lipids"]\n'
                   'timing = { type = "at", at = { weeks = 12 } }\n')
    result = run(runner, app, "--start", "2024-05-01", "--protocol", str(bad))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {bad}: rule 'x': field 'source' is missing"


def test_python_dash_m_runs_the_same_command():
    proc = subprocess.run(
        [sys.executable, "-m", "jakplan", "schedule", "--start", "2024-05-01", "--format", "json"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["protocol"] == "us-label"


def test_help_lists_schedule(runner, app):
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "schedule" in result.stdout


def test_version(runner, app):
    from jakplan import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"jakplan {__version__}\n"
