"""JSON read one way only: UTF-8 without a BOM, no duplicate keys, no NaN or Infinity.

Python's `json.loads` on bytes guesses UTF-16 or UTF-32, keeps the last of duplicate keys
and accepts NaN; other readers (a browser, PostgreSQL's jsonb, jq) may decide otherwise.
A governed file that two readers can read differently is refused, so that what the
voters saw is what the platform gets.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from senate.errors import UsageError

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# Digests of texts already found strict. Such a text parses to the same value with the
# plain (C) parser; the checking hooks run in Python, and a count reads each schema of a
# proposal several times (the metaschema, the verdict, the dry run, the merge tree).
_STRICT: set[bytes] = set()


def loads(data: bytes, source: str) -> Any:
    """Parse strict JSON; UsageError naming the fault otherwise."""
    digest = hashlib.blake2b(data, digest_size=20).digest()
    if digest in _STRICT:
        return json.loads(data.decode("utf-8"))
    value = _checked(data, source)
    if len(_STRICT) > 50_000:
        _STRICT.clear()
    _STRICT.add(digest)
    return value


def _checked(data: bytes, source: str) -> Any:
    if data.startswith(_BOMS):
        raise UsageError(f"{source} starts with a byte-order mark",
                         "save it as UTF-8 without a BOM")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{source} is not UTF-8 ({exc.reason} at byte {exc.start})",
                         "save it as UTF-8") from exc
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{source} is not valid JSON: {exc}") from exc
    except ValueError as exc:  # from the hooks above
        raise UsageError(f"{source} is not strict JSON: {exc}",
                         "every key once per object; numbers only as JSON allows") from exc
