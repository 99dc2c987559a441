"""From commits on a proposal branch to checked ballots, each valid or with the reason not.

Identity comes only from the key whose signature verifies over the exact bytes git would
verify; the trailers are read from those same bytes. A commit id is never trusted as a
key for anything: ids are malleable, keys are not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from senate import sshsig
from senate.policy import Agent, Policy
from senate.rawcommit import RawCommit, parse_commit
from senate.tally import VoteValue
from senate.trailers import senate_fields

IgnoreReason = Literal[
    "unsigned",
    "bad_signature",
    "unknown_key",
    "author_mismatch",
    "stale",
    "wrong_proposal",
    "changes_files",
    "ambiguous",
    "superseded",
    "not_a_vote",
    "before_debate",
    "after_window",
]
Kind = Literal["vote", "comment", "content"]


@dataclass(frozen=True)
class Ballot:
    """One commit on the branch, as the counter sees it."""

    commit: str
    kind: Kind
    agent: str | None  # roster member whose key verified the signature
    vote: VoteValue | None
    time: int  # committer time (a claim of the signer)
    text: str  # the commit message body: the reasoning or the comment
    problem: IgnoreReason | None = None
    detail: str = ""
    touches_files: bool = False  # a content commit of the proposal (or a merge)


@dataclass(frozen=True)
class BranchContext:
    """What every ballot on one proposal is checked against."""

    proposal: str
    patch_id: str
    policy: Policy
    opened_at: int
    debate_hours: int | None
    window_hours: int | None


class KeyRing:
    """Roster keys by wire blob, with the parsed key objects cached across commits."""

    def __init__(self, policy: Policy) -> None:
        self._agents = policy.by_key()
        self._crypto: dict[bytes, Ed25519PublicKey] = {}

    def lookup(self, blob: bytes) -> tuple[Agent, Ed25519PublicKey] | None:
        agent = self._agents.get(blob)
        if agent is None:
            return None
        key = self._crypto.get(blob)
        if key is None:
            key = self._crypto[blob] = agent.key.crypto()
        return agent, key


def signer(raw: RawCommit, keys: KeyRing) -> tuple[Agent | None, IgnoreReason | None, str]:
    """Who signed `raw`, verified exactly as `git verify-commit` with the roster would."""
    if raw.signature is None:
        return None, "unsigned", "the commit carries no signature"
    parsed = sshsig.parse_signature(raw.signature)
    if isinstance(parsed, str):
        return None, "bad_signature", parsed
    found = keys.lookup(parsed.public_key)
    if found is None:
        return None, "unknown_key", "signed by a key that is not on the base roster"
    agent, key = found
    if not sshsig.verify(parsed, raw.payload, key):
        return agent, "bad_signature", f"signature by {agent.name}'s key does not verify"
    return agent, None, ""


def examine(
    oid: str, data: bytes, parent_tree: Callable[[str], str], ctx: BranchContext, keys: KeyRing
) -> Ballot:
    """Classify one commit; checks run cheapest-first but report the most basic fault."""
    raw = parse_commit(data)
    message = raw.message.decode("utf-8", "replace")
    fields = senate_fields(message)
    time = raw.committer.timestamp if raw.committer else 0
    has_trailers = fields.proposal is not None or fields.vote is not None or bool(
        fields.patch_id
    )
    empty = len(raw.parents) == 1 and raw.tree == parent_tree(raw.parents[0])
    kind: Kind = "content"
    if fields.vote is not None:
        kind = "vote"
    elif empty and (has_trailers or fields.problems):
        kind = "comment"  # a debate comment, or a ballot too malformed to read a vote from

    def result(problem: IgnoreReason | None, detail: str, agent: str | None = None) -> Ballot:
        return Ballot(oid, kind, agent, fields.vote, time, _body(message), problem, detail,
                      not empty)

    if kind == "content":
        # The proposal's own commits carry Senate-Proposal without a patch id: content,
        # not a malformed ballot, and never counted whatever their trailers say. Who
        # signed it is still worth telling a reviewer.
        if empty:
            return result("not_a_vote", "an empty commit without Senate trailers")
        signed_by, problem, _ = signer(raw, keys)
        who = signed_by.name if signed_by is not None and problem is None else None
        return result("not_a_vote", "a content commit, not a vote or comment", who)
    if raw.problems or fields.problems:
        return result("ambiguous", "; ".join(raw.problems + fields.problems))
    agent, problem, detail = signer(raw, keys)
    name = agent.name if agent else None
    if problem is not None:
        return result(problem, detail, name)
    assert agent is not None
    author = raw.author
    if author is None or (author.name, author.email) != (agent.name, agent.email):
        who = f"{author.name} <{author.email}>" if author else "nobody"
        return result(
            "author_mismatch",
            f"signed by {agent.name}'s key but authored as {who}",
            name,
        )
    if fields.proposal != ctx.proposal:
        return result("wrong_proposal", f"cast for proposal {fields.proposal!r}", name)
    if len(raw.parents) != 1:
        return result("not_a_vote", "a merge commit cannot carry a vote", name)
    if not empty:
        return result("changes_files", "a vote commit must not change files", name)
    if fields.patch_id != ctx.patch_id:
        return result(
            "stale",
            f"cast on patch {str(fields.patch_id)[:12]}, the proposal is now "
            f"{ctx.patch_id[:12]}",
            name,
        )
    if kind == "vote" and not agent.vote:
        return result("unknown_key", f"{agent.name} has no voting rights on the base roster",
                      name)
    if kind != "vote":
        return result(None, "", name)
    if ctx.debate_hours is not None and time < ctx.opened_at + ctx.debate_hours * 3600:
        return result("before_debate", "cast before the debate period ended", name)
    if ctx.window_hours is not None and time > ctx.opened_at + ctx.window_hours * 3600:
        return result("after_window", "cast after the voting window closed", name)
    return result(None, "", name)


def _body(message: str) -> str:
    """The free text between the subject and the trailer block."""
    paragraphs = message.strip().split("\n\n")
    if len(paragraphs) <= 2:
        return ""
    return "\n\n".join(paragraphs[1:-1]).strip()
