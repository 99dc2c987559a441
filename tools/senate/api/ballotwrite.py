"""Receiving a vote or comment commit built and signed by an agent, checked, then stored.

Everything is checked before anything is written: the parent must be the branch tip,
and the commit must be a valid ballot against main's roster exactly as the counter
would see it (the same rulebook, senate.branchrules, with the same context). Then,
under the repository lock, the object is written and the branch
moved by compare-and-swap. A crash between the two leaves an unreferenced object only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from senate.api.lock import repo_lock
from senate.api.rejections import ProposalClosed, Rejected, StaleParent, ballot_rejection
from senate.ballots import Ballot, BranchContext, KeyRing, examine
from senate.content import content_id_between
from senate.counting import Integrity, integrity
from senate.git import GitRepo
from senate.policy import Policy
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
    content_id: str

    def to_json(self) -> dict[str, Any]:
        return {"proposal": self.proposal, "location": self.location, "tip": self.tip,
                "tree": self.tree, "base": self.base, "content_id": self.content_id}


def head_of(git: GitRepo, ref: ProposalRef) -> Head:
    return Head(ref.id, ref.location, ref.tip, git.commit_tree(ref.tip), ref.base,
                content_id_between(git, ref.base, ref.tip))


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


def accept_ballot(
    git: GitRepo, proposal_id: str, data: bytes, kind: Literal["vote", "comment"]
) -> tuple[str, Ballot]:
    """Check `data` (a raw signed commit) as a ballot of `kind`, then append it."""
    ref = open_ref(git, proposal_id)
    # Judged exactly as the counter will judge it: the same rulebook, the same context
    # (main's roster, the content id, the proposer's signed opening), the same verdicts.
    found = integrity(git, ref)
    current = Head(ref.id, ref.location, ref.tip, git.commit_tree(ref.tip), ref.base,
                   found.content_id)
    raw = parse_commit(data)
    if raw.problems:
        raise Rejected("ambiguous", "the commit object is malformed: " + "; ".join(raw.problems))
    if raw.parents != (ref.tip,):
        raise StaleParent(
            f"proposal/{proposal_id} is at {ref.tip[:12]}, the commit is built on "
            f"{', '.join(p[:12] for p in raw.parents) or 'no parent'}",
            current.to_json(),
        )
    if found.problems:
        raise Rejected("blocked", "the proposal cannot be approved, so it takes no ballots: "
                       + "; ".join(found.problems[:3]))
    policy = policy_at(git, ref.main)
    ctx = BranchContext(ref.id, found.content_id, policy, found.judgement.opened_at,
                        policy.rules.debate_period_hours, policy.rules.voting_window_hours)
    oid = git.hash_commit(data)
    ballot = examine(oid, data, raw.tree == current.tree, ctx, KeyRing(policy))
    if ballot.touches_files:
        raise Rejected("changes_files", "a vote or comment commit must not change files")
    if ballot.problem is not None:
        cosigner = _cosigner(git, ref, ballot, data, policy, found)
        if cosigner is None:
            raise ballot_rejection(ballot.problem, ballot.detail)
        ballot = replace(ballot, agent=cosigner)  # counted as the proof of its new key
    if ballot.kind != kind:
        raise Rejected("wrong_kind", f"this endpoint takes a {kind}; the commit is a "
                       f"{ballot.kind}")
    with repo_lock(git):
        if git.ref_target(branch_ref(proposal_id)) != ref.tip:
            fresh = head(git, proposal_id)
            raise StaleParent(f"proposal/{proposal_id} moved to {fresh.tip[:12]}",
                              fresh.to_json())
        git.write_raw_commit(data)
        git.update_ref(branch_ref(proposal_id), oid, ref.tip)
    return oid, ballot


def _cosigner(git: GitRepo, ref: ProposalRef, ballot: Ballot, data: bytes, policy: Policy,
              found: Integrity) -> str | None:
    """Who co-signs with `ballot`, refused under main's roster, when it is the proof of a
    key the governance proposal adds or rotates (the counter's own test, on the bytes
    received); None otherwise."""
    from senate.govcount import CosignCheck, proposed_policy

    if ref.meta(git).proposal_type != "governance":
        return None
    proposed = proposed_policy(git, ref)
    check = None if proposed is None else CosignCheck.of(
        ref.id, proposed, policy, found.content_id, found.judgement.opened_at)
    return None if check is None else check.signer(ballot, data)
