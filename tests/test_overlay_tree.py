"""`GitRepo.overlay_tree` (the merge tree: main's tree with the proposal's paths) against
libgit2's index as the oracle: read the tree, add and remove the same paths, write it."""

from __future__ import annotations

import random
from pathlib import Path

import pygit2
import pytest
from pygit2.enums import FileMode

from senate.errors import UsageError
from senate.git import GitRepo

NAMES = ["a", "b", "schemas", "proposals", "x.json", "zz", "m"]
MODES = [FileMode.BLOB, FileMode.BLOB_EXECUTABLE, FileMode.LINK]


def _oracle(repo: pygit2.Repository, tree: str | None,
            entries: dict[str, tuple[int, str] | None]) -> str:
    index = pygit2.Index()
    if tree is not None:
        index.read_tree(repo[pygit2.Oid(hex=tree)])
    for path, entry in entries.items():
        if entry is None:
            if path in index:
                index.remove(path)
        else:
            index.add(pygit2.IndexEntry(path, pygit2.Oid(hex=entry[1]), FileMode(entry[0])))
    return str(index.write_tree(repo))


def _path(rng: random.Random) -> str:
    return "/".join(rng.choice(NAMES) for _ in range(rng.randint(1, 4)))


def _files_only(paths: list[str]) -> bool:
    """No path is a folder of another (a file and a folder of one name cannot coexist)."""
    return not any(q.startswith(p + "/") for p in paths for q in paths)


def test_overlay_equals_the_index_on_random_trees(tmp_path: Path) -> None:
    raw = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    git = GitRepo.open(tmp_path / "r")
    rng = random.Random(7)
    blobs = [str(raw.create_blob(f"content {i}".encode())) for i in range(6)]
    checked = 0
    for _ in range(300):
        start = sorted({_path(rng) for _ in range(rng.randint(0, 12))})
        if not _files_only(start):
            continue
        tree = _oracle(raw, None, {p: (FileMode.BLOB, rng.choice(blobs)) for p in start})
        changes: dict[str, tuple[int, str] | None] = {}
        for _ in range(rng.randint(0, 6)):
            if start and rng.random() < 0.4:
                changes[rng.choice(start)] = None  # remove (some folders become empty)
            else:
                changes[_path(rng)] = (int(rng.choice(MODES)), rng.choice(blobs))
        changes[_path(rng)] = None  # removing what is not there changes nothing
        after = [p for p in start if changes.get(p, 1) is not None]
        after += [p for p, e in changes.items() if e is not None]
        if not _files_only(sorted(set(after))):
            with pytest.raises(UsageError):
                git.overlay_tree(tree, changes)
            continue
        assert git.overlay_tree(tree, changes) == _oracle(raw, tree, changes), (start, changes)
        checked += 1
    assert checked > 100


def test_untouched_folders_keep_their_ids(tmp_path: Path) -> None:
    raw = pygit2.init_repository(str(tmp_path / "r"), bare=True)
    git = GitRepo.open(tmp_path / "r")
    blob = str(raw.create_blob(b"x"))
    tree = git.overlay_tree(None, {f"proposals/p{i}/proposal.json": (FileMode.BLOB, blob)
                                   for i in range(50)} | {"schemas/a.json": (FileMode.BLOB, blob)})
    new = git.overlay_tree(tree, {"schemas/a.json": (FileMode.BLOB, str(raw.create_blob(b"y")))})
    assert raw[pygit2.Oid(hex=new)]["proposals"].id == raw[pygit2.Oid(hex=tree)]["proposals"].id
    assert git.overlay_tree(tree, {"schemas/a.json": None}) == _oracle(
        raw, tree, {"schemas/a.json": None})
