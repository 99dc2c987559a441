"""Benchmark: from `senate vote --push` to the vote counted by `senate tally --fetch`.

Set-up: a shared bare repository with the senate pre-receive hook, 20 voting agents, each
with its own clone to vote from and another clone to read from. 20 workers run at once;
each casts its votes (alternating approve/reject, 50 votes in all) with
`senate vote --push`, then runs `senate tally --fetch` in its reading clone until the
tally counts that very commit (or lists it as superseded by a later vote of the same
agent: it was counted, then replaced). The latency of a vote is that whole span; we print
the median and the spread.

Also the floor: one agent voting alone, with nobody racing it (5 votes).

Reference, same set-up and concurrency: a plain `git commit --allow-empty && git push` of
each worker to a branch of its own (the hook runs and lets it through), 50 pushes; and
the ratio of the two medians.

Run: python tests/bench/bench_remote.py [--votes 50] [--voters 20] [--http]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent.parent / "tools")]

from conftest import ADD_FIELD_SPEC, RATIONALE, make_key  # noqa: E402
from remotekit import clone, http_git, run_git, run_senate  # noqa: E402


def senate_ok(*args: str | Path) -> Any:
    done = run_senate(*args)
    if done.returncode != 0:
        raise SystemExit(f"senate {' '.join(map(str, args))} failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout) if "--json" in args else None


def setup(root: Path, voters: int) -> tuple[Path, dict[str, Path]]:
    names = [f"agent{i:02d}" for i in range(voters)]
    keys = {n: make_key(root / "keys", n) for n in names}
    origin = root / "origin"
    senate_ok("init", origin, *[a for n in names for a in ("--agent", f"{n}={keys[n].public}")])
    bare = root / "shared.git"
    run_git(root, "clone", "-q", "--bare", str(origin), str(bare))
    run_git(bare, "config", "http.receivepack", "true")
    senate_ok("hook", "install", bare)
    return bare, {n: k.private for n, k in keys.items()}


def counted(tally: dict[str, Any], commit: str) -> bool:
    if any(v["commit"] == commit for v in tally["counted"]):
        return True
    return any(i["commit"] == commit and i["reason"] == "superseded" for i in tally["ignored"])


def vote_latency(voter: Path, reader: Path, pid: str, key: Path, decision: str) -> float:
    start = time.perf_counter()
    cast = senate_ok("--repo", voter, "vote", pid, decision, "--key", key, "--push", "--json")
    while not counted(senate_ok("--repo", reader, "tally", pid, "--fetch", "--json"),
                      cast["commit"]):
        pass
    return time.perf_counter() - start


def push_latency(repo: Path, branch: str) -> float:
    start = time.perf_counter()
    run_git(repo, "commit", "-q", "--allow-empty", "-m", "bench")
    run_git(repo, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    return time.perf_counter() - start


def run_per_agent(jobs: dict[str, list[Callable[[], float]]]) -> list[float]:
    """One thread per agent: an agent's own jobs run in turn, agents run at once."""
    def sequence(agent_jobs: list[Callable[[], float]]) -> list[float]:
        return [job() for job in agent_jobs]

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return [t for times in pool.map(sequence, jobs.values()) for t in times]


def report(name: str, times: list[float]) -> float:
    median = statistics.median(times)
    q = statistics.quantiles(times, n=10, method="inclusive")
    print(f"{name:<38} median {median * 1000:8.0f} ms   p10 {q[0] * 1000:6.0f}   "
          f"p90 {q[-1] * 1000:6.0f}   max {max(times) * 1000:6.0f}   (n={len(times)})")
    return median


@contextmanager
def served(bare: Path, http: bool) -> Iterator[str]:
    if not http:
        yield f"file://{bare}"
        return
    with http_git(bare.parent) as server:
        yield server.url(bare.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--votes", type=int, default=50)
    parser.add_argument("--voters", type=int, default=20)
    parser.add_argument("--http", action="store_true", help="through git http-backend")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bare, keys = setup(root, args.voters)
        names = sorted(keys)
        with served(bare, args.http) as url:
            opener = clone(url, root / "opener")
            pid = senate_ok("--repo", opener, "propose", "--type", "experiment", "--change",
                            "add_field", "--field", "statistical_power", "--spec",
                            ADD_FIELD_SPEC, "--rationale", RATIONALE, "--key",
                            keys[names[0]], "--push", "--json")["id"]
            voters = {n: clone(url, root / f"v-{n}") for n in names}
            readers = {n: clone(url, root / f"r-{n}") for n in names}
            votes_by: dict[str, list[Callable[[], float]]] = {n: [] for n in names}
            pushes_by: dict[str, list[Callable[[], float]]] = {n: [] for n in names}
            for i in range(args.votes):
                n = names[i % len(names)]
                decision = "approve" if len(votes_by[n]) % 2 == 0 else "reject"
                votes_by[n].append(partial(vote_latency, voters[n], readers[n], pid, keys[n],
                                           decision))
                pushes_by[n].append(partial(push_latency, voters[n], f"bench/{n}"))
            t0 = time.perf_counter()
            votes = run_per_agent(votes_by)
            wall = time.perf_counter() - t0
            plain = run_per_agent(pushes_by)
            # The floor: one agent alone, nobody racing it.
            solo = [vote_latency(voters[names[0]], readers[names[0]], pid, keys[names[0]],
                                 "approve" if i % 2 else "reject") for i in range(5)]
            final = senate_ok("--repo", opener, "tally", pid, "--fetch", "--json")
        transport = "http (git http-backend)" if args.http else "file:// (git receive-pack)"
        print(f"{args.votes} votes by {args.voters} concurrent voters over {transport}, "
              f"pre-receive hook installed; wall {wall:.1f} s")
        vote_median = report("vote --push -> counted by tally --fetch", votes)
        report("  same, one agent alone (no race)", solo)
        push_median = report("plain git push of an empty commit", plain)
        print(f"ratio {vote_median / push_median:.1f}x; final tally: {final['approve']} approve, "
              f"{final['reject']} reject from {len(final['counted'])} agents")


if __name__ == "__main__":
    main()
