"""Escaping in one place: text that comes from data (protocol files, plan files, CSV cells, the user's
options) never changes the structure of what jakplan prints.

- :func:`one_line` for error messages: control characters, line breaks and Unicode line/paragraph
  separators are shown escaped (``\\n``, ``\\x1b``), so a value can neither forge a second ``Error:`` line
  nor send a terminal escape sequence.
- :func:`strip_controls` for terminal and calendar text: control characters are removed (a tab becomes a
  space; line breaks are kept only where ``keep_newlines``), as RFC 5545 TEXT and a terminal require.
- :func:`markdown_text` and :func:`markdown_cell` for Markdown: HTML is escaped (a ``<`` that could open a
  tag, an ``&`` that could start an entity), and
  characters that would start new Markdown structure at the beginning of a line are backslash-escaped.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, and the Unicode characters that break or reorder lines on a terminal.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_NL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_OUTPUT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def has_controls(text: str, allow_newlines: bool = False) -> bool:
    """True when ``text`` holds a character that :func:`strip_controls` would remove (tab and, with
    ``allow_newlines``, line feeds are allowed)."""
    if text.isprintable():  # most text: none of them (each is outside str.isprintable: Cc, Cf, Zl, Zp)
        return False
    pattern = _CONTROL_BUT_NL if allow_newlines else _CONTROL
    return any(m.group() != "\t" for m in pattern.finditer(text))


def _escape_char(m: re.Match) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """``text`` on one line, its control characters shown escaped (``\\n``, ``\\x1b``, ``\\u2028``)."""
    return _CONTROL.sub(_escape_char, str(text))


def shown(value: object) -> str:
    """A value quoted for a message: ``'text'`` with control characters escaped."""
    return "'" + one_line(str(value)) + "'"


def strip_output_controls(text: str) -> str:
    """``text`` without control characters except tab, LF and CR (an .ics file's CRLF line ends survive)."""
    return _OUTPUT_CONTROL.sub("", text)


def strip_controls(text: str, keep_newlines: bool = True) -> str:
    """``text`` without control characters: tabs become spaces, CR LF and CR become LF (kept only when
    ``keep_newlines``; otherwise a space)."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    if keep_newlines:
        return _CONTROL_BUT_NL.sub("", text)
    return _CONTROL.sub(lambda m: " " if m.group() == "\n" else "", text)


_HTML = {"&": "&amp;", "<": "&lt;"}
# only what could start raw HTML, an autolink or an entity: "<" before a letter, "/", "!" or "?", and "&"
# before a name or "#" ("eGFR < 30" and "A & B" stay as written)
_HTML_RE = re.compile(r"<(?=[A-Za-z/!?])|&(?=#|[A-Za-z][A-Za-z0-9]*;)")
# what starts structure at the beginning of a Markdown line: headings, quotes, lists, rules, fences, tables
_LINE_START = re.compile(r"^(\s*)([#>*+\-=_`~|]|\d+[.)])")


# what makes a link or an image from data: brackets ([text](url), ![alt](src)) and bare URLs, which GitHub-style
# Markdown links by itself ("https://...", "www."); written so they show as typed but link nothing
_LINKS = re.compile(r"[\[\]]|(?<=[A-Za-z])://|\bwww\.", re.IGNORECASE)
_LINK_ESCAPES = {"[": "\\[", "]": "\\]", "://": "&#58;//"}


def _no_links(text: str) -> str:
    return _LINKS.sub(lambda m: _LINK_ESCAPES.get(m.group(), m.group().replace(".", "&#46;")), text)


def markdown_text(text: str) -> str:
    """Data as one line of Markdown text: no HTML, no control characters, no new block structure, no live
    link or image."""
    text = strip_controls(text, keep_newlines=False)
    text = _no_links(_HTML_RE.sub(lambda m: _HTML[m.group()], text))
    return escape_line_start(text)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A value for a CSV cell that a spreadsheet cannot run: text starting with =, +, -, @, a tab or CR gets a
    leading apostrophe (the OWASP "CSV injection" advice; spreadsheets show the apostrophe-prefixed text as
    typed). Numbers are left as numbers (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def escape_line_start(text: str) -> str:
    """Backslash-escape what would start Markdown block structure (heading, quote, list, rule, fence, table)."""
    return _LINE_START.sub(_escape_start, text)


def _escape_start(m: re.Match) -> str:
    mark = m.group(2)
    if mark[0].isdigit():  # "1." starts an ordered list; CommonMark escapes the punctuation: "1\."
        return m.group(1) + mark[:-1] + "\\" + mark[-1]
    return m.group(1) + "\\" + mark


def markdown_cell(text: str) -> str:
    """Data as the content of a Markdown table cell (inline only, so no block structure to escape): one line,
    no HTML, ``|`` escaped."""
    text = strip_controls(text, keep_newlines=False)
    return _no_links(_HTML_RE.sub(lambda m: _HTML[m.group()], text)).replace("|", "\\|")


def markdown_table(header: list[str], rows) -> list[str]:
    """A Markdown table as lines: the header, the rule, and one line per row; every cell goes through
    :func:`markdown_cell` (the one way jakplan writes a Markdown table)."""
    lines = ["| " + " | ".join(markdown_cell(str(h)) for h in header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(markdown_cell(str(c)) for c in row) + " |" for row in rows]


def safe_console(**kwargs):
    """A rich Console that removes control characters from the text it prints (its own styling, rendered
    after, is kept): a file name or value holding ESC or BEL cannot reach the terminal."""
    return _safe_console_class()(**kwargs)


_SAFE_CONSOLE = None


def _safe_console_class():
    global _SAFE_CONSOLE
    if _SAFE_CONSOLE is None:
        from rich.console import Console
        from rich.segment import Segment

        class SafeConsole(Console):
            def on_broken_pipe(self) -> None:  # rich would exit 1 itself; jakplan.cli.guard ends it quietly (exit 0)
                raise BrokenPipeError

            def _render_buffer(self, buffer):  # the one place where rich turns segments into output text
                return super()._render_buffer(
                    seg if seg.control else Segment(strip_controls(seg.text), seg.style, seg.control) for seg in buffer
                )

        _SAFE_CONSOLE = SafeConsole
    return _SAFE_CONSOLE
