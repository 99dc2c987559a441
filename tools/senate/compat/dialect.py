"""JSON Schema dialects: which draft a schema is read in, and what that draft means.

The keywords of each draft are those its jsonschema validator implements (the validator
that will judge the documents), so a keyword foreign to a draft (`const` in draft-04,
`prefixItems` in draft-07, `dependencies` in 2020-12) is read as the validator reads
it: as nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import SchemaError

from senate.errors import UsageError


@dataclass(frozen=True)
class Dialect:
    name: str
    validator: Any  # the jsonschema validator class of the draft
    keywords: frozenset[str]  # the assertions and applicators the draft has
    level: int  # 0 = draft-04 ... 4 = 2020-12: later drafts only add semantics checked here

    @property
    def ref_overrides(self) -> bool:
        """Up to draft-07, `$ref` makes its siblings (even `$id`) be ignored."""
        return self.level <= 2

    @property
    def id_key(self) -> str:
        return "id" if self.level == 0 else "$id"


def _dialect(name: str, cls: Any, level: int, extra: frozenset[str] = frozenset()) -> Dialect:
    return Dialect(name, cls, frozenset(cls.VALIDATORS) | extra, level)


_COUNTS = frozenset({"minContains", "maxContains"})
DIALECTS: dict[str, Dialect] = {
    # draft-04 spells exclusive bounds as booleans read by minimum/maximum.
    "draft-04": _dialect("draft-04", validators.Draft4Validator, 0,
                         frozenset({"exclusiveMinimum", "exclusiveMaximum"})),
    "draft-06": _dialect("draft-06", validators.Draft6Validator, 1),
    "draft-07": _dialect("draft-07", validators.Draft7Validator, 2),
    # minContains / maxContains are read by contains.
    "2019-09": _dialect("2019-09", validators.Draft201909Validator, 3, _COUNTS),
    "2020-12": _dialect("2020-12", validators.Draft202012Validator, 4, _COUNTS),
}
DIALECT_NAMES = tuple(DIALECTS)
DEFAULT_DIALECT = "2020-12"
# Every keyword some draft gives meaning to: in a draft without it, it means nothing.
ALL_KEYWORDS = frozenset().union(*(d.keywords for d in DIALECTS.values()))
_BY_CLASS = {d.validator: d for d in DIALECTS.values()}


def named(name: str) -> Dialect:
    found = DIALECTS.get(name)
    if found is None:
        raise UsageError(f"unknown dialect {name!r}", "use one of " + ", ".join(DIALECT_NAMES))
    return found


def dialect_of(schema: Any, default: str = DEFAULT_DIALECT) -> Dialect | None:
    """The dialect `schema` declares in `$schema`, else `default`; None for a `$schema`
    that names no draft Senate knows (such a schema cannot be compared)."""
    if not isinstance(schema, Mapping) or "$schema" not in schema:
        return named(default)
    if not isinstance(schema["$schema"], str):
        return None  # (validator_for would hash it, or call string methods on it)
    cls = validators.validator_for(dict(schema), default=None)  # type: ignore[arg-type]
    return _BY_CLASS.get(cls) if cls is not None else None


def metaschema_problem(schema: Any, default: str = DEFAULT_DIALECT) -> str | None:
    """Why `schema` is not a valid schema of its own dialect, or None when it is."""
    dialect = dialect_of(schema, default)
    if dialect is None:
        return f"$schema {schema.get('$schema')!r} names no JSON Schema draft Senate knows " \
               f"(known: {', '.join(DIALECT_NAMES)})"
    try:
        dialect.validator.check_schema(schema)
    except SchemaError as exc:
        where = "/" + "/".join(str(p) for p in exc.absolute_path)
        return f"not a valid JSON Schema ({dialect.name}) at {where}: {exc.message}"
    return None
