"""The generated chain: numbering in merge order, one commit, tamper detection."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from conftest import Governed
from migkit import commit_on_main, generate, merge, propose, sqlite_url
from votekit import vote

from senate.counting import count
from senate.migrate.chain import check_sum, render_sum

ADD = ("--change", "add_field", "--spec", '{"type": "string"}')


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True,
                          check=True).stdout


def test_parallel_merges_get_numbers_in_merge_order(cli: Any, governed: Governed) -> None:
    g = governed
    first_opened = propose(cli, g, "--type", "experiment", "--field", "alpha", *ADD)
    second_opened = propose(cli, g, "--type", "hypothesis", "--field", "beta", *ADD)
    merge(g, second_opened)  # merged first although opened second
    merge(g, first_opened)
    before = git(g.path, "rev-parse", "main").strip()
    data = generate(cli, g)
    assert data["migrations"] == [
        "sqlite/0000_baseline.sql", f"sqlite/0001_{second_opened}.sql",
        f"sqlite/0002_{first_opened}.sql", "postgres/0000_baseline.sql",
        f"postgres/0001_{second_opened}.sql", f"postgres/0002_{first_opened}.sql",
    ]
    # ONE commit on main by senate, touching only migrations/, and the work tree follows.
    assert git(g.path, "rev-parse", "main~1").strip() == before
    assert git(g.path, "log", "-1", "--format=%an <%ae>|%G?", "main").strip() == (
        "senate <senate@agents.invalid>|N")
    touched = git(g.path, "diff", "--name-only", "main~1", "main").split()
    assert touched and all(p.startswith("migrations/") for p in touched)
    assert git(g.path, "status", "--porcelain").strip() == ""
    assert (g.path / "migrations/sqlite" / f"0002_{first_opened}.sql").is_file()
    # Nothing left to do: a second run writes nothing.
    assert generate(cli, g)["commit"] is None
    assert git(g.path, "rev-parse", "main~1").strip() == before


def test_later_merges_continue_the_chain(cli: Any, governed: Governed) -> None:
    g = governed
    a = propose(cli, g, "--type", "experiment", "--field", "alpha", *ADD)
    merge(g, a)
    generate(cli, g)
    b = propose(cli, g, "--type", "experiment", "--field", "beta", *ADD)
    merge(g, b)
    assert generate(cli, g)["migrations"] == [f"sqlite/0002_{b}.sql", f"postgres/0002_{b}.sql"]
    lines = (g.path / "migrations/sqlite/senate.sum").read_text().splitlines()
    assert [x.split()[0] for x in lines[1:]] == [
        "0000_baseline.sql", f"0001_{a}.down.sql", f"0001_{a}.sql",
        f"0002_{b}.down.sql", f"0002_{b}.sql",
    ]


def chain_of_two(cli: Any, g: Governed) -> tuple[str, str]:
    a = propose(cli, g, "--type", "experiment", "--field", "alpha", *ADD)
    b = propose(cli, g, "--type", "hypothesis", "--field", "beta", *ADD)
    merge(g, a)
    merge(g, b)
    generate(cli, g)
    return a, b


def refused(cli: Any, g: Governed, tmp_path: Path, needle: str) -> None:
    for args in (["verify"], ["apply", "--db", sqlite_url(tmp_path / "t.db")]):
        result = cli("--repo", g.path, "migrate", *args, "--json")
        assert result.code == 1, result.out
        assert needle in result.json()["error"]["message"], result.out
    assert not (tmp_path / "t.db").exists() or (tmp_path / "t.db").stat().st_size == 0
    result = cli("--repo", g.path, "migrate", "generate", "--json")
    assert result.code == 1 and needle in result.json()["error"]["message"]


def test_an_edited_migration_is_named(cli: Any, governed: Governed, tmp_path: Path) -> None:
    g = governed
    a, _ = chain_of_two(cli, g)
    path = f"migrations/sqlite/0001_{a}.sql"
    text = (g.path / path).read_text().replace("(none)", "(none)\nDELETE FROM artifacts")
    commit_on_main(g, {path: text.encode()}, "tweak a migration\n")
    refused(cli, g, tmp_path, f"migrations/sqlite/0001_{a}.sql was edited")


def test_a_removed_migration_is_named(cli: Any, governed: Governed, tmp_path: Path) -> None:
    g = governed
    a, _ = chain_of_two(cli, g)
    commit_on_main(g, {f"migrations/sqlite/0001_{a}.sql": None}, "drop one\n")
    refused(cli, g, tmp_path, f"migrations/sqlite/0001_{a}.sql is listed in senate.sum but "
            "missing")


def test_reordered_migrations_are_named(cli: Any, governed: Governed, tmp_path: Path) -> None:
    g = governed
    a, b = chain_of_two(cli, g)
    folder = g.path / "migrations/sqlite"
    swap: dict[str, bytes | None] = {
        f"migrations/sqlite/0001_{a}.sql": None,
        f"migrations/sqlite/0002_{b}.sql": None,
        f"migrations/sqlite/0002_{a}.sql": (folder / f"0001_{a}.sql").read_bytes(),
        f"migrations/sqlite/0001_{b}.sql": (folder / f"0002_{b}.sql").read_bytes(),
    }
    commit_on_main(g, swap, "reorder\n")
    refused(cli, g, tmp_path, f"migrations/sqlite/0001_{a}.sql is listed in senate.sum")


def test_reordering_with_a_rewritten_sum_is_still_caught(
    cli: Any, governed: Governed, tmp_path: Path
) -> None:
    """Someone who renames files AND rewrites senate.sum: the history rows disagree."""
    g = governed
    a, b = chain_of_two(cli, g)
    folder = g.path / "migrations/sqlite"
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "senate.sum"}
    files[f"0002_{a}.sql"] = files.pop(f"0001_{a}.sql")
    files[f"0001_{b}.sql"] = files.pop(f"0002_{b}.sql")
    changes: dict[str, bytes | None] = {f"migrations/sqlite/{n}": None for n in (
        f"0001_{a}.sql", f"0002_{b}.sql")}
    changes.update({f"migrations/sqlite/{n}": d for n, d in files.items()})
    changes["migrations/sqlite/senate.sum"] = render_sum(files)
    commit_on_main(g, changes, "reorder and re-sum\n")
    result = cli("--repo", g.path, "migrate", "verify", "--json")
    assert result.code == 1
    assert (f"migrations/sqlite/0001_{b}.sql: its history row names another migration"
            in result.json()["error"]["message"])


def test_sum_check_is_pure_and_names_the_first_bad_file() -> None:
    files = {"0000_baseline.sql": b"a", "0001_x.sql": b"b", "0002_y.sql": b"c"}
    good = render_sum(files)
    assert good.decode().startswith("h1:")
    assert check_sum("sqlite", files, good) == []
    assert check_sum("sqlite", {**files, "0001_x.sql": b"B"}, good) == [
        "migrations/sqlite/0001_x.sql was edited (or a migration before it was)"]
    assert check_sum("sqlite", {**files, "0003_z.sql": b"d"}, good) == [
        "migrations/sqlite/0003_z.sql is not in senate.sum (added by hand?)"]
    lines = good.decode().splitlines()
    tampered = "\n".join([lines[0], lines[2], lines[1], lines[3]]) + "\n"
    assert "first line does not hash" in check_sum("sqlite", files, tampered.encode())[0]
    assert check_sum("sqlite", files, None) == ["migrations/sqlite/senate.sum is missing"]


def test_required_field_without_default_fails_generation(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "power",
                  "--spec", '{"type": "number"}', "--required")
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    # The count already knows: generation would refuse it, so it cannot be approved.
    counted = count(g.git, pid)
    assert not counted.approved
    assert any("without a default and without SQL to backfill it" in p
               for p in counted.problems), counted.problems
    merge(g, pid, require_approved=False)
    result = cli("--repo", g.path, "migrate", "generate", "--json")
    assert result.code == 2
    error = result.json()["error"]
    assert "adds the required field experiment.power without a default" in error["message"]
    assert "the proposer must give" in error["hint"]
    assert not (g.path / "migrations/sqlite/0000_baseline.sql").exists()


def test_the_incremental_chain_equals_the_planned_one_at_every_commit(
    cli: Any, governed: Governed
) -> None:
    """`chain_at` (what every dry run starts from) extends the chain it built for an older
    commit; at every commit of main, in any order of asking, it must equal the chain
    `senate migrate generate` would leave there."""
    from senate.git import GitRepo
    from senate.migrate import generate as gen

    g = governed
    for i, kind in enumerate(["experiment", "hypothesis", "experiment", "dataset"]):
        merge(g, propose(cli, g, "--type", kind, "--field", f"f{i}", *ADD))
        if i == 1:
            generate(cli, g)  # the folder changes: a new chain state
    repo = GitRepo.open(g.path)
    line = list(reversed(list(repo.first_parent_history(repo.resolve("main")))))
    # A second line from an older commit (a main that was reset, a fork): the chains of
    # the two share only what comes before the fork.
    old_main = repo.resolve("main")
    git(g.path, "update-ref", "refs/heads/main", line[-3], old_main)
    git(g.path, "reset", "-q", "--hard", "main")
    for i in range(2):
        merge(g, propose(cli, g, "--type", "dataset", "--field", f"fork{i}", *ADD))
    fork = list(reversed(list(repo.first_parent_history(repo.resolve("main")))))
    assert fork[:len(line) - 2] == line[:-2] and fork[-1] not in line
    both = line + fork[len(line) - 2:]
    for dialect in ("sqlite", "postgres"):
        truth = {oid: gen._chain_by_plan(repo, oid, dialect, _files(repo, oid, dialect))
                 for oid in both}
        assert len({len(c) for c in truth.values()}) > 3  # the chain grows along the line
        tips = [line[-1], fork[-1]]
        for order in (line, list(reversed(line)), line[::2] + line[1::2], fork + line,
                      [x for pair in zip(line, fork, strict=False) for x in pair],
                      tips * 3, both[::-1]):
            gen._PENDING.clear()
            assert [gen.chain_at(repo, oid, dialect) for oid in order] == [
                truth[oid] for oid in order]


def _files(repo: Any, oid: str, dialect: str) -> dict[str, bytes]:
    from senate.migrate.chain import SUM_FILE, dialect_dir

    folder = dialect_dir(dialect)
    return {n: repo.read_file(oid, f"{folder}/{n}") or b""
            for n in repo.list_dir(oid, folder) if n != SUM_FILE}
