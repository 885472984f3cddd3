"""The loader rejects bad protocol files with one line naming the file, the rule and the field."""

import textwrap

import pytest

from jakplan.catalog.files import data_path
from jakplan.catalog.loader import load_protocol, load_protocol_file
from jakplan.catalog.vocab import shipped_protocols, vocabulary
from jakplan.errors import JakplanError

GOOD_RULE = """
[[rule]]
id = "lipids"
kind = "lab"
title = "Lipids"
checks = ["lipids"]
timing = { type = "at", at = { weeks = 12 } }
source = "S2"
"""


def write(tmp_path, body, name="clinic.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(body))
    return p


def header(extra=""):
    return f'schema = 1\nid = "clinic"\ndrug = "baricitinib"\ntitle = "Our clinic"\nindications = ["ra"]\n{extra}\n'


def test_every_shipped_protocol_loads_and_cites_known_sources():
    for pid in shipped_protocols("baricitinib"):
        proto = load_protocol("baricitinib", pid)
        assert proto.rules
        for rule in proto.rules:
            assert rule.citation.source.document and rule.citation.source.url.startswith("http"), rule.id
            assert set(rule.checks) <= set(vocabulary()["checks"]), rule.id


def test_a_good_user_file_loads(tmp_path):
    proto = load_protocol_file(write(tmp_path, header() + GOOD_RULE))
    assert [r.id for r in proto.rules] == ["lipids"]


def test_user_file_extends_a_shipped_variant(tmp_path):
    body = header('extends = "us-label"') + GOOD_RULE.replace('id = "lipids"', 'id = "lipids_week12"').replace(
        "weeks = 12", "weeks = 8")
    proto = load_protocol_file(write(tmp_path, body))
    assert proto.extends == "us-label"
    assert proto.rule("lipids_week12").timing.at.n == 8
    assert proto.rule("tb_screening").citation.source.id == "S5"  # inherited


@pytest.mark.parametrize(
    "scenario, body, message",
    [
        ("unknown_check", GOOD_RULE.replace('["lipids"]', '["lipidz"]'),
         "rule 'lipids': field 'checks': unknown check 'lipidz'"),
        ("missing_source", GOOD_RULE.replace('source = "S2"', ""), "rule 'lipids': field 'source' is missing"),
        ("unknown_source", GOOD_RULE.replace('"S2"', '"S999"'), "rule 'lipids': field 'source': unknown source 'S999'"),
        ("bad_unit", GOOD_RULE.replace("weeks = 12", "fortnights = 6"),
         "rule 'lipids': field 'timing'.at: unit 'fortnights' is not one of days, weeks, months, years"),
        ("negative_offset", GOOD_RULE.replace("weeks = 12", "weeks = -3"),
         "rule 'lipids': field 'timing'.at: weeks must be a whole number >= 0"),
        ("bad_kind", GOOD_RULE.replace('kind = "lab"', 'kind = "party"'), "rule 'lipids': field 'kind': 'party'"),
        ("screening_after_start", GOOD_RULE.replace('kind = "lab"', 'kind = "screening"'),
         "rule 'lipids': field 'timing': a screening rule must use type 'before_start'"),
        ("unknown_factor", GOOD_RULE + 'applies = { all = [ { factor = "shoe_size", min = 40 } ] }\n',
         "rule 'lipids': field 'applies'.all[0]: unknown patient factor 'shoe_size'"),
        ("unknown_field", GOOD_RULE + 'colour = "red"\n', "rule 'lipids': unknown field(s): colour"),
        ("every_without_interval", GOOD_RULE.replace('{ type = "at", at = { weeks = 12 } }', '{ type = "every" }'),
         "rule 'lipids': field 'timing': type 'every' needs 'every'"),
    ],
)
def test_malformed_rule_is_named(tmp_path, scenario, body, message):
    path = write(tmp_path, header() + body, f"{scenario}.toml")
    with pytest.raises(JakplanError) as exc:
        load_protocol_file(path)
    assert str(exc.value).startswith(str(path) + ": "), exc.value
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_not_toml(tmp_path):
    path = write(tmp_path, "schema = 1\nid = [unclosed\n")
    with pytest.raises(JakplanError, match=r"clinic.toml: not valid TOML: .*line 2"):
        load_protocol_file(path)


def test_newer_schema_is_refused(tmp_path):
    path = write(tmp_path, header().replace("schema = 1", "schema = 9") + GOOD_RULE)
    with pytest.raises(JakplanError, match="schema 9 is newer"):
        load_protocol_file(path)


def test_include_of_a_missing_rule(tmp_path):
    body = header('[[include]]\nprotocol = "nhs-lanarkshire"\nrules = ["nope"]\nwhy = "test"\n') + GOOD_RULE
    with pytest.raises(JakplanError, match="include #1: rule 'nope' is not defined in protocol 'nhs-lanarkshire'"):
        load_protocol_file(write(tmp_path, body))


def test_extends_cycle(tmp_path):
    a = write(tmp_path, header('extends = "b.toml"').replace('"clinic"', '"a"') + GOOD_RULE, "a.toml")
    write(tmp_path, header('extends = "a.toml"').replace('"clinic"', '"b"') + GOOD_RULE, "b.toml")
    with pytest.raises(JakplanError, match="cycle"):
        load_protocol_file(a)


def test_unknown_protocol_lists_known():
    with pytest.raises(JakplanError, match="unknown protocol 'mars' for baricitinib; known: .*us-label"):
        load_protocol("baricitinib", "mars")


def test_data_folder_is_shipped():
    assert (data_path() / "vocabulary.toml").is_file()


ZOSTER_RULE = """
[[rule]]
id = "zoster"
kind = "screening"
title = "Zoster vaccine before starting"
checks = ["zoster_vaccination"]
timing = { type = "before_start" }
source = "S2"
"""


def test_a_silence_the_file_itself_contradicts_is_refused(tmp_path):
    body = header() + GOOD_RULE + ZOSTER_RULE + (
        '\n[[silent]]\nitem = "zoster_vaccine"\nsource = "S2"\nsection = "2"\nwhy = "the source says nothing of it"\n')
    with pytest.raises(JakplanError, match=r"silent 'zoster_vaccine': the protocol encodes this item \(rule zoster\)"):
        load_protocol_file(write(tmp_path, body))


def test_an_inherited_silence_gives_way_to_the_rule_that_encodes_it(tmp_path):
    # baricitinib/eu-smpc declares the zoster vaccine silent; a clinic that extends it and plans the vaccine
    # encodes it: the plan no longer says the source is silent on it
    assert "zoster_vaccine" in {s.item for s in load_protocol("baricitinib", "eu-smpc").silent}
    proto = load_protocol_file(write(tmp_path, header('extends = "eu-smpc"') + ZOSTER_RULE))
    assert "zoster_vaccine" not in {s.item for s in proto.silent}
    assert "kidney_baseline" in {s.item for s in proto.silent}  # the others stay
