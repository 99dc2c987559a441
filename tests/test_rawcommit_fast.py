"""parse_commit's fast path for the canonical signed shape equals the general parse.

The general parse is checked against real git in test_rawcommit.py; here the fast path is
checked against the general parse on generated near-canonical objects, including the
hostile variations the general parse exists for.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senate.rawcommit import _canonical, parse_commit, parse_commit_general

TREE = b"tree 96bfdbff72b27e253f7a84ae498b17ac64749ce5\n"
PARENT = b"parent a8c03d56e38bc99fe6cee1de542017fccdcc62ef\n"
AUTHOR = b"author a09999 <a09999@agents.invalid> 1795248996 +0000\n"
COMMITTER = b"committer a09999 <a09999@agents.invalid> 1795248996 +0000\n"
SIG = (b"gpgsig -----BEGIN SSH SIGNATURE-----\n"
       b" U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAgyp5xlq6xk1M212An7X4qoP2kGA\n"
       b" YrTO1vE9k2zTYvlSgaZAQ=\n"
       b" -----END SSH SIGNATURE-----\n"
       b" \n")
MESSAGE = (b"\nvote(0001-x): approve\n\nvote 9999\n\nSenate-Proposal: 0001-x\n"
           b"Senate-Vote: approve\nSenate-Content-Id: "
           b"c73634ce157a5650ce3a097d57c1f80085186e3f000000000000000000000000\n")
CANONICAL = TREE + PARENT + AUTHOR + COMMITTER + SIG + MESSAGE

IDENTS = st.sampled_from([
    b"a09999 <a09999@agents.invalid> 1795248996 +0000", b"A B <a@b> 0 -0130",
    b"na\xc3\xafve <\xc3\xa9@x> 1 +0100", b"bad \xff <x@y> 1 +0000", b"x <y> 01 +0000",
    b"x <y> 99999999999999999999 +0000", b"x <y>  1 +0000", b"x<y> 1 +0000", b" <y> 1 +0000",
    b"x <y> 1 +000", b"x <<y> 1 +0000", b"x <y> 1 +0000 ", b"x\t<y> 1 +0000", b"x <y>",
    b"x <y> 9223372036854775808 +0000", b"x <y> 9223372036854775807 +0000",
])
HEADER_LINES = st.sampled_from([
    TREE, PARENT, b"parent A8C03D56E38BC99FE6CEE1DE542017FCCDCC62EF\n", b"parent x\n",
    b"encoding UTF-8\n", b"encoding latin1\n", b"mergetag object x\n", b"gpgsig\n",
    b"gpgsig \n", b"gpgsig-sha256 -----BEGIN SSH SIGNATURE-----\n", b" continued\n", b"\n",
    b"x-custom value\n", b"author x <y> 1 +0000\n", b"gpgsigx y\n", b"\t tab\n",
])
MESSAGES = st.one_of(st.sampled_from([
    MESSAGE, b"\n", b"", b"\nplain\n", b"\n-----BEGIN SSH SIGNATURE-----\nx\n",
    b"\n\xff\xfe\n", b"\nna\xc3\xafve\n", b"\n\0nul\n", b"\ncr\r\n", b"\n\n\n",
    b"\ngpgsig moved into the body\n -----BEGIN SSH SIGNATURE-----\n",
]), st.binary(max_size=30).map(lambda b: b"\n" + b))


GOOD_OR_NOT = st.just(AUTHOR[7:-1]) | IDENTS  # about half canonical


def check(data: bytes) -> None:
    general = parse_commit_general(data)
    fast = _canonical(data)
    assert fast is None or fast == general, data
    assert parse_commit(data) == general


def test_the_canonical_shape_takes_the_fast_path() -> None:
    assert _canonical(CANONICAL) == parse_commit_general(CANONICAL)
    assert _canonical(CANONICAL) is not None
    assert _canonical(TREE + AUTHOR + COMMITTER + SIG + MESSAGE) is not None  # a root
    assert _canonical(TREE + PARENT * 3 + AUTHOR + COMMITTER + SIG + MESSAGE) is not None


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=3), GOOD_OR_NOT, GOOD_OR_NOT,
       st.lists(st.sampled_from([b"", b" ", b"  x", b" -----END", b"\t", b" \r"]), max_size=3),
       st.lists(st.tuples(st.integers(min_value=0, max_value=6), HEADER_LINES), max_size=2)
       | st.just([]), st.just(MESSAGE) | MESSAGES, st.just(True) | st.booleans())
def test_generated_commits(
    parents: int, author: bytes, committer: bytes, conts: list[bytes],
    inserts: list[tuple[int, bytes]], message: bytes, signed: bool,
) -> None:
    sig = SIG + b"".join(c + b"\n" for c in conts) if signed else b""
    lines = [TREE, *[PARENT] * parents, b"author " + author + b"\n",
             b"committer " + committer + b"\n", sig]
    for at, line in inserts:
        lines.insert(min(at, len(lines)), line)
    check(b"".join(lines) + message)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(CANONICAL)),
       st.sampled_from([b"\n", b" ", b"\0", b"\r", b"\t", b"x", b"\xff", b"-----BEGIN PGP MESSAGE",
                        b"\n\n", b"\ngpgsig x\n", b"\n y", b"<", b">", b"0", b"\xc3\xa9"]),
       st.integers(min_value=0, max_value=2))
def test_mutated_canonical(at: int, insert: bytes, drop: int) -> None:
    check(CANONICAL[:at] + insert + CANONICAL[at + drop :])


@settings(max_examples=300)
@given(st.lists(st.sampled_from([TREE, PARENT, AUTHOR, COMMITTER, SIG]), max_size=7)
       | st.permutations([TREE, PARENT, AUTHOR, COMMITTER, SIG]), MESSAGES)
def test_moved_and_repeated_headers(headers: list[bytes], message: bytes) -> None:
    check(b"".join(headers) + message)
