"""Three-way merges computed in memory with libgit2, as `git merge` would compute them.

Nothing here moves a ref or touches a work tree: a merge is a tree (or the list of
conflicting paths), and the caller decides what to commit and where.
"""

from __future__ import annotations

from dataclasses import dataclass

import pygit2

from senate.errors import GitError
from senate.git.repo import GitRepo


@dataclass(frozen=True)
class TreeMerge:
    """The result of merging two commits: a tree id, or the paths that conflict."""

    tree: str | None
    conflicts: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return self.tree is not None


def merge_commits(git: GitRepo, ours: str, theirs: str) -> TreeMerge:
    """Merge `theirs` into `ours` (recursive merge base, like `git merge`), in memory."""
    repo = git.pygit2_repo
    try:
        index = repo.merge_commits(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs))
    except pygit2.GitError as exc:
        raise GitError(f"cannot merge {theirs[:12]} into {ours[:12]}: {exc}") from exc
    if index.conflicts is not None:
        paths: set[str] = set()
        for ancestor, mine, other in index.conflicts:
            for entry in (ancestor, mine, other):
                if entry is not None:
                    paths.add(entry.path)
        return TreeMerge(None, tuple(sorted(paths)))
    return TreeMerge(str(index.write_tree(repo)), ())
