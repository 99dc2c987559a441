"""The canonical-vote fast path of senate_fields equals the general reading, or abstains."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senate.errors import UsageError
from senate.trailers import (
    canonical_vote,
    format_vote_message,
    senate_fields,
    senate_fields_general,
)

PID = "0123456789abcdef" * 4
PROP = "0007-experiment-confidence"

NASTY_LINES = [
    "", " ", "\t", "---", "--- x", "---\t", "----", "# comment", "#", "# " + "-" * 24 + " >8 "
    + "-" * 24, "Senate-Vote: reject", "senate-vote=reject", "  > Senate-Proposal: x",
    "_senate-x :", "\u017fenate-vote: reject", "Signed-off-by: a <b>", "Conflicts:", "\tfile",
    "Key: value", " continued", "vote(0007-x): reject", "a\rb", "a\0b", "naïve ünïcode",
    "\u2028", "\u00a0Senate-Vote: reject", "(cherry picked from commit abc)", "x: y",
    "Senate-Content-Id: " + PID, "Senate-Proposal: " + PROP, "\n", "text = 1",
]
LINE = st.one_of(st.sampled_from(NASTY_LINES), st.text(max_size=12),
                 st.text(alphabet="-#:= \t\r\0Senat\nvo", max_size=10))
IDS = st.sampled_from([PROP, "0001-a", "0007-Experiment", "007-x", "0007-x)", "0007-" + "a" * 63,
                       "0007-" + "a" * 64, "0007--", "0007-a b"])
VOTES = st.sampled_from(["approve", "reject", "abstain", "Approve", "yes", "approve "])
PATCHES = st.sampled_from([PID, PID.upper(), PID[:-1], PID + "0", "0" * 64, PID[:40]])


def check(message: str) -> None:
    fast = canonical_vote(message)
    if fast is not None:
        assert fast == senate_fields_general(message), repr(message)
    assert senate_fields(message) == senate_fields_general(message)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(IDS, IDS, VOTES, VOTES, PATCHES, st.lists(LINE, max_size=6),
       st.sampled_from(["\n\n", "\n", "\n\n\n", "\n \n"]), st.booleans())
def test_generated_votes(
    subject_id: str, trailer_id: str, subject_vote: str, trailer_vote: str, patch: str,
    body: list[str], gap: str, with_body: bool,
) -> None:
    text = "\n".join(body)
    head = f"vote({subject_id}): {subject_vote}\n\n" + (text + gap if with_body else "")
    trailers = (f"Senate-Proposal: {trailer_id}\nSenate-Vote: {trailer_vote}\n"
                f"Senate-Content-Id: {patch}\n")
    check(head + trailers)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, max_size=4), st.integers(min_value=0, max_value=400),
       st.sampled_from([*NASTY_LINES, "\n", "\r", "\0", " ", "x", "\nSenate-Vote: abstain"]),
       st.booleans())
def test_mutated_canonical_votes(body: list[str], at: int, insert: str, drop: bool) -> None:
    good = (f"vote({PROP}): approve\n\n" + "\n".join(body) + "\n\n"
            f"Senate-Proposal: {PROP}\nSenate-Vote: approve\nSenate-Content-Id: {PID}\n")
    check(good)
    at = min(at, len(good))
    check(good[:at] + insert + good[at + (1 if drop else 0):])


@settings(max_examples=300)
@given(st.text(alphabet="abcdefghij klmnopqrstuvwxyz0123456789.,()'\n", max_size=80),
       st.sampled_from(["approve", "reject", "abstain"]))
def test_messages_senate_writes(reason: str, vote: str) -> None:
    try:
        message = format_vote_message(PROP, vote, PID, reason)  # type: ignore[arg-type]
    except UsageError:
        return  # a reason Senate refuses to write
    assert canonical_vote(message) is not None
    check(message)


def test_a_plain_vote_takes_the_fast_path() -> None:
    message = format_vote_message(PROP, "reject", PID, "Too broad.\n\nSecond paragraph.")
    assert canonical_vote(message) == senate_fields_general(message)
    assert canonical_vote(message) is not None
    assert canonical_vote(message.replace("Too broad.", "---")) is None
    assert canonical_vote(message.replace("Too broad.", "# x")) is None
    assert canonical_vote(message.replace("Too broad.", "x\rb")) is None
    assert canonical_vote(message.replace("Too broad.", "Senate-Vote: approve")) is None
