"""Why the API refuses a write: SenateError refinements with a precise reason.

The HTTP code comes from the error's kind like every SenateError (see senate.errors);
`reason` names the precise cause (a ballot IgnoreReason where there is one) and
`details` carries what a client needs to retry, such as the new tip.
"""

from __future__ import annotations

from typing import Any

from senate.errors import ClosedError, ConflictError, ForbiddenError, UsageError

SIGNATURE_REASONS = frozenset({"unsigned", "bad_signature", "unknown_key", "author_mismatch",
                               "no_vote_right"})


class Rejected(UsageError):
    """A well-formed write that Senate will not accept (invalid_input: 422)."""

    def __init__(self, reason: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.reason = reason


class SignatureRejected(ForbiddenError):
    """Unsigned, forged, or signed by a key that is not on the base roster (403)."""

    def __init__(self, reason: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.reason = reason


class ProposalClosed(ClosedError):
    """The proposal is merged or archived: nothing more can be written to it."""

    reason = "proposal_closed"


class StaleParent(ConflictError):
    """The branch moved since the client read it; `details` holds the state to rebuild on."""

    reason = "stale_parent"

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message, "rebuild the commit on the new tip and sign it again")
        self.details = details


def ballot_rejection(reason: str, detail: str) -> Rejected | SignatureRejected:
    cls = SignatureRejected if reason in SIGNATURE_REASONS else Rejected
    return cls(reason, f"the commit is not a valid ballot: {reason}: {detail}")
