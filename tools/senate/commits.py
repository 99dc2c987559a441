"""Making signed commits the way `git commit -S` with gpg.format=ssh makes them."""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate import sshsig
from senate.errors import ForbiddenError
from senate.git import GitRepo, Person
from senate.policy import Agent, Policy


def agent_for_key(policy: Policy, key: Ed25519PrivateKey) -> Agent:
    """The roster member a private key belongs to: identity comes from the key alone."""
    public = sshsig.PublicKey.from_crypto(key.public_key())
    agent = policy.by_key().get(public.blob)
    if agent is None:
        raise ForbiddenError(
            f"the key {public.fingerprint()} is not on the roster in senate.toml",
            "sign with the key registered for your agent, or get it added by a governance "
            "proposal",
        )
    return agent


def signed_commit(
    git: GitRepo,
    key: Ed25519PrivateKey,
    agent: Agent,
    parent: str,
    message: str,
    changes: Mapping[str, bytes | None] | None = None,
    when: int | None = None,
) -> str:
    """Write a commit on `parent` (empty unless `changes`), signed by `key`; returns its id."""
    tree = git.build_tree(parent, changes) if changes else git.commit_tree(parent)
    person = Person(agent.name, agent.email, when)
    buffer = git.commit_buffer(tree, [parent], person, person, message)
    return git.write_commit(buffer, sshsig.sign(key, buffer))
