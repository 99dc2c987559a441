"""Receiving a vote or comment commit built and signed by an agent, checked, then stored.

Everything is checked before anything is written: the parent must be the branch tip,
and the commit must be a valid ballot against the base roster exactly as the counter
would see it. Then, under the repository lock, the object is written and the branch
moved by compare-and-swap. A crash between the two leaves an unreferenced object only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from senate.api.lock import repo_lock
from senate.api.rejections import ProposalClosed, Rejected, StaleParent, ballot_rejection
from senate.ballots import Ballot, BranchContext, KeyRing, examine
from senate.git import GitRepo
from senate.proposals import ProposalRef, branch_ref, find_proposal, policy_at
from senate.rawcommit import parse_commit


@dataclass(frozen=True)
class Head:
    """What a client needs to build a vote commit on a proposal."""

    proposal: str
    location: str
    tip: str
    tree: str
    base: str
    patch_id: str

    def to_json(self) -> dict[str, Any]:
        return {"proposal": self.proposal, "location": self.location, "tip": self.tip,
                "tree": self.tree, "base": self.base, "patch_id": self.patch_id}


def head_of(git: GitRepo, ref: ProposalRef) -> Head:
    return Head(ref.id, ref.location, ref.tip, git.commit_tree(ref.tip), ref.base,
                git.patch_id(ref.base, ref.tip))


def head(git: GitRepo, proposal_id: str) -> Head:
    return head_of(git, find_proposal(git, proposal_id))


def open_ref(git: GitRepo, proposal_id: str) -> ProposalRef:
    ref = find_proposal(git, proposal_id)
    if ref.location != "branch":
        raise ProposalClosed(
            f"proposal {proposal_id} is {ref.location}; nothing more can be written to it",
            "open a new proposal to change the schema again",
        )
    return ref


def _context(git: GitRepo, ref: ProposalRef, patch_id: str) -> BranchContext:
    # The same context counting.count_ref builds: base roster, opening time, periods.
    policy = policy_at(git, ref.base)
    commits = git.walk(ref.tip, hide=ref.base)
    return BranchContext(
        proposal=ref.id,
        patch_id=patch_id,
        policy=policy,
        opened_at=git.commit_time(commits[0]) if commits else 0,
        debate_hours=policy.rules.debate_period_hours,
        window_hours=policy.rules.voting_window_hours,
    )


def accept_ballot(
    git: GitRepo, proposal_id: str, data: bytes, kind: Literal["vote", "comment"]
) -> tuple[str, Ballot]:
    """Check `data` (a raw signed commit) as a ballot of `kind`, then append it."""
    ref = open_ref(git, proposal_id)
    current = head_of(git, ref)
    raw = parse_commit(data)
    if raw.problems:
        raise Rejected("ambiguous", "the commit object is malformed: " + "; ".join(raw.problems))
    if raw.parents != (ref.tip,):
        raise StaleParent(
            f"proposal/{proposal_id} is at {ref.tip[:12]}, the commit is built on "
            f"{', '.join(p[:12] for p in raw.parents) or 'no parent'}",
            current.to_json(),
        )
    ctx = _context(git, ref, current.patch_id)
    ballot = examine("0" * 40, data, lambda _oid: current.tree, ctx, KeyRing(ctx.policy))
    if ballot.problem is not None:
        raise ballot_rejection(ballot.problem, ballot.detail)
    if ballot.kind != kind:
        raise Rejected("wrong_kind", f"this endpoint takes a {kind}; the commit is a "
                       f"{ballot.kind}")
    with repo_lock(git):
        if git.ref_target(branch_ref(proposal_id)) != ref.tip:
            fresh = head(git, proposal_id)
            raise StaleParent(f"proposal/{proposal_id} moved to {fresh.tip[:12]}",
                              fresh.to_json())
        oid = git.write_raw_commit(data)
        git.update_ref(branch_ref(proposal_id), oid, ref.tip)
    return oid, ballot
