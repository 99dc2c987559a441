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
    """A proposal located in git: the tip that holds it and the base that governs it."""

    id: str
    location: Location
    tip: str
    base: str  # merge-base with main: the commit whose senate.toml and schemas apply
    main: str
    merge_commit: str | None = None

    def meta(self, git: GitRepo) -> ProposalMeta:
        path = f"{PROPOSALS_DIR}/{self.id}/proposal.json"
        data = git.read_file(self.tip, path)
        if data is None:
            raise NotFoundError(f"{path} is missing at {self.tip[:12]}")
        return load_meta(data, f"{path}@{self.tip[:12]}")


def find_proposal(git: GitRepo, proposal_id: str) -> ProposalRef:
    check_id(proposal_id)
    main = main_tip(git)
    tip = git.ref_target(branch_ref(proposal_id))
    archived = git.read_file(main, f"{ARCHIVE_DIR}/{proposal_id}/proposal.json") is not None
    tag = git.ref_target(ARCHIVE_TAG_PREFIX + proposal_id)
    if archived and tag is not None:
        base = git.merge_base(main, tag) or main
        return ProposalRef(proposal_id, "archived", tag, base, main)
    merge = _merge_commit(git, main, proposal_id)
    if merge is not None:
        first, second = git.commit_parents(merge)[:2]
        base = git.merge_base(first, second) or first
        return ProposalRef(proposal_id, "merged", second, base, main, merge)
    if tip is None:
        raise NotFoundError(
            f"no proposal {proposal_id!r}", "run `senate proposals` to list the proposals"
        )
    branch_base = git.merge_base(main, tip)
    if branch_base is None:
        raise NotFoundError(f"proposal/{proposal_id} shares no history with {MAIN}")
    return ProposalRef(proposal_id, "branch", tip, branch_base, main)


def _merge_commit(git: GitRepo, main: str, proposal_id: str) -> str | None:
    """The merge on main's first-parent line whose second parent holds this proposal."""
    folder = f"{PROPOSALS_DIR}/{proposal_id}/proposal.json"
    if git.read_file(main, folder) is None:
        return None
    for oid in git.first_parent_history(main):
        parents = git.commit_parents(oid)
        if len(parents) < 2:
            continue
        if git.read_file(parents[1], folder) is not None and (
            git.read_file(parents[0], folder) is None
        ):
            return oid
    return None


def all_proposal_ids(git: GitRepo) -> list[str]:
    """Every proposal id this repository knows: open, merged or archived."""
    main = main_tip(git)
    ids = {name[len(BRANCH_PREFIX) :] for name in git.refs(BRANCH_PREFIX)}
    ids |= {name[len(ARCHIVE_TAG_PREFIX) :] for name in git.refs(ARCHIVE_TAG_PREFIX)}
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
