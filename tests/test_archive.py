"""`senate archive`: rejected and withdrawn proposals leave main with their reasoning."""

from __future__ import annotations

import json
from typing import Any

from conftest import Governed, open_add_field
from votekit import git, tip, vote

from senate.counting import count
from senate.proposals import find_proposal
from senate.trailers import parse_trailers


def verify_commit(g: Governed, oid: str) -> str:
    """`git verify-commit` with the roster as allowed signers: git itself as the oracle."""
    import subprocess

    signers = g.path.parent / "allowed_signers"
    signers.write_text(_signers(g))
    out = subprocess.run(["git", "-C", str(g.path), "-c", "gpg.format=ssh", "-c",
                          f"gpg.ssh.allowedSignersFile={signers}", "verify-commit", oid],
                         capture_output=True, text=True)
    return out.stderr


def _signers(g: Governed) -> str:
    from senate.proposals import policy_at

    return policy_at(g.git, g.git.resolve("main")).allowed_signers()


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
            "We will fold this into the statistics block.", "--key",
            g.keys["alice"].private, "--json")
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
    assert trailers == [("Senate-Proposal", pid), ("Senate-Archive-Reason", "withdrawn"),
                        ("Senate-Tip", last)]
    assert "Good \"git\" signature" in verify_commit(g, main)
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
    again = cli("--repo", g.path, "archive", pid, "--reason", "again", "--key",
                g.keys["alice"].private)
    assert again.code == 2 and "already archived" in again.err
    assert cli("--repo", g.path, "merge", pid).code == 1


def test_archive_rejected_records_rejected(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    # Only the proposer may withdraw; once the count rejects it, any roster member archives.
    early = cli("--repo", g.path, "archive", pid, "--reason", "Not yet.", "--key",
                g.keys["bob"].private)
    assert early.code == 2 and "only its proposer alice may withdraw" in early.err
    vote(g, pid, "alice", "reject", reason="No.")
    vote(g, pid, "carol", "reject", reason="No either.")
    r = cli("--repo", g.path, "archive", pid, "--reason", "Voted down.", "--key",
            g.keys["bob"].private, "--json")
    assert r.code == 0, r.err
    assert r.json()["kind"] == "rejected"
    msg = git(g.path, "log", "-1", "--format=%B", "main")
    assert "Senate-Archive-Reason: rejected" in msg


def test_archive_refuses_merged_and_empty_reason(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    assert cli("--repo", g.path, "archive", pid, "--reason", "  ", "--key",
               g.keys["alice"].private).code == 2
    vote(g, pid, "alice")
    vote(g, pid, "bob")
    assert cli("--repo", g.path, "merge", pid).code == 0
    main = git(g.path, "rev-parse", "main")
    r = cli("--repo", g.path, "archive", pid, "--reason", "too late", "--key",
            g.keys["alice"].private)
    assert r.code == 2 and "already merged" in r.err
    assert git(g.path, "rev-parse", "main") == main
