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
    seg,
    summary,
    unknowns,
)
from senate.compat.model import Breaks, Change, union
from senate.compat.resolve import FALSE, TRUE, View


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


def _is_open(ctx: Ctx, schema: Any, opened: bool) -> bool:
    return opened or ctx.old.view(schema) is TRUE


def _property_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    old_props, new_props = mapping(o, "properties"), mapping(n, "properties")
    out: list[Change] = []
    for name, new_schema in new_props.items():
        path = "/properties" + seg(name)
        if name in old_props:
            out += ctx.at(old_props[name], new_schema, path)
            continue
        before, opened = _governing(ctx, o, name, None)
        after, _ = _governing(ctx, n, name, new_schema)
        sub = ctx.rel(before, after)
        breaks = summary(sub)
        if _is_open(ctx, before, opened) and ctx.policy == "lenient":
            breaks = "forward" if breaks in ("forward", "both") else "none"
            why = ("the object was open; the lenient policy assumes old documents do not "
                   "already use this key")
        elif _is_open(ctx, before, opened):
            why = "the object was open: old documents may already hold this key with another value"
        elif ctx.old.view(before) is FALSE:
            why = "the key was not allowed before, so new documents holding it are new"
        else:
            why = first_reason(sub)
        out.append(change("property_added", path, breaks, f"property {name!r} added: {why}"))
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


def _pattern_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    old_pats, new_pats = mapping(o, "patternProperties"), mapping(n, "patternProperties")
    out: list[Change] = []
    for pattern, schema in new_pats.items():
        path = "/patternProperties" + seg(pattern)
        if pattern in old_pats:
            out += ctx.at(old_pats[pattern], schema, path)
            continue
        before = _fallback(o)
        sub = ctx.rel(before, schema)
        breaks: Breaks = summary(sub)
        if _is_open(ctx, before, False) and ctx.policy == "lenient":
            breaks = "forward" if breaks in ("forward", "both") else "none"
        if old_pats and ctx.new.view(schema) is not TRUE:
            # Keys matching an old pattern too now also face this one.
            breaks = union(breaks, "backward")
        # Declared properties whose names match now face this pattern as well.
        for name, declared in mapping(o, "properties").items():
            if matches(pattern, name) and not ctx.subsumes(declared, schema):
                breaks = union(breaks, "backward")
        out.append(change("pattern_property_added", path, breaks,
                          f"keys matching {pattern!r} now constrained: {first_reason(sub)}"))
        out += unknowns(sub, path)
    for pattern, schema in old_pats.items():
        if pattern in new_pats:
            continue
        path = "/patternProperties" + seg(pattern)
        sub = ctx.rel(schema, _fallback(n))
        out.append(change("pattern_property_removed", path, summary(sub),
                          f"keys matching {pattern!r} fall back to additionalProperties: "
                          f"{first_reason(sub)}"))
        out += unknowns(sub, path)
    return out


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
