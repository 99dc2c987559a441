"""The engine's bounds on what it reads (scan.MAX_DEPTH, scan.MAX_NESTING) and its answers
on malformed input that a compiled build would otherwise read differently: every one of
them fails closed (both verdicts unknown) with a message that names the problem, and
nothing within the bounds is refused."""

from __future__ import annotations

from typing import Any

import pytest

from senate.compat import compare
from senate.compat.scan import MAX_DEPTH, MAX_NESTING, shape_problem

STR = {"type": "string"}
SHORT = {"type": "string", "maxLength": 3}


def chain(length: int, last: Any) -> dict[str, Any]:
    defs: dict[str, Any] = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(length)}
    defs[f"d{length}"] = last
    return {"$defs": defs, "items": {"$ref": "#/$defs/d0"}}


def nested(depth: int, leaf: Any) -> Any:
    for i in range(depth):
        leaf = {"title": f"t{i}", "properties": {"a": leaf}}
    return leaf


def listed(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


REFUSED = [
    ("a reference chain past the bound", chain(MAX_NESTING, STR), chain(MAX_NESTING, SHORT),
     "views built more than 64 deep"),
    ("a chain 50,000 long", chain(50_000, STR), chain(50_000, SHORT), "views built more than"),
    ("comparisons nested past the bound", nested(MAX_NESTING, STR), nested(MAX_NESTING, SHORT),
     "subschemas compared more than 64 deep"),
    ("a document nested past MAX_DEPTH", nested(200, STR), STR,
     "the old schema nests objects and arrays more than 256 deep"),
    ("data nested past MAX_DEPTH", STR, {"type": "string", "default": listed(MAX_DEPTH)},
     "the new schema nests objects and arrays more than 256 deep"),
    ("an int key", {"properties": {1: STR}}, {"properties": {}},
     "the old schema has an object key that is not a string (1)"),
    ("oneOf became a string anyOf", {"oneOf": [STR, {"type": "integer"}]}, {"anyOf": "ab"},
     "anyOf is not an array of schemas"),
    ("a string oneOf became anyOf", {"oneOf": "ab"}, {"anyOf": [STR]},
     "oneOf is not an array of schemas"),
    ("anyOf an object", {"anyOf": {}}, {"anyOf": {"a": STR}}, "anyOf is not an array of schemas"),
]


@pytest.mark.parametrize("case", REFUSED, ids=[c[0] for c in REFUSED])
def test_past_a_bound_or_malformed_fails_closed(case: tuple[str, Any, Any, str]) -> None:
    _, old, new, text = case
    for policy in ("strict", "lenient"):
        report = compare(old, new, policy)  # type: ignore[arg-type]
        assert (report.backward_compatible, report.forward_compatible) == (None, None)
        assert [c.kind for c in report.changes] == ["unknown"]
        assert text in report.changes[0].explanation


ACCEPTED = [
    ("a reference chain within the bound", chain(MAX_NESTING - 1, STR),
     chain(MAX_NESTING - 1, SHORT), ["max_length_added"]),
    ("comparisons nested within the bound", nested(MAX_NESTING - 1, STR),
     nested(MAX_NESTING - 1, SHORT), ["max_length_added"]),
    ("data at MAX_DEPTH", {"type": "string", "default": listed(MAX_DEPTH - 1)}, STR,
     ["default_changed"]),
    ("a malformed $id beside a reference",
     {"$id": 5, "items": {"$ref": "#/$defs/x"}, "$defs": {"x": {}}},
     {"items": {"$ref": "#/$defs/x"}, "$defs": {"x": STR}},
     ["annotation_changed", "type_narrowed"]),
]


@pytest.mark.parametrize("case", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_within_the_bounds_is_compared(case: tuple[str, Any, Any, list[str]]) -> None:
    _, old, new, kinds = case
    assert sorted(c.kind for c in compare(old, new).changes) == kinds


def test_the_depth_gate_counts_objects_and_arrays_from_the_root() -> None:
    assert shape_problem(listed(MAX_DEPTH)) is None  # MAX_DEPTH lists, the root's included
    assert shape_problem(listed(MAX_DEPTH + 1)) is not None
    assert shape_problem(True) is None and shape_problem("x") is None
    assert shape_problem({"a": [{"b": {}}]}) is None


def _then_merge(defs: dict[str, Any], first: str, second: str, extra: dict[str, Any]) -> Any:
    """then/else are compared merged with their siblings (conjoin): here the siblings'
    property and then's reach the definitions `first` and `second`."""
    return {"$defs": defs, "if": {"type": "object"},
            "properties": {"a": {"$ref": f"#/$defs/{first}"}},
            "then": {"properties": {"a": {"$ref": f"#/$defs/{second}"}}, **extra}}


def _fan(depth: int) -> dict[str, Any]:
    # Two properties at every level lead to the next: 2**depth paths, depth + 1 pairs.
    defs = {f"{side}{i}": {"properties": {"p": {"$ref": f"#/$defs/{side}{i + 1}"},
                                          "q": {"$ref": f"#/$defs/{side}{i + 1}"}}}
            for side in "XY" for i in range(depth)}
    defs |= {f"X{depth}": {"type": "object"}, f"Y{depth}": {"minProperties": 1}}
    return defs


MERGES = [
    # Each once overflowed the compiled build's stack, or took exponential time in both.
    ("recursive definitions merged", {"X": {"properties": {"a": {"$ref": "#/$defs/X"}}},
                                      "Y": {"properties": {"a": {"$ref": "#/$defs/Y"}}}}, "X", "Y"),
    ("a chain of 100,000 definitions merged",
     {f"{side}{i}": {"properties": {"a": {"$ref": f"#/$defs/{side}{i + 1}"}}}
      for side in "XY" for i in range(100_000)}, "X0", "Y0"),
    ("two paths a level, 40 levels", _fan(40), "X0", "Y0"),
]


@pytest.mark.parametrize("case", MERGES, ids=[c[0] for c in MERGES])
def test_merging_then_with_its_siblings_is_bounded(case: tuple[str, Any, str, str]) -> None:
    _, defs, first, second = case
    old = _then_merge(defs, first, second, {})
    new = _then_merge(defs, first, second, {"required": ["b"]})
    report = compare(old, new, "strict")
    # then now requires b of objects: narrower, never called compatible.
    assert report.backward_compatible is not True
    assert compare(new, old, "strict").forward_compatible is not True


def test_a_pattern_with_groups_past_the_bound_is_left_undecided() -> None:
    deep = "(" * 101 + "a" + ")" * 101
    report = compare({"type": "string", "pattern": deep},
                     {"type": "string", "pattern": deep.replace("a", "[ab]")})
    assert [c.kind for c in report.changes] == ["pattern_changed"]
    within = "(" * 100 + "a" + ")" * 100
    report = compare({"type": "string", "pattern": within},
                     {"type": "string", "pattern": within.replace("a", "[ab]")})
    assert [c.kind for c in report.changes] == ["pattern_relaxed"]


@pytest.mark.parametrize("declared", [[], 5, {"a": 1}, None])
def test_a_schema_uri_that_is_not_a_string_fails_closed(declared: Any) -> None:
    report = compare({"$schema": declared, "type": "string"}, {"type": "string"})
    assert (report.backward_compatible, report.forward_compatible) == (None, None)
    assert "names no JSON Schema draft" in report.changes[0].explanation
