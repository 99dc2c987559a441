"""A two-column diff of two texts as plain rows; the template escapes every cell."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Tag = Literal["equal", "delete", "insert", "replace"]


@dataclass(frozen=True)
class Row:
    tag: Tag
    left_no: int | None
    left: str
    right_no: int | None
    right: str


def side_by_side(old: str, new: str, context: int = 3) -> list[Row | None]:
    """Rows of the changed regions with `context` lines around; None marks a gap."""
    a, b = old.splitlines(), new.splitlines()
    out: list[Row | None] = []
    groups = difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context)
    for n, group in enumerate(groups):
        if n:
            out.append(None)
        for tag, i1, i2, j1, j2 in group:
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                left = a[i] if i < i2 else ""
                right = b[j] if j < j2 else ""
                out.append(Row(
                    tag,  # type: ignore[arg-type]
                    i + 1 if i < i2 else None, left, j + 1 if j < j2 else None, right,
                ))
    return out
