"""Merged history for migration tests: real proposals, real votes, format-true merges.

`merge` makes the merge commit exactly as architecture.md fixes it (parents [main, tip],
the proposal's files on top of main, x-senate-version bumped, the trailers); it is a
test helper, not `senate merge`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RATIONALE, Governed, propose_args
from votekit import vote

from senate.counting import count
from senate.git import Person
from senate.registry import dump_schema, schema_path, version_of

SENATE = Person("senate", "senate@agents.invalid")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def merge(g: Governed, pid: str) -> str:
    """Approve `pid` with every roster vote, then merge it into main the fixed way."""
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    repo = g.git
    counted = count(repo, pid)
    assert counted.approved, counted.to_json()
    main = repo.resolve("main")
    tip, base, meta = counted.ref.tip, counted.ref.base, counted.meta
    changes: dict[str, bytes | None] = {
        p: repo.read_file(tip, p) for p in repo.changed_paths(base, tip)
    }
    path = schema_path(meta.target_artifact_type)
    old = repo.read_file(main, path)
    new_version = (version_of(json.loads(old)) if old is not None else 0) + 1
    schema = json.loads(changes[path] or b"{}")
    schema["x-senate-version"] = new_version
    changes[path] = dump_schema(schema)
    tree = repo.build_tree(main, changes)
    first = meta.rationale.strip().splitlines()[0]
    what = meta.target_artifact_type if meta.field is None else (
        f"{meta.target_artifact_type}.{meta.field}")
    approvers = "".join(f"Senate-Approved-By: {v.agent}\n" for v in counted.tally.counted
                        if v.vote == "approve")
    message = (
        f"merge({pid}): {meta.change_type} {what}\n\n{first}\n\n"
        f"Senate-Proposal: {pid}\nSenate-Patch-Id: {counted.patch_id}\n"
        f"Senate-Tip: {tip}\nSenate-Rule: {counted.tally.rule.name}\n{approvers}"
        f"Senate-Schema-Version: {meta.target_artifact_type}={new_version}\n"
    )
    commit = repo.write_commit(repo.commit_buffer(tree, [main, tip], SENATE, SENATE, message))
    repo.update_ref("refs/heads/main", commit, main)
    repo.checkout_main_if_head()
    return commit


def propose(cli: Any, g: Governed, *args: str, sql: str | None = None,
            sql_files: dict[str, str] | None = None) -> str:
    """Open a proposal through the CLI; `sql` becomes its migration.sql."""
    extra: list[str] = []
    if sql is not None:
        path = g.path.parent / f"mig-{secrets.token_hex(4)}.sql"
        path.write_text(sql)
        extra = ["--migration", str(path)]
    result = cli(*propose_args(g, *args, "--rationale", RATIONALE, *extra, "--json"))
    assert result.code == 0, result.out + result.err
    pid: str = result.json()["id"]
    if sql_files:
        add_files(g, pid, {f"proposals/{pid}/{n}": t.encode() for n, t in sql_files.items()})
    return pid


def add_files(g: Governed, pid: str, files: dict[str, bytes]) -> None:
    """A signed content commit by the proposer on the branch (e.g. per-dialect SQL)."""
    from votekit import make_commit
    from votekit import tip as branch_tip

    parent = branch_tip(g, pid)
    oid = make_commit(g, parent, f"propose({pid}): per-dialect SQL\n", signer="alice",
                      changes=dict(files))
    g.git.update_ref(f"refs/heads/proposal/{pid}", oid, parent)


def generate(cli: Any, g: Governed) -> dict[str, Any]:
    result = cli("--repo", g.path, "migrate", "generate", "--json")
    assert result.code == 0, result.out + result.err
    data: dict[str, Any] = result.json()
    return data


def pg_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN, connect_timeout=2).close()
        return True
    except Exception:  # any failure to connect means: no server for these tests
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    if not pg_reachable():
        pytest.skip(f"no PostgreSQL server reachable at {PG_ADMIN}")
    import psycopg

    name = f"senate_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}".encode())
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"
