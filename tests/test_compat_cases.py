"""Table-driven corpus of schema pairs with the exact expected changes and verdicts.

Each case lists every change as (kind, path, breaks); the verdict follows from them but
is asserted separately so a wrong direction in a kind cannot hide. Together with the
145 Apicurio pairs (test_compat_apicurio.py) this is the engine's conformance corpus.
"""

from __future__ import annotations

from typing import Any

import pytest

from senate.compat import KINDS, compare

S2020 = "https://json-schema.org/draft/2020-12/schema"
D04 = "http://json-schema.org/draft-04/schema#"
D07 = "http://json-schema.org/draft-07/schema#"


def obj(required: tuple[str, ...] = (), closed: bool = False, **props: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}

# name, old, new, expected changes, (backward_compatible, forward_compatible), policy
Case = tuple[str, Any, Any, list[tuple[str, str, str]], tuple[bool | None, bool | None], str]
CASES: list[Case] = [
    # -- no change in meaning ---------------------------------------------------------
    ("identical", obj(a=STR), obj(a=STR), [], (True, True), "lenient"),
    ("key order", {"type": "string", "maxLength": 3}, {"maxLength": 3, "type": "string"},
     [], (True, True), "lenient"),
    ("enum reordered", {"enum": ["a", "b", 1]}, {"enum": [1, "b", "a"]}, [], (True, True),
     "lenient"),
    ("1 equals 1.0 in enum", {"enum": [1, 2]}, {"enum": [2.0, 1.0]}, [], (True, True), "lenient"),
    ("ref inlined",
     {"$defs": {"A": STR}, "properties": {"a": {"$ref": "#/$defs/A"}}},
     {"properties": {"a": STR}}, [], (True, True), "lenient"),
    ("definition moved behind a ref",
     {"properties": {"a": {"type": "integer", "minimum": 0}}},
     {"$defs": {"Count": {"type": "integer", "minimum": 0}},
      "properties": {"a": {"$ref": "#/$defs/Count"}}}, [], (True, True), "lenient"),
    ("ref renamed", {"$defs": {"A": STR}, "items": {"$ref": "#/$defs/A"}},
     {"$defs": {"B": STR}, "items": {"$ref": "#/$defs/B"}}, [], (True, True), "lenient"),
    ("annotation next to a ref kept", {"$defs": {"A": STR}, "items": {"$ref": "#/$defs/A"}},
     {"$defs": {"A": STR}, "items": {"$ref": "#/$defs/A", "title": "name"}},
     [("title_changed", "/items", "none")], (True, True), "lenient"),
    ("ref with sibling merged", {"$defs": {"A": {"minLength": 1}}, "type": "string",
                                 "$ref": "#/$defs/A"},
     {"type": "string", "minLength": 1}, [], (True, True), "lenient"),
    ("anchor ref", {"$defs": {"A": {"$anchor": "a", "type": "string"}}, "items": {"$ref": "#a"}},
     {"items": STR}, [], (True, True), "lenient"),
    ("pointer escapes", {"$defs": {"a/b": STR, "c~d": INT},
                         "prefixItems": [{"$ref": "#/$defs/a~1b"}, {"$ref": "#/$defs/c~0d"}]},
     {"prefixItems": [STR, INT]}, [], (True, True), "lenient"),
    ("unused definition changed", {"$defs": {"X": STR}, "type": "string"},
     {"$defs": {"X": INT}, "type": "string"}, [], (True, True), "lenient"),
    ("single-branch anyOf unwrapped", {"anyOf": [STR]}, STR, [], (True, True), "lenient"),
    ("single-branch allOf unwrapped", {"allOf": [{"minimum": 1}], "type": "integer"},
     {"type": "integer", "minimum": 1}, [], (True, True), "lenient"),
    ("const equals one-value enum", {"const": "x"}, {"enum": ["x"]}, [], (True, True),
     "lenient"),
    ("integer and number collapse", {"type": ["integer", "number"]}, NUM, [], (True, True),
     "lenient"),
    ("schema and comment metadata", {"$schema": S2020, "type": "string"},
     {"type": "string", "x-senate-version": 3}, [], (True, True), "lenient"),
    ("x-senate-version bump", {"x-senate-version": 1, **obj(a=STR)},
     {"x-senate-version": 2, **obj(a=STR)}, [], (True, True), "lenient"),
    ("true is the empty schema", {"items": True}, {"items": {}}, [], (True, True), "lenient"),
    ("minLength 0 is the default", STR, {"type": "string", "minLength": 0}, [], (True, True),
     "lenient"),
    ("recursive schema unchanged but rewritten",
     {"$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}},
      "$ref": "#/$defs/N"},
     {"$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}},
      "type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}},
     [], (True, True), "lenient"),
    # -- types ---------------------------------------------------------------------------
    ("integer to number", INT, NUM, [("type_widened", "", "forward")], (True, False), "lenient"),
    ("number to integer", NUM, INT, [("type_narrowed", "", "backward")], (False, True),
     "lenient"),
    ("null added", obj(a=STR), obj(a={"type": ["string", "null"]}),
     [("type_widened", "/properties/a", "forward")], (True, False), "lenient"),
    ("type changed", obj(a=STR), obj(a=INT), [("type_changed", "/properties/a", "both")],
     (False, False), "lenient"),
    ("type added", {}, STR, [("type_narrowed", "", "backward")], (False, True), "lenient"),
    ("type removed", STR, {}, [("type_widened", "", "forward")], (True, False), "lenient"),
    # -- enum and const -----------------------------------------------------------------
    ("enum value added", {"enum": ["a"]}, {"enum": ["a", "b"]},
     [("enum_widened", "", "forward")], (True, False), "lenient"),
    ("enum value removed", {"enum": ["a", "b"]}, {"enum": ["a"]},
     [("enum_narrowed", "", "backward")], (False, True), "lenient"),
    ("enum value replaced", {"enum": ["a", "b"]}, {"enum": ["a", "c"]},
     [("enum_changed", "", "both")], (False, False), "lenient"),
    ("enum added", STR, {"type": "string", "enum": ["a"]}, [("enum_added", "", "backward")],
     (False, True), "lenient"),
    ("enum removed", {"type": "string", "enum": ["a"]}, STR, [("enum_removed", "", "forward")],
     (True, False), "lenient"),
    ("const added", {}, {"const": 1}, [("const_added", "", "backward")], (False, True),
     "lenient"),
    ("const removed", {"const": 1}, {}, [("const_removed", "", "forward")], (True, False),
     "lenient"),
    ("const changed", {"const": 1}, {"const": 2}, [("const_changed", "", "both")],
     (False, False), "lenient"),
    ("const to wider enum", {"const": 1}, {"enum": [1, 2]}, [("enum_widened", "", "forward")],
     (True, False), "lenient"),
    ("true is not 1", {"enum": [True]}, {"enum": [1]}, [("enum_changed", "", "both")],
     (False, False), "lenient"),
    # -- numeric bounds -----------------------------------------------------------------
    ("minimum added", NUM, {**NUM, "minimum": 0}, [("minimum_added", "", "backward")],
     (False, True), "lenient"),
    ("minimum removed", {**NUM, "minimum": 0}, NUM, [("minimum_removed", "", "forward")],
     (True, False), "lenient"),
    ("minimum raised", {"minimum": 0}, {"minimum": 1}, [("minimum_increased", "", "backward")],
     (False, True), "lenient"),
    ("minimum lowered", {"minimum": 1}, {"minimum": 0}, [("minimum_decreased", "", "forward")],
     (True, False), "lenient"),
    ("exclusive minimum made inclusive", {"exclusiveMinimum": 0}, {"minimum": 0},
     [("minimum_decreased", "", "forward")], (True, False), "lenient"),
    ("inclusive minimum made exclusive", {"minimum": 0}, {"exclusiveMinimum": 0},
     [("minimum_increased", "", "backward")], (False, True), "lenient"),
    ("draft-04 exclusive flag equals 2020-12 form",
     {"$schema": D04, "minimum": 5, "exclusiveMinimum": True}, {"exclusiveMinimum": 5}, [],
     (True, True),
     "lenient"),
    # enum: [1] admits 1.0 (JSON equality); draft-04's integer type refuses 1.0.
    ("enum 1 under draft-04 integer", {"$schema": D07, "enum": [1, -3]},
     {"$schema": D04, "enum": [1, -3], "type": "integer"},
     [("type_narrowed", "", "backward"), ("type_narrowed", "", "backward")], (False, True),
     "lenient"),
    ("enum 1 under a draft-04 integer branch", {"$schema": D07, "enum": [1, -3]},
     {"$schema": D04, "enum": [1, -3], "anyOf": [INT, {"type": "array"}]},
     [("any_of_added", "/anyOf", "backward")], (False, True), "lenient"),
    ("enum 1.0 in draft-04 given integer type", {"$schema": D04, "enum": [1.0]},
     {"$schema": D04, "enum": [1], "type": "integer"},
     [("type_narrowed", "", "backward")], (False, True), "lenient"),
    ("maximum lowered", {"maximum": 10}, {"maximum": 5},
     [("maximum_decreased", "", "backward")], (False, True), "lenient"),
    ("maximum raised", {"maximum": 5}, {"maximum": 10}, [("maximum_increased", "", "forward")],
     (True, False), "lenient"),
    ("maximum added", {}, {"exclusiveMaximum": 1}, [("maximum_added", "", "backward")],
     (False, True), "lenient"),
    ("float bounds exact", {"maximum": 0.1}, {"maximum": 0.1 + 0.2},
     [("maximum_increased", "", "forward")], (True, False), "lenient"),
    ("multipleOf relaxed", {"multipleOf": 10}, {"multipleOf": 5},
     [("multiple_of_relaxed", "", "forward")], (True, False), "lenient"),
    ("multipleOf tightened", {"multipleOf": 2}, {"multipleOf": 6},
     [("multiple_of_tightened", "", "backward")], (False, True), "lenient"),
    ("multipleOf relaxed to a divisor", {"multipleOf": 6}, {"multipleOf": 3},
     [("multiple_of_relaxed", "", "forward")], (True, False), "lenient"),
    # The validator divides by a float in binary floating point: 0.6 / 0.1 is not whole
    # there, so a multiple of 0.2 need not pass multipleOf 0.1. Undecided, fail closed.
    ("multipleOf float divisors", {"multipleOf": 0.2}, {"multipleOf": 0.1},
     [("unknown", "", "both")], (None, None), "lenient"),
    # 9007199254740993 = 3 * 3002399751580331, but a float instance is taken modulo
    # float(9007199254740993) = 2**53: 9007199254740992.0 passes it and fails 3.
    ("multipleOf int divisor past 2**53", {"multipleOf": 3}, {"multipleOf": 9007199254740993},
     [("unknown", "", "both")], (None, None), "lenient"),
    ("multipleOf changed", {"multipleOf": 2}, {"multipleOf": 3},
     [("multiple_of_changed", "", "both")], (False, False), "lenient"),
    ("multipleOf added", {}, {"multipleOf": 2}, [("multiple_of_added", "", "backward")],
     (False, True), "lenient"),
    # -- strings ------------------------------------------------------------------------
    ("maxLength decreased", {**STR, "maxLength": 10}, {**STR, "maxLength": 5},
     [("max_length_decreased", "", "backward")], (False, True), "lenient"),
    ("maxLength added", STR, {**STR, "maxLength": 5}, [("max_length_added", "", "backward")],
     (False, True), "lenient"),
    ("minLength increased", {"minLength": 1}, {"minLength": 2},
     [("min_length_increased", "", "backward")], (False, True), "lenient"),
    ("minLength removed", {"minLength": 1}, {}, [("min_length_removed", "", "forward")],
     (True, False), "lenient"),
    ("pattern added", STR, {**STR, "pattern": "^a"}, [("pattern_added", "", "backward")],
     (False, True), "lenient"),
    ("pattern changed", {"pattern": "^a"}, {"pattern": "^b"}, [("pattern_changed", "", "both")],
     (False, False), "lenient"),
    ("format added", STR, {**STR, "format": "date"}, [("format_added", "", "backward")],
     (False, True), "lenient"),
    ("format removed", {**STR, "format": "date"}, STR, [("format_removed", "", "forward")],
     (True, False), "lenient"),
    ("format changed", {"format": "date"}, {"format": "date-time"},
     [("format_changed", "", "both")], (False, False), "lenient"),
    ("contentMediaType added", STR, {**STR, "contentMediaType": "text/csv"},
     [("content_added", "", "backward")], (False, True), "lenient"),
    # -- arrays -------------------------------------------------------------------------
    ("items narrowed", {"items": NUM}, {"items": INT},
     [("type_narrowed", "/items", "backward")], (False, True), "lenient"),
    ("items added", {"type": "array"}, {"type": "array", "items": STR},
     [("type_narrowed", "/items", "backward")], (False, True), "lenient"),
    ("items closed", {"prefixItems": [STR]}, {"prefixItems": [STR], "items": False},
     [("schema_closed", "/items", "backward")], (False, True), "lenient"),
    ("items opened", {"prefixItems": [STR], "items": False}, {"prefixItems": [STR]},
     [("schema_opened", "/items", "forward")], (True, False), "lenient"),
    ("minItems increased", {"minItems": 1}, {"minItems": 2},
     [("min_items_increased", "", "backward")], (False, True), "lenient"),
    ("maxItems removed", {"maxItems": 3}, {}, [("max_items_removed", "", "forward")],
     (True, False), "lenient"),
    ("uniqueItems added", {"type": "array"}, {"type": "array", "uniqueItems": True},
     [("unique_items_added", "", "backward")], (False, True), "lenient"),
    ("uniqueItems false is absent", {"uniqueItems": False}, {}, [], (True, True), "lenient"),
    ("prefix item added to open tuple", {"prefixItems": [STR]}, {"prefixItems": [STR, INT]},
     [("prefix_item_added", "/prefixItems/1", "backward")], (False, True), "lenient"),
    ("prefix item added from items", {"prefixItems": [STR], "items": INT},
     {"prefixItems": [STR, INT], "items": INT},
     [("prefix_item_added", "/prefixItems/1", "none")], (True, True), "lenient"),
    ("prefix item removed", {"prefixItems": [STR, INT]}, {"prefixItems": [STR]},
     [("prefix_item_removed", "/prefixItems/1", "forward")], (True, False), "lenient"),
    ("draft-07 tuple equals prefixItems",
     {"$schema": D07, "items": [STR], "additionalItems": False},
     {"prefixItems": [STR], "items": False}, [], (True, True), "lenient"),
    ("contains relaxed", {"contains": {"minimum": 5}}, {"contains": {"minimum": 1}},
     [("minimum_decreased", "/contains", "forward")], (True, False), "lenient"),
    ("contains added", {}, {"contains": STR}, [("contains_added", "/contains", "backward")],
     (False, True), "lenient"),
    ("minContains increased", {"contains": STR, "minContains": 1},
     {"contains": STR, "minContains": 2}, [("min_contains_increased", "", "backward")],
     (False, True), "lenient"),
    ("maxContains added", {"contains": STR}, {"contains": STR, "maxContains": 2},
     [("max_contains_added", "", "backward")], (False, True), "lenient"),
    # -- objects: properties and content models --------------------------------------
    ("optional property added to open object", obj(a=STR), obj(a=STR, b=INT),
     [("property_added", "/properties/b", "none")], (True, True), "lenient"),
    ("optional property added to open object, strict", obj(a=STR), obj(a=STR, b=INT),
     [("property_added", "/properties/b", "backward")], (False, True), "strict"),
    ("unconstrained property added, strict", obj(a=STR), obj(a=STR, b={}),
     [("property_added", "/properties/b", "none")], (True, True), "strict"),
    ("property added to closed object", obj(closed=True, a=STR),
     obj(closed=True, a=STR, b=INT), [("property_added", "/properties/b", "forward")],
     (True, False), "lenient"),
    # A required property is no optional one: the lenient assumption does not apply.
    ("required property added", obj(a=STR), obj(("b",), a=STR, b=INT),
     [("property_added", "/properties/b", "backward"),
      ("required_added", "/required/b", "backward")], (False, True), "lenient"),
    ("property added under typed additionalProperties",
     {**obj(a=STR), "additionalProperties": STR},
     {**obj(a=STR, b=STR), "additionalProperties": STR},
     [("property_added", "/properties/b", "none")], (True, True), "lenient"),
    ("property added narrower than additionalProperties",
     {**obj(a=STR), "additionalProperties": STR},
     {**obj(a=STR, b={"type": "string", "maxLength": 2}), "additionalProperties": STR},
     [("property_added", "/properties/b", "backward")], (False, True), "lenient"),
    ("property added under patternProperties",
     {"type": "object", "patternProperties": {"^x_": INT}},
     {"type": "object", "patternProperties": {"^x_": INT}, "properties": {"x_a": NUM}},
     [("property_added", "/properties/x_a", "none")], (True, True), "lenient"),
    ("property removed from open object", obj(a=STR, b=INT), obj(a=STR),
     [("property_removed", "/properties/b", "forward")], (True, False), "lenient"),
    ("property removed from closed object", obj(closed=True, a=STR, b=INT),
     obj(closed=True, a=STR), [("property_removed", "/properties/b", "backward")],
     (False, True), "lenient"),
    ("property removed under unevaluatedProperties false",
     {**obj(a=STR, b=INT), "unevaluatedProperties": False},
     {**obj(a=STR), "unevaluatedProperties": False},
     [("property_removed", "/properties/b", "backward")], (False, True), "lenient"),
    ("property type narrowed deep",
     obj(m={"type": "array", "items": obj(p=NUM)}), obj(m={"type": "array", "items": obj(p=INT)}),
     [("type_narrowed", "/properties/m/items/properties/p", "backward")], (False, True),
     "lenient"),
    ("additionalProperties closed", obj(a=STR), obj(closed=True, a=STR),
     [("schema_closed", "/additionalProperties", "backward")], (False, True), "lenient"),
    ("additionalProperties opened to a type", obj(closed=True, a=STR),
     {**obj(a=STR), "additionalProperties": INT},
     [("schema_opened", "/additionalProperties", "forward")], (True, False), "lenient"),
    ("additionalProperties narrowed", {"additionalProperties": NUM},
     {"additionalProperties": INT}, [("type_narrowed", "/additionalProperties", "backward")],
     (False, True), "lenient"),
    ("required removed", obj(("a",), a=STR), obj(a=STR),
     [("required_removed", "/required/a", "forward")], (True, False), "lenient"),
    ("required reordered", {"required": ["a", "b"]}, {"required": ["b", "a"]}, [], (True, True),
     "lenient"),
    # Lenient covers adding an optional property only, not constraining a key pattern.
    ("pattern property added to open object", {"type": "object"},
     {"type": "object", "patternProperties": {"^x_": INT}},
     [("pattern_property_added", "/patternProperties/^x_", "backward")], (False, True),
     "lenient"),
    ("pattern property added, strict", {"type": "object"},
     {"type": "object", "patternProperties": {"^x_": INT}},
     [("pattern_property_added", "/patternProperties/^x_", "backward")], (False, True),
     "strict"),
    ("pattern property removed", {"patternProperties": {"^x_": INT}}, {},
     [("pattern_property_removed", "/patternProperties/^x_", "forward")], (True, False),
     "lenient"),
    ("pattern property narrowed", {"patternProperties": {"^x_": NUM}},
     {"patternProperties": {"^x_": INT}},
     [("type_narrowed", "/patternProperties/^x_", "backward")], (False, True), "lenient"),
    ("minProperties added", {}, {"minProperties": 1}, [("min_properties_added", "", "backward")],
     (False, True), "lenient"),
    ("maxProperties increased", {"maxProperties": 1}, {"maxProperties": 2},
     [("max_properties_increased", "", "forward")], (True, False), "lenient"),
    ("propertyNames added", {}, {"propertyNames": {"pattern": "^[a-z]+$"}},
     [("pattern_added", "/propertyNames", "backward")], (False, True), "lenient"),
    ("dependentRequired added", {}, {"dependentRequired": {"a": ["b"]}},
     [("dependent_required_added", "/dependentRequired/a", "backward")], (False, True),
     "lenient"),
    ("dependentRequired relaxed", {"dependentRequired": {"a": ["b", "c"]}},
     {"dependentRequired": {"a": ["b"]}},
     [("dependent_required_removed", "/dependentRequired/a", "forward")], (True, False),
     "lenient"),
    ("draft-07 dependencies equal dependentRequired",
     {"$schema": D07, "dependencies": {"a": ["b"]}},
     {"dependentRequired": {"a": ["b"]}}, [], (True, True), "lenient"),
    ("dependentSchemas added", {}, {"dependentSchemas": {"a": {"required": ["b"]}}},
     [("dependent_schema_added", "/dependentSchemas/a", "backward")], (False, True),
     "lenient"),
    ("dependentSchemas removed", {"dependentSchemas": {"a": {"required": ["b"]}}}, {},
     [("dependent_schema_removed", "/dependentSchemas/a", "forward")], (True, False),
     "lenient"),
    ("dependentSchemas changed", {"dependentSchemas": {"a": {"maxProperties": 2}}},
     {"dependentSchemas": {"a": {"maxProperties": 3}}},
     [("max_properties_increased", "/dependentSchemas/a", "forward")], (True, False),
     "lenient"),
    # -- combinators ---------------------------------------------------------------------
    ("anyOf branch added", {"anyOf": [STR, INT]}, {"anyOf": [STR, INT, {"type": "null"}]},
     [("any_of_branch_added", "/anyOf/2", "forward")], (True, False), "lenient"),
    ("anyOf branch removed", {"anyOf": [STR, INT]}, {"anyOf": [STR]},
     [("any_of_branch_removed", "/anyOf/1", "backward")], (False, True), "lenient"),
    ("anyOf redundant branch removed", {"anyOf": [NUM, INT]}, {"anyOf": [NUM]},
     [("any_of_branch_removed", "/anyOf/1", "none")], (True, True), "lenient"),
    ("anyOf branches reordered", {"anyOf": [STR, INT]}, {"anyOf": [INT, STR]}, [],
     (True, True), "lenient"),
    ("anyOf branch changed", {"anyOf": [STR, {"maximum": 1}]}, {"anyOf": [STR, {"maximum": 2}]},
     [("maximum_increased", "/anyOf/1", "forward")], (True, False), "lenient"),
    ("allOf branch added", {"allOf": [STR, {"minLength": 1}]},
     {"allOf": [STR, {"minLength": 1}, {"maxLength": 9}]},
     [("all_of_branch_added", "/allOf/2", "backward")], (False, True), "lenient"),
    ("allOf branch removed", {"allOf": [STR, {"minLength": 1}]}, {"allOf": [STR]},
     [("all_of_branch_removed", "/allOf/1", "forward")], (True, False), "lenient"),
    ("oneOf disjoint branch added", {"oneOf": [STR, INT]},
     {"oneOf": [STR, INT, {"type": "null"}]},
     [("one_of_branch_added", "/oneOf/2", "forward")], (True, False), "lenient"),
    ("oneOf overlapping branch added", {"oneOf": [STR, INT]}, {"oneOf": [STR, INT, NUM]},
     [("one_of_branch_added", "/oneOf/2", "both")], (False, False), "lenient"),
    ("oneOf discriminated branch added",
     {"oneOf": [obj(("k",), k={"const": "a"}), obj(("k",), k={"const": "b"})]},
     {"oneOf": [obj(("k",), k={"const": "a"}), obj(("k",), k={"const": "b"}),
                obj(("k",), k={"const": "c"})]},
     [("one_of_branch_added", "/oneOf/2", "forward")], (True, False), "lenient"),
    ("oneOf discriminated without type object overlaps on non-objects",
     {"oneOf": [{"required": ["k"], "properties": {"k": {"const": "a"}}},
                {"required": ["k"], "properties": {"k": {"const": "b"}}}]},
     {"oneOf": [{"required": ["k"], "properties": {"k": {"const": "a"}}},
                {"required": ["k"], "properties": {"k": {"const": "b"}}},
                {"required": ["k"], "properties": {"k": {"const": "c"}}}]},
     [("one_of_branch_added", "/oneOf/2", "both")], (False, False), "lenient"),
    ("oneOf overlapping branch widened", {"oneOf": [STR, {"maxLength": 5}]},
     {"oneOf": [STR, {"maxLength": 10}]},
     [("max_length_increased", "/oneOf/1", "both")], (False, False), "lenient"),
    ("oneOf disjoint branch widened", {"oneOf": [STR, {"type": "integer", "maximum": 5}]},
     {"oneOf": [STR, {"type": "integer", "maximum": 10}]},
     [("maximum_increased", "/oneOf/1", "forward")], (True, False), "lenient"),
    ("anyOf to oneOf over overlapping branches", {"anyOf": [NUM, INT]},
     {"oneOf": [NUM, INT]}, [("any_of_to_one_of", "", "backward")], (False, True), "lenient"),
    ("anyOf to oneOf over disjoint branches", {"anyOf": [STR, INT]}, {"oneOf": [STR, INT]},
     [], (True, True), "lenient"),
    ("anyOf added that the old schema implies", STR,
     {"type": "string", "anyOf": [{"maxLength": 3}, {"type": "string"}]},
     [("any_of_added", "/anyOf", "none")], (True, True), "lenient"),
    ("anyOf added", STR, {"type": "string", "anyOf": [{"maxLength": 3}, {"pattern": "^a"}]},
     [("any_of_added", "/anyOf", "backward")], (False, True), "lenient"),
    ("oneOf that accepted nothing removed", {"type": "object", "oneOf": [True, {}]},
     {"type": "object"}, [("one_of_removed", "/oneOf", "forward")], (True, False), "lenient"),
    # Conservative: old accepted nothing, so backward holds vacuously; Senate does not see it.
    ("pure oneOf that accepted nothing unwrapped", {"oneOf": [True, {}]}, {},
     [("one_of_branch_removed", "/oneOf/1", "both")], (False, False), "lenient"),
    ("oneOf removed where the rest implies a branch", {"type": "string", "oneOf": [STR, INT]},
     STR, [("one_of_removed", "/oneOf", "none")], (True, True), "lenient"),
    ("anyOf to allOf", {"anyOf": [STR, {"maxLength": 3}]}, {"allOf": [STR, {"maxLength": 3}]},
     [("any_of_to_all_of", "", "backward")], (False, True), "lenient"),
    ("allOf to oneOf", {"allOf": [STR, {"maxLength": 3}]}, {"oneOf": [STR, {"maxLength": 3}]},
     [("all_of_to_one_of", "", "both")], (False, False), "lenient"),
    ("anyOf removed", {"type": "string", "anyOf": [{"maxLength": 3}, {"pattern": "^a"}]}, STR,
     [("any_of_removed", "/anyOf", "forward")], (True, False), "lenient"),
    ("oneOf added", STR, {"type": "string", "oneOf": [{"maxLength": 3}, {"minLength": 4}]},
     [("one_of_added", "/oneOf", "backward")], (False, True), "lenient"),
    ("not added", {}, {"not": STR}, [("not_added", "/not", "backward")], (False, True),
     "lenient"),
    ("not removed", {"not": STR}, {}, [("not_removed", "/not", "forward")], (True, False),
     "lenient"),
    ("not inner widened narrows", {"not": INT}, {"not": NUM},
     [("type_widened", "/not", "backward")], (False, True), "lenient"),
    ("false became true", {"items": False}, {"items": True},
     [("schema_opened", "/items", "forward")], (True, False), "lenient"),
    ("not {} is false", {"items": {"not": {}}}, {"items": False}, [], (True, True), "lenient"),
    # -- if / then / else ---------------------------------------------------------------
    ("then relaxed", {"if": obj(("k",)), "then": {"minProperties": 2}},
     {"if": obj(("k",)), "then": {"minProperties": 1}},
     [("min_properties_decreased", "/then", "forward")], (True, False), "lenient"),
    ("else narrowed", {"if": obj(("k",)), "else": {"maxProperties": 2}},
     {"if": obj(("k",)), "else": {"maxProperties": 1}},
     [("max_properties_decreased", "/else", "backward")], (False, True), "lenient"),
    ("then narrowing already imposed by siblings",
     {"type": "object", "properties": {"k": {"enum": ["a", "b"]}, "d": STR},
      "if": {"properties": {"k": {"const": "a"}}},
      "then": {"properties": {"d": {"pattern": "^[a-z]*$"}}}},
     {"type": "object", "properties": {"k": {"enum": ["a", "b"]}, "d": STR},
      "if": {"properties": {"k": {"const": "a"}}}, "then": {"properties": {"d": STR}}},
     [("pattern_removed", "/then/properties/d", "forward")], (True, False), "lenient"),
    ("then narrowing beyond siblings",
     {"type": "object", "properties": {"d": STR}, "if": {"required": ["k"]},
      "then": {"properties": {"d": {"maxLength": 9}}}},
     {"type": "object", "properties": {"d": STR}, "if": {"required": ["k"]},
      "then": {"properties": {"d": {"maxLength": 5}}}},
     [("max_length_decreased", "/then/properties/d", "backward")], (False, True), "lenient"),
    ("sibling change not repeated under then",
     {"properties": {"d": STR}, "if": {"required": ["k"]},
      "then": {"properties": {"d": {"maxLength": 9}}}},
     {"properties": {"d": INT}, "if": {"required": ["k"]},
      "then": {"properties": {"d": {"maxLength": 5}}}},
     [("type_changed", "/properties/d", "both"),
      ("max_length_decreased", "/then/properties/d", "backward")], (False, False), "lenient"),
    ("if changed", {"if": {"minimum": 0}, "then": {"multipleOf": 2}},
     {"if": {"minimum": 1}, "then": {"multipleOf": 2}}, [("if_changed", "/if", "both")],
     (False, False), "lenient"),
    ("conditional added", {}, {"if": {"minimum": 0}, "then": {"multipleOf": 2}},
     [("conditional_added", "/if", "backward")], (False, True), "lenient"),
    ("conditional removed", {"if": {"minimum": 0}, "else": {"multipleOf": 2}}, {},
     [("conditional_removed", "/if", "forward")], (True, False), "lenient"),
    ("if without then or else is inert", {"if": {"minimum": 0}}, {"if": {"minimum": 5}}, [],
     (True, True), "lenient"),
    ("then without if is inert", {"then": STR}, {"then": INT}, [], (True, True), "lenient"),
    # -- annotations -----------------------------------------------------------------------
    ("title changed", {"title": "a"}, {"title": "b"}, [("title_changed", "", "none")],
     (True, True), "lenient"),
    ("description added", obj(a=STR), obj(a={**STR, "description": "x"}),
     [("description_changed", "/properties/a", "none")], (True, True), "lenient"),
    ("default changed", {"default": 1}, {"default": 2}, [("default_changed", "", "none")],
     (True, True), "lenient"),
    ("examples reordered", {"examples": [1, 2]}, {"examples": [2, 1]}, [], (True, True),
     "lenient"),
    ("examples changed", {"examples": [1]}, {"examples": [3]},
     [("examples_changed", "", "none")], (True, True), "lenient"),
    ("comment changed", {"$comment": "a"}, {"$comment": "b"},
     [("annotation_changed", "", "none")], (True, True), "lenient"),
    ("id changed", {"$id": "https://x/a"}, {"$id": "https://x/b"},
     [("annotation_changed", "", "none")], (True, True), "lenient"),
    ("anchor renamed is no change", {"$anchor": "a"}, {"$anchor": "b"}, [], (True, True),
     "lenient"),
    ("deprecated added", {}, {"deprecated": True}, [("annotation_changed", "", "none")],
     (True, True), "lenient"),
    # -- undecidable: fail closed -------------------------------------------------------
    ("remote ref changed", {"$ref": "https://x/a.json"}, {"$ref": "https://x/b.json"},
     [("unknown", "", "both")], (None, None), "lenient"),
    ("remote ref unchanged elsewhere", {"$ref": "https://x/a.json", "title": "a"},
     {"$ref": "https://x/a.json", "title": "b"}, [("title_changed", "", "none")],
     (True, True), "lenient"),
    ("dynamicRef", {"$dynamicRef": "#node"}, {"$dynamicRef": "#node", "title": "t"},
     [("unknown", "", "both"), ("title_changed", "", "none")], (None, None), "lenient"),
    ("unknown keyword", {"x-unit": "ms"}, {"x-unit": "s"}, [("unknown", "", "both")],
     (None, None), "lenient"),
    ("unknown next to a definite break", {"x-unit": "ms", "type": "number"},
     {"x-unit": "s", "type": "integer"},
     [("type_narrowed", "", "backward"), ("unknown", "", "both")], (False, None), "lenient"),
    ("dangling ref", {"items": STR}, {"items": {"$ref": "#/$defs/Missing"}},
     [("unknown", "/items", "both"), ("type_widened", "/items", "forward")], (None, False),
     "lenient"),
]


def test_corpus_is_large_and_named_uniquely() -> None:
    names = [case[0] for case in CASES]
    assert len(names) == len(set(names))
    assert len(CASES) >= 120


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_case(case: Case) -> None:
    name, old, new, expected, verdict, policy = case
    report = compare(old, new, policy=policy)  # type: ignore[arg-type]
    got = sorted((c.kind, c.path, c.breaks) for c in report.changes)
    assert got == sorted(expected), name
    assert (report.backward_compatible, report.forward_compatible) == verdict, name
    for change in report.changes:
        assert change.kind in KINDS
        assert change.explanation and "\n" not in change.explanation


def test_unknown_keywords_are_reported_in_one_order_in_every_process() -> None:
    """Set order follows string hashes, which differ between processes: the report (an
    agent's --json) must not. Unknown keywords come out sorted."""
    old = {"zeta": 1, "alpha": 1, "mid": 1}
    new = {"zeta": 2, "alpha": 2, "mid": 2}
    named = [c.explanation.split("'")[1] for c in compare(old, new).changes]
    assert named == ["alpha", "mid", "zeta"]


def test_a_number_where_a_pattern_schema_belongs_is_not_true() -> None:
    """`true == 1` in Python: the raw-equality shortcut of a pair once took the number 1
    (no schema) for the schema `true`, so adding `"m": 1` under patternProperties read
    as no change. Fail closed: it is a schema Senate cannot read."""
    report = compare({"patternProperties": {}}, {"patternProperties": {"m": 1}})
    assert report.backward_compatible is False and report.forward_compatible is False
    assert any(c.kind == "unknown" for c in report.changes)


def test_a_matched_branch_keeps_the_answer_its_matching_found() -> None:
    """Branch matching compares a pair once; the changes reported for the match are those
    (asking again after a later branch had compared the same pair under oneOf met a memo
    entry made there, and answered unknown). The new side requires A and "A fails" (the
    oneOf of {} and A): it accepts nothing, so forward holds; backward does not."""
    from jsonschema import Draft202012Validator

    a = {"type": "object", "properties": {"r": {"$ref": "#"}}}
    old = {"allOf": [a, {"oneOf": [{"$ref": "#/allOf/0"}]}]}
    new = {"allOf": [a, {"oneOf": [{}, {"$ref": "#/allOf/0"}]}, {}]}
    report = compare(old, new, policy="strict")
    assert (report.backward_compatible, report.forward_compatible) == (False, True)
    before, after = Draft202012Validator(old), Draft202012Validator(new)
    for document in ({}, {"r": {}}, {"r": {"r": {}}}, 1, "x"):
        assert not after.is_valid(document)
    assert before.is_valid({}) and before.is_valid({"r": {}})
