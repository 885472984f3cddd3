"""jakplan.escape: the one place where text from data is made safe for each output."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jakplan.escape import has_controls, markdown_cell, markdown_text, one_line, strip_controls


def test_one_line_shows_controls_escaped():
    assert one_line("2024-05-01\nError: forged\x1b[31m\u2028") == "2024-05-01\\nError: forged\\x1b[31m\\u2028"
    assert one_line("plain text, é, 日本") == "plain text, é, 日本"


@given(st.text())
def test_one_line_is_always_one_printable_line(text):
    out = one_line(text)
    assert "\n" not in out and "\r" not in out and not has_controls(out)


@given(st.text())
def test_strip_controls_leaves_no_control_but_line_feeds(text):
    out = strip_controls(text)
    assert not has_controls(out, allow_newlines=True) and "\r" not in out and "\t" not in out
    assert "\n" not in strip_controls(text, keep_newlines=False)


@pytest.mark.parametrize("text, expected", [
    ("eGFR < 30 & ALT > 3x ULN", "eGFR < 30 & ALT > 3x ULN"),  # ordinary text is left as written
    ("<script>alert(1)</script>", "&lt;script>alert(1)&lt;/script>"),
    ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)>"),
    ("&amp; &#60;", "&amp;amp; &amp;#60;"),
    ("# heading", "\\# heading"),
    ("> quote", "\\> quote"),
    ("- item", "\\- item"),
    ("1. item", "1\\. item"),
    ("a\nb", "a b"),
])
def test_markdown_text(text, expected):
    assert markdown_text(text) == expected


def test_markdown_cell_escapes_the_cell_separator_and_html_only():
    assert markdown_cell("a | b <b>x</b>") == "a \\| b &lt;b>x&lt;/b>"
    assert markdown_cell("-") == "-" and markdown_cell("a\nb") == "a b"


@given(st.text(alphabet=st.one_of(st.characters(codec="utf-8"),
                                  st.sampled_from("\t\n\r\x00\x1b\x7f\x85\x9f\u00ad\u200b\u2028\u2029\u202a\u202e\u2066\u2069 a")),
               max_size=40), st.booleans())
def test_has_controls_is_the_patterns_own_answer(text, allow_newlines):
    """has_controls answers printable text at once (str.isprintable) and the rest by its pattern: the same
    answer as the pattern alone, whatever the text."""
    import re

    from jakplan import escape

    pattern = escape._CONTROL_BUT_NL if allow_newlines else escape._CONTROL
    assert has_controls(text, allow_newlines) == any(m.group() != "\t" for m in re.finditer(pattern, text))
