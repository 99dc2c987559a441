"""The scratch database of a dry run: one transaction, always rolled back.

SQLite runs in memory; PostgreSQL in a fresh schema of the configured server, first on
the search path, so unqualified names can only reach what the rehearsal itself created.
Both stop a statement that runs longer than TIME_LIMIT_S (a recursive query is allowed
SQL, and must not hang a count).
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from senate.errors import SenateError
from senate.migrate.db import migration_statements

TIME_LIMIT_S = 20.0


def run_statements(cur: Any, dialect: str, text: str, savepoint: str) -> tuple[str, str] | None:
    """Every statement of one migration under a savepoint; (statement, error) on failure."""
    errors = _errors(dialect)
    cur.execute(f"SAVEPOINT {savepoint}")
    for stmt in migration_statements(text):
        try:
            if dialect == "sqlite":
                cur.execute(stmt.text)
            else:
                cur.execute(stmt.text, binary=True)  # extended protocol: one statement only
        except errors as exc:
            cur.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            return stmt.text, (str(exc).strip().splitlines() or [""])[0]
    cur.execute(f"RELEASE SAVEPOINT {savepoint}")
    return None


def _errors(dialect: str) -> tuple[type[Exception], ...]:
    if dialect == "sqlite":
        return (sqlite3.Error,)
    import psycopg

    return (psycopg.Error,)


@contextmanager
def scratch(dialect: str, dsn: str | None) -> Iterator[Any]:
    """A cursor inside one transaction on an empty database, rolled back afterwards."""
    if dialect == "sqlite":
        conn = sqlite3.connect(":memory:", isolation_level=None)
        deadline = time.monotonic() + TIME_LIMIT_S
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        try:
            lite = conn.cursor()
            lite.execute("BEGIN")
            yield lite
        finally:
            conn.close()  # never committed
        return
    if dsn is None:
        raise SenateError("no [dry_run] postgres_dsn configured")
    import psycopg

    try:
        pg = psycopg.connect(dsn, autocommit=False, connect_timeout=5)
    except psycopg.Error as exc:
        raise SenateError(f"cannot connect to the [dry_run] postgres_dsn: "
                          f"{(str(exc).strip().splitlines() or [''])[0]}") from exc
    try:
        cur: Any = pg.cursor()
        schema = f"senate_dry_run_{secrets.token_hex(6)}"
        cur.execute(f"SET LOCAL statement_timeout = {int(TIME_LIMIT_S * 1000)}")
        cur.execute(f"CREATE SCHEMA {schema}")
        cur.execute(f"SET LOCAL search_path TO {schema}")  # unqualified names land here only
        yield cur
    except psycopg.Error as exc:
        raise SenateError(f"the PostgreSQL dry run failed: {exc}") from exc
    finally:
        pg.rollback()
        pg.close()
