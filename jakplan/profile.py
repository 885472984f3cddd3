"""Patient profile files (TOML): who the plan is for, so that every command can take ``--profile``.

Format (version 1)::

    jakplan = 1                 # file format version; a newer one is refused with a clear error
    drug = "baricitinib"
    indication = "ra"
    protocol = "us-label"       # optional: shipped variant id or a path to a protocol file
    start = 2024-05-01          # optional: date of the first dose (TOML date or "YYYY-MM-DD")
    months = 12                 # optional: planning horizon

    [factors]                   # optional: patient factors named in vocabulary.toml [factors]
    age = 67
    smoker = "past"

Other top-level tables (for example the history a plan file keeps) are left to their owners and
ignored here, so a plan file is also a valid profile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import JakplanError
from .model import Patient
from .protocols import read_toml, vocabulary

FORMAT_VERSION = 1
PROFILE_KEYS = ("jakplan", "drug", "indication", "protocol", "start", "months", "factors")


@dataclass
class Profile:
    drug: str = "baricitinib"
    indication: str | None = None
    protocol: str | None = None
    start: dt.date | None = None
    months: int | None = None
    factors: dict[str, Any] = field(default_factory=dict)

    def patient(self, indication: str) -> Patient:
        return Patient(indication=indication, factors=dict(self.factors))

    def to_dict(self) -> dict[str, Any]:
        """The profile as TOML-ready data (None values left out)."""
        out: dict[str, Any] = {"jakplan": FORMAT_VERSION, "drug": self.drug}
        for key in ("indication", "protocol", "start", "months"):
            val = getattr(self, key)
            if val is not None:
                out[key] = val
        if self.factors:
            out["factors"] = {k: v for k, v in self.factors.items() if v is not None}
        return out


def check_factor(name: str, value: Any, where: str) -> Any:
    """Validate one patient factor against the vocabulary; returns the value, raises JakplanError."""
    factors = vocabulary()["factors"]
    if name not in factors:
        raise JakplanError(f"{where}: unknown patient factor '{name}'; known: {', '.join(sorted(factors))}")
    spec = factors[name]
    ftype = spec["type"]
    if ftype == "bool" and not isinstance(value, bool):
        raise JakplanError(f"{where}: factor '{name}' must be true or false, not {value!r}")
    if ftype == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise JakplanError(f"{where}: factor '{name}' must be a number, not {value!r}")
    if ftype == "number":
        lo, hi = spec.get("min"), spec.get("max")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise JakplanError(f"{where}: factor '{name}' = {value} is outside {lo}-{hi} {spec.get('unit', '')}".rstrip())
    if ftype == "choice" and value not in spec["values"]:
        raise JakplanError(f"{where}: factor '{name}' must be one of {', '.join(spec['values'])}, not {value!r}")
    if ftype == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise JakplanError(f"{where}: factor '{name}' must be a list of names, not {value!r}")
        allowed = spec.get("values")
        for v in value:
            if allowed and v not in allowed:
                raise JakplanError(f"{where}: factor '{name}': unknown value '{v}'; known: {', '.join(allowed)}")
    return value


def profile_from_dict(raw: dict[str, Any], where: str) -> Profile:
    """Build a Profile from parsed TOML; ``where`` names the file in error messages."""
    version = raw.get("jakplan")
    if version is None:
        raise JakplanError(f"{where}: field 'jakplan' (file format version) is missing")
    if not isinstance(version, int) or isinstance(version, bool):
        raise JakplanError(f"{where}: field 'jakplan' must be a whole number, not {version!r}")
    if version > FORMAT_VERSION:
        raise JakplanError(f"{where}: file format {version} is newer than this jakplan understands ({FORMAT_VERSION}); upgrade jakplan")
    prof = Profile()
    for key in ("drug", "indication", "protocol"):
        if key in raw:
            if not isinstance(raw[key], str):
                raise JakplanError(f"{where}: field '{key}' must be text, not {raw[key]!r}")
            setattr(prof, key, raw[key])
    if "start" in raw:
        val = raw["start"]
        if isinstance(val, str):
            try:
                val = dt.date.fromisoformat(val)
            except ValueError:
                raise JakplanError(f"{where}: field 'start' '{raw['start']}' is not a date (YYYY-MM-DD)") from None
        if isinstance(val, dt.datetime) or not isinstance(val, dt.date):
            raise JakplanError(f"{where}: field 'start' must be a date (YYYY-MM-DD), not {raw['start']!r}")
        prof.start = val
    if "months" in raw:
        m = raw["months"]
        if not isinstance(m, int) or isinstance(m, bool) or m < 1:
            raise JakplanError(f"{where}: field 'months' must be a whole number >= 1, not {m!r}")
        prof.months = m
    factors = raw.get("factors", {})
    if not isinstance(factors, dict):
        raise JakplanError(f"{where}: field 'factors' must be a table")
    for name, value in factors.items():
        prof.factors[name] = check_factor(name, value, f"{where}: factors")
    return prof


def load_profile(path: str | Path) -> Profile:
    return profile_from_dict(read_toml(Path(path)), str(path))
