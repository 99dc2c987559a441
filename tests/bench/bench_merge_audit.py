"""Time `senate merge` and `senate audit` on a history of N merged proposals.

The audit re-counts every merge from git alone (every commit each merge brought in, under
main's roster at its first parent, with the byte-exact content id) and re-plans each
merge tree. Target: the audit of 1,000 merged proposals in under 10 s, with the default
number of processes (one per CPU); the time in one process is printed beside it.

Run: python tests/bench/bench_merge_audit.py [N]   (default 1000)
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / "tools"),
                str(Path(__file__).resolve().parents[1])]

from conftest import ADD_FIELD_SPEC, RATIONALE, make_key  # noqa: E402

from senate.audit import audit  # noqa: E402
from senate.auditpool import default_jobs  # noqa: E402
from senate.cli.main import run  # noqa: E402
from senate.git import GitRepo  # noqa: E402
from senate.merging import Merged, merge_proposal  # noqa: E402
from senate.sshsig import load_private_key  # noqa: E402
from senate.voting import cast  # noqa: E402

TYPES = ["experiment", "dataset", "model", "figure", "notebook", "paper"]


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        keys = {a: make_key(folder / "keys", a) for a in ("alice", "bob", "carol")}
        repo = folder / "repo"
        agents = [x for a, k in keys.items() for x in ("--agent", f"{a}={k.public}")]
        with contextlib.redirect_stdout(io.StringIO()):
            assert run(["init", str(repo), *agents]) == 0
        git = GitRepo.open(repo)
        signers = {a: load_private_key(k.private) for a, k in keys.items()}
        merge_times: list[float] = []
        for i in range(n):
            with contextlib.redirect_stdout(io.StringIO()):
                code = run(["--repo", str(repo), "propose", "--type", TYPES[i % len(TYPES)],
                            "--change", "add_field", "--field", f"bench_field_{i}",
                            "--spec", ADD_FIELD_SPEC, "--rationale", RATIONALE,
                            "--key", str(keys["alice"].private)])
            assert code == 0
            pid = sorted(r.rsplit("/", 1)[1] for r in git.refs("refs/heads/proposal/"))[-1]
            for agent in ("alice", "bob"):
                cast(git, pid, signers[agent], "approve", "bench")
            start = time.perf_counter()
            outcome = merge_proposal(git, pid)
            merge_times.append(time.perf_counter() - start)
            assert isinstance(outcome, Merged), outcome
        merge_times.sort()
        print(f"merge (work tree checked out): median {merge_times[n // 2] * 1000:.0f} ms, "
              f"max {merge_times[-1] * 1000:.0f} ms over {n} merges")
        jobs = default_jobs(n)
        for label, count in (("one process", 1), (f"{jobs} processes (the default)", jobs)):
            start = time.perf_counter()
            report = audit(git, jobs=count)
            took = time.perf_counter() - start
            assert report.ok and len(report.merges) == n
            target = "; target for 1,000 merges: < 10 s" if count == jobs else ""
            print(f"audit of {report.commits} first-parent commits ({n} merges), {label}: "
                  f"{took:.2f} s ({took / n * 1000:.1f} ms per merge{target})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
