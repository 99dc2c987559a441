"""`json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte, faster.

With `indent`, the standard library encodes in Python (its C encoder only writes compact
text), which made the canonical schema file the slowest step of planning a merge tree.
orjson writes the same indented layout in native code and escapes every string exactly
as the standard library does (checked for every code point in the tests); integers it
writes alike or refuses (beyond 64 bits). Floats are where they part (`1e-7` for
`1e-07`, `null` for NaN), and values JSON has not (a tuple, an enum, a UUID), which
orjson writes and the standard library writes otherwise or refuses. So orjson's text is
taken only when it reads back as the value itself and, if it may hold a float, when both
write the same compact tokens; otherwise the standard library writes it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# A float token always has a digit before its fraction or exponent. Anything matching
# (even inside a string) only sends the value the long way.
_FLOAT = re.compile(rb"[0-9][.eE]")
# What the standard library refuses to write (a dataclass, a datetime) or writes its own
# way (a subclass of str, int, dict or list): orjson refuses them too.
NOT_JSON = (orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_SUBCLASS)


def indented(value: Any) -> str:
    """The text of `json.dumps(value, indent=2, ensure_ascii=False)` for a JSON value."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2 | NOT_JSON)
    except (TypeError, ValueError):  # a value orjson refuses: the standard library decides
        return json.dumps(value, indent=2, ensure_ascii=False)
    # orjson also writes what is not JSON (a tuple, an enum, a UUID; NaN as null): only a
    # text that reads back as the very value is the value's.
    if orjson.loads(text) == value and (_FLOAT.search(text) is None or _same_tokens(value)):
        return text.decode("utf-8")
    return json.dumps(value, indent=2, ensure_ascii=False)


def _same_tokens(value: Any) -> bool:
    # The layout of indented text follows from the tokens alone.
    try:
        return orjson.dumps(value, option=NOT_JSON) == json.dumps(
            value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        return False
