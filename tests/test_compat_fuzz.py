"""The standing soundness fuzzer in CI: replay every counterexample it ever found, run it
for a fixed-seed budget (about half a minute), and a hypothesis-driven pass whose
documents come from hypothesis-jsonschema. `./run fuzz SECONDS` runs it for longer.

A counterexample is a document valid under one schema and invalid under the other, as
judged by the validator of the schema's own dialect with its format checker; an unsafe
verdict calls that direction compatible anyway. The lenient policy's one documented
assumption (old documents do not already hold a key added as an optional property of an
open object) is the only excuse, and only when the report lists it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from fuzz.gen import pair
from fuzz.oracle import Judge
from fuzz.runner import REGRESSIONS, _key_of, _uses_assumed_key, fuzz
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from senate.compat import compare

CI_SECONDS = 30.0
CI_SEED = 20261202
CASES = sorted(REGRESSIONS.glob("*.json"))


def _excused(report: Any, case: dict[str, Any]) -> bool:
    assumed = {_key_of(c.path) for c in report.changes if c.assumed}
    return (case["policy"] == "lenient" and case["direction"] == "backward"
            and bool(assumed) and _uses_assumed_key(case["document"], assumed))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_regression(path: Path) -> None:
    case = json.loads(path.read_text())
    old, new = Judge(case["old"]), Judge(case["new"])
    before, after = (old, new) if case["direction"] == "backward" else (new, old)
    # The case is real: the validators still disagree on its document.
    assert before.valid(case["document"]) is True and after.valid(case["document"]) is False
    report = compare(case["old"], case["new"], policy=case["policy"])
    verdict = getattr(report, f"{case['direction']}_compatible")
    assert verdict is not True or _excused(report, case), report.changes


def test_regressions_exist() -> None:
    assert len(CASES) >= 1, "the fuzzer's past counterexamples are replayed from here"


def test_fixed_seed_budget() -> None:
    stats = fuzz(CI_SEED, CI_SECONDS)
    print(stats.line())
    assert stats.pairs > 50, "the budget judged too few pairs to mean anything"
    assert not stats.unsafe, json.dumps(stats.unsafe[0])[:2000]


def _documents(schema: Any) -> st.SearchStrategy[Any]:
    from hypothesis_jsonschema import from_schema

    try:
        return from_schema(schema)
    except Exception:  # a keyword hypothesis-jsonschema does not support: no documents
        return st.nothing()


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_hypothesis_documents(seed: int, data: st.DataObject) -> None:
    old, new = pair(random.Random(seed))
    try:
        judges = (Judge(old), Judge(new))
    except Exception:
        assume(False)
        return
    report = compare(old, new, policy="strict")
    for direction, (a, b) in (("backward", judges), ("forward", judges[::-1])):
        if getattr(report, f"{direction}_compatible") is not True:
            continue
        schema = old if direction == "backward" else new
        strategy = _documents(schema)
        if strategy.is_empty:
            continue
        try:
            document = data.draw(strategy)
        except Exception:  # an unsatisfiable or unsupported schema
            continue
        if a.valid(document) is True:
            assert b.valid(document) is not False, (old, new, direction, document)
