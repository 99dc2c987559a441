"""Soundness table: one case per unsafe class of issue 13, in every draft that has the
keywords, each with a document that proves the change breaking.

Every case is checked twice: the document is judged by the jsonschema validator of the
schema's own dialect (format checker on), and the engine must not call the direction
compatible, under either policy. A second table lists pairs that mean the same in their
dialect (keywords foreign to the draft, `$ref` siblings up to draft-07, old spellings):
those must come out compatible both ways.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fuzz.gen import URIS
from jsonschema import validators  # type: ignore[import-untyped, unused-ignore]

from senate.cli.cmd_diff import DIALECT_NAMES as CLI_DIALECTS
from senate.compat import compare
from senate.compat.dialect import DIALECT_NAMES, metaschema_problem

ALL = tuple(URIS)
FROM_06 = ALL[1:]
FROM_07 = ALL[2:]
FROM_2019 = ALL[3:]
ONLY_2020 = ALL[4:]


def defs(draft: str) -> str:
    return "$defs" if draft in FROM_2019 else "definitions"


def stamp(draft: str, schema: Any) -> Any:
    text = json.dumps(schema).replace('"DEFS"', json.dumps(defs(draft))).replace(
        "/DEFS/", f"/{defs(draft)}/")
    return {"$schema": URIS[draft], **json.loads(text)}


# (class, name, drafts, old, new, direction, document that breaks that direction).
# "DEFS" stands for the draft's definitions keyword.
UNSAFE: list[tuple[int, str, tuple[str, ...], Any, Any, str, Any]] = [
    (1, "narrower contains under maxContains accepts more", FROM_2019,
     {"contains": {"type": "string"}, "maxContains": 1},
     {"contains": {"const": "a"}, "maxContains": 1}, "forward", ["a", "b"]),
    (1, "wider contains under maxContains accepts fewer", FROM_2019,
     {"contains": {"const": "a"}, "maxContains": 1},
     {"contains": {"type": "string"}, "maxContains": 1}, "backward", ["a", "b"]),
    (2, "recursion under not", ALL,
     {"DEFS": {"n": {"not": {"items": {"$ref": "#/DEFS/n"}}}}, "$ref": "#/DEFS/n"},
     {"DEFS": {"n": {"not": {"items": {"$ref": "#/DEFS/n"}, "minItems": 1}}},
      "$ref": "#/DEFS/n"}, "forward", []),
    (2, "recursion through oneOf", ALL,
     {"DEFS": {"n": {"oneOf": [{"type": "integer"},
                               {"type": "array", "items": {"$ref": "#/DEFS/n"}}]}},
      "$ref": "#/DEFS/n"},
     {"DEFS": {"n": {"oneOf": [{"type": "integer"}, {"type": "array"},
                               {"type": "array", "items": {"$ref": "#/DEFS/n"}}]}},
      "$ref": "#/DEFS/n"}, "backward", [1]),
    (3, "absent items is not items: true under unevaluatedItems", FROM_2019,
     {"type": "array", "contains": {"type": "string"}, "unevaluatedItems": False},
     {"type": "array", "unevaluatedItems": False}, "backward", ["a"]),
    (3, "additionalProperties evaluates every key", FROM_2019,
     {"additionalProperties": True, "unevaluatedProperties": False},
     {"unevaluatedProperties": False}, "backward", {"a": 1}),
    (3, "an allOf branch that evaluates keys changes", FROM_2019,
     {"allOf": [{"properties": {"a": True}}], "unevaluatedProperties": False},
     {"allOf": [{"properties": {"b": True}}], "unevaluatedProperties": False},
     "backward", {"a": 1}),
    (4, "then's additionalProperties is scoped to then", FROM_07,
     {"properties": {"a": True}, "if": True, "then": {"additionalProperties": False}},
     {"properties": {"a": True}, "if": True,
      "then": {"additionalProperties": False, "properties": {"b": True}}},
     "forward", {"b": 1}),
    (4, "then's items is scoped to then", ONLY_2020,
     {"prefixItems": [True], "if": True, "then": {"items": False}},
     {"prefixItems": [True], "if": True, "then": {"items": {"type": "string"}}},
     "forward", ["x"]),
    (5, "overlapping patterns with additionalProperties", ALL,
     {"patternProperties": {"^a": {"type": "string"}, "b$": {"type": "string"}},
      "additionalProperties": False},
     {"patternProperties": {"^a": {"type": "string"}}, "additionalProperties": False},
     "backward", {"b": "x"}),
    (5, "a removed pattern's keys fall to another pattern", ALL,
     {"patternProperties": {"^a": {"type": "string"}, "a": {"minLength": 2}}},
     {"patternProperties": {"a": {"minLength": 2}}}, "forward", {"ab": 12}),
    (6, "true is not 1 when a $ref is merged with const", FROM_2019,
     {"DEFS": {"x": {"const": 1}}, "$ref": "#/DEFS/x", "const": True},
     {"DEFS": {"x": {"const": 1}}, "$ref": "#/DEFS/x"}, "forward", 1),
    (7, "a $ref inside an embedded resource resolves against its $id", FROM_06,
     {"DEFS": {"s": {"type": "string"},
                "e": {"$id": "http://e.x/e.json", "DEFS": {"s": {"type": "integer"}},
                      "allOf": [{"$ref": "#/DEFS/s"}]}},
      "$ref": "#/DEFS/e"},
     {"DEFS": {"s": {"type": "string"},
                "e": {"$id": "http://e.x/e.json", "DEFS": {"s": {"type": "integer",
                                                                 "maximum": 1}},
                      "allOf": [{"$ref": "#/DEFS/s"}]}},
      "$ref": "#/DEFS/e"}, "backward", 5),
    (7, "a reference to the document's own $id is local", FROM_06,
     {"$id": "http://e.x/root.json", "DEFS": {"a": {"type": "integer"}},
      "properties": {"p": {"$ref": "root.json#/DEFS/a"}}},
     {"$id": "http://e.x/root.json", "DEFS": {"a": {"type": "string"}},
      "properties": {"p": {"$ref": "root.json#/DEFS/a"}}}, "backward", {"p": 1}),
    (8, "lenient never applies inside not", ALL,
     {"not": {"type": "object"}},
     {"not": {"type": "object", "properties": {"b": {"type": "string"}}}},
     "forward", {"b": 1}),
    (8, "lenient never applies to a property that forbids the key", FROM_06,
     {"type": "object"}, {"type": "object", "properties": {"b": False}},
     "backward", {"b": 1}),
    (8, "lenient never applies inside an if condition", FROM_07,
     {"if": {"type": "object"}, "then": {"required": ["x"]}},
     {"if": {"type": "object", "properties": {"b": {"type": "string"}}},
      "then": {"required": ["x"]}}, "forward", {"b": 1}),
    (9, "multipleOf in binary floats", ALL,
     {"multipleOf": 0.3}, {"multipleOf": 0.1}, "backward", 0.3),
    (9, "an int and a float divisor differ for big integers", ALL,
     {"multipleOf": 2.0}, {"multipleOf": 2}, "backward", 2**53 + 1),
    (10, "draft-07 ignores $ref siblings: removing the ref constrains", ("draft-07",),
     {"DEFS": {"a": {}}, "properties": {"p": {"$ref": "#/DEFS/a", "type": "string"}}},
     {"DEFS": {"a": {}}, "properties": {"p": {"type": "string"}}}, "backward", {"p": 1}),
]

EQUIVALENT: list[tuple[str, str, Any, Any]] = [
    ("draft-04 has no const", "draft-04", {"const": 1}, {}),
    ("draft-07 has no prefixItems", "draft-07", {"prefixItems": [{"type": "string"}]}, {}),
    ("2019-09 has no prefixItems", "2019-09", {"prefixItems": [{"type": "string"}]}, {}),
    ("draft-07 has no dependentRequired", "draft-07", {"dependentRequired": {"a": ["b"]}},
     {}),
    ("2020-12 has no dependencies", "2020-12", {"dependencies": {"a": ["b"]}}, {}),
    ("draft-06 has no if", "draft-06", {"if": {"type": "string"}, "then": False}, {}),
    ("draft-07 ignores $ref siblings", "draft-07",
     {"definitions": {"a": {}}, "properties": {"p": {"$ref": "#/definitions/a",
                                                      "type": "string"}}},
     {"definitions": {"a": {}}, "properties": {"p": {"$ref": "#/definitions/a"}}}),
    ("draft-04 boolean exclusiveMaximum", "draft-04",
     {"maximum": 5, "exclusiveMaximum": True}, {"maximum": 5, "exclusiveMaximum": True}),
    ("2019-09 $recursiveRef in one resource is a $ref", "2019-09",
     {"$recursiveAnchor": True, "type": ["integer", "array"], "items": {"$recursiveRef": "#"}},
     {"$recursiveAnchor": True, "type": ["integer", "array"], "items": {"$ref": "#"}}),
]


# Precision without giving up soundness: keywords that cannot matter for any instance.
INERT: list[tuple[str, Any, Any]] = [
    ("required on a non-object type", {"type": "string", "required": ["a"]},
     {"type": "string"}),
    ("string keywords on numbers", {"type": "integer", "maxLength": 2},
     {"type": "integer", "minLength": 5}),
    ("minContains without contains", {"type": "array", "minContains": 3}, {"type": "array"}),
    ("a conditional with neither then nor else", {"if": {"type": "string"}},
     {"if": {"type": "number"}}),
]

# enum/const values checked one by one against the other side: (old, new, verdicts).
VALUES: list[tuple[str, str, Any, Any, tuple[bool | None, bool | None]]] = [
    ("type added that every value has", "2020-12", {"enum": [1, 2]},
     {"enum": [1, 2], "type": "integer"}, (True, True)),
    ("const within the new bounds", "2020-12", {"const": "a"},
     {"type": "string", "maxLength": 3}, (True, False)),
    ("1.0 is no integer in draft-04", "draft-04", {"enum": [1.0]},
     {"enum": [1.0], "type": "integer"}, (False, True)),
    ("a value outside the new pattern", "2020-12", {"enum": ["ab", "b"]},
     {"enum": ["ab", "b"], "pattern": "^a"}, (False, True)),
]


@pytest.mark.parametrize(("draft", "old", "new", "verdicts"),
                         [pytest.param(d, o, n, v, id=name) for name, d, o, n, v in VALUES])
def test_values_checked_against_the_other_side(draft: str, old: Any, new: Any,
                                               verdicts: tuple[bool, bool]) -> None:
    old, new = {"$schema": URIS[draft], **old}, {"$schema": URIS[draft], **new}
    report = compare(old, new, policy="strict")
    assert (report.backward_compatible, report.forward_compatible) == verdicts, report.changes
    for value in old.get("enum", [old.get("const")]):
        if report.backward_compatible and _valid(old, value):
            assert _valid(new, value)


@pytest.mark.parametrize(("old", "new"), [pytest.param(o, n, id=name) for name, o, n in INERT])
def test_inert_keywords_change_nothing(old: Any, new: Any) -> None:
    old, new = {"$schema": URIS["2020-12"], **old}, {"$schema": URIS["2020-12"], **new}
    report = compare(old, new, policy="strict")
    assert (report.backward_compatible, report.forward_compatible) == (True, True), \
        report.changes


def test_inert_if_still_evaluates_for_unevaluated() -> None:
    # An if without then/else still evaluates keys (annotations) for unevaluatedProperties.
    old = {"if": {"properties": {"a": True}}, "unevaluatedProperties": False}
    new = {"unevaluatedProperties": False}
    assert _valid(old, {"a": 1}) and not _valid(new, {"a": 1})
    assert compare(old, new, policy="strict").backward_compatible is not True


def _valid(schema: Any, document: Any) -> bool:
    cls = validators.validator_for(schema)
    return bool(cls(schema, format_checker=cls.FORMAT_CHECKER).is_valid(document))


def _unsafe_cases() -> list[Any]:
    return [pytest.param(k, stamp(d, old), stamp(d, new), direction, doc,
                         id=f"class {k}: {name} [{d}]")
            for k, name, drafts, old, new, direction, doc in UNSAFE for d in drafts]


@pytest.mark.parametrize(("klass", "old", "new", "direction", "document"), _unsafe_cases())
def test_no_unsafe_verdict(klass: int, old: Any, new: Any, direction: str,
                           document: Any) -> None:
    assert metaschema_problem(old) is None and metaschema_problem(new) is None
    before, after = (old, new) if direction == "backward" else (new, old)
    assert _valid(before, document) and not _valid(after, document), "the proof is wrong"
    for policy in ("strict", "lenient"):
        report = compare(old, new, policy=policy)  # type: ignore[arg-type]
        assert getattr(report, f"{direction}_compatible") is not True, (klass, policy)


@pytest.mark.parametrize(("draft", "old", "new"),
                         [pytest.param(d, o, n, id=name) for name, d, o, n in EQUIVALENT])
def test_same_meaning_in_the_dialect(draft: str, old: Any, new: Any) -> None:
    old, new = {"$schema": URIS[draft], **old}, {"$schema": URIS[draft], **new}
    assert metaschema_problem(old) is None and metaschema_problem(new) is None
    report = compare(old, new, policy="strict")
    assert (report.backward_compatible, report.forward_compatible) == (True, True), \
        report.changes
    assert report.dialects == (draft, draft)


def test_no_schema_uses_the_given_dialect() -> None:
    # Without $schema the draft comes from the caller (senate.toml / --dialect).
    old, new = {"const": 1}, {}
    assert compare(old, new, dialect="draft-04").forward_compatible is True
    assert compare(old, new).forward_compatible is False  # 2020-12 by default
    assert compare(old, new, dialect="draft-04").dialects == ("draft-04", "draft-04")


def test_each_side_in_its_own_dialect() -> None:
    old = {"$schema": URIS["draft-07"], "items": [{"type": "string"}], "additionalItems": False}
    new = {"$schema": URIS["2020-12"], "prefixItems": [{"type": "string"}], "items": False}
    report = compare(old, new, policy="strict")
    assert (report.backward_compatible, report.forward_compatible) == (True, True)
    assert report.dialects == ("draft-07", "2020-12")
    # Read as 2020-12, the draft-07 tuple would be invalid: undecided, never compatible.
    assert metaschema_problem({k: v for k, v in old.items() if k != "$schema"}) is not None


def test_unknown_schema_uri_fails_closed() -> None:
    report = compare({"$schema": "http://example.com/my-draft"}, {})
    assert report.backward_compatible is None and report.forward_compatible is None
    assert "names no JSON Schema draft" in (metaschema_problem(
        {"$schema": "http://example.com/my-draft"}) or "")


def test_lenient_assumption_is_reported() -> None:
    old, new = {"type": "object"}, {"type": "object", "properties": {"b": {"type": "string"}}}
    lenient, strict = compare(old, new, policy="lenient"), compare(old, new, policy="strict")
    assert lenient.backward_compatible is True and strict.backward_compatible is False
    assert lenient.assumptions and "'b'" in lenient.assumptions[0]
    assert lenient.to_json()["assumptions"] == list(lenient.assumptions)
    assert strict.assumptions == ()


def test_remote_reference_assumption_is_reported() -> None:
    schema = {"properties": {"a": {"$ref": "https://example.com/other.json"}}}
    report = compare(schema, {**schema, "title": "t"})
    assert report.backward_compatible is True
    assert any("other.json" in a for a in report.assumptions)


def test_cli_names_the_same_dialects() -> None:
    assert CLI_DIALECTS == DIALECT_NAMES
