"""--push / --fetch for commands that write to or read from a shared repository.

Every write command wraps its work in `write_through`; every read command calls
`maybe_fetch` first. Without the options both are plain pass-throughs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from senate.git import GitRepo

if TYPE_CHECKING:
    from senate.counting import Count

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def push_option(func: F) -> F:
    decorated: F = click.option(
        "--push",
        "push_remote",
        is_flag=False,
        flag_value="origin",
        default=None,
        metavar="[REMOTE]",
        help="Fetch first, write on the remote's latest tip, push; retry if someone pushed "
        "first (default remote: origin).",
    )(func)
    return decorated


def fetch_option(func: F) -> F:
    decorated: F = click.option(
        "--fetch",
        "fetch_remote",
        is_flag=False,
        flag_value="origin",
        default=None,
        metavar="[REMOTE]",
        help="Read the remote's current state first (default remote: origin).",
    )(func)
    return decorated


def write_through(
    git: GitRepo, remote: str | None, refs: list[str], operation: Callable[[], T]
) -> T:
    """Run `operation` (which writes `refs` locally); with a remote, sync around it.

    `refs` are full ref names or prefixes ending in '*' (e.g. 'refs/heads/proposal/*'
    when the command creates a branch whose name it picks itself). With a remote: fetch
    them, make the local refs the remote's, run `operation`, push every ref it changed
    (created, moved or deleted) with a lease, and on a race redo it on the new tips.
    """
    if remote is None:
        return operation()
    from senate.sharing import write_and_push

    return write_and_push(git, remote, refs, operation)


def counted(repo: str, proposal_id: str, remote: str | None) -> tuple[GitRepo, Count]:
    """Open the repository, read the remote's state if asked, count the proposal."""
    from senate.counting import count
    from senate.governed import require_governed

    git = GitRepo.open(repo)
    maybe_fetch(git, remote)
    require_governed(git)
    return git, count(git, proposal_id)


def maybe_fetch(git: GitRepo, remote: str | None) -> None:
    """With a remote: main, proposal branches and archive tags become the remote's."""
    if remote is None:
        return
    from senate.sharing import sync_for_read

    sync_for_read(git, remote)
