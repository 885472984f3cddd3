"""The bad-input matrix (issue 12): every command and every input path, with inputs that are wrong, odd or
hostile. Each case must end with exit code 2, exactly one line on stderr (``Error: ...``) naming the bad value,
nothing on stdout but the command's report (cohort commands), no traceback, no file created or changed, and
never the last-resort handler ("internal error ... please report", exit 70).

Cases run in-process with typer's CliRunner (the same click group, :class:`jakplan.cli.guard.GuardedGroup`,
that the console script runs), against one workspace of files built once per module.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support import PLAN, no_hang

from jakplan.cli.guard import EXIT_INTERNAL, INTERNAL_MARK

pytestmark = pytest.mark.system  # slow: see [tool.pytest.ini_options] markers


PROFILE = PLAN

GOOD_PROTOCOL = """\
schema = 1
id = "mine"
drug = "baricitinib"
title = "Mine"
extends = "us-label"
indications = ["ra"]

[[rule]]
id = "call_week2"
kind = "review"
title = "Phone call"
checks = ["infection_symptoms"]
timing = { type = "at", at = { weeks = 2 } }
source = "S5"
"""

CSV_HEAD = "id,start,drug,indication,protocol,months,age,egfr,smoker\n"


# ---------------------------------------------------------------------------------------------- workspace

def _write(root: Path, rel: str, text: str | bytes) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("matrix")
    _write(root, "anna.toml", PLAN)
    _write(root, "profile.toml", PROFILE)
    _write(root, "mine.toml", GOOD_PROTOCOL)
    _write(root, "exists.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    _write(root, "notafolder", "a file where a folder is expected")
    _write(root, "good.csv", CSV_HEAD + "p1,2024-05-01,baricitinib,ra,us-label,12,50,,never\n")
    (root / "adir.toml").mkdir()
    (root / "cal").mkdir()
    (root / "clinic").mkdir()
    os.mkfifo(root / "fifo.toml")
    os.mkfifo(root / "fifo.csv")
    _write(root, "big.toml", b"# " + b"x" * (1 << 20) + b"\n")
    _write(root, "deep.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n")
    _write(root, "binary.toml", b"\xff\xfe\x00jakplan = 1\n")
    _write(root, "empty.csv", "")
    os.symlink("/etc/hostname", root / "escape.toml")
    # plan and profile files with one bad value each (the file is the input path)
    for name, body in PLANFILE_BODIES.items():
        _write(root, f"pf/{name}.toml", body)
    for name, body in PROTOCOL_BODIES.items():
        _write(root, f"proto/{name}.toml", body)
    for name, row in CSV_ROWS.items():
        _write(root, f"csv/{name}.csv", CSV_HEAD + row + "\n")
    for name, text in CSV_FILES.items():
        _write(root, f"csvfile/{name}.csv", text)
    os.mkfifo(root / "pf" / "here-fifo.toml")
    os.mkfifo(root / "csv" / "here-fifo.toml")
    _write(root, "outside/secret.toml", "schema = 1\nid = \"secret\"\ndrug = \"baricitinib\"\ntitle = \"TOP SECRET\"\n")
    _lab_workspace(root)
    return root


# -- issue 20: lab files, output folders, record/pause/resume/undo sequences -----------------------------

def _fat_plan() -> str:
    """A valid plan file a few bytes under the read cap: any entry added to it would pass the cap."""
    return PLAN + "\n# " + "x" * ((1 << 20) - len(PLAN) - 16) + "\n"


MSH = "MSH|^~\\&|LAB|CITYLAB|JAKPLAN|CLINIC|202407291130||ORU^R01|M1|P|2.5.1"
OBX_HB = "OBX|1|NM|718-7^Hb^LN||13|g/dL|||||F|||20240601"


def _obs_bundle(code: str, value: str, unit: str, patient: str = "p1") -> str:
    return ('{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Observation", '
            '"status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "' + code + '"}]}, '
            '"subject": {"identifier": {"value": "' + patient + '"}}, "effectiveDateTime": "2024-06-01", '
            '"valueQuantity": {"value": ' + value + ', "unit": "' + unit + '"}}}]}')


LAB_FILES: dict[str, str] = {
    "deep.json": '{"resourceType": "Bundle", "entry": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "deep_objects.json": '{"resourceType": "Bundle", "entry": [], "x": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",
    "bigint.json": _obs_bundle("751-8", "9" * 5000, "10*9/L"),
    "bigfloat.json": _obs_bundle("751-8", "1." + "0" * 5000, "10*9/L"),
    "nan.json": _obs_bundle("751-8", "NaN", "10*9/L"),
    "not_bundle.json": '{"resourceType": "Observation"}',
    "not_json.json": "{not json",
    "array.json": "[1, 2, 3]",
    "zero_platelets.json": _obs_bundle("777-3", "0", "10*9/L"),
    "zero_creatinine.csv": "patient,date,analyte,value,unit\np1,2024-06-01,creatinine,0,umol/L\n",
    "zero_cholesterol.csv": "patient,date,analyte,value,unit\np1,2024-06-01,cholesterol,0,mmol/L\n",
    "zero_alt.csv": "patient,date,analyte,value,unit,uln\np1,2024-06-01,alt,0,U/L,40\n",
    "bigint.csv": "patient,date,analyte,value,unit\np1,2024-06-01,anc," + "9" * 5000 + ",10^9/L\n",
    "far_date.csv": "patient,date,analyte,value,unit\np1,9999-12-31,anc,1.5,10^9/L\n",
    "early_date.csv": "patient,date,analyte,value,unit\np1,0001-01-01,anc,1.5,10^9/L\n",
    "zero_platelets.hl7": "\r".join([MSH, "PID|1||p1", "OBR|1|||x|||20240601",
                                      "OBX|1|NM|777-3^Platelets^LN||0|10*9/L|||||F"]) + "\r",
    "bigint.hl7": "\r".join([MSH, "PID|1||p1", "OBX|1|NM|718-7^Hb^LN||" + "9" * 5000 + "|g/dL|||||F|||20240601"]) + "\r",
    "big_message.hl7": "\r".join([MSH, "PID|1||p1"] + [OBX_HB] * ((1 << 20) // len(OBX_HB) + 10)) + "\r",
    "fat.csv": "patient,date,analyte,value,unit\nfat,2024-06-01,anc,1.5,10^9/L\n",
    "fat.hl7": "\r".join([MSH, "PID|1||fat", OBX_HB]) + "\r",
    "binary.csv": "patient,date\n\udcff",
}
"""Lab files for `cohort labs import --into {ws}/labreg`: each is refused whole, or every value in it is."""

LAB_FILE_NAMES: dict[str, str] = {
    "deep.json": "nested too deeply", "deep_objects.json": "nested too deeply", "bigint.json": "5000 characters",
    "bigfloat.json": "characters", "nan.json": "nan", "not_bundle.json": "not a FHIR Bundle",
    "not_json.json": "not JSON", "array.json": "not a FHIR Bundle", "zero_platelets.json": "above 0",
    "zero_creatinine.csv": "above 0", "zero_cholesterol.csv": "above 0", "zero_alt.csv": "above 0",
    "bigint.csv": "finite", "far_date.csv": "9999-12-31", "early_date.csv": "0001-01-01",
    "zero_platelets.hl7": "above 0", "bigint.hl7": "finite", "big_message.hl7": "KiB", "fat.csv": "fat.toml",
    "fat.hl7": "fat.toml", "binary.csv": "UTF-8",
}


def _lab_workspace(root: Path) -> None:
    _write(root, "labreg/p1.toml", PLAN)
    _write(root, "labreg/fat.toml", _fat_plan())
    _write(root, "reg1/p1.toml", PLAN)
    for name, text in LAB_FILES.items():
        _write(root, f"labfiles/{name}", text.encode("utf-8", "surrogateescape"))
    os.mkfifo(root / "labfiles" / "fifo.csv")
    # output folders with something planted in them
    (root / "outside" / "p1.ics").write_text("their own calendar")
    for name in ("outlink", "outdangling", "outfifo", "outdev", "outs"):
        (root / name).mkdir()
    os.symlink(root / "outside" / "p1.ics", root / "outlink" / "p1.ics")
    os.symlink(root / "outside" / "new.ics", root / "outdangling" / "p1.ics")
    os.symlink("../outside/new.json", root / "outdangling" / "p1.json")
    os.mkfifo(root / "outfifo" / "p1.ics")
    os.symlink("/dev/zero", root / "outdev" / "p1.ics")
    os.symlink(root / "outside" / "p1.ics", root / "outs" / "link.out")
    os.symlink("../outside/nothing-yet.out", root / "outs" / "dangling.out")
    os.mkfifo(root / "outs" / "fifo.out")
    # plan files in states that make some commands senseless
    _write(root, "seq/paused.toml", PLAN + "\n[[pause]]\nfrom = 2024-07-01\nreason = \"zoster\"\n")
    _write(root, "seq/resumed.toml", PLAN + "\n[[pause]]\nfrom = 2024-07-01\nto = 2024-07-10\nreason = \"zoster\"\n")
    _write(root, "seq/fat.toml", _fat_plan())


def snapshot(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root) + "/"] = "dir"
        for f in filenames:
            if f.startswith(".") and f.endswith(".lock"):
                continue  # the empty lock file beside a plan file (see docs/reliability.md) holds no data
            p = os.path.join(dirpath, f)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)  # a replaced file has a new inode; a file written in place a new mtime or size
            out[rel] = f"{st.st_mode:o}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
    return out


# ---------------------------------------------------------------------------------------------- the cases

def plan_body(**changes: str) -> str:
    """The good plan file with lines replaced or added (key -> whole line, '' to drop it)."""
    lines = PLAN.splitlines()
    out = []
    for ln in lines:
        key = ln.split("=")[0].strip()
        if key in changes:
            if changes[key]:
                out.append(changes.pop(key))
            continue
        out.append(ln)
    extra = [v for v in changes.values() if v]
    return "\n".join(out[:6] + [e for e in extra if not e.startswith("[") and "\n" not in e and not e.startswith("__")]
                     + out[6:] + [e[2:] if e.startswith("__") else e for e in extra
                                  if e.startswith("[") or "\n" in e or e.startswith("__")]) + "\n"


PLANFILE_BODIES: dict[str, str] = {
    "version2": plan_body(jakplan="jakplan = 2"),
    "noversion": plan_body(jakplan=""),
    "version_text": plan_body(jakplan='jakplan = "1"'),
    "drug_unknown": plan_body(drug='drug = "aspirin"'),
    "drug_number": plan_body(drug="drug = 7"),
    "indication_unknown": plan_body(indication='indication = "gout"'),
    "protocol_unknown": plan_body(protocol='protocol = "nonesuch"'),
    "protocol_abs": plan_body(protocol='protocol = "/etc/passwd.toml"'),
    "protocol_up": plan_body(protocol='protocol = "../outside/secret.toml"'),
    "protocol_fifo": plan_body(protocol='protocol = "../fifo.toml"'),
    "protocol_fifo_here": plan_body(protocol='protocol = "here-fifo.toml"'),
    "protocol_dev": plan_body(protocol='protocol = "/dev/zero"'),
    "start_text": plan_body(start='start = "yesterday"'),
    "start_far": plan_body(start="start = 9999-12-31"),
    "start_early": plan_body(start="start = 0001-01-01"),
    "start_datetime": plan_body(start="start = 2024-05-01T10:00:00"),
    "months_0": plan_body(months="months = 0"),
    "months_neg": plan_body(months="months = -3"),
    "months_big": plan_body(months="months = 100000000000000"),
    "months_float": plan_body(months="months = 12.5"),
    "months_nan": plan_body(months="months = nan"),
    "age_nan": plan_body(age="age = nan"),
    "age_inf": plan_body(age="age = inf"),
    "age_neg_inf": plan_body(age="age = -inf"),
    "age_huge": plan_body(age="age = 1e308"),
    "age_neg": plan_body(age="age = -1"),
    "age_text": plan_body(age='age = "old"'),
    "egfr_nan": plan_body(age="egfr = nan"),
    "egfr_huge": plan_body(age="egfr = 100000000000000"),
    "weight_inf": plan_body(age="weight = inf"),
    "factor_unknown": plan_body(age="shoe_size = 44"),
    "hepatic_bad": plan_body(age='hepatic = "D"'),
    "with_unknown": plan_body(age='with = ["probenecd"]'),
    "born_future": plan_body(age="born = 2030-01-01"),
    "born_after_start": plan_body(age="born = 2024-06-01"),
    "factors_not_table": plan_body(age="", **{"[factors]": "factors = 3"}),
    "not_toml": "jakplan = = 1\n",
    "lab_nan": PLAN + "\n[[lab]]\non = 2024-06-01\nanc = nan\n",
    "lab_inf": PLAN + "\n[[lab]]\non = 2024-06-01\nanc = inf\n",
    "lab_huge": PLAN + "\n[[lab]]\non = 2024-06-01\nanc = 1e300\n",
    "lab_neg": PLAN + "\n[[lab]]\non = 2024-06-01\nanc = -1\n",
    "lab_unknown": PLAN + "\n[[lab]]\non = 2024-06-01\nsodium = 140\n",
    "lab_text": PLAN + "\n[[lab]]\non = 2024-06-01\nanc = \"low\"\n",
    "lab_no_on": PLAN + "\n[[lab]]\nanc = 1.5\n",
    "done_no_rule": PLAN + "\n[[done]]\non = 2024-06-01\n",
    "done_bad_on": PLAN + "\n[[done]]\nrule = \"bloods_week4\"\non = \"soon\"\n",
    "done_extra": PLAN + "\n[[done]]\nrule = \"bloods_week4\"\non = 2024-06-01\nwho = \"me\"\n",
    "note_control": PLAN + "\n[[done]]\nrule = \"bloods_week4\"\non = 2024-06-01\nnote = \"a\\u001b[2Jb\"\n",
    "note_newline": PLAN + "\n[[done]]\nrule = \"bloods_week4\"\non = 2024-06-01\nnote = \"a\\nError: forged\"\n",
    "pause_before_start": PLAN + "\n[[pause]]\nfrom = 2024-01-01\nto = 2024-02-01\nreason = \"x\"\n",
    "pause_backwards": PLAN + "\n[[pause]]\nfrom = 2024-07-01\nto = 2024-06-01\nreason = \"x\"\n",
    "pause_two_open": PLAN + "\n[[pause]]\nfrom = 2024-07-01\nreason = \"x\"\n\n[[pause]]\nfrom = 2024-08-01\nreason = \"y\"\n",
    "done_not_list": PLAN + "\ndone = 3\n",
    "patient_name_control": PLAN + "\n[patient]\nname = \"Anna\\u001b[2J\"\n",
    "pause_to_far": PLAN + "\n[[pause]]\nfrom = 2024-07-01\nto = 9999-12-31\nreason = \"x\"\n",
    "done_early": PLAN + "\n[[done]]\nrule = \"bloods_week4\"\non = 0001-01-01\n",
    "lab_zero_platelets": PLAN + "\n[[lab]]\non = 2024-06-01\nplatelets = 0\n",
    "lab_bigint": PLAN + "\n[[lab]]\non = 2024-06-01\nanc = " + "9" * 5000 + "\n",
}
"""Plan files (also used as --profile) with one bad value each, and the text the error must name."""

PLANFILE_NAMES: dict[str, str] = {
    "version2": "newer", "noversion": "jakplan", "version_text": "jakplan", "drug_unknown": "aspirin",
    "drug_number": "drug", "indication_unknown": "gout", "protocol_unknown": "nonesuch",
    "protocol_abs": "/etc/passwd.toml", "protocol_up": "../outside/secret.toml", "protocol_fifo": "fifo.toml",
    "protocol_fifo_here": "here-fifo.toml", "protocol_dev": "/dev/zero", "start_text": "yesterday", "start_far": "9999-12-31", "start_early": "0001-01-01", "start_datetime": "start",
    "months_0": "months", "months_neg": "months", "months_big": "months", "months_float": "months",
    "months_nan": "months", "age_nan": "nan", "age_inf": "inf", "age_neg_inf": "inf", "age_huge": "age",
    "age_neg": "age", "age_text": "old", "egfr_nan": "nan", "egfr_huge": "egfr", "weight_inf": "inf",
    "factor_unknown": "shoe_size", "hepatic_bad": "D", "with_unknown": "probenecd", "born_future": "2030-01-01",
    "born_after_start": "born", "factors_not_table": "factors", "not_toml": "not valid TOML",
    "lab_nan": "nan", "lab_inf": "inf", "lab_huge": "1e+300", "lab_neg": "-1", "lab_unknown": "sodium",
    "lab_text": "low", "lab_no_on": "'on'", "done_no_rule": "'rule'", "done_bad_on": "soon", "done_extra": "who",
    "note_control": "\\x1b[2J", "note_newline": "\\nError: forged", "pause_before_start": "2024-01-01",
    "pause_backwards": "2024-06-01", "pause_two_open": "pause", "done_not_list": "done",
    "patient_name_control": "\\x1b[2J", "pause_to_far": "9999-12-31", "done_early": "0001-01-01",
    "lab_zero_platelets": "above 0", "lab_bigint": "not valid TOML",
}

_PB = GOOD_PROTOCOL


def proto_body(old: str, new: str) -> str:
    assert old in _PB, old
    return _PB.replace(old, new)


PROTOCOL_BODIES: dict[str, str] = {
    "schema2": proto_body("schema = 1", "schema = 2"),
    "schema_missing": proto_body("schema = 1\n", ""),
    "unknown_top": _PB + "colour = \"red\"\n",
    "drug_unknown": proto_body('drug = "baricitinib"', 'drug = "aspirin"'),
    "at_huge": proto_body("at = { weeks = 2 }", "at = { weeks = 100000000000000 }"),
    "at_101_years": proto_body("at = { weeks = 2 }", "at = { years = 101 }"),
    "at_negative": proto_body("at = { weeks = 2 }", "at = { weeks = -2 }"),
    "at_float": proto_body("at = { weeks = 2 }", "at = { weeks = 2.5 }"),
    "at_nan": proto_body("at = { weeks = 2 }", "at = { weeks = nan }"),
    "at_unit": proto_body("at = { weeks = 2 }", "at = { fortnights = 1 }"),
    "timing_type": proto_body('type = "at"', 'type = "sometimes"'),
    "every_zero": proto_body('timing = { type = "at", at = { weeks = 2 } }',
                             'timing = { type = "every", every = { weeks = 0 } }'),
    "count_zero": proto_body('timing = { type = "at", at = { weeks = 2 } }',
                             'timing = { type = "every", every = { weeks = 4 }, count = 0 }'),
    "count_huge": proto_body('timing = { type = "at", at = { weeks = 2 } }',
                             'timing = { type = "every", every = { days = 1 }, count = 100000000 }'),
    "kind_unknown": proto_body('kind = "review"', 'kind = "party"'),
    "check_unknown": proto_body('checks = ["infection_symptoms"]', 'checks = ["horoscope"]'),
    "source_unknown": proto_body('source = "S5"', 'source = "S999"'),
    "title_escape": proto_body('title = "Phone call"', 'title = "Phone \\u001b[31mcall"'),
    "title_bell": proto_body('title = "Phone call"', 'title = "Phone\\u0007call"'),
    "title_nul": proto_body('title = "Phone call"', 'title = "Phone\\u0000call"'),
    "title_bidi": proto_body('title = "Phone call"', 'title = "Phone \\u202ellac"'),
    "threshold_nan": _PB + '\n[[threshold]]\nid = "t"\nanalyte = "anc"\nbelow = nan\nduring = "interrupt"\nsource = "S5"\n',
    "threshold_inf": _PB + '\n[[threshold]]\nid = "t"\nanalyte = "anc"\nbelow = inf\nduring = "interrupt"\nsource = "S5"\n',
    "threshold_huge": _PB + '\n[[threshold]]\nid = "t"\nanalyte = "anc"\nbelow = 1e12\nduring = "interrupt"\nsource = "S5"\n',
    "threshold_neg": _PB + '\n[[threshold]]\nid = "t"\nanalyte = "anc"\nbelow = -1\nduring = "interrupt"\nsource = "S5"\n',
    "threshold_analyte": _PB + '\n[[threshold]]\nid = "t"\nanalyte = "mood"\nbelow = 1\nduring = "interrupt"\nsource = "S5"\n',
    "threshold_action": _PB + '\n[[threshold]]\nid = "t"\nanalyte = "anc"\nbelow = 1\nduring = "panic"\nsource = "S5"\n',
    "condition_nan": proto_body('source = "S5"\n', 'source = "S5"\napplies = { all = [ { factor = "age", min = nan } ] }\n'),
    "condition_factor": proto_body('source = "S5"\n', 'source = "S5"\napplies = { all = [ { factor = "shoe", min = 1 } ] }\n'),
    "course_huge": _PB + '\n[[course]]\nid = "c"\nlength = { days = 100000000 }\ntext = "x"\nsource = "S5"\n',
    "tolerance_huge": _PB + '\n[planning]\ntolerance = { years = 1000 }\n',
    "extends_abs": proto_body('extends = "us-label"', 'extends = "/etc/passwd.toml"'),
    "extends_up": proto_body('extends = "us-label"', 'extends = "../outside/secret.toml"'),
    "extends_self": proto_body('extends = "us-label"', 'extends = "extends_self.toml"'),
    "extends_unknown": proto_body('extends = "us-label"', 'extends = "nonesuch"'),
    "extends_fifo": proto_body('extends = "us-label"', 'extends = "../fifo.toml"'),
    "include_abs": _PB + '\n[[include]]\nprotocol = "/etc/passwd.toml"\nrules = ["x"]\nwhy = "y"\n',
    "include_up": _PB + '\n[[include]]\nprotocol = "../outside/secret.toml"\nrules = ["x"]\nwhy = "y"\n',
    "include_rule": _PB + '\n[[include]]\nprotocol = "common/eular-ra"\nrules = ["nonesuch"]\nwhy = "y"\n',
    "rule_not_table": _PB + "rule = 3\n",
    "not_toml": "schema = [\n",
    "deep_array": "schema = 1\nx = " + "[" * 3000 + "]" * 3000 + "\n",
    "deep_table": "schema = 1\nx = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n",
    "key_control": _PB + '"a\\u001bb" = 1\n',
    "huge_int": _PB + "x = 100000000000000000000\n",
}

PROTOCOL_NAMES: dict[str, str] = {
    "schema2": "schema 2", "schema_missing": "schema", "unknown_top": "colour", "drug_unknown": "aspirin",
    "at_huge": "100000000000000", "at_101_years": "101", "at_negative": "-2", "at_float": "2.5", "at_nan": "nan",
    "at_unit": "fortnights", "timing_type": "sometimes", "every_zero": "every", "count_zero": "count",
    "count_huge": "100000000", "kind_unknown": "party", "check_unknown": "horoscope", "source_unknown": "S999",
    "title_escape": "\\x1b[31m", "title_bell": "\\x07", "title_nul": "\\x00", "title_bidi": "\\u202e",
    "threshold_nan": "nan", "threshold_inf": "inf", "threshold_huge": "threshold[0].below", "threshold_neg": "-1",
    "threshold_analyte": "mood", "threshold_action": "panic", "condition_nan": "nan", "condition_factor": "shoe",
    "course_huge": "100000000", "tolerance_huge": "1000", "extends_abs": "/etc/passwd.toml",
    "extends_up": "../outside/secret.toml", "extends_self": "cycle", "extends_unknown": "nonesuch",
    "extends_fifo": "fifo.toml", "include_abs": "/etc/passwd.toml", "include_up": "../outside/secret.toml",
    "include_rule": "nonesuch", "rule_not_table": "rule", "not_toml": "not valid TOML",
    "deep_array": "nested too deeply", "deep_table": "nested too deeply", "key_control": "\\x1b",
    "huge_int": "100000000000000000000",
}

CSV_ROWS: dict[str, str] = {
    "id_empty": ",2024-05-01,baricitinib,ra,us-label,12,50,,never",
    "id_slash": "../evil,2024-05-01,baricitinib,ra,us-label,12,50,,never",
    "id_control": "a\x1bb,2024-05-01,baricitinib,ra,us-label,12,50,,never",
    "id_long": "a" * 65 + ",2024-05-01,baricitinib,ra,us-label,12,50,,never",
    "start_bad": "p1,2024-02-30,baricitinib,ra,us-label,12,50,,never",
    "start_text": "p1,soon,baricitinib,ra,us-label,12,50,,never",
    "start_far": "p1,9999-12-31,baricitinib,ra,us-label,12,50,,never",
    "start_far_months": "p1,9990-12-31,baricitinib,ra,us-label,120,50,,never",
    "start_early": "p1,0001-01-01,baricitinib,ra,us-label,12,50,,never",
    "months_0": "p1,2024-05-01,baricitinib,ra,us-label,0,50,,never",
    "months_121": "p1,2024-05-01,baricitinib,ra,us-label,121,50,,never",
    "months_text": "p1,2024-05-01,baricitinib,ra,us-label,twelve,50,,never",
    "months_neg": "p1,2024-05-01,baricitinib,ra,us-label,-1,50,,never",
    "months_unicode": "p1,2024-05-01,baricitinib,ra,us-label,\u0661\u0662,50,,never",
    "age_nan": "p1,2024-05-01,baricitinib,ra,us-label,12,nan,,never",
    "age_inf": "p1,2024-05-01,baricitinib,ra,us-label,12,inf,,never",
    "age_huge": "p1,2024-05-01,baricitinib,ra,us-label,12,1e400,,never",
    "age_text": "p1,2024-05-01,baricitinib,ra,us-label,12,old,,never",
    "egfr_neg": "p1,2024-05-01,baricitinib,ra,us-label,12,50,-1,never",
    "egfr_nan": "p1,2024-05-01,baricitinib,ra,us-label,12,50,NaN,never",
    "smoker_bad": "p1,2024-05-01,baricitinib,ra,us-label,12,50,,sometimes",
    "drug_unknown": "p1,2024-05-01,aspirin,ra,us-label,12,50,,never",
    "indication_unknown": "p1,2024-05-01,baricitinib,gout,us-label,12,50,,never",
    "protocol_unknown": "p1,2024-05-01,baricitinib,ra,nonesuch,12,50,,never",
    "protocol_abs": "p1,2024-05-01,baricitinib,ra,/etc/passwd.toml,12,50,,never",
    "protocol_up": "p1,2024-05-01,baricitinib,ra,../outside/secret.toml,12,50,,never",
    "protocol_fifo": "p1,2024-05-01,baricitinib,ra,../fifo.toml,12,50,,never",
    "protocol_dev": "p1,2024-05-01,baricitinib,ra,/dev/zero,12,50,,never",
    "protocol_fifo_here": "p1,2024-05-01,baricitinib,ra,here-fifo.toml,12,50,,never",
    "too_few": "p1,2024-05-01,baricitinib",
    "too_many": "p1,2024-05-01,baricitinib,ra,us-label,12,50,,never,extra",
}

CSV_ROW_NAMES: dict[str, str] = {
    "id_empty": "id ''", "id_slash": "../evil", "id_control": "\\x1b", "id_long": "a" * 65,
    "start_bad": "2024-02-30", "start_text": "soon", "start_far": "9999-12-31", "start_far_months": "9990-12-31",
    "start_early": "0001-01-01", "months_0": "months", "months_121": "months", "months_text": "twelve",
    "months_neg": "-1", "months_unicode": "\u0661\u0662", "age_nan": "nan", "age_inf": "inf", "age_huge": "age",
    "age_text": "old", "egfr_neg": "egfr", "egfr_nan": "egfr", "smoker_bad": "sometimes", "drug_unknown": "aspirin",
    "indication_unknown": "gout", "protocol_unknown": "nonesuch", "protocol_abs": "/etc/passwd.toml",
    "protocol_up": "../outside/secret.toml", "protocol_fifo": "fifo.toml", "protocol_dev": "/dev/zero",
    "protocol_fifo_here": "here-fifo.toml", "too_few": "3 cells", "too_many": "10 cells",
}

CSV_FILES: dict[str, str] = {
    "bad_header": "id,start,shoe\np1,2024-05-01,44\n",
    "no_start": "id,drug\np1,baricitinib\n",
    "twice": "id,start,start\np1,2024-05-01,2024-05-01\n",
    "header_control": "id,start,a\x1bb\n",
}
CSV_FILE_NAMES = {"bad_header": "shoe", "no_start": "'start'", "twice": "named twice", "header_control": "\\x1b"}

assert set(PLANFILE_BODIES) == set(PLANFILE_NAMES)
assert set(PROTOCOL_BODIES) == set(PROTOCOL_NAMES)
assert set(CSV_ROWS) == set(CSV_ROW_NAMES)


def _cases():
    """(id, argv with {ws} for the workspace, text the error line must contain, kind)."""
    cases = []

    def add(cid, argv, name, kind="plain"):
        cases.append(pytest.param(argv, name, kind, id=cid))

    S = ["--start", "2024-05-01"]
    plan_cmds = {
        "schedule": ["schedule"],
        "export": ["export", "--out", "{ws}/new.ics"],
        "checklist": ["checklist", "--week", "12"],
        "init": ["init", "--out", "{ws}/new-plan.toml"],
        "next": ["next", "--today", "2024-08-01"],
        "sheet": ["sheet", "--out", "{ws}/new.html"],
    }
    # -- option values, every plan command
    bad_dates = {"feb30": "2024-02-30", "month13": "2024-13-01", "word": "soon",
                 "far": "9999-12-31", "early": "0001-01-01", "newline": "2024-05-01\nError: forged",
                 "escape": "\x1b[31m2024-05-01", "empty": "", "dots": "2024.05.01", "datetime": "2024-05-01T10:00",
                 "day_month": "01/05/2024"}
    shown_dates = {"newline": "\\nError: forged", "escape": "\\x1b[31m", "empty": "--start"}
    for cmd, base in plan_cmds.items():
        for k, v in bad_dates.items():
            add(f"{cmd}-start-{k}", base + ["--start", v], shown_dates.get(k, v))
        add(f"{cmd}-far-months", base + ["--start", "9990-12-31", "--months", "120"], "9990-12-31")
        for k, v in {"zero": "0", "neg": "-1", "big": "121", "huge": "100000000000000", "word": "twelve",
                     "nan": "nan", "float": "1.5"}.items():
            add(f"{cmd}-months-{k}", base + S + ["--months", v], v)
        for opt, vals in {
            "--age": ["nan", "inf", "-inf", "-5", "200", "1e400", "old", "12abc"],
            "--egfr": ["nan", "inf", "-1", "1e309", "lots"],
            "--crcl": ["NaN", "-inf", "100000000000000000000"],
            "--weight": ["inf", "-3", "0x10"],
            "--born": ["2030-01-01", "2024-06-01", "yesterday", "0001-01-01"],
            "--hepatic": ["D", "\x1b[2J"],
            "--smoker": ["sometimes"],
            "--with": ["probenecd", "probenecid,\nError: x"],
            "--drug": ["aspirin", "Baricitinib\x07"],
            "--indication": ["gout"],
            "--protocol": ["nonesuch", "{ws}/missing.toml", "{ws}/adir.toml", "{ws}/fifo.toml", "/dev/zero",
                           "{ws}/big.toml", "{ws}/deep.toml", "{ws}/binary.toml"],
            "--profile": ["{ws}/missing.toml", "{ws}/adir.toml", "{ws}/fifo.toml", "/dev/zero", "{ws}/big.toml",
                          "{ws}/deep.toml", "{ws}/binary.toml"],
        }.items():
            for i, v in enumerate(vals):
                name = {"\x1b[2J": "\\x1b[2J", "probenecid,\nError: x": "Error: x", "Baricitinib\x07": "\\x07",
                        "1e400": "age", "1e309": "egfr", "100000000000000000000": "crcl", "NaN": "crcl",
                        }.get(v, v.replace("{ws}/", ""))
                add(f"{cmd}-{opt[2:]}-{i}", base + S + [opt, v], name)
        add(f"{cmd}-name-newline", base + S + ["--name", "Anna\nError: forged"], "\\nError: forged")
        add(f"{cmd}-contact-escape", base + S + ["--contact", "ward\x1b]0;x\x07"], "\\x1b]0;x\\x07")
        add(f"{cmd}-unknown-option", base + S + ["--shoe", "44"], "--shoe")
        add(f"{cmd}-option-missing-value", base + S + ["--age"], "--age")
        add(f"{cmd}-format", base + S + ["--format", "docx"], "--format")
    # -- plan commands through --profile: every bad plan/profile file
    for cmd in ("schedule", "checklist"):
        for name, shown in PLANFILE_NAMES.items():
            if name.startswith(("lab_", "done_", "note_", "pause_")) and cmd == "checklist":
                continue  # the history is read by schedule already
            add(f"{cmd}-profile-{name}", plan_cmds[cmd] + ["--profile", f"{{ws}}/pf/{name}.toml"], shown)
    # -- every bad protocol file, through --protocol and protocols show
    for name, shown in PROTOCOL_NAMES.items():
        add(f"schedule-protocol-{name}", ["schedule"] + S + ["--protocol", f"{{ws}}/proto/{name}.toml"], shown)
        add(f"protocols-show-{name}", ["protocols", "show", f"{{ws}}/proto/{name}.toml"], shown)
    add("labs-protocol-fifo", ["labs", "--anc", "1", "--protocol", "{ws}/fifo.toml"], "fifo.toml")
    add("labs-protocol-dev", ["labs", "--anc", "1", "--protocol", "/dev/zero"], "/dev/zero")
    add("labs-protocol-nan", ["labs", "--anc", "1", "--protocol", "{ws}/proto/threshold_nan.toml"], "nan")
    # -- export and checklist outputs
    add("export-out-exists", ["export"] + S + ["--out", "{ws}/exists.ics"], "exists.ics")
    add("export-out-dir", ["export"] + S + ["--out", "{ws}/cal"], "cal")
    add("export-out-device-force", ["export"] + S + ["--out", "/dev/null", "--force"], "/dev/null")
    add("export-out-fifo-force", ["export"] + S + ["--out", "{ws}/fifo.toml", "--force"], "fifo.toml")
    add("export-out-no-folder", ["export"] + S + ["--out", "{ws}/nope/x.ics"], "nope")
    add("export-out-under-file", ["export"] + S + ["--out", "{ws}/notafolder/x.ics"], "notafolder")
    for i, v in enumerate(["2x", "99w", "-1d", "1e9h", "\x1b"]):
        add(f"export-remind-{i}", ["export"] + S + ["--out", "{ws}/new.ics", "--remind", v],
            {"\x1b": "\\x1b"}.get(v, v))
    add("checklist-out-exists", ["checklist"] + S + ["--week", "12", "--format", "text", "--out", "{ws}/exists.ics"], "exists.ics")
    add("checklist-out-device", ["checklist"] + S + ["--week", "12", "--format", "text", "--out", "/dev/null", "--force"], "/dev/null")
    add("checklist-out-under-file", ["checklist"] + S + ["--week", "12", "--format", "text", "--out", "{ws}/notafolder/x.txt"], "notafolder")
    for i, v in enumerate(["-3", "x", "100000000000000000000"]):
        add(f"checklist-week-{i}", ["checklist"] + S + ["--week", v], "--week" if v == "x" else v)
    add("checklist-on-before", ["checklist"] + S + ["--on", "2024-03-01"], "2024-03-01")
    add("checklist-two-choices", ["checklist"] + S + ["--week", "12", "--next"], "--week")
    add("sheet-out-exists", ["sheet"] + S + ["--out", "{ws}/exists.ics"], "exists.ics")
    add("sheet-out-device", ["sheet"] + S + ["--out", "/dev/null", "--force"], "/dev/null")
    add("sheet-paper", ["sheet"] + S + ["--out", "{ws}/new.html", "--paper", "a3"], "--paper")
    add("next-today", ["next"] + S + ["--today", "2024-02-30"], "2024-02-30")
    add("init-out-exists", ["init"] + S + ["--out", "{ws}/anna.toml"], "anna.toml")
    add("init-out-device", ["init"] + S + ["--out", "/dev/null", "--force"], "/dev/null")
    add("init-out-fifo", ["init"] + S + ["--out", "{ws}/fifo.toml", "--force"], "fifo.toml")
    add("init-out-dir", ["init"] + S + ["--out", "{ws}/adir.toml", "--force"], "adir.toml")
    # -- plan-file commands: every bad plan file, and bad option values
    for cmd, extra in {"status": ["--today", "2024-08-01"], "next": ["--today", "2024-08-01"], "record": ["--rule", "bloods_week4", "--done", "2024-06-01"],
                       "pause": ["--from", "2024-07-01", "--reason", "zoster"], "resume": ["--on", "2024-07-10"]}.items():
        for name, shown in PLANFILE_NAMES.items():
            if cmd in ("record", "pause", "resume") and name not in (
                    "version2", "not_toml", "lab_nan", "note_control", "age_nan"):
                continue
            add(f"{cmd}-planfile-{name}", [cmd, f"{{ws}}/pf/{name}.toml"] + extra, shown)
        for special, shown in {"missing": "missing.toml", "adir": "adir.toml", "fifo": "fifo.toml",
                               "big": "big.toml", "deep": "deep.toml", "binary": "binary.toml"}.items():
            add(f"{cmd}-file-{special}", [cmd, f"{{ws}}/{shown}"] + extra, shown)
        add(f"{cmd}-file-device", [cmd, "/dev/zero"] + extra, "/dev/zero")
    P = "{ws}/anna.toml"
    for i, (args, shown) in enumerate([
        (["--today", "2024-02-30"], "2024-02-30"), (["--today", "x\ny"], "x\\ny"), (["--format", "yaml"], "yaml")]):
        add(f"status-opt-{i}", ["status", P] + args, shown)
    for i, (args, shown) in enumerate([
        (["--rule", "nonesuch", "--done", "2024-06-01"], "nonesuch"),
        (["--rule", "bloods_week4", "--done", "2999-01-01"], "2999-01-01"),
        (["--rule", "bloods_week4", "--done", "x"], "'x'"),
        (["--rule", "bloods_week4"], "--done"),
        (["--lab", "anc=nan", "--on", "2024-06-01"], "nan"),
        (["--lab", "anc=inf", "--on", "2024-06-01"], "inf"),
        (["--lab", "anc=-1", "--on", "2024-06-01"], "-1"),
        (["--lab", "anc=1e400", "--on", "2024-06-01"], "anc"),
        (["--lab", "anc=2e6", "--on", "2024-06-01"], "2e6"),
        (["--lab", "sodium=140", "--on", "2024-06-01"], "sodium"),
        (["--lab", "anc", "--on", "2024-06-01"], "anc"),
        (["--lab", "anc=1", "--lab", "anc=2", "--on", "2024-06-01"], "anc"),
        (["--lab", "anc=1"], "--on"),
        (["--rule", "bloods_week4", "--done", "2024-06-01", "--note", "a\x1b[2Jb"], "\\x1b[2J"),
        (["--rule", "bloods_week4", "--done", "2024-06-01", "--note", "a\nError: forged"], "\\nError: forged"),
        (["--rule", "bloods_week4", "--done", "2024-06-01", "--note", "x" * 3000], "3000"),
    ]):
        add(f"record-opt-{i}", ["record", P] + args, shown)
    for i, (args, shown) in enumerate([
        (["--from", "2024-01-01", "--reason", "x"], "2024-01-01"), (["--from", "2024-07-01", "--reason", " "], "--reason"),
        (["--from", "2024-07-01", "--reason", "a\x07b"], "\\x07"), (["--from", "x", "--reason", "y"], "'x'")]):
        add(f"pause-opt-{i}", ["pause", P] + args, shown)
    add("resume-not-paused", ["resume", P, "--on", "2024-07-10"], "not paused")
    # -- cohort export: CSV rows and files, output folders
    for name, shown in CSV_ROW_NAMES.items():
        add(f"cohort-export-row-{name}", ["cohort", "export", f"{{ws}}/csv/{name}.csv", "--out", "{ws}/cal"], shown, "cohort")
    for name, shown in CSV_FILE_NAMES.items():
        add(f"cohort-export-file-{name}", ["cohort", "export", f"{{ws}}/csvfile/{name}.csv", "--out", "{ws}/cal"], shown)
    for special, shown in {"missing.csv": "missing.csv", "adir.toml": "adir.toml", "fifo.csv": "fifo.csv",
                           "empty.csv": "empty"}.items():
        add(f"cohort-export-csv-{special}", ["cohort", "export", f"{{ws}}/{special}", "--out", "{ws}/cal"], shown)
    add("cohort-export-csv-device", ["cohort", "export", "/dev/zero", "--out", "{ws}/cal"], "/dev/zero")
    add("cohort-export-out-under-file", ["cohort", "export", "{ws}/good.csv", "--out", "{ws}/notafolder/cal"], "notafolder")
    add("cohort-export-out-is-file", ["cohort", "export", "{ws}/good.csv", "--out", "{ws}/exists.ics"], "exists.ics")
    add("cohort-export-out-no-parent", ["cohort", "export", "{ws}/good.csv", "--out", "{ws}/a/b/c"], "a/b/c")
    add("cohort-export-format", ["cohort", "export", "{ws}/good.csv", "--out", "{ws}/cal", "--format", "pdf"], "pdf")
    # -- cohort due: one bad file in a folder of one
    for name in ("lab_nan", "not_toml", "version2", "protocol_up", "start_far", "age_inf"):
        add(f"cohort-due-{name}", ["cohort", "due", f"{{ws}}/due/{name}", "--week", "2024-08-12", "--today", "2024-08-12"],
            PLANFILE_NAMES[name], "due")
    add("cohort-due-fifo", ["cohort", "due", "{ws}/due/fifo", "--week", "2024-08-12", "--today", "2024-08-12"], "x.toml", "due")
    add("cohort-due-deep", ["cohort", "due", "{ws}/due/deep", "--week", "2024-08-12", "--today", "2024-08-12"], "nested too deeply", "due")
    add("cohort-due-not-folder", ["cohort", "due", "{ws}/anna.toml"], "anna.toml")
    add("cohort-due-week", ["cohort", "due", "{ws}/clinic", "--week", "2024-13-01", "--today", "2024-13-01"], "2024-13-01")
    # -- labs and protocols
    for i, (args, shown) in enumerate([
        (["--anc", "nan"], "nan"), (["--anc", "inf"], "inf"), (["--anc", "-1"], "-1"), (["--hb", "1e400"], "1e400"),
        (["--anc", "1,200/mm3"], "1,200/mm3"), (["--hb", "95"], "95"), (["--platelets", "lots"], "lots"),
        (["--alt", "\x1b[2J"], "\\x1b[2J"), (["--anc", "1", "--drug", "aspirin"], "aspirin"), ([], "no lab values"),
        (["--anc", "1", "--profile", "{ws}/fifo.toml"], "fifo.toml"), (["--anc", "1", "--format", "fhir"], "fhir"),
        (["--anc", "1", "--profile", "{ws}/pf/protocol_up.toml"], "../outside/secret.toml")]):
        add(f"labs-{i}", ["labs"] + args, shown)
    for i, (args, shown) in enumerate([
        (["--drug", "aspirin"], "aspirin"), (["--format", "fhir"], "fhir"), (["show", "nonesuch"], "nonesuch"),
        (["show", "aspirin/us-label"], "aspirin"), (["show", "{ws}/fifo.toml"], "fifo.toml"),
        (["show", "/dev/zero"], "/dev/zero"), (["show", "common/nonesuch"], "nonesuch")]):
        add(f"protocols-{i}", ["protocols"] + args, shown)
    add("no-such-command", ["frobnicate"], "frobnicate")
    # -- issue 20: lab files (every value refused, or the file whole; a plan file that would pass the read cap)
    for name, shown in LAB_FILE_NAMES.items():
        add(f"labs-import-{name}", ["cohort", "labs", "import", f"{{ws}}/labfiles/{name}", "--into", "{ws}/labreg",
                                    "--today", "2024-08-01"], shown, "cohort")
    for special, shown in {"{ws}/labfiles/fifo.csv": "fifo.csv", "/dev/zero": "/dev/zero",
                           "{ws}/labfiles/missing.csv": "missing.csv", "{ws}/labfiles": "labfiles"}.items():
        add(f"labs-import-file-{shown}", ["cohort", "labs", "import", special, "--into", "{ws}/labreg",
                                          "--today", "2024-08-01"], shown, "cohort")
    for into, shown in {"{ws}/labfiles/fifo.csv": "fifo.csv", "{ws}/anna.toml": "anna.toml",
                        "{ws}/nope": "nope"}.items():
        add(f"labs-import-into-{shown}", ["cohort", "labs", "import", "{ws}/labfiles/fat.csv", "--into", into,
                                          "--today", "2024-08-01"], shown, "cohort")
    add("labs-import-today-far", ["cohort", "labs", "import", "{ws}/labfiles/fat.csv", "--into", "{ws}/labreg",
                                  "--today", "9999-12-31"], "9999-12-31")
    for opt, v in {"--platelets": "0", "--alt": "0"}.items():
        add(f"labs-zero{opt}", ["labs", opt, v], "above 0")
    for item in ("creatinine=0", "platelets=0", "cholesterol=0", "alt=0", "triglycerides=0"):
        add(f"record-zero-{item}", ["record", P, "--lab", item, "--on", "2024-06-01"], "above 0")
    # -- output folders: a link out of the folder, a FIFO, a device; a trailing '/' names a folder
    for folder, shown in {"outlink": "outside the folder", "outdangling": "outside the folder", "outfifo": "FIFO",
                          "outdev": "outside the folder"}.items():
        for slash in ("", "/"):
            add(f"cohort-export-{folder}{slash and '-slash'}", ["cohort", "export", "{ws}/good.csv", "--out",
                                                                 f"{{ws}}/{folder}{slash}", "--force"], shown, "cohort")
        add(f"cohort-export-register-{folder}", ["cohort", "export", "{ws}/reg1", "--out", f"{{ws}}/{folder}"],
            shown, "cohort")
    out_cmds = {"export": ["export"] + S, "checklist": ["checklist"] + S + ["--week", "12", "--format", "text"],
                "sheet": ["sheet"] + S, "init": ["init"] + S, "trend": ["trend", P]}
    for cmd, base in out_cmds.items():
        for target, shown in {"link.out": "outside the folder", "dangling.out": "outside the folder",
                              "fifo.out": "FIFO"}.items():
            add(f"{cmd}-out-{target}", base + ["--out", f"{{ws}}/outs/{target}", "--force"], shown)
        add(f"{cmd}-out-slash", base + ["--out", "{ws}/newdir/", "--force"], "names a folder")
    # -- record / pause / resume / undo sequences and dates at the edges
    for i, (argv, shown) in enumerate([
        (["undo", P], "nothing to undo"),
        (["pause", "{ws}/seq/paused.toml", "--from", "2024-08-01", "--reason", "y"], "already paused"),
        (["resume", "{ws}/seq/paused.toml", "--on", "2024-06-20"], "before the pause began"),
        (["resume", "{ws}/seq/paused.toml", "--on", "9999-12-31"], "9999-12-31"),
        (["resume", "{ws}/seq/resumed.toml", "--on", "2024-08-01"], "not paused"),
        (["pause", "{ws}/seq/resumed.toml", "--from", "2024-07-05", "--reason", "y"], "previous one ended"),
        (["undo", "{ws}/seq/resumed.toml"], "nothing to undo"),
        (["pause", P, "--from", "9999-12-31", "--reason", "x"], "9999-12-31"),
        (["pause", P, "--from", "0001-01-01", "--reason", "x"], "0001-01-01"),
        (["record", P, "--rule", "bloods_week4", "--done", "0001-01-01"], "0001-01-01"),
        (["record", P, "--lab", "anc=1", "--on", "9999-12-31"], "9999-12-31"),
        (["record", P, "--score", "das28crp=4.1", "--on", "0001-01-01"], "0001-01-01"),
        (["record", "{ws}/seq/fat.toml", "--lab", "anc=1.5", "--on", "2024-06-01"], "larger than"),
        (["pause", "{ws}/seq/fat.toml", "--from", "2024-07-01", "--reason", "x"], "larger than"),
        (["cohort", "due", "{ws}/clinic", "--week", "9999-12-31"], "9999-12-31"),
        (["cohort", "due", "{ws}/clinic", "--week", "0001-01-01"], "0001-01-01"),
        (["status", P, "--today", "9999-12-31"], "9999-12-31"),
        (["trend", "{ws}/pf/pause_to_far.toml", "--out", "-"], "9999-12-31"),
    ]):
        add(f"sequence-{i}", argv, shown)
    return cases


CASES = _cases()


def test_the_matrix_is_large():
    assert len(CASES) >= 300, len(CASES)


@pytest.fixture(scope="module")
def due_folders(ws):
    for name in ("lab_nan", "not_toml", "version2", "protocol_up", "start_far", "age_inf"):
        d = ws / "due" / name
        d.mkdir(parents=True)
        shutil.copy(ws / "pf" / f"{name}.toml", d / "x.toml")
    (ws / "due" / "fifo").mkdir()
    os.mkfifo(ws / "due" / "fifo" / "x.toml")
    (ws / "due" / "deep").mkdir()
    shutil.copy(ws / "deep.toml", ws / "due" / "deep" / "x.toml")
    return ws


HANG_SECONDS = 60
"""A case still running after this long has hung (a FIFO opened, a device read): it fails, the run goes on."""




@pytest.mark.parametrize("argv, name, kind", CASES)
def test_bad_input(runner, app, due_folders, argv, name, kind):
    ws = due_folders
    args = [a.replace("{ws}", str(ws)) for a in argv]
    name = name.replace("{ws}", str(ws))
    before = snapshot(ws)
    with no_hang(HANG_SECONDS):
        result = runner.invoke(app, args)
    err_lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    report = f"\nargs={args!r}\nexit={result.exit_code}\nstderr={result.stderr!r}\nstdout={result.stdout[-800:]!r}"
    assert result.exit_code != EXIT_INTERNAL and INTERNAL_MARK not in result.output, report
    assert result.exception is None or isinstance(result.exception, SystemExit), report
    assert "Traceback" not in result.output, report
    assert result.exit_code == 2, report
    assert len(err_lines) == 1 and err_lines[0].startswith("Error: "), report
    assert name in err_lines[0], report
    if kind == "plain":
        assert result.stdout == "", report
    assert "TOP SECRET" not in result.output, report  # a refused file's content is never echoed
    assert snapshot(ws) == before, report
