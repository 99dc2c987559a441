"""`senate merge` against real repositories with real signed votes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ADD_FIELD_SPEC, RATIONALE, Governed, open_add_field, propose_args
from votekit import content_id, git, tip, vote

from senate.counting import count
from senate.proposals import find_proposal
from senate.trailers import parse_trailers


def open_field(cli: Any, g: Governed, artifact: str, field: str) -> str:
    r = cli(*propose_args(g, "--type", artifact, "--change", "add_field", "--field", field,
                          "--spec", ADD_FIELD_SPEC, "--rationale", RATIONALE, "--json"))
    assert r.code == 0, r.out + r.err
    pid: str = r.json()["id"]
    return pid


def approve(g: Governed, pid: str, *agents: str) -> None:
    for agent in agents:
        vote(g, pid, agent, "approve", reason=f"{agent}: the use case is real.")


def refs_snapshot(g: Governed) -> str:
    return git(g.path, "for-each-ref", "--format=%(refname) %(objectname)")


def trailers_of(g: Governed, commit: str) -> list[tuple[str, str]]:
    return [(t.key, t.value) for t in parse_trailers(g.git.commit_message(commit))]


def version(g: Governed, rev: str, artifact: str) -> int:
    data = json.loads(git(g.path, "show", f"{rev}:schemas/{artifact}.json"))
    v: int = data.get("x-senate-version", 0)
    return v


def test_merge_happy_path(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice", "bob")
    counted_tip, pinned = tip(g, pid), content_id(g, pid)
    main_before = git(g.path, "rev-parse", "main").strip()
    before = version(g, "main", "experiment")

    r = cli("--repo", g.path, "merge", pid, "--json")
    assert r.code == 0, r.out + r.err
    out = r.json()
    merge = git(g.path, "rev-parse", "main").strip()
    assert out["commit"] == merge and out["merged"] is True
    assert out["worktree"] == "updated"

    # A true merge: parents are the old main and exactly the counted tip.
    assert git(g.path, "rev-list", "--parents", "-n1", merge).split()[1:] == [
        main_before, counted_tip]
    history = git(g.path, "log", "--format=%s", "main")
    assert history.count(f"vote({pid}): approve") == 2
    assert f"merge({pid}): add_field experiment.statistical_power" in history

    assert version(g, "main", "experiment") == before + 1
    # The tree is what git itself merges, plus only the version bump.
    plain = git(g.path, "merge-tree", "--write-tree", main_before, counted_tip).split()[0]
    assert git(g.path, "diff", "--name-only", plain, merge).split() == [
        "schemas/experiment.json"]
    props = json.loads(git(g.path, "show", "main:schemas/experiment.json"))["properties"]
    assert "statistical_power" in props

    assert trailers_of(g, merge) == [
        ("Senate-Proposal", pid),
        ("Senate-Content-Id", pinned),
        ("Senate-Base", main_before),
        ("Senate-Tip", counted_tip),
        ("Senate-Rule", "two_thirds"),
        ("Senate-Approved-By", "alice"),
        ("Senate-Approved-By", "bob"),
        ("Senate-Schema-Version", f"experiment={before + 1}"),
    ]
    # The work tree shows main: clean, and the new file content is on disk.
    assert git(g.path, "status", "--porcelain") == ""
    on_disk = json.loads((g.path / "schemas/experiment.json").read_text())
    assert on_disk["x-senate-version"] == before + 1
    assert find_proposal(g.git, pid).location == "merged"
    assert count(g.git, pid).status == "merged"
    # Merging again is refused, writing nothing.
    snap = refs_snapshot(g)
    again = cli("--repo", g.path, "merge", pid)
    assert again.code == 1 and "already merged" in again.out
    assert refs_snapshot(g) == snap


def test_merge_signed_by_key(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice", "bob")
    r = cli("--repo", g.path, "merge", pid, "--key", g.keys["carol"].private)
    assert r.code == 0, r.err
    author = git(g.path, "log", "-1", "--format=%an <%ae>", "main").strip()
    assert author.startswith("carol <")
    assert "-----BEGIN SSH SIGNATURE-----" in git(g.path, "cat-file", "commit", "main")


def test_not_approved_writes_nothing(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice")
    snap = refs_snapshot(g)
    r = cli("--repo", g.path, "merge", pid, "--json")
    assert r.code == 1
    assert r.json()["refused"] == "not_approved"
    assert "1 of 2 approvals" in r.json()["reason"]
    assert refs_snapshot(g) == snap
    assert git(g.path, "status", "--porcelain") == ""


def test_branch_moved_after_count_writes_nothing(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice", "bob")
    counted = tip(g, pid)
    cli("--repo", g.path, "comment", pid, "-m", "One more thought.",
        "--key", g.keys["carol"].private)
    snap = refs_snapshot(g)
    r = cli("--repo", g.path, "merge", pid, "--tip", counted, "--json")
    assert r.code == 1
    assert r.json()["refused"] == "moved"
    assert refs_snapshot(g) == snap


def test_dirty_work_tree_refused(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice", "bob")
    readme = g.path / "proposals" / "README.md"
    readme.write_text("local edit\n")
    snap = refs_snapshot(g)
    r = cli("--repo", g.path, "merge", pid, "--json")
    assert r.code == 1 and r.json()["refused"] == "dirty_worktree"
    assert "proposals/README.md" in r.json()["reason"]
    assert refs_snapshot(g) == snap
    assert readme.read_text() == "local edit\n"
    # An untracked file where the merge would write is refused too; elsewhere it is fine.
    git(g.path, "checkout", "--", "proposals/README.md")
    (g.path / "notes.txt").write_text("mine\n")
    in_the_way = g.path / "proposals" / pid / "migration.sql"
    in_the_way.parent.mkdir()
    in_the_way.write_text("-- mine\n")
    r = cli("--repo", g.path, "merge", pid, "--json")
    assert r.code == 1 and "untracked" in r.json()["reason"]
    assert refs_snapshot(g) == snap
    in_the_way.unlink()
    in_the_way.parent.rmdir()
    r = cli("--repo", g.path, "merge", pid)
    assert r.code == 0, r.err
    assert git(g.path, "status", "--porcelain") == "?? notes.txt\n"


def test_base_behind_main_keeps_votes(governed: Governed, cli: Any) -> None:
    g = governed
    first = open_add_field(cli, g)
    second = open_field(cli, g, "dataset", "curation_level")
    approve(g, first, "alice", "bob")
    approve(g, second, "bob", "carol")
    pinned, second_tip = content_id(g, second), tip(g, second)
    assert cli("--repo", g.path, "merge", first).code == 0
    # main moved: second's base is behind it, its content and votes are unchanged.
    c = count(g.git, second)
    assert c.ref.base != g.git.resolve("main")
    assert c.content_id == pinned and c.status == "approved"
    r = cli("--repo", g.path, "merge", second, "--json")
    assert r.code == 0, r.out + r.err
    assert r.json()["content_id"] == pinned and r.json()["tip"] == second_tip
    firsts = git(g.path, "log", "--first-parent", "--format=%s", "main")
    assert f"merge({first})" in firsts and f"merge({second})" in firsts
    assert git(g.path, "status", "--porcelain") == ""


def test_conflict_after_main_moved_writes_nothing(governed: Governed, cli: Any) -> None:
    g = governed
    first = open_add_field(cli, g, "statistical_power")
    second = open_add_field(cli, g, "effect_size")
    approve(g, first, "alice", "bob")
    approve(g, second, "alice", "carol")
    assert cli("--repo", g.path, "merge", first).code == 0
    snap = refs_snapshot(g)
    r = cli("--repo", g.path, "merge", second, "--json")
    assert r.code == 1, r.out
    assert r.json()["refused"] == "conflict"
    assert "schemas/experiment.json" in r.json()["reason"]
    assert refs_snapshot(g) == snap
    assert git(g.path, "status", "--porcelain") == ""


def test_rejected_is_archived(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    vote(g, pid, "alice", "reject", reason="Power is derived, not stored.")
    vote(g, pid, "bob", "reject", reason="Agree with alice.")
    # Archiving is signed: without a key, merge says how instead of archiving.
    unsigned = cli("--repo", g.path, "merge", pid)
    assert unsigned.code == 1 and "senate archive" in unsigned.out
    assert find_proposal(g.git, pid).location == "branch"
    r = cli("--repo", g.path, "merge", pid, "--key", g.keys["carol"].private, "--json")
    assert r.code == 1
    out = r.json()
    assert out["refused"] == "rejected"
    assert out["archived"]["kind"] == "rejected"
    reason = git(g.path, "show", f"main:proposals/archive/{pid}/reason.txt")
    assert reason.startswith("rejected: ")
    assert "rejected: rejected" not in reason
    assert git(g.path, "branch", "--list", f"proposal/{pid}") == ""
    assert find_proposal(g.git, pid).location == "archived"


def test_unknown_proposal(governed: Governed, cli: Any) -> None:
    r = cli("--repo", governed.path, "merge", "0099-nothing")
    assert r.code == 2 and "no proposal" in r.err


TOOLS = Path(__file__).resolve().parents[1] / "tools"


def _parallel_merges(repo: Path, ids: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """`python -m senate merge` for each id in its own process, all started together."""
    env = {**os.environ, "PYTHONPATH": str(TOOLS)}
    procs = [
        subprocess.Popen([sys.executable, "-m", "senate", "--repo", str(repo), "merge", pid,
                          "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        for pid in ids
    ]
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert stdout, stderr.decode()
        out.append((p.returncode, json.loads(stdout)))
    return out


@pytest.mark.parametrize("bare", [False, True], ids=["worktree", "bare"])
def test_parallel_merges_all_land(governed: Governed, cli: Any, tmp_path: Path,
                                  bare: bool) -> None:
    g = governed
    types = ["experiment", "dataset", "model", "figure"]
    ids = [open_field(cli, g, t, "race_field") for t in types]
    for pid in ids:
        approve(g, pid, "alice", "bob")
    repo = g.path
    if bare:
        repo = tmp_path / "bare.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(g.path), str(repo)], check=True)
    before = {t: version(Governed(repo), "main", t) for t in types}
    results = _parallel_merges(repo, ids)
    assert [code for code, _ in results] == [0] * len(ids), results
    firsts = git(repo, "log", "--first-parent", "--format=%H %P", "main").splitlines()
    merges = {line.split()[0]: line.split()[2] for line in firsts if len(line.split()) == 3}
    # Every merge is on main's first-parent line with its counted tip: none was lost.
    assert sorted(r["commit"] for _, r in results) == sorted(merges)
    for _, r in results:
        assert merges[r["commit"]] == r["tip"]
    for t in types:
        assert version(Governed(repo), "main", t) == before[t] + 1
        props = json.loads(git(repo, "show", f"main:schemas/{t}.json"))["properties"]
        assert "race_field" in props
    assert {r["worktree"] for _, r in results} == {"absent" if bare else "updated"}
    if not bare:
        assert git(repo, "status", "--porcelain") == ""
    print("attempts:", [r["attempts"] for _, r in results])


def test_parallel_conflicting_merges(governed: Governed, cli: Any) -> None:
    g = governed
    ids = [open_add_field(cli, g, f) for f in ("statistical_power", "effect_size")]
    for pid in ids:
        approve(g, pid, "alice", "bob")
    results = _parallel_merges(g.path, ids)
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    won = next(r for code, r in results if code == 0)
    lost = next(r for code, r in results if code == 1)
    assert lost["refused"] == "conflict" and "no longer merges cleanly" in lost["reason"]
    assert git(g.path, "rev-parse", "main").strip() == won["commit"]
    assert git(g.path, "rev-parse", "main^2").strip() == won["tip"]
    assert git(g.path, "status", "--porcelain") == ""


def test_branch_moving_during_merge_writes_nothing(governed: Governed, cli: Any) -> None:
    """The branch moves between the count and the update of main: the pinned check."""
    from senate.merging import _attempt

    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice", "bob")
    counted = find_proposal(g.git, pid)  # what merge reads first
    vote(g, pid, "carol", "reject", reason="Late, but counted next time.")
    snap = refs_snapshot(g)
    outcome = _attempt(g.git, counted, None, None, 1)
    assert outcome is not None and not hasattr(outcome, "commit")
    assert outcome.to_json()["refused"] == "moved"
    assert refs_snapshot(g) == snap


def test_index_locked_after_the_write_reports_a_stale_work_tree(
    governed: Governed, cli: Any
) -> None:
    """A git command holding the index lock: the merge stands and says so."""
    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice", "bob")
    lock = g.path / ".git" / "index.lock"
    lock.write_text("")
    r = cli("--repo", g.path, "merge", pid)
    assert r.code == 0, r.err
    assert "work tree could not be updated" in r.out
    assert git(g.path, "log", "-1", "--format=%s", "main").startswith(f"merge({pid})")
    lock.unlink()
    git(g.path, "checkout", "-q", "-f", "main")
    assert git(g.path, "status", "--porcelain") == ""


def test_merge_new_type_and_breaking_change(governed: Governed, cli: Any,
                                            tmp_path: Path) -> None:
    g = governed
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "title": "Brain atlas", "type": "object",
        "properties": {"name": {"type": "string"}}, "required": ["name"]}))
    r = cli(*propose_args(g, "--type", "brain_atlas", "--change", "add_type", "--spec", spec,
                          "--rationale", RATIONALE, "--json"))
    assert r.code == 0, r.err
    new_type = r.json()["id"]
    approve(g, new_type, "alice", "bob")
    assert cli("--repo", g.path, "merge", new_type).code == 0
    assert version(g, "main", "brain_atlas") == 1
    assert ("Senate-Schema-Version", "brain_atlas=1") in trailers_of(g, g.git.resolve("main"))

    before = version(g, "main", "experiment")
    field = next(iter(json.loads(git(g.path, "show", "main:schemas/experiment.json"))
                      ["properties"]))
    r = cli(*propose_args(g, "--type", "experiment", "--change", "remove_field", "--field",
                          field, "--rationale", RATIONALE, "--json"))
    assert r.code == 0, r.err
    breaking = r.json()["id"]
    approve(g, breaking, "alice", "bob")
    refused = cli("--repo", g.path, "merge", breaking, "--json")
    assert refused.code == 1 and refused.json()["refused"] == "not_approved"
    approve(g, breaking, "carol")
    merged = cli("--repo", g.path, "merge", breaking, "--json")
    assert merged.code == 0, merged.out
    assert merged.json()["rule"] == "unanimous"
    assert merged.json()["approved_by"] == ["alice", "bob", "carol"]
    assert version(g, "main", "experiment") == before + 1
    assert cli("--repo", g.path, "audit").code == 0
