"""`senate withdraw` and `senate sweep` on real repositories with real signed votes."""

from __future__ import annotations

import subprocess
from typing import Any

from conftest import Governed, open_add_field
from votekit import git, make_commit, tip, vote

from senate.git import GitRepo
from senate.lifecycle import sweep
from senate.policy import POLICY_FILE
from senate.proposals import find_proposal
from senate.rawcommit import parse_commit
from senate.sshsig import load_private_key


def refs(g: Governed) -> str:
    return git(g.path, "for-each-ref", "--format=%(refname) %(objectname)")


def signer_of(g: Governed, oid: str) -> str:
    """The author of an archive commit, after checking git itself accepts its signature."""
    signers = g.path.parent / "allowed_signers"
    signers.write_text("".join(f"{n}@agents.invalid namespaces=\"git\" "
                               f"{' '.join(k.public.read_text().split()[:2])}\n"
                               for n, k in g.keys.items()))
    subprocess.run(["git", "-C", str(g.path), "-c", f"gpg.ssh.allowedSignersFile={signers}",
                    "verify-commit", oid], check=True, capture_output=True)
    raw = parse_commit(g.git.raw_commit(oid))
    assert raw.author is not None
    return raw.author.name


def test_the_proposer_withdraws(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    vote(g, pid, "bob", "approve", reason="Bob: useful.")
    last = tip(g, pid)
    result = cli("--repo", g.path, "withdraw", pid, "--reason", "Folded into 0009.",
                 "--key", g.keys["alice"].private, "--json")
    assert result.code == 0, result.out + result.err
    done = result.json()
    assert done["kind"] == "withdrawn" and done["branch_deleted"] is True
    assert git(g.path, "rev-parse", f"refs/tags/archive/{pid}").strip() == last
    assert signer_of(g, done["commit"]) == "alice"
    assert "Senate-Archive-Reason: withdrawn" in git(g.path, "log", "-1", "--format=%B", "main")
    assert find_proposal(g.git, pid).location == "archived"
    reason = g.git.read_file("main", f"proposals/archive/{pid}/reason.txt")
    assert reason == b"Folded into 0009.\n"
    assert cli("--repo", g.path, "audit").code == 0


def test_only_the_proposer_may_withdraw(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    before = refs(g)
    for agent, code, text in (("bob", 2, "only the proposer (alice)"),
                              ("dave", 2, "not on the roster")):
        result = cli("--repo", g.path, "withdraw", pid, "--reason", "mine now",
                     "--key", g.keys[agent].private, "--json")
        assert result.code == code and text in result.json()["error"]["message"], result.out
    empty = cli("--repo", g.path, "withdraw", pid, "--reason", "  ", "--key",
                g.keys["alice"].private, "--json")
    assert empty.code == 2
    assert refs(g) == before
    assert cli("--repo", g.path, "withdraw", pid, "--reason", "x", "--key",
               g.keys["alice"].private).code == 0
    again = cli("--repo", g.path, "withdraw", pid, "--reason", "x", "--key",
                g.keys["alice"].private, "--json")
    assert again.code == 2 and "already archived" in again.json()["error"]["message"]


def test_a_rejected_proposal_withdrawn_by_its_proposer_is_withdrawn(
    governed: Governed, cli: Any
) -> None:
    g = governed
    pid = open_add_field(cli, g)
    vote(g, pid, "bob", "reject")
    vote(g, pid, "carol", "reject")
    result = cli("--repo", g.path, "withdraw", pid, "--reason", "Point taken.", "--key",
                 g.keys["alice"].private, "--json")
    assert result.code == 0 and result.json()["kind"] == "withdrawn"


def three_proposals(cli: Any, g: Governed) -> tuple[str, str, str]:
    rejected = open_add_field(cli, g, "rejected_field")
    vote(g, rejected, "alice", "approve", reason="Alice: we need it.")
    vote(g, rejected, "bob", "reject", reason="Bob: duplicates the stats block.")
    vote(g, rejected, "carol", "reject", reason="Carol: derivable from n and alpha.")
    undecided = open_add_field(cli, g, "undecided_field")
    vote(g, undecided, "bob", "reject")
    approved = open_add_field(cli, g, "approved_field")
    vote(g, approved, "alice", "approve")
    vote(g, approved, "bob", "approve")
    return rejected, undecided, approved


def test_sweep_archives_exactly_the_rejected_and_twice_equals_once(
    governed: Governed, cli: Any
) -> None:
    g = governed
    rejected, undecided, approved = three_proposals(cli, g)
    result = cli("--repo", g.path, "sweep", "--key", g.keys["carol"].private, "--json")
    assert result.code == 0, result.out + result.err
    done = result.json()
    assert [a["proposal"] for a in done["archived"]] == [rejected]
    assert done["archived"][0]["kind"] == "rejected"
    assert sorted((o["proposal"], o["status"]) for o in done["open"]) == sorted(
        [(undecided, "open"), (approved, "approved")])
    assert signer_of(g, done["archived"][0]["commit"]) == "carol"
    folder = f"proposals/archive/{rejected}"
    reason = (g.git.read_file("main", f"{folder}/reason.txt") or b"").decode()
    assert reason.startswith("rejected: it can no longer pass (1/2 approvals, 2 against)")
    assert "Counted: alice approve, bob reject, carol reject" in reason
    votes = (g.git.read_file("main", f"{folder}/votes.md") or b"").decode()
    assert "Bob: duplicates the stats block." in votes and "Carol: derivable" in votes
    assert g.git.read_file("main", f"{folder}/tally.json") is not None
    for pid in (undecided, approved):
        assert find_proposal(g.git, pid).location == "branch"

    after_once = refs(g)
    second = cli("--repo", g.path, "sweep", "--key", g.keys["carol"].private, "--json")
    assert second.code == 0 and second.json()["archived"] == []
    assert refs(g) == after_once  # nothing written the second time
    assert cli("--repo", g.path, "audit").code == 0


def test_sweep_archives_a_proposal_whose_window_closed(governed: Governed, cli: Any) -> None:
    g = governed
    main = g.git.resolve("main")
    text = (g.git.read_file(main, POLICY_FILE) or b"").decode()
    window = text.replace("# voting_window_hours = 168", "voting_window_hours = 24")
    changed = make_commit(g, main, "set a voting window\n", signer=None,
                          changes={POLICY_FILE: window.encode()})
    g.git.update_ref("refs/heads/main", changed, main)
    git(g.path, "checkout", "-q", "-f", "main")
    pid = open_add_field(cli, g)
    vote(g, pid, "alice", "approve")
    key = load_private_key(g.keys["bob"].private)
    repo = GitRepo.open(g.path)
    assert sweep(repo, key).archived == ()  # still inside its window
    opened = repo.commit_time(tip(g, pid))
    late = sweep(repo, key, now=opened + 25 * 3600)
    assert [a.proposal for a in late.archived] == [pid]
    reason = (repo.read_file("main", f"proposals/archive/{pid}/reason.txt") or b"").decode()
    assert reason.startswith("rejected: its voting window closed")


def test_sweep_refuses_a_key_off_the_roster(governed: Governed, cli: Any) -> None:
    g = governed
    three_proposals(cli, g)
    before = refs(g)
    result = cli("--repo", g.path, "sweep", "--key", g.keys["dave"].private, "--json")
    assert result.code == 2 and "not on the roster" in result.json()["error"]["message"]
    assert refs(g) == before


def test_sweep_skips_what_it_cannot_count(governed: Governed, cli: Any) -> None:
    g = governed
    rejected, _, _ = three_proposals(cli, g)
    main = g.git.resolve("main")
    junk = make_commit(g, main, "not a proposal\n", signer=None, changes={"x.txt": b"x"})
    g.git.create_ref("refs/heads/proposal/0099-junk", junk)
    done = cli("--repo", g.path, "sweep", "--key", g.keys["alice"].private, "--json").json()
    assert [a["proposal"] for a in done["archived"]] == [rejected]
    assert [s["proposal"] for s in done["skipped"]] == ["0099-junk"]
