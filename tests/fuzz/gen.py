"""Random schema pairs for the soundness fuzzer: a small vocabulary per dialect, and a
mutation generator whose edits aim at the keywords whose interplay is subtle (contains
with maxContains, recursion under not/oneOf/if, unevaluated*, conditionals, overlapping
patternProperties, $ref siblings, embedded $id, float multipleOf, big bounds, booleans
that equal 0 and 1, keywords foreign to the dialect)."""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from typing import Any

URIS = {
    "draft-04": "http://json-schema.org/draft-04/schema#",
    "draft-06": "http://json-schema.org/draft-06/schema#",
    "draft-07": "http://json-schema.org/draft-07/schema#",
    "2019-09": "https://json-schema.org/draft/2019-09/schema",
    "2020-12": "https://json-schema.org/draft/2020-12/schema",
}
DRAFTS = tuple(URIS)
KEYS = ["a", "b", "ab", "ba"]
PATTERNS = ["^a", "b$", "^ab$", "a"]
# Patterns for `pattern`, aimed at where Python's re.search differs from a naive reading:
# Unicode \d and \w, `$` before a final newline, `.` and the newline, repetition bounds.
STRING_PATTERNS = [*PATTERNS,
    "^a+$", "^a*$", "^[ab]$", "^[a-c]{1,2}$", "^\\d+$", "^[0-9]+$", "^\\w+$", "^a.b$",
    "^a\\Z", "a|b", "^(ab)*$", "^.{2}$", "[^a]", "^\\s", "^a(?=b)", "^(a|ab)$", "\\d{2}",
]
TYPES = ["null", "boolean", "integer", "number", "string", "array", "object"]
SCALARS: list[Any] = [None, True, False, 0, 1, 2, -3, 2.5, 0.1, 0.3, "", "a", "ab", "x@y.z",
                      "2020-01-01", 1e300, 9007199254740993]
NUMBERS: list[Any] = [0, 1, 2, 3, -1, 0.5, 2.5, 0.1, 0.01, 1e300, 1e-300, 9007199254740992,
                      9007199254740993, 9007199254740992.0, 1.0, 3.0]
FORMATS = ["email", "date", "ipv4", "uri", "foo"]


class Gen:
    def __init__(self, rng: random.Random, draft: str) -> None:
        self.rng = rng
        self.draft = draft
        self.level = DRAFTS.index(draft)  # 0 = draft-04 ... 4 = 2020-12
        self.defs = "definitions" if self.level < 3 or rng.random() < 0.2 else "$defs"

    def pick(self, seq: list[Any] | tuple[Any, ...]) -> Any:
        return self.rng.choice(seq)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # -- leaves -------------------------------------------------------------------------

    def leaf(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for _ in range(self.rng.choice([0, 1, 1, 2, 3])):
            key, value = self.keyword()
            out[key] = value
        return out

    def keyword(self) -> tuple[str, Any]:
        r = self.rng
        options: list[tuple[str, Callable[[], Any]]] = [
            ("type", lambda: self.pick(TYPES) if self.chance(0.7)
             else r.sample(TYPES, r.randint(1, 3))),
            ("enum", lambda: r.sample(SCALARS, r.randint(1, 3))),
            ("minimum", lambda: self.pick(NUMBERS)), ("maximum", lambda: self.pick(NUMBERS)),
            ("multipleOf", lambda: self.pick([1, 2, 3, 0.5, 0.1, 0.01, 2.0, 1e-300, 0.3])),
            ("minLength", lambda: r.randint(0, 3)), ("maxLength", lambda: r.randint(0, 3)),
            ("pattern", lambda: self.pick(STRING_PATTERNS)), ("format", lambda: self.pick(FORMATS)),
            ("minItems", lambda: r.randint(0, 3)), ("maxItems", lambda: r.randint(0, 3)),
            ("uniqueItems", lambda: r.random() < 0.5),
            ("required", lambda: r.sample(KEYS, r.randint(1, 2))),
            ("minProperties", lambda: r.randint(0, 2)), ("maxProperties", lambda: r.randint(0, 2)),
            ("const", lambda: self.pick(SCALARS)),
            ("dependencies", lambda: {self.pick(KEYS): r.sample(KEYS, r.randint(1, 2))}),
            ("dependentRequired", lambda: {self.pick(KEYS): r.sample(KEYS, r.randint(1, 2))}),
            ("minContains", lambda: r.randint(0, 2)), ("maxContains", lambda: r.randint(0, 2)),
        ]
        if self.level == 0:
            options += [("exclusiveMinimum", lambda: r.random() < 0.6),
                        ("exclusiveMaximum", lambda: r.random() < 0.6)]
        else:
            options += [("exclusiveMinimum", lambda: self.pick(NUMBERS)),
                        ("exclusiveMaximum", lambda: self.pick(NUMBERS))]
        key, make = self.pick(options)
        return key, make()

    # -- nested -------------------------------------------------------------------------

    def schema(self, depth: int = 0) -> Any:
        if self.level > 0 and self.chance(0.08):
            return self.chance(0.6)
        node = self.leaf()
        if depth >= 3:
            return node
        r = self.rng
        for _ in range(r.randint(0, 2 if depth else 3)):
            key, value = self.applicator(depth + 1)
            node[key] = value
        return node

    def applicator(self, depth: int) -> tuple[str, Any]:
        r = self.rng
        sub = lambda: self.schema(depth)  # noqa: E731
        options: list[tuple[str, Callable[[], Any]]] = [
            ("properties", lambda: {k: sub() for k in r.sample(KEYS, r.randint(1, 2))}),
            ("additionalProperties", sub),
            ("patternProperties", lambda: {p: sub() for p in r.sample(PATTERNS, r.randint(1, 2))}),
            ("items", sub),
            ("items", lambda: [sub() for _ in range(r.randint(1, 2))]),
            ("prefixItems", lambda: [sub() for _ in range(r.randint(1, 2))]),
            ("additionalItems", sub),
            ("contains", sub), ("not", sub), ("propertyNames", sub),
            ("allOf", lambda: [sub() for _ in range(r.randint(1, 2))]),
            ("anyOf", lambda: [sub() for _ in range(r.randint(1, 3))]),
            ("oneOf", lambda: [sub() for _ in range(r.randint(1, 3))]),
            ("if", sub), ("then", sub), ("else", sub),
            ("unevaluatedProperties", sub), ("unevaluatedItems", sub),
            ("dependentSchemas", lambda: {self.pick(KEYS): sub()}),
            ("dependencies", lambda: {self.pick(KEYS): sub()}),
            ("$ref", lambda: "#/" + self.defs + "/" + self.pick(["d0", "d1"])),
            ("$ref", lambda: "#"),
        ]
        key, make = self.pick(options)
        return key, make()

    def motif(self) -> dict[str, Any]:
        """A small schema around one of the known-subtle keyword interplays."""
        r = self.rng
        sub = lambda: self.schema(2)  # noqa: E731
        d = "#/" + self.defs + "/"
        motifs: list[Callable[[], dict[str, Any]]] = [
            lambda: {"type": "array", "contains": sub(), "maxContains": r.randint(0, 2),
                     "minContains": r.randint(0, 2)},
            lambda: {"not": {"$ref": d + "d0"}},
            lambda: {"oneOf": [{"$ref": d + "d0"}, sub()]},
            lambda: {"if": {"$ref": d + "d1"}, "then": sub(), "else": sub()},
            lambda: {"anyOf": [{"type": "integer"}, {"type": "array", "items": {"$ref": "#"}}]},
            lambda: {"prefixItems": [sub()], "unevaluatedItems": r.choice([False, sub()])},
            lambda: {"properties": {"a": sub()}, "unevaluatedProperties": r.choice([False, sub()]),
                     r.choice(["allOf", "anyOf", "oneOf"]): [sub(), {"properties": {"b": sub()}}]},
            lambda: {"contains": sub(), "unevaluatedItems": False},
            lambda: {"additionalProperties": r.choice([True, False, sub()]),
                     "unevaluatedProperties": False, "properties": {"a": sub()}},
            lambda: {"if": sub(), "then": {"additionalProperties": False},
                     "properties": {"a": sub()}},
            lambda: {"if": sub(), "then": {"items": sub()}, "prefixItems": [sub()]},
            lambda: {"if": sub(), "then": {"maxContains": 1}, "contains": sub()},
            lambda: {"patternProperties": {p: sub() for p in r.sample(PATTERNS, 2)},
                     "additionalProperties": r.choice([False, sub()]),
                     "properties": {r.choice(KEYS): sub()}},
            lambda: {"$ref": d + "d0", r.choice(["const", "enum"]): r.choice(
                [True, False, 0, 1, [True], [0], [1, False]])},
            lambda: {"$ref": d + "d1", **self.leaf()},
            lambda: {"multipleOf": r.choice([0.1, 0.01, 0.3, 1e-300, 0.5, 2.0, 3, 0.7])},
            lambda: {"type": "number", "minimum": r.choice(NUMBERS), "maximum": r.choice(NUMBERS)},
            lambda: {"type": "object", "properties": {r.choice(KEYS): r.choice([False, sub()])},
                     "required": r.sample(KEYS, r.randint(0, 1))},
            lambda: {"not": {"type": "object", "properties": {"b": sub()}}},
            lambda: {"if": {"properties": {"a": sub()}}, "then": sub()},
            lambda: {"const": r.choice(SCALARS)},
            lambda: {"prefixItems": [sub()], "items": r.choice([False, sub()])},
            lambda: {"items": [sub()], "additionalItems": r.choice([False, sub()])},
            lambda: {"dependencies": {"a": r.choice([["b"], sub()])}},
            lambda: {"dependentSchemas": {"a": sub()}, "dependentRequired": {"b": ["a"]}},
            lambda: {"exclusiveMaximum": r.choice([True, False, 2]), "maximum": 2},
            lambda: {"$recursiveRef": "#", "$recursiveAnchor": r.random() < 0.5},
            lambda: {"$dynamicRef": "#meta", "$dynamicAnchor": "meta"},
        ]
        return r.choice(motifs)()

    def document(self) -> dict[str, Any]:
        """A root schema, with definitions for the references to land on."""
        root = self.schema()
        if self.chance(0.7):
            motif = self.motif()
            if isinstance(root, dict) and self.chance(0.5):
                root = {**root, **motif}
            elif self.chance(0.5):
                root = {"type": "object", "properties": {"a": motif, "b": root}}
            else:
                root = motif
        if not isinstance(root, dict):
            root = {"allOf": [root]}
        root[self.defs] = {"d0": self.schema(2), "d1": self.schema(1)}
        if self.chance(0.15):
            # An embedded resource with its own base URI and a relative reference inside.
            root[self.defs]["d1"] = {("id" if self.level == 0 else "$id"): "http://e.x/inner.json",
                                     self.defs: {"d0": self.schema(2)},
                                     "$ref": "#/" + self.defs + "/d0"}
        if self.chance(0.2):
            root["$id"] = "http://e.x/root.json"
        if self.chance(0.85):
            root["$schema"] = URIS[self.draft]
        return root


def mutate(rng: random.Random, draft: str, schema: Any) -> Any:
    """`schema` with one to three edits at random places."""
    out = copy.deepcopy(schema)
    gen = Gen(rng, draft)
    for _ in range(rng.randint(1, 3)):
        out = _edit(gen, out)
    return out


def _nodes(node: Any, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            _nodes(value, found)
    elif isinstance(node, list):
        for value in node:
            _nodes(value, found)
    return found


def _edit(gen: Gen, root: Any) -> Any:
    r = gen.rng
    nodes = _nodes(root, [])
    if not nodes:
        return gen.schema()
    node = r.choice(nodes)
    op = r.randrange(10)
    keys = [k for k in node if k not in ("$schema",)]
    if op == 0 or not keys:
        key, value = gen.keyword()
        node[key] = value
    elif op == 1:
        key, value = gen.applicator(2)
        node[key] = value
    elif op == 2:
        del node[r.choice(keys)]
    elif op == 3:
        key = r.choice(keys)
        node[key] = _tweak(gen, node[key])
    elif op == 4:
        # Wrap the node's content in a combinator or not (recursion under negation etc.).
        inner = dict(node)
        node.clear()
        node[r.choice(["not", "allOf", "anyOf", "oneOf", "if"])] = (
            inner if r.random() < 0.5 else [inner])
        if isinstance(node.get("not"), list) or isinstance(node.get("if"), list):
            node[next(iter(node))] = inner
    elif op == 5:
        node["$ref"] = r.choice(["#", "#/" + gen.defs + "/d0", "#/" + gen.defs + "/d1"])
    elif op == 6:
        node["$schema"] = URIS[r.choice(DRAFTS)] if node is root else URIS[gen.draft]
    elif op == 7:
        node[r.choice(["contains", "if", "then", "else", "unevaluatedItems",
                       "unevaluatedProperties"])] = gen.schema(2)
    elif op == 8:
        node.update(gen.motif())
    else:
        for _ in range(2):
            key, value = gen.keyword()
            node[key] = value
    return root


def _tweak(gen: Gen, value: Any) -> Any:
    r = gen.rng
    if isinstance(value, bool):
        return not value if r.random() < 0.5 else int(value)
    if isinstance(value, int | float):
        return r.choice([value + 1, value - 1, value * 2, value / 2, -value, float(value),
                         gen.pick(NUMBERS)])
    if isinstance(value, str):
        if value in STRING_PATTERNS or r.random() < 0.3:
            return mutate_pattern(r, value)
        return r.choice(PATTERNS + KEYS + [value + "x"])
    if isinstance(value, list):
        items = list(value)
        if items and r.random() < 0.5:
            items.pop(r.randrange(len(items)))
        else:
            items.append(gen.pick(SCALARS) if not items or not isinstance(items[0], dict)
                         else gen.schema(2))
        return items
    if isinstance(value, dict):
        return gen.schema(2)
    return value


def pair(rng: random.Random) -> tuple[Any, Any]:
    draft = rng.choice(DRAFTS)
    old = Gen(rng, draft).document()
    if rng.random() < 0.1:
        return old, Gen(rng, rng.choice(DRAFTS)).document()
    return old, mutate(rng, draft, old)


# Small edits that keep a pattern near its original: the languages then overlap, so
# inclusion (and its failure) is what gets tested.
_PATTERN_EDITS: list[Callable[[str], str]] = [
    lambda p: p.lstrip("^") if p.startswith("^") else "^" + p,
    lambda p: p[:-1] if p.endswith("$") else p + "$",
    lambda p: p[:-1] + "\\Z" if p.endswith("$") else p + "\\Z",
    lambda p: p.replace("[0-9]", "\\d") if "[0-9]" in p else p.replace("\\d", "[0-9]"),
    lambda p: p.replace("+", "*", 1) if "+" in p else p.replace("*", "+", 1),
    lambda p: p.replace("a", "[ab]", 1) if "[" not in p else p,   # no nested sets
    lambda p: p.replace("a", ".", 1),
    lambda p: f"(?:{p})|b",
    lambda p: p + "?" if p and p[-1] not in "$?*+" else p,
    lambda p: p.replace("{1,2}", "{1,3}").replace("{2}", "{1,2}"),
    lambda p: "(?s)" + p,
]


def mutate_pattern(rng: random.Random, pattern: str) -> str:
    out = rng.choice(_PATTERN_EDITS)(pattern)
    try:
        re.compile(out)
    except re.error:
        return pattern
    return out
