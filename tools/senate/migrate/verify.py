"""`senate migrate verify`: the whole chain on a fresh real database, checked step by step.

After the baseline the sample artifacts are loaded (the shipped fixtures per type and any
given with --samples); after every migration each artifact is validated against its
type's current registry row, and the database's own integrity is checked. The first
failure stops the run and names the migration, the statement and the artifact.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from senate.git import GitRepo
from senate.migrate.apply import Chain, load_chain
from senate.migrate.chain import Migration
from senate.migrate.db import Database, fresh_database, migration_statements
from senate.policy import Storage


@dataclass(frozen=True)
class Failure:
    migration: str
    message: str
    statement: str | None = None
    line: int | None = None
    artifact: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"migration": self.migration, "statement": self.statement, "line": self.line,
                "artifact": self.artifact, "message": self.message}

    def render(self) -> str:
        where = [f"migration {self.migration}"]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.artifact is not None:
            where.append(f"artifact {self.artifact}")
        text = f"FAIL {', '.join(where)}: {self.message}"
        return text + (f"\n    statement: {_one_line(self.statement)}" if self.statement else "")


@dataclass(frozen=True)
class Step:
    migration: str
    artifacts: int


@dataclass(frozen=True)
class VerifyReport:
    dialect: str
    steps: tuple[Step, ...]
    failures: tuple[Failure, ...]
    lint: tuple[str, ...] = field(default=())
    unloaded: tuple[str, ...] = ()  # sample types that no migration registers

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        return {
            "dialect": self.dialect,
            "ok": self.ok,
            "steps": [{"migration": s.migration, "artifacts": s.artifacts} for s in self.steps],
            "failures": [f.to_json() for f in self.failures],
            "lint": list(self.lint),
            "unloaded_sample_types": list(self.unloaded),
        }

    def render(self) -> str:
        lines = [f"{self.dialect}: {s.migration} ok ({s.artifacts} artifacts valid)"
                 for s in self.steps]
        lines += [f.render() for f in self.failures]
        if self.unloaded:
            lines.append("samples not loaded (type never registered): "
                         + ", ".join(self.unloaded))
        if self.lint:
            lines.append("squawk findings:")
            lines += [f"  {x}" for x in self.lint]
        lines.append(f"{self.dialect}: " + ("chain verified" if self.ok else "FAILED"))
        return "\n".join(lines)


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())[:200]


def load_samples(extra: Path | None) -> dict[str, list[tuple[str, Any]]]:
    """type -> [(artifact id, document)], shipped fixtures first, then `extra`."""
    out: dict[str, list[tuple[str, Any]]] = {}
    shipped = resources.files("senate.data").joinpath("samples")
    roots: list[tuple[str, Any]] = [("sample", shipped)]
    if extra is not None:
        roots.append(("extra", extra))
    for prefix, root in roots:
        for folder in sorted(root.iterdir(), key=lambda p: p.name):
            if not folder.is_dir():
                continue
            for doc in sorted(folder.iterdir(), key=lambda p: p.name):
                if doc.name.endswith(".json"):
                    ident = f"{prefix}:{folder.name}/{doc.name[:-5]}"
                    out.setdefault(folder.name, []).append((ident, json.loads(doc.read_text())))
    return out


def verify(
    git: GitRepo, dialect: str, dsn: str | None = None, samples: Path | None = None,
    rev: str | None = None,
) -> VerifyReport:
    chain = load_chain(git, dialect, rev)
    docs = load_samples(samples)
    with tempfile.TemporaryDirectory(prefix="senate-verify-") as tmp:
        with fresh_database(dialect, dsn, Path(tmp)) as db:
            steps, failures, loaded = _run_chain(db, chain, docs)
        lint = squawk(chain, Path(tmp)) if dialect == "postgres" else ()
    unloaded = () if failures else tuple(sorted(set(docs) - loaded))
    return VerifyReport(dialect, tuple(steps), tuple(failures), lint, unloaded)


def _run_chain(
    db: Database, chain: Chain, docs: dict[str, list[tuple[str, Any]]]
) -> tuple[list[Step], list[Failure], set[str]]:
    steps: list[Step] = []
    loaded: set[str] = set()
    for mig in chain.migrations:
        failed = db.run_migration(migration_statements(mig.text))
        if failed is not None:
            return steps, [Failure(mig.name, failed.message, failed.statement.text,
                                   failed.statement.line)], loaded
        current = current_schemas(db, chain.storage)
        _load(db, chain.storage, {t: d for t, d in docs.items()
                                  if t in current and t not in loaded})
        loaded |= set(current) & set(docs)
        failures = integrity(db, chain.storage, mig) + validate_all(db, chain.storage, mig,
                                                                    current)
        if failures:
            return steps, failures, loaded
        steps.append(Step(mig.name, count_artifacts(db, chain.storage)))
    return steps, [], loaded


def current_schemas(db: Database, storage: Storage) -> dict[str, Any]:
    true = "1" if db.dialect == "sqlite" else "TRUE"
    rows = db.query(
        f"SELECT artifact_type, schema_json FROM {storage.registry_table} "
        f"WHERE is_current = {true}"
    )
    return {str(t): db.json_value(s) for t, s in rows}


def _load(db: Database, s: Storage, docs: dict[str, list[tuple[str, Any]]]) -> None:
    p = db.param
    rows = [(ident, t, db.json_param(doc)) for t, items in docs.items() for ident, doc in items]
    if rows:
        db.insert_many(
            f"INSERT INTO {s.artifacts_table} ({s.id_column}, {s.type_column}, "
            f"{s.metadata_column}) VALUES ({p}, {p}, {p})",
            rows,
        )


def count_artifacts(db: Database, s: Storage) -> int:
    return int(db.query(f"SELECT count(*) FROM {s.artifacts_table}")[0][0])


def integrity(db: Database, s: Storage, mig: Migration) -> list[Failure]:
    out: list[Failure] = []
    if db.dialect == "sqlite":
        rows = db.query("PRAGMA integrity_check")
        if rows != [("ok",)]:
            out.append(Failure(mig.name, f"PRAGMA integrity_check: {rows[:3]}"))
        fk = db.query("PRAGMA foreign_key_check")
        if fk:
            out.append(Failure(mig.name, f"PRAGMA foreign_key_check: {fk[:3]}"))
    true = "1" if db.dialect == "sqlite" else "TRUE"
    lost = db.query(
        f"SELECT artifact_type FROM {s.registry_table} GROUP BY artifact_type "
        f"HAVING sum(CASE WHEN is_current = {true} THEN 1 ELSE 0 END) <> 1"
    )
    out += [Failure(mig.name, f"type {t} has no current schema version") for (t,) in lost]
    top = db.query(f"SELECT max(version) FROM {s.history_table}")[0][0]
    if top != mig.version:
        out.append(Failure(mig.name, f"{s.history_table} ends at {top}, not {mig.version}"))
    return out


def validate_all(
    db: Database, s: Storage, mig: Migration, schemas: dict[str, Any]
) -> list[Failure]:
    import jsonschema

    validators = {
        t: jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        for t, schema in schemas.items()
    }
    out: list[Failure] = []
    rows = db.query(f"SELECT {s.id_column}, {s.type_column}, {s.metadata_column} "
                    f"FROM {s.artifacts_table} ORDER BY {s.id_column}")
    for ident, kind, raw in rows:
        validator = validators.get(str(kind))
        if validator is None:
            out.append(Failure(mig.name, f"type {kind} has no current schema", artifact=ident))
            continue
        error = next(iter(validator.iter_errors(db.json_value(raw))), None)
        if error is not None:
            out.append(Failure(
                mig.name, f"{error.json_path}: {error.message} (schema version of {kind} "
                f"{schemas[str(kind)].get('x-senate-version')})", artifact=str(ident)))
    return out


def squawk_binary() -> str | None:
    beside = Path(sys.executable).parent / "squawk"
    return str(beside) if beside.exists() else shutil.which("squawk")


def squawk(chain: Chain, workdir: Path) -> tuple[str, ...]:
    """Squawk's findings on every PostgreSQL migration (shown, not fatal)."""
    binary = squawk_binary()
    if binary is None:
        return ("squawk is not installed (pip install squawk-cli): migrations not linted",)
    folder = workdir / "squawk"
    folder.mkdir()
    paths = []
    for mig in chain.migrations:
        path = folder / mig.file
        path.write_text(mig.text)
        paths.append(str(path))
    result = subprocess.run([binary, "--reporter", "gcc", *paths], capture_output=True,
                            text=True, timeout=120, check=False)
    text = (result.stdout + result.stderr).replace(str(folder) + "/", "")
    return tuple(line for line in text.splitlines() if line.strip())
