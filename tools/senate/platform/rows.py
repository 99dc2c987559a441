"""From a Count to the rows `senate sync` writes: pure functions, no database, no git."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from senate.counting import Count

EVENTS = ("opened", "approved", "rejected", "merged", "archived")


def count_view(c: Count) -> dict[str, Any]:
    """The count's JSON: the one place the rows read the count's fields by name."""
    return c.to_json()


def opened_at(c: Count) -> int | None:
    """The proposer's first signed content commit, which alone sets the proposal's clock
    (as senate.branchrules decides it); None when no such commit opens it."""
    return next((b.time for b in c.ballots if b.kind == "content" and b.problem is None),
                None)


def iso(when: int | None) -> str | None:
    if when is None:
        return None
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Archive:
    """How main recorded an archived proposal: the archive commit's kind and reason."""

    commit: str
    time: int
    kind: str | None
    reason: str | None


@dataclass(frozen=True)
class ProposalRow:
    id: str
    proposal_type: str
    target_artifact_type: str
    change_type: str
    field: str | None
    field_spec: Any
    rationale: str
    migration_plan: str
    claimed_backward_compatible: bool
    computed_backward_compatible: bool | None
    proposer: str
    status: str
    rule: str
    approvals: int
    required: int
    content_id: str
    tip: str
    base: str
    opened_at: str | None
    decided_at: str | None
    merge_commit: str | None
    archive_kind: str | None
    archive_reason: str | None

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in PROPOSAL_COLUMNS)


PROPOSAL_COLUMNS: tuple[str, ...] = tuple(ProposalRow.__dataclass_fields__)


@dataclass(frozen=True)
class VoteRow:
    proposal_id: str
    commit_id: str
    agent: str | None
    vote: str | None
    reasoning: str
    cast_at: str | None
    counted: bool
    not_counted_reason: str | None

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in VOTE_COLUMNS)


VOTE_COLUMNS: tuple[str, ...] = tuple(VoteRow.__dataclass_fields__)


def proposal_row(c: Count, merge_time: int | None, archive: Archive | None,
                 window_end: int | None) -> ProposalRow:
    view = count_view(c)
    meta = c.meta
    times = {b.commit: b.time for b in c.ballots}
    return ProposalRow(
        id=c.proposal,
        proposal_type=meta.proposal_type,
        target_artifact_type=meta.target_artifact_type,
        change_type=meta.change_type,
        field=meta.field,
        field_spec=meta.field_spec,
        rationale=meta.rationale,
        migration_plan=meta.migration_plan,
        claimed_backward_compatible=meta.backward_compatible,
        computed_backward_compatible=view["backward_compatible"],
        proposer=meta.proposer,
        status=view["status"],
        rule=view["rule"],
        approvals=view["approve"],
        required=view["required"],
        content_id=view["content_id"],
        tip=view["tip"],
        base=view["base"],
        opened_at=iso(opened_at(c)),
        decided_at=iso(decided_at(view, times, merge_time, archive, window_end)),
        merge_commit=c.ref.merge_commit,
        archive_kind=archive.kind if archive else None,
        archive_reason=archive.reason if archive else None,
    )


def decided_at(view: dict[str, Any], times: dict[str, int], merge_time: int | None,
               archive: Archive | None, window_end: int | None) -> int | None:
    """When the status was reached, from git's own times: the merge or archive commit,
    else the newest counted vote (an approval is decided by its last vote), or the close
    of the voting window for a proposal that ran out of time."""
    status = view["status"]
    if status == "merged":
        return merge_time
    if status == "archived":
        return archive.time if archive else None
    if status == "open":
        return None
    cast = [times[v["commit"]] for v in view["counted"] if v["commit"] in times]
    if status == "rejected" and window_end is not None:
        by_votes = view["approve"] + len(view["not_voted"]) < view["required"]
        if not by_votes:
            return window_end  # it ran out of time, not out of votes
    return max(cast, default=None)


def vote_rows(c: Count) -> list[VoteRow]:
    """Every vote commit on the branch, counted or with the reason it did not count."""
    view = count_view(c)
    counted = {v["commit"] for v in view["counted"]}
    reasons = {i["commit"]: i["reason"] for i in view["ignored"]}
    out = []
    for b in c.ballots:
        if b.kind != "vote":
            continue
        ok = b.commit in counted
        out.append(VoteRow(c.proposal, b.commit, b.agent, b.vote, b.text, iso(b.time), ok,
                           None if ok else reasons.get(b.commit, "not_eligible")))
    return out


def event_for(previous: str | None, row: ProposalRow) -> dict[str, Any] | None:
    """The event a sync announces for `row`, None when its status did not change."""
    if previous == row.status:
        return None
    name = "opened" if row.status == "open" else row.status
    return {
        "event": name,
        "proposal": row.id,
        "status": row.status,
        "previous": previous,
        "target_artifact_type": row.target_artifact_type,
        "change_type": row.change_type,
        "rule": row.rule,
        "approvals": row.approvals,
        "required": row.required,
        "content_id": row.content_id,
        "tip": row.tip,
        "merge_commit": row.merge_commit,
        "decided_at": row.decided_at,
    }


def payload(event: dict[str, Any]) -> str:
    # NOTIFY payloads are limited to 8000 bytes; every field above is short and bounded.
    return json.dumps(event, sort_keys=True, separators=(",", ":"))
