"""Use cases the commands call (the api layer, beside :mod:`jakplan.api`): each does one thing a command needs
from the catalog or the engine, so that ``jakplan/cli`` imports neither (``tests/test_layers.py`` holds that).

A command parses its options, calls :mod:`jakplan.api` or a function here, and hands the result to one renderer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from jakplan.catalog.factors import factor_table, factors_from_options
from jakplan.catalog.loader import load_protocol
from jakplan.catalog.names import canonical, did_you_mean, key, suggest
from jakplan.catalog.resolve import is_path
from jakplan.catalog.vocab import default_protocol, drug_info, drugs, shipped_protocols, vocabulary
from jakplan.engine.visits import lookup as visit_on
from jakplan.engine.visits import next_visit, week_day
from jakplan.engine.visits import parse_clinic_days as clinic_days_from_text
from jakplan.errors import JakplanError
from jakplan.history import History
from jakplan.model import Plan, Protocol

if TYPE_CHECKING:
    from jakplan.engine.tracking import Course

__all__ = [  # re-exported for the commands: the factor table's options, and finding a visit
    "factor_table", "factors_from_options", "visit_on", "next_visit", "week_day", "clinic_days_from_text",
]

def choose(kind: str, text: str, choices: list[str], option: str = "") -> str:
    """The choice ``text`` names among ``choices`` (an option's fixed choices such as ``--format``), or one line
    naming the nearest (the one names module, :func:`jakplan.catalog.names.canonical`)."""
    return canonical(kind, text, choices, option=option)


# -- protocols -----------------------------------------------------------------------------------------------


def check_drug(drug: str) -> None:
    """One line when ``drug`` is not a drug jakplan knows (with a near miss named)."""
    drug_info(drug)


def protocol_named(name: str, drug: str | None) -> Protocol:
    """The protocol a name typed on the command line names: a path or ``common/X`` as it is, ``DRUG/VARIANT``,
    or a variant of ``drug`` (default baricitinib); a shipped one of another drug than ``drug`` is refused."""
    if is_path(name) or name.startswith("common/"):
        return load_protocol(None, name, base=Path.cwd())
    proto = load_protocol(None if "/" in name else (drug or "baricitinib"), name, base=Path.cwd())
    if drug and proto.drug != drug:
        raise JakplanError(f"'{name}' is a {proto.drug} protocol, not {drug}")
    return proto


def protocol_from(ref: str, folder: str | Path) -> Protocol:
    """A protocol reference read relative to ``folder`` (a clinic's register)."""
    return load_protocol(None, ref, base=folder)


def analyte_spec(analyte: str) -> dict[str, Any]:
    """The analyte's entry in the vocabulary (label, unit, plausible range), or {} for one jakplan does not know."""
    return dict(vocabulary()["analytes"].get(analyte, {}))


# -- checks and rules ----------------------------------------------------------------------------------------


def resolve_rule_ids(typed: list[str], plan: Plan) -> list[str]:
    """Each ``--rule`` as the protocol's own id (any case, ``-`` for ``_``); an unknown one is refused naming the
    nearest (never taken). (Whether the check applies to this patient is the caller's to say: ``plan.skipped``.)"""
    known = {r.id for r in plan.protocol.rules}
    by_key = {key(r): r for r in known}
    out = []
    for rid in typed:
        rid = by_key.get(key(rid), rid)
        if rid not in known:
            near = suggest(rid, known)
            raise JakplanError(f"--rule '{rid}' is not a check in protocol {plan.protocol.id}"
                               + did_you_mean(near)
                               + f" (known: {', '.join(sorted(known))})")
        out.append(rid)
    return out


# -- lab values ----------------------------------------------------------------------------------------------


def judge_labs(protocol: Protocol, values: dict[str, float], *, before_start: bool = False,
               baseline: dict[str, float] | None = None, indication: str | None = None,
               censored: dict[str, str] | None = None):
    """`jakplan labs`: the values judged against the protocol's limits (:func:`jakplan.engine.labs.evaluate_labs`)."""
    from jakplan.engine.labs import evaluate_labs  # lab judging (~4 ms): not loaded by `schedule`

    return evaluate_labs(protocol, values, before_start=before_start, baseline=baseline, indication=indication,
                         censored=censored)


def recorded_lab_actions(plan: Plan | Course, history: History, day: dt.date | None = None,
                         analytes: set[str] | None = None) -> list:
    """What each recorded lab value means under the protocol (only those that call for something), optionally
    of one day and some analytes."""
    from jakplan.engine.tracking import lab_actions  # ~10 ms: not loaded by `schedule`

    return [a for a in lab_actions(plan, history)
            if (day is None or a.on == day) and (analytes is None or a.analyte in analytes)]


def is_calm(action: str) -> bool:
    from jakplan.engine.labs import CALM  # lab judging (~4 ms): not loaded by `schedule`

    return action in CALM


# -- the shipped protocols (`jakplan protocols`) ----------------------------------------------------------------


class ShippedProtocol(NamedTuple):
    """One shipped protocol variant: its drug, id, title, jurisdiction, indications, and the indications it is
    the default for. (A NamedTuple: this module is on every plan command's start-up path; see actions/plans.py.)"""

    drug: str
    brand: str
    protocol: str
    title: str
    jurisdiction: str
    indications: list[str]
    default_for: list[str]


def protocol_catalogue(drug: str | None = None) -> list[ShippedProtocol]:
    """`jakplan protocols`: every shipped protocol (of ``drug``, refused with a near miss when unknown)."""
    if drug:
        drug_info(drug)
    out = []
    for name, info in drugs().items():
        if drug and name != drug:
            continue
        for pid in shipped_protocols(name):
            p = load_protocol(name, pid)
            default_for = [i for i in p.indications if default_protocol(name, i) == pid]
            out.append(ShippedProtocol(name, info.get("brand", ""), pid, p.title, p.jurisdiction,
                                       list(p.indications), default_for))
    return out


def dose_matrix_of(protocol: Protocol) -> tuple:
    """`jakplan protocols show NAME --doses`: the protocol's interaction and dose matrix
    (:func:`jakplan.engine.dosematrix.dose_matrix`)."""
    from jakplan.engine.dosematrix import dose_matrix  # only for --doses

    return dose_matrix(protocol)


def shipped_dose_matrices() -> list[tuple[Protocol, tuple]]:
    """Every shipped protocol with its dose matrix (docs/dose-matrix.md)."""
    out = []
    for drug in drugs():
        for variant in shipped_protocols(drug):
            protocol = load_protocol(drug, variant)
            out.append((protocol, dose_matrix_of(protocol)))
    return out
