"""senate.sshsig's decoding: SSH strings and the armor, against straightforward references."""

from __future__ import annotations

import base64
import struct

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from senate import sshsig
from senate.errors import UsageError
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


def _s(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def reference_fields(pubkey: bytes, sig: bytes) -> tuple[bytes, bytes] | str:
    """The field-by-field reading of the key and signature blobs (the general path)."""
    key_fields = reference_strings(pubkey, 2)
    sig_fields = reference_strings(sig, 2)
    if key_fields is None or sig_fields is None or key_fields[0] != b"ssh-ed25519":
        return "only ssh-ed25519 signatures are accepted"
    if sig_fields[0] != b"ssh-ed25519" or len(sig_fields[1]) != 64 or len(key_fields[1]) != 32:
        return "malformed ed25519 signature"
    return pubkey, sig_fields[1]


PAIRS = st.tuples(
    st.sampled_from([b"ssh-ed25519", b"ssh-rsa", b"", b"ssh-ed25519\0"]),
    st.sampled_from([0, 31, 32, 33, 63, 64, 65]).map(lambda n: b"k" * n),
    st.sampled_from([b"", b"\0", b"\0\0\0\0"]),
).map(lambda t: _s(t[0]) + _s(t[1]) + t[2]) | st.binary(max_size=60)


@given(PAIRS, PAIRS)
def test_key_and_signature_blobs_read_as_field_by_field(pubkey: bytes, sig: bytes) -> None:
    blob = (b"SSHSIG" + struct.pack(">I", 1) + _s(pubkey) + _s(b"git") + _s(b"")
            + _s(b"sha512") + _s(sig))
    armored = (b"-----BEGIN SSH SIGNATURE-----\n" + base64.b64encode(blob)
               + b"\n-----END SSH SIGNATURE-----\n")
    parsed = sshsig.parse_signature(armored)
    expected = reference_fields(pubkey, sig)
    if isinstance(expected, str):
        assert parsed == expected
    else:
        assert not isinstance(parsed, str)
        assert (parsed.public_key, parsed.signature) == expected
        assert parsed.hash_alg == b"sha512"
    fields = reference_strings(pubkey, 2)
    if fields is not None:
        assert sshsig.PublicKey(pubkey).raw == fields[1]


@given(PAIRS)
def test_public_key_parse_accepts_exactly_the_ed25519_pair(blob: bytes) -> None:
    fields = reference_strings(blob, 2)
    good = fields is not None and fields[0] == b"ssh-ed25519" and len(fields[1]) == 32
    text = "ssh-ed25519 " + base64.b64encode(blob).decode()
    try:
        key = sshsig.PublicKey.parse(text)
    except UsageError:
        assert not good
    else:
        assert good and key.blob == blob


def _slow_parse(armored: bytes, namespace: str = "git") -> sshsig.ParsedSignature | str:
    """parse_signature with the fixed-layout shortcut disabled."""
    saved = sshsig._layouts
    sshsig._layouts = lambda ns: {}  # type: ignore[assignment]
    try:
        return sshsig.parse_signature(armored, namespace)
    finally:
        sshsig._layouts = saved


@given(st.binary(min_size=1, max_size=200), st.integers(min_value=0, max_value=300),
       st.binary(max_size=3), st.sampled_from(["git", "file"]))
def test_the_fixed_layout_shortcut_agrees_with_the_field_reading(
    message: bytes, at: int, junk: bytes, namespace: str
) -> None:
    key = Ed25519PrivateKey.generate()
    armored = sshsig.sign(key, message, namespace).encode()
    body = base64.b64decode(b"".join(armored.splitlines()[1:-1]))
    cut = min(at, len(body))
    for blob in (body, body[:cut] + junk + body[cut + len(junk):], body[:cut], body + junk):
        text = base64.b64encode(blob)
        wrapped = sshsig.BEGIN + b"\n".join(text[i:i + 70] for i in range(0, len(text), 70))
        wrapped += b"\n" + sshsig.END + b"\n"
        assert sshsig.parse_signature(wrapped, namespace) == _slow_parse(wrapped, namespace)
