"""Three-way merges computed in memory with libgit2, as `git merge` would compute them.

Nothing here moves a ref or touches a work tree: a merge is a tree (or the list of
conflicting paths), and the caller decides what to commit and where.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pygit2
from pygit2.enums import FileMode

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


def read_tree_file(git: GitRepo, tree: str, path: str) -> bytes | None:
    """A file's content inside tree `tree`, None when absent or not a file."""
    repo = git.pygit2_repo
    obj = repo[pygit2.Oid(hex=tree)]
    if not isinstance(obj, pygit2.Tree):
        return None
    try:
        entry = obj[path]
    except KeyError:
        return None
    blob = repo[entry.id]
    return bytes(blob.data) if isinstance(blob, pygit2.Blob) else None


def edit_tree(git: GitRepo, tree: str, changes: Mapping[str, bytes | None]) -> str:
    """`tree` with files written (bytes) or removed (None); returns the new tree id."""
    repo = git.pygit2_repo
    base = repo[pygit2.Oid(hex=tree)]
    assert isinstance(base, pygit2.Tree)
    index = pygit2.Index()
    index.read_tree(base)
    for path, content in changes.items():
        if content is None:
            if path in index:
                index.remove(path)
            continue
        index.add(pygit2.IndexEntry(path, repo.create_blob(content), FileMode.BLOB))
    return str(index.write_tree(repo))


def tree_diff_paths(git: GitRepo, old_tree: str, new_tree: str) -> list[str]:
    """Paths whose content or mode differs between two trees."""
    repo = git.pygit2_repo
    old = repo[pygit2.Oid(hex=old_tree)]
    new = repo[pygit2.Oid(hex=new_tree)]
    assert isinstance(old, pygit2.Tree) and isinstance(new, pygit2.Tree)
    paths: set[str] = set()
    for delta in old.diff_to_tree(new).deltas:
        paths.add(delta.old_file.path)
        paths.add(delta.new_file.path)
    return sorted(paths)
