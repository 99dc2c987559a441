"""Where proposals live in git, and how their state is found.

A proposal is open on `refs/heads/proposal/<id>`; once merged its folder is on main and
a merge commit names it; once archived it has `proposals/archive/<id>/` on main and a tag
`archive/<id>` keeping its history reachable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from senate.errors import NotFoundError
from senate.git import GitRepo
from senate.git.repo import MAIN
from senate.lineage import Lineage, Mainline, trace
from senate.policy import POLICY_FILE, Policy, parse_policy
from senate.proposal import ARCHIVE_DIR, PROPOSALS_DIR, ProposalMeta, check_id, load_meta

BRANCH_PREFIX = "refs/heads/proposal/"
ARCHIVE_TAG_PREFIX = "refs/tags/archive/"
NUMBER_RE = re.compile(r"^([0-9]{4})-")

Location = Literal["branch", "merged", "archived"]


def branch_ref(proposal_id: str) -> str:
    return BRANCH_PREFIX + check_id(proposal_id)


def main_tip(git: GitRepo) -> str:
    tip = git.branch_tip(MAIN)
    if tip is None:
        raise NotFoundError(
            f"{git.path} has no {MAIN} branch", "run `senate init PATH` to make a governed repo"
        )
    return tip


def policy_at(git: GitRepo, rev: str) -> Policy:
    data = git.read_file(rev, POLICY_FILE)
    if data is None:
        raise NotFoundError(
            f"no {POLICY_FILE} at {rev[:12]}: this is not a governed repository",
            "run `senate init PATH` to make one",
        )
    return parse_policy(data.decode("utf-8", "replace"), f"{POLICY_FILE}@{rev[:12]}")


@dataclass(frozen=True)
class ProposalRef:
    """A proposal located in git: the tip that holds it, the commit whose roster and
    rules govern it (`main`: main's tip, or main as it was at the merge or archive), and
    the tip's lineage down to main's first-parent history."""

    id: str
    location: Location
    tip: str
    main: str
    lineage: Lineage
    merge_commit: str | None = None  # merged: the Senate merge on main
    archive_commit: str | None = None  # archived: the archive commit on main

    @property
    def base(self) -> str:
        """The newest commit of main's first-parent history the tip contains; for a branch
        that never meets it (never approvable), where it meets main at all, else main."""
        return self.lineage.base or self.lineage.bottom or self.main

    def meta(self, git: GitRepo) -> ProposalMeta:
        path = f"{PROPOSALS_DIR}/{self.id}/proposal.json"
        data = git.read_file(self.tip, path)
        if data is None:
            raise NotFoundError(f"{path} is missing at {self.tip[:12]}")
        return load_meta(data, f"{path}@{self.tip[:12]}")


@dataclass(frozen=True)
class MainEvent:
    """A commit on main's first-parent line that closed a proposal."""

    kind: Literal["merged", "archived"]
    commit: str
    tip: str | None  # the proposal tip it names (Senate-Tip), None when it names none


_EVENTS: dict[str, dict[str, MainEvent]] = {}


def main_events(git: GitRepo, main: str) -> dict[str, MainEvent]:
    """Proposal id -> the oldest Senate merge or archive naming it on main's first-parent
    line. Cached by main's tip: a commit id fixes all of its history."""
    known = _EVENTS.get(main)
    if known is not None:
        return known
    line = git.first_parent_history_index(main)[0]
    # Main only grows: start from the newest ancestor already indexed (oldest event wins,
    # so the newer commits can only add ids).
    start, out = 0, {}
    for at in range(len(line) - 2, -1, -1):
        older = _EVENTS.get(line[at])
        if older is not None:
            start, out = at + 1, dict(older)
            break
    for oid in line[start:]:
        data = git.read_commit(oid)
        head = git.head_of(data) if data is not None else None
        if data is None or head is None or b"enate-" not in data:
            continue
        fields = commit_fields(data)
        ids = fields.get("senate-proposal", [])
        if len(ids) != 1 or ids[0] in out:
            continue
        tips = fields.get("senate-tip", [])
        tip = tips[0] if len(tips) == 1 else None
        if len(head[1]) == 2:
            out[ids[0]] = MainEvent("merged", oid, head[1][1])
        elif len(head[1]) == 1 and "senate-archive-reason" in fields:
            out[ids[0]] = MainEvent("archived", oid, tip)
    if len(_EVENTS) > 32:
        _EVENTS.clear()
    _EVENTS[main] = out
    return out


def commit_fields(data: bytes) -> dict[str, list[str]]:
    """A raw commit's message trailers, by lowercased key."""
    from senate.trailers import parse_trailers

    message = data.split(b"\n\n", 1)[1] if b"\n\n" in data else b""
    out: dict[str, list[str]] = {}
    for t in parse_trailers(message.decode("utf-8", "replace")):
        out.setdefault(t.key.lower(), []).append(t.value)
    return out


def locate(git: GitRepo, proposal_id: str, main: str, mainline: Mainline) -> ProposalRef:
    """Where `proposal_id` stands on `main` (see find_proposal)."""
    event = main_events(git, main).get(proposal_id)
    if event is not None and event.kind == "merged" and event.tip is not None:
        first = git.commit_head(event.commit)
        governing = first[1][0] if first is not None else main
        lineage = trace(git, event.tip, mainline.upto(governing))
        return ProposalRef(proposal_id, "merged", event.tip, governing, lineage,
                           merge_commit=event.commit)
    if event is not None and event.kind == "archived":
        tip = event.tip or git.ref_target(ARCHIVE_TAG_PREFIX + proposal_id)
        head = git.commit_head(event.commit)
        governing = head[1][0] if head is not None and head[1] else main
        if tip is None:
            raise NotFoundError(f"proposal {proposal_id} is archived in {event.commit[:12]}, "
                                "but its votes are not reachable (no Senate-Tip, no tag)")
        lineage = trace(git, tip, mainline.upto(governing))
        return ProposalRef(proposal_id, "archived", tip, governing, lineage,
                           archive_commit=event.commit)
    tip = git.ref_target(branch_ref(proposal_id))
    if tip is None:
        raise NotFoundError(
            f"no proposal {proposal_id!r}", "run `senate proposals` to list the proposals"
        )
    return ProposalRef(proposal_id, "branch", tip, main, trace(git, tip, mainline))


def find_proposal(git: GitRepo, proposal_id: str) -> ProposalRef:
    """Merged or archived when main's first-parent line records it so, else the branch.

    An `archive/<id>` tag alone archives nothing: only a record on main does (a stray tag
    is reported by `senate proposals`, see stray_tags).
    """
    check_id(proposal_id)
    main = main_tip(git)
    return locate(git, proposal_id, main, Mainline.of(git, main))


def stray_tags(git: GitRepo) -> list[str]:
    """archive/<id> tags with no archive record for <id> on main."""
    main = main_tip(git)
    events = main_events(git, main)
    return sorted(
        name for name in git.ref_names(ARCHIVE_TAG_PREFIX)
        if (e := events.get(name[len(ARCHIVE_TAG_PREFIX):])) is None or e.kind != "archived"
    )


def all_proposal_ids(git: GitRepo) -> list[str]:
    """Every proposal id this repository knows: open, merged or archived."""
    main = main_tip(git)
    ids = {name[len(BRANCH_PREFIX) :] for name in git.ref_names(BRANCH_PREFIX)}
    stray = set(stray_tags(git))
    ids |= {name[len(ARCHIVE_TAG_PREFIX) :] for name in git.ref_names(ARCHIVE_TAG_PREFIX)
            if name not in stray}
    ids |= {n for n in git.list_dir(main, PROPOSALS_DIR) if NUMBER_RE.match(n)}
    ids |= {n for n in git.list_dir(main, ARCHIVE_DIR) if NUMBER_RE.match(n)}
    return sorted(i for i in ids if NUMBER_RE.match(i))


def claim_branch(git: GitRepo, proposal_id: str, commit: str) -> bool:
    """Create proposal/<id> at `commit`; keep it only if no other branch has its number.

    Two agents opening proposals at once can pick the same number with different slugs.
    Each creates its branch, then looks: whoever finds a rival backs off (removes its own
    branch) and takes a later number, so whatever check comes second sees the first and
    no two branches ever keep one number. ConflictError if the branch itself exists.
    """
    ref = branch_ref(proposal_id)
    git.create_ref(ref, commit)
    prefix = BRANCH_PREFIX + proposal_id[:5]
    if any(name.startswith(prefix) and name != ref for name in git.refs(BRANCH_PREFIX)):
        git.delete_ref(ref, commit)
        return False
    return True


def next_number(git: GitRepo) -> int:
    numbers = [int(m.group(1)) for i in all_proposal_ids(git) if (m := NUMBER_RE.match(i))]
    return max(numbers, default=0) + 1
