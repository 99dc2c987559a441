"""Many clones, one shared bare repository with the senate pre-receive hook."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import ADD_FIELD_SPEC, RATIONALE, Governed
from remotekit import (
    auth_wall,
    clone,
    http_git,
    make_shared,
    remote_refs,
    remote_tip,
    run_git,
    run_senate,
)
from votekit import make_commit, vote

from senate.git import GitRepo
from senate.policy import default_email
from senate.registry import VERSION_KEY, dump_schema


@pytest.fixture
def shared(governed: Governed, tmp_path: Path, cli: Any) -> Path:
    return make_shared(governed.path, tmp_path / "shared.git", cli)


def clones(shared: Path, tmp_path: Path, *names: str) -> list[Path]:
    return [clone(f"file://{shared}", tmp_path / n) for n in names]


def propose(cli: Any, g: Governed, repo: Path, field: str = "statistical_power",
            *extra: str) -> str:
    result = cli("--repo", repo, "propose", "--type", "experiment", "--change", "add_field",
                 "--field", field, "--spec", ADD_FIELD_SPEC, "--rationale", RATIONALE,
                 "--key", g.keys["alice"].private, "--json", *extra)
    assert result.code == 0, result.out + result.err
    pid: str = result.json()["id"]
    return pid


def cast(cli: Any, g: Governed, repo: Path, pid: str, agent: str,
         decision: str = "approve", *extra: str) -> Any:
    result = cli("--repo", repo, "vote", pid, decision, "--key", g.keys[agent].private,
                 "--reason", f"{agent} agrees", "--json", *extra)
    assert result.code == 0, result.out + result.err
    return result.json()


def branch_log(repo: Path, ref: str) -> list[tuple[str, int, str]]:
    """(commit, number of parents, subject) along `ref`, oldest first."""
    out = run_git(repo, "log", "--reverse", "--format=%H %P|%s", ref).stdout
    rows = []
    for line in out.splitlines():
        ids, _, subject = line.partition("|")
        parts = ids.split()
        rows.append((parts[0], len(parts) - 1, subject))
    return rows


def track(repo: Path, pid: str) -> None:
    run_git(repo, "fetch", "-q", "origin",
            f"+refs/heads/proposal/{pid}:refs/heads/proposal/{pid}")


def in_clone(g: Governed, repo: Path) -> Governed:
    return Governed(repo, g.keys)


def refused(repo: Path, *push_args: str) -> str:
    result = run_git(repo, "push", "origin", *push_args, check=False)
    assert result.returncode != 0, result.stderr
    return result.stderr


# -- the happy path --------------------------------------------------------------------------
def test_propose_vote_and_tally_across_clones(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    a, b, c = clones(shared, tmp_path, "a", "b", "c")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    assert remote_tip(shared, f"proposal/{pid}") is not None
    cast(cli, governed, b, pid, "bob", "approve", "--push")
    cast(cli, governed, a, pid, "alice", "approve", "--push")  # a is behind: fetches first
    result = cli("--repo", c, "tally", pid, "--fetch", "--json")
    assert result.code == 0, result.err
    assert (result.json()["approve"], result.json()["status"]) == (2, "approved")
    assert cli("--repo", c, "check", pid, "--fetch").code == 0
    rows = branch_log(shared, f"proposal/{pid}")
    assert [n for _, n, _ in rows[1:]] == [1, 1, 1]  # linear: propose, bob, alice
    assert [s.split(":")[0] for _, _, s in rows[-2:]] == [f"vote({pid})"] * 2
    shown = cli("--repo", c, "show", pid, "--fetch", "--json")
    assert shown.code == 0 and shown.json()["tally"]["approve"] == 2
    listed = cli("--repo", c, "proposals", "--fetch", "--json")
    assert [p["id"] for p in listed.json()["proposals"]] == [pid]


def test_comment_push(governed: Governed, shared: Path, tmp_path: Path, cli: Any) -> None:
    a, b = clones(shared, tmp_path, "a", "b")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    result = cli("--repo", b, "comment", pid, "-m", "What about negative power?",
                 "--key", governed.keys["carol"].private, "--push")
    assert result.code == 0, result.err
    tally = cli("--repo", a, "tally", pid, "--fetch", "--json").json()
    assert [d["agent"] for d in tally["debate"]] == ["carol"]


def test_a_race_is_retried_on_the_new_tip(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    a, b = clones(shared, tmp_path, "a", "b")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    track(b, pid)
    # b is now current; a pushes a vote; b's next push must not overwrite it.
    cast(cli, governed, a, pid, "alice", "approve", "--push")
    stale_tip = GitRepo.open(b).ref_target(f"refs/heads/proposal/{pid}")
    done = cast(cli, governed, b, pid, "bob", "approve", "--push")
    rows = branch_log(shared, f"proposal/{pid}")
    assert [oid for oid, _, _ in rows][-1] == done["commit"]
    assert GitRepo.open(shared).commit_parents(done["commit"]) != [stale_tip]
    assert done["tally"]["approve"] == 2


def test_local_unpushed_vote_is_kept_aside(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    a, b = clones(shared, tmp_path, "a", "b")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    track(b, pid)
    local = cast(cli, governed, b, pid, "bob")["commit"]  # not pushed
    cast(cli, governed, a, pid, "alice", "approve", "--push")
    result = cli("--repo", b, "tally", pid, "--fetch", "--json")
    assert result.code == 0
    assert "kept them at refs/senate/unpushed/heads/proposal/" in result.err
    assert result.json()["approve"] == 1  # the remote's state: alice only
    backup = f"refs/senate/unpushed/heads/proposal/{pid}/{local[:12]}"
    assert GitRepo.open(b).ref_target(backup) == local


def test_propose_takes_a_new_id_when_the_remote_has_it(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    a, b = clones(shared, tmp_path, "a", "b")
    first = propose(cli, governed, a, "statistical_power", "--push")
    second = propose(cli, governed, b, "sample_size", "--push")  # b never saw `first`
    assert first.startswith("0001-") and second.startswith("0002-")
    assert remote_tip(shared, f"proposal/{first}") and remote_tip(shared, f"proposal/{second}")


def test_unreachable_remote_is_a_clear_error(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    (a,) = clones(shared, tmp_path, "a")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    result = run_senate("--repo", a, "vote", pid, "approve", "--key",
                        governed.keys["bob"].private, "--push", "http://127.0.0.1:1/x.git")
    assert result.returncode == 1
    assert "cannot reach http://127.0.0.1:1/x.git" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    missing = cli("--repo", a, "tally", pid, "--fetch", "nowhere")
    assert missing.code == 2 and "no remote named 'nowhere'" in missing.err
    gone = cli("--repo", a, "tally", pid, "--fetch", f"file://{tmp_path}/nothing.git")
    assert gone.code == 2 and "is not a git repository" in gone.err


def test_a_local_forgery_is_never_published(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    """dave (not on the roster) voted in b's clone; bob's --push publishes only bob's vote."""
    a, b = clones(shared, tmp_path, "a", "b")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    track(b, pid)
    vote(in_clone(governed, b), pid, "dave", "approve")
    result = cli("--repo", b, "vote", pid, "approve", "--key", governed.keys["bob"].private,
                 "--push")
    # The remote wins: dave's local commit is set aside, bob's vote lands on the remote tip.
    assert result.code == 0, result.err
    assert "kept them at" in result.err


def test_authentication_failure_is_a_clear_error(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (a,) = clones(shared, tmp_path, "a")
    with auth_wall() as url:
        monkeypatch.delenv("SENATE_GIT_TOKEN", raising=False)
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        result = cli("--repo", a, "proposals", "--fetch", url)
        assert result.code == 1
        assert "authentication failed while trying to fetch from" in result.err
        assert "none are configured" in result.err and "SENATE_GIT_TOKEN" in result.err
        monkeypatch.setenv("SENATE_GIT_TOKEN", "wrong")
        result = cli("--repo", a, "proposals", "--fetch", url)
        assert result.code == 1 and "the server refused the credentials" in result.err


def test_hook_refusal_reaches_senate_push(tmp_path: Path, cli: Any, keys: dict[str, Any]) -> None:
    """dave is on the roster without a vote: his vote is refused at push, with the reason."""
    origin = tmp_path / "origin"
    result = cli("init", origin, "--agent", f"alice={keys['alice'].public}",
                 "--agent", f"bob={keys['bob'].public}",
                 "--agent", f"dave={keys['dave'].public}:novote")
    assert result.code == 0, result.err
    shared = make_shared(origin, tmp_path / "shared.git", cli)
    a, b = clones(shared, tmp_path, "a", "b")
    g = Governed(origin, keys)
    pid = propose(cli, g, a, "statistical_power", "--push")
    before = remote_refs(shared)
    # `senate vote` refuses before writing anything, locally and with --push alike
    result = cli("--repo", b, "vote", pid, "approve", "--key", keys["dave"].private, "--push")
    assert result.code == 2, result.err
    assert "dave has no voting rights" in result.err
    assert remote_refs(shared) == before
    # a hand-made one pushed with plain git is refused by the hook, with the reason
    run_git(b, "fetch", "-q", "origin")
    run_git(b, "update-ref", f"refs/heads/proposal/{pid}", f"origin/proposal/{pid}")
    vote(in_clone(g, b), pid, "dave", "approve")
    err = refused(b, f"proposal/{pid}")
    assert "no_vote_right" in err and "dave has no voting rights" in err
    assert remote_refs(shared) == before
    ok = cli("--repo", b, "comment", pid, "-m", "I may still speak", "--key",
             keys["dave"].private, "--push")
    assert ok.code == 0, ok.err


# -- push-time refusals (plain git push, so the hook's own message is what is seen) ----------
def test_direct_push_to_main_changing_a_schema(
    governed: Governed, shared: Path, tmp_path: Path
) -> None:
    (a,) = clones(shared, tmp_path, "a")
    before = remote_refs(shared)
    schema = a / "schemas" / "experiment.json"
    data = json.loads(schema.read_text())
    data["properties"]["sneaky"] = {"type": "string"}
    schema.write_bytes(dump_schema(data))
    run_git(a, "commit", "-qam", "sneak a field in")
    err = refused(a, "main")
    assert "remote: senate: refused refs/heads/main" in err
    assert "changes schemas/experiment.json without a Senate merge" in err
    assert remote_refs(shared) == before


def test_main_may_move_outside_governed_paths(
    governed: Governed, shared: Path, tmp_path: Path
) -> None:
    (a,) = clones(shared, tmp_path, "a")
    (a / "docs").mkdir()
    (a / "docs" / "notes.md").write_text("How we review proposals.\n")
    run_git(a, "add", "docs")
    run_git(a, "commit", "-qm", "docs")
    run_git(a, "push", "-q", "origin", "main")
    assert remote_tip(shared, "main") == GitRepo.open(a).resolve("main")


def test_hand_written_migration_is_refused(
    governed: Governed, shared: Path, tmp_path: Path
) -> None:
    """migrations/ changes only as `senate migrate generate` writes it: a migration and
    its checksums rewritten together would pass the chain's own checks."""
    (a,) = clones(shared, tmp_path, "a")
    before = remote_refs(shared)
    (a / "migrations" / "sqlite").mkdir(parents=True)
    (a / "migrations" / "sqlite" / "0001_x.sql").write_text("DROP TABLE artifacts;\n")
    run_git(a, "add", "migrations")
    run_git(a, "commit", "-qm", "migrations")
    err = refused(a, "main")
    assert "migrations are only generated" in err
    assert remote_refs(shared) == before


def merge_into_main(repo: Path, pid: str, bump: bool) -> str:
    """A true merge of the proposal into main, as `senate merge` lays it out."""
    run_git(repo, "fetch", "-q", "origin", f"+refs/heads/proposal/{pid}:refs/heads/proposal/{pid}")
    run_git(repo, "merge", "-q", "--no-ff", "--no-edit", "-m",
            f"merge({pid}): add_field experiment.statistical_power\n\nSenate-Proposal: {pid}",
            f"proposal/{pid}")
    if bump:
        schema = repo / "schemas" / "experiment.json"
        data = json.loads(schema.read_text())
        data[VERSION_KEY] = data[VERSION_KEY] + 1
        schema.write_bytes(dump_schema(data))
        run_git(repo, "commit", "-q", "-a", "--amend", "--no-edit")
    return run_git(repo, "rev-parse", "HEAD").stdout.strip()


def test_merge_without_enough_votes(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    a, b = clones(shared, tmp_path, "a", "b")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    cast(cli, governed, b, pid, "bob", "approve", "--push")
    vote(in_clone(governed, b), pid, "dave", "approve")  # not on the roster: never counts
    merge_into_main(a, pid, bump=True)
    before = remote_refs(shared)
    err = refused(a, "main")
    assert f"{pid} was not approved" in err
    assert "1 of 2 approvals needed" in err
    assert remote_refs(shared) == before


def test_approved_merge_is_accepted_and_a_padded_one_is_not(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    a, b = clones(shared, tmp_path, "a", "b")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    cast(cli, governed, b, pid, "bob", "approve", "--push")
    cast(cli, governed, b, pid, "carol", "approve", "--push")
    merge_into_main(a, pid, bump=False)  # a hand-made merge: no version bump, no tally
    err = refused(a, "main")
    assert "version bump" in err and "Senate-Approved-By" in err
    run_git(a, "reset", "-q", "--hard", "origin/main")
    merged = cli("--repo", a, "merge", pid, "--json")  # Senate's own merge, pushed by git
    assert merged.code == 0, merged.out + merged.err
    run_git(a, "push", "-q", "origin", "main")
    assert remote_tip(shared, "main") == merged.json()["commit"]


def test_vote_commit_that_changes_files(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    (a,) = clones(shared, tmp_path, "a")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    vote(in_clone(governed, a), pid, "bob", "approve", changes={"README.md": b"mine now\n"})
    before = remote_refs(shared)
    err = refused(a, f"proposal/{pid}")
    assert "only the proposer" in err and "signed by bob" in err
    assert remote_refs(shared) == before


def test_unsigned_and_foreign_votes_are_refused_stale_ones_are_not(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    (a,) = clones(shared, tmp_path, "a")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    g = in_clone(governed, a)
    parent = GitRepo.open(a).ref_target(f"refs/heads/proposal/{pid}")
    assert parent is not None
    vote(g, pid, "bob", "approve", signer=None)
    assert "(unsigned)" in refused(a, f"proposal/{pid}")
    run_git(a, "update-ref", f"refs/heads/proposal/{pid}", parent)
    vote(g, pid, "dave", "approve")
    assert "(unknown_key)" in refused(a, f"proposal/{pid}")
    run_git(a, "update-ref", f"refs/heads/proposal/{pid}", parent)
    vote(g, pid, "bob", "approve", pin="1" * 64)  # stale: ignored by the count, not forged
    run_git(a, "push", "-q", "origin", f"proposal/{pid}")


def test_content_commit_by_someone_else_than_the_proposer(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    (a,) = clones(shared, tmp_path, "a")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    g = in_clone(governed, a)
    parent = GitRepo.open(a).ref_target(f"refs/heads/proposal/{pid}")
    assert parent is not None
    path = f"proposals/{pid}/migration.sql"
    oid = make_commit(g, parent, "tweak\n", signer="bob", changes={path: b"SELECT 2;\n"})
    run_git(a, "update-ref", f"refs/heads/proposal/{pid}", oid)
    assert "only the proposer alice may change" in refused(a, f"proposal/{pid}")
    mine = make_commit(g, parent, "tweak\n", signer="alice", changes={path: b"SELECT 2;\n"})
    run_git(a, "update-ref", f"refs/heads/proposal/{pid}", mine)
    run_git(a, "push", "-q", "origin", f"proposal/{pid}")


def test_force_push_that_drops_a_vote(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    a, b = clones(shared, tmp_path, "a", "b")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    cast(cli, governed, b, pid, "bob", "reject", "--push")
    track(a, pid)
    run_git(a, "update-ref", f"refs/heads/proposal/{pid}", f"proposal/{pid}~1")
    before = remote_refs(shared)
    err = refused(a, "--force", f"proposal/{pid}")
    assert f"proposal/{pid} cannot be force-pushed or rewritten" in err
    assert remote_refs(shared) == before


def test_deleting_a_proposal_branch(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    (a,) = clones(shared, tmp_path, "a")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    before = remote_refs(shared)
    err = refused(a, f":refs/heads/proposal/{pid}")
    assert "can only be deleted by `senate archive`" in err
    assert remote_refs(shared) == before


def test_archive_push_deletes_the_branch_and_the_tag_is_immutable(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    (a,) = clones(shared, tmp_path, "a")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    track(a, pid)
    tip = GitRepo.open(a).ref_target(f"refs/heads/proposal/{pid}")
    assert tip is not None
    record = a / "proposals" / "archive" / pid
    record.mkdir(parents=True)
    (record / "proposal.json").write_bytes(
        run_git(a, "show", f"{tip}:proposals/{pid}/proposal.json").stdout.encode())
    (record / "reason.txt").write_text("withdrawn\n")
    run_git(a, "add", "proposals")
    # archiving is signed: the proposer withdraws, with plain `git commit -S`
    run_git(a, "-c", "gpg.format=ssh", "-c",
            f"user.signingkey={governed.keys['alice'].private}", "-c", "user.name=alice",
            "-c", f"user.email={default_email('alice')}", "commit", "-S", "-qm",
            f"archive({pid}): withdrawn\n\nSenate-Proposal: {pid}\n"
            f"Senate-Archive-Reason: withdrawn\nSenate-Tip: {tip}")
    run_git(a, "tag", f"archive/{pid}", tip)
    run_git(a, "push", "-q", "--atomic", "origin", "main", f"refs/tags/archive/{pid}",
            f":refs/heads/proposal/{pid}")
    assert remote_tip(shared, f"refs/heads/proposal/{pid}") is None
    before = remote_refs(shared)
    run_git(a, "tag", "-f", f"archive/{pid}", "main")
    err = refused(a, "--force", f"refs/tags/archive/{pid}")
    assert "archive tags are immutable" in err
    err = refused(a, f":refs/tags/archive/{pid}")
    assert "archive tags are immutable" in err
    assert remote_refs(shared) == before


# -- over HTTP, through git's own server ------------------------------------------------------
def test_over_http_with_git_http_backend(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    with http_git(shared.parent) as server:
        url = server.url(shared.name)
        a, b, c = (clone(url, tmp_path / n) for n in ("ha", "hb", "hc"))
        pid = propose(cli, governed, a, "statistical_power", "--push")
        cast(cli, governed, b, pid, "bob", "approve", "--push")
        cast(cli, governed, c, pid, "carol", "approve", "--push")
        tally = cli("--repo", a, "tally", pid, "--fetch", "--json").json()
        assert (tally["approve"], tally["status"]) == (2, "approved")
        # A forged push is refused by the hook, and the pusher sees why.
        track(a, pid)
        vote(in_clone(governed, a), pid, "bob", "approve", signer=None)
        before = remote_refs(shared)
        err = refused(a, f"proposal/{pid}")
        assert "remote: senate: refused refs/heads/proposal/" in err and "(unsigned)" in err
        assert remote_refs(shared) == before
    fsck = run_git(shared, "fsck", "--strict")
    assert fsck.returncode == 0


def test_write_through_archives_atomically_and_retries_a_race(
    governed: Governed, shared: Path, tmp_path: Path, cli: Any
) -> None:
    """What `senate archive --push` does: main, tag and branch deletion in one push."""
    from senate.cli.remote_opts import write_through
    from senate.mainline import write_main_commit
    from senate.sshsig import load_private_key

    alice = load_private_key(governed.keys["alice"].private)

    a, b = clones(shared, tmp_path, "a", "b")
    pid = propose(cli, governed, a, "statistical_power", "--push")
    branch, tag = f"refs/heads/proposal/{pid}", f"refs/tags/archive/{pid}"
    git = GitRepo.open(a)
    runs: list[str] = []

    def archive() -> str:
        if not runs:  # someone else moves main while we work: our first push must lose
            (b / "NOTES.md").write_text("meanwhile\n")
            run_git(b, "add", "NOTES.md")
            run_git(b, "commit", "-qm", "notes")
            run_git(b, "push", "-q", "origin", "main")
        main, tip = git.ref_target("refs/heads/main"), git.ref_target(branch)
        assert main is not None and tip is not None
        meta = git.read_file(tip, f"proposals/{pid}/proposal.json")
        tree = git.build_tree(main, {f"proposals/archive/{pid}/proposal.json": meta})
        commit = write_main_commit(git, tree, [main], f"archive({pid}): withdrawn\n\n"
                                   f"Senate-Proposal: {pid}\nSenate-Archive-Reason: withdrawn\n"
                                   f"Senate-Tip: {tip}\n", alice)
        git.update_ref("refs/heads/main", commit, main)
        git.create_ref(tag, tip)
        git.delete_ref(branch, tip)
        runs.append(commit)
        return commit

    tip = remote_tip(shared, branch)
    done = write_through(git, "origin", ["refs/heads/main", branch, tag], archive)
    assert len(runs) == 2 and done == runs[-1]
    assert remote_tip(shared, "main") == done
    assert GitRepo.open(shared).commit_parents(done) == [GitRepo.open(b).resolve("main")]
    assert remote_tip(shared, branch) is None and remote_tip(shared, tag) == tip
    assert cli("--repo", b, "proposals", "--fetch", "--status", "archived", "--json").json()[
        "proposals"][0]["id"] == pid
