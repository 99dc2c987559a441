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
Each helper answers on a pipe of its own whose sending end only it holds, so a helper
that dies, even half-way through a message, is an end of file, never a wait for ever; an
error is raised when the line reaches its run, so the first one in line order is the one
reported, as in a serial audit.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
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
_POLL_S = 0.5  # how often a process waiting on another looks whether it is still there
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


class _Failed:
    """A run that raised: re-raised when the line reaches it."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def verdicts(git: GitRepo, history: Mainline, oids: list[str], jobs: int) -> Iterator[Verdict]:
    """(violations, proposal) of each of `oids`, in order."""
    from senate.audit import audit_commit

    chunks = [oids[i:i + CHUNK] for i in range(0, len(oids), CHUNK)]
    jobs = min(jobs, len(chunks))
    if jobs <= 1:
        yield from (audit_commit(git, oid, history) for oid in oids)
        return
    ctx = multiprocessing.get_context("spawn")
    claimed: Any = ctx.Value("i", 0)  # the next run nobody has claimed
    helpers: list[Any] = []
    pipes: dict[Any, Any] = {}  # receiving end -> its helper, while it may still send
    try:
        for _ in range(jobs - 1):
            receive, send = ctx.Pipe(duplex=False)
            pipes[receive] = helper = ctx.Process(target=_help, daemon=True, args=(
                str(git.path), history.tip, chunks, claimed, send, os.getpid()))
            try:
                helper.start()
            finally:
                send.close()  # only the helper holds it now: its exit is our end of file
            helpers.append(helper)
    except OSError as exc:
        _stop(helpers, pipes)
        raise SenateError(f"cannot start the audit's processes: {exc}", _FIX) from exc
    judged: dict[int, list[Verdict] | _Failed] = {}
    shown = 0
    try:
        while shown < len(chunks):
            try:
                mine = _claim(claimed, len(chunks), lambda: any(
                    h.exitcode not in (None, 0) for h in helpers)) if CALLER_JUDGES else None
            except _Gone:
                raise SenateError("an audit process died while claiming work", _FIX) from None
            if mine is not None:
                try:
                    judged[mine] = [audit_commit(git, oid, history) for oid in chunks[mine]]
                except Exception as exc:  # raised in line order, below
                    judged[mine] = _Failed(exc)
            elif shown not in judged:
                if not pipes:
                    raise SenateError("an audit process ended without sending all it "
                                      "claimed", _FIX)
                _collect(pipes, judged, block=True)
            _collect(pipes, judged, block=False)
            while shown in judged:
                found = judged.pop(shown)
                if isinstance(found, _Failed):
                    raise found.error
                yield from found
                shown += 1
    finally:
        _stop(helpers, pipes)


class _Gone(Exception):
    """The process this one waits on is gone."""


def _claim(claimed: Any, total: int, gone: Callable[[], bool]) -> int | None:
    """The next unclaimed run (None: none is left). A process that died holding the
    counter's lock would hold it for ever, so a wait for it looks whether `gone()`."""
    lock = claimed.get_lock()
    while not lock.acquire(timeout=_POLL_S):
        if gone():
            raise _Gone
    try:
        index = int(claimed.value)
        if index >= total:
            return None
        claimed.value = index + 1
        return index
    finally:
        lock.release()


def _collect(pipes: dict[Any, Any], judged: dict[int, list[Verdict] | _Failed],
             block: bool) -> None:
    """Take what the helpers sent (waiting for something when `block`)."""
    while pipes:
        ready = wait(list(pipes), timeout=None if block else 0)
        if not ready:
            return
        for receive in ready:
            assert isinstance(receive, Connection)
            try:
                message: Any = receive.recv()
            except (EOFError, OSError):  # gone without saying it was done: it died
                helper = pipes.pop(receive)
                helper.join()
                raise SenateError("an audit process died before it finished (out of "
                                  f"memory? exit code {helper.exitcode})", _FIX) from None
            if message is None:  # done: nothing more will come on this pipe
                pipes.pop(receive).join()
                continue
            index, found, failure = message
            judged[index] = found if failure is None else _Failed(failure)
        block = False


def _stop(helpers: list[Any], pipes: dict[Any, Any]) -> None:
    for helper in helpers:
        if helper.is_alive():
            helper.terminate()
    for helper in helpers:
        helper.join()
    for receive in pipes:
        receive.close()


def _help(path: str, tip: str, chunks: list[list[str]], claimed: Any, send: Any,
          caller: int) -> None:
    """A helper process: claim runs and judge them until none is left, then say done."""
    from senate.audit import audit_commit
    from senate.git import GitRepo
    from senate.lineage import Mainline

    index = -1
    try:
        git = GitRepo.open(path)
        history = Mainline.of(git, tip)
        while (claim := _claim(claimed, len(chunks), lambda: os.getppid() != caller)) \
                is not None:
            index = claim
            send.send((index, [audit_commit(git, oid, history) for oid in chunks[index]],
                       None))
    except _Gone:  # the caller is gone: nobody is waiting for the rest
        return
    except SenateError as exc:  # the very error a serial audit would raise there
        send.send((index, [], exc))
    except Exception as exc:  # a fault of Senate's: reported with where it happened
        send.send((index, [], SenateError(
            f"an audit process failed on run {index}: {type(exc).__name__}: {exc}"[:500],
            _FIX)))
    send.send(None)
    send.close()
