"""`senate withdraw` and `senate sweep`: thin wrappers over senate.lifecycle."""

from __future__ import annotations

import click

from senate.cli.output import emit, json_option, repo_path
from senate.cli.remote_opts import push_option, write_through

KEY_HELP = "Private key of {who}: it signs the archive commit."


@click.command()
@click.argument("proposal_id", metavar="ID")
@click.option("--reason", required=True, help="Why it is withdrawn (kept on main).")
@click.option("--key", required=True, type=click.Path(dir_okay=False, exists=True),
              help=KEY_HELP.format(who="the proposer"))
@json_option
@push_option
@click.pass_context
def withdraw(ctx: click.Context, proposal_id: str, reason: str, key: str,
             push_remote: str | None) -> None:
    """Withdraw your own open proposal: archived with its votes, reasoning and tally."""
    from senate.git import GitRepo
    from senate.git.repo import MAIN
    from senate.lifecycle import withdraw as run_withdraw
    from senate.mainline import worktree_note
    from senate.proposals import ARCHIVE_TAG_PREFIX, branch_ref
    from senate.sshsig import load_private_key

    git = GitRepo.open(repo_path(ctx))
    private = load_private_key(key)
    refs = [f"refs/heads/{MAIN}", branch_ref(proposal_id), ARCHIVE_TAG_PREFIX + proposal_id]
    done = write_through(git, push_remote, refs,
                         lambda: run_withdraw(git, proposal_id, reason, private))
    emit(done.to_json(), f"withdrew {proposal_id}: {done.commit[:12]} on {MAIN}, tag "
         f"{done.tag}" + worktree_note(done.worktree))


@click.command()
@click.option("--key", required=True, type=click.Path(dir_okay=False, exists=True),
              help=KEY_HELP.format(who="any roster agent"))
@json_option
@push_option
@click.pass_context
def sweep(ctx: click.Context, key: str, push_remote: str | None) -> None:
    """Archive every open proposal whose count says rejected; idempotent."""
    from senate.git import GitRepo
    from senate.git.repo import MAIN
    from senate.lifecycle import sweep as run_sweep
    from senate.proposals import ARCHIVE_TAG_PREFIX, BRANCH_PREFIX
    from senate.sshsig import load_private_key

    git = GitRepo.open(repo_path(ctx))
    private = load_private_key(key)
    refs = [f"refs/heads/{MAIN}", BRANCH_PREFIX + "*", ARCHIVE_TAG_PREFIX + "*"]
    done = write_through(git, push_remote, refs, lambda: run_sweep(git, private))
    emit(done.to_json(), done.render())
