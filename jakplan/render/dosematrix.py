"""The interaction and dose matrix in words (`jakplan protocols show NAME --doses`, docs/dose-matrix.md): one row
per kidney band, hepatic class and interaction class of :func:`jakplan.engine.dosematrix.dose_matrix`."""

from __future__ import annotations

from typing import Any

from jakplan.catalog.medicines import class_label
from jakplan.escape import markdown_table, markdown_text
from jakplan.model import Protocol
from jakplan.render.common import DISCLAIMER
from jakplan.render.grid import print_grid
from jakplan.render.words import factor_label

OUTCOME = {
    "standard": "standard",
    "adjusted": "adjusted",
    "not_recommended": "NOT RECOMMENDED",
    "contraindicated": "CONTRAINDICATED",
    "check": "check: not settled",
    "check_label": "check the current label",
    "unknown": "no dose entry applies",
}
HEADER = ["Indication", "Varied", "Value", "Outcome", "Dose", "Sources"]


def _name(protocol: Protocol) -> str:
    return f"{protocol.drug}/{protocol.id}"


def band_text(cell) -> str:
    """'< 30', '30 to 60', '> 60' (each bound as the protocol cuts it)."""
    lo, hi = cell.low, cell.high
    if lo is None and hi is None:
        return "any value"
    if lo is None:
        return f"{'<=' if cell.high_inclusive else '<'} {hi:g}"
    if hi is None:
        return f"{'>=' if cell.low_inclusive else '>'} {lo:g}"
    return f"{lo:g}{'' if cell.low_inclusive else ' (excl.)'} to {hi:g}{'' if cell.high_inclusive else ' (excl.)'}"


def _varied(cell) -> tuple[str, str]:
    if cell.axis == "reference":
        return "reference patient", "adult aged 45, no risk factor, normal kidney function, no hepatic impairment, no other medicine"
    if cell.axis == "kidney":
        return "kidney function", cell.value
    if cell.axis in ("egfr", "crcl"):
        return factor_label(cell.axis), cell.value or band_text(cell)
    if cell.axis == "hepatic":
        return "hepatic impairment", "none" if cell.value == "none" else f"Child-Pugh {cell.value}"
    return "taken with", class_label(cell.value)


def outcome_text(cell) -> str:
    a = cell.advice
    text = OUTCOME.get(a.outcome, a.outcome)
    if a.outcome == "check":
        why = [factor_label(f) for f in a.missing if f != "with"]
        why += [f"interactions: {class_label(c)} not stated" for _, c in getattr(a, "unstated_classes", ())]
        why += [f"{factor_label(f)} not used by this label" for f in a.unused]
        if why:
            text += f" ({'; '.join(why)})"
    return text


def rows(matrix) -> list[list[str]]:
    out = []
    for cell in matrix:
        what, value = _varied(cell)
        dose = cell.advice.dose if cell.advice.outcome in ("standard", "adjusted", "check") else ""
        out.append([cell.indication, what, value, outcome_text(cell), dose, ", ".join(cell.sources)])
    return out


def matrix_markdown(protocol: Protocol, matrix, heading: str = "#") -> str:
    lines = [f"{heading} Dose matrix: {markdown_text(_name(protocol))}", "",
             f"{markdown_text(protocol.title)}. Each row varies one input from the reference patient; "
             "'check' means the dose is not settled by what was given.", ""]
    lines += markdown_table(HEADER, rows(matrix))
    return "\n".join(lines) + "\n"


def render_markdown(protocol: Protocol, matrix) -> str:
    return matrix_markdown(protocol, matrix) + f"\n{DISCLAIMER}\n"


def render_table(protocol: Protocol, matrix, console) -> None:

    print_grid(console, HEADER, rows(matrix), title=f"Dose matrix: {_name(protocol)}")
    console.print(DISCLAIMER)


def matrix_dict(protocol: Protocol, matrix) -> dict[str, Any]:
    return {
        "protocol": _name(protocol),
        "rows": [{"indication": c.indication, "axis": c.axis, "value": c.value, "low": c.low, "high": c.high,
                  "low_inclusive": c.low_inclusive, "high_inclusive": c.high_inclusive,
                  "outcome": c.advice.outcome, "dose": c.advice.dose, "missing": list(c.advice.missing),
                  "unstated_classes": [list(x) for x in getattr(c.advice, "unstated_classes", ())],
                  "sources": list(c.sources)} for c in matrix],
        "disclaimer": DISCLAIMER,
    }


def matrix_document(pairs) -> str:
    """docs/dose-matrix.md: every shipped protocol's matrix (generated; tests/test_dose_matrix.py holds it)."""
    out = ["# Dose and interaction matrix", "",
           "Generated from the shipped protocol data by `python examples/make_examples.py` (do not edit by hand); "
           "`jakplan protocols show DRUG/VARIANT --doses` prints one protocol's. For each indication, each row varies "
           "one input from the reference patient: kidney function (bands cut where the protocol's own entries cut, "
           "with no value and with the measure the label does not use), hepatic impairment, and each interaction "
           "class of `jakplan/data/medicines.toml`. 'check: not settled' is jakplan failing closed: the dose is "
           "not standard until the input named is given or the protocol states the class. Source ids are those of "
           "[clinical-review.md](clinical-review.md).", ""]
    for protocol, matrix in pairs:
        out.append(matrix_markdown(protocol, matrix, heading="##"))
    out.append(DISCLAIMER)
    return "\n".join(out) + "\n"
