"""The empirical check: validate sample documents under both schemas and report every
document the verdict got wrong (valid before, invalid after, yet called compatible)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import SchemaError, best_match
from referencing.exceptions import Unresolvable

from senate.compat.dialect import DEFAULT_DIALECT, dialect_of
from senate.compat.model import Report


@dataclass(frozen=True)
class SampleMismatch:
    """A sample document that contradicts the computed verdict (or could not be checked)."""

    document: str
    valid_old: bool
    valid_new: bool
    explanation: str


def _validator(schema: Any, dialect: str) -> Any:
    if isinstance(schema, Mapping):
        schema = {k: v for k, v in schema.items() if k != "x-senate-version"}
    found = dialect_of(schema, dialect)
    cls = found.validator if found is not None else validators.Draft202012Validator
    # format is an assertion for Senate (see KINDS), so validate it as one here too,
    # with the formats the schema's own draft defines.
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _first_error(validator: Any, document: Any) -> str:
    error = best_match(validator.iter_errors(document))
    if error is None:
        return "no error"
    where = "/" + "/".join(str(p) for p in error.absolute_path)
    return f"{error.message} at {where}"


def check_samples(old: Any, new: Any, report: Report, documents: Mapping[str, Any],
                  dialect: str = DEFAULT_DIALECT) -> list[SampleMismatch]:
    """Documents whose validity contradicts the report. A document that cannot be
    validated at all (broken schema, unresolvable reference) is reported too, with both
    validities False and the reason, rather than silently skipped."""
    out: list[SampleMismatch] = []
    try:
        old_v, new_v = _validator(old, dialect), _validator(new, dialect)
    except SchemaError as error:
        return [SampleMismatch(name, False, False, f"could not validate: {error.message}")
                for name in documents]
    for name, document in documents.items():
        try:
            valid_old, valid_new = old_v.is_valid(document), new_v.is_valid(document)
        except (Unresolvable, SchemaError) as error:
            out.append(SampleMismatch(name, False, False, f"could not validate: {error}"))
            continue
        if valid_old and not valid_new and report.backward_compatible is True:
            out.append(SampleMismatch(
                name, True, False,
                "called backward compatible, but this document is valid under the old "
                f"schema and invalid under the new one: {_first_error(new_v, document)}"))
        elif valid_new and not valid_old and report.forward_compatible is True:
            out.append(SampleMismatch(
                name, False, True,
                "called forward compatible, but this document is valid under the new "
                f"schema and invalid under the old one: {_first_error(old_v, document)}"))
    return out
