"""The visit checklist: content from the day's events, the four formats, and the CLI's choices and errors."""

import datetime as dt
from html.parser import HTMLParser

import pytest

from jakplan.api import plan_for
from jakplan.engine.visits import visits
from jakplan.render.checklist import (
    build_checklist,
    render_html,
    render_markdown,
    render_text,
)
from jakplan.render.common import DISCLAIMER, check_label

START = dt.date(2024, 5, 1)
FASTING = "Fast before this blood test (the protocol asks for fasting lipids)."


def visit_on(plan, day):
    return {v.date: v for v in visits(plan)}[day]


@pytest.fixture(scope="module")
def nhs():
    return plan_for(START, protocol="nhs-lanarkshire")


def sections(cl):
    return {s.key: s for s in cl.sections}


def test_week12_nhs_checklist_content(nhs):
    cl = build_checklist(nhs, visit_on(nhs, dt.date(2024, 7, 24)))
    s = sections(cl)
    assert list(s) == ["patient", "tests", "assess", "ask", "thresholds", "notes"]
    tests = {i.text: i for i in s["tests"].items}
    assert list(tests) == [check_label(c) for c in ("cbc_diff", "renal_function", "liver_enzymes", "lipids")]
    assert tests[check_label("lipids")].details == (FASTING,)
    assert tests[check_label("lipids")].sources == ("S13",)
    assert [i.text for i in s["assess"].items] == [
        "Treat-to-target review: any improvement? If none by 3 months at most, adjust therapy"
    ]
    assert [i.text for i in s["ask"].items] == [
        check_label(c)
        for c in ("infection_symptoms", "tb_symptoms", "zoster_symptoms", "thrombosis_symptoms", "new_medicines")
    ]
    # the protocol's during-treatment thresholds, from the data with their citation
    assert [i.text for i in s["thresholds"].items] == [
        "ALT/AST as a multiple of the upper limit of normal above 3 x ULN: "
        "Stop treatment (the protocol's word; contact the prescriber)",
        "Absolute neutrophil count below 1 x 10^9/L: Stop treatment (the protocol's word; contact the prescriber)",
        "Absolute lymphocyte count below 0.5 x 10^9/L: Stop treatment (the protocol's word; contact the prescriber)",
        "Haemoglobin below 8 g/dL: Stop treatment (the protocol's word; contact the prescriber)",
    ]
    assert not s["thresholds"].tick and s["tests"].tick
    # the early-response point is a dated milestone at week 4 now, not a "check the current label" note
    assert not any("Early response" in i.text for i in s["notes"].items)
    assert any("stop criteria" in c for c in cl.sources)
    assert (cl.start, cl.visit_date, cl.window, cl.drug) == ("2024-05-01", "2024-07-24", "2024-07-17 to 2024-07-31",
                                                            "Baricitinib")


def test_screening_checklist_uses_do_not_start_thresholds():
    plan = plan_for(START)  # us-label
    cl = build_checklist(plan, visits(plan)[0])
    s = sections(cl)
    assert cl.visit_when == "before the first dose"
    assert [i.text for i in s["thresholds"].items] == [
        "Absolute lymphocyte count below 0.5 x 10^9/L: Do not start",
        "Absolute neutrophil count below 1 x 10^9/L: Do not start",
        "Haemoglobin below 8 g/dL: Do not start",
        # fail closed: the screening liver test has no start limit in the US label, and the checklist says so
        "Not assessed: this protocol (baricitinib/us-label) gives no limit for ALT/AST before the first dose in ra: "
        "check the label",
    ]
    assert s["actions"].title == "To do before the first dose"
    assert check_label("immunisations_update") in [i.text for i in s["actions"].items]
    assert check_label("tb_test") in [i.text for i in s["tests"].items]


def test_every_check_of_every_visit_is_on_its_checklist():
    for protocol in ("us-label", "eu-smpc", "nhs-lanarkshire"):
        plan = plan_for(START, protocol=protocol)
        for v in visits(plan):
            cl = build_checklist(plan, v)
            text = render_text(cl, width=10_000)
            for ev in v.events:
                for code in ev.checks:
                    assert check_label(code) in text, (protocol, v.date, code)
                for note in ev.patient_notes:
                    assert note in text
                # each source is listed once, with every section the visit relies on
                assert f"[{ev.citation.source.id}] {ev.citation.source.document}" in text
                assert ev.citation.section in text
            assert DISCLAIMER in text


def test_milestone_day_lists_the_milestone(nhs):
    cl = build_checklist(nhs, visit_on(nhs, dt.date(2024, 10, 16)))
    assert [i.text for i in sections(cl)["assess"].items] == ["Response expected by 24 weeks: review whether to continue"]
    assert "thresholds" not in sections(cl)  # no blood drawn that day


class _Strict(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self):
        super().__init__()
        self.stack, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()


def test_html_is_one_self_contained_page(nhs):
    page = render_html(build_checklist(nhs, visit_on(nhs, dt.date(2024, 7, 24))))
    p = _Strict()
    p.feed(page)
    p.close()
    assert p.stack == []
    names = [t for t, _ in p.tags]
    assert names.count("html") == names.count("body") == 1
    assert "script" not in names and "link" not in names and "img" not in names
    assert not any(k in ("src", "href") for _, a in p.tags for k in a)
    assert "@page" in page and names.count("style") == 1
    assert page.count('class="box"') == 4 + 1 + 5  # tests, assess, ask
    assert "<dt>First dose</dt><dd>2024-05-01</dd>" in page and "Baricitinib for rheumatoid arthritis" in page
    assert "Checked by (name and signature)" in page
    assert "the protocol&#x27;s word" in page  # text is escaped


def test_markdown_has_task_boxes(nhs):
    md = render_markdown(build_checklist(nhs, visit_on(nhs, dt.date(2024, 7, 24))))
    assert md.startswith("# Visit checklist: Baricitinib, week 12 (2024-07-24)\n")
    assert "- [ ] Lipid panel [S13]\n    - " + FASTING in md
    assert md.count("- [ ] ") == 10


# ------------------------------------------------------------------------------------------------------ CLI
BASE = ["checklist", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire"]


def test_cli_week_on_and_next_pick_the_same_visit(runner, app):
    outs = []
    for extra in (["--week", "12"], ["--on", "2024-07-24"], ["--next", "--today", "2024-06-10"]):
        r = runner.invoke(app, BASE + extra + ["--format", "text"])
        assert r.exit_code == 0, r.output
        outs.append(r.stdout)
    assert outs[0] == outs[1] == outs[2]
    assert outs[0].startswith("Visit checklist: Baricitinib, week 12 (2024-07-24)\n")
    assert "[ ] Lipid panel [S13]" in outs[0] and FASTING in outs[0]


def test_cli_terminal_view(runner, app):
    r = runner.invoke(app, BASE + ["--week", "12"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.stdout.split())
    for expected in ("Visit checklist: Baricitinib, week 12 (2024-07-24)", "Tests to take", "[ ] Lipid panel [S13]",
                     FASTING, "Ask the patient", "Lab results that change treatment (during treatment)", DISCLAIMER):
        assert expected in text


def test_cli_nothing_due_names_the_nearest_visits(runner, app, tmp_path):
    out = tmp_path / "visit.html"
    r = runner.invoke(app, BASE + ["--on", "2024-06-10", "--format", "html", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "Nothing is due on 2024-06-10." in r.stdout
    assert "Nearest visit before: 2024-05-29 (week 4: lab tests, review, response milestone)" in r.stdout
    assert "Nearest visit after: 2024-07-24 (week 12: lab tests, review)" in r.stdout
    assert not out.exists()
    r = runner.invoke(app, BASE + ["--on", "2024-06-10", "--strict"])  # asked to: nothing found is exit 3
    assert r.exit_code == 3 and "Nothing is due on 2024-06-10." in r.stdout
    r = runner.invoke(app, BASE + ["--week", "5"])  # 2024-06-05: last day of the week-4 window
    assert r.exit_code == 0, r.output
    assert "Visit checklist: Baricitinib, week 4 (2024-05-29)" in r.stdout
    assert "Asked for 2024-06-05: inside this visit's window (planned 2024-05-29)." in r.stdout


def test_cli_html_file(runner, app, tmp_path):
    out = tmp_path / "visit.html"
    r = runner.invoke(app, BASE + ["--week", "12", "--format", "html", "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith("<!DOCTYPE html>")
    out.write_text("mine")
    r = runner.invoke(app, BASE + ["--week", "12", "--format", "html", "--out", str(out)])
    assert r.exit_code != 0 and "already exists" in r.output and out.read_text() == "mine"
    r = runner.invoke(app, BASE + ["--week", "12", "--format", "html", "--out", str(out), "--force"])
    assert r.exit_code == 0 and "Lipid panel" in out.read_text()


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--week", "-3"], "--week -3"),
        (["--on", "2024-03-01"], "before screening opens (2024-04-03)"),
        (["--on", "2026-01-01"], "after the end of the plan (2025-05-01)"),
        (["--on", "2024-07-32"], "not a real calendar date"),
        (["--week", "60"], "after the end of the plan"),
        (["--week", "12", "--on", "2024-07-24"], "exactly one of"),
        ([], "exactly one of"),
        (["--week", "12", "--today", "2024-06-10"], "--today goes with --next"),
        (["--next", "--today", "2025-05-02"], "no visit left on or after 2025-05-02"),
        (["--week", "12", "--format", "terminal", "--out", "x.txt"], "choose --format text, markdown or html"),
    ],
)
def test_cli_bad_input_one_line_nothing_written(runner, app, tmp_path, monkeypatch, extra, message):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "visit.html"
    argv = BASE + extra + ([] if "--out" in extra else ["--format", "html", "--out", str(out)])
    r = runner.invoke(app, argv)
    assert r.exit_code != 0
    assert message in r.output
    assert len(r.output.strip().splitlines()) == 1, r.output
    assert "Traceback" not in r.output
    assert list(tmp_path.iterdir()) == []


def test_cli_directory_as_out(runner, app, tmp_path):
    r = runner.invoke(app, BASE + ["--week", "12", "--format", "text", "--out", str(tmp_path)])
    assert r.exit_code != 0 and "is a directory" in r.output and list(tmp_path.iterdir()) == []


def test_readme_samples_are_real_output():
    """Each README or guide block marked <!-- sample:examples/... --> is a verbatim run of lines of that (current)
    file."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = "\n".join(p.read_text() for p in [root / "README.md", *sorted((root / "docs").glob("*.md"))])
    blocks = re.findall(r"<!-- sample:(\S+) -->\n```text\n(.*?)```", readme, re.S)
    assert {p for p, _ in blocks} >= {"examples/plan.ics", "examples/checklist-week12.txt"}
    for path, block in blocks:
        with open(root / path, encoding="utf-8", newline="") as fh:
            lines = fh.read().replace("\r\n", "\n")
        assert block in lines, f"README sample from {path} is not in the file"


def test_cli_out_dash_is_stdout(runner, app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, BASE + ["--week", "12", "--format", "markdown", "--out", "-"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("# Visit checklist: Baricitinib, week 12 (2024-07-24)")
    assert list(tmp_path.iterdir()) == []
