"""Forgiving input, strict meaning: a name as typed -> the one canonical name, or an error that helps.

Pure (no I/O): the caller passes the valid names and the aliases (brand names, synonyms) from the data.
Matching ignores case, surrounding space, and the difference between ``-``, ``_`` and a space, so ``Olumiant``,
``BARICITINIB``, ``us_label`` and ``bloods-week4`` all find their name. Anything else is refused; a near miss
(``baracitinib``, ``probenicid``) is named in the error ("did you mean baricitinib?"), never taken silently.

    >>> canonical("drug", "Olumiant", ["baricitinib", "tofacitinib"], {"olumiant": "baricitinib"})
    'baricitinib'
    >>> canonical("drug", "baracitinib", ["baricitinib", "tofacitinib"])
    Traceback (most recent call last):
    ...
    jakplan.errors.JakplanError: unknown drug 'baracitinib'; did you mean baricitinib? (known drugs: baricitinib, tofacitinib)
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Iterable, Mapping

from jakplan.errors import JakplanError

_SEP = re.compile(r"[\s_\-]+")

CUTOFF = 0.75
"""How close a typed name must be to a known one to be suggested (difflib ratio, 0..1)."""


@functools.lru_cache(maxsize=4096)  # a table of known names is keyed on every lookup (issue 19 item 5: per patient)
def key(text: str) -> str:
    """The form names are compared in: lower case, '-', '_' and spaces alike, apostrophes dropped."""
    return _SEP.sub("-", text.strip().lower().replace("'", "").replace("\u2019", "")).strip("-")


def _table(choices: Iterable[str], aliases: Mapping[str, str] | None) -> dict[str, str]:
    table: dict[str, str] = {}
    for name in choices:
        table.setdefault(key(name), name)
    for alias, target in (aliases or {}).items():
        table.setdefault(key(alias), target)
    return table


PREFIX_MAX = 3
"""A typed name that begins at most this many known ones (``eu`` -> eu-smpc, ``das28`` -> das28esr or das28crp,
``rheumatoid`` -> rheumatoid arthritis) names them as suggestions."""


def _near(typed: str, table: Mapping[str, str], hints: Mapping[str, str] | None = None,
          prefix: bool = True) -> list[str]:
    """The canonical names to suggest for ``typed`` (a key): a hint for that word (``ex`` -> past: words a
    person uses that are not a spelling of the name), the names it begins, or the closest spelling."""
    for word, target in (hints or {}).items():
        if key(word) == typed:
            return [target]
    if prefix and typed:
        begun = list(dict.fromkeys(table[n] for n in table if n.startswith(typed)))
        if 0 < len(begun) <= PREFIX_MAX:
            return begun
    near = difflib.get_close_matches(typed, list(table), n=1, cutoff=CUTOFF)
    return list(dict.fromkeys(table[n] for n in near))


def canonical(kind: str, text: str, choices: Iterable[str], aliases: Mapping[str, str] | None = None,
              option: str = "", hints: Mapping[str, str] | None = None) -> str:
    """The canonical name ``text`` stands for among ``choices`` (or through ``aliases``: alias -> canonical).

    Raises :class:`JakplanError` ("unknown KIND 'TEXT'; did you mean X? (known: ...)") when nothing matches;
    ``option`` (e.g. ``--drug``) is put before the message when given. ``hints`` (word -> name) are suggested,
    never taken.
    """
    names = list(dict.fromkeys(choices))
    table = _table(names, aliases)
    typed = key(str(text))
    if typed in table:
        return table[typed]
    suggestions = _near(typed, table, hints)
    where = f"{option} " if option else ""
    msg = f"{where}unknown {kind} '{text}'"
    if suggestions:
        msg += f"; did you mean {' or '.join(suggestions)}?"
    shown = ", ".join(names) if len(names) <= 20 else ", ".join(names[:20]) + ", ..."
    msg += f" (known {kind}s: {shown})" if suggestions else f"; known {kind}s: {shown}"
    raise JakplanError(msg)


def suggest(text: str, choices: Iterable[str], aliases: Mapping[str, str] | None = None, *,
            hints: Mapping[str, str] | None = None, prefix: bool = True) -> list[str]:
    """The canonical names to suggest for ``text`` (a hint, the names it begins, or the closest spelling), for
    callers that word their own error; ``prefix=False`` where a short name is a real name of its own (a
    medicine jakplan does not know)."""
    return _near(key(text), _table(choices, aliases), hints, prefix)


def did_you_mean(suggestions: list[str]) -> str:
    """``"; did you mean X?"`` (or ``X or Y``), or nothing: the one wording of a suggestion."""
    return f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""
