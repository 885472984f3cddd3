"""A clinic's settings file, ``clinic.toml`` in the register folder beside the plan files (see
docs/clinic-settings.md): the laboratories' upper limits of normal for ALT/AST results sent without a reference
range, the clinic's own column names for patient and lab CSVs, identifier systems and prefixes, and the default
protocol an unmatched result is judged by. Every part is optional; a folder without the file has no settings.

    >>> s = parse_settings({"uln": {"alt": 40, "Royal Lab": {"ast": 35}}, "identifiers": {"prefixes": ["CHI"]}})
    >>> s.uln_for("alt", "Other Lab"), s.uln_for("ast", "Royal Lab"), s.uln_for("ast", "")
    (40.0, 35.0, None)
    >>> s.identifier_key("CHI 100 796 5639"), s.identifier_key("1007965639")
    ('1007965639', '1007965639')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli as tomllib  # the compiled tomli: what the standard tomllib was taken from, 3x faster

from jakplan.errors import JakplanError
from jakplan.fileio import read_bytes

SETTINGS_FILE = "clinic.toml"
ENZYMES = ("alt", "ast")
KNOWN = ("uln", "columns", "identifiers", "default_protocol", "clinic_days")


@dataclass(frozen=True)
class ClinicSettings:
    path: str = ""
    uln: dict[str, dict[str, float]] = field(default_factory=dict)
    """laboratory name ('' = any laboratory) -> {'alt': U/L, 'ast': U/L}"""
    columns: dict[str, str] = field(default_factory=dict)
    """the clinic's header (lower case, trimmed) -> jakplan's column name ('-' = ignore the column)"""
    prefixes: tuple[str, ...] = ()
    """identifier prefixes stripped before matching ('CHI' for 'CHI 1007965639')"""
    systems: dict[str, str] = field(default_factory=dict)
    """identifier system URI -> the prefix it stands for"""
    default_protocol: str = ""
    clinic_days: str = ""
    """The days the clinic sees patients ('mon-fri', 'tue,thu'; '' = Monday to Friday): a register's calendars
    name a clinic day inside the window of a visit that falls on another day."""

    def uln_for(self, enzyme: str, lab: str) -> float | None:
        """The upper limit of normal (U/L) the clinic set for ``enzyme`` at ``lab``, else for any laboratory."""
        for key in (lab.strip().lower(), ""):
            value = self.uln.get(key, {}).get(enzyme)
            if value is not None:
                return value
        return None

    def identifier_key(self, text: str, system: str = "") -> str:
        """An identifier as compared: spaces dropped, upper case, a known prefix (or the system's) stripped."""
        t = re.sub(r"\s+", "", str(text)).upper()
        prefixes = list(self.prefixes) + ([self.systems[system]] if system in self.systems else [])
        for p in sorted({re.sub(r"\s+", "", x).upper() for x in prefixes}, key=len, reverse=True):
            if p and t.startswith(p) and len(t) > len(p):
                t = t[len(p):].lstrip(":-#")
                break
        return t


def _uln_table(raw: Any, where: str) -> dict[str, dict[str, float]]:
    if not isinstance(raw, dict):
        raise JakplanError(f"{where}: [uln] must be a table (alt = 40, ast = 40, or [uln.\"LAB NAME\"])")
    out: dict[str, dict[str, float]] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            for enzyme, v in value.items():
                out.setdefault(key.strip().lower(), {})[_enzyme(enzyme, where)] = _limit(v, f"{where} [uln.{key!r}] {enzyme}")
        else:
            out.setdefault("", {})[_enzyme(key, where)] = _limit(value, f"{where} [uln] {key}")
    return out


def _enzyme(name: str, where: str) -> str:
    if name.lower() not in ENZYMES:
        raise JakplanError(f"{where}: [uln] '{name}' is not alt or ast (upper limits of normal are for ALT and AST)")
    return name.lower()


def _limit(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 5 <= value <= 500:
        raise JakplanError(f"{where}: {value!r} is not an upper limit of normal in U/L (a number from 5 to 500)")
    return float(value)


def parse_settings(raw: dict, path: str = SETTINGS_FILE) -> ClinicSettings:
    """Settings from a parsed ``clinic.toml`` (unknown sections are refused, naming the known ones)."""
    unknown = sorted(set(raw) - set(KNOWN))
    if unknown:
        raise JakplanError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(KNOWN)}")
    columns = raw.get("columns", {})
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise JakplanError(f"{path}: [columns] maps the clinic's header to a jakplan column: \"Hospital No\" = \"id\"")
    idents = raw.get("identifiers", {})
    if not isinstance(idents, dict):
        raise JakplanError(f"{path}: [identifiers] must be a table (prefixes = [\"CHI\"])")
    prefixes = idents.get("prefixes", [])
    systems = idents.get("systems", {})
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes) or not isinstance(systems, dict):
        raise JakplanError(f"{path}: [identifiers] prefixes is a list of words, systems a table of URI = prefix")
    protocol = raw.get("default_protocol", "")
    if not isinstance(protocol, str):
        raise JakplanError(f"{path}: default_protocol must be a protocol id")
    days = raw.get("clinic_days", "")
    if not isinstance(days, str):
        raise JakplanError(f"{path}: clinic_days is text such as \"mon-fri\" or \"tue,thu\"")
    return ClinicSettings(path, _uln_table(raw.get("uln", {}), path),
                          {k.strip().lower(): v.strip() for k, v in columns.items()},
                          tuple(prefixes), {str(k): str(v) for k, v in systems.items()}, protocol, days)


def load_settings(folder: str | Path) -> ClinicSettings:
    """``clinic.toml`` of a register folder, or empty settings when there is none."""

    path = Path(folder) / SETTINGS_FILE
    if not path.is_file():
        return ClinicSettings()

    data = read_bytes(path)  # a regular file of at most 1 MiB, never blocking
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except RecursionError:
        raise JakplanError(f"{path}: not a valid TOML file (nested too deeply)") from None
    except (ValueError, UnicodeDecodeError) as exc:  # TOMLDecodeError, or an integer of thousands of digits
        raise JakplanError(f"{path}: not a valid TOML file ({str(exc).split(';')[0]})") from None
    return parse_settings(raw, str(path))


def parse_map(items: list[str] | None) -> dict[str, str]:
    """``--map "Hospital No=id"`` options as a header -> column table."""
    out: dict[str, str] = {}
    for item in items or []:
        header, sep, column = item.rpartition("=")
        if not sep or not header.strip() or not column.strip():
            raise JakplanError(f"--map '{item}' must look like \"CLINIC HEADER=column\", e.g. \"Hospital No=id\"")
        out[header.strip().lower()] = column.strip()
    return out
