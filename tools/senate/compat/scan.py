"""Walks over raw schema documents that do not need views: dirt scanning and anchors."""

from __future__ import annotations

from typing import Any

REF_KEYS = frozenset({"$ref", "$dynamicRef", "$recursiveRef"})
HAS_REF = 1
HAS_BOOL_NUMBER = 2
_DATA_KEYS = frozenset({"enum", "const", "default", "examples"})
_NUMERIC = (bool, int, float)


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


def index_anchors(node: Any, anchors: dict[str, Any]) -> None:
    if isinstance(node, dict):
        anchor = node.get("$anchor")
        if isinstance(anchor, str):
            anchors.setdefault(anchor, node)
        legacy = node.get("$id", node.get("id"))
        if isinstance(legacy, str) and legacy.startswith("#"):
            anchors.setdefault(legacy[1:], node)
        for value in node.values():
            index_anchors(value, anchors)
    elif isinstance(node, list):
        for value in node:
            index_anchors(value, anchors)
