"""The state of one comparison: both documents, the policy, and the pair memo.

Paths in the memo are relative to the compared pair, so a shared definition reached
from many places is compared once and its changes re-rooted at each place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from senate.compat.model import UNKNOWN, Breaks, Change, Policy, union
from senate.compat.resolve import Document, View

Compare = Callable[["Ctx", View, View], list[Change]]


class Ctx:
    def __init__(self, old: Document, new: Document, policy: Policy, compare: Compare) -> None:
        self.old = old
        self.new = new
        self.policy = policy
        self._compare = compare
        self._memo: dict[tuple[int, int], tuple[Change, ...]] = {}
        self._active: set[tuple[int, int]] = set()
        self._swapped: Ctx | None = None

    def swapped(self) -> Ctx:
        """The same comparison with old and new exchanged (for `new ⊆ old` questions)."""
        if self._swapped is None:
            self._swapped = Ctx(self.new, self.old, self.policy, self._compare)
            self._swapped._swapped = self
        return self._swapped

    def rel(self, old: Any, new: Any) -> tuple[Change, ...]:
        """Changes from raw subschema `old` to raw subschema `new`, paths relative."""
        if old is new and type(old) is bool:
            return ()
        if old == new and not self.old.has_ref(old) and not self.new.has_ref(new):
            return ()
        o, n = self.old.view(old), self.new.view(new)
        # Keyed by the views: every pointer to one definition shares its target's view.
        key = (id(o), id(n))
        done = self._memo.get(key)
        if done is not None:
            return done
        if key in self._active:
            return ()  # a cycle: assume equal here, the rest of the pair decides
        self._active.add(key)
        try:
            result = tuple(self._compare(self, o, n))
        finally:
            self._active.discard(key)
        self._memo[key] = result
        return result

    def at(self, old: Any, new: Any, prefix: str) -> list[Change]:
        return rebase(self.rel(old, new), prefix)

    def subsumes(self, old: Any, new: Any) -> bool:
        """Whether every value valid under `old` is valid under `new` (sound, incomplete)."""
        return all(c.kind != UNKNOWN and c.breaks in ("none", "forward")
                   for c in self.rel(old, new))

    def keep(self, node: dict[str, Any]) -> dict[str, Any]:
        """Keep a constructed node alive so its id stays a valid memo key."""
        self.old.keep.append(node)
        return node


def rebase(changes: Iterable[Change], prefix: str) -> list[Change]:
    if not prefix:
        return list(changes)
    return [Change(c.kind, prefix + c.path, c.breaks, c.explanation) for c in changes]


def seg(key: object) -> str:
    """One JSON-pointer segment."""
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


def summary(changes: Iterable[Change]) -> Breaks:
    return union("none", *(c.breaks for c in changes))


def unknowns(changes: Iterable[Change], prefix: str = "") -> list[Change]:
    return rebase((c for c in changes if c.kind == UNKNOWN), prefix)


def first_reason(changes: tuple[Change, ...]) -> str:
    """The explanation of the most significant sub-change, for one-line summaries."""
    ranked = sorted(changes, key=lambda c: c.breaks == "none")
    if not ranked:
        return "no difference in what is accepted"
    head = ranked[0]
    where = f" at {head.path}" if head.path else ""
    more = f" (+{len(changes) - 1} more)" if len(changes) > 1 else ""
    return f"{head.explanation}{where}{more}"


def change(kind: str, path: str, breaks: Breaks, explanation: str) -> Change:
    return Change(kind, path, breaks, explanation)


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
