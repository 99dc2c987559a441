"""senate.trailers against real `git interpret-trailers --parse`, and the Senate rules."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senate.errors import UsageError
from senate.trailers import (
    format_vote_message,
    parse_trailers,
    senate_fields,
    senate_like_line,
)

PID = "0123456789abcdef" * 4
PROP = "0007-experiment-confidence"
GOOD_TRAILERS = f"Senate-Proposal: {PROP}\nSenate-Vote: approve\nSenate-Content-Id: {PID}\n"
GOOD = f"vote({PROP}): approve\n\nReasoning in free text.\n\n{GOOD_TRAILERS}"


def _git_env(home: Path) -> dict[str, str]:
    # default config only: no user/system config may add trailer.* settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return env


def git_parse(message: str, cwd: Path) -> list[tuple[str, str]]:
    out = subprocess.run(
        ["git", "interpret-trailers", "--parse"],
        input=message.encode(),
        capture_output=True,
        check=True,
        cwd=cwd,
        env=_git_env(cwd),
        timeout=10,
    ).stdout.decode()
    # git prints "<key>: <value>"; a key never contains ':'
    return [(k, v[1:]) for k, _, v in (line.partition(":") for line in out.splitlines())]


def ours(message: str) -> list[tuple[str, str]]:
    return [(t.key, t.value) for t in parse_trailers(message)]


CORPUS = [
    "",
    "subject only",
    "subject\n",
    "Key: value\n",  # a lone paragraph is the title, never trailers
    "subject\n\nKey: value\n",
    "subject\n\nKey: value",
    "subject\n\nKey: value\n\n\n",
    "subject\n\nbody\n\nKey: value\nOther-Key: other\n",
    "subject\n\nKey: value\n\nbody after\n",
    "subject\n\nKey: value\nnot a trailer\n",
    "subject\n\nKey:value\nKey :  spaced  \nKey\t: tab\n",
    "subject\n\nKey x: value\n",
    " subject\n\n Key: value\n",
    "subject\n\nKey: value\n  continued here\n\tand a tab\n",
    "subject\n\nKey: value\n  \n",
    "subject\n\n  indented: first\nKey: value\n",
    "subject\n\nKey: a\nKey: b\nkey: c\n",
    "subject\n\nSigned-off-by: A <a@b>\nrandom text\nmore text\nmore\n",
    "subject\n\nSigned-off-by: A <a@b>\nrandom text\nmore text\nmore\nand more\n",
    "subject\n\n(cherry picked from commit abc)\nfree text\nKey: v\n",
    "subject\n\nKey: v\n# a comment\nOther: w\n",
    "subject\n\nKey: v\n# a comment\n",
    "subject\n\nKey: v\n\n# trailing comment\n# another\n",
    "subject\n\nKey: v\n---\nPatch-Key: w\n",
    "subject\n\nKey: v\n--- \nPatch-Key: w\n",
    "subject\n\nKey: v\n---foo\n",
    "subject\n\nbody\n---\nKey: v\n",
    "subject\n\nKey: v\n# ------------------------ >8 ------------------------\nA: b\n",
    "subject\n\nKey: v\nConflicts:\n\tfile.c\n",
    "subject\n\nKey: v\r\nOther: w\r\n",
    "subject\r\n\r\nKey: v\r\n",
    "subject\n\nKey: v\0\nHidden: x\n",
    "subject\n\nKéy: v\n",
    "subject\n\nKey: vélo\n",
    "subject\n\n-Key: v\n",
    "subject\n\n: no key\n",
    "subject\n\nKey::double\n",
    "subject\n\nKey: \n",
    "subject\n\nKey:\n  value on next line\n",
    "subject\n\n\n\nKey: v\n",
    "# comment title\nsubject\n\nKey: v\n",
    "subject\nsecond title line\n\nKey: v\n",
    "subject\n\nKey: v\n  cont\nnot trailer\n",
    "subject\n\nSigned-off-by: x\n  cont1\n  cont2\n  cont3\n  cont4\nplain\n",
    "subject\n\nKey: v\n\nSenate-Vote: approve\nthanks\n",
    "subject\n\nKey: v\n \t \n",
    "subject\n\nA-B-C: 1\n123: numeric\n",
    "subject\n\nhttp://example.com: not a key\n",
    "subject\n\nKey: v\nKey2 : w\n   \nKey3: x\n",
    GOOD,
]


@pytest.mark.parametrize("message", CORPUS)
def test_matches_git_interpret_trailers(message: str, tmp_path: Path) -> None:
    assert ours(message) == git_parse(message, tmp_path)


_FRAGMENTS = [
    "Key: v", "Key:v", "Key : v", "Senate-Vote: approve", "Signed-off-by: A <a@b>",
    "(cherry picked from commit 1)", "  cont", "\tcont", "plain text", "#c", "---", "--- x",
    "", "", " ", "Conflicts:", "\tpath", "K\u00e9y: v", "a-b: c", ": x", "-a: b", "x y: z",
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=12), st.booleans())
def test_random_messages_match_git(tmp_path: Path, lines: list[str], final_nl: bool) -> None:
    message = "\n".join(lines) + ("\n" if final_nl else "")
    assert ours(message) == git_parse(message, tmp_path)


def test_raw_and_continuations() -> None:
    (t,) = parse_trailers("s\n\nKey: a\n  b\n\tc\n")
    assert (t.key, t.value, t.raw) == ("Key", "a b c", "Key: a\n  b\n\tc")


# --- Senate rules -------------------------------------------------------------------


def test_good_vote() -> None:
    f = senate_fields(GOOD)
    assert (f.proposal, f.vote, f.content_id, f.problems) == (PROP, "approve", PID, ())


def test_comment_without_vote() -> None:
    trailers = f"Senate-Proposal: {PROP}\nSenate-Content-Id: {PID}\n"
    msg = f"comment({PROP}): why not\n\nwhy not\n\n{trailers}"
    f = senate_fields(msg)
    assert (f.proposal, f.vote, f.content_id, f.problems) == (PROP, None, PID, ())


@pytest.mark.parametrize(
    "message",
    ["Fix a bug\n\nBody.\n\nSigned-off-by: A <a@b>\n", "", "x", "senate is great\n"],
)
def test_not_a_senate_message(message: str) -> None:
    assert senate_fields(message) == senate_fields("plain")
    assert senate_fields(message).problems == ()
    assert senate_fields(message).vote is None


def problems_of(message: str) -> str:
    problems = senate_fields(message).problems
    assert problems, f"expected problems for {message!r}"
    return " | ".join(problems)


ADVERSARIAL = {
    "two conflicting votes": (
        GOOD.replace("Senate-Vote: approve\n", "Senate-Vote: approve\nSenate-Vote: reject\n"),
        "Senate-Vote appears 2 times",
    ),
    "two equal votes": (
        GOOD.replace("Senate-Vote: approve\n", "Senate-Vote: approve\nSenate-Vote: approve\n"),
        "Senate-Vote appears 2 times",
    ),
    "vote in body only": (
        f"vote({PROP}): approve\n\nSenate-Vote: approve\n\nThanks.\n\n"
        f"Senate-Proposal: {PROP}\nSenate-Content-Id: {PID}\n",
        "outside the trailer block",
    ),
    "vote in body contradicting": (
        GOOD.replace("Reasoning in free text.", "Senate-Vote: reject"),
        "line 3 is outside",
    ),
    "tab continuation": (
        GOOD.replace("Senate-Vote: approve\n", "Senate-Vote: approve\n\tor reject\n"),
        "continuation line",
    ),
    "space continuation of another key hides a vote": (
        GOOD.replace("Senate-Vote: approve\n", "Senate-Vote: approve\nNote: x\n Senate-Vote: no\n"),
        "line 8 is outside",
    ),
    "CRLF": (GOOD.replace("\n", "\r\n"), "CR byte"),
    "NUL hides trailers": (GOOD.replace("Reasoning", "Reason\0ing"), "NUL byte"),
    "duplicate proposal": (
        GOOD.replace(f"Senate-Proposal: {PROP}\n", f"Senate-Proposal: {PROP}\n" * 2),
        "Senate-Proposal appears 2 times",
    ),
    "unknown value": (GOOD.replace("approve\nSenate-Content", "yes\nSenate-Content"), "invalid"),
    "uppercase value": (
        GOOD.replace("approve\nSenate-Content", "Approve\nSenate-Content"), "invalid"),
    "trailer block not last paragraph": (GOOD + "\nThanks!\n", "outside the trailer block"),
    "trailers followed by non-trailer": (GOOD + "thanks\n", "outside the trailer block"),
    "unknown Senate key": (GOOD + "Senate-Weight: 2\n", "unknown Senate trailer"),
    "bad patch id": (GOOD.replace(PID, PID.upper()), "invalid Senate-Content-Id"),
    "short patch id": (GOOD.replace(PID, PID[:39]), "invalid Senate-Content-Id"),
    "path in proposal": (
        GOOD.replace(f"Senate-Proposal: {PROP}", "Senate-Proposal: 0007-../etc"),
        "invalid Senate-Proposal",
    ),
    "subject other decision": (GOOD.replace("): approve", "): reject"), "subject says 'reject'"),
    "subject other proposal": (GOOD.replace(f"vote({PROP})", "vote(0008-other)"), "subject names"),
    "subject vote without trailer": (
        GOOD.replace("Senate-Vote: approve\n", ""),
        "no Senate-Vote",
    ),
    "comment subject with vote": (
        GOOD.replace(f"vote({PROP}): approve", f"comment({PROP}): hmm"),
        "subject says comment",
    ),
    "malformed subject": (GOOD.replace(f"vote({PROP}): approve", "Vote(x) approve"), "malformed"),
    "vote after patch divider": (
        f"vote({PROP}): approve\n\nbody\n---\n{GOOD_TRAILERS}",
        "outside the trailer block",
    ),
    "vote after scissors": (
        f"vote({PROP}): approve\n\nbody\n"
        f"# ------------------------ >8 ------------------------\n\n{GOOD_TRAILERS}",
        "outside the trailer block",
    ),
    "missing content id": (
        GOOD.replace(f"Senate-Content-Id: {PID}\n", ""), "missing Senate-Content-Id"),
    "zero-width prefix in body": (
        GOOD.replace("Reasoning in free text.", "\u200bSenate-Vote: reject"),
        "outside",
    ),
    "indented lookalike in body": (
        GOOD.replace("Reasoning in free text.", "  > senate-vote : reject"),
        "outside",
    ),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial(name: str) -> None:
    message, expected = ADVERSARIAL[name]
    assert expected in problems_of(message)


def test_mixed_case_key_counts_like_git() -> None:
    msg = GOOD.replace("Senate-Vote:", "SENATE-vote:")
    f = senate_fields(msg)
    assert (f.vote, f.problems) == ("approve", ())


def test_space_before_colon_is_git_trailer() -> None:
    f = senate_fields(GOOD.replace("Senate-Vote:", "Senate-Vote :"))
    assert (f.vote, f.problems) == ("approve", ())


def test_problem_fields_are_none() -> None:
    f = senate_fields(ADVERSARIAL["two conflicting votes"][0])
    assert f.vote is None and f.proposal == PROP


# --- the formatter ------------------------------------------------------------------


def test_format_canonical(tmp_path: Path) -> None:
    msg = format_vote_message(PROP, "approve", PID, "Reasoning in free text.")
    assert msg == GOOD
    comment = format_vote_message(PROP, None, PID, "x" * 80 + "\n\nmore")
    assert comment.startswith(f"comment({PROP}): {'x' * 57}...\n\n")
    assert git_parse(comment, tmp_path) == [("Senate-Proposal", PROP), ("Senate-Content-Id", PID)]


def test_format_wraps_long_lines_only() -> None:
    reason = "short line\n" + " ".join(["word"] * 40)
    body = format_vote_message(PROP, "reject", PID, reason).split("\n\n")[1]
    assert body.split("\n")[0] == "short line"
    assert all(len(line) <= 72 for line in body.split("\n"))
    assert body.replace("\n", " ") == reason.replace("\n", " ")


@pytest.mark.parametrize(
    "reason",
    ["ok\nSenate-Vote: reject", "  senate-vote: x", "---\nrest", "# heading", "a\r\nb", "a\0b"],
)
def test_format_refuses_unsafe_reasons(reason: str) -> None:
    with pytest.raises(UsageError):
        format_vote_message(PROP, "approve", PID, reason)


@pytest.mark.parametrize(
    ("args"),
    [("7-x", "approve", PID), (PROP, "yes", PID), (PROP, "approve", "abc"), (PROP, None, PID)],
)
def test_format_refuses_bad_fields(args: tuple[str, str | None, str]) -> None:
    with pytest.raises(UsageError):
        format_vote_message(*args, "")  # type: ignore[arg-type]


_reason_lines = st.one_of(
    st.text(max_size=90),
    st.sampled_from(["Key: value", "Senate-Vote: reject", "Signed-off-by: x", "---", "# c",
                     "  indented", "", "Senate-Proposal: 0001-a", "vote(0001-a): reject"]),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(_reason_lines, max_size=8),
    st.sampled_from(["approve", "reject", "abstain", None]),
)
def test_format_round_trips(lines: list[str], vote: str | None) -> None:
    reason = "\n".join(lines)
    try:
        msg = format_vote_message(PROP, vote, PID, reason)  # type: ignore[arg-type]
    except UsageError:
        cleaned = [ln.rstrip(" \t") for ln in reason.split("\n")]
        assert (
            "\r" in reason
            or "\0" in reason
            or any(senate_like_line(ln) or ln.startswith(("#", "---")) for ln in cleaned)
            or (vote is None and not reason.strip(" \t\n"))
        )
        return
    f = senate_fields(msg)
    assert (f.proposal, f.vote, f.content_id, f.problems) == (PROP, vote, PID, ())
    expected = [("Senate-Proposal", PROP), ("Senate-Vote", vote), ("Senate-Content-Id", PID)]
    assert [(t.key, t.value) for t in parse_trailers(msg)] == [e for e in expected if e[1]]
    assert msg.endswith("\n") and "\n\n\n" not in msg  # stable under git's cleanup
