"""`senate sync` on real SQLite and real PostgreSQL: proposals and votes, derived from git."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from conftest import Governed, open_add_field
from migkit import db_url, dump, generate, pg_url, sql
from votekit import vote

from senate.counting import count
from senate.platform.rows import count_view
from senate.platform.store import Seen
from senate.platform.sync import needs_count

FIXTURES = (db_url, pg_url)


def current(g: Governed, pid: str) -> str:
    content: str = count_view(count(g.git, pid))["content_id"]
    return content


def sync(cli: Any, g: Governed, url: str) -> dict[str, Any]:
    result = cli("--repo", g.path, "sync", "--db", url, "--json")
    assert result.code == 0, result.out + result.err
    data: dict[str, Any] = result.json()
    return data


def proposal(url: str, pid: str) -> dict[str, Any]:
    cols = ("status", "approvals", "required", "rule", "merge_commit", "tip", "content_id",
            "proposer", "change_type", "field", "field_spec", "claimed_backward_compatible",
            "computed_backward_compatible", "decided_at", "opened_at")
    (row,) = sql(url, f"SELECT {', '.join(cols)} FROM senate_proposals WHERE id = ?", (pid,))
    return dict(zip(cols, row, strict=True))


def votes(url: str, pid: str) -> list[tuple[Any, ...]]:
    rows = sql(url, "SELECT agent, vote, commit_id, counted, not_counted_reason, reasoning "
               "FROM senate_votes WHERE proposal_id = ? ORDER BY cast_at, commit_id", (pid,))
    return [(a, v, c, bool(k), r, t) for a, v, c, k, r, t in rows]


def test_sync_twice_equals_sync_once(cli: Any, governed: Governed, db_url: str) -> None:
    g, url = governed, db_url
    pid = open_add_field(cli, g)
    vote(g, pid, "alice", "approve", reason="needed for the power analysis")
    first = sync(cli, g, url)
    assert first["counted"] == [pid] and [e["event"] for e in first["events"]] == ["opened"]
    once = dump(url)
    second = sync(cli, g, url)
    assert second["counted"] == [] and second["unchanged"] == 1 and second["events"] == []
    assert dump(url) == once
    row = proposal(url, pid)
    assert (row["status"], row["approvals"], row["required"], row["rule"]) == (
        "open", 1, 2, "two_thirds")
    assert row["proposer"] == "alice" and row["change_type"] == "add_field"
    assert row["field"] == "statistical_power"
    spec = row["field_spec"] if isinstance(row["field_spec"], dict) else json.loads(
        row["field_spec"])
    assert spec == {"type": "number", "minimum": 0, "maximum": 1}
    assert bool(row["claimed_backward_compatible"]) and bool(row["computed_backward_compatible"])
    assert row["tip"] == g.git.resolve(f"proposal/{pid}")
    assert row["content_id"] == current(g, pid)
    assert row["decided_at"] is None and row["opened_at"] is not None


def test_vote_between_two_syncs_appears_with_its_counted_flag(
    cli: Any, governed: Governed, db_url: str
) -> None:
    g, url = governed, db_url
    pid = open_add_field(cli, g)
    a = vote(g, pid, "alice", "approve")
    sync(cli, g, url)
    assert [v[:4] for v in votes(url, pid)] == [("alice", "approve", a, True)]
    stale = vote(g, pid, "bob", "approve", pin="0" * len(current(g, pid)),
                 reason="pinned to another content")
    b = vote(g, pid, "bob", "reject", reason="the power is not defined for every design")
    data = sync(cli, g, url)
    assert data["counted"] == [pid] and data["events"] == []
    rows = {v[2]: v for v in votes(url, pid)}
    assert rows[a][3] is True and rows[b][:4] == ("bob", "reject", b, True)
    assert rows[b][5] == "the power is not defined for every design"
    assert rows[stale][3] is False and rows[stale][4] == "stale"
    assert proposal(url, pid)["approvals"] == 1


def test_approval_then_merge_moves_the_row_to_merged(
    cli: Any, governed: Governed, db_url: str
) -> None:
    g, url = governed, db_url
    pid = open_add_field(cli, g)
    sync(cli, g, url)
    vote(g, pid, "alice", "approve")
    vote(g, pid, "bob", "approve")
    approved = sync(cli, g, url)
    assert [(e["event"], e["previous"]) for e in approved["events"]] == [("approved", "open")]
    assert proposal(url, pid)["status"] == "approved"
    assert proposal(url, pid)["decided_at"] is not None
    merged = cli("--repo", g.path, "merge", pid, "--json")
    assert merged.code == 0, merged.out
    commit = merged.json()["commit"]
    data = sync(cli, g, url)
    assert [(e["event"], e["merge_commit"]) for e in data["events"]] == [("merged", commit)]
    row = proposal(url, pid)
    assert (row["status"], row["merge_commit"]) == ("merged", commit)
    # Generation moves main again; a merged proposal is final and is not recounted.
    generate(cli, g)
    assert sync(cli, g, url)["counted"] == []


def test_events_table_on_sqlite_records_every_status_change(
    cli: Any, governed: Governed, tmp_path: Any
) -> None:
    g, url = governed, f"sqlite:///{tmp_path / 'p.db'}"
    pid = open_add_field(cli, g)
    sync(cli, g, url)
    for agent in ("alice", "bob"):
        vote(g, pid, agent, "approve")
    sync(cli, g, url)
    assert cli("--repo", g.path, "merge", pid).code == 0
    sync(cli, g, url)
    rows = sql(url, "SELECT event, proposal_id, payload FROM senate_events ORDER BY seq")
    assert [(e, p) for e, p, _ in rows] == [("opened", pid), ("approved", pid), ("merged", pid)]
    assert json.loads(rows[1][2])["approvals"] == 2


def test_archived_proposal_keeps_kind_and_reason(cli: Any, governed: Governed,
                                                 db_url: str) -> None:
    g, url = governed, db_url
    pid = open_add_field(cli, g)
    sync(cli, g, url)
    for agent in ("alice", "bob"):
        vote(g, pid, agent, "reject")
    result = cli("--repo", g.path, "archive", pid, "--reason", "power is design-specific",
                 "--key", g.keys["carol"].private)
    assert result.code == 0, result.out + result.err
    data = sync(cli, g, url)
    assert [e["event"] for e in data["events"]] == ["archived"]
    (row,) = sql(url, "SELECT status, archive_kind, archive_reason FROM senate_proposals")
    assert row == ("archived", "rejected", "power is design-specific")


def test_listen_receives_the_approval_event(cli: Any, governed: Governed, pg_url: str) -> None:
    import psycopg

    g = governed
    pid = open_add_field(cli, g)
    sync(cli, g, pg_url)
    listener = psycopg.connect(pg_url, autocommit=True)
    try:
        listener.execute("LISTEN senate_events")
        for agent in ("alice", "bob"):
            vote(g, pid, agent, "approve")
        sync(cli, g, pg_url)
        received = [json.loads(n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
    finally:
        listener.close()
    assert len(received) == 1
    event = received[0]
    assert (event["event"], event["proposal"], event["previous"]) == ("approved", pid, "open")
    assert (event["approvals"], event["required"]) == (2, 2)
    assert event["tip"] == g.git.resolve(f"proposal/{pid}")


def test_deleted_branch_leaves_the_view(cli: Any, governed: Governed, db_url: str) -> None:
    g, url = governed, db_url
    pid = open_add_field(cli, g)
    vote(g, pid, "alice", "approve")
    sync(cli, g, url)
    g.git.delete_ref(f"refs/heads/proposal/{pid}", g.git.resolve(f"proposal/{pid}"))
    assert sync(cli, g, url)["removed"] == [pid]
    assert sql(url, "SELECT count(*) FROM senate_votes") == [(0,)]
    assert sql(url, "SELECT count(*) FROM senate_proposals") == [(0,)]


def test_configured_table_names(cli: Any, governed: Governed, tmp_path: Any) -> None:
    from migkit import commit_on_main

    g = governed
    text = (g.path / "senate.toml").read_text()
    for key, name in (("proposals_table", "gov_proposals"), ("votes_table", "gov_votes"),
                      ("events_table", "gov_events"), ("sync_table", "gov_sync")):
        text, n = re.subn(rf'^{key} = ".*"$', f'{key} = "{name}"', text, flags=re.M)
        assert n == 1
    commit_on_main(g, {"senate.toml": text.encode()}, "storage names\n")
    pid = open_add_field(cli, g)
    url = f"sqlite:///{tmp_path / 'p.db'}"
    sync(cli, g, url)
    assert sql(url, "SELECT id FROM gov_proposals") == [(pid,)]
    assert sql(url, "SELECT event FROM gov_events") == [("opened",)]


def test_baseline_migration_creates_the_tables(cli: Any, governed: Governed,
                                               db_url: str) -> None:
    g, url = governed, db_url
    generate(cli, g)
    assert cli("--repo", g.path, "migrate", "apply", "--db", url).code == 0
    open_add_field(cli, g)
    assert sync(cli, g, url)["created_tables"] is False


def test_bad_dsn_is_a_clear_error(cli: Any, governed: Governed) -> None:
    result = cli("--repo", governed.path, "sync", "--db", "mysql://x", "--json")
    assert result.code == 2 and "unsupported database URL" in result.json()["error"]["message"]


def test_unreadable_proposal_is_skipped_not_fatal(cli: Any, governed: Governed,
                                                  tmp_path: Any) -> None:
    from votekit import make_commit

    g, url = governed, f"sqlite:///{tmp_path / 'p.db'}"
    good = open_add_field(cli, g)
    main = g.git.resolve("main")
    bad = make_commit(g, main, "junk\n", signer="bob",
                      changes={"proposals/0099-junk/proposal.json": b"{not json"})
    g.git.create_ref("refs/heads/proposal/0099-junk", bad)
    data = sync(cli, g, url)
    assert data["counted"] == [good]
    assert [s["proposal"] for s in data["skipped"]] == ["0099-junk"]
    assert sql(url, "SELECT id FROM senate_proposals") == [(good,)]


def test_forged_and_foreign_votes_are_rows_that_do_not_count(
    cli: Any, governed: Governed, db_url: str
) -> None:
    g, url = governed, db_url
    pid = open_add_field(cli, g)
    dave = vote(g, pid, "dave", "approve")  # dave's key is not on the roster
    posing = vote(g, pid, "carol", "approve",  # carol's key, authored as bob
                  author=("bob", "bob@agents.invalid"))
    sync(cli, g, url)
    rows = {v[2]: v for v in votes(url, pid)}
    assert rows[dave][3] is False and rows[dave][4] == "unknown_key"
    assert rows[posing][3] is False and rows[posing][4] == "author_mismatch"
    assert proposal(url, pid)["approvals"] == 0


def test_agent_written_text_is_data_not_sql(cli: Any, governed: Governed,
                                            db_url: str) -> None:
    g, url = governed, db_url
    pid = open_add_field(cli, g)
    evil = "x'); DROP TABLE senate_votes; -- " + '"; SELECT pg_sleep(5); $$ \\'
    vote(g, pid, "alice", "approve", reason=evil)
    sync(cli, g, url)
    (row,) = votes(url, pid)
    assert row[5] == evil


def test_concurrent_syncs_write_once(cli: Any, governed: Governed, db_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from senate.git import GitRepo
    from senate.platform.sync import sync as run_sync

    g, url = governed, db_url
    pids = [open_add_field(cli, g, f"field_{i}") for i in range(3)]
    sync(cli, g, url)  # the tables exist; now three new votes and two syncs at once
    for pid in pids:
        vote(g, pid, "alice", "approve")
        vote(g, pid, "bob", "approve")
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: run_sync(GitRepo.open(g.path), url), range(2)))
    events = [e["event"] for r in reports for e in r.events]
    assert events == ["approved"] * 3  # announced once each, by whichever sync wrote it
    assert sorted(p for r in reports for p in r.counted) == sorted(pids)
    assert {proposal(url, p)["status"] for p in pids} == {"approved"}


S = Seen("f", "m", False, None)


@pytest.mark.parametrize(("seen", "mark", "main", "now", "expected"), [
    (None, "f", "m", 0, True),
    (S, "g", "m", 0, True),
    (S, "f", "m", 0, False),
    (S, "f", "m2", 0, True),
    (Seen("f", "m", True, None), "f", "m2", 0, False),
    (Seen("f", "m", False, 100), "f", "m", 100, False),
    (Seen("f", "m", False, 100), "f", "m", 101, True),
])
def test_needs_count(seen: Seen | None, mark: str, main: str, now: int,
                     expected: bool) -> None:
    assert needs_count(seen, mark, main, now) is expected


def view(status: str, approve: int = 0, not_voted: int = 0, required: int = 2,
         commits: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"status": status, "approve": approve, "not_voted": ["x"] * not_voted,
            "required": required, "counted": [{"commit": c} for c in commits]}


@pytest.mark.parametrize(("v", "merge", "window_end", "expected"), [
    (view("open", commits=("a",)), None, None, None),
    (view("approved", 2, commits=("a", "b")), None, 500, 200),  # the last counted vote
    (view("merged"), 900, None, 900),
    (view("rejected", 0, 0, commits=("a", "b")), None, 500, 200),  # out of votes
    (view("rejected", 1, 1, commits=("a",)), None, 500, 500),  # out of time
    (view("rejected", 0, 1, commits=("a",)), None, None, 100),
])
def test_decided_at(v: dict[str, Any], merge: int | None, window_end: int | None,
                    expected: int | None) -> None:
    from senate.platform.rows import decided_at

    times = {"a": 100, "b": 200}
    assert decided_at(v, times, merge, None, window_end) == expected


def test_voting_window_closing_between_syncs(cli: Any, governed: Governed,
                                             db_url: str) -> None:
    import time

    from migkit import commit_on_main

    from senate.platform.sync import sync as run_sync

    g, url = governed, db_url
    text = (g.path / "senate.toml").read_text().replace(
        "# voting_window_hours = 168", "voting_window_hours = 1")
    commit_on_main(g, {"senate.toml": text.encode()}, "one hour to vote\n")
    pid = open_add_field(cli, g)
    vote(g, pid, "alice", "approve")
    now = int(time.time())
    assert [e["event"] for e in run_sync(g.git, url, now=now).events] == ["opened"]
    assert run_sync(g.git, url, now=now + 60).counted == ()  # nothing moved, window open
    late = run_sync(g.git, url, now=now + 2 * 3600)
    assert late.counted == (pid,)
    assert [(e["event"], e["previous"]) for e in late.events] == [("rejected", "open")]
    row = proposal(url, pid)
    assert row["status"] == "rejected" and row["decided_at"] is not None
    assert run_sync(g.git, url, now=now + 3 * 3600).counted == ()  # rejected: no deadline
