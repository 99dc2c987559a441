"""Opening a proposal over HTTP in two steps, with the server never holding a key.

1. draft: the agent sends the metadata and its public key; the server checks the change
   against main exactly as `senate propose` does, computes the new tree in memory (it
   writes nothing: a draft is unsigned, anyone may send it) and answers with the exact
   unsigned commit object and its proposal id.
2. submit: the agent signs that object and posts it back. The server rebuilds the
   expected tree and message from the metadata inside it and accepts only a commit on the
   current main, signed by the proposer's roster key, whose tree and message are exactly
   those. Then, under the repository lock, it stores the object and creates the branch
   (atomic, never overwrites), writing the blobs and trees only then. No state is kept
   between the steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from senate.api.commitbytes import commit_bytes, identity_now
from senate.api.lock import repo_lock
from senate.api.rejections import Rejected, SignatureRejected, StaleParent
from senate.ballots import KeyRing, signer
from senate.compatibility import verdict_for
from senate.errors import ConflictError, UsageError
from senate.git import GitRepo
from senate.git.trees import hashed_tree
from senate.policy import Agent
from senate.proposal import PROPOSALS_DIR, check_id, load_meta
from senate.proposals import branch_ref, claim_branch, main_tip, next_number, policy_at
from senate.propose import (
    ProposalRequest,
    created_stamp,
    prepare_schema_change,
    proposal_content,
    request_from_meta,
    slug_for,
)
from senate.rawcommit import parse_commit
from senate.sshsig import PublicKey

SUBJECT = re.compile(r"propose\(([^)\n]*)\): ")
FREE_ID_TRIES = 50


@dataclass(frozen=True)
class Draft:
    id: str
    parent: str
    tree: str
    commit: bytes  # the unsigned object to sign
    files: dict[str, bytes]  # the proposal folder's files the tree holds, by name


def proposer_for(git: GitRepo, main: str, public_key: str) -> Agent:
    key = PublicKey.parse(public_key, "proposer_key")
    agent = policy_at(git, main).by_key().get(key.blob)
    if agent is None:
        raise SignatureRejected(
            "unknown_key", f"the key {key.fingerprint()} is not on the roster on main",
            "propose with the key registered for your agent in senate.toml",
        )
    return agent


def draft_proposal(git: GitRepo, public_key: str, request: ProposalRequest) -> Draft:
    main = main_tip(git)
    agent = proposer_for(git, main, public_key)
    old, new = prepare_schema_change(git, main, request)
    claim = request.claim_compatible
    if claim is None:
        claim = bool(verdict_for(old, new, policy_at(git, main)).compatible)
    number, slug = next_number(git), slug_for(request)
    proposal_id = next(
        (pid for n in range(FREE_ID_TRIES)
         if git.ref_target(branch_ref(pid := f"{number + n:04d}-{slug}")) is None),
        None,
    )
    if proposal_id is None:
        raise ConflictError("could not find a free proposal id", "try again")
    content = proposal_content(request, new, proposal_id, agent.name, claim,
                               created_stamp(datetime.now(UTC)))
    tree = hashed_tree(git, git.commit_tree(main), content.changes)
    # Built by hand, not by libgit2, which insists that the tree be written already.
    person = identity_now(agent.name, agent.email)
    buffer = commit_bytes(tree, [main], person, person, content.message)
    folder = f"{PROPOSALS_DIR}/{proposal_id}/"
    files = {p[len(folder):]: d for p, d in content.changes.items()
             if p.startswith(folder) and d is not None}
    return Draft(proposal_id, main, tree, buffer, files)


def accept_proposal(git: GitRepo, data: bytes, files: dict[str, bytes]) -> str:
    """Check a signed proposal commit and the files it says it holds against each other
    and against main; only then write the objects and create its branch."""
    raw = parse_commit(data)
    if raw.problems:
        raise Rejected("ambiguous", "the commit object is malformed: " + "; ".join(raw.problems))
    main = main_tip(git)
    if raw.parents != (main,):
        raise StaleParent(f"main is at {main[:12]}; draft the proposal again",
                          {"main": main})
    agent, problem, detail = signer(raw, KeyRing(policy_at(git, main)))
    if problem is not None or agent is None:
        raise SignatureRejected(problem or "unsigned", f"the proposal commit: {detail}")
    author = raw.author
    if author is None or (author.name, author.email) != (agent.name, agent.email):
        raise SignatureRejected("author_mismatch",
                                f"signed by {agent.name}'s key but authored as someone else")
    message = raw.message.decode("utf-8", "replace")
    match = SUBJECT.match(message)
    if match is None:
        raise Rejected("not_a_proposal", "the subject is not `propose(<id>): ...`")
    proposal_id = check_id(match.group(1))
    folder = f"{PROPOSALS_DIR}/{proposal_id}"
    meta_raw, sql = files.get("proposal.json"), files.get("migration.sql")
    if meta_raw is None or sql is None:
        raise Rejected("not_a_proposal", "send the draft's files with the signed commit")
    meta = load_meta(meta_raw, f"{folder}/proposal.json")
    if meta.id != proposal_id or meta.proposer != agent.name:
        raise Rejected("not_a_proposal", "the metadata names another id or proposer")
    request = request_from_meta(meta, sql.decode("utf-8", "replace"))
    _, new = prepare_schema_change(git, main, request)
    expected = proposal_content(request, new, proposal_id, agent.name,
                                meta.backward_compatible, meta.created_at)
    if (hashed_tree(git, git.commit_tree(main), expected.changes) != raw.tree
            or expected.message != message):
        raise UsageError(
            "the commit is not the proposal its metadata describes",
            "sign the exact object the draft step returned",
        )
    with repo_lock(git):
        if main_tip(git) != main:
            raise StaleParent("main moved; draft the proposal again", {"main": main_tip(git)})
        if git.build_tree(main, expected.changes) != raw.tree:
            raise UsageError("the tree does not match its files", "draft the proposal again")
        oid = git.write_raw_commit(data)
        if not claim_branch(git, proposal_id, oid):
            raise StaleParent(f"another proposal took number {proposal_id[:4]}; draft again",
                              {"main": main})
    return proposal_id
