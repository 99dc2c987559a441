"""Amending an open proposal: the proposer's new signed content commit on its branch.

The amended spec, rationale or migration replaces the old one in `proposals/<id>/` and
in the schema, checked exactly as `propose` checks them. Any change of content changes
the proposal's content id, so every vote cast before is stale: the caller says so.
"""

from __future__ import annotations

import dataclasses
import random
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate.commits import agent_for_key, signed_commit
from senate.errors import ClosedError, ConflictError, ForbiddenError, UsageError
from senate.git import GitRepo
from senate.proposal import PROPOSALS_DIR
from senate.proposals import branch_ref, find_proposal, main_tip, policy_at
from senate.propose import (
    ProposalRequest,
    claim_mismatches,
    prepare_schema_change,
    proposal_content,
    request_from_meta,
)

ATTEMPTS = 20
UNCHANGED: Any = object()  # "leave as it is", distinct from an explicit None


@dataclass(frozen=True)
class Amendment:
    """What the proposer changes; UNCHANGED fields keep their current value."""

    field_spec: Any = UNCHANGED
    rationale: str | None = None
    migration_sql: str | None = None

    def apply(self, request: ProposalRequest) -> ProposalRequest:
        changes: dict[str, Any] = {}
        if self.field_spec is not UNCHANGED:
            changes["field_spec"] = self.field_spec
        if self.rationale is not None:
            changes["rationale"] = self.rationale
        if self.migration_sql is not None:
            changes["migration_sql"] = self.migration_sql
        if not changes:
            raise UsageError("nothing to amend", "pass --spec, --rationale or --migration")
        return dataclasses.replace(request, **changes)


@dataclass(frozen=True)
class Amended:
    id: str
    commit: str
    previous_tip: str
    changed: tuple[str, ...]  # the paths the amendment rewrote
    mismatches: tuple[str, ...]


def amend_proposal(git: GitRepo, key: Ed25519PrivateKey, proposal_id: str,
                   amendment: Amendment) -> Amended:
    for attempt in range(ATTEMPTS):
        ref = find_proposal(git, proposal_id)
        if ref.location != "branch":
            raise ClosedError(f"proposal {proposal_id} is {ref.location}; it cannot be amended",
                              "open a new proposal to change the schema again")
        meta = ref.meta(git)
        policy = policy_at(git, main_tip(git))
        agent = agent_for_key(policy, key)
        if agent.name != meta.proposer:
            raise ForbiddenError(
                f"only the proposer ({meta.proposer}) can amend {proposal_id}; this key is "
                f"{agent.name}'s", "comment on the proposal instead, or open your own")
        folder = f"{PROPOSALS_DIR}/{proposal_id}"
        sql = git.read_file(ref.tip, f"{folder}/migration.sql") or b""
        current = request_from_meta(meta, sql.decode("utf-8", "replace"))
        request = amendment.apply(current)
        old, new = prepare_schema_change(git, ref.base, request)
        claim = _claim(git, ref.base, current, old, new, meta.backward_compatible, policy)
        content = proposal_content(request, new, proposal_id, meta.proposer, claim,
                                   meta.created_at)
        changed = tuple(path for path, data in content.changes.items()
                        if git.read_file(ref.tip, path) != data)
        if not changed:
            raise UsageError(f"the amendment leaves {proposal_id} as it is",
                             "change the spec, the rationale or the migration")
        message = content.message.replace(f"propose({proposal_id})", f"amend({proposal_id})", 1)
        commit = signed_commit(git, key, agent, ref.tip, message, content.changes)
        try:
            git.update_ref(branch_ref(proposal_id), commit, ref.tip)
        except ConflictError:
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
            continue
        from senate.compatibility import verdict_for

        mismatches = claim_mismatches(request, verdict_for(old, new, policy), claim)
        return Amended(proposal_id, commit, ref.tip, changed, mismatches)
    raise ConflictError(f"proposal/{proposal_id} kept moving; gave up after {ATTEMPTS} "
                        "attempts", "run the command again")


def _claim(git: GitRepo, base: str, before: ProposalRequest, old: dict[str, Any] | None,
           new: dict[str, Any], stored: bool, policy: Any) -> bool:
    """The compatibility claim after the amendment. A claim that matched Senate's verdict
    on the old content was Senate's verdict (propose's default): it follows the new
    content. A claim that differed was the proposer's own, and stays."""
    from senate.compatibility import verdict_for

    _, previous = prepare_schema_change(git, base, before)
    if bool(verdict_for(old, previous, policy).compatible) == stored:
        return bool(verdict_for(old, new, policy).compatible)
    return stored
