"""GitRepo's object memo (commit headers, trees, small files by tree and path): objects
never change under their id, so what is remembered stays true; what was missing is never
remembered, so an object that arrives later (a fetch, a push) is seen; and it is bounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from racekit import race

from senate.git import GitRepo
from senate.git import repo as repo_module
from senate.git.repo import Person

WHO = Person("senate", "senate@agents.invalid", when=1_700_000_000)


def commit(git: GitRepo, parent: str | None, files: dict[str, bytes]) -> str:
    tree = git.build_tree(parent, files)
    return git.write_commit(git.commit_buffer(tree, [parent] if parent else [], WHO, WHO, "c\n"))


def test_remembered_reads_stay_true_when_refs_move(tmp_path: Path) -> None:
    git = GitRepo.init(tmp_path / "r")
    first = commit(git, None, {"schemas/a.json": b"{}"})
    second = commit(git, first, {"schemas/a.json": b'{"type": "object"}'})
    git.create_ref("refs/heads/main", first)
    assert git.read_file(first, "schemas/a.json") == b"{}"
    git.update_ref("refs/heads/main", second, first)
    assert git.read_file(first, "schemas/a.json") == b"{}"   # an id names one content
    assert git.read_file("main", "schemas/a.json") == b'{"type": "object"}'
    assert git.read_file(second, "schemas/missing.json") is None
    assert git.commit_head(second) == (git.commit_tree(second), (first,))


def test_a_missing_commit_is_not_remembered_as_missing(tmp_path: Path) -> None:
    here, there = GitRepo.init(tmp_path / "here"), GitRepo.init(tmp_path / "there")
    elsewhere = commit(there, None, {"f": b"x"})
    assert here.commit_head(elsewhere) is None
    # the objects arrive (as a fetch would bring them)
    here.pygit2_repo.odb.write(*there.pygit2_repo.odb.read(
        there.pygit2_repo.get(elsewhere).tree_id)[:2])
    here.write_raw_commit(there.raw_commit(elsewhere))
    assert here.commit_head(elsewhere) == (there.commit_tree(elsewhere), ())


def test_the_memo_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repo_module, "_KEEP_FILES", 3)
    monkeypatch.setattr(repo_module, "_KEEP_HEADS", 3)
    git = GitRepo.init(tmp_path / "r")
    parent = None
    for n in range(10):
        parent = commit(git, parent, {"f": str(n).encode()})
        assert git.read_file(parent, "f") == str(n).encode()
    assert len(git._files) <= 3 and len(git._heads) <= 3


def test_a_diff_of_a_tree_with_itself_is_empty_and_of_junk_an_error(tmp_path: Path) -> None:
    from senate.errors import GitError

    git = GitRepo.init(tmp_path / "r")
    first = commit(git, None, {"a": b"1"})
    second = commit(git, first, {"a": b"2", "b": b"3"})
    one, two = git.commit_tree(first), git.commit_tree(second)
    assert git.raw_diff(one, one) == []
    assert [d.path for d in git.raw_diff(one, two)] == [b"a", b"b"]
    got = git.raw_diff(one, two)
    got.clear()                                   # a caller's list is its own
    assert [d.path for d in git.raw_diff(one, two)] == [b"a", b"b"]
    blob = git.blob_id(first, "a")
    assert blob is not None
    with pytest.raises(GitError):
        git.raw_diff(blob, blob)                  # not a tree: refused, as before


def test_threads_sharing_one_repository_keep_the_bound(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repo_module, "_KEEP_FILES", 8)
    git = GitRepo.init(tmp_path / "r")
    tip = commit(git, None, {"f": b"x"})

    def work(thread: int) -> None:
        # absent paths are remembered too, and cheap: every call evicts
        for n in range(3000):
            assert git.read_file(tip, f"missing-{thread}-{n}") is None
            assert git.read_file(tip, "f") == b"x"

    assert race(work) == []
    assert len(git._files) <= 8
