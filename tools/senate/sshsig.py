"""OpenSSH ed25519 keys and SSHSIG signatures, as `ssh-keygen -Y sign/verify` make them.

Git signs commits with `gpg.format=ssh` by handing the commit payload to `ssh-keygen -Y
sign -n git`; this module produces and checks the same armored blobs in-process, so that
counting 10,000 votes needs no process per commit. Verification is deliberately strict:
only namespace `git`, only sha256/sha512, only ed25519, no trailing bytes.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from senate.errors import UsageError

ED25519 = b"ssh-ed25519"
BEGIN = b"-----BEGIN SSH SIGNATURE-----\n"
END = b"-----END SSH SIGNATURE-----"
MAGIC = b"SSHSIG"
HASHES = {b"sha256": hashlib.sha256, b"sha512": hashlib.sha512}
_B64 = re.compile(rb"[A-Za-z0-9+/=\n]*")  # fullmatch: the armor's body holds only these
_VERSION_1 = struct.pack(">I", 1)


@dataclass(frozen=True)
class PublicKey:
    """An ed25519 public key as it appears in authorized_keys / allowed_signers."""

    blob: bytes  # the SSH wire encoding: string "ssh-ed25519" + string key

    @classmethod
    def parse(cls, text: str, source: str = "key") -> PublicKey:
        parts = text.strip().split()
        if len(parts) < 2:
            raise UsageError(
                f"{source}: not an OpenSSH public key (expected 'ssh-ed25519 AAAA... [comment]')",
                "use the .pub file that `ssh-keygen -t ed25519` writes",
            )
        if parts[0] != "ssh-ed25519":
            raise UsageError(
                f"{source}: key type {parts[0]!r} is not supported; Senate uses ed25519 keys",
                "make one with `ssh-keygen -t ed25519 -f KEYFILE`",
            )
        try:
            blob = base64.b64decode(parts[1], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UsageError(
                f"{source}: malformed ssh-ed25519 public key ({exc})",
                "copy the whole line of the .pub file",
            ) from exc
        # The wire form is checked here; the curve point is only decoded when a signature
        # by this key is verified, so loading a roster of thousands stays cheap.
        if not _is_pair(blob, 32):  # string "ssh-ed25519" + string of 32 bytes, exactly
            raise UsageError(
                f"{source}: malformed ssh-ed25519 public key",
                "copy the whole line of the .pub file",
            )
        return cls(blob)

    @classmethod
    def from_crypto(cls, key: Ed25519PublicKey) -> PublicKey:
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(_string(ED25519) + _string(raw))

    @property
    def raw(self) -> bytes:
        if _is_pair(self.blob, 32):
            return self.blob[_PAIR_HEAD:]
        fields = _read_strings(self.blob, 2)
        assert fields is not None
        return fields[1]

    def openssh(self) -> str:
        return "ssh-ed25519 " + base64.b64encode(self.blob).decode()

    def fingerprint(self) -> str:
        digest = base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")
        return f"SHA256:{digest}"

    def crypto(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.raw)


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read an unencrypted OpenSSH ed25519 private key file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read key file {path}: {exc.strerror}", "check --key") from exc
    try:
        key = serialization.load_ssh_private_key(data, password=None)
    except TypeError as exc:
        raise UsageError(
            f"{path} is protected by a passphrase",
            "give Senate an unencrypted agent key (ssh-keygen -N '')",
        ) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise UsageError(
            f"{path} is not an OpenSSH private key ({exc})",
            "pass the private key file that `ssh-keygen -t ed25519` wrote (not the .pub)",
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an ed25519 key", "Senate signs with ed25519 keys only")
    return key


def sign(key: Ed25519PrivateKey, data: bytes, namespace: str = "git") -> str:
    """An armored SSHSIG over `data`, byte-identical in form to `ssh-keygen -Y sign`."""
    hash_alg = b"sha512"
    public = PublicKey.from_crypto(key.public_key())
    signed = _signed_data(namespace.encode(), hash_alg, HASHES[hash_alg](data).digest())
    sig = _string(ED25519) + _string(key.sign(signed))
    blob = (
        MAGIC
        + struct.pack(">I", 1)
        + _string(public.blob)
        + _string(namespace.encode())
        + _string(b"")
        + _string(hash_alg)
        + _string(sig)
    )
    b64 = base64.b64encode(blob).decode()
    lines = [b64[i : i + 70] for i in range(0, len(b64), 70)]
    return "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n"


@dataclass(frozen=True)
class ParsedSignature:
    public_key: bytes  # SSH wire blob of the signer's key
    hash_alg: bytes
    signature: bytes  # raw 64-byte ed25519 signature


def parse_signature(armored: bytes, namespace: str = "git") -> ParsedSignature | str:
    """Decode an armored SSHSIG; a string result says why it is not acceptable."""
    text = armored.rstrip(b"\n")
    if not text.startswith(BEGIN) or not text.endswith(END):
        return "not an armored SSH signature"
    body = text[len(BEGIN) : -len(END)]
    if not _B64.fullmatch(body):
        return "stray characters inside the signature armor"
    try:
        blob = base64.b64decode(body.replace(b"\n", b""), validate=True)
    except binascii.Error:
        return "signature is not valid base64"
    for hash_alg, (head, middle) in _layouts(namespace).items():
        # The one layout of an ed25519 signature: fixed bytes around the key and the
        # signature, compared whole (the field-by-field reading below names any fault).
        if (len(blob) == len(head) + 32 + len(middle) + 64 and blob.startswith(head)
                and blob[len(head) + 32 : -64] == middle):
            key_at = len(MAGIC) + len(_VERSION_1) + 4  # the key blob, after its length
            return ParsedSignature(blob[key_at : len(head) + 32], hash_alg, blob[-64:])
    if not blob.startswith(MAGIC) or blob[6:10] != _VERSION_1:
        return "not an SSHSIG version 1 blob"
    fields = _read_strings(blob[10:], 5)
    if fields is None:
        return "malformed SSHSIG blob"
    pubkey, ns, _reserved, hash_alg, sig = fields
    if ns != namespace.encode():
        return f"signature namespace is {ns!r}, expected {namespace!r}"
    if hash_alg not in HASHES:
        return f"hash algorithm {hash_alg!r} is not allowed"
    # The one well-formed shape of each, checked by prefix and length; anything else
    # goes through the field-by-field reading below, which names the fault.
    if _is_pair(pubkey, 32) and _is_pair(sig, 64):
        return ParsedSignature(pubkey, hash_alg, sig[_PAIR_HEAD:])
    key_fields = _read_strings(pubkey, 2)
    sig_fields = _read_strings(sig, 2)
    if key_fields is None or sig_fields is None or key_fields[0] != ED25519:
        return "only ssh-ed25519 signatures are accepted"
    if sig_fields[0] != ED25519 or len(sig_fields[1]) != 64 or len(key_fields[1]) != 32:
        return "malformed ed25519 signature"
    return ParsedSignature(pubkey, hash_alg, sig_fields[1])


def verify(
    parsed: ParsedSignature, data: bytes, key: Ed25519PublicKey, namespace: str = "git"
) -> bool:
    """Check a parsed SSHSIG over `data` with the roster's key object for its signer."""
    digest = HASHES[parsed.hash_alg](data).digest()
    try:
        key.verify(parsed.signature, _signed_data(namespace.encode(), parsed.hash_alg, digest))
    except InvalidSignature:
        return False
    return True


def _signed_data(namespace: bytes, hash_alg: bytes, digest: bytes) -> bytes:
    return _signed_head(namespace, hash_alg) + _string(digest)


@functools.lru_cache(maxsize=8)  # a handful of (namespace, hash) pairs, built per vote
def _signed_head(namespace: bytes, hash_alg: bytes) -> bytes:
    return MAGIC + _string(namespace) + _string(b"") + _string(hash_alg)


@functools.lru_cache(maxsize=8)
def _layouts(namespace: str) -> dict[bytes, tuple[bytes, bytes]]:
    """hash algorithm -> (the bytes before the raw key, the bytes between it and the raw
    signature) of a well-formed ed25519 SSHSIG blob in `namespace`."""
    key_blob = 4 + len(ED25519) + 4 + 32
    sig_blob = 4 + len(ED25519) + 4 + 64
    head = MAGIC + _VERSION_1 + key_blob.to_bytes(4, "big") + _PAIR_HEADS[32]
    return {alg: (head, _string(namespace.encode()) + _string(b"") + _string(alg)
                  + sig_blob.to_bytes(4, "big") + _PAIR_HEADS[64]) for alg in HASHES}


def _string(value: bytes) -> bytes:
    return struct.pack(">I", len(value)) + value


def _read_strings(data: bytes, count: int) -> list[bytes] | None:
    """Exactly `count` SSH strings filling `data`, or None (trailing bytes are refused)."""
    out: list[bytes] = []
    pos, end = 0, len(data)
    for _ in range(count):
        if pos + 4 > end:
            return None
        length = int.from_bytes(data[pos : pos + 4], "big")
        pos += 4
        if pos + length > end:
            return None
        out.append(data[pos : pos + length])
        pos += length
    return out if pos == end else None


# string "ssh-ed25519" then the length of a second string: what precedes the raw key
# (32 bytes) in a key blob and the raw signature (64 bytes) in a signature blob.
_PAIR_HEAD = 4 + len(ED25519) + 4


def _is_pair(data: bytes, size: int) -> bool:
    """Whether `data` is exactly string "ssh-ed25519" + string of `size` bytes."""
    return len(data) == _PAIR_HEAD + size and data[:_PAIR_HEAD] == _PAIR_HEADS.get(size)


_PAIR_HEADS = {n: _string(ED25519) + n.to_bytes(4, "big") for n in (32, 64)}
