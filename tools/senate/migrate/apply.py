"""`senate migrate apply`: bring a real database up to the end of the chain.

Each pending migration runs in its own transaction and records itself in the history
table; a database whose recorded history is not a prefix of the chain (another checksum,
another order, a migration we do not have) is refused before anything runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from senate.errors import SenateError
from senate.git import GitRepo
from senate.migrate.chain import (
    DOWN_SUFFIX,
    SUM_FILE,
    ChainError,
    Migration,
    dialect_dir,
    verified_chain,
)
from senate.migrate.db import Database, connect, migration_statements
from senate.policy import Storage
from senate.proposals import main_tip, policy_at

APPLY_LOCK = 0x5E4A7E  # PostgreSQL advisory lock key held while applying


class MigrationFailed(SenateError):
    """A migration failed; its transaction was rolled back."""


class HistoryMismatch(SenateError):
    """The database's migration history is not this chain's."""

    reason = "history_mismatch"


@dataclass(frozen=True)
class Chain:
    dialect: str
    storage: Storage
    migrations: tuple[Migration, ...]
    downs: dict[str, str] = field(default_factory=dict)  # migration name -> its down SQL


@dataclass(frozen=True)
class Applied:
    applied: tuple[str, ...]
    already: int
    dialect: str

    def to_json(self) -> dict[str, Any]:
        return {"dialect": self.dialect, "applied": list(self.applied), "already": self.already}


def load_chain(git: GitRepo, dialect: str, rev: str | None = None) -> Chain:
    tip = main_tip(git) if rev is None else git.resolve(rev)
    folder = dialect_dir(dialect)
    files = {n: git.read_file(tip, f"{folder}/{n}") or b""
             for n in git.list_dir(tip, folder) if n != SUM_FILE}
    if not files:
        raise ChainError(f"no migrations in {folder} at {tip[:12]}",
                         "run `senate migrate generate` first")
    migrations = verified_chain(dialect, files, git.read_file(tip, f"{folder}/{SUM_FILE}"))
    # The sum covers the down files too, so they are as checked as the chain itself.
    downs = {n[: -len(DOWN_SUFFIX)]: data.decode("utf-8") for n, data in files.items()
             if n.endswith(DOWN_SUFFIX)}
    return Chain(dialect, policy_at(git, tip).storage, tuple(migrations), downs)


def recorded_history(db: Database, storage: Storage) -> list[tuple[int, str, str]]:
    if not db.table_exists(storage.history_table):
        return []
    rows = db.query(
        f"SELECT version, migration_id, checksum FROM {storage.history_table} ORDER BY version"
    )
    return [(int(v), str(m), str(c)) for v, m, c in rows]


def pending(chain: Chain, history: list[tuple[int, str, str]]) -> list[Migration]:
    """The migrations still to run; HistoryMismatch if the history is not the chain's."""
    by_version = {m.version: m for m in chain.migrations}
    for position, (version, name, checksum) in enumerate(history):
        mig = by_version.get(version)
        if version != position or mig is None:
            raise HistoryMismatch(
                f"the database records migration {version:04d} ({name}), which is not "
                f"migration number {position} of the chain",
                "this database was migrated from another chain; restore it or start fresh",
            )
        if mig.name != name or mig.checksum != checksum:
            raise HistoryMismatch(
                f"the database's migration {version:04d} is {name} (checksum "
                f"{checksum[:12]}), the chain's is {mig.name} (checksum {mig.checksum[:12]})",
                "the migration was edited after it was applied; restore it from git",
            )
    return list(chain.migrations[len(history):])


def run_one(db: Database, mig: Migration) -> None:
    failure = db.run_migration(migration_statements(mig.text))
    if failure is not None:
        raise MigrationFailed(
            f"migration {mig.file} failed at line {failure.statement.line} "
            f"({failure.statement.text.splitlines()[-1].strip()[:80]}): {failure.message}",
            "nothing of this migration was applied (rolled back); earlier ones stay",
        )


@contextmanager
def locked(url: str) -> Iterator[Database]:
    """The database, held by this process alone while migrations run on it."""
    db = connect(url)
    try:
        if db.dialect == "postgres":
            # Two appliers at once: the second waits, then finds nothing pending.
            db.query("SELECT pg_advisory_lock(%s)", (APPLY_LOCK,))
        yield db
    finally:
        db.close()


def apply(git: GitRepo, url: str, rev: str | None = None) -> Applied:
    from senate.migrate.db import dialect_of

    chain = load_chain(git, dialect_of(url), rev)
    with locked(url) as db:
        todo = pending(chain, recorded_history(db, chain.storage))
        done: list[str] = []
        for mig in todo:
            run_one(db, mig)
            done.append(mig.name)
        return Applied(tuple(done), len(chain.migrations) - len(todo), chain.dialect)
