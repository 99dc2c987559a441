"""Benchmark: what the count-time dry run of the proposer's SQL adds to `senate tally`.

Side by side in one run, on the same proposal (add_field with a legitimate backfill):
  * the in-process count with the SQL check and its dry run, every cache cleared first
    (a one-shot `senate tally` starts with nothing cached);
  * the reference: the same count with the dry run replaced by an empty result;
  * `senate tally --json` as a subprocess, as an agent or CI runs it.
Twice: with the shipped samples only, and with N more sample artifacts named by
senate.toml's [dry_run] samples folder (default N = 10,000).
Target: the dry run adds < 150 ms to a tally with the shipped samples (SQLite).

Run: python tests/bench/bench_dry_run.py [--samples N] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate import proposal_sql, sshsig
from senate.counting import count
from senate.git import GitRepo, Person
from senate.initrepo import AgentSpec, init_repo
from senate.migrate import dryrun as rehearse_module
from senate.migrate.dryrun import Rehearsal
from senate.policy import default_email
from senate.propose import ProposalRequest, open_proposal

BACKFILL = ("UPDATE artifacts SET metadata = json_set(metadata, '$.bench_note', 'n/a')\n"
            "WHERE artifact_type = 'experiment';\n")


def build(folder: Path) -> tuple[GitRepo, Ed25519PrivateKey]:
    keys = [Ed25519PrivateKey.generate() for _ in range(3)]
    specs = [AgentSpec(f"a{i}", sshsig.PublicKey.from_crypto(k.public_key()),
                       default_email(f"a{i}")) for i, k in enumerate(keys)]
    git, _ = init_repo(folder / "repo", specs)
    return git, keys[0]


def add_samples(git: GitRepo, n: int) -> None:
    """N artifacts in samples/<type>/, cycling through the shipped samples, on main."""
    shipped = resources.files("senate.data").joinpath("samples")
    docs = [(t.name, json.loads(d.read_text())) for t in sorted(shipped.iterdir(),
                                                                key=lambda p: p.name)
            if t.is_dir() for d in sorted(t.iterdir(), key=lambda p: p.name)
            if d.name.endswith(".json")]
    changes: dict[str, bytes | None] = {}
    for i in range(n):
        kind, base = docs[i % len(docs)]
        doc = {**base, "title": f"{base['title']} #{i}"} if "title" in base else base
        changes[f"bench-samples/{kind}/s{i:05d}.json"] = json.dumps(doc).encode()
    toml = (git.read_file("main", "senate.toml") or b"").decode()
    changes["senate.toml"] = (toml + '\n[dry_run]\nsamples = "bench-samples"\n').encode()
    main = git.resolve("main")
    who = Person("bench", "bench@agents.invalid")
    tree = git.build_tree(main, changes)
    git.update_ref("refs/heads/main", git.write_commit(
        git.commit_buffer(tree, [main], who, who, "bench samples\n")), main)


def open_bench_proposal(git: GitRepo, key: Ed25519PrivateKey, field: str) -> str:
    return open_proposal(git, key, ProposalRequest(
        artifact_type="experiment", change_type="add_field", field=field,
        field_spec={"type": "string"}, migration_sql=BACKFILL.replace("bench_note", field),
        rationale="Benchmark. Use case: measuring the dry run's cost to a tally.",
    )).id


def cold_count(git: GitRepo, pid: str) -> Any:
    proposal_sql._MEMO.clear()
    rehearse_module._CHAINS.clear()
    return count(git, pid)


def timed(fn: Callable[[], Any], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def cli_tally(folder: Path, pid: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "senate", "--repo", str(folder / "repo"), "tally",
                    pid, "--json"], capture_output=True, check=True,
                   cwd=Path(__file__).resolve().parents[2] / "tools")
    return (time.perf_counter() - start) * 1000


def measure(git: GitRepo, folder: Path, pid: str, rounds: int, label: str) -> float:
    c = cold_count(git, pid)
    assert c.sql is not None and c.sql.rehearsals, c.problems
    run = c.sql.rehearsals[0]
    assert run.effect is not None and not c.problems, c.problems
    with_dry = timed(lambda: cold_count(git, pid), rounds)
    real = proposal_sql.rehearse
    proposal_sql.rehearse = lambda *a, **k: Rehearsal("sqlite")  # type: ignore[assignment]
    try:
        without = timed(lambda: cold_count(git, pid), rounds)
    finally:
        proposal_sql.rehearse = real
    cli = cli_tally(folder, pid)
    added = with_dry - without
    print(f"{label}: {run.samples} sample artifacts, {len(run.effect.changed_artifacts)} "
          "changed by the backfill")
    print(f"  count without the dry run (reference) {without:8.1f} ms")
    print(f"  count with the dry run                {with_dry:8.1f} ms "
          f"({with_dry / without:.1f}x the reference)")
    print(f"  added by the dry run                  {added:8.1f} ms")
    print(f"  senate tally --json (CLI, one run)    {cli:8.1f} ms")
    return added


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="senate-bench-dry-") as tmp:
        folder = Path(tmp)
        git, key = build(folder)
        shipped = measure(git, folder, open_bench_proposal(git, key, "bench_a"), args.rounds,
                          "shipped samples")
        add_samples(git, args.samples)
        many = measure(git, folder, open_bench_proposal(git, key, "bench_b"),
                       max(3, args.rounds // 2), f"shipped + {args.samples} samples")
    verdict = "met" if shipped < 150 else "MISSED"
    print(f"dry run on SQLite, shipped samples: +{shipped:.0f} ms (target < 150 ms: {verdict});"
          f" with {args.samples} more samples: +{many:.0f} ms")


if __name__ == "__main__":
    main()
