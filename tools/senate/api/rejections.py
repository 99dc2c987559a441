"""Why the API refuses a write: SenateError refinements with a machine-readable kind.

The HTTP code comes from `http_status` like every SenateError (see api/errors.py);
`kind` names the precise reason (a ballot IgnoreReason where there is one) and
`details` carries what a client needs to retry, such as the new tip.
"""

from __future__ import annotations

from typing import Any

from senate.errors import ConflictError, SenateError

SIGNATURE_REASONS = frozenset({"unsigned", "bad_signature", "unknown_key", "author_mismatch",
                               "no_vote_right"})


class Rejected(SenateError):
    """A well-formed write that Senate will not accept (unprocessable: 422)."""

    exit_code = 1
    http_status = 422

    def __init__(self, kind: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.kind = kind


class SignatureRejected(Rejected):
    """Unsigned, forged, or signed by a key that is not on the base roster."""

    http_status = 403


class ProposalClosed(SenateError):
    """The proposal is merged or archived: nothing more can be written to it."""

    exit_code = 1
    http_status = 409
    kind = "proposal_closed"


class StaleParent(ConflictError):
    """The branch moved since the client read it; `details` holds the state to rebuild on."""

    kind = "stale_parent"

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message, "rebuild the commit on the new tip and sign it again")
        self.details = details


def ballot_rejection(reason: str, detail: str) -> Rejected:
    cls = SignatureRejected if reason in SIGNATURE_REASONS else Rejected
    return cls(reason, f"the commit is not a valid ballot: {reason}: {detail}")
