"""Many agents writing at once through the API; a server killed mid-write."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from apikit import first_parent_chain, fsck, serve_in_subprocess
from conftest import ADD_FIELD_SPEC, RATIONALE, Governed, make_key

from senate import sshsig
from senate.api.client import SenateClient

AGENTS = 50


@pytest.fixture
def senate50(tmp_path: Path, cli: Any) -> Governed:
    keys = {f"agent{n:02d}": make_key(tmp_path / "keys", f"agent{n:02d}") for n in range(AGENTS)}
    path = tmp_path / "repo"
    result = cli("init", path, *[a for n, k in keys.items()
                                 for a in ("--agent", f"{n}={k.public}")])
    assert result.code == 0, result.err
    return Governed(path, keys)


def open_proposal(cli: Any, g: Governed, field: str = "statistical_power") -> str:
    result = cli("--repo", g.path, "propose", "--type", "experiment", "--change", "add_field",
                 "--field", field, "--spec", ADD_FIELD_SPEC, "--rationale", RATIONALE,
                 "--key", next(iter(g.keys.values())).private, "--json")
    assert result.code == 0, result.out + result.err
    pid: str = result.json()["id"]
    return pid


def base_and_tip(g: Governed, pid: str) -> tuple[str, str]:
    repo = g.git
    t = repo.resolve(f"proposal/{pid}")
    base = repo.merge_base(repo.resolve("main"), t)
    assert base is not None
    return base, t


def test_fifty_agents_vote_at_once(senate50: Governed, cli: Any) -> None:
    g = senate50
    pid = open_proposal(cli, g)
    base, opened = base_and_tip(g, pid)
    keys = {n: sshsig.load_private_key(k.private) for n, k in g.keys.items()}
    results: dict[str, Any] = {}
    failures: list[BaseException] = []
    with serve_in_subprocess(g.path) as (url, _proc):
        start = threading.Barrier(AGENTS)

        def agent(name: str) -> None:
            try:
                with SenateClient(url) as client:
                    client.identity(keys[name])  # warm up before the race
                    start.wait()
                    results[name] = client.vote(pid, keys[name], "approve", f"{name} agrees")
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=agent, args=(n,)) for n in keys]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
    assert not failures, failures[:3]
    assert len(results) == AGENTS
    _, tip = base_and_tip(g, pid)
    chain = first_parent_chain(g.path, tip, base)
    assert chain[0] == opened
    assert set(chain[1:]) == {r["commit"] for r in results.values()}
    assert len(chain) == 1 + AGENTS
    tally = cli("--repo", g.path, "tally", pid, "--json").json()
    assert tally["approve"] == AGENTS
    assert tally["ignored"] == []
    assert [c["commit"] for c in tally["content"]] == [opened]  # the proposal commit itself
    assert tally["status"] == "approved"
    fsck(g.path)


def test_server_killed_during_writes(governed: Governed, cli: Any, tmp_path: Path) -> None:
    g = governed
    pid = open_proposal(cli, g)
    base, _ = base_and_tip(g, pid)
    keys = {n: sshsig.load_private_key(g.keys[n].private) for n in ("alice", "bob", "carol")}
    landed: list[str] = []
    stop = threading.Event()
    with serve_in_subprocess(g.path) as (url, proc):

        def agent(name: str, worker: int) -> None:
            with SenateClient(url, timeout=10) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    decision = "approve" if n % 2 else "reject"
                    try:
                        landed.append(client.vote(pid, keys[name], decision,  # type: ignore[arg-type]
                                                  f"{name}/{worker} vote {n}")["commit"])
                    except Exception:
                        return  # the server died under us

        threads = [threading.Thread(target=agent, args=(n, w)) for n in keys for w in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(landed) < 30 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # mid-burst: writes are in flight
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert len(landed) >= 30
    fsck(g.path)
    _, tip = base_and_tip(g, pid)
    assert subprocess.run(["git", "-C", str(g.path), "cat-file", "-t", tip],
                          capture_output=True, text=True).stdout.strip() == "commit"
    chain = first_parent_chain(g.path, tip, base)
    assert set(landed) <= set(chain)  # every acknowledged vote is on the branch
    tally = cli("--repo", g.path, "tally", pid, "--json").json()
    ignored = [i for i in tally["ignored"] if i["commit"] != chain[0]]
    assert {i["reason"] for i in ignored} <= {"superseded"}
    assert len(ignored) + len(tally["counted"]) == len(chain) - 1
    with serve_in_subprocess(g.path) as (url, _proc), SenateClient(url) as client:
        after = client.vote(pid, keys["alice"], "approve", "after the restart")
    assert after["tally"]["tip"] == after["commit"]
    assert first_parent_chain(g.path, after["commit"], base)[-2] == tip
    fsck(g.path)


def test_concurrent_proposals_get_distinct_ids(governed: Governed, cli: Any) -> None:
    g = governed
    keys = {n: sshsig.load_private_key(g.keys[n].private) for n in ("alice", "bob", "carol")}
    made: list[dict[str, Any]] = []
    failures: list[BaseException] = []
    with serve_in_subprocess(g.path) as (url, _proc):
        start = threading.Barrier(9)

        def propose(name: str, n: int) -> None:
            try:
                with SenateClient(url) as client:
                    start.wait()
                    made.append(client.propose(
                        keys[name], artifact_type="experiment", change_type="add_field",
                        field=f"shared_{n}", field_spec={"type": "string"},
                        rationale=RATIONALE))
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=propose, args=(name, n))
                   for name in keys for n in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert not failures, failures[:3]
    ids = sorted(m["id"] for m in made)
    assert len(set(ids)) == 9
    listed = cli("--repo", g.path, "proposals", "--json").json()["proposals"]
    assert sorted(p["id"] for p in listed) == ids
    # three agents raced for each id: every race was lost cleanly and retried
    assert sorted((p["proposer"], p["field"]) for p in listed) == sorted(
        (name, f"shared_{n}") for name in keys for n in range(3))
    fsck(g.path)
