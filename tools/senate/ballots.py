"""From commits on a proposal branch to checked ballots, each valid or with the reason not.

Identity comes only from the key whose signature verifies over the exact bytes git would
verify; the trailers are read from those same bytes. A commit id is never trusted as a
key for anything: ids are malleable, keys are not.
"""

from __future__ import annotations

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
    "no_vote_right",
    "author_mismatch",
    "stale",
    "old_trailer",
    "wrong_proposal",
    "changes_files",
    "ambiguous",
    "superseded",
    "not_a_vote",
    "before_opening",
    "before_debate",
    "after_window",
    "foreign_content",
    "bad_merge",
    "unreadable",
]
# merge: a merge of main into the branch; content: a commit that changes files.
Kind = Literal["vote", "comment", "content", "merge"]


@dataclass(frozen=True)
class Ballot:
    """One commit of the branch's first-parent chain, as the counter sees it."""

    commit: str
    kind: Kind
    agent: str | None  # roster member whose key verified the signature
    vote: VoteValue | None
    time: int  # committer time (a claim of the signer)
    text: str  # the commit message body: the reasoning or the comment
    problem: IgnoreReason | None = None
    detail: str = ""

    @property
    def touches_files(self) -> bool:
        return self.kind in ("content", "merge")


@dataclass(frozen=True)
class BranchContext:
    """What every ballot on one proposal is checked against."""

    proposal: str
    content_id: str
    policy: Policy  # main's: the roster the merge would land on
    opened_at: int | None  # None: no signed opening content commit (yet)
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
        return None, "unknown_key", "signed by a key that is not on main's roster"
    agent, key = found
    if not sshsig.verify(parsed, raw.payload, key):
        return agent, "bad_signature", f"signature by {agent.name}'s key does not verify"
    return agent, None, ""


def examine(oid: str, data: bytes, empty: bool, ctx: BranchContext, keys: KeyRing) -> Ballot:
    """Classify one single-parent commit (`empty`: its tree is its parent's): a vote, a
    comment, or content; checks run cheapest-first but report the most basic fault."""
    raw = parse_commit(data)
    message = raw.message.decode("utf-8", "replace")
    time = raw.committer.timestamp if raw.committer else 0
    if not empty:
        # Content is judged by who signed it (senate.branchrules), never counted, whatever
        # its trailers say.
        agent, problem, detail = signer(raw, keys)
        if problem is None and raw.problems:
            problem, detail = "ambiguous", "; ".join(raw.problems)
        return Ballot(oid, "content", agent.name if agent else None, None, time,
                      _body(message), problem, detail)
    fields = senate_fields(message)
    has_trailers = fields.proposal is not None or fields.vote is not None or bool(
        fields.content_id) or fields.old_patch_id
    kind: Kind = "vote" if fields.vote is not None else "comment"

    def result(problem: IgnoreReason | None, detail: str, agent: str | None = None) -> Ballot:
        return Ballot(oid, kind, agent, fields.vote, time, _body(message), problem, detail)

    if not (has_trailers or fields.problems):
        return result("not_a_vote", "an empty commit without Senate trailers")
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
    if fields.old_patch_id:
        return result(
            "old_trailer",
            "names the retired Senate-Patch-Id (blind to whitespace and binary bytes); only "
            "a Senate-Content-Id counts: vote again",
            name,
        )
    if fields.content_id != ctx.content_id:
        return result(
            "stale",
            f"cast on content {str(fields.content_id)[:12]}, the proposal is now "
            f"{ctx.content_id[:12]}",
            name,
        )
    if kind == "vote" and not agent.vote:
        return result("no_vote_right", f"{agent.name} has no voting rights on main's roster",
                      name)
    if kind != "vote":
        return result(None, "", name)
    if ctx.opened_at is None or time < ctx.opened_at:
        return result("before_opening", "cast before the proposer's signed opening commit",
                      name)
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
