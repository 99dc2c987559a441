"""Casting a vote or a comment: one signed empty commit on the proposal branch."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate.commits import agent_for_key, signed_commit
from senate.content import content_id_between
from senate.errors import ConflictError, UsageError
from senate.git import GitRepo
from senate.proposals import branch_ref, find_proposal, policy_at
from senate.tally import VoteValue
from senate.trailers import format_vote_message

ATTEMPTS = 8


@dataclass(frozen=True)
class Cast:
    proposal: str
    commit: str
    agent: str
    vote: VoteValue | None
    content_id: str


def cast(
    git: GitRepo,
    proposal_id: str,
    key: Ed25519PrivateKey,
    vote: VoteValue | None,
    reason: str,
    when: int | None = None,
) -> Cast:
    """Append the signed commit; if the branch moves meanwhile, rebuild on the new tip."""
    for attempt in range(ATTEMPTS):
        ref = find_proposal(git, proposal_id)
        if ref.location != "branch":
            raise UsageError(
                f"proposal {proposal_id} is {ref.location}; voting on it is closed",
                "open a new proposal to change the schema again",
            )
        agent = agent_for_key(policy_at(git, ref.main), key)
        if vote is not None and not agent.vote:
            raise UsageError(f"{agent.name} has no voting rights",
                             "a member without voting rights may comment, not vote; rights "
                             "are granted by a governance proposal")
        cid = content_id_between(git, ref.base, ref.tip)
        message = format_vote_message(proposal_id, vote, cid, reason)
        commit = signed_commit(git, key, agent, ref.tip, message, when=when)
        try:
            git.update_ref(branch_ref(proposal_id), commit, ref.tip)
        except ConflictError:
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
            continue
        return Cast(proposal_id, commit, agent.name, vote, cid)
    raise ConflictError(
        f"proposal/{proposal_id} kept moving; gave up after {ATTEMPTS} attempts",
        "run the command again",
    )
