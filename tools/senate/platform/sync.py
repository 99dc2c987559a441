"""`senate sync`: project the repository's proposals and votes into the platform database.

Git stays the source of truth; the database is a view recomputed from it. A sync is one
transaction, idempotent (a second run finds nothing to do) and incremental: a proposal is
counted again only when its refs moved, when main moved and it is not final yet, or when
its voting window closed since it was last counted.
"""

from __future__ import annotations

import hashlib
import time as _time
from dataclasses import dataclass, field
from typing import Any

from senate.counting import count
from senate.errors import SenateError
from senate.git import GitRepo
from senate.migrate.db import connect
from senate.platform.rows import (
    Archive,
    ProposalRow,
    VoteRow,
    event_for,
    opened_at,
    proposal_row,
    vote_rows,
)
from senate.platform.store import Seen, read_state, transaction
from senate.proposal import ARCHIVE_DIR
from senate.proposals import (
    ARCHIVE_TAG_PREFIX,
    BRANCH_PREFIX,
    all_proposal_ids,
    main_tip,
    policy_at,
)
from senate.trailers import parse_trailers

FORMAT = "1"  # bump when the rows a count produces change meaning: every proposal recounts
FINAL = ("merged", "archived")


@dataclass(frozen=True)
class SyncReport:
    counted: tuple[str, ...]
    unchanged: int
    removed: tuple[str, ...]
    events: tuple[dict[str, Any], ...]
    skipped: tuple[tuple[str, str], ...] = ()
    created_tables: bool = False
    dialect: str = "sqlite"
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "dialect": self.dialect,
            "counted": list(self.counted),
            "unchanged": self.unchanged,
            "removed": list(self.removed),
            "events": list(self.events),
            "skipped": [{"proposal": p, "error": e} for p, e in self.skipped],
            "created_tables": self.created_tables,
        }

    def render(self) -> str:
        lines = [f"synced {len(self.counted)} proposal(s), {self.unchanged} unchanged, "
                 f"{len(self.removed)} removed ({self.dialect})"]
        if self.created_tables:
            lines.append("created Senate's tables (the baseline migration had not)")
        lines += [f"  {e['event']:<9} {e['proposal']}" for e in self.events]
        lines += [f"  SKIPPED   {p}: {e}" for p, e in self.skipped]
        return "\n".join(lines)


def fingerprint(branch_tip: str | None, tag_tip: str | None) -> str:
    text = f"{FORMAT}\0{branch_tip or ''}\0{tag_tip or ''}"
    return hashlib.sha256(text.encode()).hexdigest()


def needs_count(seen: Seen | None, mark: str, main: str, now: int) -> bool:
    """Whether a proposal's row may be out of date (pure: table-tested)."""
    if seen is None or seen.fingerprint != mark:
        return True
    if seen.final:
        return False  # a merge or an archive on main is history: it cannot change
    if seen.main_tip != main:
        return True  # the roster, the base or the merge status may have changed
    return seen.deadline is not None and now > seen.deadline


def archive_record(git: GitRepo, commit: str, proposal_id: str) -> Archive:
    """How the archive commit on main recorded the proposal: its kind and reason."""
    trailers = {t.key.lower(): t.value for t in parse_trailers(git.commit_message(commit))}
    reason = git.read_file(commit, f"{ARCHIVE_DIR}/{proposal_id}/reason.txt")
    return Archive(commit, git.commit_time(commit), trailers.get("senate-archive-reason"),
                   reason.decode("utf-8", "replace").strip() if reason else None)


@dataclass(frozen=True)
class Projected:
    """One proposal counted: its row, its votes, the state to record."""

    row: ProposalRow
    votes: list[VoteRow]
    seen: Seen


def project(git: GitRepo, pid: str, main: str, mark: str, window: int | None,
            now: int) -> Projected:
    c = count(git, pid, now=now)
    opened = opened_at(c)
    window_end = opened + window * 3600 if window and opened is not None else None
    merge_time = git.commit_time(c.ref.merge_commit) if c.ref.merge_commit else None
    archive = (archive_record(git, c.ref.archive_commit, pid)
               if c.ref.archive_commit is not None else None)
    row = proposal_row(c, merge_time, archive, window_end)
    deadline = window_end if row.status == "open" else None
    return Projected(row, vote_rows(c), Seen(mark, main, row.status in FINAL, deadline))


def sync(git: GitRepo, url: str, now: int | None = None) -> SyncReport:
    started = _time.perf_counter()
    now = int(_time.time()) if now is None else now
    main = main_tip(git)
    policy = policy_at(git, main)
    window = policy.rules.voting_window_hours
    ids = all_proposal_ids(git)
    branches = git.refs(BRANCH_PREFIX)
    tags = git.refs(ARCHIVE_TAG_PREFIX)
    marks = {pid: fingerprint(branches.get(BRANCH_PREFIX + pid), tags.get(ARCHIVE_TAG_PREFIX + pid))
             for pid in ids}
    done: dict[str, Projected | str] = {}  # a projection, or why the proposal was skipped

    def projected(pid: str) -> Projected | str:
        if pid not in done:
            try:
                done[pid] = project(git, pid, main, marks[pid], window, now)
            except SenateError as exc:
                # One unreadable proposal (anyone can push a branch) must not stop the
                # platform's view of all the others; it leaves the view until fixed.
                done[pid] = exc.message
        return done[pid]

    db = connect(url)
    counted: list[str] = []
    skipped: list[tuple[str, str]] = []
    events: list[dict[str, Any]] = []
    try:
        # Count first, from a snapshot of the state, without holding the write lock (a
        # first sync of a large repository counts for a while; the platform keeps writing).
        snapshot = read_state(db, policy.storage)
        for pid in ids:
            if needs_count(snapshot.get(pid), marks[pid], main, now):
                projected(pid)
        with transaction(db, policy.storage) as store:
            created = store.ensure_tables()
            seen = store.seen()  # under the lock: another sync may have written meanwhile
            statuses = store.statuses()
            removed = sorted(set(seen) - set(ids))
            for pid in removed:
                store.forget(pid)
            todo = [pid for pid in ids if needs_count(seen.get(pid), marks[pid], main, now)]
            for pid in todo:
                result = projected(pid)
                if isinstance(result, str):
                    skipped.append((pid, result))
                    store.forget(pid)
                    continue
                store.write(result.row, result.votes, result.seen)
                event = event_for(statuses.get(pid), result.row)
                if event is not None:
                    store.announce(event)
                    events.append(event)
                counted.append(pid)
    finally:
        db.close()
    return SyncReport(tuple(counted), len(ids) - len(todo), tuple(removed), tuple(events),
                      tuple(skipped), created, db.dialect,
                      _time.perf_counter() - started)
