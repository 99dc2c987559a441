"""Object keywords: properties under open, closed and partially open content models,
required, dependentRequired / dependentSchemas, propertyNames, patternProperties.

A named key is governed by `properties[key]` together with every matching
`patternProperties` entry, and otherwise by `additionalProperties` (then by
`unevaluatedProperties`, then by nothing). Adding or removing a property therefore
compares the key's new schema with the schema that governed that key before.
"""

from __future__ import annotations

from typing import Any

from senate.compat.ctx import (
    Ctx,
    change,
    first_reason,
    mapping,
    matches,
    rebase,
    seg,
    summary,
    unknown,
    unknowns,
)
from senate.compat.model import Change
from senate.compat.resolve import FALSE, View
from senate.compat.scan import canonical


def _fallback(view: View) -> Any:
    if "additionalProperties" in view:
        return view["additionalProperties"]
    return view.get("unevaluatedProperties", True)


def _governing(ctx: Ctx, view: View, name: str, own: Any) -> tuple[Any, bool]:
    """The schema a key is validated against, and whether it was simply unconstrained."""
    patterns = [s for p, s in mapping(view, "patternProperties").items() if matches(p, name)]
    parts = ([own] if own is not None else []) + patterns
    if not parts:
        rest = _fallback(view)
        return rest, rest is True or rest == {}
    if len(parts) == 1:
        return parts[0], False
    return ctx.keep({"allOf": parts}), False


def _patterns_of(ctx: Ctx, view: View, name: str) -> list[tuple[str, str]]:
    return [(p, canonical(sch)) for p, sch in mapping(view, "patternProperties").items()
            if matches(p, name)]


def _same_patterns(ctx: Ctx, o: View, n: View, name: str) -> bool:
    """Whether the same patternProperties entries (raw-equal, no references) apply to
    `name` on both sides, so its own schemas can be compared alone."""
    if "patternProperties" not in o and "patternProperties" not in n:
        return True
    old, new = _patterns_of(ctx, o, name), _patterns_of(ctx, n, name)
    if old != new:
        return False
    return not any(ctx.old.has_ref(mapping(o, "patternProperties")[p]) for p, _ in old)


def _lenient_note(name: str) -> str:
    return (f"old documents do not already hold the key {name!r} (lenient open content: "
            "a new optional property of an open object)")


def _property_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    old_props, new_props = mapping(o, "properties"), mapping(n, "properties")
    out: list[Change] = []
    required = set(n.get("required", [])) if isinstance(n.get("required"), list) else set()
    unchanged = ctx.unchanged
    for name, new_schema in new_props.items():
        if name in old_props and _same_patterns(ctx, o, n, name):
            old_schema = old_props[name]
            # What ctx.rel answers first for such a pair (no change), without building
            # the pair's path: a schema of 5,000 fields that changes three has 4,997.
            if not unchanged(old_schema, new_schema):
                out += ctx.at(old_schema, new_schema, "/properties" + seg(name))
            continue
        path = "/properties" + seg(name)
        before, opened = _governing(ctx, o, name, old_props.get(name))
        after, _ = _governing(ctx, n, name, new_schema)
        sub = ctx.rel(before, after)
        if name in old_props:
            out += rebase(sub, path)  # the patterns that apply to it changed
            continue
        breaks = summary(sub)
        assumed = ""
        if opened and ctx.lenient and name not in required \
                and ctx.new.view(new_schema) is not FALSE and breaks in ("backward", "both"):
            # The one lenient assumption (README): a new optional property of an open
            # object. Only the backward direction rests on it, and the report says so.
            breaks = "forward" if breaks == "both" else "none"
            why = ("the object was open; the lenient policy assumes old documents do not "
                   "already use this key")
            assumed = _lenient_note(name)
        elif opened:
            why = "the object was open: old documents may already hold this key with another value"
        elif ctx.old.view(before) is FALSE:
            why = "the key was not allowed before, so new documents holding it are new"
        else:
            why = first_reason(sub)
        out.append(change("property_added", path, breaks, f"property {name!r} added: {why}",
                          assumed))
        out += unknowns(sub, path)
    for name, old_schema in old_props.items():
        if name in new_props:
            continue
        path = "/properties" + seg(name)
        before, _ = _governing(ctx, o, name, old_schema)
        after, opened = _governing(ctx, n, name, None)
        sub = ctx.rel(before, after)
        if opened:
            why = "the object stays open, so new documents may use this key with any value"
        else:
            why = first_reason(sub)
        out.append(change("property_removed", path, summary(sub),
                          f"property {name!r} removed: {why}"))
        out += unknowns(sub, path)
    return out


_MAX_PATTERNS = 4  # regions of keys to compare: 2**n - 1


def _pattern_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    old_pats, new_pats = mapping(o, "patternProperties"), mapping(n, "patternProperties")
    if old_pats.keys() == new_pats.keys():
        # Each key faces the conjunction of the patterns it matches: comparing pattern by
        # pattern is sound (every conjunct widens => the conjunction widens).
        out: list[Change] = []
        for pattern, schema in new_pats.items():
            out += ctx.at(old_pats[pattern], schema, "/patternProperties" + seg(pattern))
        return out
    patterns = list(dict.fromkeys([*old_pats, *new_pats]))
    if len(patterns) > _MAX_PATTERNS:
        return [unknown("/patternProperties", f"more than {_MAX_PATTERNS} patternProperties "
                                              "entries changed together; not compared")]
    # A key not declared in properties matches some set of the patterns (which sets are
    # possible is not decided here: every one is assumed possible) and faces their
    # conjunction, or additionalProperties when it matches none.
    out = []
    for mask in range(1, 1 << len(patterns)):
        region = [p for i, p in enumerate(patterns) if mask >> i & 1]
        before = _conjunction(ctx, [old_pats[p] for p in region if p in old_pats], o)
        after = _conjunction(ctx, [new_pats[p] for p in region if p in new_pats], n)
        sub = ctx.rel(before, after)
        if not sub:
            continue
        moved = [p for p in region if (p in old_pats) != (p in new_pats)]
        head = moved[0] if moved else region[0]
        kind = "pattern_property_added" if head in new_pats else "pattern_property_removed"
        path = "/patternProperties" + seg(head)
        out.append(change(kind, path, summary(sub),
                          f"keys matching {' and '.join(map(repr, region))}: "
                          f"{first_reason(sub)}"))
        out += unknowns(sub, path)
    return out


def _conjunction(ctx: Ctx, parts: list[Any], view: View) -> Any:
    if not parts:
        return _fallback(view)
    if len(parts) == 1:
        return parts[0]
    return ctx.keep({"allOf": parts})


def _required_changes(o: View, n: View) -> list[Change]:
    old, new = o.get("required", []), n.get("required", [])
    if old == new:
        return []
    out = [change("required_added", "/required" + seg(name), "backward",
                  f"property {name!r} is now required")
           for name in new if name not in old]
    out += [change("required_removed", "/required" + seg(name), "forward",
                   f"property {name!r} is no longer required")
            for name in old if name not in new]
    return out


def _dependent_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    out: list[Change] = []
    old_req, new_req = mapping(o, "dependentRequired"), mapping(n, "dependentRequired")
    for key in dict.fromkeys([*old_req, *new_req]):
        path = "/dependentRequired" + seg(key)
        before, after = set(old_req.get(key, [])), set(new_req.get(key, []))
        if after - before:
            out.append(change("dependent_required_added", path, "backward",
                              f"when {key!r} is present, {sorted(after - before)} now required"))
        if before - after:
            out.append(change("dependent_required_removed", path, "forward",
                              f"when {key!r} is present, {sorted(before - after)} "
                              "no longer required"))
    old_dep, new_dep = mapping(o, "dependentSchemas"), mapping(n, "dependentSchemas")
    for key in dict.fromkeys([*old_dep, *new_dep]):
        path = "/dependentSchemas" + seg(key)
        if key in old_dep and key in new_dep:
            out += ctx.at(old_dep[key], new_dep[key], path)
            continue
        added = key in new_dep
        sub = ctx.rel(True, new_dep[key]) if added else ctx.rel(old_dep[key], True)
        out.append(change("dependent_schema_added" if added else "dependent_schema_removed",
                          path, summary(sub),
                          f"schema applied when {key!r} is present "
                          f"{'added' if added else 'removed'}: {first_reason(sub)}"))
        out += unknowns(sub, path)
    return out


def object_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    out = _property_changes(ctx, o, n) if ("properties" in o or "properties" in n) else []
    if "patternProperties" in o or "patternProperties" in n:
        out += _pattern_changes(ctx, o, n)
    for keyword in ("additionalProperties", "unevaluatedProperties", "propertyNames"):
        if keyword in o or keyword in n:
            out += ctx.at(o.get(keyword, True), n.get(keyword, True), "/" + keyword)
    if "required" in o or "required" in n:
        out += _required_changes(o, n)
    if o.keys() & _DEPENDENT or n.keys() & _DEPENDENT:
        out += _dependent_changes(ctx, o, n)
    return out


_DEPENDENT = frozenset({"dependentRequired", "dependentSchemas"})
OBJECT_KEYWORDS = frozenset(
    {"properties", "patternProperties", "additionalProperties", "unevaluatedProperties",
     "propertyNames", "required", *_DEPENDENT}
)
