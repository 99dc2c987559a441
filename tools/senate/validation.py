"""Validate artifact metadata documents against a schema: parse -> check -> result."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urljoin

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

    if _valid_by_parts(schema):
        return
    # The first error, as jsonschema's own Draft202012Validator.check_schema reports it.
    error = next(iter(_metaschema_validator().iter_errors(schema)), None)
    if error is not None:
        exc = jsonschema.SchemaError.create_from(error)
        where = "/" + "/".join(str(p) for p in exc.absolute_path)
        raise UsageError(
            f"{source} is not a valid JSON Schema (2020-12) at {where}: {exc.message}"
        )


# Where the metaschema asks of a keyword's value only that it be an object of schemas
# (each checked through `$dynamicRef: "#meta"`, so by its own content alone).
_SCHEMA_MAPS = ("properties", "$defs")


def _valid_by_parts(schema: Any) -> bool:
    """Whether `schema` is valid, judged as the schema with its `properties` and `$defs`
    emptied plus each of their values on its own: exactly the metaschema's verdict, since
    nothing else in it looks into those values. A registry schema of 170 fields that gains
    one is then 170 memo look-ups, not 170 descents of the validator. False: invalid, or
    not decided here (the caller runs the whole check, which also finds the first error)."""
    if not isinstance(schema, dict):
        return False
    maps: list[dict[str, Any]] = []
    for name in _SCHEMA_MAPS:
        if name in schema:
            if not isinstance(schema[name], dict):
                return False
            maps.append(schema[name])
    validator = _metaschema_validator()
    shell = {k: ({} if k in _SCHEMA_MAPS else v) for k, v in schema.items()}
    if next(iter(validator.iter_errors(shell)), None) is not None:
        return False
    for value in (v for m in maps for v in m.values()):
        if isinstance(value, bool):
            continue
        key = _memo_key(value) if isinstance(value, dict) else None
        if key is None or key not in _VALID:
            if next(iter(validator.iter_errors(value)), None) is not None:
                return False
            if key is not None:
                _remember(key)
    return True


def _remember(key: bytes) -> None:
    if len(_VALID) >= _VALID_MAX:
        _VALID.clear()
    _VALID.add(key)


# Digests of the canonical JSON of subschemas the 2020-12 metaschema has found valid. The metaschema
# checks each subschema of a schema through `$dynamicRef: "#meta"`, which always lands on
# the metaschema's root (the outermost resource of the dynamic scope declaring that
# anchor), so a subschema's validity depends on its own content alone. A schema that gains
# one field re-checks that field and its own keywords, not the fifty fields it had: that is
# what makes re-counting every merge of a long history affordable.
_VALID: set[bytes] = set()  # digests, so the memory is bounded whatever schemas weigh
_VALID_MAX = 200_000


def _memo_key(instance: dict[str, Any]) -> bytes | None:
    """A digest of the subschema's canonical JSON (sorted keys), or None if it has none."""
    import hashlib

    import orjson

    from senate.jsontext import NOT_JSON

    try:
        text = orjson.dumps(instance, option=orjson.OPT_SORT_KEYS | NOT_JSON)
    except TypeError:  # a key that is not a string, an integer beyond 64 bits, a subclass
        return None
    # orjson also writes values JSON has not (a tuple as an array, NaN as null, an enum or
    # a UUID as its value), which the validator tells apart from the JSON ones: only a
    # text that reads back as the very value is that value's key.
    if orjson.loads(text) != instance:
        return None
    return hashlib.blake2b(text, digest_size=20).digest()


@cache
def _metaschema_validator() -> Any:
    import jsonschema
    from jsonschema import _keywords

    original: Any = _keywords.dynamicRef

    def dynamic_ref(validator: Any, ref: str, instance: Any, schema: Any) -> Any:
        if ref != "#meta" or not isinstance(instance, dict):
            yield from original(validator, ref, instance, schema)
            return
        key = _memo_key(instance)
        if key is None:  # not plain JSON: no memo, the full check
            yield from original(validator, ref, instance, schema)
            return
        if key in _VALID:
            return
        errors = list(original(validator, ref, instance, schema))
        if not errors:
            _remember(key)
        yield from errors

    from jsonschema_specifications import REGISTRY as SPECS  # type: ignore[import-untyped]
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    base = jsonschema.Draft202012Validator
    extend: Any = jsonschema.validators.extend
    cls = extend(base, {"$dynamicRef": dynamic_ref})
    # The metaschema and its vocabularies without their `$schema`: jsonschema picks the
    # validator class of each resource it descends into by that key, which would swap this
    # class for the stock one (same rules, no memo) at the first vocabulary.
    root = str(base.META_SCHEMA["$id"])
    uris = [root] + [urljoin(root, str(part["$ref"])) for part in base.META_SCHEMA["allOf"]]
    plain = {u: {k: v for k, v in SPECS.contents(u).items() if k != "$schema"} for u in uris}
    registry: Any = Registry().with_resources(
        (u, Resource.from_contents(c, default_specification=DRAFT202012))
        for u, c in plain.items())
    return cls(plain[root], registry=registry, format_checker=base.FORMAT_CHECKER)


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
