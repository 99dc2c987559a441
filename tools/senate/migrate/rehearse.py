"""`senate migrate apply --dry-run`: run the pending chain on a copy and say what changes.

SQLite: the database is copied into memory with the backup API (the file is opened
read-only). PostgreSQL: the whole pending chain runs in one transaction that is rolled
back. Either way the real database is left exactly as it was; the report compares a
snapshot taken before with one taken after (tables, row counts, current schema versions,
which artifacts' metadata changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from senate.git import GitRepo
from senate.migrate.apply import Chain, load_chain, pending, recorded_history
from senate.migrate.db import Database, connect, dialect_of, migration_statements, sqlite_copy
from senate.policy import Storage

SAMPLE = 10  # artifact ids listed per changed type
BEFORE = "senate_rehearsal_before"  # a temporary table: it dies with the copy/transaction


@dataclass(frozen=True)
class Snapshot:
    rows: dict[str, int]  # table -> row count
    current: dict[str, int]  # artifact type -> current schema version


@dataclass(frozen=True)
class Rehearsal:
    dialect: str
    would_apply: tuple[str, ...]
    already: int
    failure: str | None
    tables_created: tuple[str, ...]
    rows: dict[str, tuple[int, int]]  # only the tables whose count changes
    versions: dict[str, tuple[int | None, int | None]]
    artifacts_changed: dict[str, tuple[str, ...]]  # type -> changed ids (first SAMPLE)
    artifacts_changed_count: int

    @property
    def ok(self) -> bool:
        return self.failure is None

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": True,
            "dialect": self.dialect,
            "ok": self.ok,
            "would_apply": list(self.would_apply),
            "already": self.already,
            "failure": self.failure,
            "tables_created": list(self.tables_created),
            "rows": {t: {"before": b, "after": a} for t, (b, a) in self.rows.items()},
            "schema_versions": {t: {"before": b, "after": a}
                                for t, (b, a) in self.versions.items()},
            "artifacts_changed": self.artifacts_changed_count,
            "artifacts_changed_by_type": {t: list(ids)
                                          for t, ids in self.artifacts_changed.items()},
        }

    def render(self) -> str:
        if not self.would_apply:
            return f"dry run: nothing to apply ({self.already} already applied)"
        lines = [f"dry run ({self.dialect}), nothing was written:"]
        lines += [f"  would apply {n}" for n in self.would_apply]
        if self.failure is not None:
            lines.append(f"  FAIL {self.failure}")
            return "\n".join(lines)
        lines += [f"  new table {t}" for t in self.tables_created]
        lines += [f"  {t}: {b} -> {a} rows" for t, (b, a) in self.rows.items()]
        lines += [f"  {t}: schema version {b or 'none'} -> {a or 'none'}"
                  for t, (b, a) in self.versions.items()]
        lines.append(f"  {self.artifacts_changed_count} artifact(s) would change"
                     + "".join(f"\n    {t}: {', '.join(ids)}"
                               for t, ids in self.artifacts_changed.items()))
        return "\n".join(lines)


def tables(db: Database) -> list[str]:
    if db.dialect == "sqlite":
        sql = ("SELECT name FROM sqlite_master WHERE type = 'table' "
               "AND name NOT LIKE 'sqlite_%' ORDER BY name")
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    return [str(name) for (name,) in db.query(sql)]


def snapshot(db: Database, s: Storage) -> Snapshot:
    names = tables(db)
    # Table names come from the catalogue; quoted as identifiers all the same.
    rows = {t: int(db.query(f'SELECT count(*) FROM "{t}"')[0][0]) for t in names}
    current: dict[str, int] = {}
    if s.registry_table in names:
        true = "1" if db.dialect == "sqlite" else "TRUE"
        current = {str(t): int(v) for t, v in db.query(
            f"SELECT artifact_type, schema_version FROM {s.registry_table} "
            f"WHERE is_current = {true}")}
    return Snapshot(rows, current)


def _text(db: Database, column: str) -> str:
    # jsonb's text is canonical; SQLite stores the text itself.
    return column + ("::text" if db.dialect == "postgres" else "")


def keep_metadata(db: Database, s: Storage) -> bool:
    """Copy every artifact's metadata aside (in SQL, on the copy) to compare afterwards."""
    if not db.table_exists(s.artifacts_table):
        return False
    db.execute(f"CREATE TEMPORARY TABLE {BEFORE} AS SELECT {s.id_column} AS id, "
             f"{_text(db, s.metadata_column)} AS doc FROM {s.artifacts_table}")
    return True


def changed_artifacts(db: Database, s: Storage) -> dict[str, list[str]]:
    """type -> ids of the artifacts whose metadata differs from the copy kept aside."""
    differs = "IS NOT" if db.dialect == "sqlite" else "IS DISTINCT FROM"
    out: dict[str, list[str]] = {}
    for ident, kind in db.query(
            f"SELECT b.id, a.{s.type_column} FROM {BEFORE} b JOIN {s.artifacts_table} a "
            f"ON a.{s.id_column} = b.id "
            f"WHERE {_text(db, 'a.' + s.metadata_column)} {differs} b.doc ORDER BY b.id"):
        out.setdefault(str(kind), []).append(str(ident))
    return out


def compare(before: Snapshot, after: Snapshot, changed: dict[str, list[str]]
            ) -> dict[str, Any]:
    """What changed between two snapshots (pure)."""
    created = tuple(t for t in after.rows if t not in before.rows)
    rows = {t: (before.rows.get(t, 0), n) for t, n in after.rows.items()
            if before.rows.get(t, 0) != n}
    types = sorted(set(before.current) | set(after.current))
    versions = {t: (before.current.get(t), after.current.get(t)) for t in types
                if before.current.get(t) != after.current.get(t)}
    return {"tables_created": created, "rows": rows, "versions": versions,
            "changed": {t: tuple(ids[:SAMPLE]) for t, ids in changed.items()},
            "changed_count": sum(len(ids) for ids in changed.values())}


@contextmanager
def scratch(url: str) -> Iterator[Database]:
    """A database whose writes never reach `url`."""
    if dialect_of(url) == "sqlite":
        db = sqlite_copy(url)
        try:
            yield db
        finally:
            db.close()
        return
    db = connect(url)
    try:
        with db.rolled_back():
            yield db
    finally:
        db.close()


def rehearse(git: GitRepo, url: str, rev: str | None = None) -> Rehearsal:
    chain: Chain = load_chain(git, dialect_of(url), rev)
    with scratch(url) as db:
        todo = pending(chain, recorded_history(db, chain.storage))
        before = snapshot(db, chain.storage)
        kept = keep_metadata(db, chain.storage) if todo else False
        failure: str | None = None
        for mig in todo:
            failed = db.run_migration(migration_statements(mig.text))
            if failed is not None:
                failure = (f"{mig.file} would fail at line {failed.statement.line}: "
                           f"{failed.message}")
                break
        after = before if failure else snapshot(db, chain.storage)
        changed = changed_artifacts(db, chain.storage) if kept and not failure else {}
        diff = compare(before, after, changed)
    return Rehearsal(chain.dialect, tuple(m.name for m in todo),
                     len(chain.migrations) - len(todo), failure, diff["tables_created"],
                     diff["rows"], diff["versions"], diff["changed"], diff["changed_count"])
