"""Counting one proposal from git alone: ballots, the rule that applies, the result.

This is what `senate tally`, `senate check`, `senate merge`, the API and `senate audit`
all call, so that every surface reaches the same verdict from the same bytes.
"""

from __future__ import annotations

import time as _time
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from senate.ballots import Ballot, BranchContext, KeyRing, examine
from senate.compatibility import verdict_for
from senate.git import GitRepo
from senate.git.rawread import linear_history
from senate.git.repo import MAIN
from senate.policy import POLICY_FILE, Policy
from senate.proposal import PROPOSALS_DIR, ProposalMeta
from senate.proposal_sql import ProposalSql, check_proposal_sql
from senate.proposals import ProposalRef, branch_ref, find_proposal, policy_at
from senate.registry import SCHEMA_DIR, parse_schema
from senate.tally import CastVote, Rule, Status, Tally, tally

if TYPE_CHECKING:
    from senate.compat import Report


@dataclass(frozen=True)
class Compat:
    """Senate's computed verdict over every schema the proposal changes."""

    backward_compatible: bool | None
    forward_compatible: bool | None
    changes: tuple[dict[str, str], ...]
    mismatches: tuple[str, ...]
    reports: tuple[tuple[str, Report], ...] = ()  # per changed schema file, for rendering
    mode: str = "backward"  # senate.toml's compatibility mode the verdict is read in

    @property
    def compatible(self) -> bool | None:
        """The verdict in the policy's mode: None when it cannot be decided."""
        wanted = {
            "backward": (self.backward_compatible,),
            "forward": (self.forward_compatible,),
            "full": (self.backward_compatible, self.forward_compatible),
        }[self.mode]
        if False in wanted:
            return False
        return None if None in wanted else True


@dataclass(frozen=True)
class Count:
    proposal: str
    ref: ProposalRef
    meta: ProposalMeta
    patch_id: str
    tally: Tally
    ballots: tuple[Ballot, ...]
    compat: Compat
    problems: tuple[str, ...] = field(default=())  # block approval whatever the votes
    sql: ProposalSql | None = None  # the SQL part of the rule, for show and propose

    @property
    def status(self) -> Status:
        if self.ref.location == "merged":
            return "merged"
        if self.ref.location == "archived":
            return "archived"
        status = self.tally.status()
        if status == "approved" and self.problems:
            return "open"
        return status

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    def content(self) -> list[dict[str, Any]]:
        """The proposal's own commits (and merges of main): what was voted on, not votes.
        `agent` is the roster member whose signature verifies, None when none does."""
        return [
            {"commit": b.commit, "agent": b.agent, "detail": b.detail}
            for b in self.ballots
            if b.kind == "content" and b.touches_files
        ]

    def ignored(self) -> list[dict[str, Any]]:
        out = [
            {"commit": b.commit, "reason": b.problem, "detail": b.detail, "agent": b.agent}
            for b in self.ballots
            if b.problem is not None and not (b.kind == "content" and b.touches_files)
        ]
        out += [
            {"commit": s.commit, "reason": "superseded", "agent": s.agent,
             "detail": f"{s.agent} voted again in {s.by[:12]}"}
            for s in self.tally.superseded
        ]
        return out

    def to_json(self) -> dict[str, Any]:
        t = self.tally
        return {
            "proposal": self.proposal,
            "status": self.status,
            "rule": t.rule.name,
            "rule_reason": t.rule.reason,
            "eligible": len(t.eligible),
            "required": t.required,
            "approve": t.approve,
            "reject": t.reject,
            "abstain": t.abstain,
            "not_voted": list(t.not_voted),
            "counted": [{"agent": v.agent, "vote": v.vote, "commit": v.commit}
                        for v in t.counted],
            "ignored": self.ignored(),
            "content": self.content(),
            "patch_id": self.patch_id,
            "tip": self.ref.tip,
            "base": self.ref.base,
            "eligible_agents": list(t.eligible),
            "backward_compatible": self.compat.backward_compatible,
            "problems": list(self.problems),
            "reasons": {b.commit: b.text for b in self.ballots if b.kind == "vote"},
            "debate": [
                {"agent": b.agent, "commit": b.commit, "text": b.text, "time": b.time}
                for b in self.ballots
                if b.kind == "comment" and b.problem is None
            ],
        }


# A ballot is a pure function of the commit and its context, so a long-running process
# (the API server) may keep them between counts: (commit, proposal, patch id, base,
# opening time) -> Ballot.
BallotMemo = MutableMapping[tuple[str, str, str, str, int], Ballot]


def count(
    git: GitRepo, proposal_id: str, now: int | None = None, memo: BallotMemo | None = None
) -> Count:
    # Read the branch before find_proposal's merge-base (see senate.git.rawread); with a
    # memo (the API server) most commits need no read at all, so do not prefetch them.
    tip = git.ref_target(branch_ref(proposal_id))
    main = git.branch_tip(MAIN)
    raws = linear_history(git, tip, main) if memo is None and tip and main else None
    return count_ref(git, find_proposal(git, proposal_id), now, memo, raws)


def count_ref(
    git: GitRepo, ref: ProposalRef, now: int | None = None, memo: BallotMemo | None = None,
    raws: Mapping[str, bytes] | None = None,
) -> Count:
    policy = policy_at(git, ref.base)
    meta = ref.meta(git)
    patch_id = git.patch_id(ref.base, ref.tip)
    changed = git.changed_paths(ref.base, ref.tip)
    compat = compute_compat(git, ref, meta, policy, changed)
    sql = check_proposal_sql(git, ref.base, ref.tip, ref.id, policy, meta)
    rule = choose_rule(policy, meta, compat, changed, sql.destructive)
    commits = git.walk(ref.tip, hide=ref.base)
    opened_at = git.commit_time(commits[0]) if commits else 0
    ctx = BranchContext(
        proposal=ref.id,
        patch_id=patch_id,
        policy=policy,
        opened_at=opened_at,
        debate_hours=policy.rules.debate_period_hours,
        window_hours=policy.rules.voting_window_hours,
    )
    keys = KeyRing(policy)
    trees: dict[str, str] = {}

    def parent_tree(oid: str) -> str:
        tree = trees.get(oid)
        return tree if tree is not None else git.commit_tree(oid)

    ballots: list[Ballot] = []
    for oid in commits:
        key = (oid, ref.id, patch_id, ref.base, opened_at)
        known = memo.get(key) if memo is not None else None
        if known is not None:
            ballots.append(known)
            continue
        data = raws.get(oid) if raws is not None else None
        if data is None:
            data = git.raw_commit(oid)
        ballot = examine(oid, data, parent_tree, ctx, keys)
        trees[oid] = _tree_of(data)
        ballots.append(ballot)
        if memo is not None:
            memo[key] = ballot
    votes = [
        CastVote(b.agent, b.vote, b.commit)
        for b in ballots
        if b.problem is None and b.vote is not None and b.agent is not None
    ]
    window = policy.rules.voting_window_hours
    now = int(_time.time()) if now is None else now
    closed = window is not None and now > opened_at + window * 3600
    result = tally(votes, [a.name for a in policy.voters], rule, window_closed=closed)
    problems = scope_problems(ref, changed) + list(compat.mismatches)
    problems += list(sql.problems)
    return Count(ref.id, ref, meta, patch_id, result, tuple(ballots), compat, tuple(problems),
                 sql)


def _tree_of(data: bytes) -> str:
    # The first header of a commit object is always "tree <hex>".
    return data[5:45].decode("ascii", "replace")


def scope_problems(ref: ProposalRef, changed: list[str]) -> list[str]:
    """A proposal may touch only its own folder, schemas/ and senate.toml."""
    own = f"{PROPOSALS_DIR}/{ref.id}/"
    stray = [
        p for p in changed
        if not (p.startswith(own) or p.startswith(f"{SCHEMA_DIR}/") or p == POLICY_FILE)
    ]
    if not stray:
        return []
    return [f"the proposal changes files outside its scope: {', '.join(stray[:5])}"]


def compute_compat(
    git: GitRepo, ref: ProposalRef, meta: ProposalMeta, policy: Policy, changed: list[str]
) -> Compat:
    from senate.compat import check_change_type

    backward: bool | None = True
    forward: bool | None = True
    changes: list[dict[str, str]] = []
    mismatches: list[str] = []
    reports: list[tuple[str, Report]] = []
    for path in changed:
        if not (path.startswith(f"{SCHEMA_DIR}/") and path.endswith(".json")):
            continue
        old_raw = git.read_file(ref.base, path)
        new_raw = git.read_file(ref.tip, path)
        old = parse_schema(old_raw, f"{path}@base") if old_raw is not None else None
        new = parse_schema(new_raw, f"{path}@tip") if new_raw is not None else None
        if new is None:
            backward = forward = False
            mismatches.append(f"{path} is deleted; removing a type is not a schema change")
            continue
        verdict = verdict_for(old, new, policy)
        report = verdict.report
        reports.append((path, report))
        backward = _and(backward, report.backward_compatible)
        forward = _and(forward, report.forward_compatible)
        changes += [c.to_json() for c in report.changes]
        target = f"{SCHEMA_DIR}/{meta.target_artifact_type}.json"
        if path != target:
            mismatches.append(f"{path} changes, but the proposal targets {target}")
            continue
        for m in check_change_type(
            meta.change_type, meta.field, meta.new_name, report, meta.backward_compatible
        ):
            detail = "; ".join(f"{c.kind} at {c.path}" for c in m.changes)
            mismatches.append(f"{m.reason}" + (f" ({detail})" if detail else ""))
    return Compat(backward, forward, tuple(changes), tuple(mismatches), tuple(reports),
                  policy.compatibility.mode)


def _and(a: bool | None, b: bool | None) -> bool | None:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def choose_rule(
    policy: Policy, meta: ProposalMeta, compat: Compat, changed: list[str],
    destructive_sql: tuple[str, ...] = (),
) -> Rule:
    """Unanimity for anything not provably backward compatible; 2/3 otherwise."""
    num, den = policy.rules.numerator, policy.rules.denominator
    if POLICY_FILE in changed:
        return Rule("unanimous", f"the proposal changes {POLICY_FILE} (governance)", num, den)
    if destructive_sql:
        return Rule("unanimous", f"destructive migration SQL: {'; '.join(destructive_sql)}",
                    num, den)
    if compat.compatible is None:
        return Rule(
            "unanimous", "Senate cannot decide compatibility (fail closed: breaking)", num, den
        )
    if compat.compatible is False:
        return Rule(
            "unanimous", f"the schema change is not {compat.mode} compatible", num, den
        )
    if not meta.backward_compatible:
        return Rule("unanimous", "the proposer declared the change breaking", num, den)
    return Rule(
        "two_thirds",
        f"backward compatible change: {num}/{den} of the eligible agents must approve",
        num,
        den,
    )
