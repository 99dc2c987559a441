"""`senate audit --jobs N`: commits judged in several processes give the very report a
serial audit gives, violations included, in the line's order."""

from __future__ import annotations

import multiprocessing
import os
import struct
from pathlib import Path
from typing import Any

import pytest
from conftest import Governed, open_add_field
from test_audit import craft_merge, direct_schema_commit, good_history
from test_merge import approve
from votekit import git

import senate.auditpool
from senate.audit import audit
from senate.auditpool import PARALLEL_FROM, _claim, _collect, _Gone, _help, default_jobs
from senate.errors import NotFoundError, SenateError


def forged_history(cli: Any, g: Governed) -> None:
    """Honest merges with three kinds of forgery between them."""
    good_history(cli, g)
    direct_schema_commit(g)
    pid = open_add_field(cli, g, "short_vote")
    approve(g, pid, "alice")  # 1 of 2 needed
    craft_merge(g, pid)
    pid = open_add_field(cli, g, "renamed_rule")
    approve(g, pid, "alice", "bob")
    craft_merge(g, pid, edit=lambda m: m.replace("two_thirds", "unanimous"))
    pid = open_add_field(cli, g, "honest_one")
    approve(g, pid, "alice", "bob")
    git(g.path, "reset", "-q", "--hard", "main")  # the forged commits moved main alone
    assert cli("--repo", g.path, "merge", pid).code == 0


@pytest.mark.parametrize(("jobs", "caller_judges"), [(2, True), (3, True), (2, False)])
def test_the_same_report_from_several_processes(
        governed: Governed, cli: Any, monkeypatch: pytest.MonkeyPatch, jobs: int,
        caller_judges: bool) -> None:
    forged_history(cli, governed)
    serial = audit(governed.git, jobs=1).to_json()
    assert [v["kind"] for v in serial["violations"]] == [
        "direct_change", "not_approved", "tampered_trailer"]
    monkeypatch.setattr(senate.auditpool, "CHUNK", 2)  # several runs on a short line
    # False: every run judged in the spawned processes, none by this one
    monkeypatch.setattr(senate.auditpool, "CALLER_JUDGES", caller_judges)
    steps: list[int] = []
    parallel = audit(governed.git, step=lambda: steps.append(1), jobs=jobs).to_json()
    assert parallel == serial
    assert len(steps) == serial["commits"] - 1  # one step per commit judged


def test_cli_jobs_option(governed: Governed, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    forged_history(cli, governed)
    monkeypatch.setattr(senate.auditpool, "CHUNK", 3)
    one = cli("--repo", governed.path, "audit", "--json", "--jobs", "1")
    two = cli("--repo", governed.path, "audit", "--json", "--jobs", "2")
    assert one.code == two.code == 1 and one.json() == two.json()
    bad = cli("--repo", governed.path, "audit", "--jobs", "0")
    assert bad.code == 2 and "--jobs" in bad.err and "Traceback" not in bad.err


def test_one_process_for_a_short_history() -> None:
    assert default_jobs(PARALLEL_FROM - 1) == 1
    assert default_jobs(10 * PARALLEL_FROM) >= 1


def _die_mid_message(send: Any) -> None:
    # A message announced as 1 MB, cut short by the process's death (the OOM killer).
    os.write(send.fileno(), struct.pack("!i", 1_000_000) + b"x" * 100)
    os._exit(9)


def _die_holding_the_lock(claimed: Any) -> None:
    claimed.get_lock().acquire()
    os._exit(9)


def test_a_helper_that_fails_reports_the_error_a_serial_audit_raises(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    _help(str(tmp_path / "nowhere"), "0" * 40, [["0" * 40]], ctx.Value("i", 0), send,
          os.getppid())
    index, found, error = receive.recv()
    assert (index, found) == (-1, []) and isinstance(error, NotFoundError)
    assert "is not a git repository" in error.message and error.hint  # hint kept
    assert receive.recv() is None  # then: done


def test_a_helper_dying_mid_message_is_an_error_not_a_wait() -> None:
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    dying = ctx.Process(target=_die_mid_message, args=(send,))
    dying.start()
    send.close()  # as verdicts() does: only the helper holds the sending end
    with pytest.raises(SenateError, match="died before it finished") as caught:
        _collect({receive: dying}, {}, block=True)
    assert caught.value.hint == "run `senate audit --jobs 1`"


def test_a_helper_dying_with_the_claim_lock_held_is_an_error_not_a_wait() -> None:
    ctx = multiprocessing.get_context("spawn")
    claimed: Any = ctx.Value("i", 0)
    dying = ctx.Process(target=_die_holding_the_lock, args=(claimed,))
    dying.start()
    dying.join()
    assert dying.exitcode == 9
    with pytest.raises(_Gone):
        _claim(claimed, 10, lambda: dying.exitcode not in (None, 0))
