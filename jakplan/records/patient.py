"""A patient record: the profile (who, which drug and protocol, from when) and the recorded course.

Every way of naming a patient becomes one :class:`PatientRecord`: a profile file, a plan file (a profile
with ``[[done]]``, ``[[lab]]`` and ``[[pause]]`` history), a CSV row, or the command-line options alone.
:func:`jakplan.api.plan_for_record` turns it into the plan that every command shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from jakplan.history import History
from jakplan.records.profile import Profile


class PatientRecord(NamedTuple):
    profile: Profile
    history: History = History()
    where: str = ""
    """Where the record came from, for messages ('anna.toml', 'patients.csv line 4')."""
    kept: tuple[tuple[str, str], ...] = ()
    """A register's kept columns (the plan file's ``[columns]`` table, e.g. consultant), as (name, text) pairs."""

    @property
    def source(self) -> Path | None:
        return self.profile.source


def load_record(path: str | Path) -> PatientRecord:
    """A profile or plan file as a record (a plan file's history included)."""
    from jakplan.records.planfile import load_planfile

    pf = load_planfile(path, need_start=False)
    return PatientRecord(pf.profile, pf.history, str(path))
