"""FHIR out for the clinic: CarePlan activities that say what was done, and due checks as Tasks (R4B models)."""

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.task import Task
from pydantic import ValidationError

from jakplan.api import record_of, status_for_record
from jakplan.catalog.loinc import loinc_table
from jakplan.records.planfile import edit_planfile
from jakplan.render.common import DISCLAIMER
from jakplan.render.fhir import ACTIVITY_STATUS, careplan, task_bundle, tasks

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LOINC = "http://loinc.org"


@pytest.fixture
def anna():
    return status_for_record(record_of(EXAMPLES / "patients" / "anna.toml"), dt.date(2024, 11, 20))


def test_careplan_activities_reflect_what_was_done(anna):
    data = careplan(anna.plan, "anna", anna)
    cp = CarePlan.model_validate(data)
    assert json.loads(cp.model_dump_json()) == data
    acts = {a.id: a.detail for a in cp.activity}
    items = {(i.rule, i.occurrence): i for i in anna.items}
    for aid, d in acts.items():
        rule, occ = aid.split("-")[0], int(aid.split("-")[1])
        it = items[(rule, occ)]
        assert d.status == ACTIVITY_STATUS[it.state], aid
        assert d.scheduledTiming.event == [it.date]  # the tracked date, moved by the pause
    # done: completed with the day; the week-12 blood count is coded with LOINC
    d = acts["bloods_week12-0-57021-8"]
    assert (d.status, d.statusReason.text) == ("completed", "done on 2024-07-29")
    assert [(c.system, c.code) for c in d.code.coding] == [(LOINC, "57021-8")]
    assert {a for a in acts if a.startswith("bloods_week12-0")} == {
        "bloods_week12-0-57021-8", "bloods_week12-0-1742-6", "bloods_week12-0-1920-8", "bloods_week12-0-2160-0"}
    # due now, in the window moved 21 days by the pause
    d = acts["bloods_every_3_months-1-57021-8"]
    assert d.status == "scheduled" and d.statusReason.text == "due now (window 2024-11-07 to 2024-11-21)"
    assert str(d.scheduledTiming.event[0]) == "2024-11-14"
    assert acts["bloods_every_3_months-2-57021-8"].statusReason.text == "upcoming on 2025-02-14"


def test_overdue_and_missed(tmp_path):
    path = tmp_path / "anna.toml"
    shutil.copy(EXAMPLES / "patients" / "anna.toml", path)
    st = status_for_record(record_of(path), dt.date(2025, 3, 1))
    acts = {a["id"]: a["detail"] for a in careplan(st.plan, "anna", st)["activity"]}
    overdue = [i for i in st.items if i.state == "overdue"]
    assert overdue
    for i in overdue:
        d = next(v for k, v in acts.items() if k.startswith(f"{i.rule}-{i.occurrence}"))
        assert d["status"] == "not-started"
        assert d["statusReason"]["text"] == f"overdue by {i.days_late} days (window closed {i.window_end.isoformat()})"
    with edit_planfile(path) as pf:
        pf.add_done("bloods_every_3_months", dt.date(2025, 2, 20))
    st = status_for_record(record_of(path), dt.date(2025, 3, 1))
    missed = [i for i in st.items if i.state == "missed"]
    assert missed
    cp = CarePlan.model_validate(careplan(st.plan, "anna", st))
    for i in missed:
        d = next(a.detail for a in cp.activity if a.id.startswith(f"{i.rule}-{i.occurrence}-"))
        assert d.status == "cancelled" and d.statusReason.text.startswith("missed")


def test_due_items_as_tasks(anna):
    out = tasks(anna, "anna")
    for t in out:
        Task.model_validate(t)
    bundle = task_bundle(anna, "anna")
    b = Bundle.model_validate(bundle)
    assert len(b.entry) == len(out)
    states = {(i.rule, i.occurrence): i.state for i in anna.items}
    requested = [t for t in out if t["status"] == "requested"]
    completed = [t for t in out if t["status"] == "completed"]
    assert {t["identifier"][0]["value"].split("/")[1] for t in requested} == {
        "bloods_every_3_months-1-57021-8", "bloods_every_3_months-1-1742-6", "bloods_every_3_months-1-1920-8",
        "bloods_every_3_months-1-2160-0", "target_by_month6-0"}
    for t in out:
        key = t["identifier"][0]["value"].split("/")[1]
        rule, occ = key.split("-")[0], int(key.split("-")[1])
        assert states[(rule, occ)] == ("done" if t["status"] == "completed" else "due")
        assert t["for"]["identifier"]["value"] == "anna" and t["intent"] == "plan"
        assert t["basedOn"][0]["reference"] == f"CarePlan/{careplan(anna.plan, 'anna')['id']}"
        assert t["note"][0]["text"] == DISCLAIMER
        coding = t["code"].get("coding")
        if coding:  # every lab Task carries its LOINC code
            assert coding[0]["system"] == LOINC and key.endswith(coding[0]["code"])
    done = next(t for t in completed if t["id"] == "anna-bloods-week12-0-1742-6")
    assert done["executionPeriod"] == {"start": "2024-07-29", "end": "2024-07-29"}
    assert done["code"]["coding"][0]["display"] == loinc_table().codes["1742-6"].name
    # a week's worklist: done since the Monday, and what opens by the Sunday
    week = tasks(anna, "anna", since=dt.date(2024, 11, 18), until=dt.date(2024, 11, 24))
    assert not [t for t in week if t["status"] == "completed"]
    assert {t["id"] for t in week} == {t["id"] for t in requested}


def test_task_validator_is_real(anna):
    t = json.loads(json.dumps(tasks(anna, "anna")[0]))
    del t["intent"]  # required in R4
    with pytest.raises(ValidationError):
        Task.model_validate(t)
    t = json.loads(json.dumps(tasks(anna, "anna")[0]))
    t["restriction"]["period"]["start"] = "not a date"
    with pytest.raises(ValidationError):
        Task.model_validate(t)


def test_task_ids_stay_distinct_for_long_patient_ids(anna):
    pid = "patient-with-a-very-long-identifier-from-the-hospital-system-0000000000001"
    ids = [t["id"] for t in tasks(anna, pid)]
    assert len(set(ids)) == len(ids) and all(len(i) <= 64 for i in ids)
    for t in tasks(anna, pid):
        Task.model_validate(t)
