"""What a clean merge of two commits would contain, to check merges others pushed."""

from __future__ import annotations

import pygit2

from senate.git.repo import GitRepo


def clean_merge_tree(git: GitRepo, ours: str, theirs: str) -> str | None:
    """The tree of the three-way merge of two commits, None when it conflicts."""
    repo = git.pygit2_repo
    index = repo.merge_commits(pygit2.Oid(hex=ours), pygit2.Oid(hex=theirs))
    if index.conflicts is not None:
        return None
    return str(index.write_tree(repo))


def tree_diff_paths(git: GitRepo, tree_a: str, tree_b: str) -> list[str]:
    """Paths whose content differs between two trees."""
    repo = git.pygit2_repo
    a = repo[pygit2.Oid(hex=tree_a)]
    b = repo[pygit2.Oid(hex=tree_b)]
    assert isinstance(a, pygit2.Tree) and isinstance(b, pygit2.Tree)
    paths: set[str] = set()
    for delta in a.diff_to_tree(b).deltas:
        paths.add(delta.old_file.path)
        paths.add(delta.new_file.path)
    return sorted(paths)
