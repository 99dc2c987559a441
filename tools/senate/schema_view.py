"""The registry as reviewers see it: the data of `senate schema list/show --json`."""

from __future__ import annotations

from typing import Any

from senate.git import GitRepo
from senate.registry import check_type_name, history, list_types, load_schema, version_of


def schema_rows(git: GitRepo, rev: str) -> list[dict[str, Any]]:
    rows = []
    for name in list_types(git, rev):
        body = load_schema(git, name, rev)
        rows.append({"type": name, "version": version_of(body), "title": body.get("title", "")})
    return rows


def schema_detail(git: GitRepo, artifact_type: str, rev: str) -> dict[str, Any]:
    check_type_name(artifact_type)
    body = load_schema(git, artifact_type, rev)
    return {
        "type": artifact_type,
        "version": version_of(body),
        "schema": body,
        "history": [e.to_json() for e in history(git, artifact_type, rev)],
    }
