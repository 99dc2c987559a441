"""`senate adopt`: put an existing repository, whose schemas/ has history, under Senate.

One signed commit on main writes senate.toml (with `adopted_after`, the last commit
before governance), proposals/, migrations/ and the workflows, and changes nothing under
schemas/. `senate audit` then trusts that commit the way it trusts the `senate init`
commit of a repository born governed: history up to it is reported as "before
governance", everything after it is audited.

Which commit starts governance is decided from main's first-parent line alone: the FIRST
commit whose senate.toml names its own first parent as `adopted_after`, signed by an agent
of that very roster, and leaving schemas/ alone. A repository whose root already holds
senate.toml was born governed and can never be adopted (an "adoption" later on would
otherwise erase its audited history); a second adoption is just a direct change of
senate.toml, which the audit flags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate.ballots import KeyRing, signer
from senate.commits import agent_for_key, signed_commit
from senate.errors import SenateError, UsageError
from senate.git import GitRepo
from senate.initrepo import AgentSpec, governance_files
from senate.mainline import WorkTree, advance_main
from senate.policy import POLICY_FILE, Policy, parse_policy
from senate.proposals import main_tip
from senate.rawcommit import parse_commit
from senate.registry import SCHEMA_DIR, list_types, load_schema
from senate.validation import check_schema

SENATE_TABLE = re.compile(r"^\[senate\][ \t]*$", re.M)


@dataclass(frozen=True)
class Start:
    """Where the audited line begins: `index` into main's first-parent line, oldest first."""

    index: int
    adoption: str | None  # the adoption commit, when governance started with one
    problem: str | None = None  # a commit that claims to adopt but does not qualify
    claimed_by: str | None = None


@dataclass(frozen=True)
class Adopted:
    commit: str
    adopted_after: str
    signer: str
    written: tuple[str, ...]
    kept: tuple[str, ...]
    types: tuple[str, ...]
    earlier_commits: int
    worktree: WorkTree

    def to_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "adopted_after": self.adopted_after,
                "signer": self.signer, "written": list(self.written),
                "kept": list(self.kept), "types": list(self.types),
                "before_governance": self.earlier_commits, "worktree": self.worktree}


def _policy(git: GitRepo, rev: str) -> Policy | None:
    data = git.read_file(rev, POLICY_FILE)
    if data is None:
        return None
    try:
        return parse_policy(data.decode("utf-8", "replace"), f"{POLICY_FILE}@{rev[:12]}")
    except SenateError:
        return None


def adoption_problem(git: GitRepo, oid: str, parent: str | None, policy: Policy) -> str | None:
    """Why `oid` is not a valid adoption commit on top of `parent` (None: it is)."""
    if parent is None or git.commit_parents(oid) != [parent]:
        return "an adoption commit must have exactly one parent, the commit it names"
    if policy.adopted_after != parent:
        return (f"its senate.toml names {policy.adopted_after} as the last commit before "
                f"governance, but its parent is {parent}")
    raw = parse_commit(git.raw_commit(oid))
    agent, reason, detail = signer(raw, KeyRing(policy))
    if agent is None or reason is not None:
        return f"it is not signed by an agent of its own roster ({detail})"
    if raw.author is None or (raw.author.name, raw.author.email) != (agent.name, agent.email):
        return f"its author is not {agent.name} <{agent.email}>, whose key signed it"
    touched = [p for p in git.changed_paths(parent, oid) if p.startswith(f"{SCHEMA_DIR}/")]
    if touched:
        return "an adoption must leave schemas/ alone; it changes " + ", ".join(touched[:5])
    return None


def governance_start(git: GitRepo, line: list[str]) -> Start:
    """The commit of `line` (main's first-parent line, oldest first) governance starts at."""
    if not line or git.read_file(line[0], POLICY_FILE) is not None:
        return Start(0, None)  # born governed (`senate init`): the root is the anchor
    for i, oid in enumerate(line):
        policy = _policy(git, oid)
        if policy is None or policy.adopted_after is None:
            continue  # no policy yet, or one written by hand without adoption
        problem = adoption_problem(git, oid, line[i - 1] if i else None, policy)
        if problem is not None:
            return Start(0, None, problem, oid)
        return Start(i, oid)
    return Start(0, None)


def _with_adopted_after(text: str, commit: str) -> str:
    """The existing senate.toml, unchanged but for `adopted_after` in its [senate] table."""
    line = (f"# Adopted by `senate adopt`: main's history up to and including this commit "
            f"predates\n# Senate (\"before governance\"); everything after it is governed.\n"
            f'adopted_after = "{commit}"\n')
    found = SENATE_TABLE.search(text)
    if found is None:
        return f"[senate]\n{line}\n{text}"
    end = found.end() + 1
    return text[:end] + line + text[end:]


def check_schemas(git: GitRepo, tip: str) -> tuple[str, ...]:
    types = tuple(list_types(git, tip))
    if not types:
        raise UsageError(f"{SCHEMA_DIR}/ at {tip[:12]} holds no <type>.json schema",
                         "adopt a repository whose registry is already in schemas/; "
                         "for a new one use `senate init`")
    for kind in types:
        check_schema(load_schema(git, kind, tip), f"{SCHEMA_DIR}/{kind}.json@{tip[:12]}")
    return types


def adoption_files(git: GitRepo, tip: str, agents: list[AgentSpec]
                   ) -> tuple[dict[str, bytes], tuple[str, ...]]:
    """The files the adoption commit writes on `tip`, and the existing ones it keeps."""
    existing = git.read_file(tip, POLICY_FILE)
    if existing is not None and agents:
        raise UsageError(f"{POLICY_FILE} already exists at {tip[:12]}; adoption keeps its "
                         "roster", "drop --agent (or remove the file in a commit first)")
    if existing is None and not agents:
        raise UsageError("a roster needs at least one agent", "pass --agent NAME=PUBKEY_FILE")
    files = governance_files(agents, tip) if agents else {
        path: data for path, data in governance_files(_roster_of(existing or b""), tip).items()
        if path != POLICY_FILE}
    if existing is not None:
        files[POLICY_FILE] = _with_adopted_after(existing.decode("utf-8"), tip).encode()
        parse_policy(files[POLICY_FILE].decode(), POLICY_FILE)
    kept = tuple(sorted(p for p in files if p != POLICY_FILE
                        and git.read_file(tip, p) is not None))
    return {p: d for p, d in files.items() if p not in kept}, kept


def _roster_of(text: bytes) -> list[AgentSpec]:
    policy = parse_policy(text.decode("utf-8", "replace"), POLICY_FILE)
    return [AgentSpec(a.name, a.key, a.email, a.vote) for a in policy.agents]


def adopt(path: Path, agents: list[AgentSpec], key: Ed25519PrivateKey) -> Adopted:
    git = GitRepo.open(path)
    tip = main_tip(git)
    line = list(reversed(list(git.first_parent_history(tip))))
    if git.read_file(line[0], POLICY_FILE) is not None:
        raise UsageError(f"main's root commit {line[0][:12]} already holds {POLICY_FILE}: "
                         "this repository was born governed", "there is nothing to adopt")
    start = governance_start(git, line)
    if start.adoption is not None or start.claimed_by is not None:
        raise UsageError(f"main was already adopted at "
                         f"{(start.adoption or start.claimed_by or '')[:12]}",
                         "a repository is adopted once; change the roster by a governance "
                         "proposal")
    types = check_schemas(git, tip)
    files, kept = adoption_files(git, tip, agents)
    policy = parse_policy(files[POLICY_FILE].decode(), POLICY_FILE)
    agent = agent_for_key(policy, key)
    message = (f"senate adopt: governance starts here\n\n"
               f"main's history up to {tip} ({len(line)} first-parent commits) predates "
               f"Senate.\nFrom this commit on, schemas/ and {POLICY_FILE} change only "
               "through approved proposals.\n")
    commit = signed_commit(git, key, agent, tip, message, files)
    worktree = advance_main(git, commit, tip)
    return Adopted(commit, tip, agent.name, tuple(sorted(files)), kept, types, len(line),
                   worktree)
