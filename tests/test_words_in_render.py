"""Issue 16: the engine, the use-case layer and the api return structures; only render/ words them.

An AST scan of jakplan/engine, jakplan/actions and jakplan/api.py: a string literal (or f-string) of four words or
more is allowed only in a docstring (or another bare string), in a raised error (a one-line refusal of bad input is
said where the input is checked), or in the few constants listed below. A sentence anywhere else is a renderer's
job moved into the core."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "jakplan"
SCANNED = sorted([*(ROOT / "engine").rglob("*.py"), *(ROOT / "actions").rglob("*.py"), ROOT / "api.py"])
ERROR_CALLS = {"JakplanError", "ValueError", "TypeError", "fail", "ChangedMeanwhile", "WriteRefused",
               "__init__"}  # super().__init__(message) of an error class
ALLOWED = {
    ("engine/renal.py", "Cockcroft DW, Gault MH. Nephron 1976;16:31-41"),  # a citation, shown as written
}


def _sentences(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    parent = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def exempt(node: ast.AST) -> bool:
        if isinstance(parent.get(node), ast.Expr):
            return True  # a docstring or a bare string (not an argument of a call made as a statement)
        p = parent.get(node)
        while p is not None:
            if isinstance(p, ast.Raise):
                return True
            if isinstance(p, ast.Call) and getattr(p.func, "id", getattr(p.func, "attr", "")) in ERROR_CALLS:
                return True
            p = parent.get(p)
        return False

    out = []
    for node in ast.walk(tree):
        if isinstance(parent.get(node), ast.JoinedStr):
            continue  # a piece of an f-string: the f-string is judged whole
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        else:
            continue
        if len(text.split()) >= 4 and not exempt(node):
            out.append((node.lineno, text))
    return out


@pytest.mark.parametrize("path", SCANNED, ids=[str(p.relative_to(ROOT)) for p in SCANNED])
def test_the_core_returns_structures_not_sentences(path):
    rel = str(path.relative_to(ROOT))
    found = [(line, text) for line, text in _sentences(path) if (rel, text) not in ALLOWED]
    assert not found, f"{rel}: sentences outside render/ (word them in render/words.py): {found}"


def test_the_scan_finds_a_sentence(tmp_path):
    p = tmp_path / "m.py"
    p.write_text('def f(x):\n    """Doc string of many words."""\n    if x:\n        raise ValueError("a refusal in '
                 'many words")\n    print("said as a statement here")\n    return f"the value is {x} today"\n')
    assert sorted(t for _, t in _sentences(p)) == ["said as a statement here", "the value is  today"]
