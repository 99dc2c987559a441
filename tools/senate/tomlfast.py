"""A fast reader for the flat TOML subset `senate init` writes; tomllib stays the reference.

Counting a proposal reads senate.toml at the base, and for a roster of 10,000 agents
tomllib costs about as much as verifying a quarter of the votes. `senate.toml` as Senate
writes it uses only: comments, blank lines, `[table]` and `[[array]]` headers with bare
names, and `key = value` with a bare key, one space either side of '=', and a value that
is a plain double-quoted string (printable ASCII, no escapes), a decimal integer without
sign or underscores, or true/false. `loads_flat` returns what tomllib would for such a
document and None for anything else (including everything tomllib rejects, such as a
repeated key or table), so the caller falls back to tomllib, which then decides.
"""

from __future__ import annotations

import re
from typing import Any

# One line of the subset; exactly one group matches. Anything else -> None (fall back).
_LINE = re.compile(
    r"(?:"
    r"(?P<comment>#[ -~\t]*)"  # tomllib refuses control characters in comments
    r"|\[(?P<table>[A-Za-z0-9_-]+)\]"
    r"|\[\[(?P<array>[A-Za-z0-9_-]+)\]\]"
    r"|(?P<key>[A-Za-z0-9_-]+) = (?:"
    r'"(?P<str>[ !#-\[\]-~]*)"'  # printable ASCII without '"' and '\\': no escapes
    r"|(?P<int>0|[1-9][0-9]*)"
    r"|(?P<bool>true|false))"
    r")\Z"
)


def loads_flat(text: str) -> dict[str, Any] | None:
    """tomllib.loads(text) for the flat subset; None when `text` is outside it."""
    root: dict[str, Any] = {}
    arrays: set[str] = set()  # names made by [[name]], which may be appended to
    current = root
    for line in text.split("\n"):
        if not line:
            continue
        m = _LINE.match(line)
        if m is None:
            return None
        kind = m.lastgroup
        if kind == "comment":
            continue
        if kind == "table":
            name = m.group("table")
            if name in root:
                return None  # a redefined table or a key reused as a table
            current = root[name] = {}
        elif kind == "array":
            name = m.group("array")
            if name in root and name not in arrays:
                return None
            arrays.add(name)
            current = {}
            root.setdefault(name, []).append(current)
        else:
            key = m.group("key")
            if key in current:
                return None
            value: str | int | bool
            if m.group("str") is not None:
                value = m.group("str")
            elif m.group("int") is not None:
                value = int(m.group("int"))
            else:
                value = m.group("bool") == "true"
            current[key] = value
    return root
