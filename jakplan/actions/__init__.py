"""Use cases the commands call (the api layer, beside :mod:`jakplan.api`): each does one thing a command needs
from the catalog or the engine, so that ``jakplan/cli`` imports neither (``tests/test_layers.py`` holds that).

A command parses its options, calls :mod:`jakplan.api` or a function here, and hands the result to one renderer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jakplan.errors import JakplanError
from jakplan.history import History
from jakplan.model import Plan, Protocol

# -- patient options (the factor table) ----------------------------------------------------------------------


def factor_table():
    """The one factor table (:mod:`jakplan.catalog.factors`): the patient options every plan command has."""
    from jakplan.catalog.factors import factor_table as table

    return table()


def factors_from_options(values: dict[str, Any]) -> dict[str, Any]:
    """The factor options as typed -> checked factor values (one line for a bad value)."""
    from jakplan.catalog.factors import factors_from_options as parse

    return parse(values)


# -- protocols -----------------------------------------------------------------------------------------------


def check_drug(drug: str) -> None:
    """One line when ``drug`` is not a drug jakplan knows (with a near miss named)."""
    from jakplan.catalog.vocab import drug_info

    drug_info(drug)


def protocol_named(name: str, drug: str | None) -> Protocol:
    """The protocol a name typed on the command line names: a path or ``common/X`` as it is, ``DRUG/VARIANT``,
    or a variant of ``drug`` (default baricitinib); a shipped one of another drug than ``drug`` is refused."""
    from jakplan.catalog.loader import load_protocol
    from jakplan.catalog.resolve import is_path

    if is_path(name) or name.startswith("common/"):
        return load_protocol(None, name, base=Path.cwd())
    proto = load_protocol(None if "/" in name else (drug or "baricitinib"), name, base=Path.cwd())
    if drug and proto.drug != drug:
        raise JakplanError(f"'{name}' is a {proto.drug} protocol, not {drug}")
    return proto


def protocol_from(ref: str, folder: str | Path) -> Protocol:
    """A protocol reference read relative to ``folder`` (a clinic's register)."""
    from jakplan.catalog.loader import load_protocol

    return load_protocol(None, ref, base=folder)


def analyte_spec(analyte: str) -> dict[str, Any]:
    """The analyte's entry in the vocabulary (label, unit, plausible range), or {} for one jakplan does not know."""
    from jakplan.catalog.vocab import vocabulary

    return dict(vocabulary()["analytes"].get(analyte, {}))


# -- checks and rules ----------------------------------------------------------------------------------------


def resolve_rule_ids(typed: list[str], plan: Plan) -> list[str]:
    """Each ``--rule`` as the protocol's own id (any case, ``-`` for ``_``); an unknown one is refused naming the
    nearest (never taken). (Whether the check applies to this patient is the caller's to say: ``plan.skipped``.)"""
    from jakplan.catalog.names import key, suggest

    known = {r.id for r in plan.protocol.rules}
    by_key = {key(r): r for r in known}
    out = []
    for rid in typed:
        rid = by_key.get(key(rid), rid)
        if rid not in known:
            near = suggest(rid, known)
            raise JakplanError(f"--rule '{rid}' is not a check in protocol {plan.protocol.id}"
                               + (f"; did you mean {near[0]}?" if near else "")
                               + f" (known: {', '.join(sorted(known))})")
        out.append(rid)
    return out


# -- lab values ----------------------------------------------------------------------------------------------


def judge_labs(protocol: Protocol, values: dict[str, float], *, before_start: bool = False,
               baseline: dict[str, float] | None = None, indication: str | None = None,
               censored: dict[str, str] | None = None):
    """`jakplan labs`: the values judged against the protocol's limits (:func:`jakplan.engine.labs.evaluate_labs`)."""
    from jakplan.engine.labs import evaluate_labs

    return evaluate_labs(protocol, values, before_start=before_start, baseline=baseline, indication=indication,
                         censored=censored)


def recorded_lab_actions(plan: Plan, history: History, day: dt.date | None = None,
                         analytes: set[str] | None = None) -> list:
    """What each recorded lab value means under the protocol (only those that call for something), optionally
    of one day and some analytes."""
    from jakplan.engine.tracking import lab_actions

    return [a for a in lab_actions(plan, history)
            if (day is None or a.on == day) and (analytes is None or a.analyte in analytes)]


def is_calm(action: str) -> bool:
    from jakplan.engine.labs import CALM

    return action in CALM


# -- visits --------------------------------------------------------------------------------------------------


def visit_on(plan: Plan, day: dt.date, option: str = "--on"):
    """The visit whose window holds ``day`` (:func:`jakplan.engine.visits.lookup`)."""
    from jakplan.engine.visits import lookup

    return lookup(plan, day, option)


def next_visit(plan: Plan, today: dt.date):
    from jakplan.engine.visits import next_visit as nxt

    return nxt(plan, today)


def clinic_days_from_text(text: str, where: str = "clinic days") -> tuple[int, ...]:
    """'mon-fri', 'tue,thu' -> weekday numbers (:func:`jakplan.engine.visits.parse_clinic_days`)."""
    from jakplan.engine.visits import parse_clinic_days

    return parse_clinic_days(text, where)


def week_day(plan: Plan, week: int) -> dt.date:
    from jakplan.engine.visits import week_day as wd

    return wd(plan, week)


# -- the shipped protocols (`jakplan protocols`) ----------------------------------------------------------------


@dataclass(frozen=True)
class ShippedProtocol:
    """One shipped protocol variant: its drug, id, title, jurisdiction, indications, and the indications it is
    the default for."""

    drug: str
    brand: str
    protocol: str
    title: str
    jurisdiction: str
    indications: list[str]
    default_for: list[str]


def protocol_catalogue(drug: str | None = None) -> list[ShippedProtocol]:
    """`jakplan protocols`: every shipped protocol (of ``drug``, refused with a near miss when unknown)."""
    from jakplan.catalog.loader import load_protocol
    from jakplan.catalog.vocab import default_protocol, drug_info, drugs, shipped_protocols

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
