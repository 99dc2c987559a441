"""Reading a branch's raw commit objects in one pass, before anything walks it.

Counting needs every commit of a proposal branch as raw bytes (~15 us per read of a
loose object); reading them here once lets the counter reuse them. It also helps
libgit2: raw reads land in the handle's object cache, so on a fresh handle (the CLI) the
merge-base and walk that follow find them there. A handle that already holds parsed
copies (one that just wrote those commits) keeps those instead, and libgit2 reads again.
"""

from __future__ import annotations

import re

import pygit2
from pygit2.enums import ObjectType

from senate.git.repo import GitRepo

_PARENTS = re.compile(rb"tree [0-9a-f]{40}\n((?:parent [0-9a-f]{40}\n)*)")
_ONE_PARENT = len(b"parent ") + 40 + 1


def linear_history(git: GitRepo, tip: str, until: str) -> dict[str, bytes]:
    """Raw commits from `tip` back along single parents, stopping before `until`, at a
    merge, a root, or anything unreadable. Only a prefetch: callers still decide what
    belongs to the branch (with merge-base and walk); a commit id names its bytes."""
    odb = git.pygit2_repo.odb
    out: dict[str, bytes] = {}
    oid = tip
    while oid != until and oid not in out:
        try:
            kind, data = odb.read(pygit2.Oid(hex=oid))
        except (KeyError, ValueError):
            break
        if kind != ObjectType.COMMIT:
            break
        raw = out[oid] = bytes(data)
        m = _PARENTS.match(raw)
        if m is None or len(m.group(1)) != _ONE_PARENT:
            break
        oid = m.group(1)[7:47].decode("ascii")
    return out
