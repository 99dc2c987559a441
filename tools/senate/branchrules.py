"""The one rulebook for a proposal branch's first-parent chain, for every surface.

The counter, `senate check`, `senate merge`, the API, the pre-receive hook and `senate
audit` (on every commit a merge brought in) all judge a branch here. Above its base the
chain may hold only:

- content commits signed by the proposer's key on main's roster (the oldest of them
  opens the proposal and sets its clock; nothing unsigned ever sets a time);
- empty commits: votes and comments, each counted or ignored with its reason;
- merges whose second parent is a commit of main's first-parent history and whose tree
  is exactly Senate's merge (main's tree with the proposal's paths kept), unless the
  proposer signed the merge, which makes it content.

Anything else (unsigned or foreign content, a merge bringing in other history or
changing what it merges, an object that cannot be read) is a problem: the proposal can
never be approved, whatever the votes, and the hook refuses the push.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from senate.ballots import Ballot, BranchContext, KeyRing, examine, signer
from senate.errors import SenateError
from senate.git import GitRepo
from senate.lineage import Lineage, Link
from senate.policy import Policy
from senate.rawcommit import parse_commit

# Ballots are a pure function of the commit and its context, so a long-running process
# (the API server) may keep them between counts.
BallotMemo = dict[tuple[str, str, str, str, int | None, str], Ballot]


@dataclass(frozen=True)
class Judgement:
    ballots: tuple[Ballot, ...]  # every commit of the chain, oldest first
    opened_at: int | None  # the proposer's first signed content commit's time
    problems: tuple[str, ...]  # block approval


def judge(
    git: GitRepo,
    lineage: Lineage,
    proposal: str,
    proposer: str,
    content_id: str,
    policy: Policy,
    policy_id: str,
    memo: BallotMemo | None = None,
) -> Judgement:
    """Every commit of the chain classified, in chain order, with the branch's problems.

    `policy` is main's (the commit the merge lands on); `policy_id` names it in memo keys.
    """
    keys = KeyRing(policy)
    ctx = BranchContext(proposal, content_id, policy, None,
                        policy.rules.debate_period_hours, policy.rules.voting_window_hours)
    problems = list(lineage.problems)
    ballots: list[Ballot] = []
    base = lineage.bottom
    head = git.commit_head(base) if base is not None else None
    parent_tree = head[0] if head is not None else None
    for link in lineage.links:
        if link.data is None:
            ballots.append(Ballot(link.commit, "content", None, None, 0, "", "unreadable",
                                  "the object cannot be read"))
            break
        key = (link.commit, proposal, content_id, policy_id, ctx.opened_at, proposer)
        known = memo.get(key) if memo is not None else None
        if known is not None:
            ballot = known
        elif link.is_merge:
            ballot = _merge(git, link, base, parent_tree, proposer, keys)
        else:
            ballot = examine(link.commit, link.data, link.tree == parent_tree, ctx, keys)
            if ballot.kind == "content":
                ballot = _content(ballot, proposer)
        if memo is not None and known is None:
            memo[key] = ballot
        ballots.append(ballot)
        if ballot.touches_files and ballot.problem is not None:
            problems.append(f"{ballot.kind} commit {link.commit[:12]}: {ballot.detail}")
        if ballot.kind == "content" and ballot.problem is None and ctx.opened_at is None:
            ctx = replace(ctx, opened_at=ballot.time)
        if link.is_merge and len(link.parents) == 2:
            base = link.parents[1]
        parent_tree = link.tree
    if ctx.opened_at is None and not problems:
        problems.append(f"no content commit signed by the proposer {proposer} opens the "
                        "proposal")
    return Judgement(tuple(ballots), ctx.opened_at, tuple(problems))


def _content(ballot: Ballot, proposer: str) -> Ballot:
    if ballot.problem is not None:
        what = {"unsigned": "is unsigned", "unknown_key": "is signed by a key not on main's "
                "roster"}.get(ballot.problem, f"is not validly signed ({ballot.problem})")
        return replace(ballot, problem="foreign_content",
                       detail=f"changes files and {what}; only the proposer {proposer}'s "
                       "signed commits may change a proposal")
    if ballot.agent != proposer:
        return replace(ballot, problem="foreign_content",
                       detail=f"changes files and is signed by {ballot.agent}; only the "
                       f"proposer {proposer} may change the proposal")
    return ballot


def _merge(
    git: GitRepo, link: Link, base: str | None, parent_tree: str | None, proposer: str,
    keys: KeyRing,
) -> Ballot:
    """A merge of main: exactly Senate's merge tree, or content signed by the proposer."""
    assert link.data is not None
    raw = parse_commit(link.data)
    time = raw.committer.timestamp if raw.committer else 0
    agent, problem, _ = signer(raw, keys)
    who = agent.name if agent is not None and problem is None else None
    author = (raw.author.name, raw.author.email) if raw.author is not None else None
    if (agent is not None and who == proposer and not raw.problems
            and author == (agent.name, agent.email)):
        return Ballot(link.commit, "merge", who, None, time, "")
    if len(link.parents) != 2 or base is None or parent_tree is None:
        return Ballot(link.commit, "merge", who, None, time, "", "bad_merge",
                      "is not a merge of main into the branch")
    why = overlay_problem(git, base, parent_tree, link.parents[1], link.tree)
    if why is not None:
        return Ballot(link.commit, "merge", who, None, time, "", "bad_merge", why)
    return Ballot(link.commit, "merge", who, None, time, "")


def overlay_problem(
    git: GitRepo, base: str, branch_tree: str, main_commit: str, merged_tree: str
) -> str | None:
    """Why `merged_tree` is not main's tree with the branch's own paths kept (None: it is).

    The branch's own paths are those it changed since `base`; main changing any of them
    too is a conflict that only the proposer can resolve, with a signed commit.
    """
    base_head, main_head = git.commit_head(base), git.commit_head(main_commit)
    if base_head is None or main_head is None:
        return "merges a commit that cannot be read"
    base_tree, main_tree = base_head[0], main_head[0]
    try:
        own = {d.path for d in git.raw_diff(base_tree, branch_tree)}
        theirs = {d.path for d in git.raw_diff(base_tree, main_tree)}
        got = {d.path for d in git.raw_diff(main_tree, merged_tree)}
    except SenateError as exc:
        return exc.message
    clash = sorted(p.decode("utf-8", "replace") for p in own & theirs)
    if clash:
        return (f"main changed {', '.join(clash[:3])} too: that conflict must be resolved "
                "by the proposer, in a signed commit")
    if got != own:
        extra = sorted(p.decode("utf-8", "replace") for p in got ^ own)
        return f"changes more than a merge of main would: {', '.join(extra[:3])}"
    for path in own:
        try:
            name = path.decode("utf-8")
        except UnicodeDecodeError:
            return "merges a path that is not UTF-8"
        if git.tree_entry(merged_tree, name) != git.tree_entry(branch_tree, name):
            return f"changes {name} as no merge of main would"
    return None
