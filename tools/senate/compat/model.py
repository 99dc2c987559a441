"""Values of the compatibility engine: a change, a report, and the direction algebra.

Backward compatible means every document valid under the old schema stays valid under the
new one (the new schema accepts a superset). A change that narrows what is accepted
therefore "breaks backward"; one that widens it "breaks forward".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Breaks = Literal["backward", "forward", "both", "none"]
Mode = Literal["backward", "forward", "full"]
Policy = Literal["lenient", "strict"]

UNKNOWN = "unknown"

_BITS: dict[str, int] = {"none": 0, "backward": 1, "forward": 2, "both": 3}
_FROM_BITS: tuple[Breaks, ...] = ("none", "backward", "forward", "both")


def union(*values: Breaks) -> Breaks:
    """The directions broken by several changes taken together."""
    bits = 0
    for value in values:
        bits |= _BITS[value]
    return _FROM_BITS[bits]


def invert(value: Breaks) -> Breaks:
    """Under `not`, narrowing the inner schema widens the outer one and vice versa."""
    bits = _BITS[value]
    return _FROM_BITS[((bits & 1) << 1) | ((bits & 2) >> 1)]


def breaks_in(value: Breaks, mode: Mode) -> bool:
    """Whether a change breaking `value` matters when checking compatibility `mode`."""
    need = {"backward": 1, "forward": 2, "full": 3}[mode]
    return bool(_BITS[value] & need)


# Changes and reports are made by the thousand in one comparison. A frozen dataclass's
# own __init__ sets each field through object.__setattr__; filling the instance dict
# directly costs half as much and leaves them as frozen (assignment still raises).
@dataclass(frozen=True, init=False)
class Change:
    """One semantic difference between two schemas."""

    kind: str
    path: str
    breaks: Breaks
    explanation: str
    # What the direction stated here takes for granted (the lenient open-content
    # assumption, a remote document being the same on both sides); "" for nothing.
    assumed: str = ""

    def __init__(self, kind: str, path: str, breaks: Breaks, explanation: str,
                 assumed: str = "") -> None:
        fields = self.__dict__
        fields["kind"] = kind
        fields["path"] = path
        fields["breaks"] = breaks
        fields["explanation"] = explanation
        fields["assumed"] = assumed

    def to_json(self) -> dict[str, str]:
        out = {
            "kind": self.kind,
            "path": self.path,
            "breaks": self.breaks,
            "explanation": self.explanation,
        }
        if self.assumed:
            out["assumed"] = self.assumed
        return out


@dataclass(frozen=True, init=False)
class Report:
    """All changes between two schemas and the verdict in each direction."""

    changes: tuple[Change, ...]
    backward_compatible: bool | None
    forward_compatible: bool | None
    # Every assumption a verdict above rests on, for the reviewer (see Change.assumed).
    assumptions: tuple[str, ...] = ()
    dialects: tuple[str, str] = ("2020-12", "2020-12")  # how old and new were read

    def __init__(self, changes: tuple[Change, ...], backward_compatible: bool | None,
                 forward_compatible: bool | None, assumptions: tuple[str, ...] = (),
                 dialects: tuple[str, str] = ("2020-12", "2020-12")) -> None:
        self.__dict__.update(changes=changes, backward_compatible=backward_compatible,
                             forward_compatible=forward_compatible, assumptions=assumptions,
                             dialects=dialects)

    @classmethod
    def of(cls, changes: tuple[Change, ...],
           dialects: tuple[str, str] = ("2020-12", "2020-12"),
           assumptions: tuple[str, ...] = ()) -> Report:
        # A definite break decides the verdict even when something else is unknown.
        bits = 0
        undecided = rests = False
        for c in changes:  # one pass for both verdicts (most reports hold a change or two)
            if c.kind == UNKNOWN:
                undecided = True
            else:
                bits |= _BITS[c.breaks]
            if c.assumed:
                rests = True
        assumed: tuple[str, ...] = ()
        if rests:
            assumed = tuple(f"{c.path or '/'}: {c.assumed}" for c in changes if c.assumed)
        if assumptions:
            assumed = tuple(dict.fromkeys([*assumed, *assumptions]))
        elif len(assumed) > 1:
            assumed = tuple(dict.fromkeys(assumed))
        return cls(changes, False if bits & 1 else None if undecided else True,
                   False if bits & 2 else None if undecided else True, assumed, dialects)

    def compatible(self, mode: Mode) -> bool:
        """Fail closed: an undecidable verdict counts as incompatible."""
        if mode == "backward":
            return self.backward_compatible is True
        if mode == "forward":
            return self.forward_compatible is True
        return self.backward_compatible is True and self.forward_compatible is True

    def breaking(self, mode: Mode) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.kind == UNKNOWN or breaks_in(c.breaks, mode))

    def to_json(self) -> dict[str, Any]:
        return {
            "backward_compatible": self.backward_compatible,
            "forward_compatible": self.forward_compatible,
            "changes": [c.to_json() for c in self.changes],
            "assumptions": list(self.assumptions),
            "dialects": {"old": self.dialects[0], "new": self.dialects[1]},
        }
