"""The two real engines behind one small interface: run a migration, query, insert.

A migration runs statement by statement inside ONE transaction that this module owns
(the file's own BEGIN/COMMIT, there so that psql or sqlite3 can run it by hand, are
skipped), so a failure names its statement and rolls everything back.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from senate.errors import SenateError, UsageError
from senate.sqltext import Statement, split_statements

WRAPPER_RE = re.compile(r"^(BEGIN|COMMIT|BEGIN TRANSACTION|COMMIT TRANSACTION|END)$", re.I)


class DatabaseError(SenateError):
    """The database could not be reached or refused a statement outside a migration."""


@dataclass(frozen=True)
class StatementFailure:
    statement: Statement
    message: str


def migration_statements(text: str) -> list[Statement]:
    return [s for s in split_statements(text) if not WRAPPER_RE.match(_code(s.text))]


def _code(text: str) -> str:
    return " ".join(
        line.strip() for line in text.splitlines() if not line.strip().startswith("--")
    ).strip()


class Database:
    """One open connection to SQLite or PostgreSQL."""

    def __init__(self, dialect: str, conn: Any) -> None:
        self.dialect = dialect
        self.conn = conn
        self._held = False  # inside rolled_back(): nothing commits

    def _commit(self) -> None:
        if not self._held:
            self.conn.commit()

    @contextmanager
    def rolled_back(self) -> Iterator[None]:
        """Everything run inside happens in ONE transaction that is rolled back at the end
        (PostgreSQL's DDL is transactional, so a whole chain can be rehearsed this way)."""
        self._held = True
        try:
            yield
        finally:
            self._held = False
            self.conn.rollback()

    @property
    def param(self) -> str:
        return "?" if self.dialect == "sqlite" else "%s"

    def run_migration(self, statements: Sequence[Statement]) -> StatementFailure | None:
        """All statements in one transaction; on the first failure, roll back everything."""
        error_types = _errors(self.dialect)
        current: Statement | None = None
        try:
            cur = self.conn.cursor()
            if self.dialect == "sqlite":
                cur.execute("BEGIN")
            for current in statements:
                if self.dialect == "sqlite":
                    cur.execute(current.text)  # sqlite3 refuses a second statement itself
                else:  # the extended protocol runs exactly one statement, never a hidden 2nd
                    cur.execute(current.text, binary=True)
            self._commit()
            return None
        except error_types as exc:
            self.conn.rollback()
            return StatementFailure(current or Statement("", 0), _first_line(str(exc)))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            cur = self.conn.cursor()
            cur.execute(sql, tuple(params))
            rows = [tuple(r) for r in cur.fetchall()]
            if self.dialect == "postgres":
                self._commit()
            return rows
        except _errors(self.dialect) as exc:
            self.conn.rollback()
            raise DatabaseError(f"query failed: {_first_line(str(exc))}") from exc

    def execute(self, sql: str) -> None:
        """One statement that returns no rows."""
        try:
            self.conn.cursor().execute(sql)
            self._commit()
        except _errors(self.dialect) as exc:
            self.conn.rollback()
            raise DatabaseError(f"statement failed: {_first_line(str(exc))}") from exc

    def insert_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            cur = self.conn.cursor()
            if self.dialect == "sqlite":
                cur.execute("BEGIN")
            cur.executemany(sql, [tuple(r) for r in rows])
            self._commit()
        except _errors(self.dialect) as exc:
            self.conn.rollback()
            raise DatabaseError(f"insert failed: {_first_line(str(exc))}") from exc

    def table_exists(self, name: str) -> bool:
        if self.dialect == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        else:
            sql = "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = %s"
        return bool(self.query(sql, (name,)))

    def json_value(self, value: Any) -> Any:
        """Metadata as read back: SQLite returns text, psycopg decodes jsonb."""
        return json.loads(value) if isinstance(value, str | bytes) else value

    def json_param(self, doc: Any) -> Any:
        text = json.dumps(doc, ensure_ascii=False)
        if self.dialect == "sqlite":
            return text
        from psycopg.types.json import Jsonb

        return Jsonb(doc)

    def close(self) -> None:
        self.conn.close()


def _errors(dialect: str) -> tuple[type[Exception], ...]:
    if dialect == "sqlite":
        return (sqlite3.Error,)
    import psycopg

    return (psycopg.Error,)


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


def dialect_of(url: str) -> str:
    if url.startswith("sqlite:///"):
        return "sqlite"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgres"
    raise UsageError(
        f"unsupported database URL {url!r}",
        "use sqlite:///relative.db, sqlite:////absolute.db or postgresql://user@host/db",
    )


def connect(url: str) -> Database:
    dialect = dialect_of(url)
    if dialect == "sqlite":
        path = url[len("sqlite:///"):]
        if not path:
            raise UsageError("the sqlite URL names no file", "e.g. sqlite:////tmp/artifacts.db")
        return _sqlite(Path(path))
    import psycopg

    try:
        conn = psycopg.connect(url, autocommit=False, connect_timeout=5)
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to {url}: {_first_line(str(exc))}") from exc
    return Database("postgres", conn)


def sqlite_copy(url: str) -> Database:
    """An in-memory copy of a SQLite database made with the backup API; the file is opened
    read-only and never created, so a rehearsal cannot change a byte of it."""
    path = Path(url[len("sqlite:///"):])
    memory = sqlite3.connect(":memory:", isolation_level=None)
    if path.exists():
        try:
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                source.backup(memory)
            finally:
                source.close()
        except sqlite3.Error as exc:
            memory.close()
            raise DatabaseError(f"cannot read SQLite database {path}: {exc}") from exc
    memory.execute("PRAGMA foreign_keys = ON")
    return Database("sqlite", memory)


def _sqlite(path: Path) -> Database:
    try:
        conn = sqlite3.connect(str(path), isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        raise DatabaseError(f"cannot open SQLite database {path}: {exc}") from exc
    return Database("sqlite", conn)


@contextmanager
def fresh_database(dialect: str, dsn: str | None, workdir: Path) -> Iterator[Database]:
    """A new empty database, dropped (PostgreSQL) or left in `workdir` (SQLite) after."""
    if dialect == "sqlite":
        db = _sqlite(workdir / "verify.db")
        try:
            yield db
        finally:
            db.close()
        return
    if dsn is None:
        raise UsageError("--dsn is needed to verify against PostgreSQL",
                         "e.g. --dsn postgresql://postgres@127.0.0.1:5432/postgres")
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"senate_verify_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(dsn, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot connect to {dsn}: {_first_line(str(exc))}") from exc
    try:
        try:
            admin.execute(f"CREATE DATABASE {name}".encode())
            conn = psycopg.connect(make_conninfo(dsn, dbname=name), connect_timeout=5)
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot create a scratch database on {dsn}: "
                                f"{_first_line(str(exc))}",
                                "the --dsn user needs the CREATEDB privilege") from exc
        db = Database("postgres", conn)
        try:
            yield db
        finally:
            db.close()
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())
        admin.close()
