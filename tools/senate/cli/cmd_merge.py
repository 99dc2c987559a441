from __future__ import annotations

import click

from senate.cli.output import emit, json_option, repo_path
from senate.cli.remote_opts import push_option, write_through


@click.command()
@click.argument("proposal_id", metavar="ID")
@click.option("--key", type=click.Path(dir_okay=False),
              help="Sign the merge commit as this roster agent (default: unsigned `senate`).")
@click.option("--tip", "expected_tip", default=None, metavar="COMMIT",
              help="Merge only if proposal/ID is still at this commit (pin what CI checked).")
@json_option
@push_option
@click.pass_context
def merge(ctx: click.Context, proposal_id: str, key: str | None, expected_tip: str | None,
          push_remote: str | None) -> int:
    """Merge an approved proposal into main (a true merge commit, version bumped).

    Refuses, writing nothing, unless the proposal is approved at the tip it counts. A
    rejected proposal is archived instead ("rejected: <reason>") and the exit code is 1.
    """
    from senate.archiving import Archived, archive_proposal
    from senate.git import GitRepo
    from senate.git.repo import MAIN
    from senate.mainline import worktree_note
    from senate.merging import Merged, Refused, merge_proposal
    from senate.proposals import ARCHIVE_TAG_PREFIX, branch_ref
    from senate.sshsig import load_private_key

    git = GitRepo.open(repo_path(ctx))
    private = load_private_key(key) if key else None
    refs = [f"refs/heads/{MAIN}", branch_ref(proposal_id), ARCHIVE_TAG_PREFIX + proposal_id]

    def operation() -> tuple[Merged | Refused, Archived | None]:
        outcome = merge_proposal(git, proposal_id, key=private, expected_tip=expected_tip)
        if isinstance(outcome, Merged) or outcome.kind != "rejected" or private is None:
            return outcome, None  # archiving is signed: without --key, say how instead
        reason = outcome.reason
        reason = reason if reason.startswith("rejected:") else f"rejected: {reason}"
        return outcome, archive_proposal(git, proposal_id, reason, key=private)

    outcome, archived = write_through(git, push_remote, refs, operation)
    if isinstance(outcome, Merged):
        versions = ", ".join(f"{t} v{v}" for t, v in outcome.versions) or "no schema"
        emit(outcome.to_json(), f"merged {proposal_id} into {MAIN} as {outcome.commit[:12]} "
             f"({versions}; approved by {', '.join(outcome.approved_by)})"
             + worktree_note(outcome.worktree))
        return 0
    data = outcome.to_json()
    text = f"not merged: {data['reason']}"
    if archived is not None:
        data["archived"] = archived.to_json()
        text += f"\narchived as rejected: {archived.commit[:12]}, tag {archived.tag}"
    elif outcome.kind == "rejected":
        text += (f"\nto archive it: senate archive {proposal_id} --reason TEXT --key KEY "
                 "(any roster member may sign the archive of a rejected proposal)")
    emit(data, text)
    return 1


@click.command()
@click.argument("proposal_id", metavar="ID")
@click.option("--reason", required=True, help="Why it is archived (kept on main).")
@click.option("--key", type=click.Path(dir_okay=False),
              required=True,
              help="Sign the archive commit: the proposer's key to withdraw, any roster "
                   "member's for a proposal its count rejects.")
@json_option
@push_option
@click.pass_context
def archive(ctx: click.Context, proposal_id: str, reason: str, key: str | None,
            push_remote: str | None) -> None:
    """Archive a rejected proposal, or withdraw an open one, with its votes and reasoning."""
    from senate.archiving import archive_proposal
    from senate.git import GitRepo
    from senate.git.repo import MAIN
    from senate.mainline import worktree_note
    from senate.proposals import ARCHIVE_TAG_PREFIX, branch_ref
    from senate.sshsig import load_private_key

    git = GitRepo.open(repo_path(ctx))
    private = load_private_key(key) if key else None
    refs = [f"refs/heads/{MAIN}", branch_ref(proposal_id), ARCHIVE_TAG_PREFIX + proposal_id]
    done = write_through(git, push_remote, refs,
                         lambda: archive_proposal(git, proposal_id, reason, key=private))
    note = "" if done.branch_deleted else " (the branch moved meanwhile and was kept)"
    emit(done.to_json(), f"archived {proposal_id} as {done.kind}: {done.commit[:12]} on "
         f"{MAIN}, tag {done.tag}{note}" + worktree_note(done.worktree))
