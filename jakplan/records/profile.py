"""Patient profile files (TOML): who the plan is for, so that every command can take ``--profile``.

Format (version 1)::

    jakplan = 1                 # file format version; a newer one is refused with a clear error
    drug = "baricitinib"
    indication = "ra"
    protocol = "us-label"       # optional: shipped variant id or a path to a protocol file
    start = 2024-05-01          # optional: date of the first dose (TOML date or "YYYY-MM-DD")
    months = 12                 # optional: planning horizon

    [factors]                   # optional: patient factors named in vocabulary.toml [factors]
    age = 67                    # or born = 1957-03-02 (the age is then taken at the start date)
    egfr = 45                   # crcl = 48 where a label uses creatinine clearance
    hepatic = "B"               # Child-Pugh class, or "none"
    with = ["probenecid"]       # interacting medicines or interaction classes; [] for none
    smoker = "past"
    cardiovascular_risk = true

The command-line options of ``jakplan schedule`` (``--age``, ``--egfr``, ``--with`` ...) set the same
factors; :func:`factors_from_options` maps them, naming the option in every error.

Other top-level tables (for example the history a plan file keeps) are left to their owners and
ignored here, so a plan file is also a valid profile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jakplan.errors import JakplanError
from jakplan.model import Patient
from jakplan.catalog.vocab import factor_values, medicine_classes, vocabulary
from jakplan.catalog.files import read_toml

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

    def merged(self, other: "Profile | None" = None, **fields: Any) -> "Profile":
        """A copy with the non-None ``fields`` (drug, indication, protocol, start, months) and factors set."""
        out = Profile(self.drug, self.indication, self.protocol, self.start, self.months, dict(self.factors))
        for key, val in fields.items():
            if key == "factors":
                out.factors.update({k: v for k, v in (val or {}).items() if v is not None})
                if (val or {}).get("age") is not None:
                    out.factors.pop("born", None)
                if (val or {}).get("born") is not None:
                    out.factors.pop("age", None)
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
        allowed = factor_values(name)
        for v in value:
            if allowed and v not in allowed:
                raise JakplanError(f"{where}: factor '{name}': unknown value '{v}'; known: {', '.join(allowed)}")
    if ftype == "date":
        value = as_date(value, f"{where}: factor '{name}'")
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
        prof.start = as_date(raw["start"], f"{where}: field 'start'")
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


def medicine_name(text: str) -> str:
    """'Strong-CYP3A4-inhibitor' -> 'strong_cyp3a4_inhibitor'."""
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def parse_medicines(values: list[str], option: str = "--with") -> list[str]:
    """Medicine or class names (repeatable and/or comma-separated); 'none' means none. Unknown names fail."""
    known = medicine_classes()
    out: list[str] = []
    for raw in values:
        for part in raw.split(","):
            name = medicine_name(part)
            if not name:
                continue
            if name == "none":
                continue
            if name not in known:
                raise JakplanError(
                    f"{option} '{part.strip()}' is not a medicine or interaction class jakplan knows; "
                    f"known: {', '.join(sorted(known))} (or 'none')"
                )
            if name not in out:
                out.append(name)
    return out


def factors_from_options(
    *,
    age: int | None = None,
    born: str | dt.date | None = None,
    weight: float | None = None,
    egfr: float | None = None,
    crcl: float | None = None,
    hepatic: str | None = None,
    with_: list[str] | None = None,
    cyp2c9: str | None = None,
    smoker: str | None = None,
    cardiovascular_risk: bool | None = None,
    cancer_history: bool | None = None,
    clot_history: bool | None = None,
    skin_cancer_risk: bool | None = None,
    recurrent_infections: bool | None = None,
    hbv_core_antibody: str | None = None,
    high_tb_risk: bool | None = None,
    pregnancy_possible: bool | None = None,
) -> dict[str, Any]:
    """Patient factors from command-line options (None = not given); errors name the option."""
    if age is not None and born is not None:
        raise JakplanError("give --age or --born, not both")
    given = {
        "age": age, "born": born, "weight": weight, "egfr": egfr, "crcl": crcl, "hepatic": hepatic,
        "cyp2c9": cyp2c9, "smoker": smoker, "cardiovascular_risk": cardiovascular_risk,
        "cancer_history": cancer_history, "clot_history": clot_history, "skin_cancer_risk": skin_cancer_risk,
        "recurrent_infections": recurrent_infections, "hbv_core_antibody": hbv_core_antibody,
        "high_tb_risk": high_tb_risk, "pregnancy_possible": pregnancy_possible,
    }
    option = {"cardiovascular_risk": "--cv-risk", "hbv_core_antibody": "--hbv-core-antibody"}
    out: dict[str, Any] = {}
    for name, val in given.items():
        if val is None:
            continue
        if name == "hepatic" and isinstance(val, str) and val.upper() in ("A", "B", "C"):
            val = val.upper()
        if isinstance(val, str) and name not in ("born", "hepatic"):
            val = val.lower()
        flag = option.get(name, "--" + name.replace("_", "-"))
        out[name] = check_factor(name, val, flag)
    if with_ is not None:
        out["with"] = parse_medicines(with_)
    if isinstance(out.get("born"), dt.date) and out["born"] > dt.date.today():
        raise JakplanError(f"--born {out['born']} is in the future")
    return out
