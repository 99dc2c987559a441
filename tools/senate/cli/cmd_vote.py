from __future__ import annotations

import os

import click

from senate.cli.output import emit, json_option, repo_path
from senate.cli.remote_opts import counted, fetch_option, push_option, write_through


def proposal_refs(proposal_id: str) -> list[str]:
    """The refs a vote or comment reads and writes: main, the branch, its archive tag."""
    from senate.proposals import ARCHIVE_TAG_PREFIX, branch_ref

    return ["refs/heads/main", branch_ref(proposal_id), ARCHIVE_TAG_PREFIX + proposal_id]

def _no_push_with_server(push_remote: str | None) -> None:
    if push_remote is not None:
        from senate.errors import UsageError

        raise UsageError("--server and --push cannot be combined",
                         "the server writes to its own repository; use one or the other")


server_option = click.option(
    "--server", metavar="URL", default=None,
    help="Write through a `senate serve` API at URL instead of the local repository "
    "(the key still never leaves this machine).",
)


@click.command()
@click.argument("proposal_id", metavar="ID")
@click.argument("decision", type=click.Choice(["approve", "reject", "abstain"]))
@click.option("--reason", default="", help="Your reasoning (kept in the commit message).")
@click.option("--key", required=True, type=click.Path(dir_okay=False),
              help="Your OpenSSH ed25519 private key.")
@server_option
@push_option
@json_option
@click.pass_context
def vote(
    ctx: click.Context, proposal_id: str, decision: str, reason: str, key: str,
    server: str | None, push_remote: str | None,
) -> None:
    """Cast a signed vote: an empty commit on proposal/ID bound to its current content id."""
    from senate.counting import count
    from senate.git import GitRepo
    from senate.sshsig import load_private_key
    from senate.voting import cast

    if server is not None:
        from senate.api.client import SenateClient

        _no_push_with_server(push_remote)
        with SenateClient(server) as client:
            data = client.vote(proposal_id, load_private_key(key), decision,  # type: ignore[arg-type]
                               reason)
        t = data["tally"]
        emit(data, f"{data['agent']} voted {decision} on {proposal_id} "
             f"({data['commit'][:12]}) via {server}; {t['approve']}/{t['required']} "
             f"approvals, status {t['status']}")
        return

    git = GitRepo.open(repo_path(ctx))
    private = load_private_key(key)
    done = write_through(
        git, push_remote, proposal_refs(proposal_id),
        lambda: cast(git, proposal_id, private, decision, reason),  # type: ignore[arg-type]
    )
    result = count(git, proposal_id)
    emit(
        {"commit": done.commit, "agent": done.agent, "vote": done.vote,
         "content_id": done.content_id, "tally": result.to_json()},
        f"{done.agent} voted {decision} on {proposal_id} ({done.commit[:12]}); "
        f"{result.tally.approve}/{result.tally.required} approvals, status {result.status}",
    )


@click.command()
@click.argument("proposal_id", metavar="ID")
@click.option("--message", "-m", required=True, help="The comment.")
@click.option("--key", required=True, type=click.Path(dir_okay=False),
              help="Your OpenSSH ed25519 private key.")
@server_option
@push_option
@json_option
@click.pass_context
def comment(
    ctx: click.Context, proposal_id: str, message: str, key: str, server: str | None,
    push_remote: str | None,
) -> None:
    """Add a signed debate comment (an empty commit without a vote)."""
    from senate.git import GitRepo
    from senate.sshsig import load_private_key
    from senate.voting import cast

    if server is not None:
        from senate.api.client import SenateClient

        _no_push_with_server(push_remote)
        with SenateClient(server) as client:
            data = client.comment(proposal_id, load_private_key(key), message)
        emit({"commit": data["commit"], "agent": data["agent"],
              "content_id": data["tally"]["content_id"]},
             f"{data['agent']} commented on {proposal_id} ({data['commit'][:12]}) via {server}")
        return

    git = GitRepo.open(repo_path(ctx))
    private = load_private_key(key)
    done = write_through(git, push_remote, proposal_refs(proposal_id),
                         lambda: cast(git, proposal_id, private, None, message))
    emit({"commit": done.commit, "agent": done.agent, "content_id": done.content_id},
         f"{done.agent} commented on {proposal_id} ({done.commit[:12]})")


@click.command()
@click.argument("proposal_id", metavar="ID")
@fetch_option
@json_option
@click.pass_context
def tally(ctx: click.Context, proposal_id: str, fetch_remote: str | None) -> None:
    """Count the votes on a proposal from git alone and explain every ignored commit."""
    from senate.tally_report import render_tally

    _, result = counted(repo_path(ctx), proposal_id, fetch_remote)
    emit(result.to_json(), render_tally(result))


@click.command()
@click.argument("proposal_id", metavar="ID")
@fetch_option
@json_option
@click.pass_context
def check(ctx: click.Context, proposal_id: str, fetch_remote: str | None) -> int:
    """Exit 0 only when the proposal is approved at its current tip; else 1 with the reason."""
    from senate.tally_report import check_reason, markdown_summary

    _, result = counted(repo_path(ctx), proposal_id, fetch_remote)
    reason = check_reason(result)
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as fh:
            fh.write(markdown_summary(result))
    data = {"proposal": proposal_id, "ok": reason is None, "reason": reason,
            "tally": result.to_json()}
    emit(data, f"ok: {proposal_id} is approved at {result.ref.tip[:12]}" if reason is None
         else f"not approved: {reason}")
    return 0 if reason is None else 1


@click.group()
def roster() -> None:
    """The roster of agents on main (the base for new proposals)."""


@roster.command("list")
@json_option
@click.pass_context
def roster_list(ctx: click.Context) -> None:
    """List the agents, their key fingerprints and voting rights."""
    from senate.git import GitRepo
    from senate.proposals import main_tip, policy_at

    git = GitRepo.open(repo_path(ctx))
    policy = policy_at(git, main_tip(git))
    rows = [{"name": a.name, "email": a.email, "fingerprint": a.key.fingerprint(),
             "vote": a.vote} for a in policy.agents]
    emit({"agents": rows}, "\n".join(
        f"{r['name']:<20} {r['fingerprint']}  {'votes' if r['vote'] else 'no vote'}"
        for r in rows))


@roster.command("allowed-signers")
@click.option("--rev", default="main", show_default=True)
@click.pass_context
def allowed_signers(ctx: click.Context, rev: str) -> None:
    """Print an allowed-signers file for `git verify-commit` (gpg.ssh.allowedSignersFile)."""
    from senate.git import GitRepo
    from senate.proposals import policy_at

    git = GitRepo.open(repo_path(ctx))
    click.echo(policy_at(git, git.resolve(rev)).allowed_signers(), nl=False)
