"""Leaves: schemas whose keywords all constrain one value (type, enum, bounds, lengths,
pattern, format, annotations), compared without documents, references or a memo.

Most subschemas are leaves, and so are many whole small schemas. The general path
reaches the same scalar family for them after steps (views, the pair memo, the family
dispatch) whose checks cost more than their work there. `leaf_changes` is exactly what
that path computes for such a pair: the same pruning of typed keywords, the same family,
in the same order (tests/test_compat_leaf.py holds the two to each other).
"""

from __future__ import annotations

from senate.compat.dialect import Dialect
from senate.compat.model import Change
from senate.compat.resolve import PASSIVE, View
from senate.compat.scalar import SCALAR_KEYWORDS, scalar_family, types

# Keywords that constrain only instances of one type (the validator skips the rest).
BY_TYPE = (
    (frozenset({"object"}), frozenset({
        "properties", "patternProperties", "additionalProperties", "unevaluatedProperties",
        "propertyNames", "required", "dependentRequired", "dependentSchemas",
        "minProperties", "maxProperties"})),
    (frozenset({"array"}), frozenset({
        "prefixItems", "items", "unevaluatedItems", "contains", "minContains", "maxContains",
        "minItems", "maxItems", "uniqueItems"})),
    (frozenset({"string"}), frozenset({"minLength", "maxLength", "pattern"})),
    (frozenset({"number", "integer"}), frozenset({
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})),
)
TYPED = frozenset().union(*(k for _, k in BY_TYPE))

# The keywords of a leaf view: the scalar family's and those no family compares.
# minContains/maxContains only count what a contains matches: not leaves.
LEAF_KEYWORDS = (SCALAR_KEYWORDS | PASSIVE) - {"minContains", "maxContains"}


def prune_types(o: View, n: View) -> tuple[View, View]:
    """Both views without the keywords of a type neither side allows."""
    old_types, new_types = types(o), types(n)
    if old_types is None or new_types is None:
        return o, n
    allowed = old_types | new_types
    drop: set[str] = set()
    for needs, keywords in BY_TYPE:
        if not allowed & needs:
            drop |= keywords
    return without(o, drop), without(n, drop)


def without(view: View, drop: set[str]) -> View:
    return {k: v for k, v in view.items() if k not in drop} if drop & view.keys() else view


def leaf_changes(old: Dialect, new: Dialect, o: View, n: View,
                 keys: frozenset[str] | set[str]) -> list[Change]:
    """The changes between two leaf views (`keys`: the union of theirs, all leaf keywords),
    read in dialects `old` and `new`."""
    if not keys.isdisjoint(TYPED):
        o, n = prune_types(o, n)
    return scalar_family(old, new, o, n)
