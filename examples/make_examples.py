"""Regenerate the sample outputs in examples/ from the real commands.

    python examples/make_examples.py

tests/test_examples.py runs the same commands and fails when a committed sample is stale, so the samples
always show what jakplan prints today. Add a (file name, argv) pair to EXAMPLES for a new sample.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (output file in examples/, jakplan arguments). Terminal samples are rendered 120 columns wide, or as wide as a
# leading "COLUMNS=N" says.
EXAMPLES: list[tuple[str, list[str]]] = [
    ("schedule-table.txt", ["COLUMNS=80", "schedule", "--start", "2024-05-01"]),
    ("schedule-details.txt", ["schedule", "--start", "2024-05-01", "--details"]),
    ("schedule-today.txt", ["COLUMNS=80", "schedule", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire",
                            "--today", "2024-07-20"]),
    ("next.txt", ["COLUMNS=80", "next", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire", "--today", "2024-07-20"]),
    ("next-anna.json", ["next", str(HERE / "patients" / "anna.toml"), "--today", "2024-11-20", "--format", "json"]),
    ("sheet.html", ["sheet", "--profile", str(HERE / "patient.toml"), "--name", "Anna Example", "--identifier",
                    "MRN 0012345", "--contact", "Rheumatology nurse line 01234 567890"]),
    ("schedule-sources.md", ["schedule", "--start", "2024-05-01", "--format", "markdown", "--sources"]),
    ("schedule.json", ["schedule", "--start", "2024-05-01", "--format", "json"]),
    ("schedule-nhs-lanarkshire.md", ["schedule", "--start", "2024-01-31", "--protocol", "nhs-lanarkshire", "--format", "markdown"]),
    ("plan.ics", ["export", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire", "--out", "-"]),
    ("checklist-week12.txt", ["checklist", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire", "--week", "12", "--format", "text"]),
    ("checklist-week12.md", ["checklist", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire", "--week", "12", "--format", "markdown"]),
    ("checklist-week12.html", ["checklist", "--start", "2024-05-01", "--protocol", "nhs-lanarkshire", "--week", "12", "--format", "html"]),
    ("status-anna.txt", ["COLUMNS=80", "status", str(HERE / "patients" / "anna.toml"), "--today", "2024-11-20"]),
    ("careplan.fhir.json", ["schedule", "--start", "2024-05-01", "--format", "fhir"]),
    ("schedule-patient.txt", ["schedule", "--start", "2024-05-01", "--age", "67", "--egfr", "45", "--with", "probenecid",
                              "--smoker", "past", "--cv-risk", "--hbv-core-antibody", "positive", "--details"]),
    ("schedule-profile.md", ["schedule", "--profile", str(HERE / "patient.toml"), "--format", "markdown"]),
    ("schedule-covid19.md", ["schedule", "--start", "2024-05-01", "--indication", "covid19", "--egfr", "25", "--format", "markdown"]),
    ("schedule-abrocitinib-eu.md", ["schedule", "--drug", "abrocitinib", "--protocol", "eu-smpc", "--start", "2024-05-01",
                                    "--age", "70", "--egfr", "45", "--format", "markdown", "--sources"]),
    ("labs-baricitinib.txt", ["labs", "--drug", "baricitinib", "--anc", "0.8", "--alc", "0.6", "--hb", "9.5"]),
    ("labs-tofacitinib.txt", ["labs", "--drug", "tofacitinib", "--hb", "10.1", "--hb-baseline", "12.6"]),
    ("labs-abrocitinib.json", ["labs", "--drug", "abrocitinib", "--platelets", "45", "--anc", "1200/mm3", "--hb", "95g/L",
                               "--format", "json"]),
    ("protocols.md", ["protocols", "--format", "markdown"]),
    ("protocol-tofacitinib-us.md", ["protocols", "show", "tofacitinib/us-label", "--format", "markdown"]),
    # a clinic's register (examples/clinic/register: one plan file per patient); `cohort due` exits 1 (overdue)
    ("clinic/worklist-2024-08-12.csv", ["cohort", "due", "clinic/register", "--week", "2024-08-12", "--today", "2024-08-12",
                                        "--format", "csv"]),
    ("clinic/worklist-2024-08-12.md", ["cohort", "due", "clinic/register", "--week", "2024-08-12", "--today", "2024-08-12",
                                       "--format", "markdown"]),
    ("clinic/audit-2024.csv", ["cohort", "audit", "clinic/register", "--from", "2024-01-01",
                               "--to", "2024-12-31", "--format", "csv"]),
    ("clinic/audit-2024.html", ["cohort", "audit", "clinic/register", "--from", "2024-01-01",
                                "--to", "2024-12-31", "--format", "html"]),
]
EXIT_OK = {"cohort": (0, 1)}
"""Exit statuses that still print the sample: `cohort due` exits 1 when someone is overdue."""

# A fixed export time for the .ics sample (DTSTAMP, RFC 5545 3.8.7.2), so that it is byte-for-byte reproducible.
SOURCE_DATE_EPOCH = "1711960200"  # 2024-04-01T08:30:00Z


def render(argv: list[str]) -> str:
    """Run jakplan in-process with CliRunner and return its standard output."""
    columns = "120"
    if argv and argv[0].startswith("COLUMNS="):
        columns, argv = argv[0].split("=", 1)[1], argv[1:]
    os.environ["COLUMNS"] = columns
    os.environ["NO_COLOR"] = "1"
    from typer.testing import CliRunner

    from jakplan.cli import app

    cwd = os.getcwd()
    os.chdir(HERE)  # relative paths in argv (and so in the samples) are relative to examples/
    try:
        result = CliRunner().invoke(app, argv, env={"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH})
    finally:
        os.chdir(cwd)
    if result.exit_code not in EXIT_OK.get(argv[0], (0,)):
        raise SystemExit(f"jakplan {' '.join(argv)} failed: {result.output}")
    return result.stdout_bytes.decode("utf-8")  # exactly as printed (Result.stdout turns CRLF into LF)


def main() -> None:
    for name, argv in EXAMPLES:
        with open(HERE / name, "w", encoding="utf-8", newline="") as fh:  # keep the .ics CRLF line ends
            fh.write(render(argv))
        print(f"wrote examples/{name}", file=sys.stderr)
    refresh_samples()
    write_dose_matrix()


def write_dose_matrix() -> None:
    """docs/dose-matrix.md from the shipped data (tests/test_dose_matrix.py holds it to the data)."""
    from jakplan.actions import shipped_dose_matrices
    from jakplan.render.dosematrix import matrix_document

    (HERE.parent / "docs" / "dose-matrix.md").write_text(matrix_document(shipped_dose_matrices()), encoding="utf-8")
    print("wrote docs/dose-matrix.md", file=sys.stderr)


def refresh_samples() -> None:
    """Each ``<!-- sample:examples/FILE -->`` block of the README and docs/ is re-cut from the current FILE: the
    same first line, as many lines as the block had (tests/test_checklist.py holds them to the files)."""
    import re

    root = HERE.parent
    for doc in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")

        def recut(m: "re.Match[str]") -> str:
            path, block = m.group(1), m.group(2)
            current = (root / path).read_text(encoding="utf-8").replace("\r\n", "\n")
            if block in current:
                return m.group(0)
            lines = current.split("\n")
            old = block.split("\n")[:-1]
            starts = [i for i, line in enumerate(lines) if line == old[0]]
            if not starts:
                return m.group(0)  # the test names it: a human picks the new first line
            best = max(starts, key=lambda i: sum(a == b for a, b in zip(lines[i:i + len(old)], old, strict=False)))
            new = lines[best:best + len(old)]
            return f"<!-- sample:{path} -->\n```text\n" + "\n".join(new) + "\n```"

        new_text = re.sub(r"<!-- sample:(\S+) -->\n```text\n(.*?)```", recut, text, flags=re.S)
        if new_text != text:
            doc.write_text(new_text, encoding="utf-8")
            print(f"refreshed samples in {doc.relative_to(root)}", file=sys.stderr)


if __name__ == "__main__":
    main()
