"""The engine's answers on a fixed corpus, one JSON line per (pair, policy): to compare two
builds of the engine (compiled and pure, see tools/senate/compat/native.py) exactly.

The corpus: the fuzzer's pairs and leaf pairs from a seed, every past counterexample in
regressions/, the table of tests/test_compat_cases.py, the registry's schemas each against
a mutation of itself, and schemas nested around the recursion limit.

Run: PYTHONPATH=tools:tests python -m fuzz.answers SEED COUNT > answers.jsonl
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fuzz.gen import DRAFTS, URIS, Gen, mutate, pair

ROOT = Path(__file__).resolve().parents[2]


def _nested(depth: int, inner: Any) -> Any:
    for i in range(depth):
        inner = {"properties": {"a": inner}} if i % 2 else {"items": inner, "not": {}}
    return inner


def corpus(seed: int, count: int) -> Iterator[tuple[str, Any, Any]]:
    rng = random.Random(seed)
    for i in range(count):
        if i % 3 == 2:
            draft = rng.choice(DRAFTS)
            gen = Gen(rng, draft)
            old = gen.leaf()
            new = gen.leaf() if rng.random() < 0.5 else {**old, **dict([gen.keyword()])}
            if rng.random() < 0.3:
                new = {**new, "$schema": URIS[rng.choice(DRAFTS)]}
            yield f"leaf {i}", old, new
        else:
            old, new = pair(rng)
            yield f"pair {i}", old, new
    for path in sorted((Path(__file__).parent / "regressions").glob("*.json")):
        case = json.loads(path.read_text())
        yield f"regression {path.stem}", case["old"], case["new"]
    import test_compat_cases  # the table's module (tests/ is on the path, as in pytest)

    for case in test_compat_cases.CASES:
        yield f"case {case[0]}", case[1], case[2]
    for path in sorted((ROOT / "schemas").glob("*.json")):
        schema = json.loads(path.read_text())
        for k in range(3):
            yield f"registry {path.stem} {k}", schema, mutate(rng, "2020-12", schema)
    for depth in (40, 120, 200, 300, 450):
        yield f"nested {depth}", _nested(depth, {"type": "string"}), \
            _nested(depth, {"type": "string", "maxLength": 3})
    yield from _hostile()


def _chain(length: int, last: Any) -> dict[str, Any]:
    defs: dict[str, Any] = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(length)}
    defs[f"d{length}"] = last
    return {"$defs": defs, "items": {"$ref": "#/$defs/d0"}}


def _deep_properties(depth: int, leaf: Any) -> Any:
    # The first key differs at every level, so Python's `==` gives up at once and only
    # the engine's own walks go down (they must be bounded, see scan.MAX_DEPTH).
    node = leaf
    for i in range(depth):
        node = {"title": f"t{i}", "properties": {"a": node}}
    return node


def _hostile() -> Iterator[tuple[str, Any, Any]]:
    """Inputs at and past the engine's bounds, and malformed ones a compiled build reads
    differently unless the code guards for them (found by a review of the build)."""
    string, short = {"type": "string"}, {"type": "string", "maxLength": 3}
    for length in (10, 40, 62, 63, 64, 65, 70, 300, 50_000):
        yield f"ref chain {length}", _chain(length, string), _chain(length, short)
    for depth in (30, 62, 63, 64, 65, 100, 126, 127, 128, 129, 200, 1_000, 100_000):
        old, new = _deep_properties(depth, string), _deep_properties(depth, short)
        yield f"deep properties {depth}", old, new
        yield f"deep properties {depth} retitled", old, {**old, "title": "x"}
    for depth in (100, 254, 255, 256, 257, 300, 100_000):
        value: Any = 1
        for _ in range(depth):
            value = [value]
        yield f"deep const {depth}", {"title": "a", "const": value}, \
            {"title": "b", "const": value}
        yield f"deep default {depth}", {"type": "string", "default": value}, string
    for bad in (5, 1.5, True, [], {}):
        yield f"$id {bad!r}", {"$id": bad, "items": {"$ref": "#/$defs/x"}, "$defs": {"x": {}}}, \
            {"items": {"$ref": "#/$defs/x"}, "$defs": {"x": string}}
        yield f"embedded $id {bad!r}", \
            {"$defs": {"x": {"$id": bad}, "y": {"$anchor": "a"}}, "items": {"$ref": "#/$defs/x"}}, \
            {"$defs": {"x": {"$id": bad, **string}, "y": {"$anchor": "a"}},
             "items": {"$ref": "#/$defs/x"}}
    for before in ("oneOf", "anyOf", "allOf"):
        for after in ("oneOf", "anyOf", "allOf"):
            for value in ("ab", {}, 3, [string, {"type": "integer"}]):
                yield f"{before} -> {after} {value!r}", {before: [string, {"type": "integer"}]}, \
                    {after: value}
                yield f"{before} {value!r} -> {after}", {before: value}, {after: [string]}
    for keyword in ("properties", "patternProperties", "dependentRequired", "$defs"):
        yield f"{keyword} with an int key", {keyword: {1: {}}}, {keyword: {}}
    for declared in ([], 5, None, {"a": 1}):
        yield f"$schema {declared!r}", {"$schema": declared, **string}, string
    for groups in (50, 99, 100, 101, 340, 400, 492):
        deep = "(" * groups + "a" + ")" * groups
        yield f"pattern of {groups} groups", {"pattern": deep}, \
            {"pattern": deep.replace("a", "[ab]")}
    for length in (3, 63, 64, 65, 2_000):
        defs = {f"{side}{i}": {"properties": {"a": {"$ref": f"#/$defs/{side}{(i + 1) % length}"},
                                              "b": {"$ref": f"#/$defs/{side}{(i + 1) % length}"}}}
                for side in "XY" for i in range(length)}
        old = {"$defs": defs, "if": {"type": "object"}, "properties": {"a": {"$ref": "#/$defs/X0"}},
               "then": {"properties": {"a": {"$ref": "#/$defs/Y0"}}}}
        yield f"then merged through {length} definitions", old, \
            {**old, "then": {**old["then"], "required": ["b"]}}


def answers(seed: int, count: int) -> Iterator[dict[str, Any]]:
    import senate.compat as compat

    for name, old, new in corpus(seed, count):
        for policy in ("strict", "lenient"):
            report = compat.compare(old, new, policy)  # type: ignore[arg-type]
            yield {"name": name, "policy": policy, "native": compat.NATIVE,
                   "report": report.to_json()}


def main(argv: list[str]) -> int:
    seed, count = int(argv[0]), int(argv[1])
    for line in answers(seed, count):
        print(json.dumps(line, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
