"""Command-line conventions (issue 21 item 5), held for every command of the command table
(:data:`jakplan.cli.COMMAND_MODULES`) and every subcommand under it: value names in capitals in help, errors in
jakplan's own words, a suggestion for every unknown choice, one way to name a plan file, plural forms."""

from __future__ import annotations

import re

import pytest
import typer.main

from jakplan.cli import COMMAND_MODULES, load_commands
from jakplan.cli.guard import metavar_ok


def _commands():
    """(path, click command, click context) for every leaf command reachable from the command table."""
    load_commands()
    from jakplan.cli.base import app

    root = typer.main.get_command(app)
    ctx0 = root.make_context("jakplan", ["--help"], resilient_parsing=True)
    out = []

    def walk(cmd, path, ctx):
        subs = getattr(cmd, "commands", None)
        if subs is not None:
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                walk(sub, [*path, name], type(ctx)(sub, info_name=name, parent=ctx))
        else:
            out.append((path, cmd, ctx))

    for name in COMMAND_MODULES:
        cmd = root.get_command(ctx0, name)
        assert cmd is not None, name
        walk(cmd, [name], type(ctx0)(cmd, info_name=name, parent=ctx0))
    return out


COMMANDS = _commands()
IDS = [" ".join(p) for p, _, _ in COMMANDS]


def test_the_walk_reaches_nested_commands():
    assert {"cohort due", "cohort labs import", "protocols show", "status", "sheet"} <= set(IDS)


def _value_names(param, ctx) -> list[str]:
    """The value names help shows for ``param``: an argument's name, or what follows an option's flags."""
    rec = param.get_help_record(ctx)
    if rec is None:
        return []
    if param.param_type_name == "argument":
        return [rec[0]]
    names = []
    for part in re.split(r",\s+|\s+/\s+", rec[0]):
        words = part.split(" ", 1)
        if len(words) == 2:
            names.append(words[1])
    return names


@pytest.mark.parametrize("path,cmd,ctx", COMMANDS, ids=IDS)
def test_help_names_every_value_in_capitals(runner, app, path, cmd, ctx):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = result.output
    usage = text.split("\n", 1)[0]
    assert usage.startswith("Usage: jakplan " + " ".join(path)), usage
    for piece in usage.split()[2 + len(path):]:
        if piece in ("[OPTIONS]",):
            continue
        assert metavar_ok(piece.strip("[]")), f"usage of {' '.join(path)}: {piece!r}"
    seen = 0
    for param in cmd.get_params(ctx):
        for name in _value_names(param, ctx):
            seen += 1
            assert metavar_ok(name), f"{' '.join(path)} {param.opts}: value shown as {name!r}"
            assert name in text
    assert seen or not [p for p in cmd.get_params(ctx) if not getattr(p, "is_flag", False)]
    assert not re.search(r"[{}<>]", usage), usage
    assert not re.search(r"<(str|int|float|list\[\w+\]|path|bool)>", text), text


@pytest.mark.parametrize("text,ok", [("PLANFILE", True), ("ANALYTE=VALUE", True), ("NAME[=VALUE]", True),
                                     ("FILE...", True), ("{PLANFILE}", False), ("<str>", False),
                                     ("<list[str]>", False), ("planfile", False), ('"HEADER=column"', False)])
def test_the_metavar_rule_itself(text, ok):
    assert metavar_ok(text) is ok


# -- errors in jakplan's own words ------------------------------------------------------------------------------

VALIDATOR_WORDS = ("Input should be", "unable to parse", "Value error", "is not one of", "is not a valid integer",
                   "is not a valid float", "Invalid value for", "valid integer", "pydantic")


def _typed_options():
    """(path, option flag, a value its type refuses) for every option of every command whose type is not text."""
    out = []
    for path, cmd, ctx in COMMANDS:
        for param in cmd.get_params(ctx):
            desc = getattr(param, "type_descriptor", None)
            if desc is None or param.param_type_name != "option" or getattr(param, "is_flag", False):
                continue
            ann = desc.annotation
            if desc.choices:
                out.append((path, param.opts[0], "nosuch"))
            elif ann in (int, float):
                out.append((path, param.opts[0], "twelve"))
    return out


TYPED = _typed_options()


def test_the_walk_finds_typed_options():
    flags = {(" ".join(p), o) for p, o, _ in TYPED}
    assert {("schedule", "--format"), ("checklist", "--week"), ("sheet", "--paper"), ("cohort due", "--workers")} <= flags


@pytest.mark.parametrize("path,flag,bad", TYPED, ids=[f"{' '.join(p)} {o}" for p, o, _ in TYPED])
def test_a_refused_typed_value_is_one_line_in_jakplans_words(runner, app, path, flag, bad):
    result = runner.invoke(app, [*path, flag, bad])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert flag in lines[0] and bad in lines[0], lines[0]
    assert not [w for w in VALIDATOR_WORDS if w.lower() in lines[0].lower()], lines[0]


def test_a_near_miss_format_is_named(runner, app):
    result = runner.invoke(app, ["schedule", "--format", "jsn"])
    assert result.exit_code == 2
    assert "did you mean json?" in result.stderr


# -- a suggestion for every choice --------------------------------------------------------------------------------

SUGGESTED = [
    (["schedule", "--start", "2024-05-01", "--smoker", "ex"], "--smoker", "did you mean past?"),
    (["schedule", "--start", "2024-05-01", "--smoker", "yes"], "--smoker", "did you mean current?"),
    (["schedule", "--start", "2024-05-01", "--sex", "f"], "--sex", "did you mean female?"),
    (["schedule", "--start", "2024-05-01", "--hepatic", "child-pugh-b"], "--hepatic", "did you mean B?"),
    (["schedule", "--start", "2024-05-01", "--protocol", "eu"], "'eu'", "did you mean eu-smpc?"),
    (["schedule", "--start", "2024-05-01", "--protocol", "nhs"], "'nhs'", "did you mean nhs-lanarkshire?"),
    (["schedule", "--start", "2024-05-01", "--indication", "rheumatoid"], "'rheumatoid'", "did you mean ra?"),
    (["schedule", "--start", "2024-05-01", "--drug", "baracitinib"], "'baracitinib'", "did you mean baricitinib?"),
    (["schedule", "--start", "2024-05-01", "--with", "probenicid"], "--with", "did you mean probenecid?"),
    (["schedule", "--start", "2024-05-01", "--format", "jsn"], "--format", "did you mean json?"),
    (["sheet", "--start", "2024-05-01", "--paper", "leter"], "--paper", "did you mean letter?"),
    (["labs", "--anc", "1", "--protocol", "us-lable"], "'us-lable'", "did you mean us-label?"),
    (["schedule", "--start", "2024-05-01", "--protocol", "tofa/eu-smpc"], "'tofa'", "did you mean tofacitinib?"),
    (["record", "{f}", "--lab", "neutrophil=1", "--on", "2024-06-01"], "--lab", "did you mean anc?"),
    (["record", "{f}", "--lab", "lymphocyte=1", "--on", "2024-06-01"], "--lab", "did you mean alc?"),
    (["record", "{f}", "--score", "das28", "--on", "2024-06-01"], "--score", "did you mean das28esr or das28crp?"),
    (["record", "{f}", "--rule", "bloods_wk4", "--done", "2024-06-01"], "--rule", "did you mean bloods_week4?"),
]


@pytest.mark.parametrize("args,where,hint", SUGGESTED, ids=[" ".join(a[-2:]) for a, _, _ in SUGGESTED])
def test_an_unknown_choice_names_the_nearest(runner, app, tmp_path, args, where, hint):
    plan = tmp_path / "p.toml"
    made = runner.invoke(app, ["init", "--start", "2024-05-01", "--out", str(plan)])
    assert made.exit_code == 0, made.output
    before = plan.read_bytes()
    result = runner.invoke(app, [a.replace("{f}", str(plan)) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and where in lines[0] and hint in lines[0], result.stderr
    assert plan.read_bytes() == before


def test_a_medicine_jakplan_does_not_know_is_kept_not_suggested(runner, app):
    """Prefix suggestions stay out of medicines: 'iron' is a medicine of its own, kept and reported."""
    result = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--with", "iron", "--format", "json"])
    assert result.exit_code == 0, result.output


# -- one way to name a plan file ----------------------------------------------------------------------------------

def test_every_command_reading_a_plan_file_takes_it_as_the_argument():
    """A command with --profile takes the same file as PLANFILE; a command with a PLANFILE calls it that."""
    with_profile = []
    for path, cmd, ctx in COMMANDS:
        params = cmd.get_params(ctx)
        args = [p for p in params if p.param_type_name == "argument"]
        if any("--profile" in p.opts for p in params) and path != ["init"]:  # init writes a plan file
            with_profile.append(" ".join(path))
            assert [p.metavar for p in args] == ["PLANFILE"], path
    assert {"checklist", "schedule", "export", "sheet", "next", "labs", "status", "record", "pause", "resume", "undo",
            "trend"} <= set(with_profile)


READERS = [
    ["checklist", "--week", "12"],
    ["schedule", "--format", "json"],
    ["export", "--out", "-"],
    ["sheet"],
    ["next", "--today", "2024-06-01", "--format", "json"],
    ["labs", "--anc", "1", "--format", "json"],
    ["status", "--today", "2024-06-01", "--format", "json"],
    ["trend", "--out", "-"],
    ["undo", "--dry-run"],
]


@pytest.mark.parametrize("args", READERS, ids=[a[0] for a in READERS])
def test_the_plan_file_as_argument_or_with_profile(runner, app, tmp_path, args):
    plan = tmp_path / "p.toml"
    made = runner.invoke(app, ["init", "--start", "2024-05-01", "--smoker", "current", "--out", str(plan)])
    assert made.exit_code == 0, made.output
    done = runner.invoke(app, ["record", str(plan), "--rule", "tb_screening", "--done", "2024-04-20"])
    assert done.exit_code == 0, done.output
    positional = runner.invoke(app, [args[0], str(plan), *args[1:]])
    aliased = runner.invoke(app, [*args, "--profile", str(plan)])
    assert positional.exit_code == aliased.exit_code, positional.output
    assert positional.exit_code in (0, 1), positional.output  # next: 1 when something is overdue
    out = re.sub(r"DTSTAMP:\S+", "", positional.stdout)  # the calendar's stamp is the moment of writing
    assert out == re.sub(r"DTSTAMP:\S+", "", aliased.stdout)
    both = runner.invoke(app, [args[0], str(plan), *args[1:], "--profile", str(plan)])
    assert both.exit_code == 2
    lines = both.stderr.strip().splitlines()
    assert len(lines) == 1 and "give the plan file once" in lines[0], both.stderr


def test_version_short_and_long(runner, app):
    from jakplan import __version__

    for flag in ("-V", "--version"):
        result = runner.invoke(app, [flag])
        assert result.exit_code == 0 and result.stdout.strip() == f"jakplan {__version__}", result.output


# -- plural forms and one citation style ---------------------------------------------------------------------------

ONE_PLURAL = re.compile(r"\b1 (day|week|month|check|event|visit|patient|plan file|file|value|result|entrie|row|"
                        r"line|error|dose|rule|time|occurrence|TOML file)s\b")


def test_one_of_a_thing_is_singular_and_citations_have_one_bracket(runner, app, tmp_path):
    """A course with one of each (one pause day, one plan file in the register, one row): no "1 days", no
    "1 plan files", and no citation in double brackets ("[[S13] ...]") in any of the outputs."""
    reg = tmp_path / "reg"
    reg.mkdir()
    plan = reg / "p.toml"
    outputs = []

    def run(*args: str) -> None:
        result = runner.invoke(app, [a.replace("{f}", str(plan)) for a in args])
        assert result.exit_code in (0, 1), result.output
        outputs.append(result.output)

    run("init", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire", "--age", "67", "--out", "{f}")
    run("record", "{f}", "--lab", "anc=0.8", "--lab", "alc=0.4", "--on", "2024-06-03")
    run("pause", "{f}", "--from", "2024-06-04", "--reason", "neutrophils low")
    run("resume", "{f}", "--on", "2024-06-05")
    run("record", "--profile", "{f}", "--rule", "tb_screening", "--done", "2024-04-20")
    for view in (["status", "{f}"], ["next", "{f}"], ["checklist", "{f}", "--next"],
                 ["schedule", "{f}", "--details", "--sources"], ["labs", "{f}", "--anc", "0.8"]):
        run(*view)
    run("cohort", "due", str(reg))
    run("cohort", "audit", str(reg), "--from", "2024-05-01", "--to", "2024-12-31")
    run("cohort", "export", str(reg), "--out", str(tmp_path / "cal"))
    csv = tmp_path / "one.csv"
    csv.write_text("id,start,drug,indication,protocol,months,age\nq1,2024-05-01,baricitinib,ra,us-label,12,50\n")
    run("cohort", "import", str(csv), "--into", str(tmp_path / "reg2"))
    labs = tmp_path / "labs.csv"
    labs.write_text("patient,date,analyte,value,unit\np,2024-06-10,anc,0.8,10^9/L\n")
    run("cohort", "labs", "import", str(labs), "--into", str(reg))
    text = "\n".join(outputs)
    assert "resumed on 2024-06-05 after 1 day " in text, text
    assert "1 plan file:" in text or "1 plan file " in text, text
    assert not ONE_PLURAL.findall(text), ONE_PLURAL.findall(text)
    assert "[[" not in text and "]]" not in text
    assert re.search(r"\[S\d+\]", text)  # the citations are there, in one bracket


# -- the patient sheet in a patient's words ---------------------------------------------------------------------------

GRADE_WORDS = ("(primary source)", "(secondary source", "(manufacturer source)", "source: mirror")

SHEETS = [
    ("baricitinib", "us-label", "ra", {}),
    ("baricitinib", "us-label", "ra", {"age": "67", "egfr": "55", "smoker": "current"}),
    ("baricitinib", "nhs-lanarkshire", "ra", {"age": "67", "with_": ["methotrexate"]}),
    ("tofacitinib", "us-label", "ra", {"egfr": "10"}),
    ("upadacitinib", "eu-smpc", "ra", {"hepatic": "C"}),
    ("ritlecitinib", "eu-smpc", "aa", {}),
    ("upadacitinib", "eu-smpc", "ra", {"with_": ["ketoconazole", "foobarin"], "egfr": "80", "hepatic": "none"}),
]


@pytest.mark.parametrize("drug,protocol,ind,factors", SHEETS, ids=[f"{d}-{p}-{len(f)}" for d, p, _, f in SHEETS])
def test_the_sheet_has_no_options_no_grades_and_one_citation_style(drug, protocol, ind, factors):
    import datetime as dt

    from jakplan.actions import factors_from_options
    from jakplan.api import overrides, plan_for_record
    from jakplan.records.patient import PatientRecord
    from jakplan.records.profile import Profile
    from jakplan.render.common import dose_view
    from jakplan.render.sheet import build_sheet, render_html, sheet_text
    from jakplan.render.words import patient_words

    plan = plan_for_record(PatientRecord(Profile()), overrides(drug=drug, protocol=protocol, indication=ind,
                                                              start=dt.date(2026, 12, 14),
                                                              factors=factors_from_options(factors)))
    sheet = build_sheet(plan)
    text = sheet_text(sheet)
    page = render_html(sheet)
    for words in (text, page):
        assert not re.search(r"(?<![\w-])--[a-z]", words), re.findall(r".{40}--[a-z].{20}", words)
        assert not [g for g in GRADE_WORDS if g in words]
        assert not re.search(r"\[[A-Z]{1,3}\d+\]", words), re.findall(r".{30}\[[A-Z]{1,3}\d+\].{10}", words)
    view = dose_view(plan)
    assert view is not None
    for factor in view.missing:  # the dose's open questions, in a patient's words, from the structure
        assert patient_words(factor) in " ".join(sheet.dose), (factor, sheet.dose)
    if view.missing:
        assert "your prescriber decides it" in " ".join(sheet.dose)
    for med in view.unknown_medicines:
        assert med in " ".join(sheet.dose)
    if view.dose and view.outcome in ("standard", "adjusted", "check"):
        assert view.dose in " ".join(sheet.dose)
    # every footnote is a source's title: the sources of the dose are among them
    for c in view.citations:
        assert any(f.startswith(c.source.document) for f in sheet.footnotes)
    assert len(sheet.risk_refs) == len(sheet.risks)


def test_the_sheet_words_the_review_case():
    """Usability review P7: 'give --egfr, --with, --hepatic ... (secondary source: mirror)' becomes patient words."""
    import datetime as dt

    from jakplan.api import overrides, plan_for_record
    from jakplan.records.patient import PatientRecord
    from jakplan.records.profile import Profile
    from jakplan.render.sheet import build_sheet

    plan = plan_for_record(PatientRecord(Profile()), overrides(drug="baricitinib", start=dt.date(2026, 12, 14)))
    dose = build_sheet(plan).dose
    assert dose[0].startswith("Your dose depends on ") and dose[0].endswith(": your prescriber decides it.")
    for words in ("your kidney function", "your other medicines", "your liver"):
        assert words in dose[0]
    assert dose[1] == "The usual dose is 2 mg once daily."


def test_a_choice_in_another_case_is_the_choice_it_names(runner, app):
    """Forgiving input, strict meaning: '--format JSON' is json and '--paper A4' is a4, as for drug names."""
    import json

    result = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--format", "JSON"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["start"] == "2024-05-01"
    result = runner.invoke(app, ["sheet", "--start", "2024-05-01", "--paper", "Letter"])
    assert result.exit_code == 0, result.output
    assert "size: letter" in result.stdout


def test_the_sheet_of_a_paused_course_names_no_command(runner, app, tmp_path):
    """From a plan file with a Stop-level result and a pause: the lead lines are in the patient's words too."""
    import html as htmllib

    plan = tmp_path / "p.toml"
    for args in (["init", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire", "--age", "67", "--out", str(plan)],
                 ["record", str(plan), "--lab", "anc=0.8", "--on", "2024-06-03"],
                 ["pause", str(plan), "--from", "2024-06-04", "--reason", "neutrophils low"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["sheet", str(plan)])
    assert result.exit_code == 0, result.output
    page = re.sub(r"<style>.*?</style>", "", result.stdout, flags=re.S)
    words = htmllib.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "TREATMENT PAUSED since 2024-06-04" in words
    assert "jakplan resume" not in words and "jakplan pause" not in words
    assert not re.search(r"(?<![\w-])--[a-z]", words)
    assert not [g for g in GRADE_WORDS if g in words]
    assert not re.search(r"\[[A-Z]{1,3}\d+\]", words)
