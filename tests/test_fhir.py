"""`--format fhir`: the plan as an HL7 FHIR R4 CarePlan, validated with the fhir.resources models."""

import datetime as dt
import json

import pytest
from fhir.resources.R4B.careplan import CarePlan
from pydantic import ValidationError

from jakplan.api import plan_for
from jakplan.catalog.loinc import loinc_table
from jakplan.catalog.vocab import vocabulary
from jakplan.render.common import DISCLAIMER, check_label
from jakplan.render.fhir import careplan


@pytest.mark.parametrize("protocol", ["us-label", "eu-smpc", "nhs-lanarkshire"])
def test_careplan_validates_and_round_trips(protocol):
    plan = plan_for(dt.date(2024, 5, 1), protocol=protocol, months=18, factors={"age": 58})
    data = careplan(plan, "p0001")
    cp = CarePlan.model_validate(data)
    assert json.loads(cp.model_dump_json()) == data  # nothing dropped or renamed by the model
    assert (cp.status, cp.intent) == ("active", "plan")
    assert str(cp.period.start) == "2024-05-01" and str(cp.period.end) == plan.end.isoformat()
    assert cp.subject.identifier.value == "p0001"
    # one activity per planned event and one per LOINC-coded test in it, each dated inside its window
    table = loinc_table()
    by_id = {a.id: a for a in cp.activity}
    assert len(by_id) == len(cp.activity)  # ids unique
    seen = set()
    for ev in plan.events:
        base = f"{ev.rule}-{ev.occurrence}"
        coded = [(c, code) for c in ev.checks for code, _ in table.orders.get(c, ())]
        rest = [c for c in ev.checks if c not in table.orders]
        ids = ([base] if rest or not coded else []) + [f"{base}-{code}" for _, code in coded]
        seen |= set(ids)
        for aid in ids:
            d = by_id[aid].detail
            assert d.status == "scheduled" and d.scheduledTiming.event == [ev.date]
            bounds = d.scheduledTiming.repeat.boundsPeriod
            assert (str(bounds.start), str(bounds.end)) == (ev.window_start.isoformat(), ev.window_end.isoformat())
            # the source is a contained DocumentReference the activity points at
            ref = d.reasonReference[0].reference
            doc = next(c for c in cp.contained if f"#{c.id}" == ref)
            assert doc.__resource_type__ == "DocumentReference"
            assert f"[{ev.citation.source.id}]" in doc.description
            if ev.citation.source.url:
                assert d.instantiatesUri == [ev.citation.source.url]
                assert doc.content[0].attachment.url == ev.citation.source.url
        if rest or not coded:
            d = by_id[base].detail
            assert d.code.text == ev.title and not d.code.coding
            assert d.kind == ("ServiceRequest" if ev.kind in ("screening", "lab") else "Appointment")
        for _check, code in coded:  # LOINC on every coded test
            d = by_id[f"{base}-{code}"].detail
            assert d.kind == "ServiceRequest"
            assert [(c.system, c.code) for c in d.code.coding] == [("http://loinc.org", code)]
        if ev.kind == "lab":  # every lab test has a LOINC code, or the plan says why not
            for c in ev.checks:
                if vocabulary()["checks"][c]["kind"] == "test" and c not in table.orders:
                    assert c in table.uncoded
                    assert any(n.text.startswith(f"No LOINC code on '{check_label(c)}'") for n in cp.note)
    assert seen == set(by_id)
    assert {c.id for c in cp.contained} == {f"src-{e.citation.source.id}" for e in plan.events}
    assert cp.note[0].text == DISCLAIMER
    # every point to check that is not a dose point (those are worded with the dose) is a note
    for u, _ in plan.unverified:
        assert any(n.text.startswith("Check the current label") and u.topic in n.text for n in cp.note), u.topic


def test_the_validator_is_real():
    data = careplan(plan_for(dt.date(2024, 5, 1)))
    bad = json.loads(json.dumps(data))
    del bad["intent"]
    with pytest.raises(ValidationError):
        CarePlan.model_validate(bad)
    bad = json.loads(json.dumps(data))
    bad["activity"][0]["detail"]["scheduledTiming"]["event"] = ["not a date"]
    with pytest.raises(ValidationError):
        CarePlan.model_validate(bad)


def test_schedule_format_fhir(runner, app):
    result = runner.invoke(app, ["schedule", "--start", "2024-05-01", "--format", "fhir"])
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert got == json.loads(json.dumps(careplan(plan_for(dt.date(2024, 5, 1)))))
    CarePlan.model_validate(got)
