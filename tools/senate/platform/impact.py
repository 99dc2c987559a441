"""`senate impact`: what a proposal does to the artifacts that exist, measured.

The target type's artifacts (all, or a uniform sample) are copied from the platform
database into a scratch SQLite database laid out by the baseline migration with the
proposal's base schema; the migration `senate migrate generate` would render for this
proposal runs there; every copy is validated before (base schema) and after (the schema
the migration registered). The platform database is only read.
"""

from __future__ import annotations

import dataclasses
import json
import random
import tempfile
import time as _time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from senate.counting import Count
from senate.git import GitRepo
from senate.migrate.db import Database, _sqlite, connect, migration_statements
from senate.migrate.generate import _iso, change_between
from senate.migrate.render import render_baseline, render_change
from senate.migrate.verify import current_schemas
from senate.platform.compliance import decode, explain, stream
from senate.platform.validators import engine, fast_check
from senate.policy import Storage
from senate.proposals import policy_at
from senate.registry import parse_schema, schema_path

BATCH = 2000
MIGRATION_SECONDS = 120  # a proposer's SQL that loops forever must not hang a review page
SIDE = "senate_impact_before"  # scratch only: each copy's original metadata and verdict


@dataclass(frozen=True)
class Impact:
    proposal: str
    artifact_type: str
    population: int  # artifacts of the type in the platform database
    copied: int
    sample: int | None
    valid_before: int
    valid_after: int
    invalidated: int
    fixed: int
    changed: int
    removed: int  # copies the migration deleted
    examples: tuple[dict[str, Any], ...]
    rule_backward_compatible: bool | None
    migration: str
    migration_error: str | None
    engine: str
    seconds: float

    @property
    def contradiction(self) -> str | None:
        """Where the data disagrees with the rule-based verdict, in one sentence."""
        n = self.copied
        if self.migration_error is not None or n == 0:
            return None
        if self.rule_backward_compatible is False and self.invalidated + self.removed == 0:
            return (f"the rules call this change NOT backward compatible, but it invalidates "
                    f"none of the {n} real artifacts measured")
        lost = self.invalidated + self.removed
        if self.rule_backward_compatible is True and lost > 0:
            return (f"the rules call this change backward compatible, but it invalidates "
                    f"{self.invalidated} and deletes {self.removed} of the {n} real "
                    "artifacts measured")
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal, "artifact_type": self.artifact_type,
            "population": self.population, "copied": self.copied, "sample": self.sample,
            "valid_before": self.valid_before, "valid_after": self.valid_after,
            "invalidated": self.invalidated, "fixed": self.fixed, "changed": self.changed,
            "removed": self.removed,
            "invalidated_examples": list(self.examples),
            "rule_backward_compatible": self.rule_backward_compatible,
            "measured_backward_compatible": (None if self.migration_error is not None
                                             else self.invalidated == 0),
            "contradiction": self.contradiction,
            "migration": self.migration, "migration_error": self.migration_error,
            "engine": self.engine, "seconds": round(self.seconds, 3),
        }

    def render(self) -> str:
        lines = []
        if self.contradiction:
            lines += [f"!! CONTRADICTION: {self.contradiction}", ""]
        what = (f"a uniform sample of {self.copied} of {self.population}"
                if self.sample is not None and self.copied < self.population
                else f"all {self.copied}")
        lines.append(f"impact of {self.proposal} on {what} {self.artifact_type} artifacts")
        if self.migration_error is not None:
            lines.append(f"  the migration {self.migration} FAILS on them: "
                         f"{self.migration_error}")
            return "\n".join(lines)
        lines += [
            f"  valid before {self.valid_before}, after {self.valid_after} "
            f"(invalidated {self.invalidated}, fixed {self.fixed})",
            f"  metadata rewritten by the migration: {self.changed}; artifacts deleted: "
            f"{self.removed}",
            f"  rule-based verdict: {_verdict(self.rule_backward_compatible)}; measured: "
            + ("invalidates nothing" if self.invalidated == 0 else "breaks artifacts"),
        ]
        for ex in self.examples:
            first = ex["errors"][0]
            lines.append(f"    {ex['id']}: {first['path']}: {first['message']}")
        return "\n".join(lines)


def _verdict(value: bool | None) -> str:
    return {True: "backward compatible", False: "NOT backward compatible"}.get(
        value, "undecided")  # type: ignore[arg-type]


def sampled(rows: Iterator[tuple[str, str, Any]], n: int | None,
            seed: int) -> tuple[list[tuple[str, Any]], int]:
    """All rows, or a uniform sample of n (reservoir sampling: one pass, n kept)."""
    rng = random.Random(seed)
    kept: list[tuple[str, Any]] = []
    seen = 0
    for ident, _, raw in rows:
        seen += 1
        if n is None or len(kept) < n:
            kept.append((ident, raw))
        else:
            j = rng.randrange(seen)
            if j < n:
                kept[j] = (ident, raw)
    return kept, seen


def measure(git: GitRepo, c: Count, url: str, sample: int | None = None, seed: int = 0,
            limit: int = 5) -> Impact:
    started = _time.perf_counter()
    ref, meta = c.ref, c.meta
    storage = policy_at(git, ref.main).storage
    kind = meta.target_artifact_type
    old_raw = git.read_file(ref.base, schema_path(kind))
    base_schema = parse_schema(old_raw, schema_path(kind)) if old_raw is not None else None
    change = change_between(git, ref.id, ref.tip, ref.base, 1, "sqlite",
                            _iso(int(_time.time())))
    change = dataclasses.replace(change, new_version=(change.old_version or 0) + 1)
    up, _ = render_change(change, storage, "sqlite")
    source = connect(url)
    try:
        rows, population = sampled(stream(source, storage, kind), sample, seed)
    finally:
        source.close()
    with tempfile.TemporaryDirectory(prefix="senate-impact-") as tmp:
        db = _sqlite(Path(tmp) / "scratch.db")
        # A scratch copy thrown away afterwards: no journal, no fsync.
        db.conn.execute("PRAGMA journal_mode = OFF")
        db.conn.execute("PRAGMA synchronous = OFF")
        try:
            return _run(db, storage, base_schema, rows, up, change.name, c, population,
                        sample, limit, started)
        finally:
            db.close()


def confine(db: Database, seconds: float) -> None:
    """The proposer's SQL of an open proposal is anyone's text: in the scratch database it
    may not reach any other file (ATTACH, and VACUUM INTO, which attaches) nor run for
    longer than `seconds`."""
    import sqlite3

    def authorize(action: int, arg1: str | None, arg2: str | None, *_: Any) -> int:
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION and arg2 == "load_extension":
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    deadline = _time.monotonic() + seconds
    db.conn.set_authorizer(authorize)
    db.conn.set_progress_handler(lambda: int(_time.monotonic() > deadline), 10_000)


def _run(db: Database, s: Storage, base_schema: dict[str, Any] | None,
         rows: list[tuple[str, Any]], up: str, name: str, c: Count, population: int,
         sample: int | None, limit: int, started: float) -> Impact:
    kind = c.meta.target_artifact_type
    schemas = {kind: base_schema} if base_schema is not None else {}
    baseline = render_baseline(schemas, s, "sqlite", _iso(0))
    failed = db.run_migration(migration_statements(baseline))
    assert failed is None, failed  # Senate's own template on an empty database
    db.conn.execute(f"CREATE TABLE {SIDE} (id TEXT PRIMARY KEY, valid INTEGER, original TEXT) "
                    "WITHOUT ROWID")
    before = fast_check(base_schema) if base_schema is not None else None
    valid_before = 0
    artifacts, side = [], []
    for ident, raw in rows:
        doc = decode(raw)
        text = raw if isinstance(raw, str) else json.dumps(doc, ensure_ascii=False)
        ok = before is not None and before(doc)
        valid_before += ok
        artifacts.append((ident, kind, text))
        side.append((ident, int(ok), text))
    db.insert_many(f"INSERT INTO {s.artifacts_table} ({s.id_column}, {s.type_column}, "
                   f"{s.metadata_column}) VALUES (?, ?, ?)", artifacts)
    db.insert_many(f"INSERT INTO {SIDE} (id, valid, original) VALUES (?, ?, ?)", side)
    del artifacts, side
    confine(db, MIGRATION_SECONDS)
    failure = db.run_migration(migration_statements(up))
    result = Impact(c.proposal, kind, population, len(rows), sample, valid_before,
                    valid_after=0, invalidated=0, fixed=0, changed=0, removed=0, examples=(),
                    rule_backward_compatible=c.compat.backward_compatible, migration=name,
                    migration_error=None, engine=engine(), seconds=0.0)
    if failure is not None:
        return dataclasses.replace(
            result, seconds=_time.perf_counter() - started,
            migration_error=f"line {failure.statement.line}: {failure.message}")
    new_schema = current_schemas(db, s).get(kind)
    after = fast_check(new_schema) if new_schema is not None else None
    valid_after = invalidated = fixed = changed = seen = 0
    examples: list[dict[str, Any]] = []
    cur = db.conn.execute(
        # Compared in SQL: the original text crosses over only for rows whose text moved.
        f"SELECT a.{s.id_column}, a.{s.metadata_column}, b.valid, "
        f"CASE WHEN a.{s.metadata_column} IS b.original THEN NULL ELSE b.original END "
        f"FROM {s.artifacts_table} a JOIN {SIDE} b ON b.id = a.{s.id_column}")
    while batch := cur.fetchmany(BATCH):
        for ident, raw, was_valid, moved in batch:
            doc = decode(raw)
            ok = after is not None and after(doc)
            seen += 1
            valid_after += ok
            if moved is not None and doc != decode(moved):
                changed += 1
            if was_valid and not ok:
                invalidated += 1
                if len(examples) < limit:
                    examples.append(explain(new_schema, str(ident), doc))
            elif ok and not was_valid:
                fixed += 1
    return dataclasses.replace(
        result, valid_after=valid_after, invalidated=invalidated, fixed=fixed,
        changed=changed, removed=len(rows) - seen, examples=tuple(examples),
        seconds=_time.perf_counter() - started)


def configured_impact(git: GitRepo, c: Count) -> dict[str, Any] | None:
    """The impact `senate show` and the review page add to an open schema change when
    senate.toml (on main) names a platform DSN: a sample of [platform] impact_sample
    artifacts. None otherwise; an unreachable database is reported in place, never fatal
    to the page."""
    from senate.errors import SenateError

    if c.ref.location != "branch" or c.meta.proposal_type != "schema_change":
        return None  # merged or archived: the platform's artifacts are past this change
    platform = policy_at(git, c.ref.main).platform
    dsn = platform.resolved_dsn()
    if dsn is None:
        return None
    try:
        result = measure(git, c, dsn, platform.impact_sample)
    except SenateError as exc:
        return {"error": exc.message}
    return dict(result.to_json(), text=result.render())
