"""`senate govern ...`: open a governance proposal whose diff is exactly one senate.toml edit.

The edit is checked before anything is written (senate.governance.apply_governance): a
malformed value, a duplicate name or key, a roster left without a voter is refused with
the reason. The proposal commit, signed by the proposer, adds proposals/<id>/proposal.json
(proposal_type governance) and changes senate.toml; nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate.commits import agent_for_key, signed_commit
from senate.errors import UsageError
from senate.git import GitRepo
from senate.governance import GovernanceChange, GovernanceRule, apply_governance, rule_for
from senate.policy import POLICY_FILE
from senate.proposal import PROPOSALS_DIR, ProposalMeta, parse_meta
from senate.proposals import main_tip, policy_at
from senate.propose import claim_new_id, created_stamp


@dataclass(frozen=True)
class GovernanceOpened:
    id: str
    branch: str
    commit: str
    change: GovernanceChange
    rule: GovernanceRule  # the rule it will be judged by (once counting applies it)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "branch": self.branch, "commit": self.commit,
                "change": self.change.to_json(),
                "rule": {"eligible": list(self.rule.eligible), "required": self.rule.required,
                         "cosigners": list(self.rule.cosigners), "reason": self.rule.reason}}


def slug(change: GovernanceChange) -> str:
    what = change.setting if change.op == "set" else change.agent
    return re.sub(r"[^a-z0-9]+", "-", f"governance-{change.op}-{what}")[:50].strip("-")


def governance_meta(proposal_id: str, change: GovernanceChange, rationale: str,
                    proposer: str, created_at: str) -> ProposalMeta:
    return parse_meta({"id": proposal_id, "proposal_type": "governance",
                       "governance": change.to_json(), "rationale": rationale,
                       "proposer": proposer, "created_at": created_at},
                      "the governance proposal's metadata")


def open_governance(git: GitRepo, key: Ed25519PrivateKey, change: GovernanceChange,
                    rationale: str) -> GovernanceOpened:
    if len(rationale.strip()) < 20:
        raise UsageError("the rationale is too short", "say why, in a sentence or two")
    main = main_tip(git)
    current = policy_at(git, main)
    agent = agent_for_key(current, key)
    text = (git.read_file(main, POLICY_FILE) or b"").decode("utf-8")
    new_text, proposed = apply_governance(text, change, f"{POLICY_FILE}@{main[:12]}")
    stamp = created_stamp(datetime.now(UTC))

    def write(proposal_id: str) -> tuple[str, None]:
        meta = governance_meta(proposal_id, change, rationale, agent.name, stamp)
        changes: dict[str, bytes | None] = {
            f"{PROPOSALS_DIR}/{proposal_id}/proposal.json": meta.dumps(),
            POLICY_FILE: new_text.encode("utf-8"),
        }
        message = (f"propose({proposal_id}): governance {change.describe()}\n\n"
                   f"{rationale.strip()}\n\nSenate-Proposal: {proposal_id}\n")
        return signed_commit(git, key, agent, main, message, changes), None

    proposal_id, commit, _ = claim_new_id(git, slug(change), write)
    return GovernanceOpened(proposal_id, f"proposal/{proposal_id}", commit, change,
                            rule_for(current, proposed))
