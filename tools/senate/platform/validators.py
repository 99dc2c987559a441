"""Two validators for one question: jsonschema-rs for bulk, jsonschema as the reference.

Bulk validation asks only valid-or-not (the hot path, in Rust); the few invalid artifacts
a report shows are then explained by the reference (its JSON paths and best-match order,
the same as `senate validate TYPE FILE`). tests/test_platform_validators.py proves both
give the same verdict per document. Formats are asserted in both (date-time, uri, ...),
as `senate migrate verify` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]


def reference_check(schema: dict[str, Any]) -> Check:
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return validator.is_valid


def fast_check(schema: dict[str, Any]) -> Check:
    """jsonschema-rs when installed (it ships wheels for the common platforms), else the
    reference: slower, never different."""
    try:
        import jsonschema_rs
    except ImportError:
        return reference_check(schema)
    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    check: Check = validator.is_valid
    return check


def engine() -> str:
    try:
        from importlib.metadata import version

        import jsonschema_rs  # noqa: F401

        return f"jsonschema-rs {version('jsonschema_rs')}"
    except ImportError:
        from importlib.metadata import version

        return f"jsonschema {version('jsonschema')}"
