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
