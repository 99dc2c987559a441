"""The dry run's watched snapshots (SQLite: tables no trigger saw written are counted, not
read) against full snapshots of every table as the oracle, statement by statement,
including statements the classifier would refuse: the measurement must not depend on it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import pytest

from senate.migrate import effect
from senate.migrate.effect import diff, snapshot, watched
from senate.policy import Storage

STORAGE = Storage()
SETUP = [
    "CREATE TABLE artifacts (id TEXT PRIMARY KEY, artifact_type TEXT, metadata TEXT)",
    "CREATE TABLE schema_registry (artifact_type TEXT, version INT, schema_json TEXT, "
    "is_current INT, PRIMARY KEY (artifact_type, version))",
    "CREATE TABLE migration_history (name TEXT)",  # no primary key: rows by content
    "CREATE TABLE \"odd'name\" (a INT)",
    "INSERT INTO artifacts VALUES ('a1', 'paper', '{\"t\": 1}'), ('a2', 'paper', '{}')",
    "INSERT INTO schema_registry VALUES ('paper', 1, '{}', 1), ('code', 1, '{}', 1)",
    "INSERT INTO migration_history VALUES ('0000'), ('0000'), ('0001')",
    "INSERT INTO \"odd'name\" VALUES (1), (2)",
]
CASES = [
    "UPDATE artifacts SET metadata = '{\"t\": 2}' WHERE id = 'a1'",
    "UPDATE artifacts SET metadata = '{\"t\":1}' WHERE id = 'a1'",  # re-serialised only
    "DELETE FROM schema_registry",
    "DELETE FROM migration_history WHERE rowid = 1",
    "INSERT INTO migration_history VALUES ('0002')",
    "UPDATE schema_registry SET is_current = 0 WHERE artifact_type = 'code'",
    "INSERT OR REPLACE INTO schema_registry VALUES ('paper', 1, '{\"x\": 1}', 1)",
    "INSERT INTO schema_registry VALUES ('paper', 1, 'x', 0) "
    "ON CONFLICT DO UPDATE SET schema_json = 'y'",
    "INSERT OR IGNORE INTO schema_registry VALUES ('paper', 1, 'z', 0)",
    "DELETE FROM \"odd'name\"",
    "ALTER TABLE migration_history RENAME TO mh2",
    "ALTER TABLE schema_registry ADD COLUMN extra TEXT DEFAULT 'e'",
    "ALTER TABLE schema_registry DROP COLUMN schema_json",
    "DROP TABLE \"odd'name\"",
    # a table swapped for a look-alike: the new one carries no trigger
    "ALTER TABLE migration_history RENAME TO old_mh; "
    "CREATE TABLE migration_history (name TEXT); "
    "INSERT INTO migration_history VALUES ('x')",
    "CREATE TABLE fresh (a INT); INSERT INTO fresh VALUES (1)",
    "CREATE INDEX i_meta ON artifacts (metadata)",
    "SELECT 1",
    "UPDATE OR REPLACE schema_registry SET version = 1 WHERE artifact_type = 'paper'",
    # a row deleted by a REPLACE conflict, which fires no trigger
    "UPDATE OR REPLACE schema_registry SET artifact_type = 'paper' WHERE artifact_type = 'code'",
    "INSERT INTO schema_registry SELECT artifact_type, version + 1, schema_json, 0 "
    "FROM schema_registry",
    "UPDATE schema_registry SET version = version + 10",  # every key changes
    "INSERT OR IGNORE INTO migration_history VALUES ('0000')",
    "DELETE FROM migration_history WHERE name = '0000'",
]


def _db(extra: tuple[str, ...] = ()) -> sqlite3.Cursor:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    cur = conn.cursor()
    cur.execute("BEGIN")
    for stmt in (*SETUP, *extra):
        cur.execute(stmt)
    return cur


def _same_as_full(sql: str, extra: tuple[str, ...] = (),
                  tamper: Callable[[], str] | None = None) -> None:
    cur = _db(extra)
    full_before = snapshot(cur, "sqlite", STORAGE)
    cur.execute("SAVEPOINT t")
    for stmt in sql.split("; "):
        cur.execute(stmt)
    full = diff(full_before, snapshot(cur, "sqlite", STORAGE))
    cur.execute("ROLLBACK TO SAVEPOINT t")

    def run() -> str:
        for stmt in ([tamper()] if tamper else []) + sql.split("; "):
            cur.execute(stmt)
        return "ran"

    before, after, result = watched(cur, STORAGE, run)
    assert result == "ran"
    assert diff(before, after) == full
    assert before.artifacts == full_before.artifacts


@pytest.mark.parametrize("sql", CASES)
def test_watched_snapshots_measure_what_full_snapshots_measure(sql: str) -> None:
    _same_as_full(sql)


FTS = ("CREATE VIRTUAL TABLE search USING fts5(body)", "INSERT INTO search VALUES ('hello')",
       "SAVEPOINT flush", "RELEASE flush")
ROWID_COLUMN = ("CREATE TABLE notes (k TEXT PRIMARY KEY, rowid TEXT, v TEXT)",
                "INSERT INTO notes VALUES ('n1', NULL, 'old'), ('n2', '7', 'old')")


@pytest.mark.parametrize(("sql", "extra"), [
    # a column named rowid: there `rowid` is the column, not the row (found in review)
    ("UPDATE notes SET v = 'new' WHERE k = 'n1'", ROWID_COLUMN),
    ("DELETE FROM notes WHERE k = 'n1'; INSERT INTO notes VALUES ('n3', NULL, 'x')",
     ROWID_COLUMN),
    # a temporary table shadowing a main one
    ("CREATE TEMP TABLE schema_registry AS SELECT * FROM main.schema_registry WHERE 0", ()),
    ("CREATE TEMP TABLE artifacts (id TEXT); DELETE FROM main.artifacts", ()),
    # a virtual table: no trigger can sit on it, and it writes its shadow tables itself
    # (the savepoint flushes FTS5's pending terms into its shadow tables, as the watch's
    # own savepoint would: both sides then start from the same bytes)
    ("UPDATE artifacts SET metadata = '{}'", FTS),
    ("INSERT INTO search VALUES ('more')", FTS),
    ("INSERT INTO t_rowless VALUES (2)",
     ("CREATE TABLE t_rowless (a INT PRIMARY KEY) WITHOUT ROWID",)),
])
def test_tables_the_triggers_cannot_name_rows_of_are_read_whole(
    sql: str, extra: tuple[str, ...]
) -> None:
    _same_as_full(sql, extra)


def _trigger_name() -> str:
    return f"senate_w_{effect._TAG}_1_update"


@pytest.mark.parametrize("tamper", [
    # even a migration that knew the watch's names: the temp schema changed, read whole
    lambda: f"DROP TRIGGER temp.{_trigger_name()}",
    lambda: (f"CREATE TEMP TRIGGER forget AFTER UPDATE ON main.schema_registry BEGIN "
             f"DELETE FROM {effect.WRITTEN}; UPDATE {effect.NET} SET n = 0; END"),
])
def test_a_migration_that_disarms_the_watch_is_read_whole(tamper: Callable[[], str]) -> None:
    _same_as_full("UPDATE schema_registry SET schema_json = 'gone'", tamper=tamper)


def test_rows_not_written_are_counted_not_read() -> None:
    cur = _db()
    before, after, _ = watched(cur, STORAGE, lambda: cur.execute(CASES[0]))
    assert before.rows["schema_registry"] == after.rows["schema_registry"] == {}
    assert before.counts["schema_registry"] == after.counts["schema_registry"] == 2
    assert len(after.rows["artifacts"]) == 2  # the artifacts are always read whole
    effect = diff(before, after)
    assert effect.changed_artifacts == ("a1",)
    assert [t.changed for t in effect.tables if t.table == "artifacts"] == [1]
