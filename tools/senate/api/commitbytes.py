"""Commit objects built by hand, byte for byte as git writes them, for signing off-repo.

An agent talking to the API has no repository, yet must sign the exact object the server
will store. These helpers make the same bytes as `git commit -S` (gpg.format=ssh): the
headers, then the signature as a `gpgsig` header after the committer line, each further
line of the armor continued with one leading space.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate import sshsig


@dataclass(frozen=True)
class Identity:
    """An author or committer: name, email, Unix time and UTC offset in minutes."""

    name: str
    email: str
    when: int
    offset_minutes: int = 0

    def line(self) -> str:
        sign = "-" if self.offset_minutes < 0 else "+"
        hours, minutes = divmod(abs(self.offset_minutes), 60)
        return f"{self.name} <{self.email}> {self.when} {sign}{hours:02d}{minutes:02d}"


def identity_now(name: str, email: str) -> Identity:
    return Identity(name, email, int(time.time()))


def commit_bytes(
    tree: str, parents: list[str], author: Identity, committer: Identity, message: str
) -> bytes:
    """The unsigned commit object (what the signature is made over)."""
    headers = [f"tree {tree}", *(f"parent {p}" for p in parents),
               f"author {author.line()}", f"committer {committer.line()}"]
    return ("\n".join(headers) + "\n\n" + message).encode("utf-8")


def add_signature(unsigned: bytes, armored: str) -> bytes:
    """Insert the signature header where git puts it: after the last header line."""
    head, sep, body = unsigned.partition(b"\n\n")
    if not sep:
        raise ValueError("not a commit object: no blank line after the headers")
    lines = armored.rstrip("\n").split("\n")
    header = "gpgsig " + "\n".join([lines[0], *(" " + line for line in lines[1:])])
    return head + b"\n" + header.encode("ascii") + b"\n\n" + body


def sign_commit(key: Ed25519PrivateKey, unsigned: bytes) -> bytes:
    return add_signature(unsigned, sshsig.sign(key, unsigned))
