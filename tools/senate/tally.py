"""The counter: a pure function from valid ballots and a rule to a result.

Everything that decides whether a commit is a valid ballot happens before this (see
ballots.py); here only arithmetic remains, in exact integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

VoteValue = Literal["approve", "reject", "abstain"]
RuleName = Literal["two_thirds", "unanimous", "governance"]
Status = Literal["open", "approved", "rejected", "merged", "archived"]


@dataclass(frozen=True)
class Rule:
    name: RuleName
    reason: str
    numerator: int = 2
    denominator: int = 3

    def required(self, eligible: int) -> int:
        """Approvals needed; never zero, so an empty roster passes nothing."""
        if self.name == "unanimous":
            return max(eligible, 1)
        needed = -(-eligible * self.numerator // self.denominator)  # exact ceiling
        return max(needed, 1)


@dataclass(frozen=True)
class CastVote:
    """A ballot that survived every check: whose key signed it and what it says."""

    agent: str
    vote: VoteValue
    commit: str


@dataclass(frozen=True)
class Superseded:
    commit: str
    agent: str
    by: str


@dataclass(frozen=True)
class Tally:
    rule: Rule
    eligible: tuple[str, ...]
    counted: tuple[CastVote, ...]
    superseded: tuple[Superseded, ...]
    window_closed: bool

    @property
    def required(self) -> int:
        return self.rule.required(len(self.eligible))

    def _count(self, value: VoteValue) -> int:
        return sum(1 for v in self.counted if v.vote == value)

    @property
    def approve(self) -> int:
        return self._count("approve")

    @property
    def reject(self) -> int:
        return self._count("reject")

    @property
    def abstain(self) -> int:
        return self._count("abstain")

    @property
    def not_voted(self) -> tuple[str, ...]:
        voted = {v.agent for v in self.counted}
        return tuple(a for a in self.eligible if a not in voted)

    @property
    def passed(self) -> bool:
        return bool(self.eligible) and self.approve >= self.required

    @property
    def can_still_pass(self) -> bool:
        """Whether the agents yet to vote could still carry it (votes already cast stand)."""
        if self.window_closed:
            return self.passed
        return bool(self.eligible) and self.approve + len(self.not_voted) >= self.required

    def status(self) -> Status:
        if self.passed:
            return "approved"
        return "open" if self.can_still_pass else "rejected"


def tally(votes: Sequence[CastVote], eligible: Sequence[str], rule: Rule,
          window_closed: bool = False) -> Tally:
    """Count the last vote of each eligible agent; earlier ones are superseded.

    `votes` must be in branch order, oldest first, and already verified.
    """
    eligible_set = set(eligible)
    last: dict[str, CastVote] = {}
    superseded: list[Superseded] = []
    for vote in votes:
        if vote.agent not in eligible_set:
            continue
        previous = last.get(vote.agent)
        if previous is not None:
            superseded.append(Superseded(previous.commit, vote.agent, vote.commit))
        last[vote.agent] = vote
    counted = tuple(sorted(last.values(), key=lambda v: v.agent))
    return Tally(rule, tuple(eligible), counted, tuple(superseded), window_closed)
