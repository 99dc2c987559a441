"""Load benchmark: 50 concurrent agents cast 2,000 signed votes through `senate serve`.

Run: python tests/bench/bench_api.py [--agents 50] [--votes 2000] [--proposals 10]
Each agent (its own thread and HTTP client) votes on the proposals in turn, changing
its mind as it goes (its last vote counts). The server is a separate `senate serve`
process. Prints throughput, p50/p99 latency of one vote (including 409 retries), and the
count of vote commits found on the branches afterwards, which must equal the votes sent.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent / "tools"), str(HERE.parent)]

from apikit import first_parent_chain, fsck, serve_in_subprocess  # noqa: E402
from conftest import ADD_FIELD_SPEC, RATIONALE, make_key  # noqa: E402

from senate import sshsig  # noqa: E402
from senate.api.client import SenateClient  # noqa: E402
from senate.cli.main import run  # noqa: E402
from senate.git import GitRepo  # noqa: E402


def setup(root: Path, agents: int, proposals: int) -> tuple[Path, dict[str, Path], list[str]]:
    keys = {f"agent{n:02d}": make_key(root / "keys", f"agent{n:02d}") for n in range(agents)}
    repo = root / "repo"
    args = [a for n, k in keys.items() for a in ("--agent", f"{n}={k.public}")]
    assert run(["init", str(repo), *args]) == 0
    first = next(iter(keys.values())).private
    for n in range(proposals):
        code = run(["--repo", str(repo), "propose", "--type", "experiment", "--change",
                    "add_field", "--field", f"bench_field_{n}", "--spec", ADD_FIELD_SPEC,
                    "--rationale", RATIONALE, "--key", str(first)])
        assert code == 0
    ids = sorted(name.removeprefix("refs/heads/proposal/")
                 for name in GitRepo.open(repo).refs("refs/heads/proposal/"))
    return repo, {n: k.private for n, k in keys.items()}, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--votes", type=int, default=2000)
    parser.add_argument("--proposals", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    opts = parser.parse_args()
    per_agent, extra = divmod(opts.votes, opts.agents)
    with tempfile.TemporaryDirectory() as tmp:
        repo, key_paths, ids = setup(Path(tmp), opts.agents, opts.proposals)
        keys = {n: sshsig.load_private_key(p) for n, p in key_paths.items()}
        latencies: list[float] = []
        errors: list[BaseException] = []
        sent = [0]
        lock = threading.Lock()
        with serve_in_subprocess(repo, opts.workers) as (url, _proc):
            barrier = threading.Barrier(opts.agents + 1)

            def agent(index: int, name: str) -> None:
                count = per_agent + (1 if index < extra else 0)
                with SenateClient(url, timeout=120, attempts=500) as client:
                    client.identity(keys[name])
                    barrier.wait()
                    for n in range(count):
                        pid = ids[(index + n) % len(ids)]
                        decision = ("approve", "reject", "abstain")[(index + n) % 3]
                        start = time.perf_counter()
                        try:
                            client.vote(pid, keys[name], decision,  # type: ignore[arg-type]
                                        f"{name} vote {n}")
                        except BaseException as exc:
                            errors.append(exc)
                            return
                        with lock:
                            latencies.append(time.perf_counter() - start)
                            sent[0] += 1

            threads = [threading.Thread(target=agent, args=(i, n))
                       for i, n in enumerate(keys)]
            for t in threads:
                t.start()
            barrier.wait()
            began = time.perf_counter()
            for t in threads:
                t.join()
            wall = time.perf_counter() - began
        git = GitRepo.open(repo)
        main_tip = git.resolve("main")
        landed = 0
        for pid in ids:
            tip = git.resolve(f"proposal/{pid}")
            base = git.merge_base(main_tip, tip)
            assert base is not None
            landed += len(first_parent_chain(repo, tip, base)) - 1  # minus the proposal
        fsck(repo)
        tallies = [subprocess.run(
            [sys.executable, "-c", "from senate.cli.main import main; main()", "--repo",
             str(repo), "tally", pid, "--json"], capture_output=True, text=True,
            env={"PYTHONPATH": str(HERE.parent.parent / "tools")}).returncode for pid in ids]
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    print(f"server workers {opts.workers}, agents {opts.agents}, proposals {len(ids)}, "
          f"votes sent {sent[0]} (target {opts.votes}), errors {len(errors)}")
    if errors:
        print(f"  first error: {errors[0]!r}")
    print(f"wall {wall:.1f} s, throughput {sent[0] / wall:.1f} votes/s")
    print(f"latency per vote: p50 {pct(0.50):.0f} ms, p99 {pct(0.99):.0f} ms, "
          f"mean {statistics.mean(latencies) * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")
    print(f"vote commits on the branches: {landed} (sent {sent[0]}): "
          f"{'OK' if landed == sent[0] == opts.votes else 'MISMATCH'}; git fsck clean; "
          f"tally exit codes {sorted(set(tallies))}")
    sys.exit(0 if landed == sent[0] == opts.votes and not errors else 1)


if __name__ == "__main__":
    main()
