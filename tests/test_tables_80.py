"""Every table view readable at 80 columns (issue 21 item 4), golden-free: each view is run with COLUMNS=80, no line
is wider, nothing is ellipsised, and each cell's text is read back from the printed table and found whole (the
expected texts come from the same command's JSON, or from the library)."""

import datetime as dt
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakplan.render.grid import grid_lines, read_grid

ANNA = "examples/patients/anna.toml"
REGISTER = "examples/clinic/register"
DAY = r"\d{4}-\d\d-\d\d( \w{3})?$"


def run80(runner, app, *args, code=(0,)):
    result = runner.invoke(app, list(args), env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.exit_code in code, result.output
    lines = result.stdout.splitlines()
    assert max(len(ln.rstrip()) for ln in lines) <= 80, [ln for ln in lines if len(ln.rstrip()) > 80]
    assert "\u2026" not in result.stdout  # rich's ellipsis: a cut cell
    return lines


def words(text: str) -> str:
    return " ".join(str(text).split())


WORD = st.text("abcdefghijklmnopqrstuvwxyz0123456789-:()", min_size=1, max_size=12)
CELL = st.lists(WORD, min_size=1, max_size=12).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(st.integers(2, 5).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.lists(CELL, min_size=n, max_size=n),
                                                                           min_size=1, max_size=6))),
       st.integers(40, 120))
def test_a_grid_prints_every_cell_whole_within_the_width(shape, width):
    n, rows = shape
    headers = [f"Head{i}" for i in range(n)]
    rows = [[f"R{k}x {r[0]}", *r[1:]] for k, r in enumerate(rows)]  # a first cell that opens each row
    lines = grid_lines(headers, rows, width)
    assert all(len(ln) <= width for ln in lines)
    if lines[0].startswith("Head0"):  # side by side: read each cell back
        assert read_grid(lines, headers, r"R\d+x") == [[words(c) for c in r] for r in rows]
    else:  # stacked: every cell in order, whole
        text = words(" ".join(lines))
        for r in rows:
            assert words(r[0]) in text and all(words(c) in text for c in r[1:])


def sections(lines: list[str], title: str) -> list[str]:
    at = next(i for i, ln in enumerate(lines) if ln.startswith(title))
    return lines[at + 1:]


@pytest.mark.parametrize("day", ["2024-08-15", "2024-11-20", "2025-03-01"])
def test_status_at_80_columns_prints_every_cell_whole(runner, app, day):
    code = (0, 1)
    data = json.loads(runner.invoke(app, ["status", ANNA, "--today", day, "--format", "json"]).stdout)
    lines = run80(runner, app, "status", ANNA, "--today", day, "--done", code=code)
    from jakplan.render.status import SECTIONS

    checked = 0
    for key, title in SECTIONS:
        if not data[key]:
            continue
        heads = ["Done on", "Check", "What", "Planned"] if key == "done" else ["Date", "Check", "What", "Status"]
        cells = read_grid(sections(lines, title), heads, DAY)
        assert len(cells) == len(data[key]), (key, cells)
        for item, row in zip(data[key], cells, strict=True):
            assert row[1] == item["rule"]
            assert words(item["title"]) in row[2] and item["relative"] in row[2 if key != "done" else 3]
            if key not in ("done", "overdue"):
                assert row[3] == words(item["note"] or item["state"].replace("_", " "))
            checked += 1
    assert checked
    # the default leaves the history out (one line says how many) and --brief is shorter still
    default = run80(runner, app, "status", ANNA, "--today", day, code=code)
    brief = run80(runner, app, "status", ANNA, "--today", day, "--brief", code=code)
    assert len(brief) < len(default) < len(lines)
    assert any(ln.startswith(f"Done: {len(data['done'])}") for ln in default)


def test_cohort_due_at_80_columns_prints_every_cell_whole(runner, app):
    args = ["cohort", "due", REGISTER, "--week", "2024-08-12", "--today", "2024-08-12"]
    data = json.loads(runner.invoke(app, args + ["--format", "json"]).stdout)
    lines = run80(runner, app, *args, code=(1,))
    cells = read_grid(lines, ["Date", "Patient", "What"], DAY)
    assert len(cells) == len(data["items"]) > 3
    for item, row in zip(data["items"], cells, strict=True):
        assert row[0].startswith(item["date"])
        assert row[1].startswith(item["patient"]) and item["drug"] in row[1]
        assert words(item["tests"]) in row[2]
        if item["kind"] != "lab":
            assert words(item["check"]) in row[2]


def test_cohort_audit_at_80_columns_prints_every_cell_whole_with_a_headline(runner, app):
    args = ["cohort", "audit", REGISTER, "--from", "2024-01-01", "--to", "2024-12-31"]
    data = json.loads(runner.invoke(app, args + ["--format", "json"]).stdout)
    lines = run80(runner, app, *args)
    judged = sum(data["totals"][o] for o in ("on_time", "early", "late", "missing"))
    assert lines[0].startswith(f"Overall: {data['done_in_time_percent']:.1f}% of the checks judged were done in "
                               f"time ({data['totals']['on_time'] + data['totals']['early']} of {judged})")
    heads = ["Check", "Total", "In time", "Early", "Late", "Missing", "Waived", "N/A", "Open", "% in time"]
    cells = read_grid(lines, heads, r"\d+$", opener=1)
    assert len(cells) == len(data["checks"]) + 1
    for g, row in zip(data["checks"], cells[:-1], strict=True):
        assert row[0] == words(f"{g['drug']}: {g['check']}")
        assert row[1:9] == [str(g[k]) for k in ("total", *data["outcomes"])]
    assert cells[-1][0] == "All checks" and cells[-1][1] == str(data["totals"]["total"])


def test_protocols_at_80_columns_print_every_cell_whole(runner, app):
    data = json.loads(runner.invoke(app, ["protocols", "--format", "json"]).stdout)["protocols"]
    lines = run80(runner, app, "protocols")
    cells = read_grid(lines, ["Protocol", "Title; jurisdiction", "Indications"])
    assert [c[0] for c in cells] == [f"{r['drug']}/{r['protocol']}" for r in data]
    for r, row in zip(data, cells, strict=True):
        assert row[1] == words(f"{r['title']}; {r['jurisdiction']}")
        assert row[2].startswith(", ".join(r["indications"]))


@pytest.mark.parametrize("ref", ["tofacitinib/us-label", "baricitinib/nhs-lanarkshire", "upadacitinib/eu-smpc"])
def test_protocols_show_at_80_columns_cuts_no_word(runner, app, ref):
    data = json.loads(runner.invoke(app, ["protocols", "show", ref, "--format", "json"]).stdout)
    lines = run80(runner, app, "protocols", "show", ref)
    text = words(" ".join(lines))
    for rule in data["rules"]:
        assert words(rule["title"]) in text, rule["title"]


def test_labs_and_details_at_80_columns_cut_no_word(runner, app):
    """The rich tables left (labs, schedule --details) fold at spaces: every word of every cell is printed whole."""
    data = json.loads(runner.invoke(app, ["labs", "--drug", "baricitinib", "--anc", "0.8", "--alc", "0.6", "--hb",
                                          "9.5", "--format", "json"]).stdout)
    lines = run80(runner, app, "labs", "--drug", "baricitinib", "--anc", "0.8", "--alc", "0.6", "--hb", "9.5")
    tokens = set(re.findall(r"[\w./^%-]+", " ".join(lines)))
    for f in data["findings"]:
        for w in re.findall(r"[\w./^%-]+", f.get("label") or ""):
            assert w in tokens, w


def all_grids(lines: list[str], heads: list[str], first: str = DAY) -> list[list[str]]:
    """Every table with these heads in ``lines`` (one per phase, section ...), read back."""
    starts = [i for i, ln in enumerate(lines) if ln.split()[:len(heads)] == [h.split()[0] for h in heads]]
    ends = [i - 1 for i in starts[1:]] + [len(lines)]  # the line before a header is the next table's title
    return [row for i, j in zip(starts, ends, strict=True) for row in read_grid(lines[i:j], heads, first)]


@pytest.mark.parametrize("extra", [["--details"], ["--details", "--age", "67", "--egfr", "45", "--with", "probenecid"],
                                   ["--drug", "tofacitinib", "--details"]])
def test_schedule_details_at_80_columns_prints_every_cell_whole(runner, app, extra):
    data = json.loads(runner.invoke(app, ["schedule", "--start", "2024-05-01", *extra[1:], "--format", "json"]).stdout
                      if extra[0] == "--details" else
                      runner.invoke(app, ["schedule", "--start", "2024-05-01", *extra[:-1], "--format", "json"]).stdout)
    lines = run80(runner, app, "schedule", "--start", "2024-05-01", *extra)
    rows = all_grids(lines, ["Date", "Window", "When", "Kind", "What"])
    assert len(rows) == len(data["events"])
    for ev, row in zip(data["events"], rows, strict=True):
        assert row[0] == f"{ev['date']} {dt.date.fromisoformat(ev['date']).strftime('%a')}" and row[3] == ev["kind"] and row[2] == words(ev["relative"])
        assert row[4].startswith(words(ev["title"])), (row[4], ev["title"])
