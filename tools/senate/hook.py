"""Push-time enforcement: which ref updates a governed repository accepts.

`check_push` is what the pre-receive hook runs over the updates git read from the
pusher (before any ref moves, with the pushed objects readable). It returns every
refusal with its reason; one refusal refuses the whole push, so the server stays as it
was. The rules:

- main moves only forward, along its first-parent line, and each new first-parent
  commit passes the rules `senate audit` replays later (senate.audit.audit_commit, so
  both always agree): a Senate merge that re-counts as approved at its second parent,
  with trailers equal to that count and a tree that is the clean merge plus the version
  bump; an archive commit that only adds its record; migrations exactly as `senate
  migrate generate` writes them on the parent; or a commit touching none of schemas/,
  senate.toml, a proposal's folder, the archive or migrations/ (docs, say).
- a proposal branch only gains the proposer's signed content commits (own folder,
  schemas/, senate.toml) and structurally valid vote/comment commits (stale or
  superseded votes are fine: the counter ignores them, they are not forgeries), or a
  clean merge of main; it never loses commits, and is deleted only by `senate archive`
  (same push: tag archive/<id> at the branch tip, main holding proposals/archive/<id>/).
- tags archive/* are created once and never move or disappear.
"""

from __future__ import annotations

from dataclasses import dataclass

from senate.ballots import BranchContext, IgnoreReason, KeyRing, examine, signer
from senate.errors import SenateError
from senate.git import GitRepo
from senate.git.merging import merge_commits
from senate.hooklock import RefUpdate
from senate.policy import POLICY_FILE
from senate.proposal import ARCHIVE_DIR, PROPOSALS_DIR, load_meta
from senate.proposals import ARCHIVE_TAG_PREFIX, BRANCH_PREFIX, policy_at
from senate.rawcommit import parse_commit
from senate.registry import SCHEMA_DIR

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
    """A new commit on main is accepted only if `senate audit` would pass it: the same
    rules, checked before the push lands instead of after."""
    from senate.audit import audit_commit

    violations, _ = audit_commit(git, oid)
    return [f"commit {oid[:12]}: {v.message}" for v in violations]


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
