"""Issue 17 item 7: the interaction and dose matrix, generated from the data (`protocols show NAME --doses`,
docs/dose-matrix.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jakplan.actions import shipped_dose_matrices
from jakplan.catalog.medicines import class_table
from jakplan.render.dosematrix import matrix_document

ROOT = Path(__file__).resolve().parent.parent
PAIRS = shipped_dose_matrices()


def test_the_document_is_generated_from_the_current_data():
    assert (ROOT / "docs" / "dose-matrix.md").read_text(encoding="utf-8") == matrix_document(PAIRS), \
        "docs/dose-matrix.md is stale: run python examples/make_examples.py"


@pytest.mark.parametrize(("protocol", "matrix"), PAIRS, ids=[f"{p.drug}/{p.id}" for p, _ in PAIRS])
def test_every_protocol_has_every_row_and_the_kidney_bands_cover_the_whole_range(protocol, matrix):
    for ind in protocol.indications:
        cells = [c for c in matrix if c.indication == ind]
        assert {c.value for c in cells if c.axis == "with"} == set(class_table())
        assert [c.value for c in cells if c.axis == "hepatic"] == ["none", "A", "B", "C"]
        assert [c.value for c in cells if c.axis == "kidney"] == ["not given"]
        # a kidney value given in no measure, or only in the one the label does not use, never settles the dose
        assert all(c.outcome != "standard" for c in cells if c.value in ("not given", "other measure")
                   and protocol.doses and any(x.axis in ("egfr", "crcl") and not x.value for x in cells)
                   and any(d.outcome != "standard" for d in protocol.doses
                           for k in d.conditions if k.factor in ("egfr", "crcl")))
        bands = [c for c in cells if c.axis in ("egfr", "crcl") and not c.value]
        assert bands and bands[0].low is None and bands[-1].high is None
        for a, b in zip(bands, bands[1:], strict=False):
            assert a.high == b.low and a.high_inclusive != b.low_inclusive, (a, b)  # no gap, no overlap


def test_cli_doses_json(runner, app):
    r = runner.invoke(app, ["protocols", "show", "tofacitinib/us-label", "--doses", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = [x for x in json.loads(r.stdout)["rows"] if x["indication"] == "ra"]
    crcl = [(x["high"], x["high_inclusive"], x["outcome"], x["sources"]) for x in rows if x["axis"] == "crcl"]
    assert crcl[0] == (50, True, "adjusted", ["T13"])  # US PI table 1: moderate/severe renal impairment
    other = next(x for x in rows if x["axis"] == "egfr")
    assert other["value"] == "other measure" and other["outcome"] == "check"


def test_a_class_the_protocol_does_not_state_is_check_with_the_class_named(runner, app):
    """The review's case: ketoconazole (a strong CYP3A4 inhibitor) with EU upadacitinib printed the full dose. That
    class is stated now (the Brazilian interaction text [U18]); moderate CYP3A4 inhibitors are still not stated."""
    r = runner.invoke(app, ["protocols", "show", "upadacitinib/eu-smpc", "--doses", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["rows"]
    cyp = [x for x in rows if x["axis"] == "with" and x["value"] == "moderate_cyp3a4_inhibitor"]
    assert cyp and all(x["outcome"] != "standard" for x in cyp)
    r = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--drug", "upadacitinib", "--protocol", "eu-smpc",
                            "--with", "diltiazem", "--egfr", "90", "--hepatic", "none", "--format", "json"])
    assert r.exit_code == 0, r.output
    dose = json.loads(r.stdout)["dose"]
    assert dose["outcome"] != "standard" and "moderate CYP3A4 inhibitor" in dose["text"]
