"""Property-based soundness: whatever the engine calls compatible must be compatible.

Schema pairs are generated from a small vocabulary (so that documents often hit the
interesting cases), with the new schema usually a mutation of the old one. Documents
are generated from a matching small JSON vocabulary and validated by the real
`jsonschema` validator. Under the strict policy the engine's verdict must be sound:
backward compatible => every sample valid under old is valid under new (and forward
likewise). The lenient policy is unsound by design for keys an open object never
declared, so it is not checked here.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from senate.compat import compare

KEYS = ["a", "b", "ab"]
SCALARS = [None, True, False, 0, 1, 2, -3, 2.5, "", "a", "ab", "abcdef", "B"]
TYPES = ["null", "boolean", "integer", "number", "string", "array", "object"]

scalars = st.sampled_from(SCALARS)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner,
                                                                max_size=3),
    max_leaves=6,
)
small = st.integers(min_value=0, max_value=3)
SUBSCHEMA_KEYS = {"additionalProperties", "items", "contains", "not", "propertyNames", "if",
                  "then", "else"}


def _leaf_keywords() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={
        "type": st.sampled_from(TYPES) | st.lists(st.sampled_from(TYPES), min_size=1,
                                                  max_size=3, unique=True),
        "enum": st.lists(scalars, min_size=1, max_size=4),
        "const": scalars,
        "minimum": st.integers(-2, 2), "exclusiveMaximum": st.integers(-2, 3),
        "multipleOf": st.sampled_from([1, 2, 3]),
        "minLength": small, "maxLength": small, "pattern": st.sampled_from(["^a", "b$"]),
        "minItems": small, "maxItems": small, "uniqueItems": st.booleans(),
        "required": st.lists(st.sampled_from(KEYS), max_size=2, unique=True),
        "minProperties": small, "maxProperties": small,
        "dependentRequired": st.dictionaries(st.sampled_from(KEYS),
                                             st.lists(st.sampled_from(KEYS), max_size=2,
                                                      unique=True), max_size=1),
    })


def _schemas(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    nested = st.fixed_dictionaries({}, optional={
        "properties": st.dictionaries(st.sampled_from(KEYS), inner, max_size=2),
        "additionalProperties": inner,
        "patternProperties": st.dictionaries(st.sampled_from(["^a", "b$"]), inner, max_size=1),
        "items": inner,
        "prefixItems": st.lists(inner, max_size=2),
        "contains": inner,
        "anyOf": st.lists(inner, min_size=1, max_size=3),
        "oneOf": st.lists(inner, min_size=1, max_size=3),
        "allOf": st.lists(inner, min_size=1, max_size=2),
        "not": inner,
        "propertyNames": inner,
        "if": inner, "then": inner, "else": inner,
        "dependentSchemas": st.dictionaries(st.sampled_from(KEYS), inner, max_size=1),
    })
    return st.builds(lambda a, b: {**a, **b}, _leaf_keywords(), nested)


schemas = st.recursive(st.booleans() | _leaf_keywords(), _schemas, max_leaves=5)


@st.composite
def mutated(draw: st.DrawFn, schema: Any) -> Any:
    """A schema close to `schema`: one keyword dropped, added or changed, or wrapped."""
    if not isinstance(schema, dict) or not schema:
        return draw(schemas)
    choice = draw(st.integers(0, 5))
    keys = sorted(schema)
    if choice == 0:
        key = draw(st.sampled_from(keys))
        return {k: v for k, v in schema.items() if k != key}
    if choice == 1:
        return {**schema, **draw(_leaf_keywords())}
    if choice == 2:
        branch = draw(schemas)
        return {draw(st.sampled_from(["anyOf", "oneOf", "allOf"])): [schema, branch]}
    if choice == 3 and isinstance(schema.get("properties"), dict) and schema["properties"]:
        name = draw(st.sampled_from(sorted(schema["properties"])))
        inner = draw(mutated(schema["properties"][name]))
        return {**schema, "properties": {**schema["properties"], name: inner}}
    subschemas = [k for k in keys if k in SUBSCHEMA_KEYS]
    if choice == 4 and subschemas:
        key = draw(st.sampled_from(subschemas))
        return {**schema, key: draw(mutated(schema[key]))}
    return draw(schemas)


def refify(schema: Any) -> Any:
    """The same schema with every subschema behind a `$ref` into `$defs`."""
    if not isinstance(schema, dict):
        return schema
    defs: dict[str, Any] = {}

    def move(node: Any) -> Any:
        if isinstance(node, list):
            return [move(n) for n in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("properties", "patternProperties", "dependentSchemas"):
                out[key] = {k: pointer(v) for k, v in value.items()}
            elif key in SUBSCHEMA_KEYS:
                out[key] = pointer(value)
            elif key in ("anyOf", "oneOf", "allOf", "prefixItems"):
                out[key] = [pointer(v) for v in value]
            else:
                out[key] = value
        return out

    def pointer(node: Any) -> Any:
        name = f"d{len(defs)}"
        defs[name] = None  # reserve the name before recursing
        defs[name] = move(node)
        return {"$ref": f"#/$defs/{name}"}

    root = move(schema)
    return {**root, "$defs": defs} if defs else root


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Any, Any]:
    old = draw(schemas)
    new = draw(mutated(old)) if draw(st.integers(0, 4)) else draw(schemas)
    if draw(st.integers(0, 3)) == 0:
        old = refify(old)
    if draw(st.integers(0, 3)) == 0:
        new = refify(new)
    return (new, old) if draw(st.booleans()) else (old, new)


def _valid(schema: Any, document: Any) -> bool:
    return bool(Draft202012Validator(schema).is_valid(document))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=pairs(), docs=st.lists(documents, min_size=1, max_size=12))
def test_compatible_verdicts_are_sound(pair: tuple[Any, Any], docs: list[Any]) -> None:
    old, new = pair
    report = compare(old, new, policy="strict")
    for document in docs:
        before, after = _valid(old, document), _valid(new, document)
        if report.backward_compatible:
            assert not (before and not after), (document, report.changes)
        if report.forward_compatible:
            assert not (after and not before), (document, report.changes)


@settings(max_examples=150, deadline=None)
@given(schema=schemas)
def test_a_schema_is_compatible_with_itself(schema: Any) -> None:
    report = compare(schema, schema)
    assert report.changes == ()


@settings(max_examples=150, deadline=None)
@given(schema=schemas)
def test_moving_every_subschema_behind_a_ref_is_no_change(schema: Any) -> None:
    report = compare(schema, refify(schema), policy="strict")
    assert report.backward_compatible and report.forward_compatible, report.changes


@settings(max_examples=150, deadline=None)
@given(schema=schemas)
def test_moving_a_schema_behind_a_ref_is_no_change(schema: Any) -> None:
    wrapped = {"$defs": {"Moved": schema}, "$ref": "#/$defs/Moved"}
    nested = {"type": "array", "items": schema}
    nested_ref = {"$defs": {"Moved": schema}, "type": "array", "items": {"$ref": "#/$defs/Moved"}}
    for old, new in ((schema, wrapped), (nested, nested_ref)):
        report = compare(old, new, policy="strict")
        assert report.backward_compatible and report.forward_compatible, report.changes
