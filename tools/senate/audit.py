"""`senate audit`: replay main's history and re-verify every governed change from git alone.

Walking main's first-parent line from its root (the `senate init` commit, trusted), each
commit must be one of:
- a Senate merge (two parents, Senate-Proposal trailer) whose second parent, counted with
  the roster at the merge base and the clock at the merge, is approved; whose trailers
  say exactly what that count says; and whose tree is the plain merge plus only the
  version bump;
- an archive commit that only adds files under proposals/archive/<id>/;
- any other commit, as long as it changes nothing under schemas/ nor senate.toml, nor
  what came through earlier merges and archives: a proposal's folder (its migration.sql
  feeds the generated migrations) and proposals/archive/ are written only by Senate.
Nothing is taken from the merge's signature or author: only the votes decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from senate.ballots import KeyRing, signer
from senate.counting import count_ref
from senate.errors import SenateError
from senate.git import GitRepo
from senate.git.trees import tree_diff_paths
from senate.lineage import Mainline, trace
from senate.merging import approvers, plan_merge
from senate.migrate.chain import MIGRATIONS_DIR
from senate.policy import POLICY_FILE
from senate.proposal import ARCHIVE_DIR, PROPOSALS_DIR, check_id
from senate.proposals import ProposalRef, commit_fields, main_tip, policy_at
from senate.rawcommit import RawCommit, parse_commit
from senate.registry import SCHEMA_DIR
from senate.tally_report import check_reason

PROPOSAL_FILE = re.compile(rf"{PROPOSALS_DIR}/[0-9]{{4}}-[^/]+/")
ViolationKind = Literal[
    "direct_change", "not_approved", "tampered_trailer", "hidden_change", "bad_archive",
    "bad_migration", "bad_adoption",
]


@dataclass(frozen=True)
class Violation:
    commit: str
    kind: ViolationKind
    message: str

    def to_json(self) -> dict[str, str]:
        return {"commit": self.commit, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class AuditReport:
    main: str
    root: str
    commits: int
    merges: tuple[tuple[str, str], ...]  # (commit, proposal) of every Senate merge seen
    violations: tuple[Violation, ...]
    before_governance: int = 0  # commits before a `senate adopt` commit: not audited

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "main": self.main,
            "root": self.root,
            "commits": self.commits,
            "merges": [{"commit": c, "proposal": p} for c, p in self.merges],
            "violations": [v.to_json() for v in self.violations],
            "before_governance": self.before_governance,
        }


def mainline(git: GitRepo) -> list[str]:
    """Main's first-parent line, oldest (the root) first."""
    return list(reversed(list(git.first_parent_history(main_tip(git)))))


def audit(
    git: GitRepo, commits: list[str] | None = None, step: Callable[[], None] | None = None,
    jobs: int | None = None,
) -> AuditReport:
    """`jobs`: processes judging commits side by side (None: one per CPU for a long
    history, see senate.auditpool); the report is the same for any number."""
    from senate.auditpool import default_jobs, verdicts

    line = mainline(git) if commits is None else commits
    history = Mainline.of(git, line[-1])
    violations: list[Violation] = []
    # -- where the audited line starts: the root, or a `senate adopt` commit (adopt.py) --
    from senate.adopt import governance_start

    start = governance_start(git, line)
    if start.problem is not None and start.claimed_by is not None:
        violations.append(Violation(start.claimed_by, "bad_adoption", start.problem))
    earlier, line = line[:start.index], line[start.index:]
    # -- end of the adoption edit --
    merges: list[tuple[str, str]] = []
    todo = line[1:]
    judged = verdicts(git, history, todo, default_jobs(len(todo)) if jobs is None else jobs)
    for oid, (found, proposal) in zip(todo, judged, strict=True):
        violations += found
        if proposal is not None:
            merges.append((oid, proposal))
        if step is not None:
            step()
    return AuditReport(line[-1], line[0], len(line), tuple(merges), tuple(violations),
                       len(earlier))


def governed(paths: list[str]) -> list[str]:
    return [p for p in paths if p.startswith(f"{SCHEMA_DIR}/") or p == POLICY_FILE]


def audit_commit(
    git: GitRepo, oid: str, history: Mainline | None = None
) -> tuple[list[Violation], str | None]:
    """The violations in one commit of main's first-parent line, and its proposal if any.

    `history`: main's first-parent line holding `oid` (read from `oid` when None).
    """
    data = git.read_commit(oid)
    head = git.head_of(data) if data is not None else None
    if data is None or head is None or not head[1]:
        return [Violation(oid, "direct_change", "the commit cannot be read, or has no "
                          "parent")], None
    parents = head[1]
    raw = parse_commit(data)
    if raw.problems:
        return [Violation(oid, "direct_change", "the commit object is ambiguous: "
                          + "; ".join(raw.problems))], None
    fields = commit_fields(data)
    if history is None or history.position(oid) is None:
        history = Mainline.of(git, oid)
    before = history.upto(parents[0])
    if len(parents) == 2 and "senate-proposal" in fields:
        return audit_merge(git, oid, parents[1], fields, before)
    # Any other merge (code, docs) is judged like a direct commit, by what it changes
    # against its first parent: what it brings in never becomes a base or a roster,
    # since only main's first-parent history governs.
    changed = git.changed_paths(parents[0], oid)
    if "senate-archive-reason" in fields:
        return audit_archive(git, oid, raw, changed, fields, before), None
    out: list[Violation] = []
    touched = governed(changed) + [p for p in changed if PROPOSAL_FILE.match(p)]
    if touched:
        out.append(Violation(oid, "direct_change", "changes " + ", ".join(touched[:5]) +
                             " without a Senate merge"))
    archived = [p for p in changed if p.startswith(f"{ARCHIVE_DIR}/")]
    if archived:
        out.append(Violation(oid, "bad_archive", "changes archived records outside an "
                             f"archive commit: {', '.join(archived[:5])}"))
    if any(p.startswith(f"{MIGRATIONS_DIR}/") for p in changed):
        out += audit_migrations(git, oid, parents[0])
    return out, None


def audit_migrations(git: GitRepo, oid: str, parent: str) -> list[Violation]:
    """A commit touching migrations/ must be exactly what generation writes on its parent."""
    from senate.migrate.generate import generated_tree

    try:
        expected = generated_tree(git, parent)
    except SenateError as exc:
        return [Violation(oid, "bad_migration", f"migrations cannot be generated on "
                          f"{parent[:12]}: {exc.message}")]
    if expected != git.commit_tree(oid):
        return [Violation(oid, "bad_migration", "changes migrations/ other than "
                          "`senate migrate generate` would: migrations are only generated")]
    return []


def audit_archive(
    git: GitRepo, oid: str, raw: RawCommit, changed: list[str], fields: dict[str, list[str]],
    before: Mainline,
) -> list[Violation]:
    """An archive commit only adds its record, names the archived tip, and is signed: by
    the proposer (a withdrawal) or by a roster member when the count says rejected."""
    ids = fields.get("senate-proposal", [])
    if len(ids) != 1:
        return [Violation(oid, "bad_archive", "an archive commit must name one proposal")]
    pid, parent = ids[0], before.tip
    folder = f"{ARCHIVE_DIR}/{pid}/"
    bad = [p for p in changed
           if not p.startswith(folder) or git.blob_id(parent, p) is not None]
    if bad:
        return [Violation(oid, "bad_archive", f"the archive of {pid} does more than add "
                          f"{folder}: {', '.join(bad[:5])}")]
    kinds, tips = fields.get("senate-archive-reason", []), fields.get("senate-tip", [])
    if len(kinds) != 1 or kinds[0] not in ("withdrawn", "rejected") or len(tips) != 1:
        return [Violation(oid, "bad_archive", f"the archive of {pid} must say once whether it "
                          "is withdrawn or rejected, and name the archived tip (Senate-Tip)")]
    try:
        policy = policy_at(git, parent)
        agent, problem, detail = signer(raw, KeyRing(policy))
        if problem is not None or agent is None:
            return [Violation(oid, "bad_archive", f"the archive of {pid} is not signed by a "
                              f"roster member ({problem}: {detail})")]
        author = raw.author
        if author is None or (author.name, author.email) != (agent.name, agent.email):
            return [Violation(oid, "bad_archive", f"the archive of {pid} is signed by "
                              f"{agent.name} but authored as someone else")]
        ref = ProposalRef(pid, "branch", tips[0], parent, trace(git, tips[0], before))
        c = count_ref(git, ref, now=raw.committer.timestamp if raw.committer else 0)
    except SenateError as exc:
        return [Violation(oid, "bad_archive", f"the archived {pid} cannot be counted: "
                          f"{exc.message}")]
    if kinds[0] == "withdrawn" and agent.name != c.meta.proposer:
        return [Violation(oid, "bad_archive", f"{pid} was withdrawn by {agent.name}; only its "
                          f"proposer {c.meta.proposer} may withdraw it")]
    if kinds[0] == "rejected" and c.status != "rejected":
        return [Violation(oid, "bad_archive", f"{pid} was archived as rejected by "
                          f"{agent.name}, but its count says {c.status}")]
    return []


def audit_merge(
    git: GitRepo, oid: str, tip: str, fields: dict[str, list[str]], before: Mainline
) -> tuple[list[Violation], str | None]:
    main = before.tip
    ids = fields["senate-proposal"]
    if len(ids) != 1:
        return [Violation(oid, "tampered_trailer", f"Senate-Proposal given {len(ids)} times")], None
    pid = ids[0]
    try:
        check_id(pid)
    except SenateError:
        return [Violation(oid, "tampered_trailer", f"invalid Senate-Proposal {pid!r}")], None
    if git.read_file(tip, f"{PROPOSALS_DIR}/{pid}/proposal.json") is None:
        return [Violation(oid, "not_approved",
                          f"the second parent {tip[:12]} holds no proposal {pid}")], pid
    # Counted exactly as `senate merge` counted it: main's roster at the first parent, the
    # tip's first-parent chain (every commit the merge brings in), the merge's clock.
    ref = ProposalRef(pid, "branch", tip, main, trace(git, tip, before))
    try:
        c = count_ref(git, ref, now=git.commit_time(oid))
        plan = plan_merge(git, main, tip, ref.base)
    except SenateError as exc:
        return [Violation(oid, "not_approved", f"{pid} cannot be counted: {exc.message}")], pid
    out: list[Violation] = []
    reason = check_reason(c)
    if reason is not None:
        out.append(Violation(oid, "not_approved", f"{pid} was not approved at "
                             f"{tip[:12]}: {reason}"))
    expected: dict[str, list[str]] = {
        "senate-content-id": [c.content_id],
        "senate-base": [ref.base],
        "senate-tip": [tip],
        "senate-rule": [c.tally.rule.name],
        "senate-approved-by": list(approvers(c)),
        "senate-schema-version": [f"{t}={v}" for t, v in plan.versions],
    }
    for key, want in expected.items():
        got = fields.get(key, [])
        if sorted(got) != sorted(want):
            out.append(Violation(oid, "tampered_trailer", f"{key.title()} says "
                                 f"{', '.join(got) or 'nothing'}; the count says "
                                 f"{', '.join(want) or 'nothing'}"))
    if plan.tree is None:
        out.append(Violation(oid, "hidden_change", f"{pid} does not merge into "
                             f"{main[:12]} ({', '.join(plan.conflicts)}): the recorded "
                             "tree was resolved by hand"))
    elif plan.tree != git.commit_tree(oid):
        extra = tree_diff_paths(git, plan.tree, git.commit_tree(oid))
        out.append(Violation(oid, "hidden_change", "the merge changes more than the "
                             f"proposal and its version bump: {', '.join(extra[:5])}"))
    return out, pid
