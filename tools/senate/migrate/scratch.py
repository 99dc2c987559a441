"""The scratch database of a dry run: one transaction, always rolled back.

SQLite runs in memory; PostgreSQL in a fresh schema of the configured server, first on
the search path, so unqualified names can only reach what the rehearsal itself created.
Both stop a statement that runs longer than TIME_LIMIT_S (a recursive query is allowed
SQL, and must not hang a count).
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
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


# What the dry run itself reads (table_info takes a table name; schema_version, read with
# no value, only reads); every other PRAGMA would change the connection for the next dry
# run, and a rollback does not undo it.
READ_PRAGMAS = frozenset({"table_info", "schema_version"})


def _guard(action: int, arg1: str | None, arg2: str | None, _db: str | None,
           _source: str | None) -> int:
    """SQLite's authorizer while migrations run on a scratch database: nothing may end the
    one transaction (and so commit into a database other dry runs share), attach a file,
    or change a connection setting. A refused statement fails like any error."""
    if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and (
            arg1 not in READ_PRAGMAS or (arg1 == "schema_version" and arg2 is not None)):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _deadline(conn: sqlite3.Connection) -> None:
    deadline = time.monotonic() + TIME_LIMIT_S
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)


# chain -> an in-memory database holding exactly that chain applied to an empty one. Each
# dry run works on it inside one transaction that is always rolled back, so every count of
# the same main, and an audit walking main one merge at a time, neither replays nor copies
# the whole chain.
_BUILT: dict[tuple[str, ...], sqlite3.Connection] = {}
_BUILT_LOCK = threading.Lock()  # the API counts in several threads: one dry run at a time
KEEP_BUILT = 4


@contextmanager
def on_chain(chain: tuple[str, ...]) -> Iterator[Any]:
    """A cursor inside one transaction on an in-memory database with `chain` applied,
    rolled back afterwards; or, instead of a cursor, (number, error) of the migration of
    the chain that fails."""
    with _BUILT_LOCK:
        built = _built(chain)
        if isinstance(built, tuple):
            yield built
            return
        _deadline(built)
        cur = built.cursor()
        cur.execute("BEGIN")
        built.set_authorizer(_guard)
        try:
            yield cur
        finally:
            built.set_authorizer(None)
            ended = not built.in_transaction
            if not ended:
                built.execute("ROLLBACK")
            built.set_progress_handler(None, 0)
            if ended or chain not in _BUILT:  # possibly changed for good, or never shared
                _BUILT.pop(chain, None)
                built.close()
        if ended:
            raise SenateError("the migration ended the dry run's transaction",
                              "a migration must not commit or roll back")


def _memory() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)


def _built(chain: tuple[str, ...]) -> sqlite3.Connection | tuple[int, str]:
    known = _BUILT.get(chain)
    if known is not None:
        return known
    start, base = 0, None
    for prefix, conn in _BUILT.items():
        if start < len(prefix) <= len(chain) and chain[:len(prefix)] == prefix:
            start, base = len(prefix), conn
    from senate.migrate.effect import install_watch, is_watch_object

    if base is not None and base is list(_BUILT.values())[-1]:
        # main moved on: extend the newest database in place (copying it would cost what
        # the chain weighs, every time)
        _BUILT.pop(chain[:start])
        built = base
    else:
        built = _memory()
        if base is not None:
            base.backup(built)
    _deadline(built)
    built.set_authorizer(_guard)
    cur = built.cursor()
    for number in range(start, len(chain)):
        failed = run_statements(cur, "sqlite", chain[number], f"s{number}")
        if failed is not None:
            built.close()
            return number, failed[1]
    built.set_authorizer(None)
    built.set_progress_handler(None, 0)
    # A temporary object lives in the connection, not in the database a backup copies:
    # such a chain is not shared, so a copy can never differ from a replay.
    temporary = [n for n, in cur.execute("SELECT name FROM sqlite_temp_master")
                 if not is_watch_object(str(n))]
    if temporary:
        return built

    install_watch(cur)  # outside any transaction: kept for every dry run on this chain
    if len(_BUILT) >= KEEP_BUILT:
        _BUILT.pop(next(iter(_BUILT))).close()
    _BUILT[chain] = built
    return built


@contextmanager
def scratch(dialect: str, dsn: str | None) -> Iterator[Any]:
    """A cursor inside one transaction on an empty database, rolled back afterwards."""
    if dialect == "sqlite":
        conn = _memory()
        _deadline(conn)
        try:
            lite = conn.cursor()
            lite.execute("BEGIN")
            conn.set_authorizer(_guard)
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
