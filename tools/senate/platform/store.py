"""The platform database as `senate sync` writes it: one transaction, one lock, plain rows.

Only this module speaks SQL for the sync; it takes rows (see rows.py) and writes them.
Identifiers come from senate.toml [storage], checked as plain identifiers when parsed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from senate.migrate.db import Database, DatabaseError, _errors, _first_line
from senate.migrate.render import storage_context
from senate.platform.rows import PROPOSAL_COLUMNS, VOTE_COLUMNS, ProposalRow, VoteRow, payload
from senate.policy import Storage
from senate.sqltext import split_statements
from senate.templating import render

SYNC_LOCK = 0x5E4A7F  # PostgreSQL advisory lock: one sync at a time per database
TIMESTAMP_COLUMNS = ("opened_at", "decided_at", "cast_at")
BOOL_COLUMNS = ("claimed_backward_compatible", "computed_backward_compatible", "counted")


@dataclass(frozen=True)
class Seen:
    """What the last sync recorded of one proposal (the state table)."""

    fingerprint: str
    main_tip: str
    final: bool
    deadline: int | None


def table_names(storage: Storage) -> tuple[str, ...]:
    return (storage.proposals_table, storage.votes_table, storage.sync_table)


class SyncStore:
    """One transaction on the platform database; commit() or it is rolled back."""

    def __init__(self, db: Database, storage: Storage) -> None:
        self.db = db
        self.s = storage
        self.cur = db.conn.cursor()
        self.p = db.param

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.cur.execute(sql, tuple(params))
        return [tuple(r) for r in self.cur.fetchall()] if self.cur.description else []

    def ensure_tables(self) -> bool:
        """Create Senate's tables where the baseline migration has not (a database set up
        before they existed); the same DDL as the baseline. True when any was created."""
        names = table_names(self.s) + ((self.s.events_table,) if self.db.dialect == "sqlite"
                                       else ())
        if self.db.dialect == "sqlite":
            sql = f"SELECT name FROM sqlite_master WHERE type = 'table' AND name = {self.p}"
        else:
            sql = ("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                   f"AND tablename = {self.p}")
        if all(self._run(sql, (n,)) for n in names):
            return False
        ddl = render(f"migrations/{self.db.dialect}/_platform.sql.j2",
                     {"t": storage_context(self.s)})
        for statement in split_statements(ddl):
            self._run(statement.text)
        return True

    def seen(self) -> dict[str, Seen]:
        rows = self._run(f"SELECT proposal_id, fingerprint, main_tip, final, deadline "
                         f"FROM {self.s.sync_table}")
        return {str(r[0]): Seen(str(r[1]), str(r[2]), bool(r[3]),
                                None if r[4] is None else int(r[4])) for r in rows}

    def statuses(self) -> dict[str, str]:
        rows = self._run(f"SELECT id, status FROM {self.s.proposals_table}")
        return {str(i): str(s) for i, s in rows}

    def write(self, row: ProposalRow, votes: list[VoteRow], seen: Seen) -> None:
        cols = ", ".join(PROPOSAL_COLUMNS)
        marks = ", ".join([self.p] * len(PROPOSAL_COLUMNS))
        update = ", ".join(f"{c} = excluded.{c}" for c in PROPOSAL_COLUMNS if c != "id")
        self._run(f"INSERT INTO {self.s.proposals_table} ({cols}) VALUES ({marks}) "
                  f"ON CONFLICT (id) DO UPDATE SET {update}",
                  self._values(PROPOSAL_COLUMNS, row.values()))
        self._run(f"DELETE FROM {self.s.votes_table} WHERE proposal_id = {self.p}", (row.id,))
        if votes:
            vcols = ", ".join(VOTE_COLUMNS)
            vmarks = ", ".join([self.p] * len(VOTE_COLUMNS))
            self.cur.executemany(
                f"INSERT INTO {self.s.votes_table} ({vcols}) VALUES ({vmarks})",
                [self._values(VOTE_COLUMNS, v.values()) for v in votes])
        self._run(f"INSERT INTO {self.s.sync_table} (proposal_id, fingerprint, main_tip, final, "
                  f"deadline) VALUES ({self.p}, {self.p}, {self.p}, {self.p}, {self.p}) "
                  f"ON CONFLICT (proposal_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
                  f"main_tip = excluded.main_tip, final = excluded.final, "
                  f"deadline = excluded.deadline",
                  (row.id, seen.fingerprint, seen.main_tip, self._bool(seen.final),
                   seen.deadline))

    def forget(self, proposal_id: str) -> None:
        """A proposal git no longer holds (or can no longer read) leaves the view."""
        for table, column in ((self.s.votes_table, "proposal_id"),
                              (self.s.proposals_table, "id"),
                              (self.s.sync_table, "proposal_id")):
            self._run(f"DELETE FROM {table} WHERE {column} = {self.p}", (proposal_id,))

    def announce(self, event: dict[str, Any]) -> None:
        """NOTIFY on PostgreSQL (delivered at commit, so never for a rolled-back sync);
        an appended row on SQLite, which has no notifications."""
        text = payload(event)
        if self.db.dialect == "postgres":
            self._run("SELECT pg_notify(%s, %s)", (self.s.events_table, text))
        else:
            self._run(f"INSERT INTO {self.s.events_table} (event, proposal_id, payload) "
                      "VALUES (?, ?, ?)", (event["event"], event["proposal"], text))

    def _bool(self, value: bool | None) -> Any:
        if value is None or self.db.dialect == "postgres":
            return value
        return int(value)

    def _values(self, columns: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
        out: list[Any] = []
        for column, value in zip(columns, values, strict=True):
            if column in BOOL_COLUMNS:
                value = self._bool(value)
            elif column == "field_spec" and value is not None:
                value = self._json(value)
            out.append(value)
        return tuple(out)

    def _json(self, value: Any) -> Any:
        if self.db.dialect == "sqlite":
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        from psycopg.types.json import Jsonb

        return Jsonb(value)


def read_state(db: Database, storage: Storage) -> dict[str, Seen]:
    """The state table as it is now, without a lock (empty before the first sync)."""
    errors = _errors(db.dialect)
    store = SyncStore(db, storage)
    try:
        return store.seen()
    except errors:
        return {}  # no state table yet: everything is new
    finally:
        db.conn.rollback()


@contextmanager
def transaction(db: Database, storage: Storage) -> Iterator[SyncStore]:
    """BEGIN IMMEDIATE (SQLite) or an advisory transaction lock (PostgreSQL): two syncs
    never interleave; anything raised rolls the whole sync back."""
    errors = _errors(db.dialect)
    store = SyncStore(db, storage)
    try:
        if db.dialect == "sqlite":
            store.cur.execute("BEGIN IMMEDIATE")
        else:
            store.cur.execute("SELECT pg_advisory_xact_lock(%s)", (SYNC_LOCK,))
        yield store
        db.conn.commit()
    except errors as exc:
        db.conn.rollback()
        raise DatabaseError(f"sync failed, nothing was written: {_first_line(str(exc))}",
                            "check that the DSN is the platform database and the user may "
                            "write it") from exc
    except BaseException:
        db.conn.rollback()
        raise
