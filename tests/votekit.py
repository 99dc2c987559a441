"""Building real signed (and deliberately wrong) vote commits for the tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import Governed

from senate import sshsig
from senate.git import GitRepo, Person
from senate.policy import default_email
from senate.trailers import format_vote_message


def git(path: Path, *args: str, check: bool = True) -> str:
    return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True,
                          check=check).stdout


def tip(g: Governed, pid: str) -> str:
    return git(g.path, "rev-parse", f"proposal/{pid}").strip()


def content_id(g: Governed, pid: str) -> str:
    """The proposal's current content id, computed as the counter computes it."""
    from senate.content import content_id_between
    from senate.proposals import find_proposal

    ref = find_proposal(g.git, pid)
    return content_id_between(g.git, ref.base, ref.tip)


def make_commit(
    g: Governed,
    parent: str,
    message: str,
    *,
    signer: str | None,
    author: tuple[str, str] | None = None,
    changes: dict[str, bytes | None] | None = None,
    parents: list[str] | None = None,
    when: int | None = None,
) -> str:
    """A commit object on `parent`; signed with `signer`'s key unless None."""
    repo: GitRepo = g.git
    tree = repo.build_tree(parent, changes) if changes else repo.commit_tree(parent)
    name, email = author or ((signer or "nobody"), default_email(signer or "nobody"))
    person = Person(name, email, when)
    buffer = repo.commit_buffer(tree, parents or [parent], person, person, message)
    if signer is None:
        return repo.write_commit(buffer)
    key = sshsig.load_private_key(g.keys[signer].private)
    return repo.write_commit(buffer, sshsig.sign(key, buffer))


def vote(
    g: Governed,
    pid: str,
    agent: str,
    decision: str | None = "approve",
    *,
    reason: str = "",
    message: str | None = None,
    proposal: str | None = None,
    pin: str | None = None,
    **kwargs: object,
) -> str:
    """Append a vote commit to proposal/<pid> and move the branch to it."""
    parent = tip(g, pid)
    text = message if message is not None else format_vote_message(
        proposal or pid, decision, pin or content_id(g, pid),  # type: ignore[arg-type]
        reason or f"{agent} thinks so",
    )
    oid = make_commit(g, parent, text, signer=kwargs.pop("signer", agent),  # type: ignore[arg-type]
                      **kwargs)  # type: ignore[arg-type]
    git(g.path, "update-ref", f"refs/heads/proposal/{pid}", oid, parent)
    return oid


def write_raw(g: Governed, data: bytes) -> str:
    return subprocess.run(
        ["git", "-C", str(g.path), "hash-object", "-t", "commit", "-w", "--literally", "--stdin"],
        input=data, capture_output=True, check=True,
    ).stdout.decode().strip()
