"""Agents in their own clones vote at once, each in its own process, through the hook."""

from __future__ import annotations

import json
import subprocess
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pytest
from conftest import ADD_FIELD_SPEC, RATIONALE, make_key
from remotekit import clone, http_git, make_shared, run_git, senate_cmd, senate_env

from senate.git import GitRepo


def build_senate(tmp_path: Path, cli: Any, names: list[str]) -> tuple[Path, dict[str, Path]]:
    keys = {name: make_key(tmp_path / "keys", name) for name in names}
    origin = tmp_path / "origin"
    agents = [a for n in names for a in ("--agent", f"{n}={keys[n].public}")]
    assert cli("init", origin, *agents).code == 0
    shared = make_shared(origin, tmp_path / "shared.git", cli)
    return shared, {n: k.private for n, k in keys.items()}


@pytest.mark.parametrize(("transport", "count"), [("file", 20), ("http", 8)])
def test_agents_vote_at_once(tmp_path: Path, cli: Any, transport: str, count: int) -> None:
    """20 agents over file:// (git receive-pack); 8 over HTTP (git http-backend, pushed by
    libgit2), fewer only to keep the suite quick."""
    names = [f"agent{i:02d}" for i in range(count)]
    shared, keys = build_senate(tmp_path, cli, names)
    with http_git(shared.parent) if transport == "http" else nullcontext(None) as server:
        url = server.url(shared.name) if server else f"file://{shared}"
        check_concurrent_votes(tmp_path, cli, url, shared, keys, names)


def check_concurrent_votes(tmp_path: Path, cli: Any, url: str, shared: Path,
                           keys: dict[str, Path], names: list[str]) -> None:
    opener = clone(url, tmp_path / "opener")
    opened = cli("--repo", opener, "propose", "--type", "experiment", "--change", "add_field",
                 "--field", "statistical_power", "--spec", ADD_FIELD_SPEC, "--rationale",
                 RATIONALE, "--key", keys["agent00"], "--push", "--json")
    assert opened.code == 0, opened.err
    pid = opened.json()["id"]
    clones = {n: clone(url, tmp_path / f"clone-{n}") for n in names}

    procs = [
        subprocess.Popen(
            senate_cmd("--repo", clones[n], "vote", pid, "approve", "--key", keys[n],
                       "--reason", f"{n} approves", "--push", "--json"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=senate_env(),
        )
        for n in names
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for n, p, (out, err) in zip(names, procs, outputs, strict=True):
        assert p.returncode == 0, f"{n}: {out}{err}"
        assert json.loads(out)["agent"] == n

    repo = GitRepo.open(shared)
    tip = repo.ref_target(f"refs/heads/proposal/{pid}")
    main = repo.ref_target("refs/heads/main")
    assert tip is not None and main is not None
    commits = repo.walk(tip, hide=main)
    assert len(commits) == len(names) + 1  # the proposal and exactly one vote each
    assert all(len(repo.commit_parents(c)) == 1 for c in commits)  # linear
    pushed = {json.loads(out)["commit"] for out, _ in outputs}
    assert pushed == set(commits[1:])  # what each agent was told landed is what landed

    reader = clone(url, tmp_path / "reader")
    tally = subprocess.run(
        senate_cmd("--repo", reader, "tally", pid, "--fetch", "--json"),
        capture_output=True, text=True, env=senate_env(), check=True,
    )
    result = json.loads(tally.stdout)
    assert (result["approve"], result["status"]) == (len(names), "approved")
    # Nothing is ignored; the proposal commit itself is content, not a vote.
    assert result["ignored"] == []
    assert [c["commit"] for c in result["content"]] == [commits[0]]
    assert sorted(v["agent"] for v in result["counted"]) == names
    fsck = run_git(shared, "fsck", "--strict", "--no-dangling", check=False)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
