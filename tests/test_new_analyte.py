"""An analyte is a data change (issue 16 item 3): one entry in vocabulary.toml [analytes] (plus its LOINC code in
loinc.toml) and every lab door and the trend handle it. Adding one used to end in KeyError (exit 70).

The test copies the shipped data to a temporary folder, adds a made-up analyte ("ferritin", ug/L, a plausible
range, no unit family) with a code, points jakplan at the copy and runs `record --lab`, a lab CSV import and
`trend` on it."""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import jakplan.catalog.files as files
from jakplan.cli import app

runner = CliRunner()
DATA = Path(files.__file__).resolve().parent.parent / "data"


def _clear_caches() -> None:
    for name, mod in list(sys.modules.items()):
        if not name.startswith("jakplan."):
            continue
        for value in vars(mod).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


@pytest.fixture
def with_ferritin(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    vocab = data / "vocabulary.toml"
    text = vocab.read_text()
    text = text.replace("\n[analytes]\n", '\n[analytes]\nferritin = { name = "ferritin", label = "Ferritin", '
                                          'unit = "ug/L", plausible = [1, 100000] }\n', 1)
    vocab.write_text(text)
    with (data / "loinc.toml").open("a") as f:
        f.write('\n[codes."2276-4"]\nanalyte = "ferritin"\nname = "Ferritin [Mass/volume] in Serum or Plasma"\n'
                'units = ["ug/L"]\nsource = "https://loinc.org/2276-4"\nevidence = "loinc.org"\n')
    monkeypatch.setattr(files, "_DATA", data)
    _clear_caches()
    importlib.import_module("jakplan.catalog.vocab").vocabulary.cache_clear()
    yield data
    _clear_caches()


def test_an_analyte_added_in_data_alone_works_at_every_door(with_ferritin, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reg").mkdir()
    assert runner.invoke(app, ["init", "--start", "2024-05-01", "--out", "reg/p.toml"]).exit_code == 0
    r = runner.invoke(app, ["record", "reg/p.toml", "--lab", "ferritin=45", "--on", "2024-06-01"])
    assert r.exit_code == 0, r.output
    assert "not assessed" in r.output.lower()  # no limit in the protocol: never silently fine
    r = runner.invoke(app, ["record", "reg/p.toml", "--lab", "ferritin=45mg/dL", "--on", "2024-06-02"])
    assert r.exit_code == 2 and "ug/L" in r.output  # a unit it does not convert: one line naming its unit
    (tmp_path / "labs.csv").write_text("patient,date,analyte,value,unit,uln\np,2024-06-03,2276-4,60,ug/L,\n")
    r = runner.invoke(app, ["cohort", "labs", "import", "labs.csv", "--into", "reg"])
    assert r.exit_code in (0, 1), r.output
    assert "ferritin = 60" in (tmp_path / "reg" / "p.toml").read_text()
    r = runner.invoke(app, ["trend", "reg/p.toml", "--out", "t.html"])
    assert r.exit_code == 0, r.output
    page = (tmp_path / "t.html").read_text()
    assert '<section id="ferritin">' in page and "Ferritin" in page
