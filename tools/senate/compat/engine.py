"""The comparison of two schema views, keyword family by keyword family, and the
public entry points `diff` and `compare`.

Each family looks only at its own keywords and reports changes whose direction holds
for that keyword alone. Keywords of one schema are a conjunction, so if every family's
accepted set grows, the schema's accepted set grows: the verdict is sound. Keywords
whose meaning depends on siblings (additionalProperties, items, unevaluated*) are
compared inside one family with the siblings they depend on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from senate.compat.arrays import ARRAY_KEYWORDS, array_changes
from senate.compat.ctx import CYCLE, Ctx, change, unknown
from senate.compat.dialect import DEFAULT_DIALECT, Dialect, dialect_of
from senate.compat.leaf import (
    LEAF_KEYWORDS,
    MALFORMED,
    TYPED,
    leaf_changes,
    leaf_report,
    malformed,
    own_leaves,
    prune_types,
    without,
)
from senate.compat.logic import (
    COMBINATORS,
    LOGIC_KEYWORDS,
    combinator_changes,
    conditional_changes,
    not_changes,
    wrap,
)
from senate.compat.model import Change, Mode, Policy, Report, breaks_in
from senate.compat.objects import OBJECT_KEYWORDS, object_changes
from senate.compat.resolve import (
    FALSE,
    PASSIVE,
    REMOTE_KEY,
    TRUE,
    UNKNOWN_KEY,
    Document,
    View,
    needs_normalising,
)
from senate.compat.scalar import SCALAR_KEYWORDS, scalar_changes
from senate.compat.scan import HAS_BOOL_NUMBER, canonical, shape_problem

# Keys Senate knows and either compares or deliberately ignores. `$defs` are compared
# through the references that use them, never as such; `$schema` and `$anchor` do not
# change meaning. Everything else is unknown and fails closed when it differs.
KNOWN = SCALAR_KEYWORDS | OBJECT_KEYWORDS | ARRAY_KEYWORDS | LOGIC_KEYWORDS | PASSIVE | {
    REMOTE_KEY, UNKNOWN_KEY}
METADATA = "x-senate-version"  # the registry's version number, not part of the schema

# Each family with the keywords that can make it report anything.
_FAMILIES = (
    (scalar_changes, SCALAR_KEYWORDS),
    (object_changes, OBJECT_KEYWORDS),
    (array_changes, ARRAY_KEYWORDS),
    (not_changes, frozenset({"not"})),
    (conditional_changes, frozenset({"if"})),
    (combinator_changes, frozenset(COMBINATORS)),
)


def compare_views(ctx: Ctx, o: View, n: View) -> list[Change]:
    if o is n:
        return []
    if o is FALSE or n is FALSE:
        if o is n:
            return []
        if o is FALSE:
            return [change("schema_opened", "", "forward",
                           "accepted nothing (false), now accepts values")]
        return [change("schema_closed", "", "backward", "now accepts nothing (false)")]
    keys = o.keys() | n.keys()
    if FAST and keys <= LEAF_KEYWORDS:
        return leaf_changes(ctx.old.dialect, ctx.new.dialect, o, n, keys)
    # Each step below runs only when a keyword it looks at is present.
    # (Typed keywords are pruned only when both sides declare types.)
    if ("type" in o and "type" in n and not keys.isdisjoint(TYPED)) or \
            not keys.isdisjoint(_PRUNE_ALWAYS):
        o, n = _prune(ctx, o, n)
        keys = o.keys() | n.keys()
    out = _undecidable(ctx, o, n) if not keys.isdisjoint(_MARKS) else []
    if not keys.isdisjoint(COMBINATORS):
        wrapped = wrap(ctx, o, n)
        if wrapped is not None:
            return out + wrapped
    for family, family_keys in _FAMILIES:
        if not keys.isdisjoint(family_keys):
            out += family(ctx, o, n)
    if not keys.isdisjoint(_UNEVALUATED):
        out += _unevaluated_guard(ctx, o, n)
    for key in sorted(keys - KNOWN):  # sorted: set order varies between processes
        if key not in o or key not in n or canonical(o[key]) != canonical(n[key]):
            out.append(unknown("", f"unknown keyword {key!r} differs; Senate cannot tell "
                                   "what it means"))
    return out


_CONDITIONAL = ("if", "then", "else")
# What _prune may drop beside typed keywords: contains counts, a conditional.
_PRUNE_ALWAYS = frozenset({"minContains", "maxContains", *_CONDITIONAL})
_MARKS = frozenset({UNKNOWN_KEY, REMOTE_KEY})
_UNEVALUATED = frozenset({"unevaluatedProperties", "unevaluatedItems"})


def _prune(ctx: Ctx, o: View, n: View) -> tuple[View, View]:
    """Both views without keywords that cannot affect any instance either side accepts:
    keywords of a type neither side allows, minContains/maxContains without contains on
    either side, and a conditional with neither then nor else (unless unevaluated*
    could see the annotations of its if)."""
    o, n = prune_types(o, n)
    if "contains" not in o and "contains" not in n:
        o, n = without(o, _COUNTS), without(n, _COUNTS)
    return _inert_conditional(ctx.old, o), _inert_conditional(ctx.new, n)


_COUNTS = {"minContains", "maxContains"}


def _inert_conditional(doc: Document, view: View) -> View:
    if "if" not in view or "unevaluatedProperties" in view or "unevaluatedItems" in view:
        return view
    if _everything(doc.view(view.get("then", True))) and \
            _everything(doc.view(view.get("else", True))):
        return without(view, set(_CONDITIONAL))
    return view


def _everything(view: View) -> bool:
    return view is TRUE or not (view.keys() - PASSIVE)


def _undecidable(ctx: Ctx, o: View, n: View) -> list[Change]:
    out: list[Change] = []
    for view in (o, n):
        if UNKNOWN_KEY in view:
            out.append(unknown("", str(view[UNKNOWN_KEY])))
    if o.get(REMOTE_KEY) != n.get(REMOTE_KEY):
        out.append(unknown("", f"remote $ref {o.get(REMOTE_KEY)!r} -> {n.get(REMOTE_KEY)!r} "
                               "cannot be compared"))
    elif REMOTE_KEY in o:
        ctx.notes[f"the remote schema {o[REMOTE_KEY]} is taken to be the same document "
                  "for both versions"] = None
    return out


# What unevaluated* can see: keys/items evaluated by siblings and in-place applicators.
_IN_PLACE = ("allOf", "anyOf", "oneOf", "if", "then", "else", "dependentSchemas", REMOTE_KEY,
             UNKNOWN_KEY)
_EVALUATES = {
    "unevaluatedProperties": ("properties", "patternProperties", "additionalProperties",
                              *_IN_PLACE),
    "unevaluatedItems": ("prefixItems", "items", "contains", *_IN_PLACE),
}


def _unevaluated_guard(ctx: Ctx, o: View, n: View) -> list[Change]:
    """unevaluated* apply to what nothing else evaluated. Comparing them keyword by keyword
    is sound only when both sides evaluate the same keys and items: the same property
    names and patterns, tuples of one length, and raw-equal in-place applicators and
    contains (whose annotations depend on which documents they accept)."""
    out: list[Change] = []
    for doc, view in ((ctx.old, o), (ctx.new, n)):
        if doc.dialect.level == 3 and "unevaluatedProperties" in view \
                and "additionalProperties" in view:
            # jsonschema's 2019-09 validator applies both to the same keys.
            return [unknown("", "unevaluatedProperties beside additionalProperties (2019-09): "
                                "both apply to the same keys; not compared")]
    # Without in-place applicators (and, for items, contains) the keys and items left
    # unevaluated follow from this object's own keywords, which the families model.
    plain = not any(k in o or k in n for k in _IN_PLACE)
    for keyword, evaluators in _EVALUATES.items():
        if keyword not in o and keyword not in n:
            continue
        local = plain and (keyword == "unevaluatedProperties" or (
            "contains" not in o and "contains" not in n))
        for key in evaluators:
            if not (local or _same_evaluation(ctx, key, o.get(key), n.get(key))):
                out.append(unknown("", f"{keyword} with {key} changed: which keys or items "
                                       "are left unevaluated is not tracked"))
                break
    return out


def _same_evaluation(ctx: Ctx, key: str, old: Any, new: Any) -> bool:
    if old is None or new is None:
        return old is new
    if key in ("properties", "patternProperties"):
        return isinstance(old, dict) and isinstance(new, dict) and old.keys() == new.keys()
    if key == "prefixItems":
        return isinstance(old, list) and isinstance(new, list) and len(old) == len(new)
    if key in ("additionalProperties", "items"):
        return True  # evaluates every remaining key / item either way
    # Canonically equal: the same keys at every level, so one side shows any reference.
    return canonical(old) == canonical(new) and not ctx.old.has_ref(old)


def _strip(schema: Any) -> Any:
    """The schema without Senate's registry metadata. Schemas are JSON-like data (dicts,
    lists, scalars as json.load makes them); a top-level Mapping is accepted too."""
    if type(schema) is dict and METADATA not in schema:
        return schema  # the common case, before the slower Mapping check
    if isinstance(schema, Mapping):
        return {k: v for k, v in schema.items() if k != METADATA}
    return schema


def compare(old: Mapping[str, Any], new: Mapping[str, Any], policy: Policy = "lenient",
            dialect: str = DEFAULT_DIALECT) -> Report:
    """All semantic changes from `old` to `new` and the verdict in each direction.

    Each side is read in the dialect its `$schema` declares, else in `dialect`."""
    old, new = _strip(old), _strip(new)
    # First, the bound every walk below relies on (scan.MAX_DEPTH).
    problem = shape_problem(old)
    where = "old"
    if problem is None:
        problem, where = shape_problem(new), "new"
    if FAST and problem is None:
        # The commonest small pair, decided before anything is set up for it.
        leaves = own_leaves(old, new, dialect)
        if leaves is not None:
            return leaves
    old_dialect, new_dialect = dialect_of(old, dialect), dialect_of(new, dialect)
    if old_dialect is None or new_dialect is None:
        side = old if old_dialect is None else new
        return Report.of((unknown("", f"$schema {side.get('$schema')!r} names no JSON Schema "
                                      "draft Senate knows"),))
    if problem is not None:
        return Report.of((unknown("", f"cannot compare: the {where} schema {problem}"),),
                         (old_dialect.name, new_dialect.name))
    if FAST and _leaf_pair(old, new, old_dialect, new_dialect):
        return leaf_report(old, new, old_dialect, new_dialect)
    names = (old_dialect.name, new_dialect.name)
    try:
        before = Document(old, old_dialect)
        # Raw-equal documents resolve every reference to raw-equal targets: no change,
        # unless a data position holds a boolean that `==` confuses with 0 or 1.
        if old == new and names[0] == names[1] and not before.dirt(old) & HAS_BOOL_NUMBER:
            return Report.of((), names)
        ctx = Ctx(before, Document(new, new_dialect), policy, compare_views)
        changes = _settled(ctx.rel(old, new))
        return Report.of(changes, names, tuple(ctx.notes))
    except MALFORMED as error:
        return malformed(error, names)


# The leaf paths (here and in compare_views) off: the general path alone, which the
# tests hold the leaf paths to.
FAST = True


def _leaf_pair(old: Any, new: Any, old_dialect: Dialect, new_dialect: Dialect) -> bool:
    """Whether both whole schemas are leaves that are their own views: then the general
    path reaches leaf_changes on them and nothing else (no reference, no memo)."""
    return (type(old) is dict and type(new) is dict and old.keys() <= LEAF_KEYWORDS
            and new.keys() <= LEAF_KEYWORDS
            and not needs_normalising(old, old_dialect, True)
            and not needs_normalising(new, new_dialect, True))


def _settled(changes: tuple[Change, ...]) -> tuple[Change, ...]:
    """The changes without cycle placeholders left unsettled, each once."""
    for c in changes:
        if c.kind == CYCLE:
            changes = tuple(c for c in changes if c.kind != CYCLE)
            break
    return tuple(dict.fromkeys(changes)) if len(changes) > 1 else changes


def diff(old: Mapping[str, Any], new: Mapping[str, Any], mode: Mode = "backward",
         policy: Policy = "lenient", dialect: str = DEFAULT_DIALECT) -> list[Change]:
    """All changes (mode does not filter), those breaking in `mode` first."""
    changes = compare(old, new, policy, dialect).changes
    return sorted(changes, key=lambda c: not (c.kind == "unknown" or breaks_in(c.breaks, mode)))
