"""Counting one proposal from git alone: ballots, the rule that applies, the result.

This is what `senate tally`, `senate check`, `senate merge`, the API and `senate audit`
all call, so that every surface reaches the same verdict from the same bytes.
"""

from __future__ import annotations

import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from senate.ballots import Ballot
from senate.branchrules import BallotMemo, Judgement, judge
from senate.compatibility import verdict_for
from senate.content import content_id, scope_problems
from senate.errors import SenateError
from senate.git import GitRepo
from senate.git.repo import RawDelta
from senate.govcount import GovernanceCount, governance_count
from senate.policy import POLICY_FILE, Policy
from senate.proposal import ProposalMeta
from senate.proposal_sql import ProposalSql, check_proposal_sql
from senate.proposals import ProposalRef, find_proposal, policy_at
from senate.registry import SCHEMA_DIR, parse_schema, schema_file_problem
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
    content_id: str
    tally: Tally
    ballots: tuple[Ballot, ...]
    compat: Compat
    problems: tuple[str, ...] = field(default=())  # block approval whatever the votes
    governance: GovernanceCount | None = None  # governance proposals: who decides
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
        `agent` is the roster member whose signature verifies, None when none does;
        `problem` says why the commit blocks the proposal, None when it is sound."""
        return [
            {"commit": b.commit, "kind": b.kind, "agent": b.agent, "problem": b.problem,
             "detail": b.detail}
            for b in self.ballots
            if b.touches_files
        ]

    def ignored(self) -> list[dict[str, Any]]:
        cosigns = set(self.governance.cosign_commits) if self.governance else set()
        out = [
            {"commit": b.commit, "reason": "cosignature", "agent": None,
             "detail": "signed by a key this governance change adds or rotates: its proof "
             "of possession, not an eligible vote"} if b.commit in cosigns else
            {"commit": b.commit, "reason": b.problem, "detail": b.detail, "agent": b.agent}
            for b in self.ballots
            if b.problem is not None and not b.touches_files
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
            "content_id": self.content_id,
            "tip": self.ref.tip,
            "base": self.ref.base,
            "governed_by": self.ref.main,
            "eligible_agents": list(t.eligible),
            "backward_compatible": self.compat.backward_compatible,
            "problems": list(self.problems),
            "governance": self.governance.to_json() if self.governance else None,
            "reasons": {b.commit: b.text for b in self.ballots if b.kind == "vote"},
            "debate": [
                {"agent": b.agent, "commit": b.commit, "text": b.text, "time": b.time}
                for b in self.ballots
                if b.kind == "comment" and b.problem is None
            ],
        }


def count(
    git: GitRepo, proposal_id: str, now: int | None = None, memo: BallotMemo | None = None
) -> Count:
    return count_ref(git, find_proposal(git, proposal_id), now, memo)


@dataclass(frozen=True)
class Integrity:
    """What the branch is, byte for byte, and every fault that makes it unapprovable
    whatever the votes (the hook refuses a push with any of them)."""

    deltas: tuple[RawDelta, ...]
    content_id: str
    judgement: Judgement
    problems: tuple[str, ...]


def integrity(
    git: GitRepo, ref: ProposalRef, policy: Policy | None = None,
    meta: ProposalMeta | None = None, memo: BallotMemo | None = None,
) -> Integrity:
    policy = policy_at(git, ref.main) if policy is None else policy
    meta = ref.meta(git) if meta is None else meta
    deltas = git.raw_diff(git.commit_tree(ref.base), git.commit_tree(ref.tip))
    cid = content_id(deltas)
    verdict = judge(git, ref.lineage, ref.id, meta.proposer, cid, policy,
                    git.blob_id(ref.main, POLICY_FILE) or "", memo)
    problems = list(verdict.problems)
    problems += scope_problems(ref.id, meta.proposal_type, deltas)
    problems += schema_problems(git, deltas)
    return Integrity(tuple(deltas), cid, verdict, tuple(problems))


def cosign_commits(git: GitRepo, ref: ProposalRef, found: Integrity) -> tuple[str, ...]:
    """The ballots signed by a key a governance proposal adds or rotates: proofs of
    possession, not forgeries (the hook accepts them)."""
    meta = ref.meta(git)
    if meta.proposal_type != "governance":
        return ()
    gov = governance_count(git, ref, meta, policy_at(git, ref.main), found.content_id,
                           found.judgement.opened_at, found.judgement.ballots)
    return gov.cosign_commits


def count_ref(
    git: GitRepo, ref: ProposalRef, now: int | None = None, memo: BallotMemo | None = None,
) -> Count:
    """Count `ref` under the roster and rules of `ref.main` (the commit its merge lands
    on), over the content base..tip, along the tip's first-parent chain only."""
    policy = policy_at(git, ref.main)
    meta = ref.meta(git)
    found = integrity(git, ref, policy, meta, memo)
    verdict = found.judgement
    changed = sorted({d.name for d in found.deltas})
    problems = list(found.problems)
    compat = compute_compat(git, ref, meta, policy, changed)
    sql = check_proposal_sql(git, ref.main, ref.tip, ref.id, policy, meta)  # lands on main
    rule = choose_rule(policy, meta, compat, changed, sql.destructive)
    eligible = [a.name for a in policy.voters]
    gov: GovernanceCount | None = None
    if meta.proposal_type == "governance":
        gov = governance_count(git, ref, meta, policy, found.content_id, verdict.opened_at,
                               verdict.ballots)
        rule, eligible = gov.rule, list(gov.eligible)
        problems += list(gov.problems)
    votes = [
        CastVote(b.agent, b.vote, b.commit)
        for b in verdict.ballots
        if b.problem is None and b.vote is not None and b.agent is not None
    ]
    window = policy.rules.voting_window_hours
    now = int(_time.time()) if now is None else now
    opened = verdict.opened_at
    closed = window is not None and opened is not None and now > opened + window * 3600
    result = tally(votes, eligible, rule, window_closed=closed)
    problems += list(compat.mismatches)
    problems += list(sql.problems)
    return Count(ref.id, ref, meta, found.content_id, result, verdict.ballots, compat,
                 tuple(dict.fromkeys(problems)), gov, sql)


def schema_problems(git: GitRepo, deltas: Sequence[RawDelta]) -> list[str]:
    """Every schema the proposal writes must be strict JSON valid against its metaschema."""
    out: list[str] = []
    for d in deltas:
        path = d.name
        if d.status == "D" or not path.startswith(f"{SCHEMA_DIR}/"):
            continue
        data = git.blob(d.new_id)
        if data is None:
            out.append(f"{path} cannot be read as a file")
            continue
        problem = schema_file_problem(data, path)
        if problem is not None:
            out.append(problem)
    return out


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
        try:
            old = parse_schema(old_raw, f"{path}@base") if old_raw is not None else None
            new = parse_schema(new_raw, f"{path}@tip") if new_raw is not None else None
            if new is None:
                backward = forward = False
                continue  # a deleted schema: scope_problems blocks it
            verdict = verdict_for(old, new, policy)
        except SenateError:
            # An unreadable or invalid schema: schema_problems blocks the proposal, and
            # nothing can be said of its compatibility.
            backward = _and(backward, None)
            forward = _and(forward, None)
            continue
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
    if meta.proposal_type == "governance" or POLICY_FILE in changed:
        return Rule("unanimous", f"the proposal changes {POLICY_FILE} (governance: every "
                    "eligible agent must approve)", num, den)
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
