"""A whole folder of a commit at once: one tree walk instead of a path lookup per file.

A dry run may load ten thousand sample artifacts from the repository; looking each path
up from the commit's root costs more than reading the blobs.
"""

from __future__ import annotations

import pygit2

from senate.git.repo import GitRepo


def read_folder(git: GitRepo, rev: str, folder: str) -> dict[str, bytes]:
    """path below `folder` -> content, for every blob in it (empty when it is absent)."""
    repo = git.pygit2_repo
    tree = repo[pygit2.Oid(hex=git.resolve(rev))].peel(pygit2.Tree)
    try:
        start = repo[tree[folder].id] if folder else tree
    except KeyError:
        return {}
    if not isinstance(start, pygit2.Tree):
        return {}
    out: dict[str, bytes] = {}
    stack: list[tuple[str, pygit2.Tree]] = [("", start)]
    while stack:
        prefix, node = stack.pop()
        for obj in node:  # pygit2 yields the objects themselves, loaded on first use
            name = f"{prefix}{obj.name}"
            if isinstance(obj, pygit2.Tree):
                stack.append((name + "/", obj))
            elif isinstance(obj, pygit2.Blob):
                out[name] = bytes(obj.data)
    return out
