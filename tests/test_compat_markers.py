"""The marker pre-check of compat/resources.py: a document's JSON text without `id"` or
`nchor"` has no id or anchor key, so no walk is needed. It must answer what the walk
answers on every document, including keys and values that merely look like markers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from senate.compat.resources import _has_markers, walk_markers

_KEYS = st.sampled_from(["$id", "id", "$anchor", "$dynamicAnchor", "uuid", "grid", "anchor",
                         "type", "properties", "a\"id", "$ID", "i\u0064"])
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(
    ["#", "#frag", "http://e.x/a.json", "id", "$anchor", 'x"id"', ""]))
_DOCS = st.recursive(_LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=12)


@settings(max_examples=800, deadline=None, derandomize=True)
@given(doc=_DOCS)
def test_the_pre_check_answers_as_the_walk(doc: Any) -> None:
    assert _has_markers(doc) == walk_markers(doc)


@pytest.mark.parametrize(("doc", "expected"), [
    ({"properties": {"p": {"$ref": "#/$defs/d"}}}, False),
    ({"properties": {"id": {"type": "string"}}}, False),     # a property named id
    ({"$defs": {"d": {"$id": "http://e.x/d.json"}}}, True),   # an embedded resource
    ({"$defs": {"d": {"$anchor": "here"}}}, True),
    ({"$id": "#root"}, True),                                 # draft-04..07 root anchor
    ({"$id": "http://e.x/root.json"}, False),                 # a root id is no marker
    ({"enum": ["$id"], "$defs": {"d": {"id": 5}}}, False),    # look-alikes only
    ({"$defs": {"d": {"id": "x"}}}, True),
    ({"big": 2**70, "$defs": {"d": {"$anchor": "a"}}}, True),  # orjson refuses: walked
    ({"big": 2**70}, False),
])
def test_table(doc: Any, expected: bool) -> None:
    assert _has_markers(doc) is expected is walk_markers(doc)
