from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from senate.cli.output import emit, json_option, repo_path

HOOK_NAME = "pre-receive"
MARKER = "# installed by `senate hook install`"


def hook_script() -> str:
    """A pre-receive hook running this very Python and this very senate package."""
    import shlex

    import senate

    package_root = Path(senate.__file__).resolve().parent.parent
    return (
        "#!/bin/sh\n"
        f"{MARKER}: refuses pushes that break the governance rules.\n"
        "# git runs it in the repository with the pushed objects quarantined.\n"
        f"PYTHONPATH={shlex.quote(str(package_root))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f"exec {shlex.quote(sys.executable)} -m senate hook check\n"
    )


@click.group()
def hook() -> None:
    """Server-side enforcement for a self-hosted bare repository."""


@hook.command("install")
@click.argument("path", type=click.Path(file_okay=False, exists=True))
@click.option("--force", is_flag=True, help="Replace a pre-receive hook not made by senate.")
@json_option
def install(path: str, force: bool) -> None:
    """Install the pre-receive hook into the repository at PATH (usually bare)."""
    from senate.errors import UsageError
    from senate.git import GitRepo
    from senate.git.remote import enable_push_options

    # An empty bare repository is fine: the hook is installed before main is pushed.
    git = GitRepo.open(path)
    target = git.path / "hooks" / HOOK_NAME
    if target.exists() and MARKER not in target.read_text(errors="replace") and not force:
        raise UsageError(f"{target} exists and was not installed by senate",
                         "pass --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(hook_script())
    target.chmod(0o755)
    # Agents send their queue ticket as a push option (see senate.hooklock).
    enable_push_options(git)
    emit({"hook": str(target)}, f"installed {target}")


@hook.command("check")
@click.pass_context
def check(ctx: click.Context) -> int:
    """Run by git as the pre-receive hook: read `old new ref` lines on stdin, exit 1
    with the reasons on stderr (shown to the pusher as `remote: ...`) to refuse."""
    from senate.hooklock import (
        UnreadableUpdate,
        leave_queue,
        parse_updates,
        push_ticket,
        queue_position,
        record_pending,
        serialized,
        stale_updates,
        wait_for_pending,
    )

    # git runs the hook with GIT_DIR set (".", the bare repository) as the cwd.
    git_dir = Path(os.environ.get("GIT_DIR") or repo_path(ctx)).resolve()
    try:
        updates = parse_updates(sys.stdin.read())
    except UnreadableUpdate as exc:
        click.echo(f"senate: refused the push: {exc}", err=True)
        return 1
    ticket = push_ticket(dict(os.environ))
    try:
        with serialized(git_dir):
            wait_for_pending(git_dir)
            stale = stale_updates(git_dir, updates)
            ahead = queue_position(git_dir, ticket, bool(stale)) if ticket else 0
            for update, current in stale:
                now = current[:12] if current else "absent"
                click.echo(f"senate: refused {update.ref}: it moved while you pushed "
                           f"(now {now}); fetch and push again", err=True)
            if not stale and ahead:
                click.echo(f"senate: queued: {ahead} agent(s) waited longer; push again "
                           "shortly", err=True)
            if stale or ahead:
                # Read by senate's own clients (senate.sharing.RETRY_RE) to wait their turn.
                click.echo(f"senate: retry after {ahead}: {ahead} queued push(es) ahead of "
                           "yours; fetch and push again", err=True)
                return 1
            from senate.git.remote import open_as_git_does
            from senate.hook import check_push

            refusals = check_push(open_as_git_does(str(git_dir)), updates)
            if ticket:
                leave_queue(git_dir, ticket)
            if not refusals:
                record_pending(git_dir, updates)
    except Exception as exc:  # enforcement fails closed, never open
        click.echo(f"senate: refused the push: the check itself failed ({exc!r})", err=True)
        return 1
    for refusal in refusals:
        click.echo(refusal.render(), err=True)
    if refusals:
        click.echo("senate: nothing was changed on the server", err=True)
        return 1
    return 0
