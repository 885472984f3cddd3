"""The command line: a thin Typer wrapper that parses options, calls the library and renders.

Each command lives in its own module and registers itself on ``app``; heavy imports happen inside the
command functions so that start-up stays fast.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="jakplan",
    help="Monitoring planner for oral JAK-inhibitor therapy. A planning aid: the prescriber's instructions come first.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """Monitoring planner for oral JAK-inhibitor therapy. A planning aid: the prescriber's instructions come first."""


from . import schedule  # noqa: E402,F401  (registers its command)


def main() -> None:
    app(prog_name="jakplan")
from . import export  # noqa: E402,F401  (registers its command)
from . import checklist  # noqa: E402,F401  (registers its command)
from . import track  # noqa: E402,F401  (registers init, record, pause, resume, status)
from . import cohort  # noqa: E402,F401  (registers cohort due / cohort export)
from . import labs  # noqa: E402,F401  (registers labs)
from . import protocols  # noqa: E402,F401  (registers protocols, protocols show)
