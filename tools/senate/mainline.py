"""Moving main forward: compare-and-swap on the ref, and the work tree kept in step.

Both `senate merge` and `senate archive` end here, so a checked-out main behaves the
same whichever wrote it.
"""

from __future__ import annotations

from typing import Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate import sshsig
from senate.commits import agent_for_key
from senate.errors import GitError, SenateError
from senate.git import GitRepo, Person
from senate.git.repo import MAIN
from senate.git.worktree import checkout_main, local_changes, main_checked_out, main_lock
from senate.proposals import policy_at

MAIN_REF = f"refs/heads/{MAIN}"
SENATE_PERSON = Person("senate", "senate@agents.invalid")
WorkTree = Literal["absent", "updated", "stale"]  # main not checked out / in step / behind


class LocalChanges(SenateError):
    """The work tree showing main has changes that updating it could lose."""

    kind = "conflict"


def advance_main(git: GitRepo, new: str, expected_old: str) -> WorkTree:
    """CAS main from `expected_old` to `new`, then bring a checked-out work tree along.

    Raises ConflictError when main moved (nothing written) and LocalChanges when the
    checked-out work tree is dirty (nothing written). Returns "stale" when main moved
    but the checkout failed (say, a git command held the index lock): the write stands.
    """
    if not main_checked_out(git):
        git.update_ref(MAIN_REF, new, expected_old)
        return "absent"
    with main_lock(git):
        if not main_checked_out(git):  # someone switched branches meanwhile
            git.update_ref(MAIN_REF, new, expected_old)
            return "absent"
        problems = local_changes(git, git.changed_paths(expected_old, new))
        if problems:
            listed = "; ".join(problems[:5]) + ("; ..." if len(problems) > 5 else "")
            raise LocalChanges(
                f"main is checked out in {git.workdir} with local changes: {listed}",
                "commit, stash or remove them (`git status`), then run the command again",
            )
        git.update_ref(MAIN_REF, new, expected_old)
        try:
            checkout_main(git)
        except GitError:
            return "stale"
    return "updated"


def worktree_note(state: WorkTree) -> str:
    if state != "stale":
        return ""
    return ("\nwarning: main moved but its work tree could not be updated; run "
            "`git checkout -f main` (there were no local changes)")


def write_main_commit(
    git: GitRepo, tree: str, parents: list[str], message: str, key: Ed25519PrivateKey | None
) -> str:
    """A commit for main: by `senate` unsigned, or by and signed by the key's roster agent.

    The agent is looked up on the roster at parents[0] (main as it is now).
    """
    if key is None:
        buffer = git.commit_buffer(tree, parents, SENATE_PERSON, SENATE_PERSON, message)
        return git.write_commit(buffer)
    agent = agent_for_key(policy_at(git, parents[0]), key)
    who = Person(agent.name, agent.email)
    buffer = git.commit_buffer(tree, parents, who, who, message)
    return git.write_commit(buffer, sshsig.sign(key, buffer))
