"""senate.jsontext.indented against the standard library it replaces: the same text, byte
for byte, for every JSON value (floats, huge integers, every code point, NaN included)."""

from __future__ import annotations

import enum
import json
import math
import sys
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senate.jsontext import indented
from senate.registry import dump_schema


def reference(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [1e-7, 1e16, 1e15, 1e22, 5e-324, 1.7976931348623157e308, 0.1, -0.0, 123456789.125,
     1e-5, 0.0001, 2.5e-5, math.nan, math.inf, -math.inf])
ints = st.integers() | st.sampled_from([2**63 - 1, 2**63, 2**64, -2**63, -2**63 - 1, 10**40])
texts = st.text() | st.sampled_from(["e.g. 0.95", "null", "1e5", "\u2028\u2029", "\x7f\x00",
                                     "\"\\/\b\f\n\r\t", "é😀", "<&>'"])
scalars = st.none() | st.booleans() | ints | floats | texts
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(texts, inner, max_size=4), max_leaves=30)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_same_text_as_the_standard_library(value: Any) -> None:
    assert indented(value) == reference(value)


def test_every_code_point_is_written_alike() -> None:
    every = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF)
    value = {every: [every, {"k": every}]}
    assert indented(value) == reference(value)


def test_values_orjson_refuses_or_writes_otherwise_take_the_standard_library() -> None:
    for value in [{1: "int key"}, {True: 1, None: 2, 1.5: 3}, "\ud800 lone surrogate",
                  [2**64, {"a": 10**30}], ("tuple", 1), {"nan": math.nan}, [1e16, 1e-7]]:
        assert indented(value) == reference(value)


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


class Reordered(dict):  # type: ignore[type-arg]
    def items(self):  # type: ignore[no-untyped-def]
        return reversed(list(super().items()))


def test_python_values_beyond_json_are_written_as_the_standard_library_writes_them() -> None:
    for value in [{"a": (1, (2.5, "x"))}, [Level.HIGH, Name("n")], {Name("k"): Level.HIGH},
                  Reordered(a=1, b=[2]), {"x": Reordered(b=1, a=2)}, [1.0, Level.HIGH]]:
        assert indented(value) == reference(value)


def test_what_the_standard_library_refuses_is_refused() -> None:
    import dataclasses
    import datetime
    import uuid

    @dataclasses.dataclass
    class Point:
        x: int

    for value in [Point(1), datetime.date(2026, 1, 1), {1, 2}, b"bytes", Colour.RED,
                  [uuid.UUID(int=7)], {"c": Colour.RED}]:
        try:
            reference(value)
        except TypeError:
            pass
        else:  # pragma: no cover - the premise of the case
            raise AssertionError(f"json.dumps accepted {value!r}")
        try:
            indented(value)
        except TypeError:
            continue
        raise AssertionError(f"indented accepted {value!r}, which json.dumps refuses")


def test_schema_files_are_written_through_it() -> None:
    schema = {"type": "object", "properties": {"x": {"description": "e.g. 0.95 é",
                                                     "maximum": 1e16}}}
    assert dump_schema(schema) == (reference(schema) + "\n").encode("utf-8")
