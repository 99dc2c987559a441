"""Split a raw commit object the way git does, so we verify exactly what git verifies.

pygit2's view of a signed commit is not git's on crafted objects (bytes after a NUL, a
signature moved into the body, several signature headers), so the vote counter reads the
raw bytes (`git cat-file commit`) and uses this module. `signature` and `payload` mirror
`parse_buffer_signed_by_header` in git's commit.c for a SHA-1 repository; `problems`
lists everything that makes the object mean different things to git, to fsck, or to a
human reading `git log`. Never raises: a hostile object is a result, not an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The header git uses for the signature of a SHA-1 repository; "gpgsig-sha256" and any
# other header starting with "gpgsig" is an other-algorithm signature that git drops.
_SIG_HEADER = b"gpgsig"
_KNOWN_HEADERS = frozenset(
    {b"tree", b"parent", b"author", b"committer", b"encoding", b"mergetag", b"gpgsig",
     b"gpgsig-sha256"}
)
# Headers whose value may go on over continuation lines (" " prefix).
_MULTILINE_HEADERS = frozenset({b"mergetag", b"gpgsig", b"gpgsig-sha256"})
_HEX40 = re.compile(rb"[0-9a-f]{40}\Z")
# fsck's ident rules, strictly: a name, one <email>, a decimal date, a +hhmm zone.
_IDENT = re.compile(rb"([^<>\n]*[^<>\n ]) <([^<>\n]*)> (0|[1-9][0-9]*) ([+-][0-9]{4})\Z")
_ARMOR = re.compile(rb"-----BEGIN (SSH SIGNATURE|PGP SIGNATURE|PGP MESSAGE|SIGNED MESSAGE)")
_MAX_DATE = 2**63 - 1


@dataclass(frozen=True)
class Ident:
    """An author or committer line: `Name <email> 1700000000 +0000`."""

    name: str
    email: str
    timestamp: int
    tz_offset: str


@dataclass(frozen=True)
class RawCommit:
    tree: str
    parents: tuple[str, ...]
    author: Ident | None
    committer: Ident | None
    signature: bytes | None  # what git hands to the verifier as the signature
    payload: bytes  # what git hands to the verifier as the signed data
    message: bytes  # everything after the first empty line, as stored
    problems: tuple[str, ...]  # empty when the object is unambiguous


def split_signature(data: bytes) -> tuple[bytes, bytes | None]:
    """(payload, signature) exactly as git's parse_buffer_signed_by_header computes them."""
    payload = bytearray()
    signature = bytearray()
    saw_signature = in_signature = other_signature = False
    pos, tail = 0, len(data)
    while pos < tail:
        nl = data.find(b"\n", pos)
        nxt = tail if nl < 0 else nl + 1
        line = data[pos:nxt]
        sig_start: int | None = None
        if in_signature and line.startswith(b" "):
            sig_start = pos + 1
        elif line.startswith(_SIG_HEADER + b" "):
            sig_start = pos + len(_SIG_HEADER) + 1
            other_signature = False
        elif line.startswith(b"gpgsig"):
            other_signature = True
        elif other_signature and not line.startswith(b" "):
            other_signature = False
        if sig_start is not None:
            signature += data[sig_start:nxt]
            saw_signature = in_signature = True
        else:
            if line.startswith(b"\n"):
                nxt = tail  # git copies the whole rest (the message) verbatim
            if not other_signature:
                payload += data[pos:nxt]
            in_signature = False
        pos = nxt
    return bytes(payload), bytes(signature) if saw_signature else None


def _header_lines(head: bytes) -> list[tuple[bytes, bytes, list[bytes]]]:
    """Headers as (name, first-line value, continuation lines without their space)."""
    headers: list[tuple[bytes, bytes, list[bytes]]] = []
    for line in head.split(b"\n"):
        if line.startswith(b" ") and headers:
            headers[-1][2].append(line[1:])
            continue
        name, _, value = line.partition(b" ")
        headers.append((name, value, []))
    return headers


def _parse_ident(value: bytes, what: str, problems: list[str]) -> Ident | None:
    m = _IDENT.match(value)
    if m is None:
        problems.append(f"malformed {what} line")
        return None
    name_b, email_b, date_b, tz_b = m.groups()
    timestamp = int(date_b)
    if timestamp > _MAX_DATE:
        problems.append(f"{what} date overflows")
    try:
        name, email = name_b.decode("utf-8"), email_b.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"{what} is not valid UTF-8")
        name = name_b.decode("utf-8", "replace")
        email = email_b.decode("utf-8", "replace")
    return Ident(name, email, timestamp, tz_b.decode("ascii"))


def _order_problems(names: list[bytes]) -> list[str]:
    """git writes tree, parent*, author, committer, then the optional headers."""
    rank = {b"tree": 0, b"parent": 1, b"author": 2, b"committer": 3}
    ranks = [rank.get(n, 4) for n in names]
    return ["headers out of git's order"] if ranks != sorted(ranks) else []


def _split_head(data: bytes) -> tuple[bytes, bytes, bool]:
    """(header block, message, whether an empty line separates them)."""
    if data.startswith(b"\n"):
        return b"", data[1:], True
    cut = data.find(b"\n\n")
    if cut < 0:
        return data.removesuffix(b"\n"), b"", False
    return data[:cut], data[cut + 2 :], True


# A signed commit exactly as git writes one with no optional header, matched whole: tree,
# parents, author, committer (idents as fsck wants them), then a gpgsig header whose first
# line is not empty and its continuation lines, then the empty line. For this shape every
# check below passes, the first empty line is the one after the signature, and
# split_signature lifts exactly the gpgsig lines out of the payload; so the result is
# built directly. tests/test_rawcommit_fast.py checks it against the general parse.
_IDENT_LINE = rb"([^<>\n]*[^<>\n ]) <([^<>\n]*)> (0|[1-9][0-9]*) ([+-][0-9]{4})\n"
_CANONICAL = re.compile(
    rb"tree ([0-9a-f]{40})\n((?:parent [0-9a-f]{40}\n)*)"
    rb"author " + _IDENT_LINE + rb"committer " + _IDENT_LINE
    + rb"gpgsig ([^\n]+\n(?: [^\n]*\n)*)\n"
)


def _canonical(data: bytes) -> RawCommit | None:
    """parse_commit(data) for the canonical signed shape without problems; else None."""
    m = _CANONICAL.match(data)
    if m is None or b"\0" in data or b"\r" in data:
        return None
    message = data[m.end() :]
    if _ARMOR.search(message):
        return None
    try:
        message.decode("utf-8")
        idents = [
            Ident(m.group(i).decode("utf-8"), m.group(i + 1).decode("utf-8"),
                  int(m.group(i + 2)), m.group(i + 3).decode("ascii"))
            for i in (3, 7)
        ]
    except UnicodeDecodeError:
        return None
    if idents[0].timestamp > _MAX_DATE or idents[1].timestamp > _MAX_DATE:
        return None
    parents = m.group(2)
    return RawCommit(
        tree=m.group(1).decode("ascii"),
        parents=tuple(parents[i + 7 : i + 47].decode("ascii") for i in range(0, len(parents), 48)),
        author=idents[0],
        committer=idents[1],
        # continuation lines lose their one leading space, as in split_signature
        signature=m.group(11).replace(b"\n ", b"\n"),
        payload=data[: m.start(11) - len(b"gpgsig ")] + data[m.end() - 1 :],
        message=message,
        problems=(),
    )


def parse_commit(data: bytes) -> RawCommit:
    """Parse a raw commit object (`git cat-file commit` output); never raises."""
    fast = _canonical(data)
    return fast if fast is not None else parse_commit_general(data)


def parse_commit_general(data: bytes) -> RawCommit:
    """The reference parse, for every object; parse_commit's fast path must agree."""
    problems: list[str] = []
    if b"\0" in data:
        problems.append("NUL byte in commit object")
    if b"\r" in data:
        problems.append("CR byte in commit object")
    head, message, has_body = _split_head(data)
    if not has_body:
        problems.append("no empty line between headers and message")
    headers = _header_lines(head) if head else []
    names = [name for name, _, _ in headers]
    problems += _order_problems(names)

    for name, _, cont in headers:
        if name not in _KNOWN_HEADERS:
            problems.append(f"unknown header {name.decode('utf-8', 'replace')!r}")
        elif cont and name not in _MULTILINE_HEADERS:
            problems.append(f"continuation line after {name.decode()} header")
    if any(name.startswith(b"gpgsig") and not value for name, value, _ in headers):
        problems.append("gpgsig header without a value on its first line")
    for single in (b"tree", b"author", b"committer", b"encoding"):
        count = names.count(single)
        if count > 1:
            problems.append(f"duplicate {single.decode()} header")
        elif count == 0 and single != b"encoding":
            problems.append(f"missing {single.decode()} header")
    if names.count(b"gpgsig") > 1:
        problems.append("more than one gpgsig header")
    if b"gpgsig-sha256" in names:
        problems.append("gpgsig-sha256 header (signature for another hash algorithm)")

    values = {name: value for name, value, _ in reversed(headers)}  # first one wins
    tree = values.get(b"tree", b"")
    if b"tree" in values and not _HEX40.match(tree):
        problems.append("malformed tree line")
    parents = tuple(v for n, v, _ in headers if n == b"parent")
    if any(not _HEX40.match(p) for p in parents):
        problems.append("malformed parent line")
    encoding = values.get(b"encoding")
    if encoding is not None and encoding.lower() not in (b"utf-8", b"utf8"):
        problems.append("encoding header is not UTF-8")

    author = _parse_ident(values[b"author"], "author", problems) if b"author" in values else None
    committer = (
        _parse_ident(values[b"committer"], "committer", problems)
        if b"committer" in values
        else None
    )
    try:
        message.decode("utf-8")
    except UnicodeDecodeError:
        problems.append("message is not valid UTF-8")
    if _ARMOR.search(message):
        problems.append("armored signature block inside the message")

    payload, signature = split_signature(data)
    return RawCommit(
        tree=tree.decode("ascii", "replace"),
        parents=tuple(p.decode("ascii", "replace") for p in parents),
        author=author,
        committer=committer,
        signature=signature,
        payload=payload,
        message=message,
        problems=tuple(dict.fromkeys(problems)),
    )
