"""`senate merge`: an approved proposal becomes a true merge commit on main.

The merge is pinned to the tip that was counted (its second parent is exactly that
commit), records the tally in its trailers, bumps the version of every schema the
proposal changes, and moves main by compare-and-swap. When main moved meanwhile, the
proposal is counted again against the new main and merged again, a bounded number of
times; when it no longer merges cleanly, nothing is written.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate.counting import Count, count_ref
from senate.errors import ConflictError, SenateError
from senate.git import GitRepo
from senate.mainline import LocalChanges, WorkTree, advance_main, write_main_commit
from senate.proposals import ProposalRef, branch_ref, find_proposal
from senate.registry import SCHEMA_DIR, VERSION_KEY, dump_schema, parse_schema, version_of
from senate.tally_report import check_reason

ATTEMPTS = 8

RefusalKind = Literal[
    "closed", "not_approved", "rejected", "moved", "conflict", "dirty_worktree", "contended"
]


@dataclass(frozen=True)
class MergePlan:
    """What a Senate merge of `tip` into `main` must contain, for merge and audit alike."""

    tree: str | None  # None: the proposal does not merge cleanly
    conflicts: tuple[str, ...]
    versions: tuple[tuple[str, int], ...]  # (artifact type, new version)


@dataclass(frozen=True)
class Merged:
    proposal: str
    commit: str
    main_before: str
    tip: str
    content_id: str
    rule: str
    approved_by: tuple[str, ...]
    versions: tuple[tuple[str, int], ...]
    attempts: int
    worktree: WorkTree

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "merged": True,
            "commit": self.commit,
            "main_before": self.main_before,
            "tip": self.tip,
            "content_id": self.content_id,
            "rule": self.rule,
            "approved_by": list(self.approved_by),
            "schema_versions": dict(self.versions),
            "attempts": self.attempts,
            "worktree": self.worktree,
        }


@dataclass(frozen=True)
class Refused:
    proposal: str
    kind: RefusalKind
    reason: str
    count: Count | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "merged": False,
            "refused": self.kind,
            "reason": self.reason,
            "tally": self.count.to_json() if self.count is not None else None,
        }


def plan_merge(git: GitRepo, main: str, tip: str, base: str) -> MergePlan:
    """Main's tree with the proposal's paths (those base..tip changes) taken from the tip,
    plus the version bump of each schema it changes. Governed files are never text-merged:
    a path the proposal changes that main also changed since the base is a conflict."""
    main_tree, tip_tree = git.commit_tree(main), git.commit_tree(tip)
    base_tree = git.commit_tree(base)
    own = git.raw_diff(base_tree, tip_tree)
    theirs = {d.path for d in git.raw_diff(base_tree, main_tree)}
    clash = tuple(d.name for d in own if d.path in theirs)
    if clash:
        return MergePlan(None, clash, ())
    try:
        tree = git.overlay_tree(
            main_tree, {d.name: None if d.status == "D" else (d.new_mode, d.new_id)
                        for d in own})
    except SenateError as exc:
        return MergePlan(None, (exc.message,), ())
    changes: dict[str, bytes | None] = {}
    versions: list[tuple[str, int]] = []
    for d in own:
        path = d.name
        if d.status == "D" or not (path.startswith(f"{SCHEMA_DIR}/") and path.endswith(".json")):
            continue  # a deleted schema: counting refuses it, nothing to bump
        data = git.blob(d.new_id)
        before = git.read_file(main, path)
        try:
            old = version_of(parse_schema(before, f"{path}@main")) if before is not None else 0
            schema = parse_schema(data or b"", f"{path}@tip")
        except SenateError as exc:  # counting blocks such a proposal; say why, not crash
            return MergePlan(None, (exc.message,), ())
        schema[VERSION_KEY] = old + 1
        changes[path] = dump_schema(schema)
        versions.append((path[len(SCHEMA_DIR) + 1 : -len(".json")], old + 1))
    return MergePlan(git.edit_tree(tree, changes), (), tuple(versions))


def approvers(c: Count) -> tuple[str, ...]:
    return tuple(sorted(v.agent for v in c.tally.counted if v.vote == "approve"))


def merge_message(c: Count, plan: MergePlan) -> str:
    meta = c.meta
    what = meta.target_artifact_type + (f".{meta.field}" if meta.field else "")
    rationale = meta.rationale.strip().splitlines()
    lines = [
        f"merge({c.proposal}): {meta.change_type} {what}",
        "",
        rationale[0] if rationale else "(no rationale)",
        "",
        f"Senate-Proposal: {c.proposal}",
        f"Senate-Content-Id: {c.content_id}",
        f"Senate-Base: {c.ref.base}",
        f"Senate-Tip: {c.ref.tip}",
        f"Senate-Rule: {c.tally.rule.name}",
        *(f"Senate-Approved-By: {a}" for a in approvers(c)),
        *(f"Senate-Schema-Version: {t}={v}" for t, v in plan.versions),
    ]
    return "\n".join(lines) + "\n"


def merge_proposal(
    git: GitRepo,
    proposal_id: str,
    *,
    key: Ed25519PrivateKey | None = None,
    expected_tip: str | None = None,
    now: int | None = None,
) -> Merged | Refused:
    """Merge if approved at the counted tip; every refusal leaves every ref untouched."""
    for attempt in range(1, ATTEMPTS + 1):
        ref = find_proposal(git, proposal_id)
        if ref.location != "branch":
            return Refused(proposal_id, "closed", f"proposal {proposal_id} is already "
                           f"{ref.location}")
        if expected_tip is not None and git.resolve(expected_tip) != ref.tip:
            return Refused(proposal_id, "moved", f"proposal/{proposal_id} is at "
                           f"{ref.tip[:12]}, not at the tip given ({expected_tip[:12]}); "
                           "nothing merged")
        outcome = _attempt(git, ref, key, now, attempt)
        if outcome is not None:
            return outcome
        time.sleep(random.uniform(0.005, 0.05) * attempt)
    return Refused(proposal_id, "contended", f"main kept moving; gave up after {ATTEMPTS} "
                   "attempts, nothing merged")


def _attempt(
    git: GitRepo, ref: ProposalRef, key: Ed25519PrivateKey | None, now: int | None,
    attempt: int,
) -> Merged | Refused | None:
    """One count-and-merge against the current main; None means main moved: retry."""
    c = count_ref(git, ref, now)
    reason = check_reason(c)
    if reason is not None:
        kind: RefusalKind = "rejected" if c.status == "rejected" else "not_approved"
        return Refused(ref.id, kind, reason, c)
    plan = plan_merge(git, ref.main, ref.tip, ref.base)
    if plan.tree is None:
        return Refused(ref.id, "conflict", f"proposal/{ref.id} no longer merges cleanly "
                       f"into main ({ref.main[:12]}): main changed {', '.join(plan.conflicts)} "
                       "too since the base; nothing merged. Merge main into the branch and "
                       "resolve in a signed commit: the content id changes, so the votes "
                       "become stale and must be cast again", c)
    assert plan.tree is not None
    commit = write_main_commit(git, plan.tree, [ref.main, ref.tip], merge_message(c, plan), key)
    if git.ref_target(branch_ref(ref.id)) != ref.tip:
        return Refused(ref.id, "moved", f"proposal/{ref.id} moved after it was counted at "
                       f"{ref.tip[:12]}; nothing merged, count it again", c)
    try:
        updated = advance_main(git, commit, ref.main)
    except LocalChanges as exc:
        return Refused(ref.id, "dirty_worktree", str(exc), c)
    except ConflictError:
        return None
    return Merged(ref.id, commit, ref.main, ref.tip, c.content_id, c.tally.rule.name,
                  approvers(c), plan.versions, attempt, updated)

