"""Benchmark: Senate's compatibility engine side by side with the PyPI package
`jsoncompat`, in the same run, per pair, in process: small pairs, the registry's schemas
(each against itself with one optional property added) and a pair of 5,000-property
schemas with nested objects and $refs. The ratio is jsoncompat's time over Senate's
(above 1: Senate is faster). jsoncompat is asked for role "both" (backward and forward),
which is what one Senate comparison computes.

Run: python tests/bench/bench_compat.py   (targets: at least as fast as jsoncompat on
every row; the 5,000-property edit under 100 ms)
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from senate.compat import compare

N_PROPS = 5_000
N_DEFS = 50


def build() -> dict[str, Any]:
    defs = {
        f"D{i}": {
            "type": "object",
            "properties": {
                "id": {"type": "string", "pattern": "^[a-z0-9-]+$", "maxLength": 64},
                "value": {"type": "number", "minimum": 0, "maximum": 1000},
                "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                "next": {"$ref": f"#/$defs/D{(i + 1) % N_DEFS}"},
            },
            "required": ["id"],
            "additionalProperties": False,
        }
        for i in range(N_DEFS)
    }
    props: dict[str, Any] = {}
    for i in range(N_PROPS):
        match i % 4:
            case 0:
                props[f"p{i}"] = {"type": "string", "maxLength": 100 + i % 7,
                                  "description": f"field {i}"}
            case 1:
                props[f"p{i}"] = {"$ref": f"#/$defs/D{i % N_DEFS}"}
            case 2:
                props[f"p{i}"] = {"type": "object", "properties": {
                    "a": {"type": "integer"}, "b": {"$ref": f"#/$defs/D{i % N_DEFS}"},
                    "c": {"type": "object", "properties": {"d": {"enum": ["x", "y", "z"]}}}}}
            case _:
                props[f"p{i}"] = {"type": "array", "items": {"$ref": f"#/$defs/D{i % N_DEFS}"},
                                  "maxItems": 50}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "x-senate-version": 7,
            "type": "object", "$defs": defs, "properties": props, "required": ["p0", "p1"]}


def evolve(schema: dict[str, Any]) -> dict[str, Any]:
    new = copy.deepcopy(schema)
    props = new["properties"]
    for i in range(0, N_PROPS, 250):          # 20 scattered edits
        props[f"p{i}"]["maxLength"] = 90
    for i in range(10):                       # 10 fields added, 5 removed
        props[f"added{i}"] = {"type": ["number", "null"]}
    for i in range(5):
        del props[f"p{4 * i + 3}"]
    new["$defs"]["D3"]["properties"]["value"]["maximum"] = 500   # a shared definition
    new["x-senate-version"] = 8
    return new


def timed(old: dict[str, Any], new: dict[str, Any], runs: int = 15) -> tuple[float, float, int]:
    """(best, median) milliseconds over `runs` and the number of changes. The best run
    is the least disturbed by other processes; the median is shown for honesty."""
    times = []
    changes = 0
    for _ in range(runs):
        start = time.perf_counter()
        report = compare(old, new)
        times.append(time.perf_counter() - start)
        changes = len(report.changes)
    return min(times) * 1000, statistics.median(times) * 1000, changes


SMALL: list[tuple[str, Any, Any]] = [
    ("type widened", {"type": "string"}, {"type": ["string", "null"]}),
    ("enum narrowed", {"enum": ["a", "b", "c"]}, {"enum": ["a", "b"]}),
    ("maximum raised", {"type": "number", "maximum": 5}, {"type": "number", "maximum": 10}),
    ("optional property added, closed",
     {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
     {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
      "additionalProperties": False}),
    ("required added", {"type": "object", "properties": {"a": {"type": "string"}}},
     {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}),
    ("nested array item narrowed",
     {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "number"}}}},
     {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "integer"}}}}),
    ("anyOf branch added", {"anyOf": [{"type": "string"}]},
     {"anyOf": [{"type": "string"}, {"type": "integer"}]}),
    ("pattern changed", {"type": "string", "pattern": "^a"}, {"type": "string", "pattern": "^b"}),
    ("ref target narrowed",
     {"$defs": {"d": {"type": "string"}}, "properties": {"p": {"$ref": "#/$defs/d"}}},
     {"$defs": {"d": {"type": "string", "maxLength": 3}},
      "properties": {"p": {"$ref": "#/$defs/d"}}}),
    ("draft-07 tuple to 2020-12",
     {"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}]},
     {"$schema": "https://json-schema.org/draft/2020-12/schema",
      "prefixItems": [{"type": "string"}]}),
]


def registry_pairs() -> list[tuple[str, Any, Any]]:
    root = Path(__file__).resolve().parents[2] / "schemas"
    out = []
    for path in sorted(root.glob("*.json")):
        old = json.loads(path.read_text())
        new = copy.deepcopy(old)
        new.setdefault("properties", {})["bench_extra"] = {"type": "string", "maxLength": 80}
        out.append((path.stem, old, new))
    return out


def best_of(fn: Callable[[], Any], budget: float = 0.3, most: int = 200) -> float:
    """Best time of repeated calls (the least disturbed by other processes), seconds."""
    times: list[float] = []
    spent = 0.0
    while len(times) < 3 or (spent < budget and len(times) < most):
        start = time.perf_counter()
        fn()
        took = time.perf_counter() - start
        times.append(took)
        spent += took
    return min(times)


def _shown(seconds: float) -> str:
    """A time in µs below a millisecond (the small pairs), else in ms."""
    return f"{seconds * 1e6:9.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:9.1f} ms"


def side_by_side(rows: list[tuple[str, Any, Any]], budget: float = 0.3) -> list[float]:
    """Print Senate vs jsoncompat per pair; return the ratios (None where it failed)."""
    try:
        import jsoncompat  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        print("jsoncompat is not installed (pip install jsoncompat): no side-by-side rows")
        return []
    ratios = []
    for name, old, new in rows:
        ours = best_of(lambda o=old, n=new: compare(o, n), budget)  # type: ignore[misc]
        old_text, new_text = json.dumps(old), json.dumps(new)
        try:
            theirs = best_of(lambda a=old_text, b=new_text:  # type: ignore[misc]
                             jsoncompat.check_compat(a, b, "both"), budget, most=50)
        except Exception as exc:  # jsoncompat rejects some schemas: say so, no ratio
            print(f"  {name:44s} senate {_shown(ours)}   jsoncompat error: "
                  f"{str(exc)[:50]}")
            continue
        ratios.append(theirs / ours)
        print(f"  {name:44s} senate {_shown(ours)}   jsoncompat {_shown(theirs)}"
              f"   ratio {theirs / ours:8.2f}x")
    return ratios


def main() -> None:
    import senate.compat

    # The compiled build (tools/senate/compat/native.py) when fresh; SENATE_PURE=1 for the
    # pure-Python modules, which give the same answers.
    print("engine:", "compiled (mypyc)" if senate.compat.NATIVE else "pure Python")
    print("small pairs, per pair:")
    small = side_by_side(SMALL)
    print("registry schemas (one optional property added), per pair:")
    registry = side_by_side(registry_pairs())
    old = build()
    new = evolve(old)
    print("5,000 properties, 50 recursive $defs, realistic edit:")
    big = side_by_side([("5,000-property pair", old, new)], budget=3.0)
    every = small + registry + big
    if every:
        print(f"ratio (jsoncompat / Senate) min {min(every):.1f}x, median "
              f"{statistics.median(every):.1f}x over {len(every)} rows; target (>= 1 on "
              "every row):", "met" if min(every) >= 1 else "NOT met")
    best, median, changes = timed(old, new)
    print(f"5,000 properties, 50 recursive $defs, realistic edit: best {best:.1f} ms, "
          f"median {median:.1f} ms, {changes} changes")
    same_best, same_median, _ = timed(old, copy.deepcopy(old))
    print(f"5,000 properties, identical copies: best {same_best:.1f} ms, "
          f"median {same_median:.1f} ms")
    every = copy.deepcopy(old)
    for value in every["properties"].values():
        value["title"] = "renamed"
    all_best, all_median, all_changes = timed(old, every)
    print(f"5,000 properties, every property annotated: best {all_best:.1f} ms, "
          f"median {all_median:.1f} ms, {all_changes} changes")
    print("target, under 100 ms in process:", "met" if best < 100 else "NOT met")


if __name__ == "__main__":
    main()
