"""Senate's reading of a vote message: git's trailers, then strict rules that fail closed.

Only trailers in the block git itself finds (see `senate.trailerblock`) count. Anything
a human could read differently from the counter is a problem that voids the vote: a
Senate line elsewhere in the message, a repeated key, a folded value, a subject that says
something else than the trailers, CR or NUL bytes.

`format_vote_message` refuses (UsageError) reasons that could be mistaken for or could
displace trailers, rather than rewriting them: what an agent signs is what it wrote.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Literal, get_args

from senate.errors import UsageError
from senate.trailerblock import Trailer, TrailerBlock, parse_trailers, trailer_block

__all__ = [
    "SenateFields",
    "Trailer",
    "TrailerBlock",
    "VoteValue",
    "format_vote_message",
    "parse_trailers",
    "senate_fields",
    "senate_like_line",
    "trailer_block",
]

VoteValue = Literal["approve", "reject", "abstain"]
VOTE_VALUES: tuple[str, ...] = get_args(VoteValue)

KEY_PROPOSAL = "Senate-Proposal"
KEY_VOTE = "Senate-Vote"
KEY_CONTENT_ID = "Senate-Content-Id"
# Senate's first id, libgit2's patch id: blind to whitespace inside a line and to the
# bytes of binary files, so a vote naming it never counts (it is read, to say so).
KEY_PATCH_ID = "Senate-Patch-Id"
_KEYS = {k.lower(): k for k in (KEY_PROPOSAL, KEY_VOTE, KEY_CONTENT_ID, KEY_PATCH_ID)}

PROPOSAL_ID = re.compile(r"[0-9]{4}-[a-z0-9][a-z0-9-]{0,62}\Z")
PATCH_ID = re.compile(r"[0-9a-f]{40}\Z")
CONTENT_ID = re.compile(r"[0-9a-f]{64}\Z")
# Loose on purpose: whatever a reader could take for a Senate trailer, however indented,
# quoted or spaced, must not appear anywhere but as a counted trailer.
_SENATE_LIKE = re.compile(r"[\W_]*senate-[\w-]*\s*[:=]", re.IGNORECASE)
_SUBJECT_KIND = re.compile(r"\s*(vote|comment)\s*\(", re.IGNORECASE)
_VOTE_SUBJECT = re.compile(r"vote\(([^()]*)\): (\S+)\Z")
_COMMENT_SUBJECT = re.compile(r"comment\(([^()]*)\): .*\Z", re.DOTALL)
_DIVIDER = re.compile(r"---(\s|\Z)")
_SUBJECT_MAX = 60
_WRAP = 72


@dataclass(frozen=True)
class SenateFields:
    proposal: str | None
    vote: VoteValue | None
    content_id: str | None
    problems: tuple[str, ...]  # non-empty: ambiguous, do not count
    old_patch_id: bool = False  # carries the retired Senate-Patch-Id trailer


def senate_like_line(line: str) -> bool:
    """Could a reader take this line for a Senate-* trailer?"""
    return _SENATE_LIKE.match(line) is not None


def _lines(message: str) -> list[tuple[int, str]]:
    """(offset, text) of each line, split on LF only, as git does."""
    out: list[tuple[int, str]] = []
    pos = 0
    for text in message.split("\n"):
        out.append((pos, text))
        pos += len(text) + 1
    return out


def _subject(message: str) -> str:
    """The title paragraph joined with spaces, as `git log --format=%s` shows it."""
    title: list[str] = []
    for _, text in _lines(message):
        if not text.strip(" \t\r"):
            if title:
                break
            continue
        title.append(text.strip(" \t\r"))
    return " ".join(title)


def _check_value(key: str, value: str) -> str | None:
    ok = {
        KEY_PROPOSAL: PROPOSAL_ID.match(value) is not None,
        KEY_VOTE: value in VOTE_VALUES,
        KEY_CONTENT_ID: CONTENT_ID.match(value) is not None,
        KEY_PATCH_ID: PATCH_ID.match(value) is not None,
    }[key]
    return None if ok else f"invalid {key} value {value!r}"


def _trailer_fields(
    block: TrailerBlock, problems: list[str]
) -> tuple[dict[str, str], set[int], set[str]]:
    """Valid Senate values by canonical key, the offsets of counted trailer lines, and
    every Senate key present (valid or not)."""
    seen: dict[str, list[str]] = {}
    counted: set[int] = set()
    for trailer, offset in zip(block.trailers, block.first_lines, strict=True):
        if not trailer.key.lower().startswith("senate-"):
            continue
        counted.add(offset)
        key = _KEYS.get(trailer.key.lower())
        if key is None:
            problems.append(f"unknown Senate trailer {trailer.key!r}")
            continue
        if "\n" in trailer.raw:
            problems.append(f"{key} trailer has a continuation line")
        seen.setdefault(key, []).append(trailer.value)
    fields: dict[str, str] = {}
    for key, values in seen.items():
        if len(values) > 1:
            problems.append(f"{key} appears {len(values)} times")
            continue
        bad = _check_value(key, values[0])
        if bad:
            problems.append(bad)
        else:
            fields[key] = values[0]
    return fields, counted, set(seen)


def _subject_problems(
    subject: str, proposal: str | None, vote: str | None, vote_given: bool
) -> list[str]:
    """What the subject contradicts; `vote_given`: a Senate-Vote trailer is present, even
    with an invalid value (that value is the problem then, not its absence)."""
    if not _SUBJECT_KIND.match(subject):
        return []
    if m := _VOTE_SUBJECT.match(subject):
        found = [] if vote_given else ["subject says vote but there is no Senate-Vote"]
        if m.group(1) != proposal:
            found.append(f"subject names proposal {m.group(1)!r}, trailers {proposal!r}")
        if vote is not None and m.group(2) != vote:
            found.append(f"subject says {m.group(2)!r}, Senate-Vote says {vote!r}")
        return found
    if m := _COMMENT_SUBJECT.match(subject):
        found = [] if not vote_given else ["subject says comment but there is a Senate-Vote"]
        if m.group(1) != proposal:
            found.append(f"subject names proposal {m.group(1)!r}, trailers {proposal!r}")
        return found
    return [f"malformed vote/comment subject {subject[:80]!r}"]


# The vote message format_vote_message writes, matched whole, the subject and trailers
# naming the same proposal and vote. For it the general reading below provably finds
# exactly these three trailers and no problem, provided the body has no line git or a
# reader could take for something else (_UNSAFE_BODY): the trailer block is the last
# paragraph whatever the body says, unless a '---' divider, a '#' cut line or a NUL ends
# the message early, and only Senate-like lines, CR and NUL raise problems.
# tests/test_votefast.py checks the equivalence on generated messages.
_CANONICAL_VOTE = re.compile(
    r"vote\((?P<p>[0-9]{4}-[a-z0-9][a-z0-9-]{0,62})\): (?P<v>approve|reject|abstain)\n\n"
    r"(?:(?P<body>.*)\n\n)?"
    r"Senate-Proposal: (?P=p)\nSenate-Vote: (?P=v)\nSenate-Content-Id: (?P<h>[0-9a-f]{64})\n\Z",
    re.DOTALL,
)
# Multiline and unanchored at the end: may flag more than senate_like_line would (a
# match across lines), never less; a flagged body just takes the general path.
_UNSAFE_BODY = re.compile(
    rf"^(?:{_SENATE_LIKE.pattern}|---|#)|[\r\0]", re.IGNORECASE | re.MULTILINE
)


def canonical_vote(message: str) -> SenateFields | None:
    """senate_fields(message) for a canonical vote message; None for any other."""
    m = _CANONICAL_VOTE.match(message)
    if m is None:
        return None
    body = m.group("body")
    if body is not None and _UNSAFE_BODY.search(body):
        return None
    return SenateFields(m.group("p"), _as_vote(m.group("v")), m.group("h"), ())


def senate_fields(message: str) -> SenateFields:
    """The Senate vote or comment a commit message carries, with every ambiguity found."""
    fast = canonical_vote(message)
    return fast if fast is not None else senate_fields_general(message)


def senate_fields_general(message: str) -> SenateFields:
    """The reference reading: git's trailer block, then every Senate rule."""
    block = trailer_block(message)
    problems: list[str] = []
    fields, counted, present = _trailer_fields(block, problems)
    stray = [
        n for n, (off, text) in enumerate(_lines(message), 1)
        if senate_like_line(text) and off not in counted
    ]
    subject = _subject(message)
    if not counted and not stray and not _SUBJECT_KIND.match(subject):
        return SenateFields(None, None, None, ())  # not a Senate message at all
    problems += [f"Senate-like line {n} is outside the trailer block" for n in stray]
    if "\r" in message:
        problems.append("message contains a CR byte")
    if "\0" in message:
        problems.append("message contains a NUL byte")
    proposal, content = fields.get(KEY_PROPOSAL), fields.get(KEY_CONTENT_ID)
    vote = fields.get(KEY_VOTE)
    old = KEY_PATCH_ID in present
    if old and KEY_CONTENT_ID in present:
        problems.append(f"both {KEY_CONTENT_ID} and the retired {KEY_PATCH_ID}")
    for key in (KEY_PROPOSAL, KEY_CONTENT_ID):
        if key == KEY_CONTENT_ID and old:
            continue  # reported as a vote on the retired id, not as a malformed one
        if key not in present:
            problems.append(f"missing {key} trailer")
    problems += _subject_problems(subject, proposal, vote, KEY_VOTE in present)
    return SenateFields(proposal, _as_vote(vote), content, tuple(dict.fromkeys(problems)),
                        old)


def _as_vote(value: str | None) -> VoteValue | None:
    for known in ("approve", "reject", "abstain"):
        if value == known:
            return known
    return None


def _forbidden(line: str) -> str | None:
    if senate_like_line(line):
        return "looks like a Senate trailer"
    if line.startswith("#"):
        return "starts with '#' (a comment line to git)"
    if _DIVIDER.match(line):
        return "is a '---' patch divider to git"
    return None


def _wrap(line: str) -> list[str]:
    """Wrap a long prose line, unless that would create a line git reads differently."""
    if len(line) <= _WRAP or line[:1] in (" ", "\t"):
        return [line]
    wrapped = textwrap.wrap(line, _WRAP, break_long_words=False, break_on_hyphens=False)
    return [line] if any(_forbidden(w) for w in wrapped) else wrapped


def _clean_reason(reason: str) -> list[str]:
    """The reason's lines as `git commit --cleanup=whitespace` would leave them."""
    lines: list[str] = []
    for raw in reason.split("\n"):
        line = raw.rstrip(" \t")
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def format_vote_message(
    proposal: str, vote: VoteValue | None, content_id: str, reason: str
) -> str:
    """The canonical vote (or, with vote None, comment) message; UsageError if unsafe."""
    if not PROPOSAL_ID.match(proposal):
        raise UsageError(f"invalid proposal id {proposal!r}", "expected e.g. 0007-some-name")
    if vote is not None and vote not in VOTE_VALUES:
        raise UsageError(f"invalid vote {vote!r}", "use approve, reject or abstain")
    if not CONTENT_ID.match(content_id):
        raise UsageError(f"invalid content id {content_id!r}",
                         "expected 64 lowercase hex digits (see `senate show ID`)")
    if "\r" in reason or "\0" in reason:
        raise UsageError("the reason contains a CR or NUL character")
    lines = _clean_reason(reason)
    for n, line in enumerate(lines, 1):
        why = _forbidden(line)
        if why:
            hint = "rephrase that line; Senate adds the trailers itself"
            raise UsageError(f"line {n} of the reason {why}", hint)
    if vote is None and not lines:
        raise UsageError("a comment needs a reason")
    if vote is not None:
        subject = f"vote({proposal}): {vote}"
    else:
        first = lines[0].strip(" \t")
        if len(first) > _SUBJECT_MAX:
            first = first[: _SUBJECT_MAX - 3].rstrip() + "..."
        subject = f"comment({proposal}): {first}"
    body = [w for line in lines for w in _wrap(line)]
    trailers = [f"{KEY_PROPOSAL}: {proposal}"]
    if vote is not None:
        trailers.append(f"{KEY_VOTE}: {vote}")
    trailers.append(f"{KEY_CONTENT_ID}: {content_id}")
    parts = [subject, "\n".join(body)] if body else [subject]
    return "\n\n".join([*parts, "\n".join(trailers)]) + "\n"
