"""Commit-message trailers exactly as `git interpret-trailers --parse` finds them.

`senate.trailers` builds the Senate vote rules on top of this; this module is only git.

This mirrors git's trailer.c (with no `trailer.*` configuration and the default comment
character '#'): the message ends before a `---` divider, trailing comments and blank
lines, and a `# ---- >8 ----` cut line; the trailer block is the last paragraph after the
title, accepted when all its lines are trailers, or when at least 25% are and one has a
git-generated prefix; lines starting with whitespace continue the trailer above them.
git works on C strings with its own ASCII ctype, so we do the same: input stops at the
first NUL, and only ' ', '\\t', '\\n', '\\r' count as space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMENT = "#"
_SEPARATORS = ":"
_SPACE = " \t\n\r"
_CUT_LINE = "------------------------ >8 ------------------------"
_GIT_GENERATED_PREFIXES = ("Signed-off-by: ", "(cherry picked from commit ")


@dataclass(frozen=True)
class Trailer:
    key: str
    value: str  # continuation lines folded into single spaces, trimmed
    raw: str  # the trailer's lines as written, without the final newline


@dataclass(frozen=True)
class TrailerBlock:
    """Where the trailers are, as offsets into the (NUL-truncated) message."""

    start: int
    end: int
    trailers: tuple[Trailer, ...]
    first_lines: tuple[int, ...]  # offset of the first line of each trailer


def _next_line(s: str, pos: int) -> int:
    nl = s.find("\n", pos)
    return len(s) if nl < 0 else nl + 1


def _last_line(s: str, length: int) -> int:
    """Start of the last line of s[:length]; a final newline belongs to that line."""
    if length == 0:
        return -1
    if length == 1:
        return 0
    return s.rfind("\n", 0, length - 1) + 1


def _is_blank_line(s: str, pos: int) -> bool:
    end = s.find("\n", pos)
    line = s[pos:] if end < 0 else s[pos:end]
    return line.strip(_SPACE) == ""


# A token (ASCII alnum or '-'), optional blanks after a non-empty token, then ':' --
# the loop in git's find_separator(), as one anchored pattern.
_SEPARATOR = re.compile(r"(?:[A-Za-z0-9-]+[ \t]*)?:")
_FOLD = re.compile(r"\n[ \t\n\r]*")


def find_separator(line: str) -> int:
    """Index of the ':' ending a token (alnum/'-', then optional blanks), or -1."""
    match = _SEPARATOR.match(line)
    return match.end() - 1 if match else -1


def _patch_start(s: str) -> int:
    pos = 0
    while pos < len(s):
        if s.startswith("---", pos) and pos + 3 < len(s) and s[pos + 3] in _SPACE:
            return pos
        pos = _next_line(s, pos)
    return len(s)


def _locate_cut_line(s: str, length: int) -> int:
    pattern = f"\n{_COMMENT} {_CUT_LINE}"
    if s.startswith(pattern[1:]):
        return 0
    found = s.find(pattern)
    # git 2.39 loops forever when the cut line lies beyond `length` (after a "---"
    # divider); later git clamps it to `length`, and so do we.
    return length if found < 0 else min(found + 1, length)


def _trailing_ignorable_start(s: str, length: int) -> int:
    """Where trailing comments, blank lines and an old "Conflicts:" block begin."""
    boc = 0
    in_conflicts = False
    cutoff = _locate_cut_line(s, length)
    bol = 0
    while bol < cutoff:
        nl = s.find("\n", bol, length)
        nxt = length if nl < 0 else nl + 1
        if s.startswith(_COMMENT, bol) or s.startswith("\n", bol):
            boc = boc or bol
        elif s.startswith("Conflicts:\n", bol):
            in_conflicts = True
            boc = boc or bol
        elif in_conflicts and s.startswith("\t", bol):
            pass
        elif boc:
            boc = 0
            in_conflicts = False
        bol = nxt
    # git returns len - boc (or len - cutoff), and a boc of 0 means "none found"
    return boc if boc else cutoff


def _title_end(s: str, length: int) -> int:
    pos = 0
    while pos < length:
        if not s.startswith(_COMMENT, pos) and _is_blank_line(s, pos):
            break
        pos = _next_line(s, pos)
    return pos


def _trailer_start(s: str, length: int) -> int:
    """Start of the trailer block in s[:length], or length when there is none."""
    end_of_title = _title_end(s, length)
    only_spaces = True
    recognized_prefix = False
    trailer_lines = non_trailer_lines = possible_continuation_lines = 0
    pos = _last_line(s, length)
    while pos >= end_of_title:
        if s.startswith(_COMMENT, pos):
            non_trailer_lines += possible_continuation_lines
            possible_continuation_lines = 0
        elif _is_blank_line(s, pos):
            if not only_spaces:
                non_trailer_lines += possible_continuation_lines
                if (recognized_prefix and trailer_lines * 3 >= non_trailer_lines) or (
                    trailer_lines and not non_trailer_lines
                ):
                    return _next_line(s, pos)
                return length
        else:
            only_spaces = False
            line = s[pos:_next_line(s, pos)]
            if line.startswith(_GIT_GENERATED_PREFIXES):
                trailer_lines += 1
                possible_continuation_lines = 0
                recognized_prefix = True
            elif find_separator(line) >= 1 and line[0] not in _SPACE:
                trailer_lines += 1
                possible_continuation_lines = 0
            elif line[0] in _SPACE:
                possible_continuation_lines += 1
            else:
                non_trailer_lines += 1 + possible_continuation_lines
                possible_continuation_lines = 0
        pos = _last_line(s, pos)
    return length


def _unfold(value: str) -> str:
    return _FOLD.sub(" ", value).strip(_SPACE)


def trailer_block(message: str) -> TrailerBlock:
    """Locate and parse the trailer block as git's trailer_info_get does."""
    s = message.split("\0", 1)[0]
    end = _trailing_ignorable_start(s, _patch_start(s))
    start = _trailer_start(s, end)
    # strbuf_split keeps each line's newline; a continuation glues onto the last trailer
    groups: list[tuple[int, str, bool]] = []  # (offset, text, has separator)
    pos = start
    while pos < end:
        nxt = min(_next_line(s, pos), end)
        line = s[pos:nxt]
        if groups and groups[-1][2] and line[0] in _SPACE:
            off, text, _ = groups[-1]
            groups[-1] = (off, text + line, True)
        else:
            groups.append((pos, line, find_separator(line) >= 1))
        pos = nxt
    trailers: list[Trailer] = []
    offsets: list[int] = []
    for off, text, has_sep in groups:
        if text.startswith(_COMMENT) or not has_sep:
            continue  # --parse implies --only-trailers
        sep = find_separator(text)
        key = text[:sep].strip(_SPACE)
        value = _unfold(text[sep + 1 :].strip(_SPACE))
        trailers.append(Trailer(key, value, text.removesuffix("\n")))
        offsets.append(off)
    return TrailerBlock(start, end, tuple(trailers), tuple(offsets))


def parse_trailers(message: str) -> tuple[Trailer, ...]:
    """The trailers `git interpret-trailers --parse` prints for this message."""
    return trailer_block(message).trailers
