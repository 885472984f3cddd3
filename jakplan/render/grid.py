"""Plain-text tables that fit the terminal and never cut a word (the terminal views of ``status``, ``cohort
due``, ``cohort audit`` and ``protocols``, as the compact timeline of ``schedule`` already is).

A cell is wrapped at spaces only (a word longer than its column overflows it rather than being cut); columns get
their natural width when the table fits, else the room is shared out above each column's longest word. When even
the longest words do not fit side by side, each row is stacked: its first cells on one line, every other cell
under it as ``Header: text``, indented. No ellipsis, no cropping: every cell's text is printed whole.

    >>> lines = grid_lines(["Date", "What"], [["2024-05-01", "Full blood count with differential"]], width=30)
    >>> print("\\n".join(lines))
    Date        What
    2024-05-01  Full blood count
                with differential
    >>> max(len(ln) for ln in lines) <= 30
    True
"""

from __future__ import annotations

import re
from typing import Sequence

from jakplan.escape import strip_output_controls

GAP = 2
"""Spaces between two columns."""


def _wrap(text: str, width: int) -> list[str]:
    """``text`` wrapped at spaces into lines of at most ``width`` (a longer word stays whole on its own line);
    explicit newlines are kept. Greedy, like textwrap without its hyphen and sentence rules (and much faster)."""
    out: list[str] = []
    width = max(1, width)
    for para in str(text).split("\n"):
        if len(para) <= width and "  " not in para and para == para.strip():  # fits as it is
            out.append(para)
            continue
        line = ""
        for word in para.split():
            if not line:
                line = word
            elif len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                out.append(line)
                line = word
        out.append(line)
    return out or [""]


def _longest_word(text: str) -> int:
    return max((len(w) for w in str(text).split()), default=0)


def _longest_line(text: str) -> int:
    return max((len(ln) for ln in str(text).split("\n")), default=0)


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int,
                  nowrap: Sequence[int] = ()) -> list[int] | None:
    """Each column's width so the table fits ``width`` without cutting a word, or None when it cannot (stack)."""
    n = len(headers)
    cols = [[headers[i]] + [r[i] for r in rows] for i in range(n)]
    natural = [max(_longest_line(c) for c in col) for col in cols]
    least = [natural[i] if i in nowrap else max(_longest_word(c) for c in col) for i, col in enumerate(cols)]
    room = width - GAP * (n - 1)
    if sum(natural) <= room:
        return natural
    if sum(least) > room:
        return None
    spare = room - sum(least)
    want = [natural[i] - least[i] for i in range(n)]
    total = sum(want) or 1
    widths = [least[i] + (want[i] * spare) // total for i in range(n)]
    left = room - sum(widths)
    for i in sorted(range(n), key=lambda i: want[i] - (widths[i] - least[i]), reverse=True):
        if left <= 0:
            break
        if widths[i] < natural[i]:
            widths[i] += 1
            left -= 1
    return widths


def grid_lines(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int = 80, *,
               title: str = "", nowrap: Sequence[int] = (), right: Sequence[int] = (),
               stack_keep: int = 2) -> list[str]:
    """The table as lines of at most ``width`` characters (a longer single word excepted), every cell whole.

    ``nowrap``: columns kept on one line each (ids, dates); ``right``: columns aligned right (numbers).
    ``stack_keep``: when the table must be stacked, how many leading cells stay on the row's first line."""
    out = _wrap(title, width) if title else []
    widths = column_widths(headers, rows, width, nowrap)
    if widths is None:
        return out + stacked_lines(headers, rows, width, stack_keep)
    out.extend(_row_lines(list(headers), widths, right))
    for r in rows:
        out.extend(_row_lines([str(c) for c in r], widths, right))
    return out


def _row(cells: list[str], widths: list[int], right: Sequence[int] = ()) -> str:
    return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                     for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()


def _row_lines(cells: list[str], widths: list[int], right: Sequence[int] = ()) -> list[str]:
    wrapped = [_wrap(c, w) for c, w in zip(cells, widths, strict=True)]
    height = max(len(w) for w in wrapped)
    return [_row([w[k] if k < len(w) else "" for w in wrapped], widths, right) for k in range(height)]


def print_grid(console, headers: Sequence[str], rows: Sequence[Sequence[str]], *, title: str = "",
               nowrap: Sequence[int] = (), right: Sequence[int] = (), row_styles: Sequence[str] | None = None,
               stack_keep: int = 2) -> None:
    """:func:`grid_lines` fitted to ``console``'s width and printed there (each row in its style, if given)."""
    from rich.text import Text

    width = max(40, console.width)
    out: list[tuple[str, str]] = []  # (line, style): one print for the whole table
    if title:
        out += [(ln, "bold") for ln in _wrap(title, width)]
    widths = column_widths(headers, rows, width, nowrap)
    for i, r in enumerate([None, *rows]):
        cells = list(headers) if r is None else [str(c) for c in r]
        style = "bold" if r is None else (row_styles[i - 1] if row_styles else "")
        if widths is None:
            lines = [] if r is None else stacked_lines(headers, [cells], width, stack_keep)
        else:
            lines = _row_lines(cells, widths, right)
        out += [(ln, style) for ln in lines]
    if console.color_system is None:  # no colour (a pipe, NO_COLOR): the plain text, past rich's renderer

        console.file.write(strip_output_controls("\n".join(ln for ln, _ in out)) + "\n")
        return
    text = Text()
    for ln, style in out:
        text.append(ln + "\n", style=style)
    text.rstrip()
    console.print(text, soft_wrap=True)  # lines fit already: rich need not wrap them again


def stacked_lines(headers: Sequence[str], rows: Sequence[Sequence[str]], width: int, keep: int = 2) -> list[str]:
    """Each row as a block: its first ``keep`` cells on one line, then ``Header: text`` for every other
    non-empty cell, indented by 4 and wrapped at spaces."""
    out: list[str] = []
    for r in rows:
        first = "  ".join(str(c).replace("\n", " ") for c in r[:keep] if str(c).strip())
        out += _wrap(first, width)
        for h, c in zip(headers[keep:], r[keep:], strict=True):
            paras = [" ".join(p.split()) for p in str(c).split("\n") if p.strip()]
            for k, text in enumerate(paras):  # a cell's own lines stay lines: the first after its header
                lead = "    " if k == 0 else "      "
                out += [lead + ln for ln in _wrap(f"{h}: {text}" if h and k == 0 else text, width - len(lead))]
    return out


def read_grid(lines: Sequence[str], headers: Sequence[str], first: str = "", opener: int = 0) -> list[list[str]]:
    """Read a table written by :func:`grid_lines` (not stacked) back into rows of cells, each cell's wrapped
    lines joined by single spaces: what the tests use to check that every cell was printed whole.

    The header line gives the columns' starts; a row starts on a line whose column ``opener`` is not empty (or,
    given ``first``, a regular expression, on a line where it matches that column). Lines before the header
    and from the first one that does not fit the columns are not read."""

    head = next(i for i, ln in enumerate(lines)
                if all(re.search(rf"(^|\s){re.escape(h.split()[0])}(\s|$)", ln) for h in headers if h.split()))
    starts: list[int] = []
    pos = 0
    for h in headers:
        word = h.split()[0]
        found = re.search(rf"(^|(?<=\s)){re.escape(word)}(\s|$)", lines[head][pos:])
        assert found is not None, (h, lines[head])
        starts.append(pos + found.start())
        pos = starts[-1] + len(word)
    rows: list[list[list[str]]] = []
    for ln in lines[head + 1:]:
        if not ln.strip():
            break
        cells = [ln[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        if any(ln[s - 1:s].strip() for s in starts[1:] if 0 < s <= len(ln)):
            break  # text over a column's gap: not a line of this table
        opens = bool(re.match(first, cells[opener])) if first else bool(cells[opener])
        if not opens and not rows:
            continue  # the header's wrapped words
        if opens:
            rows.append([[c] if c else [] for c in cells])
        else:
            for k, c in enumerate(cells):
                if c:
                    rows[-1][k].append(c)
    return [[" ".join(parts) for parts in r] for r in rows]
