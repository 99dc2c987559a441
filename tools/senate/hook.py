"""Push-time enforcement: which ref updates a governed repository accepts.

`check_push` is what the pre-receive hook runs over the updates git read from the
pusher (before any ref moves, with the pushed objects readable). It returns every
refusal with its reason; one refusal refuses the whole push, so the server stays as it
was. The rules:

- main moves only forward, along its first-parent line, and each new first-parent
  commit either merges a proposal that `senate check` approves at the merge's second
  parent (tree = the clean merge plus the schema version bump), or touches neither
  schemas/ nor senate.toml (migrations, archive records, docs).
- a proposal branch only gains the proposer's signed content commits (own folder,
  schemas/, senate.toml) and structurally valid vote/comment commits (stale or
  superseded votes are fine: the counter ignores them, they are not forgeries), or a
  clean merge of main; it never loses commits, and is deleted only by `senate archive`
  (same push: tag archive/<id> at the branch tip, main holding proposals/archive/<id>/).
- tags archive/* are created once and never move or disappear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from senate.ballots import BranchContext, IgnoreReason, KeyRing, examine, signer
from senate.errors import SenateError
from senate.git import GitRepo
from senate.git.merging import merge_commits
from senate.git.trees import tree_diff_paths
from senate.hooklock import RefUpdate
from senate.policy import POLICY_FILE
from senate.proposal import ARCHIVE_DIR, PROPOSALS_DIR, load_meta
from senate.proposals import ARCHIVE_TAG_PREFIX, BRANCH_PREFIX, ProposalRef, policy_at
from senate.rawcommit import parse_commit
from senate.registry import SCHEMA_DIR, VERSION_KEY, parse_schema
from senate.trailers import senate_fields

MAIN_REF = "refs/heads/main"
# What makes a vote or comment a forgery or garbage rather than merely not counted.
STRUCTURAL: frozenset[IgnoreReason] = frozenset({
    "unsigned", "bad_signature", "unknown_key", "author_mismatch", "wrong_proposal",
    "changes_files", "ambiguous", "not_a_vote",
})


@dataclass(frozen=True)
class Refusal:
    ref: str
    reason: str

    def render(self) -> str:
        return f"senate: refused {self.ref}: {self.reason}"


def check_push(git: GitRepo, updates: list[RefUpdate]) -> list[Refusal]:
    """Every rule broken by this push (empty: accept it)."""
    by_ref = {u.ref: u for u in updates}
    refusals: list[Refusal] = []
    for update in updates:
        try:
            reasons = _check(git, update, by_ref)
        except SenateError as exc:  # unreadable proposal.json, missing object, ...
            reasons = [exc.message]
        refusals += [Refusal(update.ref, r) for r in reasons]
    return refusals


def _check(git: GitRepo, u: RefUpdate, by_ref: dict[str, RefUpdate]) -> list[str]:
    if u.ref == MAIN_REF:
        return check_main(git, u)
    if u.ref.startswith(BRANCH_PREFIX):
        return check_proposal_branch(git, u, by_ref)
    if u.ref.startswith(ARCHIVE_TAG_PREFIX) and u.old is not None:
        return ["archive tags are immutable: they cannot be moved or deleted"]
    return []


# -- main ------------------------------------------------------------------------------
def check_main(git: GitRepo, u: RefUpdate) -> list[str]:
    if u.new is None:
        return ["main cannot be deleted"]
    if u.old is None:
        return []  # the first push of the repository establishes it
    if not git.is_ancestor(u.old, u.new):
        return ["main cannot be rewritten (non-fast-forward push)"]
    line: list[str] = []
    for oid in git.first_parent_history(u.new):
        if oid == u.old:
            break
        line.append(oid)
    else:
        return ["main must move along its first-parent line (merge into main, not main "
                "into a branch)"]
    reasons: list[str] = []
    for oid in reversed(line):
        reasons += check_main_commit(git, oid)
    return reasons


def check_main_commit(git: GitRepo, oid: str) -> list[str]:
    parents = git.commit_parents(oid)
    if len(parents) == 2:
        proposal = merged_proposal(git, oid, parents[0], parents[1])
        if proposal is not None:
            return check_proposal_merge(git, oid, proposal, parents[0], parents[1])
    governed = [p for p in git.changed_paths(parents[0] if parents else None, oid)
                if p.startswith(f"{SCHEMA_DIR}/") or p == POLICY_FILE]
    if governed:
        return [f"commit {oid[:12]} changes {', '.join(governed[:3])} without an approved "
                "proposal: schemas/ and senate.toml change only by `senate merge`"]
    return []


def merged_proposal(git: GitRepo, oid: str, first: str, second: str) -> str | None:
    """The proposal a merge brings in: named by its trailer, present only in the second
    parent (the same test `senate` uses to find merged proposals)."""
    pid = senate_fields(git.commit_message(oid)).proposal
    candidates = [pid] if pid else git.list_dir(second, PROPOSALS_DIR)
    for name in candidates:
        path = f"{PROPOSALS_DIR}/{name}/proposal.json"
        if git.read_file(second, path) is not None and git.read_file(first, path) is None:
            return name
    return None


def check_proposal_merge(git: GitRepo, oid: str, pid: str, first: str, second: str) -> list[str]:
    from senate.counting import count_ref
    from senate.tally_report import check_reason

    base = git.merge_base(first, second) or first
    counted = count_ref(git, ProposalRef(pid, "branch", second, base, first))
    reason = check_reason(counted)
    if reason is not None:
        return [f"merge {oid[:12]} of proposal {pid} is not approved at {second[:12]}: "
                f"{reason}"]
    clean = merge_commits(git, first, second).tree
    if clean is None:
        return [f"merge {oid[:12]}: proposal {pid} does not merge cleanly into main"]
    target = f"{SCHEMA_DIR}/{counted.meta.target_artifact_type}.json"
    extra = [p for p in tree_diff_paths(git, clean, git.commit_tree(oid)) if p != target]
    if extra:
        return [f"merge {oid[:12]} changes {', '.join(extra[:3])} beyond the approved "
                "proposal"]
    return _version_bump(git, oid, first, target)


def _version_bump(git: GitRepo, oid: str, first: str, target: str) -> list[str]:
    """The merge's schema is the proposal's with x-senate-version = main's + 1."""
    merged_raw = git.read_file(oid, target)
    if merged_raw is None:
        return [f"merge {oid[:12]} deletes {target}"]
    merged = parse_schema(merged_raw, f"{target}@{oid[:12]}")
    before_raw = git.read_file(first, target)
    before = parse_schema(before_raw, target).get(VERSION_KEY, 0) if before_raw else 0
    want = (before if isinstance(before, int) else 0) + 1
    if merged.get(VERSION_KEY) != want:
        return [f"merge {oid[:12]} sets {target} {VERSION_KEY} to "
                f"{json.dumps(merged.get(VERSION_KEY))}, expected {want}"]
    return []


# -- proposal branches -------------------------------------------------------------------
def check_proposal_branch(git: GitRepo, u: RefUpdate, by_ref: dict[str, RefUpdate]) -> list[str]:
    pid = u.ref[len(BRANCH_PREFIX):]
    if u.new is None:
        return _check_deletion(git, pid, u, by_ref)
    if u.old is not None and not git.is_ancestor(u.old, u.new):
        dropped = git.walk(u.old, hide=u.new)
        return [f"proposal/{pid} cannot be force-pushed: it would drop {len(dropped)} "
                f"commit(s) ({', '.join(c[:12] for c in dropped[:3])}); votes are never "
                "removed"]
    main = git.ref_target(MAIN_REF)
    if main is None:
        return [f"there is no main to propose against; push main before proposal/{pid}"]
    base = git.merge_base(main, u.new)
    if base is None:
        return [f"proposal/{pid} shares no history with main"]
    new_commits = git.walk(u.new, hide=u.old if u.old is not None else main)
    return BranchRules(git, pid, base, u.new, main).check(new_commits)


def _check_deletion(
    git: GitRepo, pid: str, u: RefUpdate, by_ref: dict[str, RefUpdate]
) -> list[str]:
    tag = by_ref.get(ARCHIVE_TAG_PREFIX + pid)
    main_update = by_ref.get(MAIN_REF)
    main = main_update.new if main_update else git.ref_target(MAIN_REF)
    tagged = tag is not None and tag.old is None and tag.new is not None and (
        git.resolve(tag.new) == u.old
    )
    archived = main is not None and (
        git.read_file(main, f"{ARCHIVE_DIR}/{pid}/proposal.json") is not None
    )
    if tagged and archived:
        return []
    return [f"proposal/{pid} can only be deleted by `senate archive` (the same push must "
            f"create tag archive/{pid} at the branch tip and put {ARCHIVE_DIR}/{pid}/ on "
            "main)"]


class BranchRules:
    """Checks the commits a push adds to one proposal branch."""

    def __init__(self, git: GitRepo, pid: str, base: str, tip: str, main: str) -> None:
        self.git, self.pid, self.main = git, pid, main
        self.policy = policy_at(git, base)
        self.keys = KeyRing(self.policy)
        # Times and the patch id do not matter here: a stale or late vote is not counted
        # but is not a forgery either, so it may be pushed.
        self.ctx = BranchContext(pid, git.patch_id(base, tip), self.policy, 0, None, None)

    def check(self, commits: list[str]) -> list[str]:
        reasons: list[str] = []
        for oid in commits:
            reasons += self.check_commit(oid)
        return reasons

    def check_commit(self, oid: str) -> list[str]:
        parents = self.git.commit_parents(oid)
        if len(parents) > 1:
            return self._merge_of_main(oid, parents)
        ballot = examine(oid, self.git.raw_commit(oid), self.git.commit_tree, self.ctx,
                         self.keys)
        if ballot.kind == "content":
            # A content commit is judged by who signed it and what it touches; Senate
            # vote-trailer problems (no patch id on a propose commit) do not apply to it.
            return self._content(oid, parents)
        if ballot.problem in STRUCTURAL:
            return [f"{ballot.kind} commit {oid[:12]} is invalid ({ballot.problem}): "
                    f"{ballot.detail}"]
        return []

    def _merge_of_main(self, oid: str, parents: list[str]) -> list[str]:
        if len(parents) == 2 and self.git.is_ancestor(parents[1], self.main):
            clean = merge_commits(self.git, parents[0], parents[1]).tree
            if clean is not None and clean == self.git.commit_tree(oid):
                return []
        return [f"merge commit {oid[:12]}: a proposal branch may only merge main in cleanly"]

    def _content(self, oid: str, parents: list[str]) -> list[str]:
        meta_path = f"{PROPOSALS_DIR}/{self.pid}/proposal.json"
        if not parents:
            return [f"commit {oid[:12]} has no parent"]
        # The proposer is the one named before this commit (or by it, when it opens the
        # proposal): a content commit cannot hand the proposal to someone else.
        meta_raw = self.git.read_file(parents[0], meta_path) or self.git.read_file(
            oid, meta_path)
        if meta_raw is None:
            return [f"commit {oid[:12]} does not carry {meta_path}"]
        proposer = load_meta(meta_raw, meta_path).proposer
        raw = parse_commit(self.git.raw_commit(oid))
        if raw.problems:
            return [f"content commit {oid[:12]} is ambiguous: {'; '.join(raw.problems)}"]
        agent, problem, detail = signer(raw, self.keys)
        if problem is not None or agent is None:
            return [f"content commit {oid[:12]} is not validly signed ({problem}): {detail}"]
        if agent.name != proposer:
            return [f"content commit {oid[:12]} is signed by {agent.name}; only the proposer "
                    f"{proposer} may change proposal {self.pid}"]
        author = raw.author
        if author is None or (author.name, author.email) != (agent.name, agent.email):
            return [f"content commit {oid[:12]} is signed by {agent.name} but authored by "
                    "someone else"]
        own = f"{PROPOSALS_DIR}/{self.pid}/"
        stray = [p for p in self.git.changed_paths(parents[0], oid)
                 if not (p.startswith(own) or p.startswith(f"{SCHEMA_DIR}/")
                         or p == POLICY_FILE)]
        if stray:
            return [f"content commit {oid[:12]} changes {', '.join(stray[:3])}: a proposal "
                    f"may only touch {own}, {SCHEMA_DIR}/ and {POLICY_FILE}"]
        return []
