"""Validate artifact metadata documents against a schema: parse -> check -> result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from senate.errors import UsageError


@dataclass(frozen=True)
class DocError:
    path: str  # JSON path into the document, e.g. $.measurements[0].p_value
    message: str
    schema_path: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "schema_path": self.schema_path}


@dataclass(frozen=True)
class DocResult:
    name: str
    errors: tuple[DocError, ...]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.name,
            "valid": self.valid,
            "errors": [e.to_json() for e in self.errors],
        }


def check_schema(schema: dict[str, Any], source: str) -> None:
    """Raise UsageError unless `schema` is a valid draft 2020-12 schema."""
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/" + "/".join(str(p) for p in exc.absolute_path)
        raise UsageError(
            f"{source} is not a valid JSON Schema (2020-12) at {where}: {exc.message}"
        ) from exc


def validate_document(schema: dict[str, Any], name: str, document: Any) -> DocResult:
    """All errors, the best match first (as check-jsonschema orders them). The schema
    must be valid (check_schema); one that still cannot be applied is a UsageError."""
    import jsonschema
    from jsonschema.exceptions import UnknownType, best_match, relevance
    from referencing.exceptions import Unresolvable

    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    try:
        errors = list(validator.iter_errors(document))
    except (UnknownType, Unresolvable) as exc:
        first = str(exc).strip().splitlines()[0]
        raise UsageError(f"the schema cannot be applied to {name}: {first}",
                         "the schema itself is invalid; fix it on main") from exc
    if not errors:
        return DocResult(name, ())
    best = best_match(errors)
    ordered = [best, *sorted((e for e in errors if e is not best), key=relevance)]
    return DocResult(
        name,
        tuple(
            DocError(
                path=e.json_path,
                message=e.message,
                schema_path="/" + "/".join(str(p) for p in e.absolute_schema_path),
            )
            for e in ordered
        ),
    )


def load_document(data: bytes, name: str) -> Any:
    import json

    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{name} is not valid JSON: {exc}") from exc
