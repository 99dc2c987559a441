"""`senate amend` (issue 12, item 20): the proposer's new signed content commit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import Governed, open_add_field
from votekit import git, tip


def amend(cli: Any, g: Governed, pid: str, *args: str | Path, key: str = "alice") -> Any:
    return cli("--repo", g.path, "amend", pid, *args, "--key", g.keys[key].private)


def vote(cli: Any, g: Governed, pid: str, name: str) -> None:
    done = cli("--repo", g.path, "vote", pid, "approve", "--key", g.keys[name].private)
    assert done.code == 0, done.err


def test_amend_writes_a_signed_content_commit_and_the_votes_go_stale(
        governed: Governed, cli: Any, tmp_path: Path) -> None:
    pid = open_add_field(cli, governed)
    vote(cli, governed, pid, "bob")
    before = tip(governed, pid)
    sql = tmp_path / "m.sql"
    sql.write_text("UPDATE artifacts SET metadata = metadata WHERE artifact_type = 'x';\n")
    result = amend(cli, governed, pid, "--spec", '{"type": "number", "minimum": 0}',
                   "--migration", sql, "--json")
    assert result.code == 0, result.out + result.err
    out = result.json()
    assert out["previous_tip"] == before and out["stale_votes"] == ["bob"]
    assert git(governed.path, "rev-parse", f"proposal/{pid}^").strip() == before
    # signed by alice's key, as git itself verifies it
    signers = tmp_path / "allowed"
    signers.write_text(cli("--repo", governed.path, "roster", "allowed-signers").out)
    verified = subprocess.run(["git", "-C", str(governed.path), "-c",
                               f"gpg.ssh.allowedSignersFile={signers}", "verify-commit",
                               out["commit"]], capture_output=True, text=True)
    assert verified.returncode == 0 and 'Good "git" signature for alice' in verified.stderr
    spec = json.loads(git(governed.path, "show",
                          f"{out['commit']}:proposals/{pid}/proposal.json"))["field_spec"]
    assert spec == {"type": "number", "minimum": 0}
    assert "artifact_type = 'x'" in git(governed.path, "show",
                                        f"{out['commit']}:proposals/{pid}/migration.sql")
    tally = cli("--repo", governed.path, "tally", pid, "--json").json()
    assert tally["approve"] == 0
    assert [i["reason"] for i in tally["ignored"] if i["agent"] == "bob"] == ["stale"]
    assert "amend" not in " ".join(tally["problems"])  # the amended proposal stays valid
    text = amend(cli, governed, pid, "--rationale",
                 "Weights need power. Use case: the meta-analysis agent weights by power.")
    assert text.code == 0 and "stale" in text.out
    for name in ("alice", "bob", "carol"):
        vote(cli, governed, pid, name)
    assert cli("--repo", governed.path, "check", pid).code == 0


def test_only_the_proposer_amends(governed: Governed, cli: Any) -> None:
    pid = open_add_field(cli, governed)
    before = tip(governed, pid)
    result = amend(cli, governed, pid, "--spec", '{"type": "number"}', "--json", key="bob")
    assert result.code == 2 and result.json()["error"]["kind"] == "forbidden"
    assert "only the proposer (alice)" in result.json()["error"]["message"]
    stranger = amend(cli, governed, pid, "--spec", '{"type": "number"}', key="dave")
    assert stranger.code == 2
    assert tip(governed, pid) == before


def test_amend_refuses_bad_or_empty_amendments(governed: Governed, cli: Any) -> None:
    pid = open_add_field(cli, governed)
    before = tip(governed, pid)
    assert amend(cli, governed, pid).code == 2  # nothing to amend
    short = amend(cli, governed, pid, "--rationale", "too short")
    assert short.code == 2 and "error:" in short.err
    bad = amend(cli, governed, pid, "--spec", '{"type": "nonsense"}')
    assert bad.code == 2 and "not a valid JSON Schema" in bad.err
    same = amend(cli, governed, pid, "--spec", '{"type": "number", "minimum": 0, "maximum": 1}')
    assert same.code == 2 and "as it is" in same.err
    assert tip(governed, pid) == before


def test_amend_a_closed_proposal_is_refused(governed: Governed, cli: Any) -> None:
    pid = open_add_field(cli, governed)
    archived = cli("--repo", governed.path, "archive", pid, "--reason", "withdrawn by alice",
                   "--key", governed.keys["alice"].private)
    assert archived.code == 0, archived.err
    result = amend(cli, governed, pid, "--spec", '{"type": "number"}', "--json")
    assert result.code == 2 and result.json()["error"]["kind"] == "closed"
