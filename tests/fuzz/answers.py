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
