"""JSON text for files and standard output: ``json.dumps(obj, indent=2, ensure_ascii=False)``, byte for byte,
written by ``orjson`` (a kept, fast encoder; about 40x faster on a plan) when it is installed.

orjson writes the same text as the standard library for what jakplan emits (str keys, str/int/float/bool/None
values, lists and dicts): two-space indents, ``", "`` → ``","`` + newline, ``": "`` after keys, UTF-8 text
unescaped, ``[]``/``{}`` for empty containers. It differs on floats written in exponent form (``1e16`` vs
``1e+16``), on NaN/Infinity (orjson writes null) and on non-str keys (refused): for those, and if orjson is missing, the
standard library writes the text. tests/test_register.py checks the two agree on every shipped protocol's plan.
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; the standard library is the fallback
    orjson = None  # type: ignore[assignment]


def _std(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False)


def _plain_floats(obj: Any) -> bool:
    """True unless a float is written in exponent form or is not finite (where the two encoders differ)."""
    stack = [obj]
    while stack:
        o = stack.pop()
        kind = type(o)
        if kind is str or kind is int or kind is bool or o is None:
            continue  # the most of any output, told apart by exact type
        if isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
        elif isinstance(o, float) and not (o == 0 or 1e-4 <= abs(o) < 1e16):
            return False  # repr writes an exponent below 1e-4 and from 1e16 on; NaN and infinities fail the test too
    return True


def json_text(obj: Any) -> str:
    """``json.dumps(obj, indent=2, ensure_ascii=False)`` (see the module docstring)."""
    if orjson is None or not _plain_floats(obj):
        return _std(obj)
    try:
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode("utf-8")
    except TypeError:  # non-str keys, an integer beyond 64 bits, a type orjson does not write
        return _std(obj)
