"""`a ∧ b` as one keyword map, when that can be done exactly.

Used to compare then/else in the context of the keywords beside them: a constraint that
then adds but its siblings already impose is no narrowing.
"""

from __future__ import annotations

from typing import Any

from senate.compat.resolve import _SCOPED, FALSE, PASSIVE, Document, Kept, View
from senate.compat.scan import MAX_NESTING, canonical

# additionalProperties / patternProperties / unevaluated* see their sibling properties:
# merging two property maps under them would change what they see.
_CONTENT = frozenset({"additionalProperties", "patternProperties", "unevaluatedProperties"})
_PROPERTIES = frozenset({"properties"})


def conjoin(doc: Document, a: View, b: View, keep: Kept) -> View | None:
    """The conjunction of two views of `doc`, or None when no exact merge exists.

    Constructed nodes are appended to `keep`, so their ids stay valid memo keys.
    """
    return _conjoin(doc, a, b, keep, _Merging(), 0)


class _Merging:
    """One conjunction: the pairs being merged, and how many merges it has made."""

    __slots__ = ("active", "made")

    def __init__(self) -> None:
        self.active: set[tuple[int, int]] = set()
        self.made = 0


# Merges one conjunction may make. Property schemas are merged through their views,
# which references make recursive (X.a -> X, a pair met again while being merged: no
# finite merge) and shared (two properties -> the next level: 2**depth paths). Each
# merge makes a new node, never a shared one, so the count bounds the size of the
# result, which `==` and the reference scan walk in full; MAX_NESTING bounds its depth.
# None is always safe: the caller then compares without the merge.
_MOST_MERGES = 256


def _conjoin(doc: Document, a: View, b: View, keep: Kept, state: _Merging,
             depth: int) -> View | None:
    key = (id(a), id(b))
    state.made += 1
    if key in state.active or state.made > _MOST_MERGES or depth >= MAX_NESTING:
        return None
    state.active.add(key)
    try:
        return _merge_views(doc, a, b, keep, state, depth)
    finally:
        state.active.discard(key)


def _merge_views(doc: Document, a: View, b: View, keep: Kept, state: _Merging,
                 depth: int) -> View | None:
    if a is FALSE or b is FALSE:
        return FALSE
    for group in _SCOPED:
        # Keywords that read their siblings (additionalProperties reads properties, items
        # reads prefixItems, maxContains reads contains, then reads if) mean what they
        # mean only beside their own siblings: both sides may hold them only when they
        # hold the same ones, or only property maps (merged below, when nothing reads them).
        mine, theirs = a.keys() & group, b.keys() & group
        if mine and theirs and not (mine == theirs and all(_same(a[k], b[k]) for k in mine)) \
                and not (mine == theirs == _PROPERTIES):
            return None
    out = dict(a)
    for key, value in b.items():
        if key in PASSIVE:
            out.setdefault(key, value)
        elif key not in out or _same(out[key], value):
            out[key] = value
        elif key == "required" and isinstance(value, list) and isinstance(out[key], list):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key == "properties" and isinstance(value, dict) and isinstance(out[key], dict):
            if (a.keys() | b.keys()) & _CONTENT:
                return None
            merged = dict(out[key])
            for name, schema in value.items():
                if name in merged and not _same(merged[name], schema):
                    both = _conjoin(doc, doc.view(merged[name]), doc.view(schema), keep,
                                    state, depth + 1)
                    if both is None:
                        return None
                    keep.append(both)
                    merged[name] = both
                else:
                    merged[name] = schema
            out[key] = merged
        else:
            return None
    keep.append(out)
    return out


def _same(a: Any, b: Any) -> bool:
    # Same document, so equal raw values mean the same; `True == 1` is the trap canonical
    # avoids (also inside lists: `[true] == [1]` in Python).
    return a is b or canonical(a) == canonical(b)
