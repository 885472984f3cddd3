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
