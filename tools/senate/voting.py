"""Casting a vote or a comment: one signed empty commit on the proposal branch."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate import sshsig
from senate.commits import agent_for_key, signed_commit
from senate.content import content_id_between
from senate.errors import ConflictError, UsageError
from senate.git import GitRepo
from senate.policy import Agent, Policy
from senate.proposals import ProposalRef, branch_ref, find_proposal, policy_at
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
        policy = policy_at(git, ref.main)
        new_key = cosigner(git, ref, policy, key, vote)
        if new_key is not None and vote != "approve":
            raise UsageError(f"the new key of {new_key.name} can only co-sign, with approve",
                             "vote approve to prove possession of the key the change adds")
        agent = new_key or agent_for_key(policy, key)
        if vote is not None and not agent.vote and new_key is None:
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


def cosigner(
    git: GitRepo, ref: ProposalRef, policy: Policy, key: Ed25519PrivateKey,
    vote: VoteValue | None,
) -> Agent | None:
    """The agent whose new key `key` is, when `ref` is a governance proposal adding or
    rotating it and the key is not (or not so) on main's roster: it may co-sign."""
    from senate.govcount import proposed_policy
    from senate.governance import cosigning_keys

    blob = sshsig.PublicKey.from_crypto(key.public_key()).blob
    if blob in policy.by_key() or ref.meta(git).proposal_type != "governance":
        return None
    proposed = proposed_policy(git, ref)
    if proposed is None:
        return None
    name = cosigning_keys(policy, proposed).get(blob)
    return proposed.agent(name) if name is not None else None
