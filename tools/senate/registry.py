"""The schema registry: `schemas/<type>.json` on a branch, with versions and git history."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from senate import strictjson
from senate.errors import NotFoundError, UsageError
from senate.git import GitRepo

SCHEMA_DIR = "schemas"
VERSION_KEY = "x-senate-version"
TYPE_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def check_type_name(name: str) -> str:
    if not TYPE_RE.match(name):
        raise UsageError(
            f"artifact type {name!r} is not a valid name",
            "use lowercase letters, digits and underscores, starting with a letter",
        )
    return name


def schema_path(artifact_type: str) -> str:
    return f"{SCHEMA_DIR}/{check_type_name(artifact_type)}.json"


def dump_schema(schema: dict[str, Any]) -> bytes:
    """The one canonical serialisation, so diffs show only what changed."""
    from senate.jsontext import indented

    return (indented(schema) + "\n").encode("utf-8")


def parse_schema(data: bytes, source: str) -> dict[str, Any]:
    """A schema file as strict JSON (UTF-8, no BOM, no duplicate keys): UsageError else."""
    schema = strictjson.loads(data, source)
    if not isinstance(schema, dict):
        raise UsageError(f"{source} is not a JSON Schema object")
    return schema


def schema_file_problem(data: bytes, source: str) -> str | None:
    """Why `data` cannot be a registry schema (strict JSON, valid against its
    metaschema), or None when it can."""
    from senate.validation import check_schema

    try:
        check_schema(parse_schema(data, source), source)
    except UsageError as exc:
        return exc.message
    return None


def version_of(schema: dict[str, Any]) -> int:
    version = schema.get(VERSION_KEY, 0)
    return version if isinstance(version, int) and not isinstance(version, bool) else 0


def list_types(git: GitRepo, rev: str) -> list[str]:
    return [n[: -len(".json")] for n in git.list_dir(rev, SCHEMA_DIR) if n.endswith(".json")]


def load_schema(git: GitRepo, artifact_type: str, rev: str) -> dict[str, Any]:
    data = git.read_file(rev, schema_path(artifact_type))
    if data is None:
        known = ", ".join(list_types(git, rev)) or "none"
        raise NotFoundError(
            f"unknown artifact type {artifact_type!r} at {rev}", f"known types: {known}"
        )
    return parse_schema(data, f"{schema_path(artifact_type)}@{rev}")


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    commit: str
    date: str
    proposal: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "commit": self.commit,
            "date": self.date,
            "proposal": self.proposal,
        }


def history(git: GitRepo, artifact_type: str, tip: str) -> list[HistoryEntry]:
    """Each commit on main's first-parent line that changed the schema, newest first."""
    from datetime import UTC, datetime

    from senate.trailers import parse_trailers

    path = schema_path(artifact_type)
    out: list[HistoryEntry] = []
    for oid in git.first_parent_history(tip):
        blob = git.blob_id(oid, path)
        if blob is None:
            break
        parents = git.commit_parents(oid)
        if parents and git.blob_id(parents[0], path) == blob:
            continue
        data = git.read_file(oid, path)
        version = version_of(parse_schema(data or b"{}", path))
        proposal = next(
            (
                t.value
                for t in parse_trailers(git.commit_message(oid))
                if t.key.lower() == "senate-proposal"
            ),
            None,
        )
        when = datetime.fromtimestamp(git.commit_time(oid), UTC).isoformat()
        out.append(HistoryEntry(version, oid, when, proposal))
    return out


def seed_schemas() -> dict[str, bytes]:
    """The registry that `senate init` seeds: shipped in the wheel, or this checkout's."""
    packaged = resources.files("senate").joinpath("_seed", "schemas")
    if packaged.is_dir():
        return {
            entry.name: entry.read_bytes()
            for entry in packaged.iterdir()
            if entry.name.endswith(".json")
        }
    checkout = Path(__file__).resolve().parents[2] / SCHEMA_DIR
    if not checkout.is_dir():
        raise NotFoundError("the seed registry is missing from this installation")
    return {p.name: p.read_bytes() for p in sorted(checkout.glob("*.json"))}
