"""`record --score NAME` and the score's inputs (--tjc, --sjc, --esr, --crp, --pga ...), one option per input of
the score table (``data/scores.toml``, through :func:`jakplan.api.score_inputs`), as the factor options come
from the factor table."""

from __future__ import annotations

import inspect
import math
from typing import Annotated, Any, Optional

import typer

from jakplan.api import score_inputs
from jakplan.cli.planopts import with_generated_options
from jakplan.errors import JakplanError

SCORE_HELP = ("A disease-activity score measured on --on DAY: NAME computed from its inputs (das28esr, das28crp, "
              "cdai, sdai, easi, ppnrs, salt, pmayo), e.g. --score das28crp --tjc 8 --sjc 5 --crp 12 --pga 60; or "
              "NAME=VALUE for a score computed elsewhere (--score das28crp=4.1).")


def _parameters() -> list[inspect.Parameter]:
    out = [inspect.Parameter("score", inspect.Parameter.KEYWORD_ONLY, default=None,
                             annotation=Annotated[Optional[str], typer.Option("--score", help=SCORE_HELP,
                                                                              show_default=False)])]
    for spec in score_inputs():
        flag = "--" + spec.name.replace("_", "-")
        help_ = f"For --score: the {spec.label}, {spec.lo:g} to {spec.hi:g} {spec.unit}."
        out.append(inspect.Parameter(f"score_{spec.name}", inspect.Parameter.KEYWORD_ONLY, default=None,
                                     annotation=Annotated[Optional[str], typer.Option(flag, help=help_,
                                                                                      show_default=False)]))
    return out


class ScoreOptions:
    """The parsed --score option and its inputs."""

    def __init__(self, values: dict[str, Any]):
        self.score: str | None = values.pop("score")
        self.raw = {k.removeprefix("score_"): v for k, v in values.items() if v is not None}

    def inputs(self) -> dict[str, float]:
        """The inputs as numbers; one line for text that is not one."""
        out = {}
        for name, text in self.raw.items():
            flag = "--" + name.replace("_", "-")
            try:
                val = float(text)
            except ValueError:
                raise JakplanError(f"{flag} '{text}' is not a number") from None
            if not math.isfinite(val):
                raise JakplanError(f"{flag} '{text}' is not a finite number")
            out[name] = val
        if out and not self.score:
            raise JakplanError(f"{', '.join('--' + n.replace('_', '-') for n in out)}: give --score NAME too "
                               f"(the score these inputs are for)")
        return out


def with_score_options(func):
    """Give a command --score and one option per score input; it receives ``score_options: ScoreOptions``."""
    return with_generated_options(func, "score_options", _parameters(), ScoreOptions)
