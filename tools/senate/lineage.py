"""Where a proposal branch meets main, read from raw objects only.

Only main's *first-parent* history governs: a commit that reached main as the second
parent of a merge was never judged on its own, so it can neither be a proposal's base
nor carry the roster. The base of a proposal is the newest commit of that history its
tip contains; the commits above it, along the tip's first-parent chain, are the
proposal (see senate.branchrules for what each may be).

Everything here reads raw commit bytes, never a libgit2 parse, so a crafted object (a
date of 2**63, a broken header) is a finding with a reason, not a crash.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from senate.git import GitRepo

# A branch longer than this is refused rather than walked for ever (a vote per agent per
# amendment stays far below it; the tally benchmark uses 10,000).
MAX_CHAIN = 1_000_000


@dataclass(frozen=True)
class Mainline:
    """Main's first-parent history up to one commit (`limit`): the commits that govern."""

    line: tuple[str, ...]  # oldest (the root) first
    positions: Mapping[str, int]  # commit -> index in `line`
    limit: int

    @classmethod
    def of(cls, git: GitRepo, tip: str) -> Mainline:
        line, positions = git.first_parent_history_index(tip)
        return cls(line, positions, len(line) - 1)

    @property
    def tip(self) -> str:
        return self.line[self.limit]

    @property
    def root(self) -> str:
        return self.line[0]

    def position(self, oid: str | None) -> int | None:
        at = self.positions.get(oid) if oid is not None else None
        return at if at is not None and at <= self.limit else None

    def upto(self, oid: str) -> Mainline:
        """The same history as it was when `oid` was main's tip."""
        at = self.position(oid)
        if at is None:
            raise ValueError(f"{oid} is not on this first-parent line")
        return Mainline(self.line, self.positions, at)


@dataclass(frozen=True)
class Link:
    """One commit of the chain above main: its bytes (None: unreadable) and shape."""

    commit: str
    data: bytes | None
    tree: str
    parents: tuple[str, ...]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True)
class Lineage:
    """A tip's first-parent chain down to main, and the base that governs it."""

    tip: str
    base: str | None  # None: the chain never reaches main's first-parent history
    bottom: str | None  # where the chain itself meets main (the proposal's first base)
    links: tuple[Link, ...]  # oldest first; empty when the tip is a commit of main
    problems: tuple[str, ...]  # the chain cannot be a proposal: never approvable

    @property
    def sound(self) -> bool:
        return self.base is not None and not self.problems


def trace(git: GitRepo, tip: str, main: Mainline) -> Lineage:
    """Walk from `tip` down its first parents until a commit of `main` (or a fault)."""
    links: list[Link] = []
    problems: list[str] = []
    oid = tip
    bottom: str | None = None
    while True:
        if main.position(oid) is not None:
            bottom = oid
            break
        if len(links) >= MAX_CHAIN:
            problems.append(f"the branch is longer than {MAX_CHAIN} commits")
            break
        data = git.read_commit(oid)
        head = git.head_of(data) if data is not None else None
        if data is None or head is None:
            what = "is missing or not a commit" if data is None else "has malformed headers"
            problems.append(f"commit {oid[:12]} {what}: the branch cannot be read past it")
            links.append(Link(oid, None, "", ()))
            break
        tree, parents = head
        links.append(Link(oid, data, tree, parents))
        if not parents:
            problems.append(
                f"the branch reaches a root commit ({oid[:12]}) without meeting main's "
                "first-parent history: it is not based on main")
            break
        oid = parents[0]
    links.reverse()
    base = bottom
    best = main.position(bottom) if bottom is not None else None
    for link in links:
        if not link.is_merge:
            continue
        if len(link.parents) > 2:
            problems.append(f"commit {link.commit[:12]} merges {len(link.parents)} parents; "
                            "a proposal branch may only merge main, one commit at a time")
            continue
        other = link.parents[1]
        at = main.position(other)
        if at is None:
            problems.append(
                f"merge {link.commit[:12]} brings in {other[:12]}, which is not a commit of "
                "main's first-parent history: a proposal branch may merge only main")
        elif best is not None and at > best:
            base, best = other, at
    if bottom is None and not problems:
        problems.append("the branch never meets main's first-parent history")
    return Lineage(tip, base if bottom is not None else None, bottom, tuple(links),
                   tuple(problems))
