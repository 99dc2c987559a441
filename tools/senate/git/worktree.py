"""Keeping a work tree that has `main` checked out in step with main, as `git merge` does.

Senate writes main by compare-and-swap on the ref. When a repository's work tree shows
main, moving the ref alone would make `git status` show the merge reversed, so the
writer (1) refuses beforehand when the work tree has local changes the update could
lose, (2) moves the ref, (3) checks the new tree out. Steps 1-3 run under one lock file
so that two Senate processes never interleave a check with another's checkout.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

import pygit2
from pygit2.enums import FileStatus

from senate.errors import GitError
from senate.git.repo import MAIN, GitRepo

LOCK_NAME = "senate-main.lock"


def main_checked_out(git: GitRepo) -> bool:
    repo = git.pygit2_repo
    if repo.is_bare or repo.head_is_unborn:
        return False
    return bool(repo.head.name == f"refs/heads/{MAIN}")


def local_changes(git: GitRepo, added_paths: list[str]) -> list[str]:
    """What would make updating the work tree unsafe, one line per path.

    Tracked files modified or staged count whatever the update does; untracked files
    count only where the update would write (`added_paths`), exactly git's refusal
    "untracked working tree files would be overwritten by merge".
    """
    repo = git.pygit2_repo
    status = repo.status(untracked_files="all", ignored=False)
    added = set(added_paths)
    out: list[str] = []
    for path, flags in sorted(status.items()):
        if flags == FileStatus.WT_NEW:
            in_the_way = path in added or any(a.startswith(path + "/") for a in added)
            if in_the_way:
                out.append(f"untracked {path} would be overwritten")
        elif flags not in (FileStatus.CURRENT, FileStatus.IGNORED):
            out.append(f"modified {path}")
    return out


@contextmanager
def main_lock(git: GitRepo) -> Iterator[None]:
    """An exclusive lock between Senate writers of main in this repository."""
    with open(git.path / LOCK_NAME, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def checkout_main(git: GitRepo) -> None:
    """Bring index and files up to main's tip (after a check that nothing local is lost)."""
    repo = git.pygit2_repo
    try:
        repo.checkout_head(strategy=pygit2.enums.CheckoutStrategy.FORCE)  # type: ignore[no-untyped-call]
    except pygit2.GitError as exc:
        raise GitError(
            f"main moved but the work tree could not be updated: {exc}",
            "run `git checkout -f main` (nothing local was changed beforehand)",
        ) from exc
