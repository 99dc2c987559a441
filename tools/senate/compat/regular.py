"""`pattern` compared as languages: which strings each pattern accepts, judged exactly as
the validator judges them (`re.search(pattern, string)`, Python's own syntax and Unicode
character classes), and whether one set contains the other.

The decidable subset: literals, classes (with Python's Unicode `\\d`, `\\w`, `\\s`), `.`,
groups, alternation, greedy or lazy repetition, the DOTALL flag, and the anchors `^`/`\\A`,
`$` (end, or before a final newline) and `\\Z` anywhere. Anything else (look-arounds,
back-references, word boundaries, possessive or atomic groups, IGNORECASE, MULTILINE,
ASCII, LOCALE, automata beyond the size limit) is outside it: the caller answers unknown.

A search matches anywhere, so the automaton is `any* pattern any*`. Anchors are
zero-width conditions on the position: `^` holds before the first character; `\\Z` at
the end; `$` at the end or when exactly one newline is left. The determinised automaton
tracks, beside the states it is in, the states it would be in if one of those conditions
holds ("only if exactly a newline is left", "only if nothing is left").

The pattern is parsed by Python's own parser (`re._parser`), so the syntax read is the
one the validator compiles; Unicode classes are taken from the `re` engine itself (every
code point matched against `\\d+`, `\\w+`, `\\s+`), so they are the validator's by
construction.
"""

from __future__ import annotations

import bisect
import re

# Python's own regular-expression parser, the one re.compile uses (3.11 and later; its
# public alias sre_parse warns that it is deprecated). Untyped, so read as Any.
import re._constants as _c  # type: ignore[import-not-found, unused-ignore]
import re._parser as _parser  # type: ignore[import-not-found, unused-ignore]
from array import array
from collections import deque
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import pairwise
from typing import Any

_TOP = 0x110000                     # one past the largest code point
_MAX_LENGTH = 5_000                 # characters of a pattern; parsing alone is linear in it
# Opening parentheses of a pattern: bounds how deep Python's regex parser recurses (two
# frames a group), so that it never meets the recursion limit, whose distance depends on
# the caller's stack (and differs between the compiled and the pure engine).
_MAX_GROUPS = 100
_MAX_NFA = 4_000                    # states of one pattern's automaton
_MAX_PAIRS = 2_000                  # explored pairs of state sets
_MAX_WORK = 60_000                  # (state, condition) visits while determinising
# Cutting the alphabet costs (range endpoints x character sets) and moving by class
# (automaton edges x classes each covers): both bounded before they start, so a pattern
# of thousands of distinct characters is refused in milliseconds rather than seconds.
_MAX_CUT = 200_000
_MAX_STEPS = 100_000                # (pair of state sets, class) moves while comparing

Ranges = tuple[tuple[int, int], ...]  # sorted, disjoint, inclusive code-point ranges
_ALL: Ranges = ((0, _TOP - 1),)
_NEWLINE: Ranges = ((10, 10),)


@dataclass(frozen=True, slots=True)
class Relation:
    """How two patterns' languages relate: a string the old pattern accepts and the new
    one rejects (None when every such string is kept), and the converse."""

    lost: str | None
    gained: str | None


class _Outside(Exception):
    """The pattern is outside the decidable subset (or its automaton too large)."""


@lru_cache(maxsize=4096)
def relation(old: str, new: str) -> Relation | None:
    """The relation of the two patterns' languages, or None when it cannot be decided."""
    if len(old) > _MAX_LENGTH or len(new) > _MAX_LENGTH or \
            old.count("(") > _MAX_GROUPS or new.count("(") > _MAX_GROUPS:
        return None
    try:
        re.compile(old), re.compile(new)   # what the validator will do with them
        builder = _Builder()
        a, b = builder.search(old), builder.search(new)
        return _compare(builder, a, b)
    except (_Outside, re.error, RecursionError, OverflowError, Warning):
        # A Warning is raised only under `-W error` (a nested set's FutureWarning, say):
        # undecided rather than a traceback; catch_warnings is not thread-safe in 3.11.
        return None


def _complement(ranges: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    at = 0
    for lo, hi in ranges:
        if lo > at:
            out.append((at, lo - 1))
        at = hi + 1
    if at < _TOP:
        out.append((at, _TOP - 1))
    return tuple(out)


def _union(parts: list[Ranges]) -> Ranges:
    out: list[list[int]] = []
    for lo, hi in sorted(r for part in parts for r in part):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


@cache
def _categories() -> dict[Any, Ranges]:
    """The code points the `re` engine puts in `\\d`, `\\w` and `\\s` (and their
    negations): asked of the engine itself, every code point at once, so they cannot
    drift from what the validator matches (about 0.1 s, once per process)."""
    everything = array("I", range(_TOP)).tobytes().decode("utf-32-le", "surrogatepass")
    found = {name: tuple((m.start(), m.end() - 1) for m in re.finditer(f"\\{name}+", everything))
             for name in "dws"}
    return {_c.CATEGORY_DIGIT: found["d"], _c.CATEGORY_NOT_DIGIT: _complement(found["d"]),
            _c.CATEGORY_WORD: found["w"], _c.CATEGORY_NOT_WORD: _complement(found["w"]),
            _c.CATEGORY_SPACE: found["s"], _c.CATEGORY_NOT_SPACE: _complement(found["s"])}


_UNSUPPORTED_FLAGS = (_c.SRE_FLAG_IGNORECASE | _c.SRE_FLAG_LOCALE | _c.SRE_FLAG_MULTILINE
                      | _c.SRE_FLAG_ASCII)


# Kinds of empty moves: plain, and the three zero-width conditions.
_PLAIN, _BEGIN, _DOLLAR, _END = range(4)
_ANCHORS = {_c.AT_BEGINNING: _BEGIN, _c.AT_BEGINNING_STRING: _BEGIN,
            _c.AT_END: _DOLLAR, _c.AT_END_STRING: _END}


class _Builder:
    """Thompson automata of both patterns, over one shared table of character sets."""

    def __init__(self) -> None:
        self.eps: list[list[tuple[int, int]]] = []      # (kind of empty move, target)
        self.edges: list[list[tuple[int, int]]] = []   # (character set index, target)
        self.sets: list[Ranges] = [_NEWLINE]           # the newline has a class of its own
        self._set_index: dict[Ranges, int] = {_NEWLINE: 0}
        self._budget = 0

    def state(self) -> int:
        self._budget += 1
        if self._budget > _MAX_NFA:
            raise _Outside("automaton too large")
        self.eps.append([])
        self.edges.append([])
        return len(self.eps) - 1

    def charset(self, ranges: Ranges) -> int:
        if ranges not in self._set_index:
            self._set_index[ranges] = len(self.sets)
            self.sets.append(ranges)
        return self._set_index[ranges]

    def search(self, pattern: str) -> tuple[int, int]:
        """(start, accepting state) of an automaton accepting exactly the strings for
        which re.search(pattern, string) finds a match."""
        self._budget = 0
        parsed = _parser.parse(pattern)
        if parsed.state.flags & _UNSUPPORTED_FLAGS:
            raise _Outside("flags")
        s, e = self._sequence(list(parsed), bool(parsed.state.flags & _c.SRE_FLAG_DOTALL))
        start, end = self.state(), self.state()
        anything = self.charset(_ALL)
        self.edges[start].append((anything, start))
        self.edges[end].append((anything, end))
        self.eps[start].append((_PLAIN, s))
        self.eps[e].append((_PLAIN, end))
        return start, end

    def _sequence(self, items: list[Any], dotall: bool) -> tuple[int, int]:
        start = end = self.state()
        for op, av in items:
            s, e = self._item(op, av, dotall)
            self.eps[end].append((_PLAIN, s))
            end = e
        return start, end

    def _item(self, op: Any, av: Any, dotall: bool) -> tuple[int, int]:
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN):
            return self._char(self.charset(_chars(op, av, dotall)))
        if op is _c.SUBPATTERN:
            _group, add, remove, sub = av
            if (add | remove) & ~_c.SRE_FLAG_DOTALL:
                raise _Outside("local flags")
            inner = (dotall or bool(add & _c.SRE_FLAG_DOTALL)) and not remove & _c.SRE_FLAG_DOTALL
            return self._sequence(list(sub), inner)
        if op is _c.BRANCH:
            start, end = self.state(), self.state()
            for alternative in av[1]:
                s, e = self._sequence(list(alternative), dotall)
                self.eps[start].append((_PLAIN, s))
                self.eps[e].append((_PLAIN, end))
            return start, end
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):   # lazy or greedy: the same language
            return self._repeat(av[0], av[1], list(av[2]), dotall)
        if op is _c.AT and av in _ANCHORS:
            s, e = self.state(), self.state()
            self.eps[s].append((_ANCHORS[av], e))
            return s, e
        raise _Outside(f"{op}")

    def _char(self, charset: int) -> tuple[int, int]:
        s, e = self.state(), self.state()
        self.edges[s].append((charset, e))
        return s, e

    def _repeat(self, low: int, high: int, sub: list[Any], dotall: bool) -> tuple[int, int]:
        start = end = self.state()
        for _ in range(low):
            s, e = self._sequence(sub, dotall)
            self.eps[end].append((_PLAIN, s))
            end = e
        if high == _c.MAXREPEAT:
            s, e = self._sequence(sub, dotall)
            self.eps[end].append((_PLAIN, s))
            self.eps[e].append((_PLAIN, end))
            return start, end
        last = self.state()
        self.eps[end].append((_PLAIN, last))
        for _ in range(high - low):
            s, e = self._sequence(sub, dotall)
            self.eps[end].append((_PLAIN, s))
            self.eps[e].append((_PLAIN, last))
            end = e
        return start, last


def _chars(op: Any, av: Any, dotall: bool) -> Ranges:
    if op is _c.LITERAL:
        return ((av, av),)
    if op is _c.NOT_LITERAL:
        return _complement(((av, av),))
    if op is _c.ANY:
        return _ALL if dotall else _complement(_NEWLINE)
    return _class(tuple(av))


@lru_cache(maxsize=1024)
def _class(items: tuple[tuple[Any, Any], ...]) -> Ranges:
    """A `[...]` class's ranges. Remembered: a repeat builds its body once per copy, and
    the union of Unicode categories is the costly part."""
    negate = False
    parts: list[Ranges] = []
    for kind, value in items:
        if kind is _c.NEGATE:
            negate = True
        elif kind is _c.LITERAL:
            parts.append(((value, value),))
        elif kind is _c.RANGE:
            parts.append(((value[0], value[1]),))
        elif kind is _c.CATEGORY and value in _categories():
            parts.append(_categories()[value])
        else:
            raise _Outside(f"class item {kind}")
    union = _union(parts)
    return _complement(union) if negate else union


def _classes(sets: list[Ranges]) -> tuple[list[list[int]], list[int]]:
    """The alphabet cut into classes no character set splits: for each set the classes
    it contains, and one character of each class (for witnesses)."""
    points = sorted({0, _TOP} | {p for s in sets for lo, hi in s for p in (lo, hi + 1)})
    if len(points) * len(sets) > _MAX_CUT:
        raise _Outside("too many distinct characters")
    starts = [[lo for lo, _ in s] for s in sets]
    index: dict[tuple[bool, ...], int] = {}
    sample: list[int] = []
    members: list[list[int]] = [[] for _ in sets]
    rank: list[int] = []
    for point, following in pairwise(points):
        signature = tuple(_contains(s, st, point) for s, st in zip(sets, starts, strict=True))
        nice, char = _nicest(point, following)
        if signature not in index:
            index[signature] = len(sample)
            sample.append(char)
            rank.append(nice)
            for i, inside in enumerate(signature):
                if inside:
                    members[i].append(index[signature])
        elif nice < rank[index[signature]]:
            sample[index[signature]], rank[index[signature]] = char, nice
    return members, sample


# Witnesses are shown to reviewers: prefer a letter, then printable ASCII, then anything
# but a surrogate (which JSON output could not encode).
_PREFERRED = ((0x61, 0x7A), (0x30, 0x39), (0x21, 0x7E), (0x20, 0x20), (0xA1, 0xD7FF),
              (0xE000, _TOP - 1))


def _nicest(low: int, stop: int) -> tuple[int, int]:
    """The most readable code point in [low, stop) and its rank (lower is nicer)."""
    for rank, (lo, hi) in enumerate(_PREFERRED):
        if low <= hi and stop - 1 >= lo:
            return rank, max(low, lo)
    return len(_PREFERRED), low


def _contains(ranges: Ranges, starts: list[int], point: int) -> bool:
    i = bisect.bisect_right(starts, point) - 1
    return i >= 0 and ranges[i][1] >= point


# Where a state of the determinised automaton holds: unconditionally, only if exactly a
# newline is left, only if nothing is left.
_FREE, _NEWLINE_LEFT, _NOTHING_LEFT = range(3)
# The conditions an empty move leads to, by the condition it starts from (none: the move
# cannot be taken). `$` holds either at the end or before a final newline.
_NEXT_MODES: dict[int, tuple[tuple[int, ...], ...]] = {
    _PLAIN: ((_FREE,), (_NEWLINE_LEFT,), (_NOTHING_LEFT,)),
    _DOLLAR: ((_NEWLINE_LEFT, _NOTHING_LEFT), (_NEWLINE_LEFT,), (_NOTHING_LEFT,)),
    _END: ((_NOTHING_LEFT,), (), (_NOTHING_LEFT,)),
}

_Subset = tuple[frozenset[int], frozenset[int], frozenset[int]]  # by condition, as above


_DEAD: _Subset = (frozenset(), frozenset(), frozenset())   # no state left: rejects for good


class _Determinised:
    """One pattern's automaton, determinised on demand over the alphabet's classes."""

    def __init__(self, builder: _Builder, start: int, final: int,
                 members: list[list[int]]) -> None:
        self.eps, self.final = builder.eps, final
        self.work = 0
        self.moves: list[dict[int, list[int]]] = []
        if sum(len(members[charset]) for edges in builder.edges
               for charset, _ in edges) > _MAX_CUT:
            raise _Outside("too many moves by class")
        for edges in builder.edges:
            by_class: dict[int, list[int]] = {}
            for charset, target in edges:
                for cls in members[charset]:
                    by_class.setdefault(cls, []).append(target)
            self.moves.append(by_class)
        self.newline = members[0][0]   # the builder's set 0 is the newline alone
        self._successors: dict[_Subset, dict[int, _Subset]] = {}
        self.first = self._closure([(start, _FREE)], at_start=True)

    def _closure(self, seeds: list[tuple[int, int]], at_start: bool) -> _Subset:
        seen = set(seeds)
        todo = list(seeds)
        self.work += len(seeds)
        if self.work > _MAX_WORK:
            # Bounded so a hostile pattern cannot stall a count: past this, unknown.
            raise _Outside("determinising takes too long")
        while todo:
            state, mode = todo.pop()
            for kind, target in self.eps[state]:
                if kind == _BEGIN:
                    modes: tuple[int, ...] = (mode,) if at_start else ()
                else:
                    modes = _NEXT_MODES[kind][mode]
                for after in modes:
                    if (target, after) not in seen:
                        self.work += 1
                        seen.add((target, after))
                        todo.append((target, after))
        by_mode: tuple[set[int], set[int], set[int]] = (set(), set(), set())
        for state, mode in seen:
            by_mode[mode].add(state)
        return frozenset(by_mode[0]), frozenset(by_mode[1]), frozenset(by_mode[2])

    def successors(self, subset: _Subset) -> dict[int, _Subset]:
        """The subset reached on each class the subset can move on (any other class
        leads to _DEAD). Walked once per subset, by the moves its states have, and the
        walk counts as work: asking every class of every state was a hidden quadratic."""
        known = self._successors.get(subset)
        if known is not None:
            return known
        seeds: dict[int, list[tuple[int, int]]] = {}
        walked = 0
        for s in subset[_FREE]:
            for cls, targets in self.moves[s].items():
                walked += 1
                seeds.setdefault(cls, []).extend((t, _FREE) for t in targets)
        for s in subset[_NEWLINE_LEFT]:   # "exactly a newline left", and this is it
            walked += 1
            for t in self.moves[s].get(self.newline, ()):
                seeds.setdefault(self.newline, []).append((t, _NOTHING_LEFT))
        self.work += walked
        found = {cls: self._closure(v, at_start=False) for cls, v in seeds.items()}
        self._successors[subset] = found
        return found

    def accepts(self, subset: _Subset) -> bool:
        """Whether the string read so far is accepted (nothing is left)."""
        return self.final in subset[_FREE] or self.final in subset[_NOTHING_LEFT]


def _compare(builder: _Builder, a: tuple[int, int], b: tuple[int, int]) -> Relation:
    members, sample = _classes(builder.sets)
    old, new = (_Determinised(builder, s, f, members) for s, f in (a, b))
    first = (old.first, new.first)
    parent: dict[tuple[_Subset, _Subset], tuple[Any, int] | None] = {first: None}
    queue = deque([first])
    lost = gained = None
    steps = 0
    while queue and (lost is None or gained is None):
        pair = queue.popleft()
        in_old, in_new = old.accepts(pair[0]), new.accepts(pair[1])
        if in_old and not in_new and lost is None:
            lost = _witness(parent, pair, sample)
        if in_new and not in_old and gained is None:
            gained = _witness(parent, pair, sample)
        moves_old, moves_new = old.successors(pair[0]), new.successors(pair[1])
        # A class neither side moves on leads both to _DEAD, where neither accepts
        # anything ever: nothing to find there, so it is not explored.
        live = sorted(moves_old.keys() | moves_new.keys())
        steps += len(live)
        if steps > _MAX_STEPS:
            raise _Outside("product too large")
        for cls in live:
            nxt = (moves_old.get(cls, _DEAD), moves_new.get(cls, _DEAD))
            if nxt not in parent:
                if len(parent) >= _MAX_PAIRS:
                    raise _Outside("product too large")
                parent[nxt] = (pair, cls)
                queue.append(nxt)
    return Relation(lost, gained)


def _witness(parent: dict[Any, Any], pair: Any, sample: list[int]) -> str:
    chars: list[str] = []
    while parent[pair] is not None:
        pair, cls = parent[pair]
        chars.append(chr(sample[cls]))
    return "".join(reversed(chars))
