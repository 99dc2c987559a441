"""Keyword families that constrain one value: type, enum/const, bounds, strings, annotations."""

from __future__ import annotations

import math
import re
from typing import Any

from senate.compat.ctx import Ctx, change, short, unknown
from senate.compat.dialect import Dialect
from senate.compat.model import Breaks, Change
from senate.compat.regular import relation
from senate.compat.resolve import ANNOTATION_KEYS, View
from senate.compat.scan import canonical

ALL_TYPES = frozenset({"null", "boolean", "object", "array", "string", "number", "integer"})


def types(view: View) -> frozenset[str] | None:
    """The declared types, or None when any type is allowed."""
    declared = view.get("type")
    if declared is None:
        return None
    if type(declared) is str:
        single = _SINGLE.get(declared)
        return frozenset((declared,)) if single is None else single
    names = [declared] if isinstance(declared, str) else declared
    return frozenset(n for n in names if isinstance(n, str))


_SINGLE = {name: frozenset((name,)) for name in ALL_TYPES}


def _covers(outer: frozenset[str] | None, inner: frozenset[str] | None) -> bool:
    if outer is None:
        return True
    if inner is None:
        return {"null", "boolean", "object", "array", "string", "number"} <= outer
    return all(t in outer or (t == "integer" and "number" in outer) for t in inner)


def _type_changes(o: View, n: View) -> list[Change]:
    spelled = o.get("type")
    if (spelled is None or type(spelled) is str) and spelled == n.get("type"):
        return []  # the same name: the same types (anything else is read, malformed or not)
    old, new = types(o), types(n)
    if old == new:
        return []
    widened, narrowed = _covers(new, old), _covers(old, new)
    if widened and narrowed:
        return []
    shown = f"{_names(old)} -> {_names(new)}"
    if widened:
        gained_null = bool(new and "null" in new and not (old and "null" in old))
        extra = ", now also accepts null" if gained_null else ""
        return [change("type_widened", "", "forward", f"type widened {shown}{extra}")]
    if narrowed:
        return [change("type_narrowed", "", "backward", f"type narrowed {shown}")]
    return [change("type_changed", "", "both", f"type changed {shown}")]


def _names(value: frozenset[str] | None) -> str:
    if value is None:
        return "any"
    if len(value) == 1:
        return next(iter(value)) or "none"
    return "|".join(sorted(value)) or "none"


def values(view: View) -> dict[str, Any] | None:
    """The allowed values (enum and const as one set), or None when unrestricted."""
    allowed: dict[str, Any] | None = None
    enum = view.get("enum")
    if enum is not None and isinstance(enum, list):
        # Strings inline: canonical()'s own first case, without a call per value (and a
        # loop, not a comprehension, which is a call of its own before Python 3.12).
        allowed = {}
        for v in enum:
            allowed["s" + v if type(v) is str else canonical(v)] = v
    if "const" in view:
        const = {canonical(view["const"]): view["const"]}
        allowed = const if allowed is None else {k: v for k, v in const.items() if k in allowed}
    return allowed


def _value_changes(o: View, n: View, old: dict[str, Any] | None,
                   new: dict[str, Any] | None) -> list[Change]:
    """The change of the value sets `old` = values(o) and `new` = values(n)."""
    if old is None and new is None:
        return []
    if old is not None and new is not None and old.keys() == new.keys():
        return []
    const = "const" in o or "const" in n
    if old is None and new is not None:
        kind = "const_added" if "const" in n else "enum_added"
        return [Change(kind, "", "backward", f"values restricted to {_list(new)}")]
    if new is None and old is not None:
        kind = "const_removed" if "const" in o else "enum_removed"
        return [Change(kind, "", "forward", f"restriction to {_list(old)} removed")]
    assert old is not None and new is not None
    added, removed = new.keys() - old.keys(), old.keys() - new.keys()
    if const and len(old) <= 1 and len(new) <= 1:
        return [Change("const_changed", "", "both", f"constant {_list(old)} -> {_list(new)}")]
    if not removed:
        return [Change("enum_widened", "", "forward", f"values added: {_list(new, added)}")]
    if not added:
        return [Change("enum_narrowed", "", "backward", f"values removed: {_list(old, removed)}")]
    return [Change("enum_changed", "", "both",
                   f"values added {_list(new, added)} and removed {_list(old, removed)}")]


def _list(vals: dict[str, Any], keys: set[str] | None = None) -> str:
    chosen = list(vals if keys is None else keys)
    if len(chosen) > 1:
        chosen.sort()
    return short([vals[k] for k in chosen], 80)


Number = int | float


def _number(value: Any) -> Number | None:
    kind = type(value)
    if kind is int:
        return value  # type: ignore[no-any-return]
    if kind is float and math.isfinite(value):
        return value  # type: ignore[no-any-return]
    if kind is bool or not isinstance(value, (int, float)):
        return None
    # An int or float subclass: its plain value. Python orders ints and floats by their
    # exact values, as the validator does, so no exact-fraction arithmetic is needed.
    return (int(value) if isinstance(value, int) else float(value)) \
        if math.isfinite(value) else None


def _bound(view: View, inclusive: str, exclusive: str, lower: bool) -> tuple[Number, bool] | None:
    """The effective (value, is_exclusive) bound from the two spellings, tightest wins."""
    inc = view.get(inclusive)
    exc = view.get(exclusive)
    a = None if inc is None else _number(inc)
    b = None if exc is None else _number(exc)
    if b is None:
        return None if a is None else (a, False)
    if a is None:
        return b, True
    # Lower bounds: the larger value wins, exclusive wins ties; upper bounds mirrored.
    return (b, True) if (b >= a if lower else b <= a) else (a, False)


# (inclusive, exclusive, is lower, kinds when added / removed / decreased / increased)
_RANGES = tuple((inc, exc, lower, tuple(f"{inc}_{verb}" for verb in (
    "added", "removed", "decreased", "increased")))
    for inc, exc, lower in (("minimum", "exclusiveMinimum", True),
                            ("maximum", "exclusiveMaximum", False)))


def _range_changes(o: View, n: View) -> list[Change]:
    out: list[Change] = []
    for inc, exc, lower, kinds in _RANGES:
        if inc not in o and exc not in o and inc not in n and exc not in n:
            continue  # no bound of this side on either: nothing to compare
        old, new = _bound(o, inc, exc, lower), _bound(n, inc, exc, lower)
        if old == new:
            continue
        if (old is None and (inc in o or exc in o)) or (new is None and (inc in n or exc in n)):
            out.append(unknown("", f"{inc}: a bound is not a finite number"))
            continue
        if old is None:
            out.append(Change(kinds[0], "", "backward", f"{_show(new, lower)} added"))
        elif new is None:
            out.append(Change(kinds[1], "", "forward", f"{_show(old, lower)} removed"))
        else:
            looser = new < old if lower else (-new[0], new[1]) < (-old[0], old[1])
            out.append(Change(kinds[2] if looser == lower else kinds[3], "",
                              "forward" if looser else "backward",
                              f"{_show(old, lower)} -> {_show(new, lower)}"))
    return out


def _show(bound: tuple[Number, bool] | None, lower: bool) -> str:
    assert bound is not None
    return f"value {_OPS[lower, bound[1]]} {_fmt(bound[0])}"


_OPS = {(True, False): ">=", (True, True): ">", (False, False): "<=", (False, True): "<"}


def _fmt(num: Number) -> str:
    if type(num) is float and num.is_integer():
        return str(int(num))
    return str(num)


def _exact_float(value: Any) -> bool:
    """Whether the int `value` is exactly a float. (Compared as ints: the compiled engine
    would round an int compared with a float, see native.py.)"""
    try:
        return bool(int(float(value)) == value)
    except OverflowError:
        return False


def _multiple_changes(o: View, n: View) -> list[Change]:
    old, new = _number(o.get("multipleOf")), _number(n.get("multipleOf"))
    if old == new and type(o.get("multipleOf")) is type(n.get("multipleOf")):
        return []
    if (old is None and "multipleOf" in o) or (new is None and "multipleOf" in n):
        return [unknown("", "multipleOf is not a number")]
    if old is not None and new is not None and not (
            type(o["multipleOf"]) is int and type(n["multipleOf"]) is int):
        # The validator divides by a float divisor in binary floating point (0.3 is no
        # multiple of 0.1 there), and by an int one exactly: only two int divisors can be
        # related by arithmetic.
        return [unknown("", f"multipleOf {o['multipleOf']!r} -> {n['multipleOf']!r}: a "
                            "float divisor is judged in binary floating point")]
    if old is None:
        assert new is not None
        return [change("multiple_of_added", "", "backward", f"must be a multiple of {_fmt(new)}")]
    if new is None:
        return [change("multiple_of_removed", "", "forward",
                       f"multiple of {_fmt(old)} no longer required")]
    text = f"multipleOf {_fmt(old)} -> {_fmt(new)}"
    if not all(_exact_float(d) for d in (o["multipleOf"], n["multipleOf"])):
        # A float instance (9007199254740992.0) is taken modulo float(divisor): an int
        # divisor past 2**53 is rounded first, and its arithmetic is no longer the ints'.
        return [unknown("", f"{text}: a divisor beyond 2**53 is rounded when the instance "
                            "is a float")]
    # Two int divisors (see above), each exact as a float: exact arithmetic, for int
    # instances (integer modulo) and float ones (an exact float modulo) alike.
    if new and old % new == 0:
        return [change("multiple_of_relaxed", "", "forward", text)]
    if old and new % old == 0:
        return [change("multiple_of_tightened", "", "backward", text)]
    return [change("multiple_of_changed", "", "both", text)]


# (keyword, kind base, is lower bound, default when absent)
COUNT_BOUNDS = (
    ("minLength", "min_length", True, 0), ("maxLength", "max_length", False, None),
    ("minItems", "min_items", True, 0), ("maxItems", "max_items", False, None),
    ("minProperties", "min_properties", True, 0), ("maxProperties", "max_properties", False, None),
    ("minContains", "min_contains", True, 1), ("maxContains", "max_contains", False, None),
)


def count_changes(o: View, n: View) -> list[Change]:
    out: list[Change] = []
    for keyword, base, lower, default in COUNT_BOUNDS:
        if keyword not in o and keyword not in n:
            continue
        old, new = o.get(keyword, default), n.get(keyword, default)
        if old == new:
            continue
        if not all(v is None or (isinstance(v, int) and not isinstance(v, bool)) or
                   (isinstance(v, float) and v.is_integer()) for v in (old, new)):
            out.append(unknown("", f"{keyword} is not an integer"))
            continue
        if keyword not in o or keyword not in n:
            # Absent means the default (0, 1 or unbounded); the kind says which side lacks it.
            looser = new < old if lower else new is None
            shown = f"{keyword} {new} added" if keyword not in o else f"{keyword} {old} removed"
            verb = "added" if keyword not in o else "removed"
            out.append(change(f"{base}_{verb}", "", "forward" if looser else "backward", shown))
            continue
        grew = new > old
        looser = grew != lower
        out.append(change(f"{base}_{'increased' if grew else 'decreased'}", "",
                          "forward" if looser else "backward", f"{keyword} {old} -> {new}"))
    return out


def _presence(o: View, n: View, keyword: str, base: str, what: str) -> list[Change]:
    """Keywords compared by equality: adding narrows, removing widens, changing both."""
    if (keyword not in o and keyword not in n) or o.get(keyword) == n.get(keyword):
        return []
    if keyword not in o:
        return [change(f"{base}_added", "", "backward", f"{what} {short(n[keyword])} added")]
    if keyword not in n:
        return [change(f"{base}_removed", "", "forward", f"{what} {short(o[keyword])} removed")]
    return [change(f"{base}_changed", "", "both",
                   f"{what} {short(o[keyword])} -> {short(n[keyword])}")]


def _pattern_changes(o: View, n: View) -> list[Change]:
    """Two patterns compared as the sets of strings re.search accepts, where that is
    decidable (see regular.py); otherwise a textual change counts as breaking both."""
    old, new = o.get("pattern"), n.get("pattern")
    if old is None or new is None or old == new or not (isinstance(old, str)
                                                        and isinstance(new, str)):
        return _presence(o, n, "pattern", "pattern", "pattern")
    shown = f"pattern {short(old)} -> {short(new)}"
    found = relation(old, new)
    if found is None:
        return [change("pattern_changed", "", "both", f"{shown} (not compared as languages: "
                                                      "outside the decidable subset)")]
    lost, gained = found.lost, found.gained
    if lost is None and gained is None:
        return [change("pattern_rewritten", "", "none", f"{shown}: the same strings match")]
    if lost is None:
        return [change("pattern_relaxed", "", "forward",
                       f"{shown}: every string matched before still matches; "
                       f"{short(gained)} now matches too")]
    if gained is None:
        return [change("pattern_tightened", "", "backward",
                       f"{shown}: {short(lost)} no longer matches")]
    return [change("pattern_changed", "", "both",
                   f"{shown}: {short(lost)} no longer matches, {short(gained)} now does")]


def _string_changes(o: View, n: View) -> list[Change]:
    out = _pattern_changes(o, n)
    # format is compared as an assertion: Senate validates with a format checker.
    out += _presence(o, n, "format", "format", "format")
    for keyword in ("contentEncoding", "contentMediaType", "contentSchema"):
        out += _presence(o, n, keyword, "content", keyword)
    if bool(o.get("uniqueItems")) != bool(n.get("uniqueItems")):
        out.append(change("unique_items_added", "", "backward", "array items must now be unique")
                   if n.get("uniqueItems") else
                   change("unique_items_removed", "", "forward", "array items may now repeat"))
    return out


ANNOTATIONS: dict[str, str] = {
    "title": "title_changed", "description": "description_changed",
    "default": "default_changed", "examples": "examples_changed",
    "deprecated": "annotation_changed", "readOnly": "annotation_changed",
    "writeOnly": "annotation_changed", "$comment": "annotation_changed",
    "$id": "annotation_changed", "id": "annotation_changed",
}


def _annotation_changes(o: View, n: View) -> list[Change]:
    out: list[Change] = []
    for keyword, kind in ANNOTATIONS.items():
        old, new = o.get(keyword), n.get(keyword)
        if old is None and new is None:
            continue
        if old == new and (type(old) is str or canonical(old) == canonical(new)):
            continue
        if keyword == "examples" and isinstance(old, list) and isinstance(new, list) and (
            {canonical(v) for v in old} == {canonical(v) for v in new}
        ):
            continue
        verb = "added" if old is None else "removed" if new is None else "changed"
        out.append(change(kind, "", "none", f"annotation {keyword} {verb} (no effect on validity)"))
    return out


def _integral_floats(view: View, draft4: bool) -> bool:
    """Whether `type` lets 1.0 through (draft-04's integer does not)."""
    declared = types(view)
    return declared is None or "number" in declared or ("integer" in declared and not draft4)


def scalar_changes(ctx: Ctx, o: View, n: View) -> list[Change]:
    return scalar_family(ctx.old.dialect, ctx.new.dialect, o, n)


def scalar_family(old_dialect: Dialect, new_dialect: Dialect, o: View, n: View,
                  keys: set[str] | None = None) -> list[Change]:
    """The scalar keywords' changes, `o` read in `old_dialect` and `n` in `new_dialect`
    (`keys`: the union of their keys, when the caller has it)."""
    if keys is None:
        keys = o.keys() | n.keys()
    found: list[Change] = []
    if "format" in keys and old_dialect is not new_dialect:
        # Each draft's format checker knows its own formats (draft-06 has no "date").
        name = o.get("format", n.get("format"))
        known = [name in d.validator.FORMAT_CHECKER.checkers for d in (old_dialect,
                                                                        new_dialect)]
        if known[0] != known[1]:
            found.append(unknown("", f"format {name!r} is checked in one dialect only"))
    old4, new4 = old_dialect.level == 0, new_dialect.level == 0
    if old4 != new4 and "type" in keys:
        before, after = _integral_floats(o, old4), _integral_floats(n, new4)
        if before != after:
            found.append(change("type_widened" if after else "type_narrowed", "",
                                "forward" if after else "backward",
                                "integer in draft-04 excludes floats such as 1.0; in later "
                                "drafts it includes them"))
    if "type" in keys:
        found.extend(_type_changes(o, n))
    finite = "enum" in keys or "const" in keys
    if finite:
        old_values, new_values = values(o), values(n)
        found.extend(_value_changes(o, n, old_values, new_values))
    if not keys.isdisjoint(_SUBFAMILY_KEYS):
        for family, family_keys in _SUBFAMILIES:
            if not keys.isdisjoint(family_keys):
                found.extend(family(o, n))
    if found and finite:
        # A finite set of values is checked value by value against the other side, for
        # each direction some change breaks.
        if _breaking(found, _BACKWARD) and \
                _values_kept(o, n, old_values, new_values, old4, new4):
            found = _without_bit(found, "backward")
        if _breaking(found, _FORWARD) and \
                _values_kept(n, o, new_values, old_values, new4, old4):
            found = _without_bit(found, "forward")
    return found


_BACKWARD = ("backward", "both")
_FORWARD = ("forward", "both")


def _breaking(found: list[Change], directions: tuple[str, str]) -> bool:
    for c in found:  # noqa: SIM110 (a loop: any() over a generator costs 3x on one change)
        if c.breaks in directions and c.kind != "unknown":
            return True
    return False


_WITHOUT: dict[str, dict[str, Breaks]] = {
    "backward": {"both": "forward", "backward": "none"},
    "forward": {"both": "backward", "forward": "none"},
}


def _without_bit(found: list[Change], bit: str) -> list[Change]:
    keep = _WITHOUT[bit]
    side = "old" if bit == "backward" else "new"
    return [c if c.kind == "unknown" or c.breaks not in keep else change(
        c.kind, c.path, keep[c.breaks],
        c.explanation + f" (yet every value the {side} schema allows stays allowed)")
        for c in found]


def _values_kept(a: View, b: View, allowed: dict[str, Any] | None,
                 other: dict[str, Any] | None, a_draft4: bool, b_draft4: bool) -> bool:
    """Whether every value `a` allows (`allowed`, its values(): a finite set of scalars)
    is allowed by `b`'s scalar keywords (`other`: its values()), judged as the validator
    judges them."""
    if allowed is None:
        return False
    # Nothing but the value sets: each value of `a` is kept exactly when `b` lists it
    # (what the loop below finds, value by value, with every other check vacuous).
    only = _ONLY_VALUES.issuperset(a) and _ONLY_VALUES.issuperset(b)
    if only and other is not None and not allowed.keys() <= other.keys():
        return False
    for value in allowed.values():
        if isinstance(value, _CONTAINERS):
            return False  # a container value: its members are not checked one by one
    if only:
        return True
    a_types, b_types = types(a), types(b)
    for key, value in allowed.items():
        for twin in _twins(value):
            if _accepts(a, a_types, key, twin, a_draft4, allowed) is not False and \
                    _accepts(b, b_types, key, twin, b_draft4, other) is not True:
                return False
    return True


_CONTAINERS = (dict, list)
_ONLY_VALUES = ANNOTATION_KEYS | {"enum", "const", "$schema"}


def _twins(value: Any) -> tuple[Any, ...]:
    """The instances an enum member stands for: `enum: [1]` also admits 1.0 (JSON
    equality), which draft-04's integer type refuses, so both spellings are checked."""
    if type(value) is int and _exact_float(value):
        return value, float(value)
    if type(value) is float and value.is_integer():
        return value, int(value)
    return (value,)


def _accepts(view: View, declared: frozenset[str] | None, key: str, value: Any,
             draft4: bool, allowed: dict[str, Any] | None) -> bool | None:
    """Whether the scalar keywords of `view` (whose types() is `declared` and values()
    `allowed`) accept the scalar `value`, whose canonical() is `key` (None: cannot tell)."""
    if declared is not None and not any(_is_type(value, t, draft4) for t in declared):
        return False
    if allowed is not None and key not in allowed:
        return False
    number = _number(value)
    if number is not None:
        for key, lower, strict in (("minimum", True, False), ("maximum", False, False),
                                   ("exclusiveMinimum", True, True),
                                   ("exclusiveMaximum", False, True)):
            bound = view.get(key)
            if bound is None:
                continue
            limit = _number(bound)
            if limit is None:
                return None
            if (number < limit or (strict and number == limit)) if lower else (
                    number > limit or (strict and number == limit)):
                return False
        divisor = view.get("multipleOf")
        if divisor is not None:
            try:
                quotient = value / divisor if isinstance(divisor, float) else None
                fails = (int(quotient) != quotient) if quotient is not None \
                    else bool(value % divisor)
            except (OverflowError, ZeroDivisionError, TypeError):
                return None
            if fails:
                return False
    if isinstance(value, str):
        if "format" in view:
            return None  # the format checker decides
        if len(value) < view.get("minLength", 0) or len(value) > view.get("maxLength", len(value)):
            return False
        pattern = view.get("pattern")
        if pattern is not None:
            try:
                if re.search(pattern, value) is None:
                    return False
            except (re.error, TypeError):
                return None
    elif "format" in view:
        return None
    return True


def _is_type(value: Any, name: str, draft4: bool) -> bool:
    if name == "integer":
        if isinstance(value, bool):
            return False
        return isinstance(value, int) or (not draft4 and isinstance(value, float)
                                          and value.is_integer())
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return {"null": value is None, "boolean": isinstance(value, bool),
            "string": isinstance(value, str)}.get(name, False)


# After type and the value sets (compared first, in scalar_family, in this order).
_SUBFAMILIES = (
    (_range_changes, frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})),
    (_multiple_changes, frozenset({"multipleOf"})),
    (count_changes, frozenset(k for k, *_ in COUNT_BOUNDS)),
    (_string_changes, frozenset({"pattern", "format", "contentEncoding", "contentMediaType",
                                 "contentSchema", "uniqueItems"})),
    (_annotation_changes, frozenset(ANNOTATIONS)),
)


_SUBFAMILY_KEYS = frozenset().union(*(keys for _, keys in _SUBFAMILIES))

SCALAR_KEYWORDS = frozenset(
    {"type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
     "multipleOf", "pattern", "format", "contentEncoding", "contentMediaType", "contentSchema",
     "uniqueItems", *(k for k, *_ in COUNT_BOUNDS), *ANNOTATIONS}
)
