"""The schema registry: the conventions every schema follows, and samples that exercise it.

Schemas are read from `schemas/` at the repository root; samples through the package
resource `senate.data`, the way migration verification reads them.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator, FormatChecker

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
SAMPLES = files("senate.data") / "samples"

TYPES = (
    "analysis",
    "authored_paper",
    "code",
    "dashboard",
    "dataset",
    "debate",
    "experiment",
    "figure",
    "hypothesis",
    "kg_edge",
    "knowledge_gap",
    "model",
    "notebook",
    "paper",
    "protein_design",
    "tabular_dataset",
    "test_artifact",
    "wiki",
)

TOP_LEVEL_ORDER = [
    "$schema",
    "$id",
    "x-senate-version",
    "title",
    "description",
    "type",
    "properties",
    "required",
    "additionalProperties",
]

# Draft 2020-12 vocabularies (core, applicator, unevaluated, validation, meta-data,
# format-annotation, content), minus the dynamic-scope keywords the registry forbids:
# every schema must stay resolvable on its own.
KEYWORDS = frozenset(
    {
        "$schema", "$id", "$ref", "$anchor", "$comment", "$defs",
        "prefixItems", "items", "contains", "additionalProperties", "properties",
        "patternProperties", "dependentSchemas", "propertyNames", "if", "then", "else",
        "allOf", "anyOf", "oneOf", "not", "unevaluatedItems", "unevaluatedProperties",
        "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
        "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
        "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties",
        "required", "dependentRequired",
        "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
        "format", "contentEncoding", "contentMediaType", "contentSchema",
    }
)  # fmt: skip
SINGLE_SUBSCHEMA = (
    "additionalProperties", "propertyNames", "items", "contains", "not", "if", "then",
    "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema",
)  # fmt: skip
MAP_OF_SUBSCHEMAS = ("properties", "patternProperties", "$defs", "dependentSchemas")
LIST_OF_SUBSCHEMAS = ("prefixItems", "allOf", "anyOf", "oneOf")

RFC3339_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _format_checker() -> FormatChecker:
    """All formats jsonschema can check here, plus date-time and uri.

    jsonschema checks those two only when optional packages (rfc3339-validator, rfc3987)
    are installed; without them they would pass silently, so check them with the stdlib.
    """
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        if not RFC3339_DATE_TIME.fullmatch(value):
            return False
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # real calendar values
        return True

    @checker.checks("uri", raises=ValueError)
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(URI_SCHEME.fullmatch(parts.scheme)) and not re.search(r"\s", value)

    return checker


FORMAT_CHECKER = _format_checker()


def load_schema(type_name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / f"{type_name}.json").read_text("utf-8"))
    return schema


def sample_files(type_name: str) -> list[Traversable]:
    folder = SAMPLES / type_name
    return sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)


def load_sample(type_name: str, name: str) -> Any:
    return json.loads((SAMPLES / type_name / f"{name}.json").read_text("utf-8"))


def validator(type_name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(type_name), format_checker=FORMAT_CHECKER)


def subschemas(node: Any, pointer: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside a schema, with its JSON pointer (not data like enum)."""
    if not isinstance(node, dict):
        return  # a boolean schema has no keywords
    yield pointer, node
    for key in SINGLE_SUBSCHEMA:
        if key in node:
            yield from subschemas(node[key], f"{pointer}/{key}")
    for key in MAP_OF_SUBSCHEMAS:
        for name, sub in node.get(key, {}).items():
            yield from subschemas(sub, f"{pointer}/{key}/{name}")
    for key in LIST_OF_SUBSCHEMAS:
        for i, sub in enumerate(node.get(key, [])):
            yield from subschemas(sub, f"{pointer}/{key}/{i}")


def resolve_local(schema: dict[str, Any], ref: str) -> Any:
    """Follow a "#/..." JSON pointer inside `schema`; KeyError if it leads nowhere."""
    node: Any = schema
    for token in ref.removeprefix("#/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def edited(doc: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A deep copy of `doc` with the member at `path` set (or added) to `value`."""
    out = copy.deepcopy(doc)
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return out


# -- the registry as a whole -----------------------------------------------------------


def test_registry_holds_exactly_the_18_types() -> None:
    assert sorted(p.stem for p in SCHEMAS.glob("*")) == sorted(TYPES)
    assert sorted(f.name for f in SAMPLES.iterdir() if f.is_dir()) == sorted(TYPES)


def test_data_folder_is_a_package_resource() -> None:
    assert (files("senate.data") / "__init__.py").is_file()
    assert (SAMPLES / "README.md").read_text("utf-8").startswith("# Sample artifacts")


# -- each schema -----------------------------------------------------------------------


@pytest.mark.parametrize("type_name", TYPES)
def test_schema_is_valid_draft_2020_12(type_name: str) -> None:
    Draft202012Validator.check_schema(load_schema(type_name))


@pytest.mark.parametrize("type_name", TYPES)
def test_schema_file_layout(type_name: str) -> None:
    path = SCHEMAS / f"{type_name}.json"
    text = path.read_bytes().decode("utf-8")
    schema = json.loads(text)
    assert text == json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    expected = TOP_LEVEL_ORDER + (["$defs"] if "$defs" in schema else [])
    assert list(schema) == expected


@pytest.mark.parametrize("type_name", TYPES)
def test_schema_header(type_name: str) -> None:
    schema = load_schema(type_name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:senate:schema:{type_name}"
    version = schema["x-senate-version"]
    assert type(version) is int and version >= 1  # bool is an int subclass: excluded
    assert schema["title"].strip() and schema["description"].strip()


@pytest.mark.parametrize("type_name", TYPES)
def test_top_level_is_closed_with_real_required_fields(type_name: str) -> None:
    schema = load_schema(type_name)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert 8 <= len(schema["properties"]) <= 20
    required = schema["required"]
    assert required and len(set(required)) == len(required)
    assert set(required) <= set(schema["properties"])
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name) for name in schema["properties"])


@pytest.mark.parametrize("type_name", TYPES)
def test_only_standard_keywords(type_name: str) -> None:
    for pointer, node in subschemas(load_schema(type_name)):
        allowed = KEYWORDS | ({"x-senate-version"} if pointer == "#" else set())
        assert set(node) <= allowed, f"{pointer}: {sorted(set(node) - allowed)}"


@pytest.mark.parametrize("type_name", TYPES)
def test_refs_are_local_and_resolve(type_name: str) -> None:
    schema = load_schema(type_name)
    for pointer, node in subschemas(schema):
        if "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), f"{pointer}: non-local $ref {ref}"
            target = resolve_local(schema, ref)
            assert isinstance(target, dict | bool), f"{pointer}: {ref} is not a schema"


# -- samples ---------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", TYPES)
def test_samples_validate(type_name: str) -> None:
    found = sample_files(type_name)
    assert len(found) >= 2 and "minimal.json" in [f.name for f in found]
    check = validator(type_name)
    for sample in found:
        doc = json.loads(sample.read_text("utf-8"))
        errors = [f"{e.json_path}: {e.message}" for e in check.iter_errors(doc)]
        assert not errors, f"{sample.name}: {errors}"


@pytest.mark.parametrize("type_name", TYPES)
def test_minimal_sample_has_exactly_the_required_fields(type_name: str) -> None:
    assert set(load_sample(type_name, "minimal")) == set(load_schema(type_name)["required"])


@pytest.mark.parametrize("type_name", TYPES)
def test_rich_sample_uses_most_fields(type_name: str) -> None:
    rich = [f for f in sample_files(type_name) if f.name != "minimal.json"]
    used = set().union(*(json.loads(f.read_text("utf-8")) for f in rich))
    assert len(used) * 4 >= len(load_schema(type_name)["properties"]) * 3


# -- invalid documents are rejected ----------------------------------------------------


def rich_sample(type_name: str) -> Any:
    """The first non-minimal sample: the one invalid documents are made from."""
    first = next(f for f in sample_files(type_name) if f.name != "minimal.json")
    return json.loads(first.read_text("utf-8"))


def assert_rejected_at(type_name: str, doc: Any, path: tuple[str | int, ...]) -> None:
    """Rejected, and every error is about the edited member or the object holding it."""
    errors = list(validator(type_name).iter_errors(doc))
    assert errors, f"{type_name}: accepted {path}"
    for error in errors:
        where = tuple(error.absolute_path)
        assert path[: len(where)] == where, f"unexpected error at {where}: {error.message}"


@pytest.mark.parametrize("type_name", TYPES)
def test_missing_required_field_is_rejected(type_name: str) -> None:
    doc = rich_sample(type_name)
    for field in load_schema(type_name)["required"]:
        broken = {k: v for k, v in doc.items() if k != field}
        errors = list(validator(type_name).iter_errors(broken))
        assert [e.validator for e in errors] == ["required"], field


WRONG_VALUE_FOR = {
    "object": ["not", "an", "object"],
    "array": {"not": "an array"},
    "string": 12345,
    "number": "12.5",
    "integer": "12",
    "boolean": "true",
}


@pytest.mark.parametrize("type_name", TYPES)
def test_wrong_type_of_required_field_is_rejected(type_name: str) -> None:
    schema = load_schema(type_name)
    doc = rich_sample(type_name)
    for field in schema["required"]:
        declared = schema["properties"][field]
        if "$ref" in declared:
            declared = resolve_local(schema, declared["$ref"])
        wrong = WRONG_VALUE_FOR[declared["type"]]
        assert_rejected_at(type_name, edited(doc, (field,), wrong), (field,))


@pytest.mark.parametrize("type_name", TYPES)
def test_unknown_top_level_field_is_rejected(type_name: str) -> None:
    for sample in sample_files(type_name):
        doc = json.loads(sample.read_text("utf-8"))
        errors = list(validator(type_name).iter_errors({**doc, "ungoverned_field": 1}))
        assert [e.validator for e in errors] == ["additionalProperties"], sample.name


# Per type, edits of the rich sample that must be rejected: numbers out of range, broken
# identifiers, enum typos, emptied arrays, unknown nested fields, malformed formats.
INVALID_EDITS: dict[str, list[tuple[tuple[str | int, ...], Any]]] = {
    "analysis": [
        (("results", 0, "p_value"), 1.2),
        (("alpha",), 0),
        (("results", 0, "effect_size", "metric"), "cohen_d"),
        (("input_artifacts",), []),
        (("parameters", "Estimator"), "REML"),
        (("completed_at",), "2026-10-02 14:31"),
    ],
    "authored_paper": [
        (("manuscript_version",), 0),
        (("authors", 0, "kind"), "robot"),
        (("authors", 1, "orcid"), "0000-0002-1825-009"),
        (("cited_pmids", 0), "PMID:29795343"),
        (("submitted_at",), "2026-02-30"),
    ],
    "code": [
        (("test_coverage_percent",), 100.5),
        (("commit",), "HEAD"),
        (("language",), "Python"),
        (("dependencies", 0, "extras"), ["gui"]),
    ],
    "dashboard": [
        (("refresh_interval_seconds",), -5),
        (("panels", 0, "position", "width"), 25),
        (("panels",), []),
        (("panels", 1, "kind"), "pie"),
    ],
    "dataset": [
        (("n_subjects",), -1),
        (("modality",), []),
        (("modality", 0), "Ephys"),
        (("license",), "CC BY 4.0"),
        (("species", 0), "mouse"),
        (("access_url",), "portal brain-map org"),
    ],
    "debate": [
        (("outcome_confidence",), 1.5),
        (("participants",), [{"agent": "ad-pro", "role": "proponent"}]),
        (("turns", 0, "number"), 0),
        (("turns", 1, "stance"), "against-ish"),
    ],
    "experiment": [
        (("extraction_confidence",), 1.5),
        (("measurements", 0, "p_value"), -0.01),
        (("measurements", 0, "confidence_interval", "level"), 95),
        (("measurements", 0, "n"), 0),
        (("source_pmid",), "PMID31511383"),
        (("model_system", "preparation"), "in_vivo_mouse"),
        (("model_system", "organism"), "mouse"),
        (("measurements",), []),
        (("extracted_at",), "12/11/2026"),
    ],
    "figure": [
        (("dpi",), 10),
        (("panels", 0, "label"), "Panel A"),
        (("media_type",), "image/gif"),
        (("image_url",), "fig/dmn fep.svg"),
    ],
    "hypothesis": [
        (("confidence",), -0.1),
        (("statement",), "Too short."),
        (("status",), "maybe"),
        (("supporting_evidence", 0, "strength"), "overwhelming"),
    ],
    "kg_edge": [
        (("confidence",), 2),
        (("subject", "id"), "BDNF"),
        (("object", "category"), "region"),
        (("evidence", 0, "eco_code"), "ECO:295"),
        (("predicate",), "is_related_to"),
    ],
    "knowledge_gap": [
        (("importance",), 1.01),
        (("priority",), "urgent"),
        (("conflicting_pmids", 0), "27540165.1"),
    ],
    "model": [
        (("n_parameters",), -1),
        (("weights_sha256",), "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"),
        (("evaluation", 0, "split"), "dev"),
        (("modeldb_accession",), "ModelDB-1"),
    ],
    "notebook": [
        (("execution_seconds",), -1),
        (("kernel",), "python2"),
        (("environment", "cuda"), "12.4"),
    ],
    "paper": [
        (("year",), 1700),
        (("year",), 2005.5),
        (("pmid",), "16116447a"),
        (("doi",), "doi:10.1038/nn1525"),
        (("mesh_terms", 0, "descriptor_id"), "9474"),
        (("authors",), []),
        (("publication_date",), "2005-9-1"),
    ],
    "protein_design": [
        (("predicted_metrics", "plddt"), 101),
        (("predicted_metrics", "iptm"), 1.2),
        (("sequence",), "MSKIEXXLKKAEELIKRG"),
        (("sequence",), "mskieellkkaeelikrg"),
        (("sequence",), "MSKIE"),
        (("target", "uniprot_id"), "Nav1.7"),
        (("mutations", 0), "L23"),
        (("experimental_validation", "kd_nm"), 0),
    ],
    "tabular_dataset": [
        (("n_rows",), -3),
        (("columns", 0, "dtype"), "int64"),
        (("columns", 0, "name"), "0eid"),
        (("columns",), []),
    ],
    "test_artifact": [
        (("score",), 1.5),
        (("labels", 0), "Has Spaces"),
        (("kind",), "unit"),
    ],
    "wiki": [
        (("revision",), 0),
        (("slug",), "Dopamine RPE"),
        (("quality_score",), 1.2),
        (("language",), "english"),
        (("entities", 0, "id"), "VTA"),
    ],
}


def test_invalid_edits_cover_every_type() -> None:
    assert sorted(INVALID_EDITS) == sorted(TYPES)


@pytest.mark.parametrize(
    ("type_name", "path", "value"),
    [(t, path, value) for t, edits in INVALID_EDITS.items() for path, value in edits],
    ids=lambda x: ".".join(map(str, x)) if isinstance(x, tuple) else str(x)[:30],
)
def test_invalid_edit_is_rejected(type_name: str, path: tuple[str | int, ...], value: Any) -> None:
    doc = rich_sample(type_name)
    parent = doc
    for step in path[:-1]:
        parent = parent[step]  # the edit must land inside the sample, not create a path
    assert value != (parent.get(path[-1]) if isinstance(parent, dict) else parent[path[-1]])
    assert_rejected_at(type_name, edited(doc, path, value), path)
