"""Reading objects that no ref names yet: a tree written by a draft, an object by id."""

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
