"""Issue 16 item 5: one output registry, (view, format) -> renderer; every command's --format choices come from it,
and every --format json is written by the one JSON module. Item 2: the use-case layer returns data."""

from __future__ import annotations

import ast
import enum
import json
import typing
from pathlib import Path

import pytest
import typer

from jakplan.render.registry import VIEWS, format_help, formats, render

PACKAGE = Path(__file__).resolve().parent.parent / "jakplan"

COMMAND_VIEWS = {
    ("schedule",): "schedule",
    ("status",): "status",
    ("labs",): "labs",
    ("protocols",): "protocols",
    ("protocols", "show"): "protocol",
    ("next",): "next",
    ("checklist",): "checklist",
    ("sheet",): "sheet",
    ("cohort", "due"): "due",
    ("cohort", "audit"): "audit",
    ("cohort", "export"): "patient-files",
    ("cohort", "labs", "import"): "lab-import",
}
"""Each command with a --format option and the view it shows."""


def _commands(cmd, path: tuple[str, ...] = ()):
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():  # a group (Typer may bring its own click)
        yield from _commands(sub, path + (name,))


def _format_choices(app) -> dict[tuple[str, ...], list[str]]:
    out = {}
    for path, cmd in _commands(typer.main.get_command(app)):
        for p in cmd.params:
            if "--format" in getattr(p, "opts", ()):
                out[path] = _choices(p)
    return out


def _choices(param) -> list[str]:
    """The choices of an option (click's Choice, or the Enum newer Typer keeps in its type descriptor)."""
    if hasattr(getattr(param, "type", None), "choices"):
        return [str(c.value if isinstance(c, enum.Enum) else c) for c in param.type.choices]
    ann = param.type_descriptor.annotation
    ann = (typing.get_args(ann) or (ann,))[0]  # List[Format] for a repeatable option
    return [m.value for m in ann]


def test_every_format_option_lists_exactly_its_views_formats(app):
    found = _format_choices(app)
    assert set(found) == set(COMMAND_VIEWS), "a --format option not in COMMAND_VIEWS (or one gone)"
    for path, choices in found.items():
        assert choices == list(formats(COMMAND_VIEWS[path])), path


def test_every_view_is_shown_by_a_command():
    # 'timeline' is the compact form of schedule's table (schedule chooses it without --details/--sources);
    # 'dose-matrix' is protocols show's with --doses (same formats as 'protocol')
    assert set(VIEWS) == set(COMMAND_VIEWS.values()) | {"timeline", "dose-matrix"}  # protocols show --doses


def test_a_format_a_command_cannot_produce_is_refused_by_the_option_parser(runner, app):
    r = runner.invoke(app, ["labs", "--anc", "1", "--format", "fhir"])
    assert r.exit_code == 2
    assert "unknown format 'fhir'; known formats: table, markdown, json" in r.output


def test_format_help_is_generated():
    assert format_help("labs") == "table (terminal), markdown or json."
    assert format_help("next") == "text or json."


def test_json_kind_is_written_by_the_json_module():
    out = render("protocols", "json", rows=[])
    assert out.text == json.dumps(json.loads(out.text), indent=2, ensure_ascii=False)
    assert json.loads(out.text)["protocols"] == []


def _calls(path: Path, dotted: str) -> list[int]:
    mod, name = dotted.rsplit(".", 1)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name
                and isinstance(node.func.value, ast.Name) and node.func.value.id == mod):
            found.append(node.lineno)
    return found


def test_no_bare_json_dumps_outside_the_json_module():
    """User output in JSON goes through render/jsontext.json_text; the data bundle (catalog/bundle.py) is a file
    of its own format, not user output."""
    allowed = {PACKAGE / "render" / "jsontext.py", PACKAGE / "catalog" / "bundle.py"}
    offenders = {str(p.relative_to(PACKAGE)): lines for p in PACKAGE.rglob("*.py") if p not in allowed
                 for lines in [_calls(p, "json.dumps")] if lines}
    assert not offenders, offenders


def test_commands_hold_no_format_enums_or_dispatches():
    """The choices are the registry's (format_enum); a command does not compare --format against a list of its
    own (only a check such as `fmt.value == "pdf"` for an option that needs --out)."""
    for path in (PACKAGE / "cli").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Format"):
                # --input-format of `cohort labs import` chooses a reader, not an output
                assert node.name == "LabFileFormat", f"{path.name}: class {node.name}"
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
                names = [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]
                assert "fmt" not in names, f"{path.name} line {node.lineno}: a hand-written format dispatch"


# -- the use-case layer -----------------------------------------------------------------------------------------


def test_record_refuses_a_check_that_does_not_apply_worded_by_render(runner, app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["init", "--start", "2024-05-01", "--age", "30", "--out", "p.toml"])
    assert r.exit_code == 0, r.output
    before = (tmp_path / "p.toml").read_text()
    r = runner.invoke(app, ["record", "p.toml", "--rule", "contraception", "--done", "2024-05-01"])
    assert r.exit_code == 2
    err = r.stderr.strip()
    assert err.startswith("Error: --rule 'contraception' does not apply to this patient (") and err.endswith(")")
    assert len(err.splitlines()) == 1
    assert (tmp_path / "p.toml").read_text() == before  # refused before the file is touched


def test_actions_return_data_not_words(tmp_path, monkeypatch):
    """The course use cases return dataclasses; render/course.py words them."""
    import dataclasses
    import datetime as dt

    from jakplan.actions.course import Recorded, record_entries, undo_last
    from jakplan.api import create_plan_file, overrides
    from jakplan.records.patient import PatientRecord
    from jakplan.records.profile import Profile
    from jakplan.render.course import recorded_text

    monkeypatch.chdir(tmp_path)
    create_plan_file(PatientRecord(Profile()), overrides(start=dt.date(2024, 5, 1)), "p.toml")
    rec = record_entries("p.toml", ["bloods-week4"], dt.date(2024, 5, 29), dt.date(2024, 5, 29), ["anc=0.4"],
                         None, "")
    assert isinstance(rec, Recorded) and dataclasses.is_dataclass(rec)
    assert [c.rule for c in rec.checks] == ["bloods_week4"]  # the protocol's own id
    assert rec.values == {"anc": 0.4} and rec.urgent
    assert [a.analyte for a in rec.lab_actions] == ["anc"]
    text = recorded_text(rec)
    assert "Recorded in p.toml: bloods_week4 done 2024-05-29" in text and "Contact the prescriber" in text
    undone = undo_last("p.toml", dry_run=True)
    assert undone.dry_run and undone.removed


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_has_a_default_first(view):
    assert formats(view) and formats(view)[0] in VIEWS[view]
