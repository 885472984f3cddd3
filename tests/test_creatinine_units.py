"""Issue 17 item 2: creatinine in umol/L as well as mg/dL, through the one factor parser (options, CSV cells);
a bare number that reads as a creatinine in both units is refused naming both readings."""

from __future__ import annotations

import json

import pytest

from jakplan.catalog.factors import parse_text
from jakplan.errors import JakplanError


@pytest.mark.parametrize(("typed", "mg_dl"), [("1.1", 1.1), ("1.1mg/dL", 1.1), ("97umol/L", 97 / 88.42),
                                               ("97 µmol/L", 97 / 88.42), ("0.097mmol/L", 97 / 88.42)])
def test_creatinine_is_read_in_either_unit(typed, mg_dl):
    assert parse_text("creatinine", typed, "--creatinine") == pytest.approx(mg_dl, rel=1e-3)


@pytest.mark.parametrize(("typed", "words"), [
    ("20", ["20 mg/dL", "20 umol/L"]),            # both readings possible: refused, naming both
    ("88", ["outside 0.1-25 mg/dL", "88umol/L"]),  # only umol/L possible: refused with the spelling to write
    ("5 furlongs", ["umol/L or mg/dL"]),
    ("3000umol/L", ["outside 0.1-25 mg/dL"]),
])
def test_creatinine_that_is_unclear_or_impossible_is_refused(typed, words):
    with pytest.raises(JakplanError) as exc:
        parse_text("creatinine", typed, "--creatinine")
    assert all(w in str(exc.value) for w in words), str(exc.value)
    assert "\n" not in str(exc.value)


def test_crcl_from_a_creatinine_in_umol_per_litre(runner, app):
    r = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--drug", "tofacitinib", "--age", "60", "--sex",
                            "female", "--weight", "70", "--creatinine", "97umol/L", "--format", "json"])
    assert r.exit_code == 0, r.output
    # Cockcroft-Gault: (140 - 60) x 70 / (72 x 1.097) x 0.85 = 60.2 mL/min
    assert json.loads(r.stdout)["patient"]["crcl"] == pytest.approx(60.2, abs=0.2)
    r = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--creatinine", "20"])
    assert r.exit_code == 2 and "20 umol/L" in r.output
