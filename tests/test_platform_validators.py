"""jsonschema-rs (the bulk path) and jsonschema (the reference) agree document by document:
on every shipped sample, and on documents generated from them by hypothesis."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from senate.migrate.verify import load_samples
from senate.platform.validators import fast_check, reference_check

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = {p.stem: json.loads(p.read_text()) for p in sorted((ROOT / "schemas").glob("*.json"))}
SAMPLES = load_samples(None)
CHECKS = {t: (fast_check(s), reference_check(s)) for t, s in SCHEMAS.items()}

# Strings that sit on the formats' edges (date-time, date, uri) and on patterns.
EDGY = st.sampled_from([
    "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2024-01-01T00:00:00+01:00",
    "2024-01-01t00:00:00z", "2024-01-01 00:00:00Z", "2024-01-01T24:00:00Z", "2024-01-01",
    "2024-1-1", "20240101", "https://doi.org/10.1/x", "http://[::1]/", "urn:x:y", "not a uri",
    "/relative/path", "mailto:a@b.c", "", " ", "10.1038/nature", "PMID:123", "é", "0", "-1",
])
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                   st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=12), EDGY)
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, (*prefix, i))
    return out


def mutate(doc: Any, path: tuple[Any, ...], how: str, value: Any) -> Any:
    if not path:
        return value if how == "set" else doc
    doc = copy.deepcopy(doc)
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "drop":
        del parent[last]
    else:
        parent[last] = value
    return doc


def agree(kind: str, doc: Any) -> None:
    fast, reference = CHECKS[kind]
    assert fast(doc) == reference(doc), (kind, json.dumps(doc)[:400])


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_agree_on_shipped_samples(kind: str) -> None:
    for _, doc in SAMPLES[kind]:
        agree(kind, doc)
        assert CHECKS[kind][1](doc)  # the samples are valid: the comparison is not vacuous


@settings(max_examples=1500, deadline=None)
@given(data=st.data())
def test_agree_on_generated_documents(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(sorted(SAMPLES)))
    _, doc = data.draw(st.sampled_from(SAMPLES[kind]))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths(doc)))
        how = data.draw(st.sampled_from(["set", "drop"]))
        doc = mutate(doc, path, how, data.draw(VALUES))
    agree(kind, doc)


def test_generated_documents_are_both_valid_and_invalid() -> None:
    """The generator reaches both verdicts (else agreement would prove little)."""
    seen = set()
    for kind, docs in SAMPLES.items():
        doc = docs[0][1]
        for path in paths(doc)[1:]:
            for value in (None, "2023-02-29T12:00:00Z", "not a uri", 3):
                changed = mutate(doc, path, "set", value)
                agree(kind, changed)
                seen.add(CHECKS[kind][1](changed))
    assert seen == {True, False}
