"""One patient's files for a clinic export (`cohort export`): each format's bytes, from one plan.

The clinic layer (:mod:`jakplan.clinic.cohort`) runs the export and is handed :func:`render_patient` by the
command, since clinic/ sits below render/ and never imports it."""

from __future__ import annotations

import datetime as dt

from jakplan.errors import JakplanError


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
        if f == "ics":
            from jakplan.engine.visits import CLINIC_DAYS
            from jakplan.render.ics import calendar_bytes, identity_label

            texts = {(r["rule"], r["occurrence"]): r["text"] for r in recorded} if recorded else None
            # the calendar's own name always says whose it is (its events do not: calendars are shared)
            out[f] = calendar_bytes(plan, namespace=pid, calendar_name=who or identity_label(plan) or pid,
                                    dtstamp=dtstamp, recorded=texts, previous=previous,
                                    clinic_days=clinic_days or CLINIC_DAYS)
        elif f == "json":
            from jakplan.render.common import plan_dict
            from jakplan.render.jsontext import json_text

            data = plan_dict(plan)
            if recorded is not None:
                data["recorded"] = recorded
            out[f] = (json_text(data) + "\n").encode()
        elif f == "fhir":
            from jakplan.render.fhir import careplan_json

            out[f] = (careplan_json(plan, pid, status, systems) + "\n").encode()
        else:
            raise JakplanError(f"unknown output format '{f}'")
    return out
