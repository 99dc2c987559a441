"""senate.git.rawread: the prefetch holds exactly the bytes git stores, and stops where told."""

from __future__ import annotations

from typing import Any

from conftest import Governed, open_add_field
from votekit import git, make_commit, tip, vote

from senate.counting import count, count_ref
from senate.git.rawread import linear_history
from senate.proposals import find_proposal


def test_linear_history_is_the_branch_as_stored(governed: Governed, cli: Any) -> None:
    pid = open_add_field(cli, governed)
    for agent in ("alice", "bob", "carol"):
        vote(governed, pid, agent)
    repo = governed.git
    main = repo.resolve("main")
    raws = linear_history(repo, tip(governed, pid), main)
    assert set(raws) == set(repo.walk(tip(governed, pid), hide=main))
    assert all(raws[oid] == repo.raw_commit(oid) for oid in raws)
    assert len(raws) == 4  # the proposal commit and three votes
    assert linear_history(repo, main, main) == {}
    assert linear_history(repo, "0" * 40, main) == {}


def test_prefetch_stops_at_a_merge_and_the_count_is_unchanged(
    governed: Governed, cli: Any
) -> None:
    pid = open_add_field(cli, governed)
    vote(governed, pid, "alice")
    repo = governed.git
    side = make_commit(governed, repo.resolve("main"), "side\n", signer="bob",
                       changes={"notes.txt": b"x\n"})
    merge = make_commit(governed, tip(governed, pid), "Merge side\n", signer="alice",
                        parents=[tip(governed, pid), side])
    git(governed.path, "update-ref", f"refs/heads/proposal/{pid}", merge)
    vote(governed, pid, "bob")
    raws = linear_history(repo, tip(governed, pid), repo.resolve("main"))
    assert len(raws) == 2  # bob's vote and the merge; the merge's parents are not followed
    with_prefetch = count(repo, pid).to_json()
    without = count_ref(repo, find_proposal(repo, pid), None, None, None).to_json()
    assert with_prefetch == without
    assert with_prefetch["counted"]  # bob's vote after the merge is read and counted
