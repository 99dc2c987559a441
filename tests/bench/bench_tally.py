"""Benchmark: counting 10,000 signed votes from a roster of 10,000 agents.

Side by side in one run:
  * `senate tally --json` (a subprocess, like an agent or CI runs it) and the in-process count;
  * `git log --format=%G?` over the same range with the roster's allowed-signers file
    (git spawns ssh-keygen for every commit);
  * the floor: one bare Ed25519 verification (cryptography), measured here.
Targets: tally >= 40x faster than git; tally cost per vote <= 2x one bare verification.

Run: python tests/bench/bench_tally.py [--votes N] [--git-sample N]
`--git-sample N` times git on the last N commits only and scales to the full range (git's
cost is per commit); by default git checks the whole range.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate import sshsig
from senate.content import content_id_between
from senate.counting import count
from senate.git import GitRepo, Person
from senate.initrepo import AgentSpec, init_repo
from senate.policy import default_email
from senate.propose import ProposalRequest, open_proposal
from senate.trailers import format_vote_message


def build(folder: Path, n: int) -> tuple[GitRepo, str]:
    keys = [Ed25519PrivateKey.generate() for _ in range(n)]
    specs = [
        AgentSpec(f"a{i:05d}", sshsig.PublicKey.from_crypto(k.public_key()),
                  default_email(f"a{i:05d}"))
        for i, k in enumerate(keys)
    ]
    git, _ = init_repo(folder / "repo", specs)
    opened = open_proposal(git, keys[0], ProposalRequest(
        artifact_type="experiment", change_type="add_field", field="bench_field",
        field_spec={"type": "string"},
        rationale="Benchmark. Use case: measuring the counter on a large roster.",
    ))
    tip = opened.commit
    base = git.resolve("main")
    cid = content_id_between(git, base, tip)
    tree = git.commit_tree(tip)
    now = int(time.time())
    for i, key in enumerate(keys):
        name = specs[i].name
        who = Person(name, specs[i].email, now)
        message = format_vote_message(opened.id, "approve", cid, f"vote {i}")
        buffer = git.commit_buffer(tree, [tip], who, who, message)
        tip = git.write_commit(buffer, sshsig.sign(key, buffer))
    git.update_ref(f"refs/heads/proposal/{opened.id}", tip, opened.commit)
    return git, opened.id


def bare_verify_cost(rounds: int = 5000) -> float:
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    message = b"x" * 64
    signature = key.sign(message)
    start = time.perf_counter()
    for _ in range(rounds):
        public.verify(signature, message)
    return (time.perf_counter() - start) / rounds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--votes", type=int, default=10_000)
    parser.add_argument("--git-sample", type=int, default=0)
    args = parser.parse_args()
    n = args.votes
    with tempfile.TemporaryDirectory(prefix="senate-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        git, pid = build(folder, n)
        print(f"built roster of {n} and {n} signed votes in {time.perf_counter() - t0:.1f} s")

        other, other_pid = build(folder / "second", n)  # same size, other keys and commits

        floor = bare_verify_cost()
        start = time.perf_counter()
        result = count(git, pid)
        in_process = time.perf_counter() - start
        assert result.tally.approve == n, result.tally.approve
        # The first count of a process also pays its imports and one-time set-up (the
        # metaschema validator, templates, SQL parser); a count in a running process (the
        # API, an audit) pays only per vote: the second repository's votes, never seen.
        start = time.perf_counter()
        assert count(other, other_pid).tally.approve == n
        warm = time.perf_counter() - start

        env = dict(os.environ)
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "senate", "--repo", str(folder / "repo"),
                              "tally", pid, "--json"], capture_output=True, env=env,
                             check=True, cwd=Path(__file__).resolve().parents[2] / "tools")
        cli = time.perf_counter() - start
        assert b'"approve": %d' % n in out.stdout

        signers = folder / "allowed_signers"
        signers.write_text(git_allowed(folder))
        rng = f"main..proposal/{pid}"
        commits = n + 1
        git_cmd = ["git", "-C", str(folder / "repo"), "-c",
                   f"gpg.ssh.allowedSignersFile={signers}", "log", "--format=%G?"]
        if args.git_sample:
            git_cmd += ["-n", str(args.git_sample)]
        start = time.perf_counter()
        verdicts = subprocess.run([*git_cmd, rng], capture_output=True, text=True,
                                  check=True).stdout.split()
        git_time = time.perf_counter() - start
        checked = len(verdicts)
        assert verdicts.count("G") >= checked - 1, verdicts[:5]
        git_full = git_time * commits / checked

    per_vote, per_vote_warm = in_process / n, warm / n
    print(f"bare Ed25519 verify (floor)     {floor * 1e6:8.1f} us")
    print(f"senate count, in process        {in_process:8.3f} s  "
          f"({per_vote * 1e6:.1f} us/vote = {per_vote / floor:.2f}x the floor, first count "
          "of the process)")
    print(f"senate count, running process   {warm:8.3f} s  "
          f"({per_vote_warm * 1e6:.1f} us/vote = {per_vote_warm / floor:.2f}x the floor; "
          "target <= 2x)")
    print(f"senate tally --json (CLI)       {cli:8.3f} s")
    scaled = f" (scaled from {checked} commits)" if checked < commits else ""
    print(f"git log --format=%G?            {git_full:8.3f} s{scaled}")
    print(f"speed-up of senate tally --json over git: {git_full / cli:.1f}x (target >= 40x)")


def git_allowed(folder: Path) -> str:
    from senate.proposals import main_tip, policy_at

    git = GitRepo.open(folder / "repo")
    return policy_at(git, main_tip(git)).allowed_signers()


if __name__ == "__main__":
    main()
