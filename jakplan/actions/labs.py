"""`jakplan labs`: lab values as typed, judged against a protocol's limits (the use case; ``render/labs.py``
words the result)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from jakplan.api import baseline_labs, overrides, plan_for_record
from jakplan.engine.labs import evaluate_labs
from jakplan.errors import JakplanError
from jakplan.model import Protocol
from jakplan.records.labvalues import lab_measurement, lab_value
from jakplan.records.patient import PatientRecord, load_record
from jakplan.records.profile import Profile

ANALYTE_OPTIONS = (("anc", "--anc"), ("alc", "--alc"), ("hb", "--hb"), ("platelets", "--platelets"), ("alt_uln", "--alt"))
"""The analytes `jakplan labs` takes, each with its option."""


@dataclass(frozen=True)
class LabsJudged:
    """The values judged (:class:`jakplan.engine.labs.LabReport`), the protocol that judged them, and each
    value as it was typed (for the report)."""

    report: Any
    protocol: Protocol
    shown: dict[str, str] = field(default_factory=dict)


def judge_typed_labs(given: dict[str, str | None], alt_uln: str | None = None, hb_baseline: str | None = None, *,
                     before_start: bool = False, profile: str | None = None, drug: str | None = None,
                     indication: str | None = None, protocol: str | None = None) -> LabsJudged:
    """The values typed (``given``: {analyte: text or None}, analytes of :data:`ANALYTE_OPTIONS`) through the
    one lab-value path, judged against the protocol of the profile (or of ``drug``/``indication``/``protocol``)
    with the haemoglobin baseline typed or recorded."""
    values, shown = _given_values(given, alt_uln)
    baseline = {}
    if hb_baseline is not None:
        baseline["hb"] = lab_value("hb", hb_baseline, where="--hb-baseline")
    record = load_record(profile) if profile else PatientRecord(Profile())
    # the protocol and indication through the one path (a start date is not needed to judge values)
    start = record.profile.start or dt.date.today()
    plan = plan_for_record(record, overrides(drug=drug, indication=indication, protocol=protocol, start=start))
    if "hb" not in baseline and record.profile.start is not None:
        recorded = baseline_labs(record, record.profile.start)
        if "hb" in recorded:
            baseline["hb"] = recorded["hb"]
    report = evaluate_labs(plan.protocol, values, before_start=before_start, baseline=baseline,
                           indication=plan.indication)
    return LabsJudged(report, plan.protocol, shown)


def _given_values(given: dict[str, str | None], alt_uln: str | None) -> tuple[dict, dict]:
    """({analyte: value}, {analyte: as given}) from the options, refusing --alt-uln alone or no values."""
    values, shown = {}, {}
    for analyte, option in ANALYTE_OPTIONS:
        text = given.get(analyte)
        if text is not None:
            m = lab_measurement(analyte, text, where=option, uln=alt_uln)
            values[analyte], shown[analyte] = m.value, m.given
    if alt_uln is not None and given.get("alt_uln") is None:
        raise JakplanError("--alt-uln is the upper limit of normal for --alt in U/L; give --alt too")
    if not values:
        raise JakplanError("no lab values given: use --anc, --alc, --hb, --platelets and/or --alt")
    return values, shown
