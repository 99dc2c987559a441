"""The public surface of senate.compat: report semantics, text form, proposal checks,
sample checks, reference handling and the generated kinds document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from senate.compat import (
    KINDS,
    Change,
    Report,
    check_change_type,
    check_samples,
    compare,
    diff,
    kinds_markdown,
    render_text,
)
from senate.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parents[1]

BASE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "x-senate-version": 3,
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["title"],
}


def with_props(**changes: Any) -> dict[str, Any]:
    props = {k: v for k, v in {**BASE["properties"], **changes}.items() if v is not None}
    return {**BASE, "x-senate-version": 4, "properties": props}


# -- report ------------------------------------------------------------------------------

def test_unknown_fails_closed() -> None:
    report = compare({"x-custom": 1}, {"x-custom": 2})
    assert report.backward_compatible is None and report.forward_compatible is None
    assert not report.compatible("backward") and not report.compatible("full")
    assert [c.kind for c in report.breaking("forward")] == ["unknown"]


def test_full_mode_needs_both_directions() -> None:
    report = compare({"type": "integer"}, {"type": "number"})
    assert report.compatible("backward") and not report.compatible("forward")
    assert not report.compatible("full")
    assert report.breaking("backward") == ()
    assert [c.kind for c in report.breaking("full")] == ["type_widened"]


def test_json_form() -> None:
    report = compare(BASE, with_props(confidence={"type": "number", "minimum": 0}))
    assert report.to_json() == {
        "backward_compatible": True,
        "forward_compatible": False,
        "changes": [{"kind": "maximum_removed", "path": "/properties/confidence",
                     "breaks": "forward", "explanation": "value <= 1 removed"}],
        "assumptions": [],
        "dialects": {"old": "2020-12", "new": "2020-12"},
    }


def test_diff_orders_breaking_in_mode_first() -> None:
    new = {**with_props(confidence={"type": "number"}), "required": ["title", "confidence"]}
    backward_first = diff(BASE, new, mode="backward")
    forward_first = diff(BASE, new, mode="forward")
    assert backward_first[0].kind == "required_added"
    assert forward_first[0].kind in ("minimum_removed", "maximum_removed")
    assert set(backward_first) == set(forward_first) == set(compare(BASE, new).changes)


def test_senate_version_and_schema_uri_are_metadata() -> None:
    other = {**BASE, "x-senate-version": 99, "$schema": "http://json-schema.org/draft-07/schema#"}
    assert compare(BASE, other).changes == ()


# -- references ----------------------------------------------------------------------------

def test_change_in_shared_definition_is_reported_at_each_use() -> None:
    def schema(max_len: int) -> dict[str, Any]:
        return {"$defs": {"Name": {"type": "string", "maxLength": max_len}},
                "properties": {"first": {"$ref": "#/$defs/Name"},
                               "last": {"$ref": "#/$defs/Name"}}}
    paths = sorted(c.path for c in compare(schema(10), schema(5)).changes)
    assert paths == ["/properties/first", "/properties/last"]


def test_change_inside_a_cycle_is_found_and_terminates() -> None:
    def tree(leaf: str) -> dict[str, Any]:
        return {"$defs": {"Node": {"type": "object", "properties": {
            "value": {"type": leaf},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}},
            "$ref": "#/$defs/Node"}
    report = compare(tree("integer"), tree("number"))
    assert [(c.kind, c.path) for c in report.changes] == [("type_widened", "/properties/value")]
    mutual = {"$defs": {"A": {"properties": {"b": {"$ref": "#/$defs/B"}}},
                        "B": {"properties": {"a": {"$ref": "#/$defs/A"}}}},
              "$ref": "#/$defs/A"}
    assert compare(mutual, {**mutual, "title": "t"}).backward_compatible is True


def test_self_referencing_ref_is_unknown() -> None:
    loop = {"$defs": {"L": {"$ref": "#/$defs/L"}}, "items": {"$ref": "#/$defs/L"}}
    report = compare({"items": {}}, loop)
    assert report.backward_compatible is None


def test_malformed_or_too_deep_schemas_fail_closed() -> None:
    malformed = compare({"minContains": None}, {"type": 5})
    assert malformed.backward_compatible is None
    assert malformed.changes[0].explanation.startswith("cannot compare: a schema is malformed")
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(5000):
        deep = {"items": deep}
    report = compare(deep, {"items": {}})
    assert report.backward_compatible is None and report.changes[0].kind == "unknown"


# -- text form ------------------------------------------------------------------------------

def test_text_groups_by_path_with_breaking_first() -> None:
    new = {**with_props(confidence={"type": "number", "minimum": 0, "maximum": 1,
                                    "description": "how sure"},
                        title={"type": "string", "maxLength": 200}),
           "x-senate-version": 4}
    text = render_text(compare(BASE, new))
    assert text.splitlines()[:3] == [
        "backward compatible: no", "forward compatible: yes",
        "backward check: NOT compatible (1 breaking change)"]
    assert text.index("/properties/title") < text.index("/properties/confidence")
    assert "  ! max_length_added [breaks backward]: maxLength 200 added" in text
    assert "    description_changed [breaks none]" in text


def test_text_for_no_change_and_unknown() -> None:
    assert "no changes in meaning" in render_text(compare(BASE, BASE))
    text = render_text(compare({"$ref": "https://a/x.json"}, {"$ref": "https://a/y.json"}))
    assert "backward compatible: unknown (fails closed)" in text
    assert "(root)" in text and "! unknown" in text


# -- proposal checks ------------------------------------------------------------------------

def test_add_field_that_matches_its_diff() -> None:
    report = compare(BASE, with_props(p_value={"type": "number"}))
    assert report.backward_compatible is True
    assert check_change_type("add_field", "p_value", None, report, True) == []


def test_add_field_that_also_removes_a_field() -> None:
    report = compare(BASE, with_props(p_value={"type": "number"}, confidence=None))
    found = check_change_type("add_field", "p_value", None, report, None)
    assert [m.reason for m in found] == ["add_field also removes fields: confidence"]
    assert [c.path for c in found[0].changes] == ["/properties/confidence"]


def test_claimed_compatible_but_breaking() -> None:
    new = {**with_props(p_value={"type": "number"}), "required": ["title", "p_value"]}
    report = compare(BASE, new)
    found = check_change_type("add_field", "p_value", None, report, True)
    assert len(found) == 1
    assert found[0].reason == ("claims backward_compatible: true, but the diff is not "
                               "backward compatible")
    # A new required property: no optional one, so not covered by the lenient policy.
    assert [c.kind for c in found[0].changes] == ["property_added", "required_added"]
    assert check_change_type("add_field", "p_value", None, report, False) == []


def test_field_change_types() -> None:
    removed = compare(BASE, with_props(confidence=None))
    assert check_change_type("remove_field", "confidence", None, removed, None) == []
    assert next(m.reason for m in check_change_type("add_field", "confidence", None, removed,
                                                None)).startswith("add_field of")
    modified = compare(BASE, with_props(confidence={"type": "number"}))
    assert check_change_type("modify_field", "confidence", None, modified, None) == []
    assert check_change_type("modify_field", "title", None, modified, None)[0].reason == (
        "modify_field of 'title', but that field does not change")
    renamed = compare(BASE, with_props(confidence=None, certainty=BASE["properties"]["confidence"]))
    assert check_change_type("rename_field", "confidence", "certainty", renamed, None) == []
    wrong = check_change_type("rename_field", "confidence", "sureness", renamed, None)
    assert {m.reason for m in wrong} == {
        "rename_field to 'sureness', but the schema does not add it",
        "rename_field also adds other fields: certainty"}


def test_change_outside_the_field_is_a_mismatch() -> None:
    new = {**with_props(p_value={"type": "number"}), "additionalProperties": False}
    found = check_change_type("add_field", "p_value", None, compare(BASE, new), None)
    assert [m.reason for m in found] == ["add_field of 'p_value' also changes validity elsewhere"]
    assert [c.path for c in found[0].changes] == ["/additionalProperties"]


def test_add_type_is_compatible_by_definition() -> None:
    report = compare({}, BASE)
    assert check_change_type("add_type", None, None, report, True) == []


def test_bad_change_type_input() -> None:
    report = compare(BASE, BASE)
    with pytest.raises(UsageError):
        check_change_type("delete_everything", "x", None, report, None)
    with pytest.raises(UsageError):
        check_change_type("add_field", None, None, report, None)
    with pytest.raises(UsageError):
        check_change_type("rename_field", "title", None, report, None)


# -- samples -------------------------------------------------------------------------------

def test_samples_catch_what_the_lenient_policy_assumed_away() -> None:
    new = with_props(p_value={"type": "number"})
    report = compare(BASE, new)  # lenient: adding an optional property breaks nothing
    docs = {"fine.json": {"title": "x", "p_value": 0.5},
            "legacy.json": {"title": "x", "p_value": "0.5"},
            "broken.json": {"confidence": 2}}
    found = check_samples(BASE, new, report, docs)
    assert [(m.document, m.valid_old, m.valid_new) for m in found] == [
        ("legacy.json", True, False)]
    assert "'0.5' is not of type 'number' at /p_value" in found[0].explanation
    strict = compare(BASE, new, policy="strict")
    assert check_samples(BASE, new, strict, docs) == []


def test_samples_check_forward_and_unresolvable() -> None:
    report = Report.of((Change("title_changed", "", "none", "claimed harmless"),))
    found = check_samples({"type": "integer"}, {"type": "number"}, report, {"d": 1.5})
    assert [(m.valid_old, m.valid_new) for m in found] == [(False, True)]
    remote = check_samples({"$ref": "https://example.invalid/x.json"}, {}, report, {"d": 1})
    assert remote[0].explanation.startswith("could not validate")


# -- kinds ---------------------------------------------------------------------------------

def test_kinds_doc_is_up_to_date() -> None:
    doc = REPO_ROOT / "docs" / "compat-kinds.md"
    assert doc.read_text() == kinds_markdown(), "regenerate docs/compat-kinds.md"


def test_kinds_are_stable_codes() -> None:
    for kind, text in KINDS.items():
        assert kind.replace("_", "").isalpha() and kind.islower()
        assert text and "\n" not in text


# -- a realistic artifact schema ------------------------------------------------------------

def _experiment(with_p_value: bool) -> dict[str, Any]:
    measurement: dict[str, Any] = {
        "type": "object",
        "properties": {"variable": {"type": "string", "minLength": 1, "maxLength": 300},
                       "value": {"type": "number"},
                       "dispersion": {"type": "object", "properties": {
                           "kind": {"type": "string", "enum": ["sd", "sem", "iqr", "mad"]},
                           "value": {"type": "number", "minimum": 0}},
                           "required": ["kind", "value"], "additionalProperties": False}},
        "required": ["variable"],
        "additionalProperties": False,
    }
    if with_p_value:
        measurement["properties"]["p_value"] = {"type": "number", "minimum": 0, "maximum": 1}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "urn:senate:schema:experiment", "x-senate-version": 1, "type": "object",
            "properties": {"title": {"type": "string"},
                           "measurements": {"type": "array", "minItems": 1,
                                            "items": {"$ref": "#/$defs/measurement"}}},
            "required": ["title", "measurements"], "additionalProperties": False,
            "$defs": {"measurement": measurement}}


def test_nested_field_added_to_a_closed_definition() -> None:
    old, new = _experiment(False), {**_experiment(True), "x-senate-version": 2}
    report = compare(old, new)
    assert report.to_json()["changes"] == [{
        "kind": "property_added",
        "path": "/properties/measurements/items/properties/p_value",
        "breaks": "forward",
        "explanation": "property 'p_value' added: the key was not allowed before, so new "
                       "documents holding it are new"}]
    assert report.backward_compatible is True and report.forward_compatible is False
    assert check_change_type("modify_field", "measurements", None, report, True) == []
    samples = {"old.json": {"title": "t", "measurements": [{"variable": "rt"}]},
               "new.json": {"title": "t", "measurements": [{"variable": "rt", "p_value": 0.01}]}}
    assert check_samples(old, new, report, samples) == []
    # Removing it again is the mirror image: old documents with p_value become invalid.
    back = compare(new, old)
    assert [(c.kind, c.breaks) for c in back.changes] == [("property_removed", "backward")]
    assert check_samples(new, old, back, samples) == []
