"""Walks over raw schema documents that do not need views: dirt scanning and anchors."""

from __future__ import annotations

import json
from typing import Any

REF_KEYS = frozenset({"$ref", "$dynamicRef", "$recursiveRef"})
HAS_REF = 1
HAS_BOOL_NUMBER = 2
_DATA_KEYS = frozenset({"enum", "const", "default", "examples"})
_NUMERIC = (bool, int, float)


# Bounds on what the engine reads. Compiled code (native.py) recurses on the C stack,
# which Python's recursion limit does not guard: the raw walks (scan, canonical, conjoin)
# are bounded by MAX_DEPTH, checked on each whole document before anything else, and the
# walks through references (views, comparisons) by MAX_NESTING. Both are low enough that
# pure Python never reaches its own recursion limit first, so the two builds agree.
MAX_DEPTH = 256  # objects and arrays within one another, from a document's root
MAX_NESTING = 64  # subschemas compared within one another, or views built within one another


def shape_problem(root: Any) -> str | None:
    """Why the engine does not read the document `root` ("nests ...", "has ..."): nested
    deeper than MAX_DEPTH, or an object key that is not a string (JSON has no other)."""
    kind = type(root)
    level: list[Any] = [root] if kind is dict or kind is list else []
    depth = 0
    while level:
        if depth >= MAX_DEPTH:  # (depth counts from 0 at the root)
            return f"nests objects and arrays more than {MAX_DEPTH} deep"
        below: list[Any] = []
        for node in level:  # a level at a time: no recursion, no tuple per node
            if type(node) is dict:
                for key, value in node.items():
                    if type(key) is not str:
                        return f"has an object key that is not a string ({key!r})"
                    kind = type(value)
                    if kind is dict or kind is list:
                        below.append(value)
            else:
                for value in node:
                    kind = type(value)
                    if kind is dict or kind is list:
                        below.append(value)
        level = below
        depth += 1
    return None


def scan(node: Any, memo: dict[int, int], data: bool = False) -> int:
    """Why raw equality of this container may not imply equal meaning, as bits.

    Python's `==` fails that in two ways: a reference below may point at different
    targets on each side (HAS_REF), and in data positions (enum, const, ...) `True == 1`
    and `False == 0` although JSON Schema tells them apart (HAS_BOOL_NUMBER). Memoises
    the answer for every container outside data positions.
    """
    found = 0
    if type(node) is dict:
        if not REF_KEYS.isdisjoint(node):
            found = HAS_REF
        if "multipleOf" in node and not data:
            # `2 == 2.0` in Python, but the validator divides by a float and takes an int
            # modulo: a multipleOf is never judged by raw equality.
            found |= HAS_BOOL_NUMBER
        for key, value in node.items():
            kind = type(value)
            if kind is dict or kind is list:
                found |= scan(value, memo, data or key in _DATA_KEYS)
            elif (data or key in _DATA_KEYS) and kind in _NUMERIC and value in (0, 1):
                found |= HAS_BOOL_NUMBER
    else:
        for value in node:
            kind = type(value)
            if kind is dict or kind is list:
                found |= scan(value, memo, data)
            elif data and kind in _NUMERIC and value in (0, 1):
                found |= HAS_BOOL_NUMBER
    if not data:
        memo[id(node)] = found
    return found


def canonical(value: Any) -> str:
    """A key equal for JSON values JSON Schema treats as equal (1 == 1.0, key order),
    and different for `true` and `1`. Scalars take a short tagged form (the hot path);
    containers their sorted JSON text."""
    kind = type(value)
    if kind is str:
        return "s" + str(value)
    if kind is bool:
        return "b1" if value else "b0"
    if kind is int:
        return "n" + str(value)
    if kind is float:
        return "n" + (str(int(value)) if value.is_integer() else repr(value))
    if value is None:
        return "z"
    return "j" + json.dumps(_canon(value), sort_keys=True, separators=(",", ":"))


def _canon(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canon(v) for v in value]
    return value
