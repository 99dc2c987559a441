"""The counter against real signed commits, honest and adversarial."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import RATIONALE, Governed, make_key, open_add_field, propose_args
from votekit import content_id, git, make_commit, tip, vote, write_raw

from senate.counting import count
from senate.policy import default_email


def counted(g: Governed, pid: str) -> dict[str, Any]:
    return count(g.git, pid).to_json()


def reasons(t: dict[str, Any]) -> dict[str, str]:
    return {i["commit"]: i["reason"] for i in t["ignored"]}


@pytest.fixture
def pid(governed: Governed, cli: Any) -> str:
    return open_add_field(cli, governed)


def test_cli_vote_and_tally(governed: Governed, cli: Any, pid: str) -> None:
    r = cli("--repo", governed.path, "vote", pid, "approve", "--reason", "Sound.",
            "--key", governed.keys["alice"].private, "--json")
    assert r.code == 0, r.err
    assert r.json()["tally"]["approve"] == 1
    assert cli("--repo", governed.path, "check", pid).code == 1
    r = cli("--repo", governed.path, "vote", pid, "approve", "--key", governed.keys["bob"].private)
    assert r.code == 0
    t = cli("--repo", governed.path, "tally", pid, "--json").json()
    for key in ("proposal", "status", "rule", "rule_reason", "eligible", "required", "approve",
                "reject", "abstain", "not_voted", "counted", "ignored", "content_id", "tip"):
        assert key in t
    assert (t["status"], t["rule"], t["eligible"], t["required"]) == (
        "approved", "two_thirds", 3, 2)
    assert t["not_voted"] == ["carol"]
    assert {c["agent"] for c in t["counted"]} == {"alice", "bob"}
    assert t["tip"] == tip(governed, pid)
    assert cli("--repo", governed.path, "check", pid).code == 0
    text = cli("--repo", governed.path, "tally", pid)
    assert "approved" in text.out


def test_comment(governed: Governed, cli: Any, pid: str) -> None:
    r = cli("--repo", governed.path, "comment", pid, "-m", "Why 0..1 and not a percentage?",
            "--key", governed.keys["carol"].private, "--json")
    assert r.code == 0
    t = counted(governed, pid)
    assert t["debate"][0]["agent"] == "carol"
    assert "percentage" in t["debate"][0]["text"]
    assert t["approve"] == 0


def test_unknown_key(governed: Governed, pid: str) -> None:
    oid = vote(governed, pid, "dave")
    t = counted(governed, pid)
    assert reasons(t)[oid] == "unknown_key" and t["approve"] == 0


def test_key_of_a_with_name_of_b(governed: Governed, pid: str) -> None:
    oid = vote(governed, pid, "alice", signer="alice", author=("bob", default_email("bob")))
    t = counted(governed, pid)
    assert reasons(t)[oid] == "author_mismatch" and t["approve"] == 0


def test_vote_for_another_proposal(governed: Governed, cli: Any, pid: str) -> None:
    other = open_add_field(cli, governed, "another_field")
    oid = vote(governed, pid, "alice", proposal=other, pin=content_id(governed, pid))
    assert reasons(counted(governed, pid))[oid] == "wrong_proposal"


def test_replayed_signed_vote_from_another_branch(governed: Governed, cli: Any, pid: str) -> None:
    other = open_add_field(cli, governed, "another_field")
    original = vote(governed, other, "alice")
    raw = subprocess.run(["git", "-C", str(governed.path), "cat-file", "commit", original],
                         capture_output=True, check=True).stdout
    old_parent = git(governed.path, "rev-parse", f"{original}^").strip()
    old_tree = git(governed.path, "rev-parse", f"{original}^{{tree}}").strip()
    new_tree = git(governed.path, "rev-parse", f"proposal/{pid}^{{tree}}").strip()
    replay = write_raw(governed, raw.replace(old_parent.encode(), tip(governed, pid).encode())
                       .replace(old_tree.encode(), new_tree.encode()))
    git(governed.path, "update-ref", f"refs/heads/proposal/{pid}", replay)
    t = counted(governed, pid)
    assert reasons(t)[replay] == "bad_signature" and t["approve"] == 0


def test_stale_vote_after_content_changes(governed: Governed, pid: str) -> None:
    early = vote(governed, pid, "alice")
    assert counted(governed, pid)["approve"] == 1
    spec = json.dumps({"type": "number", "minimum": 0, "maximum": 1, "title": "Power"})
    path = "schemas/experiment.json"
    schema = json.loads(git(governed.path, "show", f"proposal/{pid}:{path}"))
    schema["properties"]["statistical_power"] = json.loads(spec)
    content = make_commit(
        governed, tip(governed, pid), f"propose({pid}): refine\n", signer="alice",
        changes={path: (json.dumps(schema, indent=2) + "\n").encode()},
    )
    git(governed.path, "update-ref", f"refs/heads/proposal/{pid}", content)
    t = counted(governed, pid)
    assert reasons(t)[early] == "stale"
    assert content not in reasons(t)  # the proposal's own content is not a vote
    assert [c["commit"] for c in t["content"]][-1] == content
    assert t["content"][-1]["agent"] == "alice"
    assert t["approve"] == 0
    vote(governed, pid, "alice")
    assert counted(governed, pid)["approve"] == 1


def test_two_conflicting_vote_trailers(governed: Governed, pid: str) -> None:
    message = (f"vote({pid}): approve\n\nboth\n\nSenate-Proposal: {pid}\nSenate-Vote: approve\n"
               f"Senate-Vote: reject\nSenate-Content-Id: {content_id(governed, pid)}\n")
    oid = vote(governed, pid, "alice", message=message)
    assert reasons(counted(governed, pid))[oid] == "ambiguous"


def test_vote_line_in_body_not_in_trailers(governed: Governed, pid: str) -> None:
    message = (f"vote({pid}): approve\n\nSenate-Vote: approve\n\nI like it a lot, truly.\n"
               f"It is good.\n\nSenate-Proposal: {pid}\nSenate-Patch-Id: "
               f"{content_id(governed, pid)}\n")
    oid = vote(governed, pid, "alice", message=message)
    t = counted(governed, pid)
    assert reasons(t)[oid] == "ambiguous" and t["approve"] == 0


def test_vote_that_edits_a_schema(governed: Governed, pid: str) -> None:
    # By the proposer it is content (never a vote); by anyone else it blocks the proposal.
    own = vote(governed, pid, "alice",
               changes={"schemas/experiment.json": b'{"type": "object"}\n'})
    t = counted(governed, pid)
    assert t["approve"] == 0 and own not in reasons(t)
    assert [c["commit"] for c in t["content"]][-1] == own
    oid = vote(governed, pid, "bob",
               changes={"schemas/experiment.json": b'{"type": "object", "title": "x"}\n'})
    t = counted(governed, pid)
    assert t["approve"] == 0 and t["status"] == "open"
    assert {c["commit"]: c["problem"] for c in t["content"]}[oid] == "foreign_content"
    assert any(oid[:12] in p and "only the proposer" in p for p in t["problems"])


def test_signature_over_a_different_payload(governed: Governed, pid: str) -> None:
    good = vote(governed, pid, "alice", reason="original")
    raw = subprocess.run(["git", "-C", str(governed.path), "cat-file", "commit", good],
                         capture_output=True, check=True).stdout
    forged = write_raw(governed, raw.replace(b"original", b"orig1nal"))
    git(governed.path, "update-ref", f"refs/heads/proposal/{pid}", forged)
    t = counted(governed, pid)
    assert reasons(t)[forged] == "bad_signature"
    assert t["approve"] == 0  # the forgery replaced the genuine vote on the branch


def test_unsigned_vote(governed: Governed, pid: str) -> None:
    oid = vote(governed, pid, "alice", signer=None)
    assert reasons(counted(governed, pid))[oid] == "unsigned"


def test_duplicate_approvals_count_once(governed: Governed, pid: str) -> None:
    first = vote(governed, pid, "alice")
    second = vote(governed, pid, "alice")
    t = counted(governed, pid)
    assert t["approve"] == 1
    assert reasons(t)[first] == "superseded"
    assert [c["commit"] for c in t["counted"]] == [second]


def test_approve_reject_approve(governed: Governed, pid: str) -> None:
    a = vote(governed, pid, "bob", "approve")
    b = vote(governed, pid, "bob", "reject")
    c = vote(governed, pid, "bob", "approve")
    t = counted(governed, pid)
    assert (t["approve"], t["reject"]) == (1, 0)
    assert reasons(t)[a] == reasons(t)[b] == "superseded"
    assert t["counted"] == [{"agent": "bob", "vote": "approve", "commit": c}]


def test_merge_commit_carrying_a_vote(governed: Governed, cli: Any, pid: str) -> None:
    other = open_add_field(cli, governed, "another_field")
    message = (f"vote({pid}): approve\n\nmerge\n\nSenate-Proposal: {pid}\n"
               f"Senate-Vote: approve\nSenate-Content-Id: {content_id(governed, pid)}\n")
    parent = tip(governed, pid)
    oid = make_commit(governed, parent, message, signer="alice",
                      parents=[parent, tip(governed, other)])
    git(governed.path, "update-ref", f"refs/heads/proposal/{pid}", oid)
    t = counted(governed, pid)
    assert t["approve"] == 0 and oid not in [v["commit"] for v in t["counted"]]
    assert any("not a commit of main's first-parent history" in p for p in t["problems"])


def test_roster_comes_from_the_base_not_the_branch(
    governed: Governed, pid: str, tmp_path: Path
) -> None:
    eve = make_key(tmp_path / "more", "eve")
    governed.keys["eve"] = eve
    policy = git(governed.path, "show", f"proposal/{pid}:senate.toml")
    policy += (f'\n[[agents]]\nname = "eve"\nemail = "{default_email("eve")}"\n'
               f'key = "{eve.public.read_text().split(" eve")[0].strip()}"\nvote = true\n')
    policy = policy.replace("approval_numerator = 2", "approval_numerator = 1")
    content = make_commit(governed, tip(governed, pid), f"propose({pid}): more voters\n",
                          signer="alice", changes={"senate.toml": policy.encode()})
    git(governed.path, "update-ref", f"refs/heads/proposal/{pid}", content)
    eve_vote = vote(governed, pid, "eve")
    vote(governed, pid, "alice")
    t = counted(governed, pid)
    assert reasons(t)[eve_vote] == "unknown_key"
    assert t["eligible"] == 3
    assert t["rule"] == "unanimous" and "senate.toml" in t["rule_reason"]
    assert t["status"] == "open" and t["required"] == 3
    assert any("cannot change senate.toml" in p for p in t["problems"])


def test_agent_removed_on_main_after_voting(governed: Governed, pid: str) -> None:
    vote(governed, pid, "alice")
    carol_vote = vote(governed, pid, "carol")
    assert counted(governed, pid)["approve"] == 2
    # main drops carol (as a merged governance change would); the branch's base is older
    policy = git(governed.path, "show", "main:senate.toml")
    head, _, rest = policy.partition('[[agents]]\nname = "carol"')
    new_policy = head + rest.split("\n\n", 1)[1] if "\n\n" in rest else head
    main = git(governed.path, "rev-parse", "main").strip()
    new_main = make_commit(governed, main, "governance: remove carol\n", signer="alice",
                           changes={"senate.toml": new_policy.encode()})
    git(governed.path, "update-ref", "refs/heads/main", new_main)
    before = counted(governed, pid)
    # main's roster counts, at once, on every open proposal: carol's vote no longer does
    assert reasons(before)[carol_vote] == "unknown_key"
    assert before["eligible"] == 2 and before["approve"] == 1
    # merging main in changes neither the content id nor the count
    merge = make_commit(governed, tip(governed, pid), "Merge main\n", signer="alice",
                        parents=[tip(governed, pid), new_main],
                        changes={"senate.toml": new_policy.encode()})
    git(governed.path, "update-ref", f"refs/heads/proposal/{pid}", merge)
    after = counted(governed, pid)
    assert after["content_id"] == before["content_id"]
    assert reasons(after)[carol_vote] == "unknown_key"
    assert after["eligible"] == 2 and after["approve"] == 1


def test_breaking_change_needs_unanimity_whatever_the_claim(governed: Governed, cli: Any) -> None:
    result = cli(*propose_args(governed, "--type", "experiment", "--change", "remove_field",
                               "--field", "source_doi", "--rationale", RATIONALE, "--json"))
    pid = result.json()["id"]
    vote(governed, pid, "alice")
    vote(governed, pid, "bob")
    t = counted(governed, pid)
    assert t["rule"] == "unanimous" and t["required"] == 3 and t["status"] == "open"
    vote(governed, pid, "carol", "abstain")
    t = counted(governed, pid)
    assert t["status"] == "rejected"


def test_false_compatibility_claim_blocks(governed: Governed, cli: Any) -> None:
    result = cli(*propose_args(governed, "--type", "experiment", "--change", "remove_field",
                               "--field", "source_doi", "--compatible",
                               "--rationale", RATIONALE, "--json"))
    pid = result.json()["id"]
    for agent in ("alice", "bob", "carol"):
        vote(governed, pid, agent)
    t = counted(governed, pid)
    assert t["approve"] == 3 and t["status"] == "open"
    assert t["problems"]
    check = cli("--repo", governed.path, "check", pid)
    assert check.code == 1 and "compatib" in check.out


def test_rejected_when_it_cannot_pass(governed: Governed, pid: str) -> None:
    vote(governed, pid, "alice", "reject")
    assert counted(governed, pid)["status"] == "open"
    vote(governed, pid, "bob", "reject")
    assert counted(governed, pid)["status"] == "rejected"


def test_check_writes_a_step_summary(
    governed: Governed, cli: Any, pid: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    vote(governed, pid, "alice")
    assert cli("--repo", governed.path, "check", pid).code == 1
    assert "| alice | approve |" in summary.read_text()
    assert "backward compatible" in summary.read_text()


def test_plain_git_vote_counts(governed: Governed, pid: str, tmp_path: Path, cli: Any) -> None:
    """An agent without Senate: a clone, `git commit --allow-empty -S`, a push."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-b", f"proposal/{pid}", str(governed.path),
                    str(clone)], check=True)
    message = (f"vote({pid}): approve\n\nLooks right to me.\n\nSenate-Proposal: {pid}\n"
               f"Senate-Vote: approve\nSenate-Content-Id: {content_id(governed, pid)}\n")
    subprocess.run(
        ["git", "-C", str(clone), "-c", "gpg.format=ssh",
         "-c", f"user.signingkey={governed.keys['bob'].private}",
         "-c", "user.name=bob", "-c", f"user.email={default_email('bob')}",
         "commit", "-q", "--allow-empty", "-S", "-m", message],
        check=True,
    )
    subprocess.run(["git", "-C", str(clone), "push", "-q", "origin", f"proposal/{pid}"],
                   check=True)
    t = counted(governed, pid)
    assert t["counted"] == [{"agent": "bob", "vote": "approve", "commit": tip(governed, pid)}]


def test_verdicts_match_git(governed: Governed, pid: str, tmp_path: Path, cli: Any) -> None:
    good = vote(governed, pid, "alice")
    unknown = vote(governed, pid, "dave")
    unsigned = vote(governed, pid, "bob", signer=None)
    genuine = vote(governed, pid, "carol", reason="first")
    raw = subprocess.run(["git", "-C", str(governed.path), "cat-file", "commit", genuine],
                         capture_output=True, check=True).stdout
    bad = write_raw(governed, raw.replace(b"first", b"f1rst"))
    git(governed.path, "update-ref", f"refs/heads/proposal/{pid}", bad)
    signers = tmp_path / "allowed"
    signers.write_text(cli("--repo", governed.path, "roster", "allowed-signers").out)
    log = git(governed.path, "-c", f"gpg.ssh.allowedSignersFile={signers}", "log",
              "--format=%H %G?", f"main..proposal/{pid}")
    git_verdict = dict(line.split() for line in log.splitlines())
    ours = reasons(counted(governed, pid))
    mapping = {"G": None, "B": "bad_signature", "N": "unsigned", "E": "unknown_key",
               "U": "unknown_key"}
    for oid in (good, unknown, unsigned, bad):
        assert ours.get(oid) == mapping[git_verdict[oid]], (oid, git_verdict[oid])
    assert git_verdict[good] == "G" and git_verdict[unsigned] == "N"
    assert git_verdict[bad] == "B"


def test_tally_of_unknown_proposal(governed: Governed, cli: Any) -> None:
    r = cli("--repo", governed.path, "tally", "0042-nope", "--json")
    assert r.code == 2 and "no proposal" in r.json()["error"]["message"]


def _set_rules(g: Governed, extra: str) -> None:
    """Rewrite main's senate.toml (as a merged governance change would) before proposing."""
    policy = git(g.path, "show", "main:senate.toml").replace(
        "[compatibility]", f"{extra}\n\n[compatibility]")
    main = git(g.path, "rev-parse", "main").strip()
    new_main = make_commit(g, main, "governance: timing rules\n", signer="alice",
                           changes={"senate.toml": policy.encode()})
    git(g.path, "update-ref", "refs/heads/main", new_main)
    git(g.path, "reset", "-q", "--hard", "main")


def test_debate_period(governed: Governed, cli: Any) -> None:
    _set_rules(governed, "debate_period_hours = 24")
    pid = open_add_field(cli, governed)
    opened = int(git(governed.path, "log", "-1", "--format=%ct", f"proposal/{pid}"))
    early = vote(governed, pid, "alice", when=opened + 3600)
    comment = vote(governed, pid, "bob", None, reason="A question during debate.",
                   when=opened + 7200)
    late = vote(governed, pid, "alice", when=opened + 25 * 3600)
    t = counted(governed, pid)
    assert reasons(t)[early] == "before_debate"
    assert comment not in reasons(t) and t["debate"][0]["commit"] == comment
    assert t["counted"] == [{"agent": "alice", "vote": "approve", "commit": late}]


def test_voting_window(governed: Governed, cli: Any) -> None:
    _set_rules(governed, "voting_window_hours = 48")
    pid = open_add_field(cli, governed)
    opened = int(git(governed.path, "log", "-1", "--format=%ct", f"proposal/{pid}"))
    vote(governed, pid, "alice", when=opened + 3600)
    late = vote(governed, pid, "bob", when=opened + 49 * 3600)
    t = counted(governed, pid)
    assert reasons(t)[late] == "after_window" and t["approve"] == 1
    closed = count(governed.git, pid, now=opened + 72 * 3600)
    assert closed.status == "rejected" and closed.tally.window_closed
    assert count(governed.git, pid, now=opened + 3600 * 2).status == "open"
