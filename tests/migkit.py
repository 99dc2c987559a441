"""Merged history for migration tests: real proposals, real votes, format-true merges.

`merge` makes the merge commit exactly as architecture.md fixes it (parents [main, tip],
the proposal's files on top of main, x-senate-version bumped, the trailers); it is a
test helper, not `senate merge`.
"""

from __future__ import annotations

import json
import secrets
import subprocess
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


def merge(g: Governed, pid: str, require_approved: bool = True) -> str:
    """Approve `pid` with every roster vote, then merge it into main the fixed way
    (`require_approved=False`: even when the count blocks it, to test what comes after)."""
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    repo = g.git
    counted = count(repo, pid)
    assert counted.approved or not require_approved, counted.to_json()
    main = repo.resolve("main")
    tip, meta = counted.ref.tip, counted.meta
    # A true three-way merge, as git does it; the helper refuses conflicts.
    merged = subprocess.run(["git", "-C", str(g.path), "merge-tree", "--write-tree", main, tip],
                            capture_output=True, text=True)
    assert merged.returncode == 0, f"merge conflict: {merged.stdout}"
    holder = repo.write_commit(repo.commit_buffer(
        merged.stdout.split()[0], [], SENATE, SENATE, "merged tree\n"))
    path = schema_path(meta.target_artifact_type)
    old = repo.read_file(main, path)
    new_version = (version_of(json.loads(old)) if old is not None else 0) + 1
    schema = json.loads(repo.read_file(holder, path) or b"{}")
    schema["x-senate-version"] = new_version
    tree = repo.build_tree(holder, {path: dump_schema(schema)})
    first = meta.rationale.strip().splitlines()[0]
    what = meta.target_artifact_type if meta.field is None else (
        f"{meta.target_artifact_type}.{meta.field}")
    approvers = "".join(f"Senate-Approved-By: {v.agent}\n" for v in counted.tally.counted
                        if v.vote == "approve")
    message = (
        f"merge({pid}): {meta.change_type} {what}\n\n{first}\n\n"
        f"Senate-Proposal: {pid}\nSenate-Content-Id: {counted.content_id}\n"
        f"Senate-Base: {counted.ref.base}\n"
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


# -- the database as the tests see it: plain drivers, not senate's adapter -------------
def _connect(url: str) -> Any:
    if url.startswith("sqlite:///"):
        import sqlite3

        return sqlite3.connect(url[len("sqlite:///"):], isolation_level=None)
    import psycopg

    return psycopg.connect(url, autocommit=True)


def sql(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = _connect(url)
    try:
        if not url.startswith("sqlite"):
            statement = statement.replace("?", "%s")
        cur = conn.execute(statement, params)
        return [tuple(r) for r in cur.fetchall()] if cur.description else []
    finally:
        conn.close()


def insert(url: str, ident: str, kind: str, doc: dict[str, Any]) -> None:
    sql(url, "INSERT INTO artifacts (id, artifact_type, metadata) VALUES (?, ?, ?)",
        (ident, kind, json.dumps(doc)))


def metadata(url: str, ident: str) -> dict[str, Any]:
    (raw,), = sql(url, "SELECT metadata FROM artifacts WHERE id = ?", (ident,))
    value: dict[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
    return value


def current_version(url: str, kind: str) -> int | None:
    rows = sql(url, "SELECT schema_version FROM schema_registry "
               "WHERE artifact_type = ? AND is_current = ?",
               (kind, 1 if url.startswith("sqlite") else True))
    return int(rows[0][0]) if rows else None


def history(url: str) -> list[str]:
    return [r[0] for r in sql(url, "SELECT migration_id FROM migration_history ORDER BY version")]


def dump(url: str) -> str:
    """Everything in the database, schema and rows, as text."""
    if url.startswith("sqlite:///"):
        conn = _connect(url)
        try:
            return "\n".join(conn.iterdump())
        finally:
            conn.close()
    import subprocess

    text = subprocess.run(["pg_dump", "--no-owner", "--dbname", url], capture_output=True,
                          text=True, check=True).stdout
    # \restrict lines carry a random key per run (pg_dump security fix), nothing else.
    return "\n".join(x for x in text.splitlines() if not x.startswith(("\\restrict",
                                                                      "\\unrestrict")))


def commit_on_main(g: Governed, changes: dict[str, bytes | None], message: str) -> str:
    """A plain commit on main (used to tamper with migrations the way a person could)."""
    repo = g.git
    main = repo.resolve("main")
    tree = repo.build_tree(main, changes)
    who = Person("mallory", "mallory@example.invalid")
    oid = repo.write_commit(repo.commit_buffer(tree, [main], who, who, message))
    repo.update_ref("refs/heads/main", oid, main)
    return oid


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each real engine (PostgreSQL: its own fresh database)."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "artifacts.db")
    url: str = request.getfixturevalue("pg_url")
    return url
