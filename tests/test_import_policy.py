"""Issue 16 item 5: a function-level import only where it pays at start-up. Each import inside a function must be
of a heavy third-party package (icalendar, hl7, tomlkit, matplotlib, rich, fhir, typer ...), or of a module that
`jakplan schedule` does not load, imported from one that it does (so start-up stays lean), or carry a comment on
its line saying why it is there. Everything else belongs at the module's top."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("icalendar", "hl7", "tomlkit", "matplotlib", "rich", "fhir", "typer", "click", "dateutil", "hypothesis")


def _loaded_by_schedule() -> set[str]:
    code = ("import sys, json\nsys.argv = ['jakplan', 'schedule', '--start', '2024-05-01']\n"
            "from jakplan.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stderr.write('MODULES' + json.dumps(sorted(sys.modules)))\n")
    err = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True).stderr
    return set(json.loads(err.split("MODULES", 1)[1]))


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node, mod: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:
        base = ".".join(mod.split(".")[: -node.level] + ([node.module] if node.module else []))
    subs = [f"{base}.{a.name}" for a in node.names
            if (ROOT / f"{base}.{a.name}".replace(".", "/")).with_suffix(".py").exists()
            or (ROOT / f"{base}.{a.name}".replace(".", "/") / "__init__.py").exists()]
    return subs or [base]


def test_function_level_imports_are_only_where_they_pay():
    loaded = _loaded_by_schedule()
    assert "jakplan.cli" in loaded
    bad = []
    for path in sorted((ROOT / "jakplan").rglob("*.py")):
        mod = _module(path)
        src = path.read_text(encoding="utf-8")
        lines = src.splitlines()
        tree = ast.parse(src)
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                targets = _targets(node, mod)
                if all(t.split(".")[0] in HEAVY for t in targets):
                    continue  # a heavy package: only for the command that needs it
                if mod in loaded and any(t not in loaded for t in targets):
                    continue  # keeps a module off schedule's start-up path
                if "#" in " ".join(lines[node.lineno - 1:node.end_lineno]):
                    continue  # says why on its line
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.get_source_segment(src, node)}")
    assert not bad, "move to the module's top (or say why on the line):\n" + "\n".join(bad)
