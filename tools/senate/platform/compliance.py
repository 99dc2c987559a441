"""`senate validate --db`: every artifact in the platform database against its type's
current schema, streamed (bounded memory whatever the table's size).

Rows arrive in batches (a server-side cursor on PostgreSQL, fetchmany on SQLite); only
the counters and the first N invalid artifacts of each type are kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from senate.migrate.db import Database, DatabaseError, _errors, _first_line
from senate.platform.validators import Check, engine, fast_check
from senate.policy import Storage
from senate.validation import validate_document

Mode = Literal["strict", "warn", "skip"]
BATCH = 2000


@dataclass
class TypeReport:
    type: str
    schema_version: int | None  # None: no schema for this type at the revision
    artifacts: int = 0
    valid: int = 0
    invalid: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def compliance(self) -> float | None:
        checked = self.valid + self.invalid
        return round(100.0 * self.valid / checked, 2) if checked else None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "schema_version": self.schema_version,
                "artifacts": self.artifacts, "valid": self.valid, "invalid": self.invalid,
                "compliance": self.compliance, "invalid_examples": self.examples}


@dataclass(frozen=True)
class ComplianceReport:
    mode: Mode
    rev: str
    engine: str
    types: tuple[TypeReport, ...]

    @property
    def invalid(self) -> int:
        return sum(t.invalid for t in self.types)

    @property
    def ok(self) -> bool:
        return self.mode != "strict" or self.invalid == 0

    def to_json(self) -> dict[str, Any]:
        artifacts = sum(t.artifacts for t in self.types)
        valid = sum(t.valid for t in self.types)
        checked = valid + self.invalid
        return {
            "mode": self.mode, "rev": self.rev, "engine": self.engine, "ok": self.ok,
            "totals": {"artifacts": artifacts, "valid": valid, "invalid": self.invalid,
                       "compliance": round(100.0 * valid / checked, 2) if checked else None},
            "types": [t.to_json() for t in self.types],
        }

    def render(self) -> str:
        width = max((len(t.type) for t in self.types), default=4)
        lines = [f"{'type':<{width}}  {'artifacts':>9} {'valid':>9} {'invalid':>9} compliance"]
        for t in self.types:
            pct = "-" if t.compliance is None else f"{t.compliance:.2f}%"
            note = "" if t.schema_version is not None else "  (no schema for this type)"
            lines.append(f"{t.type:<{width}}  {t.artifacts:>9} {t.valid:>9} {t.invalid:>9} "
                         f"{pct:>10}{note}")
            for ex in t.examples:
                first = ex["errors"][0] if ex["errors"] else {"path": "$", "message": "?"}
                lines.append(f"    {ex['id']}: {first['path']}: {first['message']}")
        verdict = {True: "ok", False: "FAILED"}[self.ok]
        lines.append(f"{self.invalid} invalid artifact(s) ({self.mode}): {verdict}")
        return "\n".join(lines)


def batches(db: Database, s: Storage, only: str | None,
            batch: int = BATCH) -> Iterator[list[tuple[Any, Any, Any]]]:
    """(id, type, metadata) rows, `batch` at a time; never the whole table."""
    where = f" WHERE {s.type_column} = {db.param}" if only is not None else ""
    # jsonb comes as text, parsed here by the fast parser rather than by psycopg's loader.
    meta = s.metadata_column + ("::text" if db.dialect == "postgres" else "")
    sql = f"SELECT {s.id_column}, {s.type_column}, {meta} FROM {s.artifacts_table}"
    params = (only,) if only is not None else ()
    try:
        if db.dialect == "postgres":
            # A named cursor lives on the server: rows come `batch` at a time.
            with db.conn.cursor(name="senate_validate") as cur:
                cur.execute(sql + where, params)
                while rows := cur.fetchmany(batch):
                    yield rows
            db.conn.rollback()
            return
        cur = db.conn.cursor()
        cur.execute(sql + where, params)
        while rows := cur.fetchmany(batch):
            yield rows
    except _errors(db.dialect) as exc:
        raise DatabaseError(f"cannot read {s.artifacts_table}: {_first_line(str(exc))}",
                            "check [storage] in senate.toml against the platform database"
                            ) from exc


def stream(db: Database, s: Storage, only: str | None) -> Iterator[tuple[str, str, Any]]:
    for rows in batches(db, s, only):
        for ident, kind, raw in rows:
            yield str(ident), str(kind), raw


def _loads() -> Callable[[str | bytes], Any]:
    try:
        import orjson  # parsing is most of the bulk path's cost; orjson halves it
    except ImportError:
        return json.loads
    loads: Callable[[str | bytes], Any] = orjson.loads
    return loads


LOADS = _loads()


def decode(raw: Any) -> Any:
    """Metadata as stored: text on SQLite (a marker when it is not JSON), decoded jsonb
    on PostgreSQL."""
    if isinstance(raw, str | bytes):
        try:
            return LOADS(raw)
        except ValueError:  # orjson.JSONDecodeError and json's are both ValueErrors
            return _NOT_JSON
    return raw


_NOT_JSON = object()


def explain(schema: dict[str, Any] | None, ident: str, doc: Any) -> dict[str, Any]:
    if schema is None:
        errors = [{"path": "$", "message": "no schema for this artifact type",
                   "schema_path": ""}]
    elif doc is _NOT_JSON:
        errors = [{"path": "$", "message": "the stored metadata is not JSON", "schema_path": ""}]
    else:
        errors = [e.to_json() for e in validate_document(schema, ident, doc).errors[:5]]
        if not errors:  # never seen on the shipped samples (the agreement test), but say so
            errors = [{"path": "$", "message": "jsonschema-rs rejects it but the jsonschema "
                       "reference accepts it", "schema_path": ""}]
    return {"id": ident, "errors": errors}


def check(db: Database, s: Storage, schemas: dict[str, dict[str, Any]], rev: str,
          mode: Mode = "warn", only: str | None = None, limit: int = 5) -> ComplianceReport:
    from senate.registry import version_of

    reports: dict[str, TypeReport] = {}
    checks: dict[str, Check | None] = {}
    for rows in batches(db, s, only):
        for ident, kind, raw in rows:
            report = reports.get(kind)
            if report is None:
                schema = schemas.get(kind)
                report = reports[kind] = TypeReport(
                    str(kind), version_of(schema) if schema is not None else None)
                checks[kind] = fast_check(schema) if schema is not None else None
            report.artifacts += 1
            if mode == "skip":
                continue
            checker = checks[kind]
            doc = decode(raw)
            if checker is not None and doc is not _NOT_JSON and checker(doc):
                report.valid += 1
                continue
            report.invalid += 1
            if len(report.examples) < limit:
                report.examples.append(explain(schemas.get(kind), str(ident), doc))
    if only is not None and only not in reports:
        schema = schemas.get(only)
        reports[only] = TypeReport(only, version_of(schema) if schema is not None else None)
    return ComplianceReport(mode, rev, engine(), tuple(reports[k] for k in sorted(reports)))
