"""The parsed-roster memo (policy.parse_policy): keyed by the exact text, so a changed
byte is a fresh parse, an invalid roster fails every time, and the error still names
the file it came from."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from racekit import race

from senate.errors import UsageError
from senate.policy import _PARSED, _PARSED_MAX, parse_policy
from senate.sshsig import PublicKey


def roster(*names: str, vote: bool = True) -> str:
    lines = []
    for name in names:
        key = PublicKey.from_crypto(Ed25519PrivateKey.generate().public_key()).openssh()
        lines += ["[[agents]]", f'name = "{name}"', f'key = "{key}"',
                  f"vote = {'true' if vote else 'false'}", ""]
    return "\n".join(lines)


def test_same_text_is_one_parse_and_any_change_is_a_fresh_one() -> None:
    text = roster("alice", "bob")
    first = parse_policy(text, "senate.toml@aaaa")
    assert parse_policy(text, "senate.toml@bbbb") is first      # source only names errors
    # One byte changed (bob loses his vote): a different roster, parsed anew.
    changed = text.replace("vote = true", "vote = false", 1)
    assert [a.vote for a in parse_policy(changed).agents] == [False, True]
    assert [a.vote for a in parse_policy(text).agents] == [True, True]
    # Trailing whitespace is a different text too (nothing is normalised before the key).
    assert parse_policy(text + " \n") is not first


def test_an_invalid_roster_fails_every_time_with_its_own_source() -> None:
    text = roster("alice") + '\n[rules]\napproval_numerator = 5\napproval_denominator = 3\n'
    for source in ("senate.toml@1111", "senate.toml@2222"):
        with pytest.raises(UsageError, match=source):
            parse_policy(text, source)
    assert text not in _PARSED


def test_the_memo_is_bounded() -> None:
    texts = [roster(f"a{i}") for i in range(_PARSED_MAX + 3)]
    for text in texts:
        parse_policy(text)
    assert len(_PARSED) <= _PARSED_MAX
    assert texts[-1] in _PARSED and texts[0] not in _PARSED


def test_threads_sharing_the_memo_never_fail() -> None:
    # found in review: two threads evicting the same oldest entry raised KeyError (an
    # API count would have answered 500). Distinct texts (a comment apart) make every
    # call a parse and an eviction.
    base = roster("solo")

    def work(thread: int) -> None:
        for n in range(1500):
            assert parse_policy(f"{base}# {thread}-{n}\n").agents[0].name == "solo"

    assert race(work) == []
    assert len(_PARSED) <= _PARSED_MAX
