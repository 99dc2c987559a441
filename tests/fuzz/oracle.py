"""The judge: the jsonschema validator of the schema's own dialect, format checker on.

A schema without `$schema` is read in the dialect the engine was told (2020-12 by
default), exactly as `senate diff --dialect` would read it.
"""

from __future__ import annotations

import os
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import SchemaError

# rpds (under referencing) reports a deep RecursionError as a panic: keep it to one line.
os.environ["RUST_BACKTRACE"] = "0"
DEFAULT = validators.Draft202012Validator
BY_NAME = {
    "draft-04": validators.Draft4Validator,
    "draft-06": validators.Draft6Validator,
    "draft-07": validators.Draft7Validator,
    "2019-09": validators.Draft201909Validator,
    "2020-12": validators.Draft202012Validator,
}


class Judge:
    """is_valid for one schema, or None for a schema the validator cannot use."""

    def __init__(self, schema: Any, dialect: str = "2020-12") -> None:
        cls = validators.validator_for(schema, default=BY_NAME[dialect]) \
            if isinstance(schema, dict) else BY_NAME[dialect]
        if cls is None:
            raise SchemaError("unknown $schema")
        cls.check_schema(schema)
        self.validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        self.failures = 0  # documents the validator could not judge (an endless $ref, ...)

    def valid(self, document: Any) -> bool | None:
        if self.failures >= 3:
            return None  # an endless $ref costs a full stack each time: stop asking
        try:
            return bool(self.validator.is_valid(document))
        except BaseException as error:  # RecursionError, Unresolvable, ...: decides nothing
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise
            # (rpds, under referencing, turns a deep RecursionError into a PanicException,
            # a BaseException: caught here too.)
            self.failures += 1
            return None
