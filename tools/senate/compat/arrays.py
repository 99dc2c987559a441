"""Array keywords: prefixItems and items (positional, with the rest-of-array fallback),
contains, unevaluatedItems. Count bounds and uniqueItems live with the scalar bounds."""

from __future__ import annotations

from typing import Any

from senate.compat.ctx import Ctx, change, first_reason, summary, unknowns
from senate.compat.model import Change
from senate.compat.resolve import View


def _rest(view: View) -> Any:
    if "items" in view:
        return view["items"]
    return view.get("unevaluatedItems", True)


def _tuple_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    old_prefix = o.get("prefixItems", [])
    new_prefix = n.get("prefixItems", [])
    out: list[Change] = []
    for i in range(max(len(old_prefix), len(new_prefix))):
        path = f"/prefixItems/{i}"
        if i < len(old_prefix) and i < len(new_prefix):
            out += ctx.at(old_prefix[i], new_prefix[i], path)
            continue
        added = i >= len(old_prefix)
        # A position beyond a tuple was governed by the rest-of-array schema.
        sub = ctx.rel(_rest(o), new_prefix[i]) if added else ctx.rel(old_prefix[i], _rest(n))
        verb = "added" if added else "removed"
        out.append(change(f"prefix_item_{verb}", path, summary(sub),
                          f"tuple position {i} {verb}: {first_reason(sub)}"))
        out += unknowns(sub, path)
    return out


def array_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    out: list[Change] = []
    if "prefixItems" in o or "prefixItems" in n:
        out += _tuple_changes(ctx, o, n)
    for keyword in ("items", "unevaluatedItems"):
        if keyword in o or keyword in n:
            out += ctx.at(o.get(keyword, True), n.get(keyword, True), "/" + keyword)
    if "contains" in o and "contains" in n:
        if "maxContains" in o or "maxContains" in n:
            # With an upper bound on matches, a narrower contains can accept more arrays
            # and a wider one fewer: any change breaks both ways.
            with ctx.nonmonotone():
                sub = ctx.at(o["contains"], n["contains"], "/contains")
            out += [c if c.breaks == "none" else change(
                c.kind, c.path, "both", c.explanation + " (maxContains bounds the matches)")
                for c in sub]
        else:
            out += ctx.at(o["contains"], n["contains"], "/contains")
    elif "contains" in n:
        out.append(change("contains_added", "/contains", "backward",
                          "arrays must now contain a matching item"))
    elif "contains" in o:
        out.append(change("contains_removed", "/contains", "forward",
                          "arrays no longer need to contain a matching item"))
    return out


ARRAY_KEYWORDS = frozenset({"prefixItems", "items", "unevaluatedItems", "contains"})
