"""The audit of a long history, spread over processes.

Each commit of main's first-parent line is judged on its own (its first parent's roster,
the commits it brings in, its own clock), so commits can be judged anywhere and in any
order: the verdicts are collected in the line's order, and every process runs the same
`audit_commit` a serial audit runs. What differs is only what each process remembers:
the commits are dealt out in runs of CHUNK, run i to process i mod jobs (the calling
process is one of them), so a process extends its scratch database and its chain of
rendered migrations over the runs others judged instead of building them afresh (see
senate.migrate.scratch).

Processes are started fresh (spawn): a fork would copy the caller's threads and open
libgit2 handles (the API server has both), and each process opens the repository itself.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from senate.errors import SenateError

if TYPE_CHECKING:
    from senate.audit import Violation
    from senate.git import GitRepo
    from senate.lineage import Mainline

# Below this many commits, starting processes costs more than it saves.
PARALLEL_FROM = 200
CHUNK = 25
MAX_JOBS = 8

Verdict = tuple[list["Violation"], "str | None"]


def default_jobs(commits: int) -> int:
    """One process per CPU this process may run on, for a history long enough to gain."""
    if commits < PARALLEL_FROM:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_JOBS))


def verdicts(
    git: GitRepo, history: Mainline, oids: list[str], jobs: int,
    step: Callable[[], None] | None = None,
) -> Iterator[Verdict]:
    """(violations, proposal) of each of `oids`, in order."""
    from senate.audit import audit_commit

    if jobs <= 1 or len(oids) <= CHUNK:
        for oid in oids:
            yield audit_commit(git, oid, history)
            if step is not None:
                step()
        return
    chunks = [oids[i:i + CHUNK] for i in range(0, len(oids), CHUNK)]
    jobs = min(jobs, len(chunks))
    try:
        pool = ProcessPoolExecutor(jobs - 1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start, initargs=(str(git.path), history.tip))
    except (OSError, ValueError) as exc:
        raise SenateError(f"cannot start the audit's processes: {exc}",
                          "run `senate audit --jobs 1`") from exc
    with pool:
        # This process is one of the `jobs`: it judges every jobs-th run itself, with what
        # it already remembers, while the others judge the rest.
        futures = {i: pool.submit(_judge, chunk) for i, chunk in enumerate(chunks)
                   if i % jobs}
        try:
            for i, chunk in enumerate(chunks):
                found = futures[i].result() if i % jobs else (
                    audit_commit(git, oid, history) for oid in chunk)
                for verdict in found:
                    yield verdict
                    if step is not None:
                        step()
        except BrokenProcessPool as exc:
            raise SenateError("an audit process died (out of memory?)",
                              "run `senate audit --jobs 1`") from exc
        finally:
            for future in futures.values():
                future.cancel()


# In each process of the pool: the repository and main's line, opened once.
_WORKER: dict[str, object] = {}


def _start(path: str, tip: str) -> None:
    from senate.git import GitRepo
    from senate.lineage import Mainline

    git = GitRepo.open(path)
    _WORKER["git"] = git
    _WORKER["history"] = Mainline.of(git, tip)


def _judge(oids: list[str]) -> list[Verdict]:
    from senate.audit import audit_commit
    from senate.git import GitRepo
    from senate.lineage import Mainline

    git, history = _WORKER["git"], _WORKER["history"]
    assert isinstance(git, GitRepo) and isinstance(history, Mainline)
    return [audit_commit(git, oid, history) for oid in oids]
