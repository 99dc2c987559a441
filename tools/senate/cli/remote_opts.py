"""--push / --fetch for commands that write to or read from a shared repository.

Every write command wraps its work in `write_through`; every read command calls
`maybe_fetch` first. Without the options both are plain pass-throughs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from senate.git import GitRepo

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
    """Run `operation` (which writes `refs` locally); with a remote, sync around it."""
    if remote is None:
        return operation()
    from senate.errors import UsageError

    raise UsageError("--push is not available yet")


def maybe_fetch(git: GitRepo, remote: str | None) -> None:
    if remote is None:
        return
    from senate.errors import UsageError

    raise UsageError("--fetch is not available yet")
