"""The reviewed LOINC table (jakplan/data/loinc.toml): every code's analyte, and complete for what jakplan judges."""

import re

import pytest

from jakplan.catalog.loinc import EVIDENCE, loinc_table
from jakplan.catalog.vocab import drugs, shipped_protocols, vocabulary
from jakplan.records.labimport import measure

# Checked one by one against the page named in the table (see its `source`); the brief's list first.
EXPECTED = {
    "751-8": "anc", "26499-4": "anc",
    "731-0": "alc",
    "718-7": "hb",
    "777-3": "platelets", "26515-7": "platelets",
    "1742-6": "alt_uln", "1743-4": "alt_uln", "1744-2": "alt_uln", "77144-4": "alt_uln", "76625-3": "alt_uln",
    "1920-8": "alt_uln", "30239-8": "alt_uln", "88112-8": "alt_uln",
    "2160-0": "creatinine", "38483-4": "creatinine", "14682-9": "creatinine", "77140-2": "creatinine",
    "98979-8": "egfr", "62238-1": "egfr", "33914-3": "egfr", "77147-7": "egfr",
    "2093-3": "cholesterol", "14647-2": "cholesterol",
    "2085-9": "hdl",
    "13457-7": "ldl", "18262-6": "ldl",
    "2571-8": "triglycerides", "14927-8": "triglycerides",
    # issue 19: variants real feeds send (evidence "public mappings" unless a page was seen; see each note)
    "26474-7": "alc", "20509-6": "hb", "69405-9": "egfr", "2089-1": "ldl", "22748-8": "ldl", "14646-4": "hdl",
}

# Codes public files get wrong, and what they really are (../shared/reference/lab-codes.md section 9).
NOT_MAPPED = {
    "752-6": "deprecated twin of 751-8 with the same wording",
    "770-8": "neutrophils as a percentage, not a count",
    "736-9": "lymphocytes as a percentage",
    "26511-6": "neutrophils as a percentage (method-less)",
    "26478-8": "lymphocytes as a percentage (method-less)",
    "20585-6": "lymphocytes in an unspecified specimen",
    "35200-5": "three different names in FHIR publications",
    "35217-9": "two different names",
    "47364-5": "blood-donor screening code",
    "2096-6": "cholesterol/triglyceride ratio",
    "71774-4": "an IGRA control, not a result",
}


def test_every_code_maps_to_the_expected_analyte():
    table = loinc_table()
    assert {c: e.analyte for c, e in table.codes.items()} == EXPECTED


@pytest.mark.parametrize("code", sorted(NOT_MAPPED))
def test_codes_that_public_files_mis_map_are_not_imported(code):
    assert code not in loinc_table().codes


def _judged_analytes() -> set[str]:
    from jakplan.catalog.loader import load_protocol

    out = set()
    for drug in drugs():
        for variant in shipped_protocols(drug):
            out |= {t.analyte for t in load_protocol(drug, variant).thresholds}
    return out


def test_complete_for_every_analyte_jakplan_judges_and_keeps():
    judged = _judged_analytes()
    assert judged >= {"anc", "alc", "hb"}  # the walk over the protocols is real
    have = {e.analyte for e in loinc_table().codes.values()}
    assert judged <= have, f"no LOINC code for {judged - have}"
    table = loinc_table()
    missing = set(vocabulary()["analytes"]) - have
    assert missing == set(table.not_imported), f"no LOINC code for {missing - set(table.not_imported)}"
    assert not judged & set(table.not_imported)  # what a protocol judges is always importable


def test_each_entry_is_sourced_and_its_units_convert():
    vocab = vocabulary()["analytes"]
    for code, e in loinc_table().codes.items():
        assert re.fullmatch(r"\d{1,7}-\d", code)
        assert e.source.startswith(("https://", "http://")) and e.evidence in EVIDENCE, code
        assert e.units, code
        lo, hi = vocab[e.analyte]["plausible"]
        for unit in e.units:  # every unit the table lists goes through the one conversion path
            value, canonical, _ = measure(e.analyte, "10", unit, uln="10" if e.uln else None, enzyme=e.uln)
            assert canonical == vocab[e.analyte]["unit"] and lo <= value <= hi, (code, unit)
        assert e.uln == (e.analyte == "alt_uln"), code


def test_the_name_property_matches_the_units():
    """[Mass/volume] codes take mass units, [Moles/volume] mol units, counts count units, enzymes U/L."""
    for code, e in loinc_table().codes.items():
        units = " ".join(e.units)
        if "[Mass/volume]" in e.name:
            assert re.search(r"g/dL\b", units) and "mol" not in units, code
        elif "[Moles/volume]" in e.name:
            assert "mol/L" in units, code
        elif "[#/volume]" in e.name:
            assert "10*" in units, code
        elif "[Enzymatic activity/volume]" in e.name:
            assert units == "U/L", code
        else:
            assert "Glomerular filtration rate" in e.name and units == "mL/min/{1.73_m2}", code


def test_aliases_and_unmapped_are_well_formed():
    table = loinc_table()
    assert not set(table.codes) & set(table.unmapped)
    for code, (name, reason) in table.unmapped.items():
        assert re.fullmatch(r"\d{1,7}-\d", code) and name and reason
    for word, analyte in table.aliases.items():
        assert analyte in vocabulary()["analytes"], word


def test_a_to_check_note_goes_with_the_weakest_grade_only():
    """An entry still to check says so and is graded "public mappings"; a verified grade carries no "TO CHECK"."""
    table = loinc_table()
    for code, e in table.codes.items():
        assert ("TO CHECK" in e.note) == (e.evidence == "public mappings"), code
    assert any(e.evidence == "public mappings" for e in table.codes.values())  # the check sees both sides


# EXAMPLE_UCUM_UNITS of LOINC 2.67 (Loinc.csv), as NLM's LHNCBC extracted it for its mapping validator
# (github.com/LHNCBC/loinc-mapping-validator, data/loinc_unit.json, 2020-01-23). 98979-8 is newer than 2.67;
# 69405-9 is "mL/min" there, a unit jakplan does not take for an eGFR normalised to 1.73 m2.
LOINC_267_EXAMPLE_UNIT = {
    "751-8": "10*3/uL", "26499-4": "10*3/uL", "731-0": "10*3/uL", "26474-7": "10*3/uL",
    "718-7": "g/dL", "20509-6": "g/dL", "777-3": "10*3/uL", "26515-7": "10*3/uL",
    "1742-6": "U/L", "1743-4": "U/L", "1744-2": "U/L", "77144-4": "U/L", "76625-3": "U/L",
    "1920-8": "U/L", "30239-8": "U/L", "88112-8": "U/L",
    "2160-0": "mg/dL", "38483-4": "mg/dL", "14682-9": "umol/L", "77140-2": "umol/L",
    "62238-1": "mL/min/{1.73_m2}", "33914-3": "mL/min/{1.73_m2}", "77147-7": "mL/min/{1.73_m2}",
    "2093-3": "mg/dL", "14647-2": "mmol/L", "2085-9": "mg/dL", "14646-4": "mmol/L",
    "13457-7": "mg/dL", "18262-6": "mg/dL", "2089-1": "mg/dL", "22748-8": "mmol/L",
    "2571-8": "mg/dL", "14927-8": "mmol/L",
}


def test_each_code_is_first_reported_in_loincs_example_unit():
    table = loinc_table()
    assert set(table.codes) - set(LOINC_267_EXAMPLE_UNIT) == {"98979-8", "69405-9"}
    for code, unit in LOINC_267_EXAMPLE_UNIT.items():
        assert table.codes[code].units[0] == unit, code
