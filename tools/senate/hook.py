"""Push-time enforcement: which ref updates a governed repository accepts.

`check_push` is what the pre-receive hook runs over the updates git read from the
pusher (before any ref moves, with the pushed objects readable). It returns every
refusal with its reason; one refusal refuses the whole push, so the server stays as it
was. It applies the rulebook every other surface applies:

- main moves only forward, along its first-parent line, and each new first-parent
  commit passes `senate.audit.audit_commit`, the very check `senate audit` replays
  later: a Senate merge re-counted as approved (with every commit it brings in judged
  by senate.branchrules), an archive signed as the rules say, migrations exactly as
  generation writes them, or a commit touching nothing governed;
- a proposal branch must be sound as `senate.branchrules` judges it (the counter would
  block it otherwise), and what it gains may not hold a forged ballot (an unsigned or
  foreign-signed vote or comment: the counter would ignore it; refusing it keeps the
  record clean); it never loses commits, and is deleted only by an archive;
- tags archive/<id> are created only with their record on main naming the same tip, and
  never move or disappear.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from senate.ballots import IgnoreReason
from senate.errors import SenateError
from senate.git import GitRepo
from senate.hooklock import RefUpdate
from senate.lineage import Mainline, trace
from senate.proposals import ARCHIVE_TAG_PREFIX, BRANCH_PREFIX, ProposalRef, main_events

MAIN_REF = "refs/heads/main"
# What makes a vote or comment a forgery or garbage rather than merely not counted.
STRUCTURAL: frozenset[IgnoreReason] = frozenset({
    "unsigned", "bad_signature", "unknown_key", "no_vote_right", "author_mismatch",
    "wrong_proposal", "ambiguous", "not_a_vote", "old_trailer",
})
# How far in the future a new main commit's date may be: an archive "rejected because
# the window closed" must not be dated past the window by its signer.
CLOCK_SKEW = 600


@dataclass(frozen=True)
class Refusal:
    ref: str
    reason: str

    def render(self) -> str:
        return f"senate: refused {self.ref}: {self.reason}"


def check_push(git: GitRepo, updates: list[RefUpdate], now: int | None = None) -> list[Refusal]:
    """Every rule broken by this push (empty: accept it)."""
    by_ref = {u.ref: u for u in updates}
    clock = int(time.time()) if now is None else now
    refusals: list[Refusal] = []
    for update in updates:
        try:
            reasons = _check(git, update, by_ref, clock)
        except SenateError as exc:  # unreadable proposal.json, missing object, ...
            reasons = [exc.message]
        refusals += [Refusal(update.ref, r) for r in reasons]
    return refusals


def _main_after(git: GitRepo, by_ref: dict[str, RefUpdate]) -> str | None:
    u = by_ref.get(MAIN_REF)
    return u.new if u is not None else git.ref_target(MAIN_REF)


def _check(git: GitRepo, u: RefUpdate, by_ref: dict[str, RefUpdate], now: int) -> list[str]:
    if u.ref == MAIN_REF:
        return check_main(git, u, now)
    if u.ref.startswith(BRANCH_PREFIX):
        return check_proposal_branch(git, u, by_ref)
    if u.ref.startswith(ARCHIVE_TAG_PREFIX):
        return check_archive_tag(git, u, by_ref)
    return []


# -- main ------------------------------------------------------------------------------
def check_main(git: GitRepo, u: RefUpdate, now: int) -> list[str]:
    if u.new is None:
        return ["main cannot be deleted"]
    if u.old is None:
        return []  # the first push of the repository establishes it
    history = Mainline.of(git, u.new)
    old_at = history.position(u.old)
    if old_at is None:
        return ["main must move forward along its first-parent line (no rewrite, no "
                "merge of main into another branch pushed as main)"]
    reasons: list[str] = []
    for oid in history.line[old_at + 1 :]:
        reasons += check_main_commit(git, oid, history, now)
    return reasons


def check_main_commit(git: GitRepo, oid: str, history: Mainline, now: int) -> list[str]:
    """A new commit on main is accepted only if `senate audit` would pass it: the same
    rules, checked before the push lands instead of after."""
    from senate.audit import audit_commit
    from senate.rawcommit import parse_commit

    violations, _ = audit_commit(git, oid, history)
    reasons = [f"commit {oid[:12]}: {v.message}" for v in violations]
    raw = parse_commit(git.read_commit(oid) or b"")
    if raw.committer is not None and raw.committer.timestamp > now + CLOCK_SKEW:
        reasons.append(f"commit {oid[:12]} is dated in the future")
    return reasons


# -- proposal branches -------------------------------------------------------------------
def check_proposal_branch(git: GitRepo, u: RefUpdate, by_ref: dict[str, RefUpdate]) -> list[str]:
    from senate.counting import cosign_commits, integrity

    pid = u.ref[len(BRANCH_PREFIX):]
    if u.new is None:
        return _check_deletion(git, pid, u, by_ref)
    main = _main_after(git, by_ref)
    if main is None:
        return [f"there is no main to propose against; push main before proposal/{pid}"]
    event = main_events(git, main).get(pid)
    if event is not None:
        return [f"proposal {pid} is {event.kind}: its branch takes no more commits"]
    history = Mainline.of(git, main)
    lineage = trace(git, u.new, history)
    # A branch only grows along its first-parent chain: votes are never removed.
    if u.old is not None and u.old not in {link.commit for link in lineage.links}:
        return [f"proposal/{pid} cannot be force-pushed or rewritten: {u.old[:12]} is not on "
                "the new tip's first-parent chain; votes are never removed"]
    found = integrity(git, ProposalRef(pid, "branch", u.new, main, lineage))
    reasons = list(found.problems)
    chain = [b.commit for b in found.judgement.ballots]
    fresh = chain[chain.index(u.old) + 1:] if u.old in chain else chain
    new = set(fresh)
    cosigns = set(cosign_commits(git, ProposalRef(pid, "branch", u.new, main, lineage), found))
    for b in found.judgement.ballots:
        if b.commit not in new or b.touches_files or b.commit in cosigns:
            continue
        if b.problem in STRUCTURAL:
            reasons.append(f"{b.kind} commit {b.commit[:12]} is invalid ({b.problem}): "
                           f"{b.detail}")
    return reasons


def _check_deletion(
    git: GitRepo, pid: str, u: RefUpdate, by_ref: dict[str, RefUpdate]
) -> list[str]:
    main = _main_after(git, by_ref)
    event = main_events(git, main).get(pid) if main is not None else None
    tag = by_ref.get(ARCHIVE_TAG_PREFIX + pid)
    tag_target = tag.new if tag is not None else git.ref_target(ARCHIVE_TAG_PREFIX + pid)
    if (event is not None and event.kind == "archived" and event.tip == u.old
            and tag_target is not None and git.resolve(tag_target) == u.old):
        return []
    return [f"proposal/{pid} can only be deleted by `senate archive` (main must hold its "
            f"archive record naming this tip, and tag archive/{pid} must keep it)"]


def check_archive_tag(git: GitRepo, u: RefUpdate, by_ref: dict[str, RefUpdate]) -> list[str]:
    if u.old is not None:
        return ["archive tags are immutable: they cannot be moved or deleted"]
    pid = u.ref[len(ARCHIVE_TAG_PREFIX):]
    main = _main_after(git, by_ref)
    event = main_events(git, main).get(pid) if main is not None else None
    if event is None or event.kind != "archived" or u.new is None or (
            event.tip != git.resolve(u.new)):
        return [f"tag archive/{pid} needs its archive record on main naming the same tip "
                "(push it with `senate archive`)"]
    return []
