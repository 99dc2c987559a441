"""What a migration did to a database, measured: two snapshots and their difference.

A snapshot reads every table of the scratch database through an open DB-API cursor (so it
sees the migration's own uncommitted transaction): each table's columns in order and its
rows by primary key (the whole row where there is none). Artifacts' metadata is compared
as parsed JSON, so re-serialising a document is not a change.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from senate.policy import Storage

Key = tuple[Any, ...]
R = TypeVar("R")
# The names of the watch's own tables: no migration text can know them, so none can write
# to them to hide what it wrote.
_TAG = secrets.token_hex(4)
WRITTEN, NET, WATCHED = (f"senate_{n}_{_TAG}" for n in ("written", "net", "watched"))


def is_watch_object(name: str) -> bool:
    return _TAG in name


@dataclass(frozen=True)
class Snapshot:
    columns: dict[str, tuple[str, ...]]
    # as the driver returns them; for a table read in part (see `watched`), only the rows
    # that were written, in the snapshot before as in the one after
    rows: dict[str, dict[Key, tuple[Any, ...]]]
    artifacts: dict[str, tuple[str, Any]]  # id -> (type, metadata as stored)
    doc_column: dict[str, int]  # table -> index of the metadata column (artifacts only)
    counts: dict[str, int]  # table -> its number of rows


@dataclass(frozen=True)
class TableEffect:
    table: str
    before: int
    after: int
    added: int
    lost: int
    changed: int

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "before": self.before, "after": self.after,
                "added": self.added, "lost": self.lost, "changed": self.changed}


@dataclass(frozen=True)
class Effect:
    tables: tuple[TableEffect, ...]
    dropped_tables: tuple[str, ...] = ()
    renamed_tables: tuple[str, ...] = ()  # "old -> new"
    dropped_columns: tuple[str, ...] = ()  # "table.column"
    renamed_columns: tuple[str, ...] = ()  # "table.old -> table.new"
    changed_artifacts: tuple[str, ...] = ()  # ids whose metadata changed
    added_artifacts: tuple[str, ...] = ()
    lost_artifacts: tuple[str, ...] = ()


def _cursor_rows(cur: Any, sql: str) -> list[tuple[Any, ...]]:
    cur.execute(sql)
    return [tuple(r) for r in cur.fetchall()]


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def table_columns(cur: Any, dialect: str) -> dict[str, tuple[str, ...]]:
    if dialect == "sqlite":
        # main only, named so: a temporary table of the same name would shadow it
        names = [str(r[0]) for r in _cursor_rows(
            cur, "SELECT name FROM main.sqlite_master WHERE type = 'table' "
                 "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {n: tuple(str(r[1]) for r in _cursor_rows(cur, f"PRAGMA main.table_info({q(n)})"))
                for n in names}
    out: dict[str, list[str]] = {}
    for table, column in _cursor_rows(
        cur, "SELECT c.relname, a.attname FROM pg_attribute a "
             "JOIN pg_class c ON c.oid = a.attrelid "
             "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' "
             "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"):
        out.setdefault(str(table), []).append(str(column))
    return {t: tuple(c) for t, c in out.items()}


def primary_keys(cur: Any, dialect: str, tables: list[str]) -> dict[str, tuple[str, ...]]:
    if dialect == "sqlite":
        keys = {}
        for t in tables:
            info = _cursor_rows(cur, f"PRAGMA main.table_info({q(t)})")
            keys[t] = tuple(str(r[1]) for r in sorted(info, key=lambda r: r[5]) if r[5])
        return keys
    found: dict[str, list[str]] = {t: [] for t in tables}
    for table, column in _cursor_rows(
        cur, "SELECT c.relname, a.attname FROM pg_index i "
             "JOIN pg_class c ON c.oid = i.indrelid "
             "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
             "WHERE i.indisprimary AND c.relnamespace = current_schema()::regnamespace "
             "ORDER BY c.relname, array_position(i.indkey, a.attnum)"):
        found.setdefault(str(table), []).append(str(column))
    return {t: tuple(c) for t, c in found.items()}


def _hashable(row: tuple[Any, ...]) -> str:
    return json.dumps([bytes(v).hex() if isinstance(v, bytes | memoryview) else v
                       for v in row], sort_keys=True, default=str)


def document(value: Any) -> Any:
    """Metadata as a document: SQLite stores text, psycopg returns jsonb decoded."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


Layout = tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]  # columns, keys


def layout(cur: Any, dialect: str) -> Layout:
    columns = table_columns(cur, dialect)
    return columns, primary_keys(cur, dialect, list(columns))


def snapshot(cur: Any, dialect: str, storage: Storage,
             partial: frozenset[str] = frozenset(), known: Layout | None = None) -> Snapshot:
    """Every table's rows; for the tables in `partial`, only the rows whose rowid the
    watch recorded as written (`watched`). `known`: the tables' columns and keys, when
    the caller knows the schema has not changed since it read them."""
    # Rows stay as the driver returns them; only rows that differ get a closer look (diff).
    columns, keys = known if known is not None else layout(cur, dialect)
    rows: dict[str, dict[Key, tuple[Any, ...]]] = {}
    counts: dict[str, int] = {}
    for table, cols in columns.items():
        quoted = ", ".join(q(c) for c in cols)
        key_at = [cols.index(k) for k in keys.get(table, ()) if k in cols]
        by_key: dict[Key, tuple[Any, ...]] = {}
        seen: Counter[str] = Counter()
        where = f"main.{q(table)}" if dialect == "sqlite" else q(table)
        select = f"SELECT {quoted} FROM {where}"
        if table in partial:
            name = table.replace("'", "''")
            select += (f" WHERE rowid IN (SELECT rid FROM temp.{WRITTEN} "
                       f"WHERE name = '{name}')")
        found = _cursor_rows(cur, select)
        for row in found:
            if key_at:
                by_key[tuple(row[i] for i in key_at)] = row
            else:  # no primary key: a row is its content (duplicates numbered)
                text = _hashable(row)
                seen[text] += 1
                by_key[(text, seen[text])] = row
        rows[table] = by_key
        counts[table] = (int(_cursor_rows(cur, f"SELECT count(*) FROM {where}")[0][0])
                         if table in partial else len(found))
    s = storage
    artifacts: dict[str, tuple[str, Any]] = {}
    doc_column: dict[str, int] = {}
    cols = columns.get(s.artifacts_table, ())
    if {s.id_column, s.type_column, s.metadata_column} <= set(cols):
        doc_column[s.artifacts_table] = cols.index(s.metadata_column)
        i, t, m = (cols.index(c) for c in (s.id_column, s.type_column, s.metadata_column))
        artifacts = {str(r[i]): (str(r[t]), r[m]) for r in rows[s.artifacts_table].values()}
    return Snapshot(columns, rows, artifacts, doc_column, counts)


def same_artifact(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    return a == b or (a[0] == b[0] and document(a[1]) == document(b[1]))


def diff(before: Snapshot, after: Snapshot) -> Effect:
    gone = [t for t in before.columns if t not in after.columns]
    new = [t for t in after.columns if t not in before.columns]
    renamed: dict[str, str] = {}
    for old in gone:
        match = next((n for n in new if after.columns[n] == before.columns[old]
                      and n not in renamed.values()), None)
        if match is not None:
            renamed[old] = match
    tables: list[TableEffect] = []
    for table in sorted(before.columns):
        now = renamed.get(table, table)
        label = table if now == table else f"{table} -> {now}"
        doc_at = before.doc_column.get(table, -1) if now == table and (
            after.doc_column.get(table, -1) == before.doc_column.get(table, -1)) else -1
        tables.append(_table_effect(label, before.rows[table], after.rows.get(now, {}),
                                    doc_at, before.counts[table], after.counts.get(now, 0)))
    tables += [_table_effect(t, {}, after.rows[t], -1, 0, after.counts[t])
               for t in sorted(new) if t not in renamed.values()]
    dropped_cols: list[str] = []
    renamed_cols: list[str] = []
    for table, cols in sorted(before.columns.items()):
        now_cols = after.columns.get(renamed.get(table, table))
        if now_cols is None:
            continue
        for i, col in enumerate(cols):
            if col in now_cols:
                continue
            if i < len(now_cols) and now_cols[i] not in cols:
                renamed_cols.append(f"{table}.{col} -> {table}.{now_cols[i]}")
            else:
                dropped_cols.append(f"{table}.{col}")
    b, a = before.artifacts, after.artifacts
    return Effect(
        tables=tuple(tables),
        dropped_tables=tuple(t for t in gone if t not in renamed),
        renamed_tables=tuple(f"{o} -> {n}" for o, n in renamed.items()),
        dropped_columns=tuple(dropped_cols),
        renamed_columns=tuple(renamed_cols),
        changed_artifacts=tuple(sorted(i for i in b if i in a and not same_artifact(a[i], b[i]))),
        added_artifacts=tuple(sorted(i for i in a if i not in b)),
        lost_artifacts=tuple(sorted(i for i in b if i not in a)),
    )


def _table_effect(label: str, old: dict[Key, tuple[Any, ...]],
                  new: dict[Key, tuple[Any, ...]], doc_at: int, before: int,
                  after: int) -> TableEffect:
    def same(x: tuple[Any, ...], y: tuple[Any, ...]) -> bool:
        if x == y:
            return True
        if doc_at < 0 or len(x) != len(y):
            return False
        return all(document(p) == document(q) if i == doc_at else p == q
                   for i, (p, q) in enumerate(zip(x, y, strict=True)))

    lost = sum(1 for k in old if k not in new)
    added = sum(1 for k in new if k not in old)
    changed = sum(1 for k, v in old.items() if k in new and not same(new[k], v))
    return TableEffect(label, before, after, added, lost, changed)


def watched(cur: Any, storage: Storage, run: Callable[[], R]) -> tuple[Snapshot, Snapshot, R]:
    """SQLite: snapshots before and after `run()` that read only the rows it wrote (and
    all the artifacts), so a long chain's registry and history rows cost nothing.

    A temporary trigger on every table (`install_watch`) records the rowid of each row
    written (an update: before and after). Rows no trigger saw are the same in both
    snapshots, so leaving them out of both changes no count of the difference. When the
    schema changed (a table created, dropped, renamed or altered: a new table carries no
    trigger), every table is read whole. The snapshot before is read after rolling back
    to a savepoint set before `run()`, once it is known which rows to read: the database
    is left at the state before, and the caller gets what `run()` returned.
    """
    shape = layout(cur, "sqlite")
    covered = install_watch(cur, shape[0])
    cur.execute(f"DELETE FROM temp.{WRITTEN}")
    cur.execute(f"DELETE FROM temp.{NET}")
    watch = {t: _count(cur, t) for t in covered}  # table -> its rows before run()
    temp_version = _cursor_rows(cur, "PRAGMA temp.schema_version")[0][0]
    version = _cursor_rows(cur, "PRAGMA main.schema_version")[0][0]
    cur.execute("SAVEPOINT senate_watch")
    result = run()
    written = _cursor_rows(cur, f"SELECT name, rid FROM temp.{WRITTEN}")
    net = {str(t): int(k) for t, k in _cursor_rows(cur, f"SELECT name, n FROM temp.{NET}")}
    # A schema change in main (a table without triggers may now exist) or in temp (the
    # watch itself touched, a table shadowed): nothing the triggers saw can be trusted.
    altered = (_cursor_rows(cur, "PRAGMA main.schema_version")[0][0] != version
               or _cursor_rows(cur, "PRAGMA temp.schema_version")[0][0] != temp_version)
    # A row deleted by a REPLACE conflict fires no trigger: the count then disagrees with
    # what the triggers saw, and that table is read whole.
    partial = frozenset() if altered else frozenset(
        t for t, was in watch.items()
        if t != storage.artifacts_table and _count(cur, t) == was + net.get(t, 0))
    after = snapshot(cur, "sqlite", storage, partial, None if altered else shape)
    cur.execute("ROLLBACK TO SAVEPOINT senate_watch")
    cur.execute("RELEASE SAVEPOINT senate_watch")
    cur.executemany(f"INSERT INTO temp.{WRITTEN} VALUES (?, ?)", written)  # rolled back too
    before = snapshot(cur, "sqlite", storage, partial, shape)
    return before, after, result


def install_watch(cur: Any, columns: dict[str, tuple[str, ...]] | None = None
                  ) -> tuple[str, ...]:
    """The temporary triggers `watched` reads (kept by a connection that is reused, so
    that each dry run does not pay for them); the tables they cover."""
    wanted = _watchable(cur, columns if columns is not None else table_columns(cur, "sqlite"))
    if _cursor_rows(cur, "SELECT count(*) FROM temp.sqlite_master "
                         f"WHERE name = '{WATCHED}'")[0][0]:
        rows = _cursor_rows(cur, f"SELECT name, ok FROM temp.{WATCHED}")
        if tuple(str(r[0]) for r in rows) == wanted:
            # The triggers also fired while main's newer migrations extended this
            # database: what they noted is no dry run's, and left there it would grow by
            # every merge an audit replays (each trigger searches it: quadratic).
            cur.execute(f"DELETE FROM temp.{WRITTEN}")
            cur.execute(f"DELETE FROM temp.{NET}")
            return tuple(str(r[0]) for r in rows if r[1])
        for name, in _cursor_rows(cur, "SELECT name FROM temp.sqlite_master WHERE "
                                       f"type = 'trigger' AND name LIKE 'senate_w_{_TAG}_%'"):
            cur.execute(f"DROP TRIGGER temp.{q(str(name))}")
        for table in (WATCHED, WRITTEN, NET):
            cur.execute(f"DROP TABLE temp.{table}")
    # No constraint on these: the conflict policy of the statement that fires a trigger
    # (INSERT OR REPLACE, OR IGNORE ...) overrides the trigger's own.
    cur.execute(f"CREATE TEMP TABLE {WRITTEN} (name TEXT, rid INTEGER)")
    cur.execute(f"CREATE TEMP TABLE {NET} (name TEXT, n INTEGER)")
    cur.execute(f"CREATE TEMP TABLE {WATCHED} (name TEXT, ok INTEGER)")
    covered = []
    for n, table in enumerate(wanted):
        name = table.replace("'", "''")
        try:
            for op, rids, step in (("INSERT", ("NEW",), 1), ("UPDATE", ("OLD", "NEW"), 0),
                                   ("DELETE", ("OLD",), -1)):
                # (a trigger's body may not qualify the tables it writes; these names
                # exist in temp only)
                body = " ".join(
                    f"INSERT INTO {WRITTEN} SELECT '{name}', {r}.rowid WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {WRITTEN} WHERE name = '{name}' AND rid = {r}.rowid);"
                    for r in rids)
                body += (f" UPDATE {NET} SET n = n + {step} WHERE name = '{name}';"
                         f" INSERT INTO {NET} SELECT '{name}', {step} WHERE NOT EXISTS "
                         f"(SELECT 1 FROM {NET} WHERE name = '{name}');")
                cur.execute(f"CREATE TEMP TRIGGER senate_w_{_TAG}_{n}_{op.lower()} AFTER {op} "
                            f"ON main.{q(table)} BEGIN {body} END")
        except sqlite3.Error:  # a table no trigger can sit on: read whole
            ok = False
        else:
            ok = True
            covered.append(table)
        cur.execute(f"INSERT INTO temp.{WATCHED} VALUES (?, ?)", (table, int(ok)))
    return tuple(covered)


_ROWID_NAMES = {"rowid", "oid", "_rowid_"}


def _watchable(cur: Any, columns: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The tables whose rows a trigger can name by rowid."""
    if _cursor_rows(cur, "SELECT count(*) FROM main.sqlite_master "
                         "WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'")[0][0]:
        return ()  # a virtual table writes its shadow tables itself: read everything whole
    out = []
    for table, cols in columns.items():
        if _ROWID_NAMES & {c.lower() for c in cols}:
            continue  # there `rowid` names the column, not the row
        try:
            cur.execute(f"SELECT rowid FROM main.{q(table)} LIMIT 0")
        except sqlite3.Error:
            continue  # WITHOUT ROWID
        out.append(table)
    return tuple(out)


def _count(cur: Any, table: str) -> int:
    return int(_cursor_rows(cur, f"SELECT count(*) FROM main.{q(table)}")[0][0])
