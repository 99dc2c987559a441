"""Counting a governance proposal: who may approve a change of the roster and the rules.

The rule is `senate.governance.rule_for(main's policy, the proposed policy)`: every
eligible agent of the *current* roster (main's tip) except those the change removes or
revokes, or the current roster's own `governance` fraction; and every key the change adds
or rotates must co-sign with an approve ballot signed by that new key (proof of
possession, not an eligible vote). The proposed senate.toml must be exactly the recorded
change applied to the base's. Everything else (signatures, content id, chain order,
supersession) is the ordinary counter's.
"""

from __future__ import annotations

from dataclasses import dataclass

from senate.ballots import Ballot, BranchContext, KeyRing, examine
from senate.errors import SenateError
from senate.git import GitRepo
from senate.governance import GovernanceChange, cosigning_keys, edit_problem, rule_for
from senate.policy import POLICY_FILE, Policy, parse_policy
from senate.proposal import ProposalMeta
from senate.proposals import ProposalRef
from senate.tally import Rule


@dataclass(frozen=True)
class GovernanceCount:
    rule: Rule
    eligible: tuple[str, ...]
    cosigners: tuple[str, ...]  # whose new key must co-sign
    cosigned: tuple[str, ...]  # who did, with an approve ballot signed by the new key
    problems: tuple[str, ...]  # block approval (a missing co-signature among them)
    cosign_commits: tuple[str, ...] = ()  # the co-signing ballots (not forgeries)

    def to_json(self) -> dict[str, object]:
        return {"eligible": list(self.eligible), "cosigners": list(self.cosigners),
                "cosigned": list(self.cosigned)}


def governance_count(
    git: GitRepo, ref: ProposalRef, meta: ProposalMeta, policy: Policy, content_id: str,
    opened_at: int | None, ballots: tuple[Ballot, ...],
) -> GovernanceCount:
    fallback = Rule("unanimous", "governance change (unreadable): every eligible agent",
                    1, 1)
    voters = tuple(a.name for a in policy.voters)
    tip_raw = git.read_file(ref.tip, POLICY_FILE)
    base_raw = git.read_file(ref.base, POLICY_FILE)
    if tip_raw is None or base_raw is None or meta.governance is None:
        return GovernanceCount(fallback, voters, (), (), (
            f"a governance proposal must carry its change and keep {POLICY_FILE}",))
    tip_text, base_text = tip_raw.decode("utf-8", "replace"), base_raw.decode("utf-8",
                                                                             "replace")
    try:
        proposed = parse_policy(tip_text, f"{POLICY_FILE}@{ref.tip[:12]}")
        change = GovernanceChange.from_json(meta.governance)
    except (SenateError, KeyError, TypeError) as exc:
        why = exc.message if isinstance(exc, SenateError) else f"malformed change ({exc})"
        return GovernanceCount(fallback, voters, (), (), (why,))
    problems: list[str] = []
    edit = edit_problem(base_text, tip_text, change)
    if edit is not None:
        problems.append(f"the governance proposal is not exactly its change: {edit}")
    grule = rule_for(policy, proposed)
    num, den = policy.rules.governance or (1, 1)
    rule = Rule("governance", grule.reason, num, den)
    found = _cosigned(ref, proposed, policy, content_id, opened_at, ballots)
    cosigned = set(found.values())
    missing = [n for n in grule.cosigners if n not in cosigned]
    if missing:
        problems.append(f"waiting for the new key of {', '.join(missing)} to co-sign: an "
                        "approve ballot signed with the key this proposal adds (proof of "
                        "possession)")
    return GovernanceCount(rule, grule.eligible, grule.cosigners, tuple(sorted(cosigned)),
                           tuple(problems), tuple(found))


def proposed_policy(git: GitRepo, ref: ProposalRef) -> Policy | None:
    """The roster a governance proposal would install, None when unreadable."""
    raw = git.read_file(ref.tip, POLICY_FILE)
    if raw is None:
        return None
    try:
        return parse_policy(raw.decode("utf-8", "replace"), f"{POLICY_FILE}@{ref.tip[:12]}")
    except SenateError:
        return None


def _cosigned(
    ref: ProposalRef, proposed: Policy, current: Policy, content_id: str,
    opened_at: int | None, ballots: tuple[Ballot, ...],
) -> dict[str, str]:
    """Commit -> agent, for each valid approve ballot signed by a key the change adds or
    rotates, on the current content."""
    check = CosignCheck.of(ref.id, proposed, current, content_id, opened_at)
    if check is None:
        return {}
    data = {link.commit: link.data for link in ref.lineage.links}
    out: dict[str, str] = {}
    for b in ballots:
        raw = data.get(b.commit)
        name = check.signer(b, raw) if raw is not None else None
        if name is not None:
            out[b.commit] = name
    return out


@dataclass(frozen=True)
class CosignCheck:
    """Whether a ballot is the co-signature of a key a governance proposal adds or
    rotates: the counter and the API's ballot check both ask it. Built once per count
    (the proposed roster's keys), asked per ballot."""

    proposed: Policy
    wanted: dict[bytes, str]  # key blob -> the agent whose new key it is
    keys: KeyRing
    ctx: BranchContext

    @classmethod
    def of(cls, proposal_id: str, proposed: Policy, current: Policy, content_id: str,
           opened_at: int | None) -> CosignCheck | None:
        """None when the change adds or rotates no key."""
        wanted = cosigning_keys(current, proposed)
        if not wanted:
            return None
        return cls(proposed, wanted, KeyRing(proposed),
                   BranchContext(proposal_id, content_id, proposed, opened_at, None, None))

    def signer(self, ballot: Ballot, raw: bytes) -> str | None:
        """The agent whose new key co-signs with `ballot` (the counter's verdict on `raw`
        under main's roster), or None: an approve vote on the current content, signed by
        a key the change adds or rotates."""
        if ballot.kind != "vote" or ballot.problem not in ("unknown_key", "bad_signature"):
            return None
        again = examine(ballot.commit, raw, True, self.ctx, self.keys)
        # proof of possession needs no voting right: a member added without one co-signs
        if (again.problem in (None, "no_vote_right") and again.vote == "approve"
                and again.agent is not None):
            agent = self.proposed.agent(again.agent)
            if agent is not None and self.wanted.get(agent.key.blob) == agent.name:
                return agent.name
        return None
