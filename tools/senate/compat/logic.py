"""Combinators: allOf / anyOf / oneOf (branches matched as sets), not, if/then/else.

Branches are matched by meaning, not position: identical branches pair first, then the
rest pair in order when both sides have as many, else they are added or removed. A
oneOf whose branches are not provably disjoint is treated with care: any change to it
may make a document match two branches (or none), so it breaks both ways.
"""

from __future__ import annotations

from typing import Any

from senate.compat.conjoin import conjoin
from senate.compat.ctx import Ctx, change, first_reason, rebase, unknown, unknowns
from senate.compat.model import Breaks, Change, invert
from senate.compat.resolve import FALSE, PASSIVE, Document, View
from senate.compat.scalar import types, values

COMBINATORS = ("allOf", "anyOf", "oneOf")
_LABEL = {"allOf": "all_of", "anyOf": "any_of", "oneOf": "one_of"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), "unknown")


def _admits(declared: frozenset[str], value: Any) -> bool:
    kind = _json_type(value)
    return kind in declared or (kind == "integer" and "number" in declared)


def disjoint(doc: Document, a: Any, b: Any, depth: int = 0) -> bool:
    """Whether no value can satisfy both schemas (sound, incomplete)."""
    va, vb = doc.view(a), doc.view(b)
    if va is FALSE or vb is FALSE:
        return True
    ta, tb = types(va), types(vb)
    if ta is not None and tb is not None and not _types_overlap(ta, tb):
        return True
    xa, xb = values(va), values(vb)
    if xa is not None and xb is not None and not (xa.keys() & xb.keys()):
        return True
    for vals, other in ((xa, tb), (xb, ta)):
        if vals is not None and other is not None and not any(
            _admits(other, v) for v in vals.values()
        ):
            return True
    # required/properties only constrain objects: a string satisfies both branches of a
    # discriminated union unless one of them also insists on being an object.
    objects_only = frozenset({"object"})
    if depth > 3 or not ((ta is not None and ta <= objects_only)
                         or (tb is not None and tb <= objects_only)):
        return False
    props_a, props_b = va.get("properties", {}), vb.get("properties", {})
    shared = set(va.get("required", [])) & set(vb.get("required", []))
    return any(name in props_a and name in props_b
               and disjoint(doc, props_a[name], props_b[name], depth + 1)
               for name in shared)


def _types_overlap(ta: frozenset[str], tb: frozenset[str]) -> bool:
    numeric = {"integer", "number"}
    return bool(ta & tb) or bool(ta & numeric and tb & numeric)


def _pairwise_disjoint(doc: Document, branches: list[Any]) -> bool:
    return all(disjoint(doc, branches[i], branches[j])
               for i in range(len(branches)) for j in range(i + 1, len(branches)))


# A matched pair of branch positions, with their changes when matching computed them.
_Pair = tuple[int, int, "tuple[Change, ...] | None"]


def _match(ctx: Ctx, old: list[Any], new: list[Any]) -> tuple[list[_Pair], list[int], list[int]]:
    pairs: list[_Pair] = []
    free_new = list(range(len(new)))
    free_old: list[int] = []
    for i, branch in enumerate(old):
        for j in free_new:
            found = ctx.rel(branch, new[j])
            if _breaks_nothing(found):
                pairs.append((i, j, found))
                free_new.remove(j)
                break
        else:
            free_old.append(i)
    if len(free_old) == len(free_new):
        pairs += [(i, j, None) for i, j in zip(free_old, free_new, strict=True)]
        return pairs, [], []
    return pairs, free_old, free_new


def _breaks_nothing(changes: tuple[Change, ...]) -> bool:
    for c in changes:  # noqa: SIM110 (a loop: all() over a generator costs more on few)
        if c.breaks != "none" or c.kind == "unknown":
            return False
    return True


def _branches(ctx: Ctx, keyword: str, old: list[Any], new: list[Any], path_kw: str,
              label: str, overlap: bool) -> list[Change]:
    """Compare two branch lists of an anyOf-like (label any_of/one_of) or allOf list."""
    conj = label == "all_of"
    pairs, removed, added = _match(ctx, old, new)
    out: list[Change] = []
    for i, j, found in pairs:
        prefix = f"/{path_kw}/{j}"
        sub = ctx.at(old[i], new[j], prefix) if found is None else rebase(found, prefix)
        if overlap:
            sub = [c if c.breaks == "none" else change(
                c.kind, c.path, "both", c.explanation + " (oneOf branches may overlap)")
                for c in sub]
        out += sub
    for i in removed:
        if conj:
            kept = any(ctx.swapped().subsumes(b, old[i]) for b in new)
            breaks: Breaks = "none" if kept else "forward"
        else:
            kept = any(ctx.subsumes(old[i], b) for b in new)
            breaks = "both" if overlap else "none" if kept else "backward"
        out.append(change(f"{label}_branch_removed", f"/{path_kw}/{i}", breaks,
                          f"{keyword} branch {i} removed"))
    for j in added:
        if conj:
            implied = any(ctx.subsumes(a, new[j]) for a in old)
            breaks = "none" if implied else "backward"
        else:
            covered = any(ctx.swapped().subsumes(new[j], a) for a in old)
            breaks = "none" if covered else "forward"
            if label == "one_of" and any(not disjoint(ctx.new, new[j], new[k])
                                         for k in range(len(new)) if k != j):
                breaks = "both"
        why = " and overlaps another branch, so some documents now match two" \
            if breaks == "both" else ""
        out.append(change(f"{label}_branch_added", f"/{path_kw}/{j}", breaks,
                          f"{keyword} branch {j} added{why}"))
    return out


def _pure(view: View, keyword: str) -> bool:
    return not (view.keys() - PASSIVE - {keyword})


def wrap(ctx: Ctx, o: View, n: View) -> list[Change] | None:
    """When one side is only a union and the other has none, compare it as a one-branch
    union, so `{A}` -> `{anyOf: [A, B]}` reads as "branch B added"."""
    if not o.keys().isdisjoint(COMBINATORS) and not n.keys().isdisjoint(COMBINATORS):
        return None  # both sides have unions: compared as such, or as a transition
    for keyword in COMBINATORS:
        if keyword in n and keyword not in o and _pure(n, keyword) and n[keyword]:
            return combinator_changes(ctx, ctx.keep({keyword: [o]}), n)
        if keyword in o and keyword not in n and _pure(o, keyword) and o[keyword]:
            return combinator_changes(ctx, o, ctx.keep({keyword: [n]}))
    return None


def _transition(ctx: Ctx, o: View, n: View) -> tuple[list[Change], set[str]] | None:
    if ("anyOf" in o) is ("anyOf" in n) and ("oneOf" in o) is ("oneOf" in n) and \
            ("allOf" in o) is ("allOf" in n):
        return None  # the same combinators on both sides: none became another
    for before, after in (("oneOf", "anyOf"), ("anyOf", "oneOf"), ("allOf", "anyOf"),
                          ("anyOf", "allOf"), ("allOf", "oneOf"), ("oneOf", "allOf")):
        if before in o and after not in o and after in n and before not in n:
            old, new = o[before], n[after]
            break
    else:
        return None
    name = f"{_LABEL[before]}_to_{_LABEL[after]}"
    text = f"{before} became {after}"
    if (before, after) == ("oneOf", "anyOf"):
        loss: Breaks = "none" if _pairwise_disjoint(ctx.old, old) else "forward"
        found = [change(name, "", loss, text)] if loss != "none" else []
        return found + _branches(ctx, "anyOf", old, new, "anyOf", "any_of", False), {before, after}
    if (before, after) == ("anyOf", "oneOf"):
        loss = "none" if _pairwise_disjoint(ctx.new, new) else "backward"
        found = [change(name, "", loss, text)] if loss != "none" else []
        return found + _branches(ctx, "oneOf", old, new, "oneOf", "any_of", False), {before, after}
    if (before, after) == ("allOf", "anyOf"):
        # The conjunction implies the union when one conjunct implies one alternative.
        ok = any(ctx.subsumes(a, b) for a in old for b in new)
        return [change(name, "", "forward" if ok else "both", text)], {before, after}
    if (before, after) == ("anyOf", "allOf"):
        ok = any(ctx.swapped().subsumes(b, a) for a in old for b in new)
        return [change(name, "", "backward" if ok else "both", text)], {before, after}
    return [change(name, "", "both", text)], {before, after}


def _added_whole(ctx: Ctx, keyword: str, o: View, branches: list[Any]) -> Change:
    """A union added where there was none: harmless iff the old node implies a branch."""
    ok = False
    for j, branch in enumerate(branches):
        if ctx.subsumes(o, branch) and (keyword == "anyOf" or all(
                disjoint(ctx.new, branch, other) for k, other in enumerate(branches) if k != j)):
            ok = True
    return change(f"{_LABEL[keyword]}_added", "/" + keyword, "none" if ok else "backward",
                  f"{keyword} with {len(branches)} branches added")


def _removed_whole(ctx: Ctx, keyword: str, n: View, branches: list[Any]) -> Change:
    """A union removed: harmless forward iff the new node implies a branch (and, for
    oneOf, excludes the others)."""
    ok = False
    for j, branch in enumerate(branches):
        if ctx.swapped().subsumes(n, branch) and (keyword == "anyOf" or all(
                disjoint(ctx.old, branch, other) for k, other in enumerate(branches) if k != j)):
            ok = True
    return change(f"{_LABEL[keyword]}_removed", "/" + keyword, "none" if ok else "forward",
                  f"{keyword} with {len(branches)} branches removed")


def combinator_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    for view in (o, n):
        for keyword in COMBINATORS:
            if keyword in view and not isinstance(view[keyword], list):
                # Malformed (the metaschema refuses it): fail closed, in every path below.
                return [unknown("", f"{keyword} is not an array of schemas; not compared")]
    if "oneOf" in o or "oneOf" in n:
        # Widening a oneOf branch can make a document match two: not monotone.
        with ctx.nonmonotone():
            return _combinator_changes(ctx, o, n)
    return _combinator_changes(ctx, o, n)


def _combinator_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    out: list[Change] = []
    done: set[str] = set()
    moved = _transition(ctx, o, n)
    if moved is not None:
        out, done = moved
    for keyword in COMBINATORS:
        if keyword in done:
            continue
        old, new = o.get(keyword), n.get(keyword)
        if old is None and new is None:
            continue
        if not isinstance(old, list | None) or not isinstance(new, list | None):
            continue
        if keyword == "allOf" or (old is not None and new is not None):
            overlap = keyword == "oneOf" and not (
                _pairwise_disjoint(ctx.old, old or []) and _pairwise_disjoint(ctx.new, new or []))
            out += _branches(ctx, keyword, old or [], new or [], keyword, _LABEL[keyword], overlap)
        elif new is not None:
            out.append(_added_whole(ctx, keyword, o, new))
        elif old is not None:
            out.append(_removed_whole(ctx, keyword, n, old))
    return out


def not_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    if "not" in o and "not" in n:
        # new ⊇ old exactly when the excluded set shrinks: directions swap.
        with ctx.nonmonotone():
            inner = ctx.at(o["not"], n["not"], "/not")
        return [change(c.kind, c.path, invert(c.breaks), f"inside not: {c.explanation}")
                for c in inner]
    if "not" in n:
        return [change("not_added", "/not", "backward", "a forbidden shape (not) added")]
    if "not" in o:
        return [change("not_removed", "/not", "forward", "a forbidden shape (not) removed")]
    return []


def conditional_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    if ("if" not in o and "if" not in n) or not (o.keys() | n.keys()) & {"then", "else"}:
        return []  # without if, then/else are inert, and so is an if without either
    if "if" in o and "if" in n:
        with ctx.nonmonotone():  # the condition picks the branch: not monotone
            cond = ctx.rel(o["if"], n["if"])
        if any(c.breaks != "none" or c.kind == "unknown" for c in cond):
            return [change("if_changed", "/if", "both",
                           f"the if condition changed, so documents switch between then "
                           f"and else: {first_reason(cond)}"), *unknowns(cond, "/if")]
        out = rebase(cond, "/if")
        for keyword in ("then", "else"):
            out += _branch_in_context(ctx, o, n, keyword)
        return out
    side, other = (n, "added") if "if" in n else (o, "removed")
    branches = [side.get("then", True), side.get("else", True)]
    doc = ctx.new if other == "added" else ctx.old
    if all(doc.view(b) == {} for b in branches):
        return []
    breaks: Breaks = "backward" if other == "added" else "forward"
    return [change(f"conditional_{other}", "/if", breaks, f"if/then/else {other}")]


def _branch_in_context(ctx: Ctx, o: View, n: View, keyword: str) -> list[Change]:
    """then/else compared together with their sibling keywords (they apply together),
    keeping only what the siblings' own comparison does not already report."""
    plain = ctx.rel(o.get(keyword, True), n.get(keyword, True))
    if all(c.breaks == "none" and c.kind != "unknown" for c in plain):
        return rebase(plain, "/" + keyword)
    base_o = {k: v for k, v in o.items() if k not in _CONDITIONAL}
    base_n = {k: v for k, v in n.items() if k not in _CONDITIONAL}
    with_o = conjoin(ctx.old, base_o, ctx.old.view(o.get(keyword, True)), ctx.old.keep)
    with_n = conjoin(ctx.new, base_n, ctx.new.view(n.get(keyword, True)), ctx.new.keep)
    if with_o is None or with_n is None:
        return rebase(plain, "/" + keyword)
    ctx.old.keep.append(base_o)
    ctx.new.keep.append(base_n)
    already = {(c.kind, c.path, c.breaks) for c in ctx.rel(base_o, base_n)}
    return rebase((c for c in ctx.rel(with_o, with_n)
                   if (c.kind, c.path, c.breaks) not in already), "/" + keyword)


_CONDITIONAL = frozenset({"if", "then", "else"})
LOGIC_KEYWORDS = frozenset({*COMBINATORS, "not", "if", "then", "else"})
