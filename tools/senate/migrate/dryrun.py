"""The dry run: a proposal's complete migration, applied to a scratch database and measured.

What runs is exactly what `senate migrate generate` would render if the proposal merged
now (backfill, proposer SQL, registry row, history row), on top of the chain so far, on a
database loaded with the sample artifacts. Everything happens in ONE transaction that is
always rolled back: SQLite in memory, and PostgreSQL (where senate.toml's [dry_run]
names a server) in a schema of its own, so nothing outlives the rehearsal.

Only SQL the classifier did not refuse ever runs here (the caller checks): a refused
statement could reach the host (ATTACH, VACUUM INTO, COPY ... PROGRAM), not just the data.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from senate.errors import SenateError
from senate.git import GitRepo
from senate.migrate.effect import Effect, diff, snapshot, watched
from senate.migrate.render import Change, render_change
from senate.migrate.samples import Samples, sample_artifacts
from senate.migrate.scratch import on_chain, run_statements, scratch
from senate.policy import Policy, Storage
from senate.proposal import PROPOSALS_DIR, ProposalMeta, load_meta
from senate.registry import VERSION_KEY, parse_schema, schema_path, version_of
from senate.sqltext import split_statements

SHOWN = 5  # artifact ids named in a reason; the JSON has them all


@dataclass(frozen=True)
class Failure:
    where: str  # "migration.sql line 3" or "generated migration line 12"
    statement: str
    message: str

    def describe(self) -> str:
        return f"{self.where} ({' '.join(self.statement.split())[:80]}): {self.message}"


@dataclass(frozen=True)
class Rehearsal:
    dialect: str
    samples: int = 0
    effect: Effect | None = None
    invalid: tuple[tuple[str, str], ...] = ()  # (artifact id, why) newly invalid afterwards
    failure: Failure | None = None
    broken: str | None = None  # the rehearsal itself could not be set up
    ms: float = 0.0
    sources: tuple[str, ...] = field(default=())

    @property
    def problems(self) -> tuple[str, ...]:
        """Findings that block approval."""
        if self.broken is not None:
            return (f"the {self.dialect} dry run could not run: {self.broken}",)
        if self.failure is not None:
            return (f"the migration fails on a scratch {self.dialect} database at "
                    f"{self.failure.describe()}",)
        return ()

    @property
    def destructive(self) -> tuple[str, ...]:
        """Measured losses: each one alone makes the proposal need unanimity."""
        e = self.effect
        if e is None:
            return ()
        where = f"the {self.dialect} dry run"
        out = [f"{where} lost {t.lost} row(s) of {t.table}" for t in e.tables if t.lost]
        out += [f"{where} dropped table {t}" for t in e.dropped_tables]
        out += [f"{where} renamed table {t}" for t in e.renamed_tables]
        out += [f"{where} dropped column {c}" for c in e.dropped_columns]
        out += [f"{where} renamed column {c}" for c in e.renamed_columns]
        if self.invalid:
            names = ", ".join(f"{i} ({why})" for i, why in self.invalid[:SHOWN])
            more = f" and {len(self.invalid) - SHOWN} more" if len(self.invalid) > SHOWN else ""
            out.append(f"{where} left {len(self.invalid)} artifact(s) invalid under the new "
                       f"schema: {names}{more}")
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        e = self.effect
        return {
            "dialect": self.dialect,
            "samples": self.samples,
            "sample_sources": list(self.sources),
            "ms": round(self.ms, 1),
            "tables": [t.to_json() for t in e.tables] if e else [],
            "dropped_tables": list(e.dropped_tables) if e else [],
            "renamed_tables": list(e.renamed_tables) if e else [],
            "dropped_columns": list(e.dropped_columns) if e else [],
            "renamed_columns": list(e.renamed_columns) if e else [],
            "changed_artifacts": list(e.changed_artifacts) if e else [],
            "added_artifacts": list(e.added_artifacts) if e else [],
            "lost_artifacts": list(e.lost_artifacts) if e else [],
            "invalid_artifacts": [{"artifact": i, "why": w} for i, w in self.invalid],
            "failure": None if self.failure is None else {
                "where": self.failure.where, "statement": self.failure.statement,
                "message": self.failure.message},
            "broken": self.broken,
            "destructive": list(self.destructive),
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class Rendered:
    chain: tuple[str, ...]  # the migrations so far, in order
    migration: str  # the proposal's migration as generation would write it
    proposer_file: str
    proposer_sql: str


def proposer_sql_file(git: GitRepo, rev: str, proposal_id: str, dialect: str) -> tuple[str, str]:
    """(file name, text) of the SQL that runs on `dialect`, as generation picks it."""
    folder = f"{PROPOSALS_DIR}/{proposal_id}"
    for name in (f"migration.{dialect}.sql", "migration.sql"):
        data = git.read_file(rev, f"{folder}/{name}")
        if data is not None:
            return name, data.decode("utf-8", "replace")
    return "migration.sql", ""


def chain_so_far(git: GitRepo, base: str, dialect: str) -> tuple[str, ...]:
    """The chain at `base` plus what generation would add there (baseline, merged ones)."""
    from senate.migrate.generate import chain_at

    return chain_at(git, base, dialect)


def render_proposal(
    git: GitRepo, base: str, tip: str, proposal_id: str, storage: Storage, dialect: str,
    chain: tuple[str, ...] | None = None,
) -> Rendered:
    chain = chain_so_far(git, base, dialect) if chain is None else chain
    folder = f"{PROPOSALS_DIR}/{proposal_id}"
    meta: ProposalMeta = load_meta(git.read_file(tip, f"{folder}/proposal.json") or b"",
                                   f"{folder}/proposal.json@{tip[:12]}")
    path = schema_path(meta.target_artifact_type)
    new_raw = git.read_file(tip, path)
    if new_raw is None:
        raise SenateError(f"{path} is missing at the proposal's tip")
    old_raw = git.read_file(base, path)
    old_version = version_of(parse_schema(old_raw, path)) if old_raw is not None else None
    new_schema = dict(parse_schema(new_raw, path))
    new_version = (old_version or 0) + 1
    new_schema[VERSION_KEY] = new_version  # what the merge commit writes
    name, sql = proposer_sql_file(git, tip, proposal_id, dialect)
    approved = datetime.fromtimestamp(git.commit_time(tip), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    change = Change(len(chain), meta, new_schema, old_version, new_version, approved, sql, name)
    up, _ = render_change(change, storage, dialect)
    return Rendered(chain, up, name, sql)


def rehearse(
    git: GitRepo, base: str, tip: str, proposal_id: str, policy: Policy,
    dialect: str = "sqlite",
) -> Rehearsal:
    """Apply what generation would render for the proposal to a scratch database."""
    started = time.perf_counter()
    storage = policy.storage
    try:
        rendered = render_proposal(git, base, tip, proposal_id, storage, dialect,
                                   _chain_memo(git, base, dialect))
        samples = sample_artifacts(git, base, policy)
    except SenateError as exc:
        return Rehearsal(dialect, broken=str(exc), ms=_ms(started))
    dsn = policy.dry_run.postgres_dsn if dialect == "postgres" else None
    try:
        if dialect == "sqlite":
            with on_chain(rendered.chain) as cur:
                if isinstance(cur, tuple):
                    return Rehearsal(dialect, broken=_chain_fails(*cur), ms=_ms(started))
                result = measure(cur, dialect, storage, rendered, samples, chain_applied=True)
        else:
            with scratch(dialect, dsn) as cur:
                result = measure(cur, dialect, storage, rendered, samples)
    except SenateError as exc:
        return Rehearsal(dialect, broken=str(exc), ms=_ms(started))
    return Rehearsal(dialect, samples.count, result.effect, result.invalid, result.failure,
                     result.broken, _ms(started), samples.sources)


_CHAINS: dict[tuple[str, str, str], tuple[str, ...]] = {}


def _chain_memo(git: GitRepo, base: str, dialect: str) -> tuple[str, ...]:
    # The chain at a commit is a pure function of that commit's tree.
    key = (str(git.path), base, dialect)
    if key not in _CHAINS:
        if len(_CHAINS) > 64:
            _CHAINS.clear()
        _CHAINS[key] = chain_so_far(git, base, dialect)
    return _CHAINS[key]


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


@dataclass(frozen=True)
class Measured:
    effect: Effect | None
    invalid: tuple[tuple[str, str], ...] = ()
    failure: Failure | None = None
    broken: str | None = None


def _chain_fails(number: int, message: str) -> str:
    return f"the migration chain so far fails at migration {number}: {message}"


def measure(cur: Any, dialect: str, storage: Storage, rendered: Rendered,
            samples: Samples, chain_applied: bool = False) -> Measured:
    """Inside the caller's open transaction: build (unless the cursor's database holds the
    chain already), load, snapshot, migrate, snapshot."""
    from senate.migrate.samples import load_into

    for number, text in enumerate(() if chain_applied else rendered.chain):
        failed = run_statements(cur, dialect, text, f"s{number}")
        if failed is not None:
            return Measured(None, broken=_chain_fails(number, failed[1]))
    before_schemas = current_schemas(cur, storage)
    load_into(cur, dialect, storage, samples, set(before_schemas))

    def migrate() -> tuple[tuple[str, str] | None, dict[str, Any]]:
        failed = run_statements(cur, dialect, rendered.migration, "proposal")
        return failed, ({} if failed else current_schemas(cur, storage))

    if dialect == "sqlite":
        before, after, (failed, after_schemas) = watched(cur, storage, migrate)
    else:
        before = snapshot(cur, dialect, storage)
        failed, after_schemas = migrate()
        after = snapshot(cur, dialect, storage)
    if failed is not None:
        statement, message = failed
        return Measured(None, failure=Failure(_locate(statement, rendered), statement, message))
    effect = diff(before, after)
    invalid = newly_invalid(before.artifacts, after.artifacts, before_schemas, after_schemas)
    return Measured(effect, invalid)


def _locate(statement: str, rendered: Rendered) -> str:
    for stmt in split_statements(rendered.proposer_sql):
        if stmt.text.strip() == statement.strip():
            return f"{rendered.proposer_file} line {stmt.line}"
    for stmt in split_statements(rendered.migration):
        if stmt.text.strip() == statement.strip():
            return f"the generated migration, line {stmt.line}"
    return "the generated migration"


def current_schemas(cur: Any, storage: Storage) -> dict[str, Any]:
    from senate.migrate.effect import document

    true = "1" if isinstance(cur, sqlite3.Cursor) else "TRUE"
    cur.execute(f"SELECT artifact_type, schema_json FROM {storage.registry_table} "
                f"WHERE is_current = {true}")
    out: dict[str, Any] = {}
    for kind, text in cur.fetchall():
        if not isinstance(text, str):
            out[str(kind)] = document(text)
            continue
        if text not in _PARSED:  # read-only downstream: the same texts, count after count
            if len(_PARSED) > 512:
                _PARSED.clear()
            _PARSED[text] = document(text)
        out[str(kind)] = _PARSED[text]
    return out


_PARSED: dict[str, Any] = {}


def newly_invalid(
    before: dict[str, tuple[str, Any]], after: dict[str, tuple[str, Any]],
    old: dict[str, Any], new: dict[str, Any],
) -> tuple[tuple[str, str], ...]:
    """Artifacts invalid afterwards that were valid before (or did not exist). Only those
    whose document or type's schema changed can have changed validity, so only they are
    validated: a large sample set costs what the migration touched."""
    import jsonschema

    from senate.migrate.effect import document, same_artifact

    cache: dict[tuple[str, int], Any] = {}
    changed_types = {t for t in set(old) | set(new) if old.get(t) != new.get(t)}

    def error(kind: str, doc: Any, schemas: dict[str, Any]) -> str | None:
        schema = schemas.get(kind)
        if schema is None:
            return f"type {kind} has no current schema"
        key = (kind, id(schemas))
        if key not in cache:
            cls = jsonschema.Draft202012Validator
            cache[key] = cls(schema, format_checker=cls.FORMAT_CHECKER)
        try:
            found = next(iter(cache[key].iter_errors(document(doc))), None)
        except (jsonschema.exceptions.SchemaError, jsonschema.exceptions.UnknownType,
                jsonschema.exceptions.FormatError) as exc:  # the schema itself is broken
            return f"the {kind} schema cannot validate: {str(exc).splitlines()[0]}"[:200]
        return None if found is None else f"{found.json_path}: {found.message}"[:200]

    out: list[tuple[str, str]] = []
    for ident, (kind, doc) in sorted(after.items()):
        was = before.get(ident)
        if kind not in changed_types and was is not None and same_artifact(was, (kind, doc)):
            continue
        why = error(kind, doc, new)
        if why is None:
            continue
        if was is not None and error(was[0], was[1], old) is not None:
            continue  # already invalid before the proposal: not its doing
        out.append((ident, why))
    return tuple(out)
