"""The state of one comparison: both documents, the policy, and the pair memo.

Paths in the memo are relative to the compared pair, so a shared definition reached
from many places is compared once and its changes re-rooted at each place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from senate.compat.model import UNKNOWN, Breaks, Change, Policy, union
from senate.compat.resolve import Document, View
from senate.compat.scan import MAX_NESTING

Compare = Callable[["Ctx", View, View], list[Change]]


_CYCLE_UNDER_NEGATION = ("a recursive reference that passes through not, oneOf, an if "
                         "condition or a bounded contains: its change cannot be decided")


class Ctx:
    def __init__(self, old: Document, new: Document, policy: Policy, compare: Compare,
                 forward: bool = False) -> None:
        self.old = old
        self.new = new
        # Raw-equal subschemas mean the same only when read in the same dialect.
        self.same_dialect = old.dialect.name == new.dialect.name
        self.policy = policy
        self._compare = compare
        # Memo keys: (old view id, new view id, lenient applies). Results that rest on a
        # cycle assumption of a pair still being compared are not memoised (see rel).
        self._memo: dict[tuple[int, int, bool], tuple[Change, ...]] = {}
        self._stack: list[int] = []  # the non-monotone depth at each active pair's entry
        self._active: dict[tuple[int, int, bool], int] = {}
        self._low = _NONE
        self._pending: list[tuple[tuple[int, int, bool], tuple[Change, ...]]] = []
        self._recurred: set[tuple[int, int, bool]] = set()  # active pairs met again
        self._nonmono = 0  # how many non-monotone positions (not, oneOf, if, ...) we are in
        self._strict = 0  # > 0 while answering inclusion questions (subsumes)
        self._forward = forward  # the swapped comparison answers forward questions
        self._swapped: Ctx | None = None
        self._nesting = _Nesting()  # shared with the swapped comparison: one bound for both
        self.notes: dict[str, None] = {}  # assumptions made outside any one change

    @property
    def lenient(self) -> bool:
        """Whether the lenient open-content assumption may be made here: only for a
        backward question, in a monotone position, and in a change being reported."""
        return (self.policy == "lenient" and not self._forward and self._nonmono == 0
                and self._strict == 0)

    def swapped(self) -> Ctx:
        """The same comparison with old and new exchanged (for `new ⊆ old` questions)."""
        if self._swapped is None:
            self._swapped = Ctx(self.new, self.old, self.policy, self._compare,
                                forward=not self._forward)
            self._swapped._swapped = self
            self._swapped.notes = self.notes
            self._swapped._nesting = self._nesting
        return self._swapped

    @contextmanager
    def nonmonotone(self) -> Iterator[None]:
        """Inside: the compared schemas sit where a wider schema may accept fewer documents
        (under not, in oneOf, an if condition, a bounded contains)."""
        self._nonmono += 1
        try:
            yield
        finally:
            self._nonmono -= 1

    def rel(self, old: Any, new: Any) -> tuple[Change, ...]:
        """Changes from raw subschema `old` to raw subschema `new`, paths relative."""
        if old is new and type(old) is bool:
            return ()
        if self.unchanged(old, new):
            return ()
        o, n = self.old.view(old), self.new.view(new)
        # Keyed by the views: every pointer to one definition shares its target's view.
        key = (id(o), id(n), self.lenient)
        done = self._memo.get(key)
        if done is not None:
            return done
        depth = self._active.get(key)
        if depth is not None:
            # A cycle. Assuming the pair unchanged is sound (coinduction) only when every
            # step of the cycle is monotone; the rest of the pair decides.
            if self._nonmono > self._stack[depth]:
                return (unknown("", _CYCLE_UNDER_NEGATION),)
            self._low = min(self._low, depth)
            self._recurred.add(key)
            # A placeholder where the pair recurs: once the pair's own changes are known,
            # every result computed meanwhile gets them here (see _settle).
            return (Change(CYCLE, "", "none", _token(key)),)
        nesting = self._nesting
        if nesting.depth >= MAX_NESTING:
            # A bound of its own (see scan.MAX_DEPTH): references can nest comparisons
            # deeper than the document nests.
            raise RecursionError(f"subschemas compared more than {MAX_NESTING} deep")
        depth = len(self._stack)
        self._stack.append(self._nonmono)
        self._active[key] = depth
        outer_low, self._low = self._low, _NONE
        mark = len(self._pending)
        nesting.depth += 1
        try:
            result = tuple(self._compare(self, o, n))
        finally:
            nesting.depth -= 1
            self._stack.pop()
            del self._active[key]
        if self._low < depth:
            # Rests on an enclosing pair still being compared: complete only once that
            # pair's changes are known.
            self._pending.append((key, result))
            self._low = min(outer_low, self._low)
            return result
        if key in self._recurred:
            # Only a pair that recurred has placeholders of its own to drop and to settle.
            self._recurred.discard(key)
            token = _token(key)
            result = tuple(c for c in result if not (c.kind == CYCLE and c.explanation == token))
            self._memo[key] = result
            for other, partial in self._pending[mark:]:
                settled = _settle(partial, token, result)
                if settled is not None:
                    self._memo[other] = settled
        else:
            self._memo[key] = result
        del self._pending[mark:]
        self._low = outer_low
        return result

    def unchanged(self, old: Any, new: Any) -> bool:
        """Whether raw `old` and `new` mean the same for their raw equality alone. Raw-equal
        containers have the same keys at every level, so what may make them differ (a
        reference, a 0 or 1 in a data position) shows on the old side as on the new."""
        return self.same_dialect and old == new and type(old) is type(new) \
            and not self.old.has_ref(old)  # (the type: `true` == 1, yet 1 is no schema)

    def at(self, old: Any, new: Any, prefix: str) -> list[Change]:
        return rebase(self.rel(old, new), prefix)

    def subsumes(self, old: Any, new: Any) -> bool:
        """Whether every value valid under `old` is valid under `new` (sound, incomplete)."""
        self._strict += 1
        try:
            for c in self.rel(old, new):  # a loop, not all() over a generator: answers are short
                if c.breaks not in ("none", "forward") or c.kind == UNKNOWN:
                    return False
            return True
        finally:
            self._strict -= 1

    def keep(self, node: dict[str, Any]) -> dict[str, Any]:
        """Keep a constructed node alive so its id stays a valid memo key."""
        self.old.keep.append(node)
        return node


class _Nesting:
    __slots__ = ("depth",)

    def __init__(self) -> None:
        self.depth = 0


_NONE = 1 << 30
CYCLE = "_cycle"  # internal placeholder kind; never leaves a comparison


def _token(key: tuple[int, int, bool]) -> str:
    return f"{key[0]}:{key[1]}:{key[2]}"


def _settle(partial: tuple[Change, ...], token: str,
            found: tuple[Change, ...]) -> tuple[Change, ...] | None:
    """`partial` with the recurring pair's changes put where it recurred, or None when
    the place was lost on the way (the result is then not kept: recomputed when needed)."""
    out: list[Change] = []
    seen = False
    for c in partial:
        if c.kind == CYCLE and c.explanation == token:
            seen = True
            out += rebase(found, c.path)
        else:
            out.append(c)
    return tuple(out) if seen else None


def rebase(changes: Iterable[Change], prefix: str) -> list[Change]:
    if not prefix:
        return list(changes)
    return [Change(c.kind, prefix + c.path, c.breaks, c.explanation, c.assumed)
            for c in changes]


def seg(key: object) -> str:
    """One JSON-pointer segment."""
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


def summary(changes: Iterable[Change]) -> Breaks:
    return union("none", *(c.breaks for c in changes))


def unknowns(changes: Iterable[Change], prefix: str = "") -> list[Change]:
    """The sub-changes a one-line summary must not swallow: the undecided ones, and those
    that rest on an assumption (the report lists every assumption a verdict rests on)."""
    return rebase((c for c in changes if c.kind == UNKNOWN or c.assumed), prefix)


def first_reason(changes: tuple[Change, ...]) -> str:
    """The explanation of the most significant sub-change, for one-line summaries."""
    # A cycle placeholder stands for changes not known yet; its text is an internal token.
    ranked = sorted((c for c in changes if c.kind != CYCLE), key=lambda c: c.breaks == "none")
    if not ranked:
        return "the recursive schema it repeats, compared where it first appears" \
            if changes else "no difference in what is accepted"
    head = ranked[0]
    where = f" at {head.path}" if head.path else ""
    more = f" (+{len(ranked) - 1} more)" if len(ranked) > 1 else ""
    return f"{head.explanation}{where}{more}"


def change(kind: str, path: str, breaks: Breaks, explanation: str, assumed: str = "") -> Change:
    return Change(kind, path, breaks, explanation, assumed)


def unknown(path: str, explanation: str) -> Change:
    return Change(UNKNOWN, path, "both", explanation)


@lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def matches(pattern: str, name: str) -> bool:
    compiled = _regex(pattern)
    # An invalid pattern may match anything: assume it does (fail closed).
    return True if compiled is None else compiled.search(name) is not None


def short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def mapping(view: View, key: str) -> Mapping[str, Any]:
    value = view.get(key)
    return value if isinstance(value, dict) else {}
