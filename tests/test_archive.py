"""`senate archive`: rejected and withdrawn proposals leave main with their reasoning."""

from __future__ import annotations

import json
from typing import Any

from conftest import Governed, open_add_field
from votekit import git, tip, vote

from senate.counting import count
from senate.proposals import find_proposal
from senate.trailers import parse_trailers


def test_withdraw_open_proposal(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    vote(g, pid, "alice", "approve", reason="Alice: power analysis is standard practice.")
    vote(g, pid, "bob", "reject", reason="Bob: this duplicates the stats block.")
    cli("--repo", g.path, "comment", pid, "-m", "Carol: could be derived from n and alpha.",
        "--key", g.keys["carol"].private)
    last = tip(g, pid)
    main_before = git(g.path, "rev-parse", "main").strip()

    r = cli("--repo", g.path, "archive", pid, "--reason", "Superseded by a wider proposal.\n"
            "We will fold this into the statistics block.", "--json")
    assert r.code == 0, r.out + r.err
    out = r.json()
    assert out["kind"] == "withdrawn" and out["branch_deleted"] is True

    # Tag keeps the history reachable; the branch is gone.
    assert git(g.path, "rev-parse", f"refs/tags/archive/{pid}").strip() == last
    assert git(g.path, "branch", "--list", f"proposal/{pid}") == ""
    assert f"vote({pid}): reject" in git(g.path, "log", "--format=%s", f"archive/{pid}")

    # One commit on main that only adds proposals/archive/<id>/.
    main = git(g.path, "rev-parse", "main").strip()
    assert git(g.path, "rev-parse", "main^").strip() == main_before
    changes = git(g.path, "diff", "--name-status", main_before, main).splitlines()
    folder = f"proposals/archive/{pid}"
    assert sorted(changes) == sorted(f"A\t{folder}/{n}" for n in (
        "migration.sql", "proposal.json", "reason.txt", "tally.json", "votes.md"))
    trailers = [(t.key, t.value) for t in parse_trailers(g.git.commit_message(main))]
    assert trailers == [("Senate-Proposal", pid), ("Senate-Archive-Reason", "withdrawn")]
    assert git(g.path, "log", "-1", "--format=%s", "main").strip() == (
        f"archive({pid}): Superseded by a wider proposal.")

    votes_md = git(g.path, "show", f"main:{folder}/votes.md")
    for text in ("power analysis is standard practice", "duplicates the stats block",
                 "derived from n and alpha"):
        assert text in votes_md
    tally = json.loads(git(g.path, "show", f"main:{folder}/tally.json"))
    assert (tally["approve"], tally["reject"], tally["tip"]) == (1, 1, last)
    assert "fold this into" in git(g.path, "show", f"main:{folder}/reason.txt")
    meta = json.loads(git(g.path, "show", f"main:{folder}/proposal.json"))
    assert meta["id"] == pid

    assert git(g.path, "status", "--porcelain") == ""
    assert find_proposal(g.git, pid).location == "archived"
    assert count(g.git, pid).status == "archived"

    # Archived proposals are refused, and so is voting on them.
    again = cli("--repo", g.path, "archive", pid, "--reason", "again")
    assert again.code == 2 and "already archived" in again.err
    assert cli("--repo", g.path, "merge", pid).code == 1


def test_archive_rejected_records_rejected(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    vote(g, pid, "alice", "reject", reason="No.")
    vote(g, pid, "carol", "reject", reason="No either.")
    r = cli("--repo", g.path, "archive", pid, "--reason", "Voted down.", "--json")
    assert r.code == 0, r.err
    assert r.json()["kind"] == "rejected"
    msg = git(g.path, "log", "-1", "--format=%B", "main")
    assert "Senate-Archive-Reason: rejected" in msg


def test_archive_refuses_merged_and_empty_reason(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    assert cli("--repo", g.path, "archive", pid, "--reason", "  ").code == 2
    vote(g, pid, "alice")
    vote(g, pid, "bob")
    assert cli("--repo", g.path, "merge", pid).code == 0
    main = git(g.path, "rev-parse", "main")
    r = cli("--repo", g.path, "archive", pid, "--reason", "too late")
    assert r.code == 2 and "already merged" in r.err
    assert git(g.path, "rev-parse", "main") == main
