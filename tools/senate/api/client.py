"""`SenateClient`: what an agent uses to talk to `senate serve`, one call per action.

The client holds the agent's private key locally and never sends it. For each write it
builds the exact commit object the server will store, signs it, and posts it; when the
branch moved meanwhile (409 stale_parent) it rebuilds on the new tip and tries again.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate import sshsig
from senate.api.commitbytes import commit_bytes, identity_now, sign_commit
from senate.errors import KINDS, SenateError, kind_for_status
from senate.tally import VoteValue
from senate.trailers import format_vote_message

# A loaded key, or the path of an OpenSSH ed25519 private key file (as `--key` takes).
KeyLike = Ed25519PrivateKey | str | os.PathLike[str]


def as_key(key: KeyLike) -> Ed25519PrivateKey:
    if isinstance(key, Ed25519PrivateKey):
        return key
    if isinstance(key, str | os.PathLike):
        return sshsig.load_private_key(os.fspath(key))
    from senate.errors import UsageError

    raise UsageError(f"a key must be an Ed25519PrivateKey or a key file path, not "
                     f"{type(key).__name__}", "pass the path of your private key file")


class ApiError(SenateError):
    """An error answer from the server: its kind (so the CLI exits as it would locally),
    the precise reason where the server gave one, and the HTTP status it came with."""

    def __init__(self, status: int, kind: str, message: str, hint: str | None,
                 details: dict[str, Any] | None = None, reason: str | None = None) -> None:
        super().__init__(message, hint)
        self.status = status
        self.kind = kind if kind in KINDS else kind_for_status(status)
        self.reason = reason
        self.details = details or {}

    @property
    def retryable(self) -> bool:
        return self.kind == "conflict"


class SenateClient:
    def __init__(self, base_url: str, timeout: float = 60.0, attempts: int = 200) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.attempts = attempts
        self._identities: dict[str, tuple[str, str]] = {}

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SenateClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads ---------------------------------------------------------------------
    def get(self, path: str, **params: Any) -> Any:
        return self._answer(self._send("GET", path, params=params or None))

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self._answer(self._send("POST", path, json=body))

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError(503, "unavailable", f"cannot reach {self.http.base_url}: {exc}",
                           "check the --server URL and that `senate serve` runs") from exc

    def schemas(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.get("/api/schemas")["schemas"]
        return rows

    def proposal(self, proposal_id: str) -> dict[str, Any]:
        detail: dict[str, Any] = self.get(f"/api/senate/schema-proposal/{proposal_id}")
        return detail

    def proposals(self, status: str | None = None) -> list[dict[str, Any]]:
        params = {"status": status} if status else {}
        rows: list[dict[str, Any]] = self.get("/api/senate/schema-proposals", **params)[
            "proposals"]
        return rows

    def head(self, proposal_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self.get(f"/api/senate/schema-proposal/{proposal_id}/head")
        return data

    def identity(self, key: Ed25519PrivateKey) -> tuple[str, str]:
        """(name, email) of the roster member holding `key`, as the server's roster says."""
        fingerprint = sshsig.PublicKey.from_crypto(key.public_key()).fingerprint()
        if fingerprint not in self._identities:
            for agent in self.get("/api/roster")["agents"]:
                self._identities[agent["fingerprint"]] = (agent["name"], agent["email"])
        found = self._identities.get(fingerprint)
        if found is None:
            raise ApiError(403, "forbidden", f"the key {fingerprint} is not on the roster",
                           "use the key registered for your agent in senate.toml",
                           reason="unknown_key")
        return found

    # -- writes --------------------------------------------------------------------
    def vote(self, proposal_id: str, key: KeyLike, decision: VoteValue,
             reason: str = "") -> dict[str, Any]:
        """Cast a signed vote; `key` is a loaded key or the path of the key file."""
        return self._ballot(proposal_id, as_key(key), decision, reason, "vote")

    def cosign(self, proposal_id: str, key: KeyLike, name: str, email: str | None = None,
               reason: str = "") -> dict[str, Any]:
        """Approve with the new key of `name`, which a governance proposal adds or
        rotates (proof of possession); the key is not on main's roster yet."""
        from senate.policy import default_email

        return self._ballot(proposal_id, as_key(key), "approve", reason, "vote",
                            (name, email or default_email(name)))

    def comment(self, proposal_id: str, key: KeyLike, text: str) -> dict[str, Any]:
        return self._ballot(proposal_id, as_key(key), None, text, "comment")

    def propose(self, key: KeyLike, **metadata: Any) -> dict[str, Any]:
        """Open a proposal: draft, sign, submit; metadata as in ProposalDraftRequest
        (artifact_type, change_type, field, field_spec, rationale, ...)."""
        key = as_key(key)
        public = sshsig.PublicKey.from_crypto(key.public_key()).openssh()
        for attempt in range(self.attempts):
            draft = self.post("/api/senate/schema-proposal/draft",
                              {"proposer_key": public, **metadata})
            signed = sign_commit(key, draft["commit"].encode("utf-8"))
            try:
                created: dict[str, Any] = self.post(
                    "/api/senate/schema-proposal",
                    {"commit": signed.decode("utf-8"), "files": draft["files"]})
                return created
            except ApiError as exc:
                if not exc.retryable:
                    raise
                _pause(attempt)
        raise ApiError(409, "conflict", f"main kept moving: {self.attempts} attempts", None)

    def _ballot(self, proposal_id: str, key: Ed25519PrivateKey, decision: VoteValue | None,
                reason: str, kind: str, who: tuple[str, str] | None = None) -> dict[str, Any]:
        name, email = who or self.identity(key)
        state = self.head(proposal_id)
        for attempt in range(self.attempts):
            message = format_vote_message(proposal_id, decision, state["content_id"], reason)
            me = identity_now(name, email)
            unsigned = commit_bytes(state["tree"], [state["tip"]], me, me, message)
            body = {"commit": sign_commit(key, unsigned).decode("utf-8")}
            try:
                written: dict[str, Any] = self.post(
                    f"/api/senate/schema-proposal/{proposal_id}/{kind}", body)
                return written
            except ApiError as exc:
                if not exc.retryable:
                    raise
                state = exc.details if "tree" in exc.details else self.head(proposal_id)
                _pause(attempt)
        raise ApiError(409, "conflict",
                       f"proposal/{proposal_id} kept moving: {self.attempts} attempts", None)

    @staticmethod
    def _answer(response: httpx.Response) -> Any:
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success:
            return data
        error = data.get("error", {}) if isinstance(data, dict) else {}
        raise ApiError(response.status_code, str(error.get("kind", "")),
                       str(error.get("message", response.text[:200])), error.get("hint"),
                       error.get("details"), error.get("reason"))


def _pause(attempt: int) -> None:
    # Jitter spreads out agents that all lost the same race.
    time.sleep(random.uniform(0, 0.004) * min(attempt + 1, 10))
