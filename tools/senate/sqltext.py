"""SQL text without a database: literals quoted one way, scripts split into statements.

Every literal a migration template receives goes through `literal`, so there is exactly
one place where quoting can be wrong. Splitting knows quotes, comments and PostgreSQL
dollar quotes, so a `;` inside a string never ends a statement.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

DOLLAR_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
SPECIAL_RE = re.compile(r"['\";$]|--|/\*")


def literal(value: str | int | bool | None) -> str:
    """A SQL literal valid in SQLite and PostgreSQL (standard_conforming_strings on)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if "\x00" in value:
        raise ValueError("a SQL string literal cannot hold a NUL character")
    return "'" + value.replace("'", "''") + "'"


def json_literal(value: Any) -> str:
    """JSON text as a SQL string literal (compact, keys in a stable order)."""
    return literal(json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


@dataclass(frozen=True)
class Statement:
    text: str  # without the trailing semicolon, comments kept
    line: int  # 1-based line of its first line of code


def split_statements(sql: str) -> list[Statement]:
    """Top-level statements; a piece that is only comments or blank is dropped."""
    out: list[Statement] = []
    start = 0
    i = 0
    n = len(sql)
    while i < n:
        # Jump to the next character that can start a quote, a comment or end a statement.
        found = SPECIAL_RE.search(sql, i)
        if found is None:
            break
        i = found.start()
        ch = sql[i]
        if ch in ("'", '"'):
            i = _skip_quoted(sql, i, ch)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == "$" and (m := DOLLAR_RE.match(sql, i)) and not _in_word(sql, i):
            end = sql.find(m.group(0), m.end())
            i = n if end < 0 else end + len(m.group(0))
        elif ch == ";":
            _add(out, sql, start, i)
            i += 1
            start = i
        else:
            i += 1
    _add(out, sql, start, n)
    return out


def _in_word(sql: str, i: int) -> bool:
    return i > 0 and (sql[i - 1].isalnum() or sql[i - 1] == "_")


def _skip_quoted(sql: str, i: int, quote: str) -> int:
    j = i + 1
    while True:
        k = sql.find(quote, j)
        if k < 0:
            return len(sql)
        if sql.startswith(quote, k + 1):  # a doubled quote stays inside
            j = k + 2
            continue
        return k + 1


def _add(out: list[Statement], sql: str, start: int, end: int) -> None:
    piece = sql[start:end]
    if not _has_code(piece):
        return
    # The line of its first code line: leading comments belong to it but do not start it.
    lines = piece.split("\n")
    first = next(i for i, x in enumerate(lines) if x.strip() and not x.strip().startswith("--"))
    out.append(Statement(piece.strip(), sql.count("\n", 0, start) + 1 + first))


def _has_code(piece: str) -> bool:
    without_block = re.sub(r"/\*.*?\*/", "", piece, flags=re.DOTALL)
    return any(
        s.strip() and not s.strip().startswith("--") for s in without_block.splitlines()
    )
