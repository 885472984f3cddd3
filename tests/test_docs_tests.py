"""The docs that map a guarantee or a measurement to its test (docs/reliability.md, docs/performance.md) name
tests that exist: a renamed or removed test fails here, not silently in the docs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("docs/reliability.md", "docs/performance.md")


def _defined() -> set[str]:
    src = "\n".join(p.read_text() for p in (ROOT / "tests").glob("*.py"))
    return set(re.findall(r"^\s*def (test_\w+)", src, re.M)) | {p.stem for p in (ROOT / "tests").glob("test_*.py")}


def test_every_test_the_docs_name_exists():
    defined = _defined()
    missing = []
    for doc in DOCS:
        for m in re.finditer(r"\b(test_\w+?)(_?\.\.\.)?(?=[`:\s,)(.]|$)", (ROOT / doc).read_text()):
            name, prefix = m.group(1), m.group(2)
            if not (any(d.startswith(name) for d in defined) if prefix else name in defined):
                missing.append(f"{doc}: {name}{prefix or ''}")
    assert not missing, "\n".join(missing)
