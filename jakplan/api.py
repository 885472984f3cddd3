"""Convenience entry points for using jakplan from Python.

    >>> import datetime as dt
    >>> from jakplan.api import plan_for
    >>> plan = plan_for(dt.date(2024, 5, 1))
    >>> plan.protocol.id, plan.events[0].kind
    ('us-label', 'screening')
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jakplan.engine.plan import build_plan
from jakplan.errors import JakplanError
from jakplan.model import Patient, Plan
from jakplan.catalog.vocab import default_protocol, drug_info
from jakplan.catalog.loader import load_protocol


def resolve_indication(drug: str, indication: str | None) -> str:
    info = drug_info(drug)
    known = info.get("indications", {})
    ind = indication or info.get("default_indication") or next(iter(known))
    if ind not in known:
        raise JakplanError(f"unknown indication '{ind}' for {drug}; known: {', '.join(known)}")
    return ind


def plan_for(
    start: dt.date,
    drug: str = "baricitinib",
    indication: str | None = None,
    protocol: str | None = None,
    months: int = 12,
    factors: dict[str, Any] | None = None,
) -> Plan:
    """Load the protocol (shipped variant or file path) and build the plan for one patient."""
    ind = resolve_indication(drug, indication)
    proto = load_protocol(drug, protocol or default_protocol(drug, ind))
    return build_plan(proto, Patient(indication=ind, factors=dict(factors or {})), start, months)


def plan_for_profile(profile, where: str = "") -> Plan:
    """The plan for a :class:`jakplan.records.profile.Profile` (drug, indication, protocol, start, months, factors).

    A profile file may name its protocol by a path relative to itself; ``where`` names the source of the
    profile in the error raised when it has no start date.
    """
    if profile.start is None:
        raise JakplanError("--start is missing: give the date of the first dose (YYYY-MM-DD)"
                           + (" or set start in the profile" if where else ""))
    return plan_for(profile.start, drug=profile.drug, indication=profile.indication, protocol=profile.protocol,
                    months=12 if profile.months is None else profile.months, factors=profile.factors)
