"""The pre-parsed bundle of shipped data is current, and it is only ever used for the exact bytes it came from."""

import json

from jakplan.catalog import bundle as databundle
from jakplan.catalog import files as protocols
from jakplan.catalog.files import BUNDLE_NAME, data_path, read_toml


def test_bundle_is_current():
    committed = (data_path() / BUNDLE_NAME).read_text(encoding="utf-8")
    assert committed == databundle.render(databundle.build()), (
        "jakplan/data/parsed.json is stale: run `python -m jakplan.catalog.bundle` and commit it"
    )


def test_bundle_matches_tomllib_for_every_shipped_file():
    import tomllib

    bundle = json.loads((data_path() / BUNDLE_NAME).read_text(encoding="utf-8"))
    files = sorted(data_path().rglob("*.toml"))
    assert len(bundle) == len(files)
    for path in files:
        want = tomllib.loads(path.read_text(encoding="utf-8"))
        got = read_toml(path)
        assert got == want, path
        # order matters too (the first indication of a drug is its default): compare as ordered text
        assert json.dumps(got) == json.dumps(want), path


def test_the_bundle_serves_only_the_exact_bytes_it_was_made_from(tmp_path, monkeypatch):
    raw = (data_path() / "planning.toml").read_bytes()
    fake = tmp_path / "data"
    fake.mkdir()
    (fake / "planning.toml").write_bytes(raw)
    # a bundle entry for these bytes whose content is a marker, to see when the bundle is used
    (fake / BUNDLE_NAME).write_text(json.dumps({"planning.toml": [protocols.fingerprint(raw), '{"marker": 1}']}))
    monkeypatch.setattr(protocols, "_DATA", fake)
    protocols._bundle.cache_clear()
    try:
        assert read_toml(fake / "planning.toml") == {"marker": 1}
        (fake / "planning.toml").write_bytes(raw.replace(b"days = 7", b"days = 5"))
        assert read_toml(fake / "planning.toml")["tolerance"] == {"days": 5}
    finally:
        protocols._bundle.cache_clear()
