"""Governance proposals: the pure rule (table-tested), the senate.toml edits, the commands."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import pytest
from conftest import Governed, Key, make_key, open_add_field
from votekit import git, vote

from senate.errors import UsageError
from senate.governance import GovernanceChange, apply_governance, governance_rule
from senate.policy import POLICY_FILE, Agent, Policy, Rules, parse_policy
from senate.sshsig import PublicKey


def pub(key: Key) -> str:
    return " ".join(key.public.read_text().split()[:2])


@pytest.fixture
def roster_keys(tmp_path: Path) -> dict[str, PublicKey]:
    names = ("alice", "bob", "carol", "dave", "erin", "alice2")
    return {n: PublicKey.parse(pub(make_key(tmp_path / "rk", n))) for n in names}


def policy(keys: dict[str, PublicKey], voters: str, novote: str = "",
           governance: tuple[int, int] | None = None, rotated: str = "") -> Policy:
    agents = [Agent(n, f"{n}@agents.invalid", keys["alice2" if n in rotated else n], True)
              for n in voters.split()]
    agents += [Agent(n, f"{n}@agents.invalid", keys[n], False) for n in novote.split()]
    return Policy(tuple(agents), Rules(governance=governance))


# current roster, proposed roster -> eligible, required, co-signers, words in the reason
RULES: list[tuple[str, dict[str, Any], dict[str, Any], tuple[str, ...], int, tuple[str, ...],
                  str]] = [
    ("add a voter", {"voters": "alice bob carol"}, {"voters": "alice bob carol dave"},
     ("alice", "bob", "carol"), 3, ("dave",), "new key of dave must co-sign"),
    ("add without vote", {"voters": "alice bob carol"},
     {"voters": "alice bob carol", "novote": "dave"}, ("alice", "bob", "carol"), 3, ("dave",),
     "every one of the 3"),
    ("remove: no veto", {"voters": "alice bob carol"}, {"voters": "alice bob"},
     ("alice", "bob"), 2, (), "carol removed or revoked by it"),
    ("revoke: no veto", {"voters": "alice bob carol"},
     {"voters": "alice bob", "novote": "carol"}, ("alice", "bob"), 2, (), "carol removed"),
    ("rotate: old key votes, new key co-signs", {"voters": "alice bob carol"},
     {"voters": "alice bob carol", "rotated": "alice"}, ("alice", "bob", "carol"), 3,
     ("alice",), "new key of alice"),
    ("grant: nothing to co-sign", {"voters": "alice bob", "novote": "dave"},
     {"voters": "alice bob dave"}, ("alice", "bob"), 2, (), "every one of the 2"),
    ("a lower threshold of the current roster applies", {"voters": "alice bob carol",
                                                         "governance": (2, 3)},
     {"voters": "alice bob carol dave"}, ("alice", "bob", "carol"), 2, ("dave",),
     "2/3 of the 3 eligible agents (2)"),
    ("lowering the threshold is judged under the old one", {"voters": "alice bob carol"},
     {"voters": "alice bob carol", "governance": (1, 2)}, ("alice", "bob", "carol"), 3, (),
     "every one of the 3"),
    ("2/3 after removing one of three", {"voters": "alice bob carol", "governance": (2, 3)},
     {"voters": "alice bob"}, ("alice", "bob"), 2, (), "2/3 of the 2"),
    ("the last voter hands over: it must consent", {"voters": "alice"},
     {"voters": "erin"}, ("alice",), 1, ("erin",), "every voter, so they all stay eligible"),
    ("removing everyone cannot pass by default", {"voters": "alice bob"},
     {"voters": "erin"}, ("alice", "bob"), 2, ("erin",), "they all stay eligible"),
]


@pytest.mark.parametrize("case", RULES, ids=[c[0] for c in RULES])
def test_governance_rule(case: Any, roster_keys: dict[str, PublicKey]) -> None:
    _, current, proposed, eligible, required, cosigners, words = case
    got = governance_rule(policy(roster_keys, **current), policy(roster_keys, **proposed))
    assert got[:3] == (eligible, required, cosigners)
    assert words in got[3]


# -- the senate.toml edit: exactly the change, or refused with the reason -------------------
@pytest.fixture
def toml(governed: Governed) -> str:
    return (governed.git.read_file("main", POLICY_FILE) or b"").decode()


def changed_lines(old: str, new: str) -> list[str]:
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
            and line[1:].strip()]  # blank lines between tables are layout, not content


def test_each_edit_changes_exactly_its_lines(toml: str, keys: dict[str, Key]) -> None:
    cases = [
        (GovernanceChange("add", "dave", pub(keys["dave"]), vote=False),
         ["+[[agents]]", '+name = "dave"', '+email = "dave@agents.invalid"',
          f'+key = "{pub(keys["dave"])}"', "+vote = false"]),
        (GovernanceChange("rotate", "bob", pub(keys["dave"])),
         [f'-key = "{pub(keys["bob"])}"', f'+key = "{pub(keys["dave"])}"']),
        (GovernanceChange("revoke", "carol"), ["-vote = true", "+vote = false"]),
        (GovernanceChange("set", setting="governance", value="2/3"),
         ["+governance_numerator = 2", "+governance_denominator = 3"]),
        (GovernanceChange("set", setting="voting_window_hours", value="72"),
         ["+voting_window_hours = 72"]),
        (GovernanceChange("set", setting="open_content", value="strict"),
         ['-open_content = "lenient"', '+open_content = "strict"']),
        (GovernanceChange("set", setting="storage.artifacts_table", value="things"),
         ['-artifacts_table = "artifacts"', '+artifacts_table = "things"']),
    ]
    for change, expected in cases:
        new, _ = apply_governance(toml, change)
        assert changed_lines(toml, new) == expected, change
    removed, got = apply_governance(toml, GovernanceChange("remove", "bob"))
    assert [a.name for a in got.agents] == ["alice", "carol"]
    assert all(line.startswith("-") for line in changed_lines(toml, removed))
    assert f'key = "{pub(keys["bob"])}"' not in removed


@pytest.mark.parametrize("change, words", [
    (GovernanceChange("add", "alice", "KEY"), "already on the roster"),
    (GovernanceChange("add", "Dave!", "KEY"), "not valid"),
    (GovernanceChange("add", "dave", "ssh-rsa AAAA"), "key"),
    (GovernanceChange("add", "dave", "ALICE"), "already used by another agent"),
    (GovernanceChange("rotate", "bob", "ALICE"), "already used by another agent"),
    (GovernanceChange("rotate", "bob", "BOB"), "already bob's key"),
    (GovernanceChange("remove", "zed"), "no agent 'zed'"),
    (GovernanceChange("grant", "bob"), "already has voting rights"),
    (GovernanceChange("set", setting="approval", value="3/2"), "0 < N <= D"),
    (GovernanceChange("set", setting="governance", value="two thirds"), "fraction"),
    (GovernanceChange("set", setting="voting_window_hours", value="-4"), "hours >= 1"),
    (GovernanceChange("set", setting="compatibility_mode", value="sideways"), "one of"),
    (GovernanceChange("set", setting="storage.artifacts_table", value="x; DROP"), "plain SQL"),
    (GovernanceChange("set", setting="roster", value="x"), "unknown setting"),
    (GovernanceChange("set", setting="open_content", value="lenient"), "changes nothing"),
])
def test_malformed_changes_are_refused_with_the_reason(
    toml: str, keys: dict[str, Key], change: GovernanceChange, words: str
) -> None:
    real = {"KEY": pub(keys["dave"]), "ALICE": pub(keys["alice"]), "BOB": pub(keys["bob"])}
    if change.key in real:
        change = GovernanceChange(change.op, change.agent, real[change.key])
    with pytest.raises(UsageError, match=words):
        apply_governance(toml, change)


def test_a_roster_without_a_voter_is_refused(toml: str) -> None:
    text, _ = apply_governance(toml, GovernanceChange("revoke", "bob"))
    text, _ = apply_governance(text, GovernanceChange("remove", "carol"))
    with pytest.raises(UsageError, match="would leave no agent with voting rights"):
        apply_governance(text, GovernanceChange("revoke", "alice"))
    with pytest.raises(UsageError, match="would leave no agent with voting rights"):
        apply_governance(text, GovernanceChange("remove", "alice"))


# -- the commands on a real repository --------------------------------------------------------
def govern(cli: Any, g: Governed, *args: str, key: str = "alice") -> Any:
    return cli("--repo", g.path, "govern", *args, "--key", g.keys[key].private,
               "--rationale", "The platform gained a reviewing agent for power analyses.",
               "--json")


@pytest.mark.parametrize("args, lines", [
    (("remove", "carol"), None),
    (("grant", "carol"), "refused"),
    (("revoke", "carol"), ["-vote = true", "+vote = false"]),
    (("set", "debate_period_hours=12"), ["+debate_period_hours = 12"]),
    (("set", "approval=3/4"), ["-approval_numerator = 2", "-approval_denominator = 3",
                               "+approval_numerator = 3", "+approval_denominator = 4"]),
])
def test_every_subcommand_opens_exactly_its_edit(
    cli: Any, governed: Governed, args: tuple[str, ...], lines: list[str] | str | None
) -> None:
    g = governed
    before = git(g.path, "for-each-ref")
    result = govern(cli, g, *args)
    if lines == "refused":
        assert result.code == 2 and "already has voting rights" in result.json()["error"][
            "message"]
        assert git(g.path, "for-each-ref") == before
        return
    assert result.code == 0, result.out + result.err
    pid = result.json()["id"]
    assert pid.startswith("0001-governance-")
    changed = git(g.path, "diff", "--name-only", "main", f"proposal/{pid}").split()
    assert sorted(changed) == sorted([POLICY_FILE, f"proposals/{pid}/proposal.json"])
    old = git(g.path, "show", f"main:{POLICY_FILE}")
    new = git(g.path, "show", f"proposal/{pid}:{POLICY_FILE}")
    if lines is not None:
        assert changed_lines(old, new) == lines
    meta = git(g.path, "show", f"proposal/{pid}:proposals/{pid}/proposal.json")
    assert '"proposal_type": "governance"' in meta


def test_an_agent_added_by_governance_then_votes(cli: Any, governed: Governed) -> None:
    g = governed
    result = cli("--repo", g.path, "govern", "add", f"dave={g.keys['dave'].public}",
                 "--key", g.keys["alice"].private, "--rationale",
                 "Dave reviews statistics; use case: power analyses.", "--json")
    assert result.code == 0, result.out + result.err
    opened = result.json()
    pid = opened["id"]
    assert opened["rule"]["eligible"] == ["alice", "bob", "carol"]
    assert opened["rule"]["cosigners"] == ["dave"] and opened["rule"]["required"] == 3
    tally = cli("--repo", g.path, "tally", pid, "--json")
    assert tally.code == 0, tally.out + tally.err
    assert tally.json()["status"] == "open"
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    # all of the current roster approved, but dave's new key has not co-signed yet
    waiting = cli("--repo", g.path, "merge", pid, "--json")
    assert waiting.code == 1 and "co-sign" in waiting.json()["reason"], waiting.out
    cosign = cli("--repo", g.path, "vote", pid, "approve", "--reason", "my key",
                 "--key", g.keys["dave"].private, "--json")
    assert cosign.code == 0, cosign.out + cosign.err
    counted = cli("--repo", g.path, "tally", pid, "--json").json()
    assert counted["governance"]["cosigned"] == ["dave"] and counted["approve"] == 3
    assert counted["eligible"] == 3 and counted["status"] == "approved"
    merged = cli("--repo", g.path, "merge", pid, "--json")
    assert merged.code == 0, merged.out + merged.err
    assert cli("--repo", g.path, "audit").code == 0
    roster = parse_policy(git(g.path, "show", f"main:{POLICY_FILE}"))
    assert [a.name for a in roster.voters] == ["alice", "bob", "carol", "dave"]

    schema_pid = open_add_field(cli, g)
    for agent in ("alice", "bob", "dave"):
        vote(g, schema_pid, agent, "approve")
    counted = cli("--repo", g.path, "tally", schema_pid, "--json").json()
    assert sorted(v["agent"] for v in counted["counted"]) == ["alice", "bob", "dave"]
    assert counted["status"] == "approved"
    assert cli("--repo", g.path, "migrate", "generate").code == 0  # governance: no migration
    assert cli("--repo", g.path, "audit").code == 0


def test_refusals_write_nothing(cli: Any, governed: Governed, tmp_path: Path) -> None:
    g = governed
    before = git(g.path, "for-each-ref")
    for args, words in (
        (("add", f"alice={g.keys['dave'].public}"), "already on the roster"),
        (("add", f"dave={g.keys['bob'].public}"), "already used by another agent"),
        (("add", f"dave={tmp_path / 'missing.pub'}"), "cannot read public key file"),
        (("set", "voting_window_hours=soon"), "hours >= 1"),
        (("rotate", "nobody=x"), "cannot read public key file"),
    ):
        result = govern(cli, g, *args)
        assert result.code == 2 and words in result.json()["error"]["message"], result.out
    stranger = govern(cli, g, "remove", "bob", key="dave")
    assert stranger.code == 2 and "not on the roster" in stranger.json()["error"]["message"]
    assert git(g.path, "for-each-ref") == before


def test_a_governance_proposal_shows_in_the_cli_and_the_review_page(
    cli: Any, governed: Governed
) -> None:
    import httpx
    from apikit import serve_in_thread

    g = governed
    pid = govern(cli, g, "revoke", "carol").json()["id"]
    shown = cli("--repo", g.path, "show", pid)
    assert shown.code == 0, shown.out + shown.err
    assert "governance: op=revoke, agent=carol" in shown.out
    assert "+vote = false" in shown.out  # the diff shown is the senate.toml edit
    detail = cli("--repo", g.path, "show", pid, "--json").json()
    assert detail["metadata"]["governance"] == {"op": "revoke", "agent": "carol"}
    assert GovernanceChange.from_json(detail["metadata"]["governance"]) == GovernanceChange(
        "revoke", "carol")
    listed = cli("--repo", g.path, "proposals", "--json")
    assert listed.code == 0, listed.out + listed.err
    with serve_in_thread(g.path, body_limit=64 * 1024) as base:
        page = httpx.get(f"{base}/senate/proposals/{pid}")
    assert page.status_code == 200, page.text
    assert "governance:" in page.text and "revoke" in page.text


def test_scope_and_exact_edit_for_the_counter(toml: str, keys: dict[str, Key]) -> None:
    from senate.governance import edit_problem, scope_problems

    schema = "schemas/experiment.json"
    assert scope_problems("schema_change", [schema, "proposals/x/proposal.json"]) == []
    assert "may not change senate.toml" in scope_problems("schema_change", [schema,
                                                                            POLICY_FILE])[0]
    assert scope_problems("governance", [POLICY_FILE, "proposals/x/proposal.json"]) == []
    assert "not schemas/experiment.json" in scope_problems("governance",
                                                           [POLICY_FILE, schema])[0]
    assert "unchanged" in scope_problems("governance", ["proposals/x/proposal.json"])[0]
    change = GovernanceChange("revoke", "carol")
    exact, _ = apply_governance(toml, change)
    assert edit_problem(toml, exact, change) is None
    sneaky = exact.replace('name = "bob"', 'name = "bobby"')
    assert "differs from revoke carol" in (edit_problem(toml, sneaky, change) or "")
    assert "cannot be applied" in (edit_problem(toml, toml, GovernanceChange("remove", "zed"))
                                   or "")


def test_the_outcome_needs_the_co_signature(roster_keys: dict[str, PublicKey]) -> None:
    from senate.governance import cosigning_keys, passes, rule_for

    current = policy(roster_keys, "alice bob carol")
    rotated = policy(roster_keys, "alice bob carol", rotated="alice")
    rule = rule_for(current, rotated)
    assert cosigning_keys(current, rotated) == {roster_keys["alice2"].blob: "alice"}
    everyone = {"alice", "bob", "carol"}
    assert not passes(rule, everyone, set())  # a rotation without the new key's signature
    assert passes(rule, everyone, {"alice"})
    assert not passes(rule, {"alice", "bob"}, {"alice"})
    removal = rule_for(current, policy(roster_keys, "alice bob"))
    assert passes(removal, {"alice", "bob"}, set())  # carol cannot veto her removal
    assert passes(removal, {"alice", "bob", "carol"} - {"carol"}, set())
    lowered = policy(roster_keys, "alice bob carol", governance=(2, 3))
    assert not passes(rule_for(current, lowered), {"alice", "bob"}, set())  # old rule
    assert passes(rule_for(lowered, policy(roster_keys, "alice bob carol dave",
                                           governance=(2, 3))), {"alice", "bob"}, {"dave"})


# -- the rules, counted on real repositories ----------------------------------------------
RATIONALE_G = "Roster upkeep; use case: the platform's agents change over time."


def opened(cli: Any, g: Governed, *args: str, key: str = "alice") -> str:
    r = cli("--repo", g.path, "govern", *args, "--key", g.keys[key].private, "--rationale",
            RATIONALE_G, "--json")
    assert r.code == 0, r.out + r.err
    pid: str = r.json()["id"]
    return pid


def tally_of(cli: Any, g: Governed, pid: str) -> dict[str, Any]:
    r = cli("--repo", g.path, "tally", pid, "--json")
    assert r.code in (0, 1), r.out + r.err
    data: dict[str, Any] = r.json()
    return data


def test_the_removed_agent_cannot_veto_and_its_pending_votes_stop_at_the_merge(
    cli: Any, governed: Governed
) -> None:
    g = governed
    schema_pid = open_add_field(cli, g)
    vote(g, schema_pid, "carol", "approve")  # carol's pending vote on a schema proposal
    vote(g, schema_pid, "alice", "approve")
    assert tally_of(cli, g, schema_pid)["status"] == "approved"
    pid = opened(cli, g, "remove", "carol")
    vote(g, pid, "carol", "reject")  # no veto over her own removal
    vote(g, pid, "alice", "approve")
    vote(g, pid, "bob", "approve")
    t = tally_of(cli, g, pid)
    assert t["rule"] == "governance" and t["eligible_agents"] == ["alice", "bob"]
    assert t["status"] == "approved", t
    assert cli("--repo", g.path, "merge", pid).code == 0
    after = tally_of(cli, g, schema_pid)  # revocation: at once, on every open proposal
    assert after["eligible"] == 2 and after["approve"] == 1 and after["status"] == "open"
    assert cli("--repo", g.path, "audit").code == 0


def test_a_rotation_without_the_new_keys_cosignature_does_not_pass(
    cli: Any, governed: Governed, tmp_path: Path
) -> None:
    g = governed
    new = make_key(tmp_path / "rotated", "bob2")
    pid = opened(cli, g, "rotate", f"bob={new.public}")
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    t = tally_of(cli, g, pid)
    assert t["status"] == "open" and any("co-sign" in p for p in t["problems"])
    assert cli("--repo", g.path, "merge", pid).code == 1
    # the old key cannot stand in for the new one; a reject from the new key is refused
    refused = cli("--repo", g.path, "vote", pid, "reject", "--key", new.private)
    assert refused.code == 2 and "co-sign" in refused.err
    done = cli("--repo", g.path, "vote", pid, "approve", "--key", new.private, "--json")
    assert done.code == 0, done.out + done.err
    t = tally_of(cli, g, pid)
    assert t["status"] == "approved" and t["governance"]["cosigned"] == ["bob"]
    assert {i["reason"] for i in t["ignored"]} == {"cosignature"}
    assert cli("--repo", g.path, "merge", pid).code == 0
    assert cli("--repo", g.path, "audit").code == 0
    # after the merge only the new key speaks for bob
    schema_pid = open_add_field(cli, g)
    old_bob = vote(g, schema_pid, "bob", "approve")
    ignored = {i["commit"]: i["reason"] for i in tally_of(cli, g, schema_pid)["ignored"]}
    assert ignored[old_bob] == "unknown_key"


def test_a_lowered_governance_threshold_applies_only_after_its_own_merge(
    cli: Any, governed: Governed, tmp_path: Path
) -> None:
    g = governed
    lower = opened(cli, g, "set", "governance=2/3")
    vote(g, lower, "alice", "approve")
    vote(g, lower, "bob", "approve")
    t = tally_of(cli, g, lower)
    assert t["required"] == 3 and t["status"] == "open"  # judged under the old threshold
    vote(g, lower, "carol", "approve")
    assert cli("--repo", g.path, "merge", lower).code == 0
    eve = make_key(tmp_path / "eve", "eve")
    add = opened(cli, g, "add", f"eve={eve.public}:novote")
    vote(g, add, "alice", "approve")
    vote(g, add, "bob", "approve")
    assert cli("--repo", g.path, "vote", add, "approve", "--key", eve.private).code == 0
    t = tally_of(cli, g, add)
    assert t["required"] == 2 and t["status"] == "approved", t


def test_a_roster_change_inside_a_schema_proposal_is_refused(
    cli: Any, governed: Governed
) -> None:
    g = governed
    pid = open_add_field(cli, g)
    from votekit import make_commit, tip

    policy = git(g.path, "show", f"main:{POLICY_FILE}").replace(
        "approval_numerator = 2", "approval_numerator = 1")
    edit = make_commit(g, tip(g, pid), f"propose({pid}): fewer votes\n", signer="alice",
                       changes={POLICY_FILE: policy.encode()})
    git(g.path, "update-ref", f"refs/heads/proposal/{pid}", edit)
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    t = tally_of(cli, g, pid)
    assert t["status"] == "open" and any("governance proposal" in p for p in t["problems"])
