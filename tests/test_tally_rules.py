"""The pure counter, table-tested: exact integer thresholds and vote bookkeeping."""

from __future__ import annotations

import pytest

from senate.tally import CastVote, Rule, tally

TWO_THIRDS = Rule("two_thirds", "compatible")
UNANIMOUS = Rule("unanimous", "breaking")


def roster(n: int) -> list[str]:
    return [f"a{i:03d}" for i in range(n)]


def votes(*pairs: tuple[str, str]) -> list[CastVote]:
    return [CastVote(agent, v, f"{i:040x}") for i, (agent, v) in enumerate(pairs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("eligible", "required"),
    [(1, 1), (2, 2), (3, 2), (4, 3), (5, 4), (6, 4), (7, 5), (100, 67)],
)
def test_two_thirds_threshold_is_exact(eligible: int, required: int) -> None:
    names = roster(eligible)
    assert TWO_THIRDS.required(eligible) == required
    just_enough = tally(votes(*[(n, "approve") for n in names[:required]]), names, TWO_THIRDS)
    assert just_enough.passed and just_enough.status() == "approved"
    # approvals * 3 >= eligible * 2 holds exactly at `required` and not one below
    assert required * 3 >= eligible * 2 > (required - 1) * 3
    short = tally(votes(*[(n, "approve") for n in names[: required - 1]]), names, TWO_THIRDS)
    assert not short.passed


@pytest.mark.parametrize("eligible", [1, 2, 3, 4, 5, 6, 7, 100])
def test_unanimity(eligible: int) -> None:
    names = roster(eligible)
    assert UNANIMOUS.required(eligible) == eligible
    all_but_one = [(n, "approve") for n in names[:-1]]
    assert not tally(votes(*all_but_one), names, UNANIMOUS).passed
    assert tally(votes(*all_but_one, (names[-1], "approve")), names, UNANIMOUS).passed
    abstained = tally(votes(*all_but_one, (names[-1], "abstain")), names, UNANIMOUS)
    assert not abstained.passed and abstained.status() == "rejected"


def test_abstentions_count_in_the_denominator_only() -> None:
    names = roster(6)
    t = tally(votes(*[(n, "approve") for n in names[:3]], (names[3], "abstain"),
                    (names[4], "abstain")), names, TWO_THIRDS)
    assert (t.approve, t.abstain, t.required) == (3, 2, 4)
    assert not t.passed and t.status() == "open"  # names[5] could still make it 4
    t2 = tally(votes(*[(n, "approve") for n in names[:3]], (names[3], "abstain"),
                     (names[4], "abstain"), (names[5], "abstain")), names, TWO_THIRDS)
    assert t2.status() == "rejected"


def test_last_vote_counts_and_earlier_are_superseded() -> None:
    names = roster(3)
    t = tally(votes((names[0], "approve"), (names[0], "reject"), (names[0], "approve")),
              names, TWO_THIRDS)
    assert (t.approve, t.reject) == (1, 0)
    assert [s.commit for s in t.superseded] == [f"{0:040x}", f"{1:040x}"]


def test_votes_of_non_eligible_agents_are_ignored() -> None:
    t = tally(votes(("stranger", "approve")), roster(1), TWO_THIRDS)
    assert t.approve == 0 and t.not_voted == ("a000",)


def test_empty_roster_never_passes() -> None:
    for rule in (TWO_THIRDS, UNANIMOUS):
        t = tally([], [], rule)
        assert not t.passed and t.status() == "rejected"


def test_window_closed_rejects_what_has_not_passed() -> None:
    names = roster(3)
    t = tally(votes((names[0], "approve")), names, TWO_THIRDS, window_closed=True)
    assert t.status() == "rejected"
    t = tally(votes((names[0], "approve"), (names[1], "approve")), names, TWO_THIRDS,
              window_closed=True)
    assert t.status() == "approved"
