"""`senate archive`: a rejected or withdrawn proposal leaves the branch list, not history.

The archive is a commit on main that only adds `proposals/archive/<id>/` (metadata, the
final tally, every vote's and comment's reasoning, the reason), a tag `archive/<id>` on
the last tip so the votes stay reachable, and the branch deleted by compare-and-swap.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate.commits import agent_for_key
from senate.counting import Count, count_ref
from senate.errors import ConflictError, UsageError
from senate.git import GitRepo
from senate.mainline import WorkTree, advance_main, write_main_commit
from senate.proposal import ARCHIVE_DIR, PROPOSALS_DIR
from senate.proposals import ARCHIVE_TAG_PREFIX, branch_ref, find_proposal, policy_at

ATTEMPTS = 8
ArchiveKind = Literal["rejected", "withdrawn"]


@dataclass(frozen=True)
class Archived:
    proposal: str
    commit: str
    tag: str
    tip: str
    kind: ArchiveKind
    reason: str
    branch_deleted: bool
    worktree: WorkTree

    def to_json(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "archived": True,
            "commit": self.commit,
            "tag": self.tag,
            "tip": self.tip,
            "kind": self.kind,
            "reason": self.reason,
            "branch_deleted": self.branch_deleted,
            "worktree": self.worktree,
        }


def archive_files(git: GitRepo, c: Count, reason: str) -> dict[str, bytes]:
    """Everything written under proposals/archive/<id>/."""
    own = f"{PROPOSALS_DIR}/{c.proposal}"
    folder = f"{ARCHIVE_DIR}/{c.proposal}"
    files: dict[str, bytes] = {
        f"{folder}/tally.json": (json.dumps(c.to_json(), indent=2, ensure_ascii=False)
                                 + "\n").encode(),
        f"{folder}/votes.md": votes_markdown(c).encode(),
        f"{folder}/reason.txt": reason.strip().encode() + b"\n",
    }
    for name in git.list_dir(c.ref.tip, own):
        data = git.read_file(c.ref.tip, f"{own}/{name}")
        if data is not None:
            files[f"{folder}/{name}"] = data
    return files


def votes_markdown(c: Count) -> str:
    """Every vote and comment on the branch with its reasoning, counted or not."""
    t = c.tally
    out = [
        f"# Votes and debate on {c.proposal}",
        "",
        f"Final status: **{c.status}**. Rule {t.rule.name} ({t.rule.reason}): "
        f"{t.approve} approve, {t.reject} reject, {t.abstain} abstain; {t.required} of "
        f"{len(t.eligible)} eligible needed. Content id `{c.content_id}`, tip `{c.ref.tip}`.",
        "",
    ]
    superseded = {s.commit: s.by for s in t.superseded}
    for b in c.ballots:
        if b.touches_files:
            continue
        what = b.vote if b.kind == "vote" and b.vote else b.kind
        if b.problem is not None:
            standing = f"did not count: {b.problem}" + (f" ({b.detail})" if b.detail else "")
        elif b.commit in superseded:
            standing = f"superseded by `{superseded[b.commit][:12]}`"
        else:
            standing = "counted" if b.kind == "vote" else "comment"
        out += [f"## {b.agent or 'unknown signer'}: {what} (`{b.commit[:12]}`, {standing})",
                "", b.text.strip() or "(no reasoning given)", ""]
    return "\n".join(out)


def archive_message(proposal_id: str, kind: ArchiveKind, reason: str, tip: str) -> str:
    lines = reason.strip().splitlines() or [kind]
    subject = lines[0] if len(lines[0]) <= 72 else lines[0][:69].rstrip() + "..."
    body = "\n".join(lines[1:]).strip()
    parts = [f"archive({proposal_id}): {subject}"]
    if body:
        parts.append(body)
    parts.append(f"Senate-Proposal: {proposal_id}\nSenate-Archive-Reason: {kind}\n"
                 f"Senate-Tip: {tip}")
    return "\n\n".join(parts) + "\n"


def archive_proposal(
    git: GitRepo,
    proposal_id: str,
    reason: str,
    *,
    key: Ed25519PrivateKey | None = None,
    now: int | None = None,
    expect: ArchiveKind | None = None,
) -> Archived:
    """Archive as rejected when the count says so, else as the proposer's withdrawal.

    Archiving is signed: by any roster member when the count says rejected, by the
    proposer otherwise; anyone else is refused before anything is written. CAS everywhere.
    `expect` (withdraw, sweep): "withdrawn" archives as the proposer's withdrawal whatever
    the count; "rejected" archives only while the count still says rejected (ConflictError
    if not).
    """
    if not reason.strip():
        raise UsageError("an archive needs a reason", "pass --reason TEXT")
    if key is None:
        raise UsageError("archiving is signed: no key given",
                         "pass --key: the proposer's to withdraw, any roster member's for a "
                         "proposal its count rejects")
    for attempt in range(1, ATTEMPTS + 1):
        ref = find_proposal(git, proposal_id)
        if ref.location != "branch":
            raise UsageError(f"proposal {proposal_id} is already {ref.location}",
                             "only open proposals can be archived")
        c = count_ref(git, ref, now)
        kind: ArchiveKind = "rejected" if c.status == "rejected" else "withdrawn"
        if expect == "rejected" and kind != "rejected":
            raise ConflictError(f"proposal {proposal_id} is {c.status}, no longer rejected",
                                "it is left open; nothing was archived")
        kind = expect or kind
        agent = agent_for_key(policy_at(git, ref.main), key)
        if kind == "withdrawn" and agent.name != c.meta.proposer:
            raise UsageError(
                f"{proposal_id} is {c.status}, not rejected: only its proposer "
                f"{c.meta.proposer} may withdraw it, not {agent.name}",
                "sign with the proposer's key, or wait until the count rejects it")
        tree = git.build_tree(ref.main, archive_files(git, c, reason))
        message = archive_message(proposal_id, kind, reason, ref.tip)
        commit = write_main_commit(git, tree, [ref.main], message, key)
        tag = ARCHIVE_TAG_PREFIX + proposal_id
        if git.ref_target(branch_ref(proposal_id)) != ref.tip:
            continue  # a vote arrived meanwhile: archive with it counted
        made_tag, stray = _ensure_tag(git, tag, ref.tip)
        try:
            updated = advance_main(git, commit, ref.main)
        except ConflictError:
            if made_tag:
                git.delete_ref(tag, ref.tip)
            time.sleep(random.uniform(0.005, 0.05) * attempt)
            continue
        except BaseException:
            if made_tag:
                git.delete_ref(tag, ref.tip)
            raise
        deleted = False
        if not stray:  # with a stray tag elsewhere, only the branch keeps the votes
            try:
                git.delete_ref(branch_ref(proposal_id), ref.tip)
                deleted = True
            except ConflictError:
                pass  # it moved after archiving; the tag still keeps the old tip
        return Archived(proposal_id, commit, tag, ref.tip, kind, reason.strip(), deleted,
                        updated)
    raise ConflictError(f"main or proposal/{proposal_id} kept moving; gave up after "
                        f"{ATTEMPTS} attempts", "run the command again")


def _ensure_tag(git: GitRepo, tag: str, tip: str) -> tuple[bool, bool]:
    """Create the archive tag: (this call made it, a stray tag points elsewhere).

    A tag alone archives nothing (the record on main does, naming the tip), so a stray
    one pushed by anyone is left alone rather than blocking the archive.
    """
    existing = git.ref_target(tag)
    if existing == tip:
        return False, False
    if existing is not None:
        return False, True
    git.create_ref(tag, tip)
    return True, False
