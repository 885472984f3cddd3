"""Patient profile files (TOML): who the plan is for, so that every command can take ``--profile``.

Format (version 1)::

    jakplan = 1                 # file format version; a newer one is refused with a clear error
    drug = "baricitinib"
    indication = "ra"
    protocol = "us-label"       # optional: shipped variant id or a path to a protocol file
    start = 2024-05-01          # optional: date of the first dose (TOML date or "YYYY-MM-DD")
    months = 12                 # optional: planning horizon

    [patient]                   # optional: who it is (shown on checklists and sheets; in calendars on request)
    name = "Anna Example"
    identifier = "MRN 0012345"
    contact = "Rheumatology nurse line 01234 567890"

    [factors]                   # optional: patient factors named in vocabulary.toml [factors]
    age = 67                    # or born = 1957-03-02 (the age is then taken at the start date)
    egfr = 45                   # crcl = 48 where a label uses creatinine clearance
    hepatic = "B"               # Child-Pugh class, or "none"
    with = ["probenecid"]       # interacting medicines or interaction classes; [] for none
    smoker = "past"
    cardiovascular_risk = true

The command-line options (``--age``, ``--egfr``, ``--with`` ...) set the same factors: both come from the
one factor table, :mod:`jakplan.catalog.factors`.

Other top-level tables (for example the history a plan file keeps) are left to their owners and
ignored here, so a plan file is also a valid profile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

from jakplan.catalog.factors import check_value
from jakplan.catalog.files import read_toml
from jakplan.engine.plan import MAX_MONTHS
from jakplan.errors import JakplanError
from jakplan.escape import has_controls, shown

FORMAT_VERSION = 1
IDENTITY_KEYS = ("name", "identifier", "contact")


class Identity(NamedTuple):
    """Who the plan is for (all optional; empty text when not given)."""

    name: str = ""
    identifier: str = ""
    contact: str = ""

    def __bool__(self) -> bool:
        return any(self)


@dataclass
class Profile:
    drug: str = "baricitinib"
    indication: str | None = None
    protocol: str | None = None
    start: dt.date | None = None
    months: int | None = None
    factors: dict[str, Any] = field(default_factory=dict)
    identity: Identity = Identity()
    source: Path | None = field(default=None, compare=False)
    """The file the profile was read from: a protocol path in it is relative to that file's folder."""

    def merged(self, over: "Profile | None" = None, **fields: Any) -> "Profile":
        """A copy with the given ``fields`` (drug, indication, protocol, start, months, factors, identity) laid
        over this profile; None means "not given" and keeps this profile's value."""
        out = replace(self, factors=dict(self.factors))
        for key, val in fields.items():
            if key == "factors":
                given = {k: v for k, v in (val or {}).items() if v is not None}
                if "age" in given:
                    out.factors.pop("born", None)
                if "born" in given:
                    out.factors.pop("age", None)
                out.factors.update(given)
            elif key == "identity":
                if val:
                    out.identity = Identity(*(new or old for new, old in zip(val, out.identity, strict=False)))
            elif val is not None:
                setattr(out, key, val)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The profile as TOML-ready data (None values left out)."""
        out: dict[str, Any] = {"jakplan": FORMAT_VERSION, "drug": self.drug}
        for key in ("indication", "protocol", "start", "months"):
            val = getattr(self, key)
            if val is not None:
                out[key] = val
        if self.identity:
            out["patient"] = {k: v for k, v in self.identity._asdict().items() if v}
        if self.factors:
            out["factors"] = {k: v for k, v in self.factors.items() if v is not None}
        return out


def as_date(value: Any, what: str) -> dt.date:
    """A TOML date or a 'YYYY-MM-DD' string as a date; ``what`` names the field in the error."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise JakplanError(f"{what} '{value}' is not a date (YYYY-MM-DD)") from None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise JakplanError(f"{what} must be a date (YYYY-MM-DD), not {value!r}")
    return value


def _version(raw: dict[str, Any], where: str) -> None:
    version = raw.get("jakplan")
    if version is None:
        raise JakplanError(f"{where}: field 'jakplan' (file format version) is missing")
    if not isinstance(version, int) or isinstance(version, bool):
        raise JakplanError(f"{where}: field 'jakplan' must be a whole number, not {version!r}")
    if version > FORMAT_VERSION:
        raise JakplanError(f"{where}: file format {version} is newer than this jakplan understands ({FORMAT_VERSION}); upgrade jakplan")


def _identity(raw: Any, where: str) -> Identity:
    if raw is None:
        return Identity()
    if not isinstance(raw, dict):
        raise JakplanError(f"{where}: field 'patient' must be a table (name, identifier, contact)")
    extra = set(raw) - set(IDENTITY_KEYS)
    if extra:
        raise JakplanError(f"{where}: patient: unknown field(s) {', '.join(sorted(extra))}; known: {', '.join(IDENTITY_KEYS)}")

    for k, v in raw.items():
        if not isinstance(v, str):
            raise JakplanError(f"{where}: patient: field '{k}' must be text, not {v!r}")
        plain_text(v, f"{where}: patient: field '{k}'")
    return Identity(*(raw.get(k, "").strip() for k in IDENTITY_KEYS))


def check_months(m: Any, where: str) -> int:

    if not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= MAX_MONTHS:
        raise JakplanError(f"{where}: months must be a whole number from 1 to {MAX_MONTHS}, not {m!r}")
    return m


def profile_from_dict(raw: dict[str, Any], where: str, source: Path | None = None) -> Profile:
    """Build a Profile from parsed TOML; ``where`` names the file in error messages."""
    _version(raw, where)
    prof = Profile(source=source)
    for key in ("drug", "indication", "protocol"):
        if key in raw:
            if not isinstance(raw[key], str):
                raise JakplanError(f"{where}: field '{key}' must be text, not {raw[key]!r}")
            setattr(prof, key, raw[key])
    if "start" in raw:
        prof.start = as_date(raw["start"], f"{where}: field 'start'")
    if "months" in raw:
        prof.months = check_months(raw["months"], f"{where}: field 'months'")
    prof.identity = _identity(raw.get("patient"), where)
    factors = raw.get("factors", {})
    if not isinstance(factors, dict):
        raise JakplanError(f"{where}: field 'factors' must be a table")
    for name, value in factors.items():
        prof.factors[name] = check_value(name, value, f"{where}: factors")
    return prof


def load_profile(path: str | Path) -> Profile:
    return profile_from_dict(read_toml(Path(path)), str(path), Path(path))


MAX_TEXT = 2000
"""The longest note or reason a plan file keeps (characters)."""


def plain_text(value: str, what: str) -> str:
    """A note, reason or rule id as one line of plain text: control characters and overlong text refused."""

    if has_controls(value):
        raise JakplanError(f"{what} {shown(value)} holds a control character or line break; write one line of plain text")
    if len(value) > MAX_TEXT:
        raise JakplanError(f"{what} is {len(value)} characters long; at most {MAX_TEXT}")
    return value
