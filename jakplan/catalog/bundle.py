"""Build the pre-parsed bundle of the shipped data files: ``python -m jakplan.catalog.bundle``.

``jakplan/data/parsed.json`` maps each shipped ``.toml`` file (path relative to ``jakplan/data``) to its
fingerprint (length and CRC-32 of its bytes) and its content as JSON text. :func:`jakplan.catalog.loader.read_toml`
uses an entry only when the file's bytes still match it, so a stale bundle costs speed, never correctness;
``tests/test_databundle.py`` fails when the bundle is stale, with the command to rebuild it.
"""

from __future__ import annotations

import json
import sys

from jakplan.catalog.files import BUNDLE_NAME, data_path, fingerprint, parse_toml_bytes
from jakplan.fileio import atomic_write


def build() -> dict[str, list]:
    out: dict[str, list] = {}
    root = data_path()
    for path in sorted(root.rglob("*.toml")):
        raw = path.read_bytes()
        data = parse_toml_bytes(raw, path)
        try:
            text = json.dumps(data, ensure_ascii=False)  # key order kept: TOML order is meaningful (first = default)
        except TypeError:
            continue  # dates and times have no JSON form: such a file is always parsed from TOML
        if json.loads(text) != data:
            continue
        out[path.relative_to(root).as_posix()] = [fingerprint(raw), text]
    return out


def render(bundle: dict[str, list]) -> str:
    return json.dumps(bundle, ensure_ascii=False, indent=0, sort_keys=True) + "\n"


def main() -> None:
    target = data_path() / BUNDLE_NAME
    atomic_write(target, render(build()), overwrite=True)
    print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
