"""The audit of a long history, spread over processes.

Each commit of main's first-parent line is judged on its own (its first parent's roster,
the commits it brings in, its own clock), so commits can be judged anywhere and in any
order: the verdicts are collected in the line's order, and every process runs the same
`audit_commit` a serial audit runs. What differs is only what each process remembers.

The line is cut into runs of CHUNK commits. Each process (the calling one among them)
claims the next unclaimed run whenever it is free, so a process that remembers more (the
caller, after a day of counts) or runs faster simply judges more runs; and since every
process claims runs in increasing order, each extends its scratch database and its chain
of rendered migrations forward over the runs others judged, instead of building them
afresh (see senate.migrate.scratch).

Processes are started fresh (spawn): a fork would copy the caller's threads and open
libgit2 handles (the API server has both), and each process opens the repository itself.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from senate.errors import SenateError

if TYPE_CHECKING:
    from senate.audit import Violation
    from senate.git import GitRepo
    from senate.lineage import Mainline

# Below this many commits, starting processes costs more than it saves.
PARALLEL_FROM = 200
CHUNK = 25
MAX_JOBS = 8
_POLL_S = 0.5  # how often a waiting caller looks whether a helper died
CALLER_JUDGES = True  # False: the helpers judge every run (the tests check them so)

Verdict = tuple[list["Violation"], "str | None"]
_FIX = "run `senate audit --jobs 1`"


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

    chunks = [oids[i:i + CHUNK] for i in range(0, len(oids), CHUNK)]
    jobs = min(jobs, len(chunks))
    if jobs <= 1:
        for oid in oids:
            yield audit_commit(git, oid, history)
            if step is not None:
                step()
        return
    ctx = multiprocessing.get_context("spawn")
    claimed: Any = ctx.Value("i", 0)  # the next run nobody has claimed
    results: Any = ctx.Queue()
    helpers = [ctx.Process(target=_help, daemon=True, args=(
        str(git.path), history.tip, chunks, claimed, results)) for _ in range(jobs - 1)]
    try:
        for helper in helpers:
            helper.start()
    except OSError as exc:
        _stop(helpers)
        raise SenateError(f"cannot start the audit's processes: {exc}", _FIX) from exc
    judged: dict[int, list[Verdict]] = {}
    shown = 0
    try:
        while shown < len(chunks):
            mine = _claim(claimed, len(chunks)) if CALLER_JUDGES else None
            if mine is not None:
                judged[mine] = [audit_commit(git, oid, history) for oid in chunks[mine]]
            elif shown not in judged:
                _collect(results, judged, helpers, block=True)
            _collect(results, judged, helpers, block=False)
            while shown in judged:
                for verdict in judged.pop(shown):
                    yield verdict
                    if step is not None:
                        step()
                shown += 1
    finally:
        _stop(helpers)


def _claim(claimed: Any, total: int) -> int | None:
    with claimed.get_lock():
        index = int(claimed.value)
        if index >= total:
            return None
        claimed.value = index + 1
        return index


def _collect(results: Any, judged: dict[int, list[Verdict]], helpers: list[Any],
             block: bool) -> None:
    """Take the helpers' finished runs (waiting for one when `block`)."""
    while True:
        try:
            index, found, failure = results.get(timeout=_POLL_S) if block else \
                results.get_nowait()
        except queue.Empty:
            if not block:
                return
            dead = [h for h in helpers if h.exitcode not in (None, 0)]
            if dead or all(h.exitcode is not None for h in helpers):
                # A run claimed by a process that is gone will never come.
                raise SenateError("an audit process died before it finished (out of "
                                  f"memory? exit code {dead[0].exitcode if dead else 0})",
                                  _FIX) from None
            continue
        if failure is not None:
            raise SenateError(f"an audit process failed: {failure}", _FIX)
        judged[index] = found
        block = False


def _stop(helpers: list[Any]) -> None:
    for helper in helpers:
        if helper.is_alive():
            helper.terminate()
    for helper in helpers:
        if helper.pid is not None:
            helper.join()


def _help(path: str, tip: str, chunks: list[list[str]], claimed: Any, results: Any) -> None:
    """A helper process: claim runs and judge them until none is left."""
    from senate.audit import audit_commit
    from senate.git import GitRepo
    from senate.lineage import Mainline

    index = -1
    try:
        git = GitRepo.open(path)
        history = Mainline.of(git, tip)
        while (claim := _claim(claimed, len(chunks))) is not None:
            index = claim
            results.put((index, [audit_commit(git, oid, history) for oid in chunks[index]],
                         None))
    except Exception as exc:  # reported to the caller, which stops the audit
        results.put((index, [], f"{type(exc).__name__}: {exc}"[:500]))
