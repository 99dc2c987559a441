"""The sample artifacts a dry run loads: the shipped ones, plus what senate.toml names.

[dry_run] samples = "folder" reads <folder>/<type>/<name>.json from the repository at the
counted commit (so every count sees the same bytes); sample_dsn copies at most
sample_limit artifacts from a database, in a read-only transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from senate.errors import SenateError
from senate.git import GitRepo
from senate.policy import Policy, Storage

Docs = dict[str, tuple[tuple[str, Any], ...]]  # type -> ((artifact id, document), ...)


@dataclass(frozen=True)
class Samples:
    docs: Docs
    sources: tuple[str, ...]

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.docs.values())


@cache
def shipped() -> Docs:
    from senate.migrate.verify import load_samples

    return {t: tuple(items) for t, items in load_samples(None).items()}


def from_repo(git: GitRepo, rev: str, folder: str) -> Docs:
    from senate.git.folders import read_folder

    files = read_folder(git, rev, folder)
    if not files:
        raise SenateError(f"[dry_run] samples folder {folder} is missing or empty at {rev[:12]}")
    out: dict[str, list[tuple[str, Any]]] = {}
    for path in sorted(files):
        kind, _, name = path.partition("/")
        if "/" in name or not name.endswith(".json"):
            continue
        try:
            doc = json.loads(files[path])
        except ValueError as exc:
            raise SenateError(f"sample {folder}/{path} is not JSON: {exc}") from exc
        out.setdefault(kind, []).append((f"repo:{kind}/{name[:-5]}", doc))
    return {t: tuple(v) for t, v in out.items()}


def from_database(dsn: str, storage: Storage, limit: int) -> Docs:
    from senate.migrate.db import connect

    db = connect(dsn)
    try:
        if db.dialect == "postgres":
            db.conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        else:
            db.conn.execute("PRAGMA query_only = ON")
        s = storage
        rows = db.query(f"SELECT {s.id_column}, {s.type_column}, {s.metadata_column} "
                        f"FROM {s.artifacts_table} ORDER BY {s.id_column} LIMIT {int(limit)}")
    finally:
        db.close()
    out: dict[str, list[tuple[str, Any]]] = {}
    for ident, kind, meta in rows:
        out.setdefault(str(kind), []).append((f"db:{ident}", db.json_value(meta)))
    return {t: tuple(v) for t, v in out.items()}


def sample_artifacts(git: GitRepo, rev: str, policy: Policy) -> Samples:
    parts: list[tuple[str, Docs]] = [("shipped samples", shipped())]
    cfg = policy.dry_run
    if cfg.samples is not None:
        parts.append((f"{cfg.samples}/ in the repository", from_repo(git, rev, cfg.samples)))
    if cfg.sample_dsn is not None:
        parts.append((f"up to {cfg.sample_limit} artifacts of the sample_dsn database",
                      from_database(cfg.sample_dsn, policy.storage, cfg.sample_limit)))
    docs: dict[str, list[tuple[str, Any]]] = {}
    for _, part in parts:
        for kind, items in part.items():
            docs.setdefault(kind, []).extend(items)
    return Samples({t: tuple(v) for t, v in docs.items()}, tuple(name for name, _ in parts))


def load_into(cur: Any, dialect: str, storage: Storage, samples: Samples,
              registered: set[str]) -> None:
    """Insert the samples of every registered type (others have no schema to meet yet)."""
    s = storage
    if dialect == "sqlite":
        rows: list[tuple[Any, ...]] = [
            (ident, kind, json.dumps(doc, ensure_ascii=False))
            for kind, items in samples.docs.items() if kind in registered
            for ident, doc in items]
        mark = "?"
    else:
        from psycopg.types.json import Jsonb

        rows = [(ident, kind, Jsonb(doc)) for kind, items in samples.docs.items()
                if kind in registered for ident, doc in items]
        mark = "%s"
    if rows:
        cur.executemany(f"INSERT INTO {s.artifacts_table} ({s.id_column}, {s.type_column}, "
                        f"{s.metadata_column}) VALUES ({mark}, {mark}, {mark})", rows)
