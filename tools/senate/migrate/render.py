"""Rendering one migration file from its template: plain values in, SQL text out.

Identifiers come only from senate.toml [storage] (validated as plain identifiers when the
policy is parsed); every other value reaches a template already quoted by
`senate.sqltext.literal`, so templates never quote anything themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from senate.errors import UsageError
from senate.migrate.chain import HISTORY_MARKER, body_checksum
from senate.policy import Storage
from senate.proposal import ProposalMeta
from senate.sqltext import json_literal, literal, split_statements
from senate.templating import render

CHECKSUM_SLOT = "senate-checksum-slot"
NO_DOWN = ("remove_field", "modify_field")


@dataclass(frozen=True)
class Change:
    """One merged proposal, as the generator needs it."""

    number: int
    meta: ProposalMeta
    new_schema: dict[str, Any]
    old_version: int | None
    new_version: int
    approved_at: str  # ISO 8601, UTC: the merge commit's time
    proposer_sql: str
    proposer_file: str

    @property
    def name(self) -> str:
        return migration_name(self.number, self.meta.id)


def migration_name(number: int, proposal_id: str) -> str:
    return f"{number:04d}_{proposal_id}"


def storage_context(storage: Storage) -> dict[str, str]:
    return {
        "artifacts": storage.artifacts_table,
        "id": storage.id_column,
        "type": storage.type_column,
        "metadata": storage.metadata_column,
        "registry": storage.registry_table,
        "history": storage.history_table,
        "proposals": storage.proposals_table,
        "votes": storage.votes_table,
        "events": storage.events_table,
        "sync": storage.sync_table,
    }


def json_path(dialect: str, field: str) -> str:
    """The path literal of a top-level key (field names are plain identifiers)."""
    return literal(f"$.{field}" if dialect == "sqlite" else "{" + field + "}")


def change_context(change: Change, storage: Storage, dialect: str) -> dict[str, Any]:
    meta = change.meta
    field = meta.field or ""
    new_name = meta.new_name or ""
    first = (meta.rationale.strip().splitlines() or [""])[0]
    return {
        "t": storage_context(storage),
        "name": change.name,
        "name_lit": literal(change.name),
        "number": change.number,
        "proposal_id": meta.id,
        "proposal_lit": literal(meta.id),
        "change_type": meta.change_type,
        "artifact_type": meta.target_artifact_type,
        "type_lit": literal(meta.target_artifact_type),
        "field": field,
        "field_lit": literal(field),
        "path_lit": json_path(dialect, field),
        "new_name": new_name,
        "new_name_lit": literal(new_name),
        "new_path_lit": json_path(dialect, new_name),
        "default_lit": _default(change),
        "required": meta.required,
        "header": [f"{meta.change_type} {_what(meta)} by {meta.proposer}", *_wrap(first)],
        "proposer_sql": normalise_sql(change.proposer_sql),
        "proposer_file": change.proposer_file,
        "version": change.new_version,
        "old_version": change.old_version,
        "schema_json_lit": json_literal(change.new_schema),
        "description_lit": literal(f"{meta.change_type} {_what(meta)}: {first}"[:500]),
        "proposed_by_lit": literal(meta.proposer),
        "approved_at_lit": literal(change.approved_at),
        "checksum_lit": literal(CHECKSUM_SLOT),
    }


def render_change(change: Change, storage: Storage, dialect: str) -> tuple[str, str | None]:
    """The up migration and, where the change can be undone, the down migration."""
    ctx = change_context(change, storage, dialect)
    kind = change.meta.change_type
    up = seal(render(f"migrations/{dialect}/{kind}.sql.j2", ctx))
    if kind in NO_DOWN:
        return up, None
    return up, render(f"migrations/{dialect}/{kind}.down.sql.j2", ctx)


def render_baseline(
    schemas: dict[str, dict[str, Any]], storage: Storage, dialect: str, approved_at: str
) -> str:
    from senate.registry import version_of

    ctx = {
        "t": storage_context(storage),
        "name_lit": literal("0000_baseline"),
        "number": 0,
        "proposal_lit": literal(None),
        "checksum_lit": literal(CHECKSUM_SLOT),
        "approved_at_lit": literal(approved_at),
        "schemas": [
            {
                "type_lit": literal(name),
                "version": max(version_of(schema), 1),
                "schema_json_lit": json_literal(schema),
                "description_lit": literal(str(schema.get("title", name))[:500]),
            }
            for name, schema in sorted(schemas.items())
        ],
    }
    return seal(render(f"migrations/{dialect}/baseline.sql.j2", ctx))


def seal(text: str) -> str:
    """Write the body's checksum into the history row that follows the marker."""
    head, marker, tail = text.partition(HISTORY_MARKER)
    if not marker:
        raise AssertionError("a migration template lacks the history marker")
    return head + marker + tail.replace(CHECKSUM_SLOT, body_checksum(text), 1)


def normalise_sql(sql: str) -> str:
    """The proposer's statements, each ended by exactly one semicolon."""
    out = []
    for stmt in split_statements(sql):
        last = stmt.text.splitlines()[-1]
        out.append(stmt.text + ("\n;" if "--" in last else ";"))
    return "\n\n".join(out)


def _default(change: Change) -> str | None:
    meta = change.meta
    if meta.change_type != "add_field":
        return None
    spec = meta.field_spec
    if isinstance(spec, dict) and "default" in spec:
        return json_literal(spec["default"])
    if meta.required and not split_statements(change.proposer_sql):
        raise UsageError(
            f"proposal {meta.id} adds the required field "
            f"{meta.target_artifact_type}.{meta.field} without a default and without SQL "
            "to backfill it: existing artifacts cannot be backfilled",
            "the proposer must give the field_spec a \"default\", make the field "
            "optional, or backfill it in migration.sql, in a new proposal",
        )
    return None


def _what(meta: ProposalMeta) -> str:
    if meta.change_type == "add_type":
        return meta.target_artifact_type
    if meta.change_type == "rename_field":
        return f"{meta.target_artifact_type}.{meta.field} -> {meta.new_name}"
    return f"{meta.target_artifact_type}.{meta.field}"


def _wrap(text: str, width: int = 88) -> list[str]:
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + ([current] if current else [])
