"""The leaf paths of the compatibility engine (compat/leaf.py) against the general path.

A leaf pair is compared without documents, views or the pair memo, at the top level and
inside compare_views. Their answer must be exactly the general path's: the same changes,
texts, order, verdicts and assumptions. The general path alone is `engine.FAST = False`.
The soundness of both is the fuzzer's business (test_compat_fuzz.py); this file holds
them to each other, on the fuzzer's own pairs, on hypothesis leaves, and on a table of
the cases where a leaf is not its own view (draft-04 spellings, foreign keywords).
"""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
from fuzz.gen import DRAFTS, URIS, Gen, pair
from hypothesis import given, settings
from hypothesis import strategies as st

from senate.compat import compare, engine
from senate.compat.leaf import BY_TYPE, LEAF_KEYWORDS, TYPED, prune_types
from senate.compat.model import Report


def _both(old: Any, new: Any, policy: str = "strict") -> tuple[Report, Report]:
    assert engine.FAST
    fast = compare(old, new, policy)  # type: ignore[arg-type]
    engine.FAST = False
    try:
        general = compare(old, new, policy)  # type: ignore[arg-type]
    finally:
        engine.FAST = True
    return fast, general


def _leaf_pair(rng: random.Random) -> tuple[Any, Any]:
    draft = rng.choice(DRAFTS)
    gen = Gen(rng, draft)
    old = gen.leaf()
    new = gen.leaf() if rng.random() < 0.5 else {**old, **dict([gen.keyword()])}
    if rng.random() < 0.4:
        old = {**old, "$schema": URIS[draft]}
    if rng.random() < 0.4:
        new = {**new, "$schema": URIS[rng.choice(DRAFTS)]}
    return old, new


@pytest.mark.parametrize("seed", range(4))
def test_fuzzer_pairs_get_the_general_answer(seed: int) -> None:
    rng = random.Random(20261207 + seed)
    leaves = 0
    for i in range(1500):
        old, new = _leaf_pair(rng) if i % 2 else pair(rng)
        leaves += old.keys() <= LEAF_KEYWORDS and new.keys() <= LEAF_KEYWORDS
        for policy in ("strict", "lenient"):
            fast, general = _both(old, new, policy)
            assert fast == general, (old, new, policy)
    assert leaves > 300, "the pairs must hold many whole-leaf ones"


_VALUES = st.one_of(
    st.none(), st.booleans(), st.sampled_from([0, 1, 1.0, 0.0, -1, 2, 2.5, 0.1, 1e300,
                                              2**53 + 1, float(2**53)]),
    st.sampled_from(["", "a", "ab", "2020-01-01", "x@y.z"]))
_LEAF_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "type": st.one_of(st.sampled_from(["null", "boolean", "integer", "number", "string",
                                       "array", "object", "foo"]),
                      st.lists(st.sampled_from(["integer", "number", "string", "null"]),
                               max_size=3)),
    "enum": st.lists(_VALUES, max_size=4),
    "const": _VALUES,
    "minimum": _VALUES, "maximum": _VALUES,
    "exclusiveMinimum": _VALUES, "exclusiveMaximum": _VALUES,
    "multipleOf": st.sampled_from([1, 2, 3, 0.5, 0.1, 2.0, 2**60, True]),
    "minLength": _VALUES, "maxLength": st.sampled_from([0, 1, 3, 3.0, None]),
    "minItems": st.sampled_from([0, 1, 2]), "uniqueItems": st.booleans(),
    "minContains": st.sampled_from([0, 1, 2]), "maxContains": st.sampled_from([0, 1]),
    "pattern": st.sampled_from(["^a", "^a+$", "b$", "[", "^\\d$", "^[0-9]$"]),
    "format": st.sampled_from(["email", "date", "ipv4", "foo"]),
    "title": st.text(max_size=3), "default": _VALUES, "$comment": st.just("c"),
    "$id": st.sampled_from(["http://e.x/a.json", "#frag"]),
    "$defs": st.just({"d": {"type": "string"}}),
}
_LEAF = st.dictionaries(st.sampled_from(sorted(_LEAF_VALUES)), st.none(), max_size=4).flatmap(
    lambda keys: st.fixed_dictionaries({k: _LEAF_VALUES[k] for k in keys}))


@settings(max_examples=600, deadline=None, derandomize=True)
@given(old=_LEAF, new=_LEAF, drafts=st.tuples(st.sampled_from([None, *DRAFTS]),
                                               st.sampled_from([None, *DRAFTS])),
       policy=st.sampled_from(["strict", "lenient"]))
def test_hypothesis_leaves_get_the_general_answer(
        old: dict[str, Any], new: dict[str, Any], drafts: tuple[str | None, str | None],
        policy: str) -> None:
    if drafts[0]:
        old = {**old, "$schema": URIS[drafts[0]]}
    if drafts[1]:
        new = {**new, "$schema": URIS[drafts[1]]}
    fast, general = _both(old, new, policy)
    assert fast == general
    same, again = _both(old, dict(old), policy)
    assert same == again


D4 = URIS["draft-04"]
TABLE: list[tuple[str, Any, Any]] = [
    ("draft-04 boolean exclusiveMaximum (not its own view)",
     {"$schema": D4, "maximum": 5, "exclusiveMaximum": True}, {"$schema": D4, "maximum": 5}),
    ("draft-04 const is foreign: ignored", {"$schema": D4, "const": 1}, {"$schema": D4}),
    ("draft-04 integer across dialects", {"$schema": D4, "type": "integer"},
     {"type": "integer"}),
    ("a malformed type is a cannot-compare", {"type": 5}, {"type": "string"}),
    ("true is not 1 in an enum", {"enum": [True]}, {"enum": [1]}),
    ("equal ints and floats as multipleOf", {"multipleOf": 2}, {"multipleOf": 2.0}),
    ("format known in one dialect only", {"$schema": URIS["draft-06"], "format": "date"},
     {"format": "date"}),
    ("typed keywords of a type neither side allows", {"type": "string", "maximum": 5},
     {"type": "string", "maximum": 10}),
    ("a leaf beside unused definitions", {"$defs": {"d": {"$ref": "#"}}, "minimum": 1},
     {"$defs": {"d": {"$ref": "#"}}, "minimum": 2}),
    ("an unknown $schema", {"$schema": "urn:nope", "type": "string"}, {"type": "string"}),
    ("contains counts without contains", {"minContains": 2}, {"maxContains": 1}),
    ("identical leaves", {"type": "number", "maximum": 5}, {"type": "number", "maximum": 5}),
    ("enum narrowed", {"enum": ["a", "b", "c"]}, {"enum": ["a", "b"]}),
    ("a type no draft names, alike on both sides", {"type": "foo", "maximum": 5},
     {"type": "foo", "maximum": 6}),
    ("a malformed type spelled alike", {"type": 5, "title": "a"}, {"type": 5, "title": "b"}),
]

# One object as both sides: one view, no change, even where `==` could not tell (a NaN
# default) or a malformed keyword would raise if compared (found by a review).
SAME = [{"type": 5, "minimum": 1, "const": True}, {"default": float("nan"), "const": True},
        {"$schema": URIS["draft-07"], "const": True, "default": float("nan")}]


@pytest.mark.parametrize(("name", "old", "new"), TABLE, ids=[t[0] for t in TABLE])
def test_table(name: str, old: Any, new: Any) -> None:
    fast, general = _both(old, new)
    assert fast == general


def test_a_malformed_leaf_reads_as_malformed() -> None:
    report = compare({"type": 5}, {"type": "string"})
    assert report.backward_compatible is None
    assert "cannot compare: a schema is malformed" in report.changes[0].explanation


def test_no_cycle_token_in_a_summary() -> None:
    """A recursion summarised inside a pattern property once showed the cycle
    placeholder's internal token (two object ids): unstable, unreadable output."""
    old = {"patternProperties": {"a": {"type": "string"}, "^a": {"$ref": "#"}}}
    new = {"patternProperties": {"a": {"type": "string"}, "^a": {"$ref": "#"}, "b": False}}
    text = " ".join(c.explanation for c in compare(old, new).changes)
    assert "compared where it first appears" in text
    assert not re.search(r"\d+:\d+:(True|False)", text)
    assert compare(old, new) == compare(old, new)


@pytest.mark.parametrize("schema", SAME, ids=range(len(SAME)))
def test_one_object_on_both_sides(schema: dict[str, Any]) -> None:
    fast, general = _both(schema, schema)
    assert fast == general
    assert fast.changes == () and fast.backward_compatible is True


def test_a_malformed_type_spelled_alike_still_fails_closed() -> None:
    report = compare({"type": 5, "title": "a"}, {"type": 5, "title": "b"})
    assert report.backward_compatible is None


def test_a_dialect_that_is_no_name_is_refused_as_before() -> None:
    from senate.errors import UsageError

    with pytest.raises(UsageError):
        compare({"type": "string"}, {"type": "string"}, dialect="draft-05")


_TYPE_SPELLINGS = st.one_of(st.none(), st.sampled_from(["string", "number", "integer", "foo"]),
                            st.lists(st.sampled_from(["string", "integer", "object", "foo"]),
                                     max_size=3))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(old_type=_TYPE_SPELLINGS, new_type=_TYPE_SPELLINGS,
       keys=st.sets(st.sampled_from(sorted(TYPED)), max_size=4))
def test_prune_types_is_its_definition(old_type: Any, new_type: Any, keys: set[str]) -> None:
    """prune_types is shared by both paths, so the differential tests cannot see a fault
    in it: it is held to its definition here. A typed keyword is dropped exactly when
    both sides declare types and none of them is a type the keyword constrains."""
    o = {"type": old_type, **dict.fromkeys(keys, 1)} if old_type is not None else \
        dict.fromkeys(keys, 1)
    n = {"type": new_type, **dict.fromkeys(keys, 2)} if new_type is not None else \
        dict.fromkeys(keys, 2)
    po, pn = prune_types(o, n)
    declared = [t for t in (old_type, new_type) if t is not None]
    allowed = set().union(*({t} if isinstance(t, str) else set(t) for t in declared))
    for key in keys:
        needs = next(needs for needs, group in BY_TYPE if key in group)
        dropped = len(declared) == 2 and not allowed & needs
        assert (key not in po, key not in pn) == (dropped, dropped), (key, o, n)
