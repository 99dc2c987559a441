"""`json.dumps(value, indent=2, ensure_ascii=False)`, byte for byte, faster.

With `indent`, the standard library encodes in Python (its C encoder only writes compact
text), which made the canonical schema file the slowest step of planning a merge tree.
orjson writes the same indented layout in native code and escapes every string exactly
as the standard library does (checked for every code point in the tests); integers it
writes alike or refuses (beyond 64 bits). Floats are where they part (`1e-7` for
`1e-07`, `null` for NaN). So orjson's text is taken only when it holds no float and no
`null` at all; otherwise both write the value compact, and orjson's indented text is
taken only if every token agrees, else the standard library's own.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

# A float token always has a digit before its fraction or exponent; a NaN or an infinity
# becomes `null`. Anything matching (even inside a string) only sends the value the long way.
_FLOAT_OR_NULL = re.compile(rb"[0-9][.eE]|null")
# The standard library raises TypeError for these; orjson would write them.
_STRICT = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def indented(value: Any) -> str:
    """The text of `json.dumps(value, indent=2, ensure_ascii=False)` for a JSON value."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2 | _STRICT)
    except (TypeError, ValueError):  # a value orjson refuses: the standard library decides
        return json.dumps(value, indent=2, ensure_ascii=False)
    if _FLOAT_OR_NULL.search(text) is None or _same_tokens(value):
        return text.decode("utf-8")
    return json.dumps(value, indent=2, ensure_ascii=False)


def _same_tokens(value: Any) -> bool:
    # The layout of indented text follows from the tokens alone.
    try:
        return orjson.dumps(value, option=_STRICT) == json.dumps(
            value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        return False
