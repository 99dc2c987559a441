"""The hook's serialization helpers: update parsing, stale detection, the fair queue."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from senate import hooklock
from senate.hooklock import (
    RefUpdate,
    leave_queue,
    parse_updates,
    push_ticket,
    queue_position,
    stale_updates,
)

ZERO = "0" * 40


def test_parse_updates_maps_zero_to_none() -> None:
    a, b = "a" * 40, "b" * 40
    text = f"{ZERO} {a} refs/heads/new\n{a} {b} refs/heads/main\n{b} {ZERO} refs/tags/x\n\n"
    assert parse_updates(text) == [
        RefUpdate(None, a, "refs/heads/new"),
        RefUpdate(a, b, "refs/heads/main"),
        RefUpdate(b, None, "refs/tags/x"),
    ]


def test_push_ticket_from_git_push_options() -> None:
    env = {"GIT_PUSH_OPTION_COUNT": "2", "GIT_PUSH_OPTION_0": "ci.skip",
           "GIT_PUSH_OPTION_1": "senate-ticket=abc123"}
    assert push_ticket(env) == "abc123"
    assert push_ticket({"GIT_PUSH_OPTION_COUNT": "1",
                        "GIT_PUSH_OPTION_0": "senate-ticket=../x"}) is None
    assert push_ticket({}) is None


def test_stale_updates_compare_with_the_refs_git_sees(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path)], check=True)
    blob = subprocess.run(["git", "--git-dir", str(tmp_path), "hash-object", "-w", "--stdin"],
                          input=b"x", capture_output=True, check=True).stdout.decode().strip()
    tree = subprocess.run(["git", "--git-dir", str(tmp_path), "mktree"],
                          input=f"100644 blob {blob}\tf\n".encode(), capture_output=True,
                          check=True).stdout.decode().strip()
    commit = subprocess.run(["git", "--git-dir", str(tmp_path), "commit-tree", tree, "-m", "c"],
                            capture_output=True, check=True, env={
                                "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x",
                                "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@x",
                            }).stdout.decode().strip()
    subprocess.run(["git", "--git-dir", str(tmp_path), "update-ref", "refs/heads/main", commit],
                   check=True)
    fresh = RefUpdate(commit, "b" * 40, "refs/heads/main")
    late = RefUpdate("c" * 40, "b" * 40, "refs/heads/main")
    created = RefUpdate(None, "b" * 40, "refs/heads/proposal/x")
    taken = RefUpdate(None, "b" * 40, "refs/heads/main")
    assert stale_updates(tmp_path, [fresh, late, created, taken]) == [
        (late, commit), (taken, commit)]


def test_queue_serves_the_longest_waiting_first(tmp_path: Path) -> None:
    # Nobody waits: a fresh push goes straight through and is not queued.
    assert queue_position(tmp_path, "new", lost_race=False) == 0
    assert not (tmp_path / hooklock.QUEUE_FILE).read_text()
    # a and b lose races, in that order; c arrives fresh and must wait behind them.
    assert queue_position(tmp_path, "a", lost_race=True) == 0
    assert queue_position(tmp_path, "b", lost_race=True) == 1
    assert queue_position(tmp_path, "c", lost_race=False) == 2
    assert queue_position(tmp_path, "b", lost_race=False) == 1
    leave_queue(tmp_path, "a")  # a's push was checked: its turn is over
    assert queue_position(tmp_path, "b", lost_race=False) == 0
    assert queue_position(tmp_path, "c", lost_race=False) == 1


def test_queue_forgets_agents_that_went_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert queue_position(tmp_path, "gone", lost_race=True) == 0
    later = time.time() + hooklock.QUEUE_EXPIRY + 1
    monkeypatch.setattr(hooklock.time, "time", lambda: later)
    assert queue_position(tmp_path, "next", lost_race=False) == 0


def test_hook_install_keeps_a_foreign_hook_unless_forced(
    tmp_path: Path, cli: Any
) -> None:
    bare = tmp_path / "b.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nexit 0\n")
    result = cli("hook", "install", bare)
    assert result.code == 2 and "was not installed by senate" in result.err
    assert hook.read_text() == "#!/bin/sh\nexit 0\n"
    assert cli("hook", "install", bare, "--force").code == 0
    assert "-m senate hook check" in hook.read_text()
    assert cli("hook", "install", bare).code == 0  # ours: replaced without --force
    config = subprocess.run(["git", "--git-dir", str(bare), "config",
                             "receive.advertisePushOptions"], capture_output=True, text=True)
    assert config.stdout.strip() == "true"


def test_a_pending_update_that_never_lands_stalls_only_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path)], check=True)
    hooklock.record_pending(tmp_path, [RefUpdate(None, "b" * 40, "refs/heads/main")])
    monkeypatch.setattr(hooklock, "LAND_WAIT", 0.05)
    hooklock.wait_for_pending(tmp_path)  # main never appears: waits, then forgets it
    assert not (tmp_path / hooklock.PENDING_FILE).exists()
