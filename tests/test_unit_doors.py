"""Every lab-value door accepts and refuses the same unit spellings (issue 16: `labs --alt 2ukat/L` was refused
while the same row in a lab CSV was imported, and `labs --alt 120UI/L` was accepted while the CSV row was
refused). One list of spellings is fed to `jakplan labs` and to a lab CSV read by `cohort labs import`'s reader;
both must agree on every one, and on the value they read."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from jakplan.cli import app
from jakplan.records.labimport import import_csv

runner = CliRunner()

# (labs option, LOINC code for the CSV, value, unit, upper limit of normal or "", accepted?, canonical value)
CASES = [
    ("--alt", "1742-6", "120", "U/L", "40", True, 3.0),
    ("--alt", "1742-6", "120", "IU/L", "40", True, 3.0),
    ("--alt", "1742-6", "120", "UI/L", "40", True, 3.0),
    ("--alt", "1742-6", "120", "[IU]/L", "40", True, 3.0),
    ("--alt", "1742-6", "2", "ukat/L", "0.6", True, 3.333333),
    ("--alt", "1742-6", "2", "µkat/L", "0.6", True, 3.333333),
    ("--alt", "1742-6", "3", "x ULN", "", True, 3.0),
    ("--alt", "1742-6", "120", "U/L", "", False, None),        # no upper limit: cannot be judged
    ("--alt", "1742-6", "120", "mg/dL", "40", False, None),
    ("--alt", "1742-6", "120", "U/mL", "40", False, None),
    ("--anc", "751-8", "1.8", "10^9/L", "", True, 1.8),
    ("--anc", "751-8", "1.8", "10*9/L", "", True, 1.8),
    ("--anc", "751-8", "1.8", "x10^9/L", "", True, 1.8),
    ("--anc", "751-8", "1800", "/mm3", "", True, 1.8),
    ("--anc", "751-8", "1800", "cells/uL", "", True, 1.8),
    ("--anc", "751-8", "1800", "{cells}/uL", "", True, 1.8),
    ("--anc", "751-8", "1.8", "g/L", "", False, None),
    ("--anc", "751-8", "1.8", "%", "", False, None),
    ("--hb", "718-7", "12.5", "g/dL", "", True, 12.5),
    ("--hb", "718-7", "125", "g/L", "", True, 12.5),
    ("--hb", "718-7", "7.8", "mmol/L", "", False, None),
    ("--platelets", "777-3", "250", "10^3/uL", "", True, 250.0),
    ("--platelets", "777-3", "250", "10*3/uL", "", True, 250.0),
    ("--platelets", "777-3", "250000", "/mm3", "", True, 250.0),
    ("--platelets", "777-3", "250", "mg", "", False, None),
]


def _labs(option: str, value: str, unit: str, uln: str):
    args = ["labs", "--format", "json", option, f"{value} {unit}"]
    if uln:
        args += ["--alt-uln", uln]
    return runner.invoke(app, args)


def _csv(tmp_path, code: str, value: str, unit: str, uln: str):
    f = tmp_path / "labs.csv"
    f.write_text(f"patient,date,analyte,value,unit,uln\np1,2024-05-01,{code},{value},{unit},{uln}\n")
    return import_csv(f, today=dt.date(2024, 6, 1))


@pytest.mark.parametrize("option, code, value, unit, uln, accepted, canonical", CASES)
def test_labs_and_lab_files_agree_on_every_spelling(tmp_path, option, code, value, unit, uln, accepted, canonical):
    r = _labs(option, value, unit, uln)
    res = _csv(tmp_path, code, value, unit, uln)
    assert (r.exit_code == 0) is accepted, r.output
    assert (len(res.records) == 1) is accepted, res.errors
    if accepted:
        assert res.records[0].value == pytest.approx(canonical, rel=1e-5)
        import json

        findings = json.loads(r.stdout)["findings"]
        assert [f["value"] for f in findings] == [pytest.approx(canonical, rel=1e-5)]
    else:
        assert len(r.output.strip().splitlines()) == 1 and res.errors


# -- a bare number that could be in two units is refused, naming both (issue 17 item 3) ---------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from jakplan.catalog.units import bare_alternatives, parse_value, plausible  # noqa: E402
from jakplan.catalog.vocab import vocabulary  # noqa: E402
from jakplan.errors import JakplanError  # noqa: E402

COUNTS = ("anc", "alc", "platelets")


@given(st.sampled_from(COUNTS), st.integers(0, 6_000_000))
def test_a_whole_number_plausible_in_two_units_is_refused_with_both_readings(analyte, n):
    lo, hi = plausible(analyte)
    two = lo <= n <= hi and any(tlo <= n <= thi for _, _, tlo, thi in bare_alternatives(analyte))
    try:
        m = parse_value(analyte, str(n))
    except JakplanError as exc:
        if two:
            assert "has no unit and could be" in str(exc) and "cells/mm3" in str(exc)
        return
    assert not two, f"{analyte} {n} was read as {m.value} {m.unit} though it could be {n}/mm3"
    assert m.value == n  # read in the canonical unit only where no other reading is plausible


@given(st.sampled_from(COUNTS), st.integers(10, 500))
def test_with_a_unit_the_same_number_is_taken(analyte, n):
    assert parse_value(analyte, f"{n}/mm3").value == pytest.approx(n / 1000)
    if n <= plausible(analyte)[1]:
        assert parse_value(analyte, f"{n}x10^9/L").value == n


@pytest.mark.parametrize("code, n", [("731-0", "450"), ("751-8", "50"), ("777-3", "2000")])
def test_a_lab_file_row_without_a_unit_follows_the_same_rule(tmp_path, code, n):
    res = _csv(tmp_path, code, n, "", "")
    assert not res.records and f"could be {n}" in res.errors[0]
    assert _csv(tmp_path, code, "0.45", "", "").records[0].value == 0.45


def test_lymphopenia_typed_in_cells_per_mm3_is_never_read_as_lymphocytosis():
    """The review's case: `--alc 650` or a smaller lymphocyte count in cells/mm3 was read as 10^9/L."""
    for n in (100, 250, 450, 499, 500):
        with pytest.raises(JakplanError, match="cells/mm3"):
            parse_value("alc", str(n))
    assert all("bare" in vocabulary()["analytes"][a] for a in COUNTS)
