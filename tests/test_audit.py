"""`senate audit` on honest histories and on each kind of forged one."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import Governed, open_add_field
from test_merge import approve, open_field
from votekit import git, make_commit, tip, vote

from senate.counting import count_ref
from senate.mainline import SENATE_PERSON
from senate.merging import merge_message, plan_merge
from senate.proposals import find_proposal

TOOLS = Path(__file__).resolve().parents[1] / "tools"


def audit(cli: Any, g: Governed) -> tuple[int, dict[str, Any]]:
    r = cli("--repo", g.path, "audit", "--json")
    return r.code, r.json()


def kinds(report: dict[str, Any]) -> list[str]:
    return [v["kind"] for v in report["violations"]]


def good_history(cli: Any, g: Governed) -> list[str]:
    """Two merges, one rejected-and-archived proposal, the generated migrations, docs."""
    a = open_add_field(cli, g)
    b = open_field(cli, g, "dataset", "curation_level")
    c = open_add_field(cli, g, "effect_size")
    approve(g, a, "alice", "bob")
    approve(g, b, "alice", "bob", "carol")
    vote(g, c, "alice", "reject", reason="Not now.")
    vote(g, c, "carol", "reject", reason="No.")
    assert cli("--repo", g.path, "merge", a).code == 0
    assert cli("--repo", g.path, "merge", b, "--key", g.keys["alice"].private).code == 0
    # archived as rejected, signed by a roster member
    assert cli("--repo", g.path, "merge", c, "--key", g.keys["carol"].private).code == 1
    assert cli("--repo", g.path, "migrate", "generate").code == 0
    main = git(g.path, "rev-parse", "main").strip()
    docs = make_commit(g, main, "docs\n", signer=None, changes={"docs/notes.md": b"notes\n"})
    git(g.path, "update-ref", "refs/heads/main", docs, main)
    git(g.path, "reset", "-q", "--hard", "main")
    return [a, b, c]


def craft_merge(g: Governed, pid: str, *, edit: Any = None,
                changes: dict[str, bytes | None] | None = None) -> str:
    """A merge commit built by hand with GitRepo, the way a forger would, put on main."""
    repo = g.git
    main, t = repo.resolve("main"), tip(g, pid)
    c = count_ref(repo, find_proposal(repo, pid))
    plan = plan_merge(repo, main, t, c.ref.base)
    assert plan.tree is not None
    message = merge_message(c, plan)
    message = edit(message) if edit else message
    tree = repo.edit_tree(plan.tree, changes) if changes else plan.tree
    oid = repo.write_commit(repo.commit_buffer(tree, [main, t], SENATE_PERSON, SENATE_PERSON,
                                               message))
    repo.update_ref("refs/heads/main", oid, main)
    return oid


def test_clean_history(governed: Governed, cli: Any) -> None:
    ids = good_history(cli, governed)
    code, report = audit(cli, governed)
    assert code == 0, report
    assert report["ok"] is True and report["violations"] == []
    assert [m["proposal"] for m in report["merges"]] == ids[:2]
    assert report["commits"] == 6  # init, two merges, the archive, migrations, docs
    text = cli("--repo", governed.path, "audit")
    assert text.code == 0 and "ok: main changed only through approved proposals" in text.out


def direct_schema_commit(g: Governed) -> str:
    """A signed commit on main adding a field to a schema, with no proposal."""
    main = git(g.path, "rev-parse", "main").strip()
    schema = json.loads(git(g.path, "show", "main:schemas/experiment.json"))
    schema["properties"]["sneaky"] = {"type": "string"}
    oid = make_commit(g, main, "tweak schema\n", signer="alice",
                      changes={"schemas/experiment.json": json.dumps(schema).encode()})
    git(g.path, "update-ref", "refs/heads/main", oid, main)
    return oid


def test_direct_schema_commit(governed: Governed, cli: Any) -> None:
    g = governed
    good_history(cli, g)
    oid = direct_schema_commit(g)
    code, report = audit(cli, g)
    assert code == 1
    assert report["violations"] == [{
        "commit": oid, "kind": "direct_change",
        "message": "changes schemas/experiment.json without a Senate merge"}]


def test_direct_policy_commit(governed: Governed, cli: Any) -> None:
    g = governed
    main = git(g.path, "rev-parse", "main").strip()
    oid = make_commit(g, main, "add me\n", signer=None,
                      changes={"senate.toml": b"# emptied\n"})
    git(g.path, "update-ref", "refs/heads/main", oid, main)
    code, report = audit(cli, g)
    assert code == 1 and kinds(report) == ["direct_change"]
    assert "senate.toml" in report["violations"][0]["message"]


def test_merge_without_enough_votes(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice")  # 1 of 2 needed
    oid = craft_merge(g, pid)
    code, report = audit(cli, g)
    assert code == 1 and kinds(report) == ["not_approved"]
    assert report["violations"][0]["commit"] == oid
    assert "1 of 2 approvals" in report["violations"][0]["message"]


def test_tampered_approved_by(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice", "bob")
    craft_merge(g, pid, edit=lambda m: m.replace(
        "Senate-Approved-By: bob\n", "Senate-Approved-By: bob\nSenate-Approved-By: carol\n"))
    code, report = audit(cli, g)
    assert code == 1 and kinds(report) == ["tampered_trailer"]
    assert "carol" in report["violations"][0]["message"]


def test_tampered_tip_and_rule(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice", "bob")
    craft_merge(g, pid, edit=lambda m: m.replace("two_thirds", "unanimous"))
    code, report = audit(cli, g)
    assert code == 1 and kinds(report) == ["tampered_trailer"]
    assert "Senate-Rule" in report["violations"][0]["message"]


def test_merge_hiding_an_extra_schema_change(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve(g, pid, "alice", "bob")
    dataset = json.loads(git(g.path, "show", "main:schemas/dataset.json"))
    dataset["required"] = [*dataset.get("required", []), "smuggled"]
    craft_merge(g, pid, changes={"schemas/dataset.json": json.dumps(dataset).encode()})
    code, report = audit(cli, g)
    assert code == 1 and kinds(report) == ["hidden_change"]
    assert "schemas/dataset.json" in report["violations"][0]["message"]


def test_archive_that_changes_more(governed: Governed, cli: Any) -> None:
    g = governed
    main = git(g.path, "rev-parse", "main").strip()
    oid = make_commit(
        g, main, "archive(0001-x): gone\n\nSenate-Proposal: 0001-x\n"
        "Senate-Archive-Reason: withdrawn\n", signer=None,
        changes={"proposals/archive/0001-x/reason.txt": b"gone\n",
                 "proposals/README.md": b"rewritten\n"})
    git(g.path, "update-ref", "refs/heads/main", oid, main)
    code, report = audit(cli, g)
    assert code == 1 and kinds(report) == ["bad_archive"]
    assert "proposals/README.md" in report["violations"][0]["message"]


def on_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run with stderr on a pseudo-terminal; returns (code, stdout, what the tty saw)."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(args, stdout=subprocess.PIPE, stderr=follower, env=env)
        os.close(follower)
        seen = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the other side is closed and drained
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(leader)
    return done.returncode, done.stdout, seen


def test_progress_bar_only_on_a_terminal(governed: Governed, cli: Any) -> None:
    good_history(cli, governed)
    env = {**os.environ, "PYTHONPATH": str(TOOLS), "COLUMNS": "80"}
    args = [sys.executable, "-m", "senate", "--repo", str(governed.path), "audit"]
    piped = subprocess.run(args, capture_output=True, text=True, env=env)
    assert piped.returncode == 0 and piped.stderr == ""
    code, _, seen = on_terminal(args, env)
    assert code == 0 and b"auditing main" in seen
    code, out, seen = on_terminal([*args, "--json"], env)
    assert code == 0 and json.loads(out)["ok"] is True and seen == b""


def test_editing_a_merged_proposal_or_an_archive_on_main(governed: Governed, cli: Any) -> None:
    """A merged proposal's SQL feeds the migrations; archives are records: both are
    written only by Senate."""
    g = governed
    a, _, c = good_history(cli, g)
    main = git(g.path, "rev-parse", "main").strip()
    sql = make_commit(g, main, "fix sql\n", signer=None,
                      changes={f"proposals/{a}/migration.sql": b"DROP TABLE artifacts;\n"})
    votes = make_commit(g, sql, "tidy\n", signer=None,
                        changes={f"proposals/archive/{c}/votes.md": b"nobody objected\n"})
    git(g.path, "update-ref", "refs/heads/main", votes, main)
    code, report = audit(cli, g)
    assert code == 1
    assert [(v["commit"], v["kind"]) for v in report["violations"]] == [
        (sql, "direct_change"), (votes, "bad_archive")]


def test_hand_edited_migration(governed: Governed, cli: Any) -> None:
    """A migration rewritten together with its checksums passes the chain's own checks;
    the audit regenerates it from the merges and sees the difference."""
    g = governed
    good_history(cli, g)
    main = git(g.path, "rev-parse", "main").strip()
    name = next(n for n in git(g.path, "ls-tree", "--name-only", "main:migrations/sqlite/")
                .split() if n.startswith("0001_"))
    path = f"migrations/sqlite/{name}"
    text = git(g.path, "show", f"main:{path}") + "DELETE FROM artifacts;\n"
    oid = make_commit(g, main, "fix migration\n", signer=None,
                      changes={path: text.encode()})
    git(g.path, "update-ref", "refs/heads/main", oid, main)
    code, report = audit(cli, g)
    assert code == 1
    assert [(v["commit"], v["kind"]) for v in report["violations"]] == [(oid, "bad_migration")]
