"""Oracle: Senate's metaschema check (memoised per subschema) gives exactly the verdict and
the first error of jsonschema's own `Draft202012Validator.check_schema`, cold and warm.

The corpus: the registry's schemas, the fuzzer's generated schemas (every draft, so many
are invalid as 2020-12), and each of those broken at one random place. Every schema is
checked twice in shuffled order, so memo hits from other schemas are exercised.
"""

from __future__ import annotations

import copy
import enum
import json
import math
import random
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fuzz.gen import _nodes, pair

from senate.errors import UsageError
from senate.validation import check_schema

ROOT = Path(__file__).resolve().parents[1]
BAD_VALUES: list[Any] = ["strng", -1, 1.5, None, [], {}, "(", True, {"type": "nope"},
                         [1, 1], {"$ref": 3}, "not a uri\x00"]


class _Kind(enum.Enum):
    STRING = "string"


def _broken(rng: random.Random, schema: Any) -> Any:
    schema = copy.deepcopy(schema)
    nodes = _nodes(schema, [])
    if not nodes:
        return {"type": rng.choice(BAD_VALUES)}
    node = rng.choice(nodes)
    keys = list(node) or ["type"]
    key = rng.choice([*keys, "minLength", "pattern", "items", "required", "$id"])
    node[key] = rng.choice(BAD_VALUES)
    return schema


def corpus() -> list[Any]:
    rng = random.Random(20261202)
    schemas: list[Any] = [json.loads(p.read_text())
                          for p in sorted((ROOT / "schemas").glob("*.json"))]
    for _ in range(250):
        old, new = pair(rng)
        schemas += [old, new]
    schemas += [_broken(rng, s) for s in list(schemas)]
    return schemas


def stock(schema: Any) -> tuple[str, str] | None:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return "/" + "/".join(str(p) for p in exc.absolute_path), exc.message
    return None


def ours(schema: Any) -> str | None:
    try:
        check_schema(schema, "s")
    except UsageError as exc:
        return exc.message
    return None


def expected(schema: Any) -> str | None:
    found = stock(schema)
    if found is None:
        return None
    where, message = found
    return f"s is not a valid JSON Schema (2020-12) at {where}: {message}"


def test_memoised_check_agrees_with_jsonschema_on_every_schema_cold_and_warm() -> None:
    schemas = [s for s in corpus() if isinstance(s, dict)]
    truth = [expected(s) for s in schemas]
    assert sum(t is None for t in truth) > 100 and sum(t is not None for t in truth) > 100
    order = list(range(len(schemas)))
    for round_ in range(2):
        random.Random(round_).shuffle(order)
        disagree = [(i, truth[i], ours(schemas[i])) for i in order
                    if ours(schemas[i]) != truth[i]]
        assert disagree == [], disagree[:3]


@pytest.mark.parametrize(("good", "bad"), [
    ({"properties": {"a": {"type": "string"}, "b": {"type": "string"}}},
     {"properties": {"a": {"type": "string"}, "b": {"type": "strng"}}}),
    ({"properties": {"a": {"pattern": "(a)"}}}, {"properties": {"a": {"pattern": "("}}}),
    ({"$defs": {"d": {"minLength": 1}}, "properties": {"p": {"$ref": "#/$defs/d"}}},
     {"$defs": {"d": {"minLength": -1}}, "properties": {"p": {"$ref": "#/$defs/d"}}}),
    ({"items": {"items": {"items": {"enum": [3]}}}}, {"items": {"items": {"items": {"enum": 3}}}}),
    # values a fast encoder writes alike: NaN and the infinities as null, 1.0 and 1, big ints
    ({"properties": {"a": {"minimum": math.nan}}}, {"properties": {"a": {"minimum": None}}}),
    ({"properties": {"a": {"maximum": -math.inf}}}, {"properties": {"a": {"maximum": None}}}),
    ({"properties": {"a": {"minLength": 1}}}, {"properties": {"a": {"minLength": 1.5}}}),
    ({"properties": {"a": {"minLength": 2**70}}}, {"properties": {"a": {"minLength": -2**70}}}),
    ({"properties": {"a": {"required": ["x"]}}}, {"properties": {"a": {"required": [True]}}}),
    # Python values JSON has not, which an encoder may write like JSON ones: the validator
    # tells a tuple from an array, an enum member from its value
    ({"properties": {"a": {"required": ["x"]}}}, {"properties": {"a": {"required": ("x",)}}}),
    ({"properties": {"a": {"enum": [1]}}}, {"properties": {"a": {"enum": (1,)}}}),
    ({"properties": {"a": {"type": "string"}}},
     {"properties": {"a": {"type": _Kind.STRING}}}),
    # judged by parts (the schema without `properties`/`$defs`, then each value): a fault
    # in the rest, in a value of either, or in the maps themselves
    ({"type": "object", "properties": {"a": {}}}, {"type": "strng", "properties": {"a": {}}}),
    ({"$defs": {"d": True}, "properties": {"a": False}}, {"$defs": {"d": 3}}),
    ({"properties": {}}, {"properties": []}),
    ({"$defs": {"d": {"properties": {"x": {}}}}}, {"$defs": {"d": {"properties": {"x": 1}}}}),
    ({"properties": {"a": {"minimum": 1}}, "$defs": {}},
     {"properties": {"a": {"minimum": 1}}, "$defs": {}, "minItems": -1}),
])
def test_a_warm_memo_never_hides_an_invalid_subschema(good: Any, bad: Any) -> None:
    assert ours(good) is None and expected(good) is None  # every subschema of good is memoised
    assert ours(bad) == expected(bad) is not None
    assert ours(good) is None
