"""`senate audit --jobs N`: commits judged in several processes give the very report a
serial audit gives, violations included, in the line's order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Governed, open_add_field
from test_audit import craft_merge, direct_schema_commit, good_history
from test_merge import approve
from votekit import git

import senate.auditpool
from senate.audit import audit
from senate.auditpool import PARALLEL_FROM, default_jobs


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


def test_a_helper_that_fails_or_dies_stops_the_audit_with_a_reason(tmp_path: Path) -> None:
    import multiprocessing
    import os

    from senate.auditpool import _collect, _help
    from senate.errors import SenateError

    ctx = multiprocessing.get_context("spawn")
    results: Any = ctx.Queue()
    claimed: Any = ctx.Value("i", 0)
    # A helper that cannot open the repository reports why, and the caller says so.
    _help(str(tmp_path / "nowhere"), "0" * 40, [["0" * 40]], claimed, results)
    with pytest.raises(SenateError, match="an audit process failed: NotFoundError"):
        _collect(results, {}, [], block=True)
    # A helper that died (here: aborted) will never send the run it claimed.
    dead = ctx.Process(target=os.abort)
    dead.start()
    dead.join()
    with pytest.raises(SenateError, match="died before it finished") as caught:
        _collect(ctx.Queue(), {}, [dead], block=True)
    assert caught.value.hint == "run `senate audit --jobs 1`"
