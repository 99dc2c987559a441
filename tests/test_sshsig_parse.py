"""senate.sshsig's decoding: SSH strings and the armor, against straightforward references."""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from senate import sshsig
from senate.sshsig import _read_strings


def reference_strings(data: bytes, count: int) -> list[bytes] | None:
    out: list[bytes] = []
    pos = 0
    for _ in range(count):
        if pos + 4 > len(data):
            return None
        (length,) = struct.unpack_from(">I", data, pos)
        if pos + 4 + length > len(data):
            return None
        out.append(data[pos + 4 : pos + 4 + length])
        pos += 4 + length
    return out if pos == len(data) else None


@given(st.lists(st.binary(max_size=6), max_size=4), st.binary(max_size=3),
       st.integers(min_value=0, max_value=5), st.integers(min_value=0, max_value=3))
def test_read_strings_matches_struct(parts: list[bytes], tail: bytes, count: int, cut: int) -> None:
    data = b"".join(struct.pack(">I", len(p)) + p for p in parts) + tail
    for candidate in (data, data[: max(0, len(data) - cut)]):
        assert _read_strings(candidate, count) == reference_strings(candidate, count)


def test_armor_characters() -> None:
    key = Ed25519PrivateKey.generate()
    armored = sshsig.sign(key, b"payload").encode()
    parsed = sshsig.parse_signature(armored)
    assert not isinstance(parsed, str)
    assert sshsig.verify(parsed, b"payload", key.public_key())
    assert not sshsig.verify(parsed, b"other", key.public_key())
    lines = armored.split(b"\n")
    for stray in (b"*", b" ", b"\t", b"\r", b"-", b"\xff", b"\0"):
        bad = b"\n".join([lines[0], lines[1][:5] + stray + lines[1][5:], *lines[2:]])
        assert sshsig.parse_signature(bad) == "stray characters inside the signature armor"
    assert isinstance(sshsig.parse_signature(armored.replace(b"A", b"=", 1)), str)
