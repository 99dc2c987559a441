"""The end of a proposal's life other than a merge: withdrawn by its proposer, or swept.

Both end in `archiving.archive_proposal`, signed: a withdrawal by the proposer's key, a
sweep by any roster member's key. `sweep` archives exactly the open proposals whose count
says rejected (they can no longer pass, or their voting window closed) and nothing else,
so running it twice does what running it once did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate.archiving import Archived, archive_proposal
from senate.commits import agent_for_key
from senate.counting import Count, count_ref
from senate.errors import SenateError, UsageError
from senate.git import GitRepo
from senate.proposals import BRANCH_PREFIX, find_proposal, main_tip, policy_at
from senate.tally_report import check_reason


def withdraw(git: GitRepo, proposal_id: str, reason: str, key: Ed25519PrivateKey) -> Archived:
    """Archive an open proposal as withdrawn; only its proposer may."""
    if not reason.strip():
        raise UsageError("a withdrawal needs a reason", "pass --reason TEXT")
    ref = find_proposal(git, proposal_id)
    if ref.location != "branch":
        raise UsageError(f"proposal {proposal_id} is already {ref.location}",
                         "only an open proposal can be withdrawn")
    proposer = ref.meta(git).proposer
    agent = agent_for_key(policy_at(git, ref.main), key)
    if agent.name != proposer:
        raise UsageError(f"only the proposer ({proposer}) can withdraw {proposal_id}; this "
                         f"key is {agent.name}'s",
                         "vote reject instead, or ask the proposer to withdraw it")
    return archive_proposal(git, proposal_id, reason, key=key, expect="withdrawn")


def sweep_reason(c: Count) -> str:
    """Why the sweep archived `c`: the verdict, then the final tally in words."""
    t = c.tally
    voted = ", ".join(f"{v.agent} {v.vote}" for v in t.counted) or "no counted votes"
    return (f"{check_reason(c)}\n\n"
            f"Archived by `senate sweep`. Final tally under rule {t.rule.name} "
            f"({t.rule.reason}): {t.approve} approve, {t.reject} reject, {t.abstain} "
            f"abstain; {t.required} of {len(t.eligible)} eligible needed. Counted: {voted}. "
            f"Not voted: {', '.join(t.not_voted) or 'nobody'}.")


@dataclass(frozen=True)
class Swept:
    archived: tuple[Archived, ...]
    still_open: tuple[tuple[str, str], ...]  # (proposal, status)
    skipped: tuple[tuple[str, str], ...]  # (proposal, why it could not be counted/archived)

    def to_json(self) -> dict[str, Any]:
        return {
            "archived": [a.to_json() for a in self.archived],
            "open": [{"proposal": p, "status": s} for p, s in self.still_open],
            "skipped": [{"proposal": p, "reason": r} for p, r in self.skipped],
        }

    def render(self) -> str:
        lines = [f"archived {a.proposal} as rejected: {a.commit[:12]}, tag {a.tag}"
                 for a in self.archived]
        lines += [f"skipped {p}: {r}" for p, r in self.skipped]
        lines.append(f"{len(self.archived)} archived, {len(self.still_open)} still open"
                     + (f", {len(self.skipped)} skipped" if self.skipped else ""))
        return "\n".join(lines)


def open_proposal_ids(git: GitRepo) -> list[str]:
    return sorted(name[len(BRANCH_PREFIX):] for name in git.refs(BRANCH_PREFIX))


def sweep(git: GitRepo, key: Ed25519PrivateKey, now: int | None = None) -> Swept:
    agent_for_key(policy_at(git, main_tip(git)), key)  # refuse a stranger before anything
    archived: list[Archived] = []
    still_open: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    for pid in open_proposal_ids(git):
        try:
            ref = find_proposal(git, pid)
            if ref.location != "branch":
                continue  # merged or archived already; its branch is merely left over
            c = count_ref(git, ref, now)
            if c.status != "rejected":
                still_open.append((pid, c.status))
                continue
            archived.append(archive_proposal(git, pid, sweep_reason(c), key=key, now=now,
                                             expect="rejected"))
        except SenateError as exc:
            skipped.append((pid, exc.message))
    return Swept(tuple(archived), tuple(still_open), tuple(skipped))
