"""The one output registry: ``(view, format) -> renderer``.

Every command's ``--format`` choices come from here (:func:`format_enum`): a command lists only the formats its
view can produce, and prints through :func:`render`. Each renderer is called with keyword arguments only (the
view's data by name; ``console`` is a factory of the terminal console for the ``console`` kind) and ignores
what it does not use. Kinds:

- ``text``: returns the text to print;
- ``raw``: returns text printed exactly as it is (CSV: its own line ends);
- ``json``: returns plain data, written by the one JSON module (:func:`jakplan.render.jsontext.json_text`);
- ``console``: prints to ``console()`` itself (rich tables, terminal grids), returns None;
- ``bytes``: returns bytes for a file (a PDF).

Each renderer imports its render module when it is called (function-level imports, on purpose: a command
then loads only the one renderer asked for, which keeps start-up near the Typer+Rich floor, see
bench/bench_startup.py).
"""

from __future__ import annotations

import shutil
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, Callable, NamedTuple

from jakplan.engine.visits import CLINIC_DAYS
from jakplan.render.common import plan_dict
from jakplan.render.compact import compact_text
from jakplan.render.words import recorded_text


class Entry(NamedTuple):
    render: Callable[..., Any]
    kind: str
    note: str = ""
    """A few words after the format's name in ``--format``'s help, e.g. 'terminal'."""


class Rendered(NamedTuple):
    """What a renderer produced: ``text`` to print (``raw``: as it is, else with a final newline), ``data`` (bytes
    for a file), or neither when it printed to the console itself."""

    text: str | None = None
    raw: bool = False
    data: bytes | None = None


# -- renderers (adapters to each render module's own signature) ----------------------------------------------


def _width() -> int:
    return shutil.get_terminal_size((80, 24)).columns


def _timeline(*, plan, today=None, marks=(frozenset(), frozenset(), frozenset()), **_) -> str:

    overdue, done, missed = marks
    return compact_text(plan, width=_width(), today=today, overdue=overdue, done=done, missed=missed)


def _schedule_table(*, plan, console, sources=False, **_) -> None:
    from jakplan.render.terminal import render_terminal  # rich tables: only for --details

    render_terminal(plan, console(), sources=sources)


def _schedule_markdown(*, plan, sources=False, **_) -> str:
    from jakplan.render.markdown import render_markdown

    return render_markdown(plan, sources=sources)


def _plan_json(*, plan, **_) -> dict:

    return plan_dict(plan)


def _careplan(*, plan, status=None, **_) -> str:
    from jakplan.render.fhir import careplan_json

    return careplan_json(plan, status=status)


def _status_table(*, status, planfile, console, brief=False, done=False, **_) -> None:
    from jakplan.render.status import render_status

    render_status(status, console(), Path(planfile).name, brief=brief, done=done)


def _status_json(*, status, planfile, **_) -> dict:
    from jakplan.render.status import status_dict

    return status_dict(status, planfile)


def _labs_table(*, judged, console, **_) -> None:
    from jakplan.render.labs import render_labs_terminal

    render_labs_terminal(judged.report, judged.protocol, judged.shown, console())


def _labs_markdown(*, judged, **_) -> str:
    from jakplan.render.labs import render_labs_markdown

    return render_labs_markdown(judged.report, judged.protocol, judged.shown)


def _labs_json(*, judged, **_) -> dict:
    from jakplan.render.labs import labs_dict

    return labs_dict(judged.report, judged.protocol, judged.shown)


def _catalogue_table(*, rows, console, **_) -> None:
    from jakplan.render.protocol import print_catalogue

    print_catalogue(rows, console())


def _catalogue_markdown(*, rows, **_) -> str:
    from jakplan.render.protocol import catalogue_markdown

    return catalogue_markdown(rows)


def _catalogue_json(*, rows, **_) -> dict:
    from jakplan.render.protocol import catalogue_dict

    return catalogue_dict(rows)


def _protocol_table(*, protocol, console, **_) -> None:
    from jakplan.render.protocol import render_protocol_terminal

    render_protocol_terminal(protocol, console())


def _protocol_markdown(*, protocol, **_) -> str:
    from jakplan.render.protocol import render_protocol_markdown

    return render_protocol_markdown(protocol)


def _protocol_json(*, protocol, **_) -> dict:
    from jakplan.render.protocol import protocol_dict

    return protocol_dict(protocol)


def _matrix_table(*, protocol, matrix, console, **_) -> None:
    from jakplan.render.dosematrix import render_table

    render_table(protocol, matrix, console())


def _matrix_markdown(*, protocol, matrix, **_) -> str:
    from jakplan.render.dosematrix import render_markdown

    return render_markdown(protocol, matrix)


def _matrix_json(*, protocol, matrix, **_) -> dict:
    from jakplan.render.dosematrix import matrix_dict

    return matrix_dict(protocol, matrix)


def _next_text(*, answer, **_) -> str:
    from jakplan.render.nextvisit import next_lines

    return "\n".join(next_lines(answer, _width()))


def _next_json(*, answer, **_) -> dict:
    from jakplan.render.nextvisit import next_dict

    return next_dict(answer)


def _checklist(name: str) -> Callable[..., Any]:
    def run(*, chosen, console=None, **_):
        from jakplan.render import checklist as render

        lead = render.course_lead(chosen.status) if chosen.status is not None else ()
        checklist = render.build_checklist(chosen.plan, chosen.visit, _visit_context(chosen), lead)
        if name == "terminal":
            return render.render_terminal(checklist, console())
        return getattr(render, f"render_{name}")(checklist)

    return run


def _visit_context(chosen) -> tuple[str, ...]:
    """Why this visit was chosen for the day asked (its window holds it), and the other windows open then."""
    from jakplan.render.checklist import window_context

    if chosen.by_next:
        day, visit = chosen.day, chosen.visit
        return (f"On {day.isoformat()} this visit's window is open (planned {visit.date.isoformat()}).",) \
            if visit.date < day else ()
    return window_context(chosen.day, chosen.visit, chosen.found.open_windows)


def _sheet_html(*, plan, paper="a4", status=None, **_) -> str:
    from jakplan.render.sheet import build_sheet, render_html

    return render_html(build_sheet(plan, paper=paper, status=status))


def _sheet_pdf(*, plan, paper="a4", status=None, **_) -> bytes:
    from jakplan.render.pdf import html_to_pdf  # headless Chromium: only for --format pdf

    return html_to_pdf(_sheet_html(plan=plan, paper=paper, status=status))


def _due(name: str) -> Callable[..., Any]:
    def run(*, rows, start, end, nfiles, errors, skipped, line, console=None, **_):
        from jakplan.render import worklist as w

        if name == "table":
            return w.print_table(rows, start, end, line, console())
        if name == "json":
            return w.as_json(rows, start, end, nfiles, errors, skipped)
        if name == "csv":
            return w.as_csv(rows)
        return getattr(w, f"as_{name}")(rows, start, end, line)

    return run


def _audit(name: str) -> Callable[..., Any]:
    def run(*, groups, start, end, nfiles, errors, skipped, line, console=None, **_):
        from jakplan.render import audit as a

        if name == "table":
            return a.print_table(groups, start, end, line, console())
        if name == "json":
            return a.as_json(groups, start, end, nfiles, errors, skipped)
        if name == "csv":
            return a.as_csv(groups)
        return a.as_html(groups, start, end, line)

    return run


def _lab_import(name: str) -> Callable[..., Any]:
    def run(*, outcome, **_):
        from jakplan.render import labimport as r

        return r.import_dict(outcome) if name == "json" else r.import_text(outcome)

    return run


def _patient_ics(*, plan, pid, who="", dtstamp=None, recorded=None, previous=None, clinic_days=None, **_) -> bytes:
    from jakplan.render.ics import calendar_bytes, identity_label  # icalendar: only when a calendar is written

    texts = {(i.rule, i.occurrence): recorded_text(i) for i in recorded} if recorded else None
    # the calendar's own name always says whose it is (its events do not: calendars are shared)
    return calendar_bytes(plan, namespace=pid, calendar_name=who or identity_label(plan) or pid, dtstamp=dtstamp,
                          recorded=texts, previous=previous, clinic_days=clinic_days or CLINIC_DAYS)


def _patient_json(*, plan, recorded=None, **_) -> bytes:
    from jakplan.render.jsontext import json_text

    data = plan_dict(plan)
    if recorded is not None:
        data["recorded"] = [{"rule": i.rule, "occurrence": i.occurrence, "state": i.state,
                             "on": i.done_on.isoformat(), "text": recorded_text(i)} for i in recorded]
    return (json_text(data) + "\n").encode()


def _patient_fhir(*, plan, pid, status=None, systems=None, **_) -> bytes:
    from jakplan.render.fhir import careplan_json

    return (careplan_json(plan, pid, status, systems) + "\n").encode()


VIEWS: dict[str, dict[str, Entry]] = {
    "timeline": {"table": Entry(_timeline, "text", "terminal")},
    "schedule": {
        "table": Entry(_schedule_table, "console", "terminal"),
        "markdown": Entry(_schedule_markdown, "text"),
        "json": Entry(_plan_json, "json"),
        "fhir": Entry(_careplan, "text", "an HL7 FHIR R4 CarePlan"),
    },
    "status": {"table": Entry(_status_table, "console", "terminal"), "json": Entry(_status_json, "json")},
    "labs": {
        "table": Entry(_labs_table, "console", "terminal"),
        "markdown": Entry(_labs_markdown, "text"),
        "json": Entry(_labs_json, "json"),
    },
    "protocols": {
        "table": Entry(_catalogue_table, "console"),
        "markdown": Entry(_catalogue_markdown, "text"),
        "json": Entry(_catalogue_json, "json"),
    },
    "protocol": {
        "table": Entry(_protocol_table, "console"),
        "markdown": Entry(_protocol_markdown, "text"),
        "json": Entry(_protocol_json, "json"),
    },
    "dose-matrix": {
        "table": Entry(_matrix_table, "console"),
        "markdown": Entry(_matrix_markdown, "text"),
        "json": Entry(_matrix_json, "json"),
    },
    "next": {"text": Entry(_next_text, "text"), "json": Entry(_next_json, "json")},
    "checklist": {
        "terminal": Entry(_checklist("terminal"), "console", "on screen"),
        "text": Entry(_checklist("text"), "text"),
        "markdown": Entry(_checklist("markdown"), "text"),
        "html": Entry(_checklist("html"), "text", "a print-ready page"),
    },
    "sheet": {
        "html": Entry(_sheet_html, "text", "print it from a browser"),
        "pdf": Entry(_sheet_pdf, "bytes", "needs Chromium"),
    },
    "due": {
        "table": Entry(_due("table"), "console"),
        "csv": Entry(_due("csv"), "raw"),
        "json": Entry(_due("json"), "json"),
        "markdown": Entry(_due("markdown"), "text"),
        "html": Entry(_due("html"), "text"),
    },
    "audit": {
        "table": Entry(_audit("table"), "console"),
        "csv": Entry(_audit("csv"), "raw"),
        "json": Entry(_audit("json"), "json"),
        "html": Entry(_audit("html"), "text", "with a chart"),
    },
    "lab-import": {"text": Entry(_lab_import("text"), "text"), "json": Entry(_lab_import("json"), "json")},
    # `cohort export`: each patient's files (render/cohortfiles.render_patient, called in the worker processes)
    "patient-files": {
        "ics": Entry(_patient_ics, "bytes"),
        "json": Entry(_patient_json, "bytes"),
        "fhir": Entry(_patient_fhir, "bytes"),
    },
}
"""Each view's formats, the first its default."""


def formats(view: str) -> tuple[str, ...]:
    return tuple(VIEWS[view])


def default_format(view: str) -> str:
    return next(iter(VIEWS[view]))


def format_help(view: str) -> str:
    """'table (terminal), markdown or json.'"""
    names = [f"{f} ({e.note})" if e.note else f for f, e in VIEWS[view].items()]
    return (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]) + "."


_ENUMS: dict[tuple[str, ...], type[StrEnum]] = {}


def format_enum(*views: str) -> type[StrEnum]:
    """The ``--format`` choices of a command showing ``views`` (the formats any of them has), as the StrEnum
    Typer reads (a member is equal to its name as a str); one class per set of views."""
    if views not in _ENUMS:
        names = list(dict.fromkeys(f for v in views for f in VIEWS[v]))
        _ENUMS[views] = StrEnum("Format_" + "_".join(v.replace("-", "_") for v in views),  # type: ignore[assignment]
                                {n: n for n in names})
    return _ENUMS[views]


def render(view: str, fmt: str | Enum, **data: Any) -> Rendered:
    """Render ``view`` in ``fmt``: the registered renderer called with ``data`` (keyword arguments)."""
    name = fmt.value if isinstance(fmt, Enum) else fmt
    entry = VIEWS[view][name]
    out = entry.render(**data)
    if entry.kind == "json":
        from jakplan.render.jsontext import json_text  # orjson + json: ~15 ms, loaded only for --format json

        return Rendered(json_text(out))
    if entry.kind == "bytes":
        return Rendered(data=out)
    if entry.kind == "console":
        return Rendered()
    return Rendered(out, raw=entry.kind == "raw")
