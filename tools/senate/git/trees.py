"""Trees by id: reading a file from one, comparing two (GitRepo.edit_tree edits one).

These work on objects no ref names yet (a draft's tree, a merge being planned).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

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


def hashed_tree(git: GitRepo, base_tree: str | None, changes: Mapping[str, bytes | None]) -> str:
    """The id `GitRepo.edit_tree(base_tree, changes)` would return, computed in memory.

    Nothing is written: a draft (an unsigned request anyone may send) must cost the
    repository nothing. Only the trees on the changed paths are rebuilt.
    """
    repo = git.pygit2_repo

    def load(oid: str | None) -> dict[bytes, tuple[int, bytes]]:
        if oid is None:
            return {}
        obj = repo[pygit2.Oid(hex=oid)]
        assert isinstance(obj, pygit2.Tree)
        return {e.name.encode("utf-8", "surrogateescape"): (int(e.filemode), e.id.raw)
                for e in obj if e.name is not None}

    root: dict[str, Any] = {"entries": load(base_tree), "subdirs": {}}
    for path, content in changes.items():
        *dirs, leaf = path.encode("utf-8", "surrogateescape").split(b"/")
        node = root
        for part in dirs:
            sub = node["subdirs"].get(part)
            if sub is None:
                entry = node["entries"].get(part)
                sub = {"entries": load(entry[1].hex() if entry and entry[0] == 0o40000
                                       else None), "subdirs": {}}
                node["subdirs"][part] = sub
            node = sub
        if content is None:
            node["entries"].pop(leaf, None)
        else:
            blob = hashlib.sha1(b"blob %d\0" % len(content) + content).digest()
            node["entries"][leaf] = (0o100644, blob)

    def write(node: dict[str, Any]) -> bytes | None:
        entries: dict[bytes, tuple[int, bytes]] = node["entries"]
        for name, sub in node["subdirs"].items():
            raw = write(sub)
            if raw is None:
                entries.pop(name, None)  # an emptied folder disappears, as in git
            else:
                entries[name] = (0o40000, raw)
        if not entries:
            return None
        order = sorted(entries, key=lambda n: n + b"/" if entries[n][0] == 0o40000 else n)
        body = b"".join(b"%o %s\0" % (entries[n][0], n) + entries[n][1] for n in order)
        return hashlib.sha1(b"tree %d\0" % len(body) + body).digest()

    raw = write(root)
    empty = hashlib.sha1(b"tree 0\0").digest()
    return (raw or empty).hex()
