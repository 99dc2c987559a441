"""The stable change codes, each with one line of documentation.

Codes are part of Senate's interface (agents match on them): add new ones, never rename.
Direction words: a change that *narrows* what is accepted breaks backward compatibility
(old documents may become invalid); one that *widens* it breaks forward compatibility.
"""

from __future__ import annotations

from collections.abc import Mapping


def _bounds(base: str, keyword: str, lower: bool) -> dict[str, str]:
    tighter, looser = ("increased", "decreased") if lower else ("decreased", "increased")
    return {
        f"{base}_added": f"`{keyword}` added (narrows; breaks backward)",
        f"{base}_removed": f"`{keyword}` removed (widens; breaks forward)",
        f"{base}_{tighter}": f"`{keyword}` made stricter (narrows; breaks backward)",
        f"{base}_{looser}": f"`{keyword}` relaxed (widens; breaks forward)",
    }


def _presence(base: str, keyword: str) -> dict[str, str]:
    return {
        f"{base}_added": f"{keyword} added (narrows; breaks backward)",
        f"{base}_removed": f"{keyword} removed (widens; breaks forward)",
        f"{base}_changed": f"{keyword} changed; neither side implies the other (breaks both)",
    }


def _branches(keyword: str, label: str) -> dict[str, str]:
    return {
        f"{label}_branch_added": f"a `{keyword}` branch added",
        f"{label}_branch_removed": f"a `{keyword}` branch removed",
    }


KINDS: Mapping[str, str] = {
    "unknown": "Senate cannot decide this change (remote `$ref` that differs, a dynamic "
               "reference across embedded resources, unknown keyword, unresolvable "
               "reference, recursion through not/oneOf/if, float `multipleOf`); counts as "
               "breaking both ways (fail closed)",
    "type_widened": "`type` accepts more types, e.g. integer -> number or null added "
                    "(breaks forward)",
    "type_narrowed": "`type` accepts fewer types, or `type` added (breaks backward)",
    "type_changed": "`type` changed so that neither set contains the other (breaks both)",
    "enum_added": "`enum` added where any value was allowed (breaks backward)",
    "enum_removed": "`enum` removed: any value allowed again (breaks forward)",
    "enum_widened": "values added to `enum`/`const`, compared as a set (breaks forward)",
    "enum_narrowed": "values removed from `enum`/`const`, compared as a set (breaks backward)",
    "enum_changed": "values both added to and removed from `enum` (breaks both)",
    "const_added": "`const` added (breaks backward)",
    "const_removed": "`const` removed (breaks forward)",
    "const_changed": "`const` value changed (breaks both)",
    **_bounds("minimum", "minimum`/`exclusiveMinimum", True),
    **_bounds("maximum", "maximum`/`exclusiveMaximum", False),
    "multiple_of_added": "`multipleOf` added (breaks backward)",
    "multiple_of_removed": "`multipleOf` removed (breaks forward)",
    "multiple_of_relaxed": "`multipleOf` divides the old one, e.g. 10 -> 5 (breaks forward)",
    "multiple_of_tightened": "`multipleOf` is a multiple of the old one, e.g. 5 -> 10 "
                             "(breaks backward)",
    "multiple_of_changed": "`multipleOf` changed otherwise, e.g. 7 -> 13 (breaks both)",
    **_bounds("min_length", "minLength", True),
    **_bounds("max_length", "maxLength", False),
    **_presence("pattern", "`pattern`"),
    "pattern_tightened": "`pattern` matches fewer strings: every string it matches was "
                         "matched before (compared as regular languages; breaks backward)",
    "pattern_relaxed": "`pattern` matches more strings: every string matched before still "
                       "matches (compared as regular languages; breaks forward)",
    "pattern_rewritten": "`pattern` rewritten to match exactly the same strings (no effect)",
    **_presence("format", "`format` (compared as an assertion)"),
    **_presence("content", "`contentEncoding`/`contentMediaType`/`contentSchema` "
                           "(compared as assertions)"),
    **_bounds("min_items", "minItems", True),
    **_bounds("max_items", "maxItems", False),
    **_bounds("min_contains", "minContains", True),
    **_bounds("max_contains", "maxContains", False),
    "unique_items_added": "`uniqueItems: true` added (breaks backward)",
    "unique_items_removed": "`uniqueItems: true` removed (breaks forward)",
    "prefix_item_added": "a tuple position (`prefixItems`, or draft-07 array `items`) added; "
                         "compared with the schema that governed that position before",
    "prefix_item_removed": "a tuple position removed; the position falls back to `items`",
    "contains_added": "`contains` added (breaks backward)",
    "contains_removed": "`contains` removed (breaks forward)",
    **_bounds("min_properties", "minProperties", True),
    **_bounds("max_properties", "maxProperties", False),
    "property_added": "a property added; compared with what governed that key before "
                      "(additionalProperties / patternProperties). An optional property "
                      "that accepts something, added to an open object: breaks nothing "
                      "under the lenient policy (listed in `assumptions`), backward under strict",
    "property_removed": "a property removed; the key falls back to additionalProperties / "
                        "patternProperties (open object: breaks forward; closed: backward)",
    "required_added": "a property became required (breaks backward)",
    "required_removed": "a property is no longer required (breaks forward)",
    "pattern_property_added": "a `patternProperties` entry added",
    "pattern_property_removed": "a `patternProperties` entry removed",
    "dependent_required_added": "`dependentRequired` (or draft-07 `dependencies`) requires "
                                "more (breaks backward)",
    "dependent_required_removed": "`dependentRequired` requires less (breaks forward)",
    "dependent_schema_added": "a `dependentSchemas` entry added",
    "dependent_schema_removed": "a `dependentSchemas` entry removed",
    "schema_opened": "a `false` schema (nothing allowed) now allows values, e.g. "
                     "additionalProperties false -> a schema (breaks forward)",
    "schema_closed": "a schema became `false`: nothing allowed (breaks backward)",
    **_branches("allOf", "all_of"),
    **_branches("anyOf", "any_of"),
    **_branches("oneOf", "one_of"),
    "any_of_added": "`anyOf` added to a schema that had none (breaks backward unless the old "
                    "schema implies a branch)",
    "any_of_removed": "`anyOf` removed (breaks forward unless the new schema implies a branch)",
    "one_of_added": "`oneOf` added to a schema that had none",
    "one_of_removed": "`oneOf` removed",
    "one_of_to_any_of": "`oneOf` became `anyOf` (widens; breaks forward unless branches are "
                        "disjoint)",
    "any_of_to_one_of": "`anyOf` became `oneOf` (narrows; breaks backward unless branches are "
                        "disjoint)",
    "all_of_to_any_of": "`allOf` became `anyOf` (widens when a conjunct implies an alternative)",
    "any_of_to_all_of": "`anyOf` became `allOf` (narrows)",
    "all_of_to_one_of": "`allOf` became `oneOf` (breaks both)",
    "one_of_to_all_of": "`oneOf` became `allOf` (breaks both)",
    "not_added": "`not` added (breaks backward)",
    "not_removed": "`not` removed (breaks forward)",
    "conditional_added": "`if`/`then`/`else` added (breaks backward)",
    "conditional_removed": "`if`/`then`/`else` removed (breaks forward)",
    "if_changed": "the `if` condition changed: documents may switch branch (breaks both)",
    "title_changed": "`title` changed (annotation; breaks nothing)",
    "description_changed": "`description` changed (annotation; breaks nothing)",
    "default_changed": "`default` changed (annotation; breaks nothing)",
    "examples_changed": "`examples` changed, compared as a set (annotation; breaks nothing)",
    "annotation_changed": "another annotation changed: `deprecated`, `readOnly`, "
                          "`writeOnly`, `$comment`, `$id` (breaks nothing)",
}


def kinds_markdown() -> str:
    """The table of change kinds for docs/compat-kinds.md."""
    lines = [
        "# Compatibility change kinds",
        "",
        "Generated from `senate.compat.KINDS` by `kinds_markdown()`; do not edit by hand.",
        "",
        "Backward compatible: every document valid under the old schema is valid under the",
        "new one. A change that narrows what is accepted breaks backward; one that widens it",
        "breaks forward. Each change has a `kind` below, a `path` into the schema (through",
        "`$ref`s, where the change takes effect; `\"\"` is the root), `breaks` (`backward`,",
        "`forward`, `both`, `none`) and a one-line explanation.",
        "",
        "Rules that decide borderline cases:",
        "",
        "- `$schema`, `$anchor`, `$defs` (compared through the references that use them) and",
        "  the top-level `x-senate-version` are ignored; `$comment` and `$id` changes are",
        "  reported as `annotation_changed` and break nothing.",
        "- Each schema is read in its own dialect: the draft its `$schema` names (draft-04,",
        "  -06, -07, 2019-09, 2020-12), else the default (`senate.toml` `[compatibility]",
        "  dialect`, `senate diff --dialect`, 2020-12). A keyword the draft does not have is",
        "  ignored, as its validator ignores it (`const` in draft-04, `prefixItems` in",
        "  draft-07, `dependencies` in 2020-12); up to draft-07 a `$ref` makes its siblings",
        "  be ignored; old spellings (array `items`, `additionalItems`, `dependencies`,",
        "  boolean `exclusiveMinimum`) are read as their 2020-12 equivalents in the drafts",
        "  that have them. References resolve against base URIs and embedded `$id`",
        "  resources as the validator resolves them.",
        "- Adding an optional property to an open object (no `additionalProperties`/",
        "  `patternProperties` governing the key) breaks nothing under the default `lenient`",
        "  policy and breaks backward under `strict` (old documents may already hold the",
        "  key). That is the policy's only assumption: never for a required property, one",
        "  that forbids the key (`false`), inside `not`, `oneOf` or an `if` condition, nor in",
        "  forward verdicts; every verdict that rests on it lists it in `assumptions`.",
        "- `format` and `content*` are compared as assertions.",
        "- `enum`/`const` compare as sets of JSON values (`1 == 1.0`, `true != 1`); a finite",
        "  set of values is also checked value by value against the other side.",
        "- Numbers are compared as the validator compares them: bounds exactly in binary",
        "  floats; `multipleOf` by arithmetic only for two integer divisors (a float divisor",
        "  is divided in floating point, where 0.3 is no multiple of 0.1: `unknown`).",
        "- `unknown` (fail closed): a remote `$ref` that differs (an identical one counts as",
        "  unchanged and is listed in `assumptions`), `$dynamicRef`/`$recursiveRef` across",
        "  embedded resources (within one resource they are plain references), an unknown",
        "  keyword that differs, a reference that does not resolve, `unevaluated*` whose",
        "  evaluated keys or items may differ, recursion through `not`, `oneOf`, an `if`",
        "  condition or a bounded `contains`.",
        "- A `oneOf` whose branches are not provably disjoint: any change to a branch breaks",
        "  both ways, since documents may come to match two branches or none; likewise any",
        "  change to `contains` while `maxContains` bounds the matches.",
        "",
        "| kind | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{kind}` | {text.replace('|', '/')} |" for kind, text in KINDS.items()]
    return "\n".join(lines) + "\n"
