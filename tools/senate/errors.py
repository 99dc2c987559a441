"""The one root error type and its few refinements.

Library errors are translated into these once, at the adapter that calls the library,
so the CLI and the API each have a single place that turns them into messages or codes.
"""

from __future__ import annotations


class SenateError(Exception):
    """An expected failure with a message for the user and, where known, the fix."""

    exit_code = 1
    http_status = 400

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class UsageError(SenateError):
    """Bad input from the caller: a malformed key, an unknown type, a bad option."""

    exit_code = 2
    http_status = 422


class NotFoundError(SenateError):
    """A proposal, schema type, revision or file that does not exist."""

    exit_code = 2
    http_status = 404


class ConflictError(SenateError):
    """The repository moved under us (a ref changed, a branch exists): retry or rebase."""

    exit_code = 1
    http_status = 409


class GitError(SenateError):
    """libgit2 failed in a way that is not the caller's input."""

    exit_code = 1
    http_status = 500
