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
