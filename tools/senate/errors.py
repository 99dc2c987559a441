"""The one root error type, its few refinements, and the small set of error kinds.

Library errors are translated into these once, at the adapter that calls the library,
so the CLI and the API each have a single place that turns them into messages or codes.

Every error has one `kind` from KINDS (snake_case, documented in the README); the kind
alone decides the CLI's exit code and the API's HTTP status, so the same refusal exits
the same way locally and through `--server`. Where a finer reason is known (a ballot's
IgnoreReason, `stale_parent`) it travels beside the kind as `reason`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "invalid_input", "not_found", "forbidden", "closed", "conflict", "too_large", "failed",
    "unavailable", "internal",
]


@dataclass(frozen=True)
class KindInfo:
    exit_code: int
    http_status: int
    meaning: str


KINDS: dict[str, KindInfo] = {
    "invalid_input": KindInfo(2, 422, "bad input: an option, a file, a spec, a key, a body"),
    "not_found": KindInfo(2, 404, "no such repository, proposal, type, revision or file, "
                                  "or a repository that is not governed"),
    "forbidden": KindInfo(2, 403, "a key that is not on the roster or not the proposer's, "
                                  "or a signature that does not verify"),
    "closed": KindInfo(2, 409, "the proposal is merged or archived: nothing more can be "
                               "written to it"),
    "conflict": KindInfo(1, 409, "the repository moved under a write, or is in a state that "
                                 "stops it: run the command again (or do what the hint says)"),
    "too_large": KindInfo(2, 413, "the input is too large"),
    "failed": KindInfo(1, 422, "the operation ran and failed (a migration, a push the "
                               "server refused); the message says what"),
    "unavailable": KindInfo(1, 503, "a server or remote could not be reached or is busy"),
    "internal": KindInfo(3, 500, "an unexpected failure inside Senate: a bug to report"),
}


def kind_for_status(status: int) -> str:
    """The kind an HTTP status stands for, for answers that carry no known kind."""
    for kind, info in KINDS.items():
        if info.http_status == status and kind not in ("closed", "failed"):
            return kind
    return "internal" if status >= 500 else "invalid_input"


class SenateError(Exception):
    """An expected failure with a message for the user and, where known, the fix."""

    kind: str = "failed"
    reason: str | None = None

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    @property
    def exit_code(self) -> int:
        return KINDS[self.kind].exit_code

    @property
    def http_status(self) -> int:
        return KINDS[self.kind].http_status

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(SenateError):
    """Bad input from the caller: a malformed key, an unknown type, a bad option."""

    kind = "invalid_input"


class NotFoundError(SenateError):
    """A proposal, schema type, revision or file that does not exist."""

    kind = "not_found"


class ForbiddenError(SenateError):
    """A key that may not do this: not on the roster, not the proposer's."""

    kind = "forbidden"


class ClosedError(SenateError):
    """The proposal is merged or archived: nothing more can be written to it."""

    kind = "closed"


class ConflictError(SenateError):
    """The repository moved under us (a ref changed, a branch exists): retry or rebase."""

    kind = "conflict"


class GitError(SenateError):
    """libgit2 failed in a way that is not the caller's input."""

    kind = "internal"
