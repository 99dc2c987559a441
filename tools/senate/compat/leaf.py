"""Leaves: schemas whose keywords all constrain one value (type, enum, bounds, lengths,
pattern, format, annotations), compared without documents, references or a memo.

Most subschemas are leaves, and so are many whole small schemas. The general path
reaches the same scalar family for them after steps (views, the pair memo, the family
dispatch) whose checks cost more than their work there. `leaf_changes` is exactly what
that path computes for such a pair: the same pruning of typed keywords, the same family,
in the same order (tests/test_compat_leaf.py holds the two to each other).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from senate.compat.ctx import unknown
from senate.compat.dialect import DIALECTS, Dialect
from senate.compat.model import Change, Report
from senate.compat.resolve import FOREIGN, PASSIVE, View
from senate.compat.scalar import ALL_TYPES, SCALAR_KEYWORDS, scalar_family, types
from senate.compat.scan import HAS_BOOL_NUMBER, scan

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
# Per dialect, the leaf keywords of a schema that is its own view there, as a whole
# document without `$schema` (and without registry metadata): none foreign to the
# dialect, no exclusive bound (spelled as a boolean up to draft-04).
_OWN = {name: (LEAF_KEYWORDS - FOREIGN[name] - {"$schema", "exclusiveMinimum",
                                                "exclusiveMaximum"}, dialect, (name, name))
        for name, dialect in DIALECTS.items()}


def prune_types(o: View, n: View) -> tuple[View, View]:
    """Both views without the keywords of a type neither side allows."""
    named = o.get("type")
    known = _BY_NAME.get(named) if type(named) is str and named == n.get("type") else None
    if known is not None:
        drop = known  # one type on both sides (the common leaf)
    else:
        old_types, new_types = types(o), types(n)
        if old_types is None or new_types is None:
            return o, n
        drop = _dropped(old_types | new_types)
    if not drop:
        return o, n
    return without(o, drop), without(n, drop)


@lru_cache(maxsize=256)  # one entry per set of type names: at most 2**7
def _dropped(allowed: frozenset[str]) -> frozenset[str]:
    return frozenset().union(*(keywords for needs, keywords in BY_TYPE if not allowed & needs))


_BY_NAME = {name: _dropped(frozenset((name,))) for name in ALL_TYPES}


def without(view: View, drop: set[str] | frozenset[str]) -> View:
    return view if drop.isdisjoint(view) else {k: v for k, v in view.items() if k not in drop}


def leaf_changes(old: Dialect, new: Dialect, o: View, n: View, keys: set[str]) -> list[Change]:
    """The changes between two leaf views (`keys`: the union of theirs, all leaf keywords),
    read in dialects `old` and `new`."""
    if not keys.isdisjoint(TYPED):
        pruned = prune_types(o, n)
        if pruned[0] is not o or pruned[1] is not n:
            return scalar_family(old, new, *pruned)
    return scalar_family(old, new, o, n, keys)


def own_leaves(old: Any, new: Any, dialect: str) -> Report | None:
    """The report on `old` and `new` when, read in `dialect` (neither names another),
    both are leaves that are their own views; else None."""
    found = _OWN.get(dialect) if type(dialect) is str else None
    if found is None or type(old) is not dict or type(new) is not dict:
        return None
    own, chosen, names = found
    if old.keys() <= own and new.keys() <= own:
        return leaf_report(old, new, chosen, chosen, names)
    return None


def leaf_report(old: View, new: View, old_dialect: Dialect, new_dialect: Dialect,
                names: tuple[str, str] | None = None) -> Report:
    """The report on two whole leaves that are their own views, as compare makes it
    (`names`: the two dialects' names, when the caller has them)."""
    if names is None:
        names = (old_dialect.name, new_dialect.name)
    try:
        if old is new:
            return Report.of((), names)  # one view on both sides (as compare_views has it)
        # Raw equality means no change unless `==` confused a boolean with 0 or 1.
        if old == new and old_dialect is new_dialect and not scan(old, {}) & HAS_BOOL_NUMBER:
            return Report.of((), names)
        found = leaf_changes(old_dialect, new_dialect, old, new, old.keys() | new.keys())
        return Report.of(tuple(dict.fromkeys(found)) if len(found) > 1 else tuple(found), names)
    except MALFORMED as error:
        return malformed(error, names)


MALFORMED = (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError)


def malformed(error: Exception, names: tuple[str, str]) -> Report:
    # Malformed input (a keyword with a value of the wrong JSON type) or nesting deeper
    # than Python's stack: proposals validate schemas first, so this is rare; fail closed.
    reason = f"{type(error).__name__}: {error}"[:200]
    return Report.of((unknown("", "cannot compare: a schema is malformed or nested too "
                                  f"deeply ({reason})"),), names)
