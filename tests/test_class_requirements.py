"""The class checklist (issue 10, item 4): every shipped protocol x indication encodes each item of
jakplan/data/class-requirements.toml or declares it [[silent]] with the source that is silent."""


import pytest

from jakplan.catalog.loader import load_protocol, load_protocol_file
from jakplan.catalog.medicines import class_table
from jakplan.catalog.requirements import check, interaction_items, items
from jakplan.catalog.vocab import drugs, shipped_protocols, sources
from jakplan.errors import JakplanError

CASES = [(d, v, ind) for d in drugs() for v in shipped_protocols(d) for ind in load_protocol(d, v).indications]


@pytest.mark.parametrize("drug, variant, indication", CASES)
def test_every_item_is_encoded_or_declared_silent(drug, variant, indication):
    statuses = check(load_protocol(drug, variant), indication)
    missing = [s.item for s in statuses if s.status == "missing"]
    assert not missing, f"{drug}/{variant} ({indication}): not encoded and not declared silent: {', '.join(missing)}"
    for s in statuses:
        assert s.evidence or s.status == "unstated", (drug, variant, indication, s.item)


@pytest.mark.parametrize("drug, variant, indication", CASES)
def test_no_silence_is_contradicted_by_the_protocol_itself(drug, variant, indication):
    """A [[silent]] entry says the source does not address an item: none of a shipped protocol's own entries may
    encode that item for the indication (the loader refuses it in a user's file; shipped files are held here, not
    checked on every start)."""
    protocol = load_protocol(drug, variant)
    status = {s.item: s for s in check(protocol, indication)}
    for s in protocol.silent:
        if not s.indications or indication in s.indications:
            assert status[s.item].status == "silent", (s.item, status[s.item].evidence)


def test_the_items_of_the_issue_are_all_there():
    ids = {i.id for i in items()}
    assert ids >= {"tb_active", "tb_latent", "hbv", "hbv_dna", "hcv", "blood_count_baseline", "start_anc", "start_alc",
                   "start_hb", "start_platelets", "liver_baseline", "kidney_baseline", "lipids", "during_anc",
                   "during_alc", "during_hb", "pregnancy", "vaccinations", "zoster_vaccine", "skin_exam", "vte",
                   "infections", "ema_age65", "ema_smoker", "ema_cardiovascular", "ema_malignancy", "response"}
    # drug interactions: one item per interaction class of data/medicines.toml (issue 17), not one for them all
    assert {i.id for i in interaction_items()} <= ids and len(interaction_items()) == len(class_table())


def test_status_names_the_evidence():
    by = {s.item: s for s in check(load_protocol("baricitinib", "us-label"), "covid19")}
    assert by["tb_active"] == ("tb_active", "encoded", "rule tb_active_covid19")
    assert by["tb_latent"].status == "silent" and by["tb_latent"].evidence.startswith("[S5] boxed warning:")
    assert by["start_alc"] == ("start_alc", "encoded", "threshold alc_low_covid19")
    assert by["response"] == ("response", "encoded", "course covid19_course")
    assert "ema_age65" not in by  # a US protocol: the EMA/MHRA items do not apply


def test_the_eu_and_uk_measures_apply_by_jurisdiction():
    nhs = {s.item: s for s in check(load_protocol("baricitinib", "nhs-lanarkshire"), "ra")}
    assert nhs["ema_age65"] == ("ema_age65", "encoded", "risk mhra_age65")
    eu = {s.item: s for s in check(load_protocol("baricitinib", "eu-smpc"), "ra")}
    assert eu["ema_smoker"] == ("ema_smoker", "encoded", "risk ema_smoker")


def test_the_local_protocol_encodes_its_own_start_limits():
    # NHS Lanarkshire lists neutrophils < 1, lymphocytes < 0.5 and Hb < 8 as contraindications (issue 10)
    nhs = {s.item: s for s in check(load_protocol("baricitinib", "nhs-lanarkshire"), "ra")}
    assert [nhs[i].status for i in ("start_anc", "start_alc", "start_hb")] == ["encoded"] * 3


def test_a_protocol_missing_an_item_is_reported(tmp_path):
    f = tmp_path / "bare.toml"
    f.write_text('schema = 1\nid = "bare"\ndrug = "baricitinib"\ntitle = "Bare"\njurisdiction = "EU"\n'
                 'indications = ["ra"]\n\n[[rule]]\nid = "tb"\nkind = "screening"\ntitle = "TB"\nchecks = ["tb_test"]\n'
                 'timing = { type = "before_start" }\nsource = "S1"\nsection = "2.1"\n', encoding="utf-8")
    statuses = {s.item: s.status for s in check(load_protocol_file(f), "ra")}
    assert statuses["tb_latent"] == "encoded"
    assert statuses["start_anc"] == "missing" and statuses["ema_age65"] == "missing"
    assert "start_platelets" not in statuses  # labelled for abrocitinib and ritlecitinib only


def test_silent_entries_are_validated(tmp_path):
    body = ('schema = 1\nid = "x"\ndrug = "baricitinib"\ntitle = "X"\nindications = ["ra"]\n\n[[rule]]\nid = "tb"\n'
            'kind = "screening"\ntitle = "TB"\nchecks = ["tb_test"]\ntiming = { type = "before_start" }\nsource = "S1"\n'
            'section = "2.1"\n\n[[silent]]\nitem = "%s"\nsource = "%s"\nsection = "2.1"\nwhy = "not in the label"\n%s')
    f = tmp_path / "x.toml"
    f.write_text(body % ("lipids", "S1", ""), encoding="utf-8")
    (s,) = load_protocol_file(f).silent
    assert (s.item, s.citation.source.id, s.why) == ("lipids", "S1", "not in the label")
    for item, src, extra, msg in [
        ("lipid", "S1", "", "silent 'lipid': field 'item': 'lipid' is not an item of class-requirements.toml"),
        ("lipids", "S99", "", "silent 'lipids': field 'source': unknown source 'S99'"),
        ("lipids", "S1", 'indications = ["aa"]\n', "silent 'lipids': field 'indications': 'aa' is not an indication"),
        ("lipids", "S1", 'because = "x"\n', "silent #1: unknown field(s): because"),
    ]:
        f.write_text(body % (item, src, extra), encoding="utf-8")
        with pytest.raises(JakplanError) as exc:
            load_protocol_file(f)
        assert str(exc.value).startswith(f"{f}: ") and msg in str(exc.value), str(exc.value)
        assert "\n" not in str(exc.value)


def test_protocols_show_lists_what_is_declared_silent(runner, app):
    import json

    r = runner.invoke(app, ["protocols", "show", "us-label", "--format", "json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    silent = {(s["item"], tuple(s["indications"])): s for s in got["silent"]}
    tb = silent[("tb_latent", ("covid19",))]
    assert tb["source"]["id"] == "S5" and tb["source"]["grade"] == "mirror" and "except those with COVID-19" in tb["why"]
    md = runner.invoke(app, ["protocols", "show", "us-label", "--format", "markdown"]).stdout
    assert "## Not addressed by the source (declared silent)" in md
    assert "| tb_latent | indication covid19 |" in md


def test_sources_are_graded_in_protocols_show(runner, app):
    import json

    got = json.loads(runner.invoke(app, ["protocols", "show", "nhs-lanarkshire", "--format", "json"]).stdout)
    grades = {r["source"]["id"]: r["source"]["grade"] for r in got["rules"]}
    assert grades["S13"] == "primary"
    assert {s.grade for s in sources().values()} == {"primary", "manufacturer", "mirror"}


def test_a_source_without_a_grade_is_refused(tmp_path, monkeypatch):
    from jakplan.catalog import vocab

    with pytest.raises(JakplanError, match="source 'Z1': field 'grade': None is not one of primary, manufacturer, mirror"):
        vocab._source("Z1", {"document": "x", "url": "http://x"})
    with pytest.raises(JakplanError, match="contradicts grade 'primary'"):
        vocab._source("Z1", {"document": "x", "grade": "primary", "weak": True})


def test_a_fall_from_baseline_cannot_act_before_the_first_dose(tmp_path):
    # issue 10: a fall-from-baseline rule was applied before the first dose; the format now refuses it
    f = tmp_path / "drop.toml"
    f.write_text('schema = 1\nid = "d"\ndrug = "tofacitinib"\ntitle = "D"\n\n[[rule]]\nid = "tb"\nkind = "screening"\n'
                 'title = "TB"\nchecks = ["tb_test"]\ntiming = { type = "before_start" }\nsource = "T1"\nsection = "2"\n\n'
                 '[[threshold]]\nid = "hb_drop"\nanalyte = "hb"\ndrop = 2.0\nbefore_start = "do_not_start"\n'
                 'during = "interrupt"\nsource = "T1"\nsection = "table 3"\n', encoding="utf-8")
    with pytest.raises(JakplanError, match="threshold 'hb_drop': field 'before_start': a fall from baseline"):
        load_protocol_file(f)


def test_every_silence_is_visible_in_every_view():
    """Issue 17 item 5: a class requirement declared silent is shown, with the source that is silent, in the
    schedule (compact and --details), the JSON and the sheet, through the CLI; never a quiet omission (every
    view of every protocol: the test below)."""
    import datetime as dt
    import html
    import json

    from typer.testing import CliRunner

    from jakplan.api import plan_for
    from jakplan.cli import app
    from jakplan.render.common import silence_title

    runner = CliRunner()
    for drug, protocol, ind in [("ritlecitinib", "eu-smpc", "aa"), ("baricitinib", "us-label", "covid19"),
                                ("tofacitinib", "eu-smpc", "uc")]:
        plan = plan_for(dt.date(2024, 5, 1), drug, ind, protocol)
        assert plan.silent, (drug, protocol, ind)
        base = ["--start", "2024-05-01", "--drug", drug, "--protocol", protocol, "--indication", ind]
        js = json.loads(runner.invoke(app, ["schedule", *base, "--format", "json"]).stdout)
        assert {s["item"] for s in js["not_addressed_by_source"]} == {s.item for s in plan.silent}
        assert all(s["source"]["id"] for s in js["not_addressed_by_source"])
        compact = runner.invoke(app, ["schedule", *base]).stdout.replace("\n  ", " ")
        details = runner.invoke(app, ["schedule", *base, "--details"]).stdout.replace("\n", " ")
        sheet = runner.invoke(app, ["sheet", *base, "--format", "html"]).stdout
        for s in plan.silent:
            short = silence_title(s.item).split(":")[0]
            assert f"{short} [{s.citation.source.id}]" in compact
            assert silence_title(s.item) in " ".join(details.split())
            # the printed sheet cites by footnote number only (issue 21): the silence is named, its source a footnote
            # (a class of medicines without its "Taken with": "names no rule for taking it with: ...")
            assert html.escape(short.removeprefix("Taken with "), quote=True) in " ".join(sheet.split())
            assert html.escape(s.citation.source.document, quote=True) in " ".join(sheet.split())


SILENT_CASES = [c for c in CASES if any(not s.indications or c[2] in s.indications for s in load_protocol(c[0], c[1]).silent)]


@pytest.mark.parametrize("drug, variant, indication", SILENT_CASES)
def test_every_silence_is_in_every_view_of_every_protocol(drug, variant, indication):
    """Issue 17 item 5, for every protocol x indication with a silence: the schedule (compact and --details),
    the JSON (parsed: one field set per silence with its source), status (JSON and terminal), a visit's
    checklist, the sheet and every calendar event's description name each class requirement declared silent,
    with the tag of the source that is silent (the printed sheet: its footnote)."""
    import datetime as dt
    import io
    import json

    import icalendar
    from rich.console import Console

    from jakplan.api import plan_for
    from jakplan.engine.tracking import track
    from jakplan.engine.visits import visits
    from jakplan.history import History
    from jakplan.render.checklist import build_checklist
    from jakplan.render.checklist import render_text as checklist_text
    from jakplan.render.common import plan_dict, silence_title
    from jakplan.render.compact import compact_text
    from jakplan.render.ics import calendar_bytes
    from jakplan.render.sheet import build_sheet, sheet_text
    from jakplan.render.status import render_status, status_dict
    from jakplan.render.terminal import render_terminal

    def flat(text: str) -> str:
        return " ".join(text.split())

    def console_text(draw, *args) -> str:
        out = io.StringIO()
        draw(*args, Console(file=out, width=400, no_color=True, highlight=False))
        return flat(out.getvalue())

    plan = plan_for(dt.date(2024, 5, 1), drug, indication, variant)
    expected = {s.item for s in load_protocol(drug, variant).silent if not s.indications or indication in s.indications}
    assert {s.item for s in plan.silent} == expected and expected
    status = track(plan, History(), dt.date(2024, 5, 1))
    for fields in (json.loads(json.dumps(plan_dict(plan)))["not_addressed_by_source"],
                   json.loads(json.dumps(status_dict(status)))["not_addressed_by_source"]):
        assert {f["item"] for f in fields} == expected
        for f in fields:
            s = next(x for x in plan.silent if x.item == f["item"])
            assert f["source"]["id"] == s.citation.source.id and f["why"] == s.why and f["title"] == silence_title(s.item)
    cal = icalendar.Calendar.from_ical(calendar_bytes(plan, dtstamp=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)))
    descriptions = [flat(str(ev["DESCRIPTION"])) for ev in cal.walk("VEVENT")]
    assert descriptions
    views = {
        "compact": flat(compact_text(plan)),
        "details": console_text(render_terminal, plan),
        "status": console_text(lambda p, c: render_status(status, c), plan),
        "checklist": flat(checklist_text(build_checklist(plan, visits(plan)[0]))),
        "sheet": flat(sheet_text(build_sheet(plan))),
    } | {f"calendar event {i}": d for i, d in enumerate(descriptions)}
    for s in plan.silent:
        short = f"{silence_title(s.item).split(':')[0]} [{s.citation.source.id}]"
        for name, text in views.items():
            wanted = f"{silence_title(s.item)}: {flat(s.why)}" if name == "details" else short
            if name == "sheet":  # the printed sheet cites by footnote number only (issue 21): its source a footnote
                wanted = silence_title(s.item).split(":")[0].removeprefix("Taken with ")  # a class: "taking it with"
                assert flat(s.citation.source.document) in text
            assert wanted in text, f"{drug}/{variant} ({indication}) {name}: {s.item} not shown"
