"""Trees by id: reading a file from one, comparing two (GitRepo.edit_tree edits one).

These work on objects no ref names yet (a draft's tree, a merge being planned).
"""

from __future__ import annotations

import pygit2

from senate.git.repo import GitRepo


def has_object(git: GitRepo, oid: str) -> bool:
    """Whether the object database holds `oid` (40 hex digits; anything else: False)."""
    try:
        return pygit2.Oid(hex=oid) in git.pygit2_repo.odb
    except (ValueError, TypeError):
        return False


def read_tree_file(git: GitRepo, tree: str, path: str) -> bytes | None:
    """The blob at `path` in tree `tree`, None when the tree or the file is absent."""
    repo = git.pygit2_repo
    try:
        obj = repo[pygit2.Oid(hex=tree)]
    except (KeyError, ValueError):
        return None
    if not isinstance(obj, pygit2.Tree):
        return None
    try:
        entry = obj[path]
    except KeyError:
        return None
    blob = repo[entry.id]
    return bytes(blob.data) if isinstance(blob, pygit2.Blob) else None


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
