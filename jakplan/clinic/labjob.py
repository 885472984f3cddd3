"""`jakplan cohort labs import FILE... --into FOLDER` as one use case: read the lab files
(:mod:`jakplan.records.labimport`), append them to the plan files (:mod:`jakplan.clinic.labstore`), and judge
what was added, and every result of a patient with no plan file, against the protocol. Returns data;
``render/labimport.py`` words it."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator

from jakplan.actions import is_calm, judge_labs, protocol_from, recorded_lab_actions
from jakplan.api import course_for_record, one_run
from jakplan.clinic.labstore import StoreSummary, store_imports
from jakplan.records.clinicsettings import load_settings, parse_map
from jakplan.records.labimport import Context, ImportedLab, ImportResult, Problem, import_file
from jakplan.records.patient import load_record

NOT_ASSESSED = "not_assessed"
URGENT = ("interrupt", "stop", "discontinue", "do_not_start")

Progress = Callable[[int, str], ContextManager[Callable[[], None]]]
"""``progress(total, what)``: a context in which the returned function is called once per item done."""


@contextlib.contextmanager
def no_progress(total: int, what: str) -> Iterator[Callable[[], None]]:
    yield lambda: None


@dataclass(frozen=True)
class Finding:
    """A value just added (or, on a dry run, to add) that calls for something, or that the protocol gives no
    limit for (``action == 'not_assessed'``)."""

    patient: str
    action: str
    lab_action: Any
    """The :class:`jakplan.engine.tracking.LabAction` (``render.words.lab_action_text`` words it)."""

    @property
    def analyte(self) -> str:
        return self.lab_action.analyte


@dataclass(frozen=True)
class Unmatched:
    """A result for a patient with no plan file, judged by the clinic's default protocol: ``verdict`` is
    'calm', 'crosses' (``action``), 'no_limit' (the protocol gives none) or 'no_protocol' (clinic.toml names
    no default protocol: not judged, fail closed)."""

    result: ImportedLab
    verdict: str
    action: str = ""
    protocol: str = ""

    @property
    def quiet(self) -> bool:
        return self.verdict == "calm"


@dataclass
class LabImportOutcome:
    results: list[ImportResult]
    summary: StoreSummary | None
    problems: list[Problem]
    findings: list[Finding] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    dry_run: bool = False

    @property
    def read(self) -> int:
        return sum(len(r.records) for r in self.results)


def import_lab_files(files: list[str], into: str, day: dt.date, input_format: str | None = None,
                     mapping: list[str] | None = None, dry_run: bool = False,
                     progress: Progress = no_progress) -> LabImportOutcome:
    """Read ``files`` and append their results to the plan files in ``into`` (nothing written on a dry run);
    the register's clinic.toml (upper limits of normal, column names, identifier prefixes, default protocol) is
    used when present."""
    settings = load_settings(into) if Path(into).is_dir() else None
    ctx = Context(day, settings or Context(day).settings, parse_map(mapping))
    results = []
    with progress(len(files), "Reading lab files") as tick:
        for f in files:
            results.append(import_file(f, day, input_format, ctx))
            tick()
    read = sum(len(r.records) for r in results)
    patients = len({r.patient_id for res in results for r in res.records})
    with progress(patients, "Writing plan files") as tick:
        summary = store_imports(results, into, write=not dry_run, settings=settings, tick=tick) if read else None
    problems = [p for r in results for p in r.problems] + (summary.problems if summary else [])
    out = LabImportOutcome(results, summary, problems, dry_run=dry_run)
    if summary is not None:
        out.findings = _findings(summary, dry_run)
        out.unmatched = _unmatched(summary, ctx.settings.default_protocol, into)
    return out


def _findings(summary: StoreSummary, dry_run: bool = False) -> list[Finding]:
    """Each newly stored value that crosses a protocol threshold or that the protocol gives no limit for; for a
    dry run, judged as if the values had been stored."""
    out = []
    with one_run():  # each protocol reference resolved and loaded once for the run, not once per patient
        for o in summary.patients:
            if not o.added:
                continue
            record = o.record if o.record is not None else load_record(o.path)
            if dry_run:
                h = record.history
                record = record._replace(history=h.but(labs=h.labs + o.lab_records()))
            new = {(day, a) for day, vals in o.added.items() for a in vals}
            for act in recorded_lab_actions(course_for_record(record), record.history):
                if (act.on, act.analyte) in new:
                    out.append(Finding(o.patient, act.action, act))
    return out


def _unmatched(summary: StoreSummary, protocol_ref: str, folder: str) -> list[Unmatched]:
    if not summary.unmatched:
        return []
    if not protocol_ref:
        return [Unmatched(r, "no_protocol") for r in summary.unmatched]
    protocol = protocol_from(protocol_ref, folder)
    out = []
    for r in summary.unmatched:
        action = judge_labs(protocol, {r.analyte: r.value}, censored={r.analyte: r.censor} if r.censor else None).action
        verdict = "calm" if is_calm(action) else "no_limit" if action == NOT_ASSESSED else "crosses"
        out.append(Unmatched(r, verdict, action, protocol.id))
    return out
