"""The package's layers form a DAG, and docs/architecture.md says what the code does.

Every import in the package (module level and inside functions alike) may only go to the importing module's own
layer or a lower one. The order, from the bottom up, is ``LAYERS`` below; docs/architecture.md's table lists the
same layers in the same order (checked here too), and every module it names exists.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "jakplan"
DOC = PACKAGE.parent / "docs" / "architecture.md"

# From the bottom up. A layer is a top-level module or a sub-package of jakplan.
LAYERS: list[tuple[str, ...]] = [
    ("errors", "escape"),            # one-line errors, text safety: no jakplan imports
    ("dates", "model", "history", "fileio"),  # typed dates, plain data, safe file I/O
    ("catalog",),                    # reading the shipped data
    ("engine",),                     # pure functions over the catalog's data
    ("records",),                    # the user's files
    ("api", "actions"),              # the front door and the use cases
    ("clinic",),                     # many patients at once
    ("render",),                     # words and formats
    ("cli", "__main__"),             # options and wiring
]
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}

# Upward imports that are known and being removed; the test fails on any other, and on one of these that is
# gone (so the list only shrinks).
KNOWN: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The jakplan modules ``path`` imports, anywhere in the file."""
    mod = _module_name(path)
    package = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            found.update(n for n in names if n.startswith("jakplan"))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("jakplan"))
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # the package itself (jakplan.__version__) is no layer


def upward_imports(package: Path = PACKAGE) -> set[tuple[str, str]]:
    out = set()
    for path in sorted(package.rglob("*.py")):
        mod = _module_name(path)
        here = _layer(mod)
        for target in _imports(path):
            there = _layer(target)
            if here is None or there is None:
                continue
            assert here in RANK, f"{mod}: layer '{here}' is not in LAYERS; add it where it belongs"
            if there in RANK and RANK[there] > RANK[here]:
                out.add((mod, target))
    return out


def test_no_upward_import():
    found = upward_imports()
    new = sorted(found - KNOWN)
    assert not new, "imports that run back up the layers: " + "; ".join(f"{a} -> {b}" for a, b in new)
    gone = sorted(KNOWN - found)
    assert not gone, "no longer imported, remove from KNOWN: " + "; ".join(f"{a} -> {b}" for a, b in gone)


def test_every_package_module_is_in_a_layer():
    names = _existing() - {"__init__"}
    assert names <= set(RANK), f"not in LAYERS: {sorted(names - set(RANK))}"


def test_the_check_fails_on_an_upward_import(tmp_path):
    """The checker itself: a catalog module that imports render is caught."""
    pkg = tmp_path / "jakplan"
    for sub in ("catalog", "render"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "render" / "words.py").write_text("X = 1\n")
    (pkg / "catalog" / "bad.py").write_text("def f():\n    from jakplan.render.words import X\n    return X\n")
    (pkg / "catalog" / "rel.py").write_text("from ..render import words\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, pkg
    try:
        assert upward_imports(pkg) == {("jakplan.catalog.bad", "jakplan.render.words"),
                                       ("jakplan.catalog.rel", "jakplan.render")}
    finally:
        PACKAGE = saved


def _doc_layers() -> list[str]:
    """The first column of the layer table in docs/architecture.md, in order (each cell names one or more
    folders or modules in backticks)."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- layers -->", 2)[1]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    out = []
    for row in rows:
        cell = row.split("|")[1]
        out.append(" ".join(re.findall(r"`jakplan/([a-z_]+)", cell)))
    return out


def _existing() -> set[str]:
    return {p.stem if p.parent == PACKAGE else p.relative_to(PACKAGE).parts[0] for p in PACKAGE.rglob("*.py")}


def test_architecture_doc_lists_the_layers_in_order():
    here = _existing() - {"__main__"}
    want = [" ".join(n for n in names if n in here) for names in LAYERS]
    assert _doc_layers() == want


@pytest.mark.parametrize("ref", sorted(set(re.findall(r"`([a-z_]+(?:/[a-z_]+)*\.py)`",
                                                      DOC.read_text(encoding="utf-8")))))
def test_every_module_the_doc_names_exists(ref):
    root = PACKAGE.parent
    if "/" in ref:  # a path from the repository (`tests/x.py`, `jakplan/x.py`) or the package (`records/x.py`)
        assert (root / ref).exists() or (PACKAGE / ref).exists(), f"docs/architecture.md names {ref}: no such file"
    else:  # a bare name such as `cohort.py`: somewhere in the package
        assert list(PACKAGE.rglob(ref)), f"docs/architecture.md names {ref}: no such module"


def test_the_cli_imports_neither_engine_nor_catalog():
    """Issue 16 item 2: commands reach the catalog and the engine only through api / actions (use cases)."""
    offenders = sorted((_module_name(p), t) for p in (PACKAGE / "cli").glob("*.py") for t in _imports(p)
                       if t.startswith(("jakplan.engine", "jakplan.catalog")))
    assert not offenders, offenders
