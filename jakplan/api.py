"""The front door: the one path from a patient to a plan, for every command and for Python users.

    >>> import datetime as dt
    >>> from jakplan.api import plan_for
    >>> plan = plan_for(dt.date(2024, 5, 1))
    >>> plan.protocol.id, plan.events[0].kind
    ('us-label', 'screening')

Every command (``schedule``, ``export``, ``checklist``, ``labs``, ``next``, ``status``, ``record``, ``cohort
due``, ``cohort export``) builds its plan with :func:`plan_for_record`: a :class:`PatientRecord` (profile +
history, from a profile file, a plan file, a CSV row or nothing) with the command-line values laid over it
by :func:`overrides`. Pauses, recorded labs and protocol files named relative to the record's file therefore
work the same everywhere.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any, Iterator, NamedTuple

from jakplan.catalog.factors import factor_table
from jakplan.catalog.loader import load_protocol
from jakplan.catalog.resolve import Confinement, is_path, stored_reference
from jakplan.catalog.scores import canonical_score, score_table
from jakplan.catalog.vocab import canonical_drug, canonical_indication, default_protocol, drug_info, vocabulary
from jakplan.engine.conditions import age_on
from jakplan.engine.plan import MAX_MONTHS, build_plan
from jakplan.errors import JakplanError
from jakplan.history import History, ScoreRecord
from jakplan.model import Derived, Patient, Plan
from jakplan.records.patient import PatientRecord, load_record
from jakplan.records.profile import Identity, Profile

DEFAULT_MONTHS = 12
AHEAD_MONTHS = 12
"""A plan followed on a day (status, next, cohort due, a register's calendars) reaches at least this far past
that day: a rolling horizon, so a patient two years into treatment still has a year of visits ahead (a fixed
course still ends where it ends)."""


def resolve_indication(drug: str, indication: str | None) -> str:
    """The indication code: the one given (any case, a synonym such as 'RA' or 'eczema'; near misses are
    refused with a "did you mean"), or the drug's default."""
    info = drug_info(drug)
    known = info.get("indications", {})
    if not indication:
        return info.get("default_indication") or next(iter(known))
    return canonical_indication(drug, indication, option="")


def overrides(drug: str | None = None, indication: str | None = None, protocol: str | None = None,
              start: dt.date | None = None, months: int | None = None, factors: dict[str, Any] | None = None,
              identity: Identity | None = None) -> dict[str, Any]:
    """Values given on the command line (None = not given), to lay over a record with :func:`plan_for_record`."""
    return {"drug": drug, "indication": indication, "protocol": protocol, "start": start, "months": months,
            "factors": factors or {}, "identity": identity}


def horizon_months(start: dt.date, today: dt.date, months: int | None, pauses: tuple = (),
                   ahead: int | None = None) -> int:
    """Months the plan must cover so that ``today`` and ``ahead`` months after it (default
    :data:`AHEAD_MONTHS`) are in it, and never fewer than ``months`` from the start."""
    if today < start:  # the course has not begun: a plan from the start reaches past today + ahead already
        return max(1, min(max(months or DEFAULT_MONTHS, ahead or AHEAD_MONTHS), MAX_MONTHS))
    elapsed = (today.year - start.year) * 12 + (today.month - start.month) + 1
    paused = sum(((p.end or today) - p.start).days for p in pauses)
    need = max(months or DEFAULT_MONTHS, elapsed + (ahead or AHEAD_MONTHS) + paused // 28 + 1)
    return max(1, min(need, MAX_MONTHS))


_RUN: dict | None = None
"""Protocols by reference for the run in progress (see :func:`one_run`); None outside a run."""


@contextlib.contextmanager
def one_run() -> Iterator[None]:
    """Within the block, a protocol reference (drug, reference, the folder it is read from) is resolved, checked
    and loaded once, whatever the number of patients: a cohort command's run. Outside it every call resolves the
    reference again (the loader still caches the parsed file by path, size and modification time)."""
    global _RUN
    outer = _RUN
    _RUN = {} if outer is None else outer
    try:
        yield
    finally:
        _RUN = outer


def _protocol_for(prof: Profile, indication: str, cli_protocol: str | None, confine_extra: tuple = ()):
    """The protocol (once per reference within :func:`one_run`)."""
    if _RUN is None:
        return _load_protocol_for(prof, indication, cli_protocol, confine_extra)
    if cli_protocol is not None or prof.source is None:
        key: tuple = ("cwd", prof.drug, cli_protocol or prof.protocol, indication, str(Path.cwd()))
    elif prof.protocol is None:
        key = ("default", prof.drug, indication)
    else:
        key = ("file", prof.drug, prof.protocol, str(Path(prof.source).parent), tuple(map(str, confine_extra)))
    proto = _RUN.get(key)
    if proto is None:
        proto = _RUN[key] = _load_protocol_for(prof, indication, cli_protocol, confine_extra)
    return proto


def _load_protocol_for(prof: Profile, indication: str, cli_protocol: str | None, confine_extra: tuple = ()):
    """The protocol: one typed on the command line resolves from the current folder; one written in a file
    resolves relative to that file and may not leave its folder."""
    if cli_protocol is not None:
        return load_protocol(prof.drug, cli_protocol, base=Path.cwd())
    if prof.protocol is None:
        return load_protocol(prof.drug, default_protocol(prof.drug, indication))
    if prof.source is None:
        return load_protocol(prof.drug, prof.protocol, base=Path.cwd())
    confine = Confinement.around(prof.source, confine_extra)
    return load_protocol(prof.drug, prof.protocol, base=Path(prof.source).parent, confine=confine)


def plan_for_record(record: PatientRecord, over: dict[str, Any] | None = None, today: dt.date | None = None,
                    protocol_dirs: tuple = ()) -> Plan:
    """THE path from a patient to a plan.

    ``over``: command-line values (see :func:`overrides`) laid over the record. ``today``: the day the plan is
    followed on; the plan then reaches :data:`AHEAD_MONTHS` past it, and only pauses known by then count.
    ``protocol_dirs``: folders besides the record's own that a protocol named in it may come from.
    """
    over = over or {}
    prof, indication, protocol = _course(record, over, protocol_dirs)
    history = record.history.as_of(today) if today else record.history
    months = DEFAULT_MONTHS if prof.months is None else prof.months
    factors = dict(prof.factors)
    recorded: list = []
    if today is not None:
        # a rolling horizon: --months typed with a file on a day counts from that day, not from the start
        months = horizon_months(prof.start, today, prof.months, history.pauses, ahead=over.get("months"))
        typed = set((over.get("factors") or {}))
        for name, (value, on) in factor_updates(record, today).items():
            if name in typed:
                continue  # a value typed on the command line wins over the file
            recorded.append(_recorded(name, value, on, factors.get(name), record.where))
            factors[name] = value
        for name in censored_below(record, today) - typed:
            factors.pop(name, None)
    plan = build_plan(protocol, Patient(indication, factors), prof.start, months, history.pauses)
    return plan._replace(identity=prof.identity, derived=tuple(recorded) + plan.derived)


def _course(record: PatientRecord, over: dict[str, Any], protocol_dirs: tuple = ()):
    """(profile with the command line laid over it, indication, protocol): where every plan of a record starts."""
    prof = record.profile.merged(**{k: v for k, v in over.items() if k != "protocol"})
    if over.get("protocol") is not None:
        prof.protocol = over["protocol"]
    if prof.start is None:
        raise JakplanError("--start is missing: give the date of the first dose (YYYY-MM-DD)"
                           + (f" or set start in {record.where}" if record.where else ""))
    _check_born(prof)

    prof.drug = canonical_drug(prof.drug, option="")  # 'Olumiant', 'BARICITINIB' -> 'baricitinib'
    indication = resolve_indication(prof.drug, prof.indication)
    protocol = _protocol_for(prof, indication, over.get("protocol"), tuple(protocol_dirs))
    return prof, indication, protocol


class Course(NamedTuple):
    """What judging a record's lab values needs of its plan (:func:`jakplan.engine.tracking.lab_actions`): the
    start date, the protocol and the indication, resolved exactly as :func:`plan_for_record` resolves them."""

    start: dt.date
    protocol: Any
    indication: str


def course_for_record(record: PatientRecord) -> Course:
    """The record's start, protocol and indication by :func:`plan_for_record`'s own steps, without laying out the
    plan's dates (a lab import judges each touched patient's new values: the dates are not needed there)."""
    prof, indication, protocol = _course(record, {})
    return Course(prof.start, protocol, indication)


def factor_updates(record: PatientRecord, today: dt.date) -> dict[str, tuple[float, dt.date]]:
    """Patient factors measured and recorded as lab values (eGFR, creatinine clearance, weight: the analytes
    with a ``factor`` in the vocabulary): the latest value on or before ``today`` of each, when it was recorded
    on or after the start date, or when the profile does not give that factor."""
    feeds = {a: spec["factor"] for a, spec in vocabulary()["analytes"].items() if spec.get("factor")}
    scale = {a: float(spec.get("factor_scale", 1.0)) for a, spec in vocabulary()["analytes"].items()}
    start = record.profile.start
    out: dict[str, tuple[float, dt.date]] = {}
    for rec in sorted(record.history.labs, key=lambda r: r.on):
        if rec.on > today:
            continue
        for analyte, value in rec.values.items():
            name = feeds.get(analyte)
            if name is None:
                continue
            if rec.censored.get(analyte, "").startswith("<"):
                out.pop(name, None)  # '<30' says only that it is below 30: no number a dose step may use, and
                continue  # no older value either (see censored_below: the factor becomes unknown, fail closed)
            if start is not None and rec.on < start and record.profile.factors.get(name) is not None:
                continue
            out[name] = (round(value * scale[analyte], 4), rec.on)  # in the factor's unit
    return out


def censored_below(record: PatientRecord, today: dt.date) -> set[str]:
    """Patient factors whose latest recorded value on or before ``today`` is censored below ('eGFR <30'):
    unknown for dosing, whatever an older value or the profile says."""
    feeds = {a: spec["factor"] for a, spec in vocabulary()["analytes"].items() if spec.get("factor")}
    latest: dict[str, bool] = {}
    for rec in sorted(record.history.labs, key=lambda r: (r.on, r.at)):
        if rec.on <= today:
            for analyte in rec.values:
                if analyte in feeds:
                    latest[feeds[analyte]] = rec.censored.get(analyte, "").startswith("<")
    return {name for name, below in latest.items() if below}


def _recorded(name: str, value: float, on: dt.date, before: Any, where: str | None):
    return Derived(name, value, "recorded", (), "", on, before if before is not None and before != value else None)


def _check_born(prof: Profile) -> None:
    born = prof.factors.get("born")
    if isinstance(born, dt.date) and prof.start is not None and born >= prof.start:
        raise JakplanError(f"born {born.isoformat()} is not before the start date {prof.start.isoformat()}")
    if isinstance(born, dt.date) and prof.start is not None:
        spec = factor_table().get("age")
        age = age_on(born, prof.start)
        if spec is not None and spec.hi is not None and age > spec.hi:
            raise JakplanError(f"born {born.isoformat()} gives an age of {age} at the start date "
                               f"{prof.start.isoformat()}, more than {spec.hi:g}")


def baseline_labs(record: PatientRecord, start: dt.date) -> dict[str, float]:
    """The last value of each analyte recorded before the first dose (the baseline for 'fall from baseline')."""
    out: dict[str, float] = {}
    for rec in sorted(record.history.labs, key=lambda r: r.on):
        if rec.on < start:
            out.update({a: v for a, v in rec.values.items() if a not in rec.censored})  # a bound is no baseline
    return out


def plan_for(start: dt.date, drug: str = "baricitinib", indication: str | None = None, protocol: str | None = None,
             months: int = DEFAULT_MONTHS, factors: dict[str, Any] | None = None) -> Plan:
    """The plan for a start date and (optionally) patient factors: :func:`plan_for_record` of a bare record."""
    return plan_for_record(PatientRecord(Profile()), overrides(drug, indication, protocol, start, months, factors))


def status_for_record(record: PatientRecord, today: dt.date, over: dict[str, Any] | None = None):
    """The course on ``today``: the record's plan (built by :func:`plan_for_record`) tracked against its history."""
    from jakplan.engine.tracking import track  # ~10 ms that `schedule` without records does not need

    plan = plan_for_record(record, over, today=today)
    return track(plan, record.history, today)


def check_protocol_reference(record: PatientRecord) -> None:
    """Load the protocol a plan file names, as :func:`plan_for_record` does (a reference outside the plan file's
    folder, a missing or bad protocol: one-line JakplanError), without building a plan: every command that changes
    a plan file (`record`, `pause`, `resume`, `undo`) checks it before the change, as `status` does when reading
    it. `undo` must still work when the history itself no longer makes a plan (it is how a bad entry is removed)."""
    prof = record.profile.merged()
    prof.drug = canonical_drug(prof.drug, option="")
    _protocol_for(prof, resolve_indication(prof.drug, prof.indication), None)


def record_of(path: str | Path) -> PatientRecord:
    """A profile or plan file as a patient record."""
    return load_record(path)


def create_plan_file(record: PatientRecord, over: dict[str, Any], out: str | Path, force: bool = False) -> Plan:
    """`jakplan init`: a new plan file at ``out`` from a record and the command-line values; returns its plan.

    The plan is built first, so a bad drug, protocol or indication fails before any file is written. Names are
    stored canonical ('Olumiant' -> baricitinib); a protocol file is stored relative to the plan file's folder
    (typed on the command line: relative to the working folder; from a profile: relative to the profile's
    folder), so every later command finds it from any folder, and one outside that folder is refused now."""
    from jakplan.records.planfile import create_planfile  # plan-file writer + tomlkit: only init and record

    plan = plan_for_record(record, over)
    prof = record.profile.merged(**{k: v for k, v in over.items() if k != "protocol"})
    ref, base = over.get("protocol"), Path.cwd()
    if ref is None:
        ref = record.profile.protocol
        base = record.profile.source.parent if record.profile.source is not None else Path.cwd()
    if ref is not None and is_path(ref):
        given = Path(ref).expanduser()
        prof.protocol = stored_reference(str(given if given.is_absolute() else base / given), out)
    elif ref is not None:
        prof.protocol = plan.protocol.id
    prof.indication = plan.indication
    prof.drug = plan.drug  # the canonical names, not as typed ('Olumiant', 'US_label')
    prof.months = over.get("months") or record.profile.months
    create_planfile(out, prof, overwrite=force)
    return plan


def score_inputs():
    """The inputs a disease-activity score is computed from (``data/scores.toml``): name, label, unit, range;
    `record` makes one option of each."""
    return tuple(score_table().inputs.values())


def record_score(path: str | Path, score: str, on: dt.date, given: dict[str, float], note: str = ""):
    """Record a disease-activity score in a plan file and judge the response milestones on that day.

    ``score`` is ``NAME`` (computed from ``given``, every input the formula needs, each in its range) or
    ``NAME=VALUE`` (the computed score given directly; ``given`` must then be empty). Returns the record and
    the plan file's status on ``on``. A refused score leaves the file untouched."""
    from jakplan.engine.scores import check_value, compute  # only `record --score`
    from jakplan.records.planfile import edit_planfile  # plan-file writer + tomlkit: only init and record

    table = score_table()
    name, _, direct = score.partition("=")
    sid = canonical_score(name.strip())
    sdef = table.scores[sid]
    if direct.strip():
        if given:
            raise JakplanError(f"--score {score}: give the score or its inputs "
                               f"({', '.join('--' + n.replace('_', '-') for n in given)}), not both")
        try:
            number = float(direct)
        except ValueError:
            raise JakplanError(f"--score {score}: '{direct.strip()}' is not a number") from None
        rec = ScoreRecord(on, sid, check_value(sdef, number, table), {}, note)
    else:
        rec = ScoreRecord(on, sid, compute(sdef, given, table), dict(given), note)
    record = record_of(path)
    if record.profile.start is None:
        raise JakplanError(f"{path}: no start date; a score is judged against the first dose")
    plan_for_record(record)  # a plan file whose plan cannot be built is refused before it is changed
    with edit_planfile(path) as pf:
        pf.add_score(rec)
        history = pf.history
    return rec, status_for_record(record._replace(history=history), on)


__all__ = ["plan_for", "plan_for_record", "status_for_record", "overrides", "record_of", "baseline_labs", "factor_updates",
           "resolve_indication", "History", "score_inputs", "record_score"]
