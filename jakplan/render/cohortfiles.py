"""One patient's files for a clinic export (`cohort export`): each format's bytes, from one plan.

The clinic layer (:mod:`jakplan.clinic.cohort`) runs the export and is handed :func:`render_patient` by the
command, since clinic/ sits below render/ and never imports it."""

from __future__ import annotations

import datetime as dt

from jakplan.errors import JakplanError
from jakplan.render.registry import VIEWS, render


def render_patient(plan, pid: str, formats: tuple[str, ...], who: str = "",
                   dtstamp: dt.datetime | None = None, recorded: list[dict] | None = None,
                   previous: bytes | None = None, status=None,
                   systems: dict[str, str] | None = None, clinic_days: tuple[int, ...] | None = None) -> dict[str, bytes]:
    """Each format's bytes. ``recorded`` (a register's export, see :func:`recorded_items`): what the plan file
    records for each occurrence, in the calendar's text and as the JSON's ``recorded`` list. ``status``: the
    course tracked on the day of the export (the CarePlan's activity statuses); ``systems``: the register's
    identifier systems (clinic.toml) for the CarePlan's subject."""
    out: dict[str, bytes] = {}
    for f in formats:
        if f not in VIEWS["patient-files"]:
            raise JakplanError(f"unknown output format '{f}'")
        out[f] = render("patient-files", f, plan=plan, pid=pid, who=who, dtstamp=dtstamp, recorded=recorded,
                        previous=previous, status=status, systems=systems, clinic_days=clinic_days).data or b""
    return out
