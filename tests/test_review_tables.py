"""docs/clinical-review.md lists every dose rule, limit, required check and silence of every shipped protocol
with its source, the source's grade and the review's verification status (issue 17 item 6). The tables are
generated from the data by docs/review_tables.py; the verification notes live in docs/verification.toml, keyed
by entry. These tests fail when the page is stale or a note is about an entry that no longer exists."""

import importlib.util
from pathlib import Path

import pytest

from jakplan.catalog.vocab import sources

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("review_tables", ROOT / "docs" / "review_tables.py")
assert _spec and _spec.loader
rt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(rt)


@pytest.fixture(scope="module")
def notes():
    return rt.read_notes()


@pytest.fixture(scope="module")
def generated(notes):
    return rt.tables(notes)


def test_the_page_matches_the_data(generated):
    stale = rt.stale(rt.PAGE.read_text(encoding="utf-8"), generated)
    assert not stale, f"clinical-review.md is stale ({', '.join(stale)}): run python docs/review_tables.py --write"


def test_every_note_is_about_an_entry_that_exists_and_cites_a_source(notes):
    assert notes
    assert not rt.unknown_notes(notes)


def test_every_entry_of_every_protocol_has_a_row(generated):
    # the tables are built from the loaded protocols, not from a list someone keeps: one row per entry
    for name, p in rt.protocols():
        ids = rt.entry_ids(p)
        dose = [ln for ln in generated["dose-rules"].splitlines() if ln.startswith(f"| {name} |")]
        assert len(dose) == len(p.doses), name
        limits = [ln for ln in generated["limits"].splitlines() if ln.startswith(f"| {name} |")]
        assert len(limits) == len(p.thresholds), name
        checks = [ln for ln in generated["checks"].splitlines() if ln.startswith(f"| {name} |")]
        assert len(checks) == len(ids["rule"]), name
        silences = [ln for ln in generated["silences"].splitlines() if ln.startswith(f"| {name} |")]
        assert len(silences) == len(p.silent), name


def test_each_row_names_the_source_and_its_grade(generated):
    grades = {tag: s.grade for tag, s in sources().items()}
    for body in generated.values():
        for line in body.splitlines()[2:]:
            cells = [c.strip() for c in line.strip("|").split("|")]
            tag, grade = cells[-4], cells[-3]
            assert grades.get(tag) == grade, line


def test_a_note_shows_in_its_row_and_an_entry_without_one_says_so(generated, notes):
    def last_cell(section, proto, ident):
        row = next(ln for ln in generated[section].splitlines() if ln.startswith(f"| {proto} | {ident} |"))
        return row.strip().strip("|").split(" | ")[-1].strip()

    (proto, _, ident), note = next((k, n) for k, n in notes.items() if k[1] == "threshold")
    assert last_cell("limits", proto, ident).startswith(f"{rt.STATUSES[note.status]} ({note.review}):")
    name, p = next(rt.protocols())
    bare = next(d.id for d in p.doses if (name, "dose", d.id) not in notes)
    assert last_cell("dose-rules", name, bare) == "not re-verified"


def test_a_malformed_note_is_refused(tmp_path):
    bad = tmp_path / "v.toml"
    bad.write_text('schema = 1\n[[entry]]\nprotocol = "baricitinib/us-label"\nkind = "dose"\nid = "ra_standard"\n'
                   'status = "probably"\nagainst = "[S1]"\nreview = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="status 'probably'"):
        rt.read_notes(bad)
    bad.write_text('schema = 1\n[[entry]]\nprotocol = "baricitinib/us-label"\nkind = "dose"\nid = "ra_standard"\n'
                   'status = "verified"\nagainst = "read somewhere"\nreview = "x"\n', encoding="utf-8")
    assert rt.unknown_notes(rt.read_notes(bad)) == [
        "baricitinib/us-label dose ra_standard: 'against' cites no source tag in brackets (e.g. [S1])"]
    bad.write_text('schema = 1\n[[entry]]\nprotocol = "baricitinib/us-label"\nkind = "dose"\nid = "gone"\n'
                   'status = "verified"\nagainst = "[S1]"\nreview = "x"\n', encoding="utf-8")
    assert rt.unknown_notes(rt.read_notes(bad)) == ["baricitinib/us-label dose gone: no such entry"]


def test_a_stale_page_is_detected(generated):
    text = rt.PAGE.read_text(encoding="utf-8")
    start, _ = rt.marker("limits")
    tampered = text.replace(start + "\n", start + "\n| extra |\n", 1)
    assert rt.stale(tampered, generated) == ["limits"]
    assert rt.stale(rt.splice(tampered, generated), generated) == []
