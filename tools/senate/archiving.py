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

from senate.counting import Count, count_ref
from senate.errors import ConflictError, UsageError
from senate.git import GitRepo
from senate.mainline import WorkTree, advance_main, write_main_commit
from senate.proposal import ARCHIVE_DIR, PROPOSALS_DIR
from senate.proposals import ARCHIVE_TAG_PREFIX, branch_ref, find_proposal

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
        f"{len(t.eligible)} eligible needed. Patch id `{c.patch_id}`, tip `{c.ref.tip}`.",
        "",
    ]
    superseded = {s.commit: s.by for s in t.superseded}
    for b in c.ballots:
        if b.kind == "content":
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


def archive_message(proposal_id: str, kind: ArchiveKind, reason: str) -> str:
    lines = reason.strip().splitlines() or [kind]
    subject = lines[0] if len(lines[0]) <= 72 else lines[0][:69].rstrip() + "..."
    body = "\n".join(lines[1:]).strip()
    parts = [f"archive({proposal_id}): {subject}"]
    if body:
        parts.append(body)
    parts.append(f"Senate-Proposal: {proposal_id}\nSenate-Archive-Reason: {kind}")
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
    """Archive as rejected when the count says so, else as a withdrawal; CAS everywhere.

    `expect` (withdraw, sweep): "withdrawn" archives as withdrawn whatever the count;
    "rejected" archives only while the count still says rejected (ConflictError if not)."""
    if not reason.strip():
        raise UsageError("an archive needs a reason", "pass --reason TEXT")
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
        tree = git.build_tree(ref.main, archive_files(git, c, reason))
        message = archive_message(proposal_id, kind, reason)
        commit = write_main_commit(git, tree, [ref.main], message, key)
        tag = ARCHIVE_TAG_PREFIX + proposal_id
        if git.ref_target(branch_ref(proposal_id)) != ref.tip:
            continue  # a vote arrived meanwhile: archive with it counted
        made_tag = _ensure_tag(git, tag, ref.tip)
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
        try:
            git.delete_ref(branch_ref(proposal_id), ref.tip)
            deleted = True
        except ConflictError:
            deleted = False  # it moved after archiving; the tag still keeps the old tip
        return Archived(proposal_id, commit, tag, ref.tip, kind, reason.strip(), deleted,
                        updated)
    raise ConflictError(f"main or proposal/{proposal_id} kept moving; gave up after "
                        f"{ATTEMPTS} attempts", "run the command again")


def _ensure_tag(git: GitRepo, tag: str, tip: str) -> bool:
    """Create the archive tag; True when this call made it."""
    existing = git.ref_target(tag)
    if existing == tip:
        return False
    if existing is not None:
        raise ConflictError(f"{tag} exists and points at {existing[:12]}, not {tip[:12]}",
                            "remove the stale tag (`git tag -d`) and run the command again")
    git.create_ref(tag, tip)
    return True

