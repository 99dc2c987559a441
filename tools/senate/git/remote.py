"""Talking to the shared repository: list its refs, fetch, push with a lease.

The only module that calls pygit2's remote support. libgit2 failures are translated here,
once, into the errors below so that every command reports an unreachable server or a
refused push with the same clear sentence and no traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygit2
from pygit2.enums import CredentialType

from senate.errors import SenateError
from senate.git.repo import GitRepo

ZERO = "0" * 40


class RemoteError(SenateError):
    """The shared repository could not be reached or did not answer as expected."""

    kind = "unavailable"


class AuthError(RemoteError):
    """The server asked for credentials we do not have, or refused the ones we gave."""


class NetworkError(RemoteError):
    """The server cannot be reached: refused connection, unknown host, timeout."""


class RemoteNotFoundError(RemoteError):
    """No such remote name, or the URL names no repository."""

    kind = "not_found"


class PushRejectedError(RemoteError):
    """The server refused our update for a reason other than a race (e.g. its hook)."""

    kind = "failed"


@dataclass(frozen=True)
class PushResult:
    """What the server said: refs it refused (ref -> reason) and its side-band text."""

    rejected: Mapping[str, str] = field(default_factory=dict)
    server_text: str = ""
    lease_broken: bool = False  # the remote moved before we sent anything

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.lease_broken


class _LeaseBroken(Exception):
    """Raised inside push negotiation: a ref is not where we expected it on the server."""


class _NoCredentials(Exception):
    pass


class _Callbacks(pygit2.RemoteCallbacks):
    def __init__(self, leases: Mapping[str, str | None] | None = None) -> None:
        super().__init__()
        self.leases = dict(leases or {})
        self.rejected: dict[str, str] = {}
        self.text: list[str] = []
        self.auth_tries = 0

    def credentials(self, url: str, username_from_url: str | None,
                    allowed_types: CredentialType) -> Any:
        # libgit2 calls again after a refusal; a second call means the first was refused.
        self.auth_tries += 1
        if self.auth_tries > 1:
            raise _NoCredentials("the server refused the credentials")
        if allowed_types & CredentialType.SSH_KEY:
            return pygit2.KeypairFromAgent(username_from_url or "git")
        token = os.environ.get("SENATE_GIT_TOKEN") or os.environ.get("GITHUB_TOKEN")
        if allowed_types & CredentialType.USERPASS_PLAINTEXT and token:
            user = os.environ.get("SENATE_GIT_USERNAME") or username_from_url
            return pygit2.UserPass(user or "x-access-token", token)
        raise _NoCredentials("the server asks for credentials and none are configured")

    def sideband_progress(self, string: str) -> None:
        self.text.append(string)

    def push_negotiation(self, updates: list[Any]) -> None:
        # libgit2 tells us the server's current value of every ref we update, on the
        # same connection that then sends the commands: checking it here is exactly
        # `git push --force-with-lease=<ref>:<expected>`; the server re-checks the old
        # value under its ref lock, so a race after this point is refused there.
        for update in updates:
            if update.dst_refname not in self.leases:
                continue
            current = str(update.src)
            expected = self.leases[update.dst_refname] or ZERO
            if current != expected:
                raise _LeaseBroken(update.dst_refname)

    def push_update_reference(self, refname: str, message: str | None) -> None:
        if message is not None:
            self.rejected[refname] = message


def _remote(git: GitRepo, remote: str) -> pygit2.Remote:
    """A configured remote by name, or an anonymous one for a URL or a local path."""
    repo = git.pygit2_repo
    if remote in repo.remotes.names():
        return repo.remotes[remote]
    if "://" in remote or remote.startswith("git@"):
        return repo.remotes.create_anonymous(remote)
    if Path(remote).is_dir():
        return repo.remotes.create_anonymous(str(Path(remote).resolve()))
    raise RemoteNotFoundError(
        f"no remote named {remote!r} in {git.path}",
        f"add it with `git remote add {remote} URL`, or pass the URL itself",
    )


def _translate(exc: BaseException, remote: str, action: str) -> SenateError:
    if isinstance(exc, _NoCredentials):
        return AuthError(
            f"authentication failed while trying to {action} {remote}: {exc}",
            "for ssh load your key into ssh-agent; for https set SENATE_GIT_TOKEN "
            "(and SENATE_GIT_USERNAME if the server needs one)",
        )
    text = str(exc)
    low = text.lower()
    if any(s in low for s in ("authentication", "401", "403", "credential", "permission")):
        return AuthError(f"authentication failed while trying to {action} {remote}: {text}",
                         "check your credentials and your access to the repository")
    if any(s in low for s in ("404", "not found", "no such file", "failed to resolve path",
                              "not a git repository", "could not find repository",
                              "unsupported url")):
        return RemoteNotFoundError(f"{remote} is not a git repository we can {action}: {text}",
                                   "check the remote's URL (`git remote -v`)")
    if any(s in low for s in ("failed to connect", "connection refused", "resolve address",
                              "timed out", "network is unreachable", "connection reset",
                              "ssl")):
        return NetworkError(f"cannot reach {remote} to {action} it: {text}",
                            "check the URL and your network, then run the command again")
    return RemoteError(f"could not {action} {remote}: {text}")


def ls_remote(git: GitRepo, remote: str) -> dict[str, str]:
    """Every ref the remote advertises -> its commit id (tags as their own ids)."""
    rem = _remote(git, remote)
    callbacks = _Callbacks()
    try:
        heads = rem.list_heads(callbacks=callbacks)
    except (pygit2.GitError, _NoCredentials, OSError) as exc:
        raise _translate(callbacks_error(callbacks, exc), remote, "read") from None
    return {h.name: str(h.oid) for h in heads if h.name and not h.name.endswith("^{}")}


def fetch(git: GitRepo, remote: str, refspecs: list[str]) -> None:
    """Fetch with explicit refspecs (no configured defaults, no pruning)."""
    rem = _remote(git, remote)
    callbacks = _Callbacks()
    try:
        rem.fetch(refspecs, callbacks=callbacks, prune=pygit2.enums.FetchPrune.NO_PRUNE)
    except (pygit2.GitError, _NoCredentials, OSError) as exc:
        raise _translate(callbacks_error(callbacks, exc), remote, "fetch from") from None


def push(
    git: GitRepo, remote: str, leases: Mapping[str, str | None], options: list[str] | None = None
) -> PushResult:
    """Push each local ref in `leases` (absent locally: delete it on the remote) only if
    the remote's value is still the expected one (None: the ref must not exist there).

    `options` are push options for the server's hooks; a server that does not accept
    push options gets the push without them."""
    specs = []
    for ref in leases:
        specs.append(f"+{ref}:{ref}" if git.ref_target(ref) is not None else f":{ref}")
    if not specs:
        return PushResult()
    rem = _remote(git, remote)
    if is_local(rem.url or ""):
        return _push_through_receive_pack(git, remote, leases, options or [])
    callbacks = _Callbacks(leases)
    try:
        rem.push(specs, callbacks=callbacks, push_options=options or None)
    except (pygit2.GitError, _LeaseBroken, _NoCredentials, OSError) as exc:
        cause = callbacks_error(callbacks, exc)
        if options and "push option" in str(cause).lower():
            return push(git, remote, leases, None)
        if isinstance(cause, _LeaseBroken):
            return PushResult({}, "".join(callbacks.text), lease_broken=True)
        raise _translate(cause, remote, "push to") from None
    return PushResult(dict(callbacks.rejected), "".join(callbacks.text))


def is_local(url: str) -> bool:
    """A path or file:// URL: libgit2 would write such a remote directly, in-process."""
    if url.startswith("file://"):
        return True
    return "://" not in url and ":" not in url.split("/")[0]


def _push_through_receive_pack(
    git: GitRepo, remote: str, leases: Mapping[str, str | None], options: list[str],
    atomic_ok: bool = True,
) -> PushResult:
    """Push to a repository on this machine through `git push`.

    libgit2's local transport copies objects and moves refs itself, so the remote's
    pre-receive hook never runs. Going through git's receive-pack keeps a self-hosted
    repository's enforcement in force for clones on the same host, and gives the same
    lease (`--force-with-lease=<ref>:<expected>`, empty: must not exist).
    """
    import subprocess

    # --atomic: an archive moves main, creates a tag and deletes a branch; all or none.
    atomic = ["--atomic"] if len(leases) > 1 and atomic_ok else []
    args = ["git", "--git-dir", str(git.path), "push", "--porcelain", *atomic,
            *[f"--push-option={o}" for o in options], remote]
    for ref, expected in leases.items():
        args.insert(-1, f"--force-with-lease={ref}:{expected or ''}")
        args.append(f"{ref}:{ref}" if git.ref_target(ref) is not None else f":{ref}")
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RemoteError(f"could not run git to push to {remote}: {exc}") from None
    rejected: dict[str, str] = {}
    stale = False
    for line in done.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] == "!":
            dst = parts[1].partition(":")[2]
            stale = stale or "stale info" in parts[2] or "fetch first" in parts[2]
            rejected[dst] = parts[2]
    text = "".join(line[len("remote: "):].rstrip() + "\n" for line in done.stderr.splitlines()
                   if line.startswith("remote: "))
    if done.returncode != 0 and not rejected:
        if options and "push option" in done.stderr.lower():
            return _push_through_receive_pack(git, remote, leases, [], atomic_ok)
        if atomic and "atomic" in done.stderr.lower():
            return _push_through_receive_pack(git, remote, leases, options, False)
        detail = (done.stderr.strip() or done.stdout.strip()
                  or f"git push exited with status {done.returncode}")
        if "fatal:" in done.stderr:
            raise _translate(GitCommandError(detail), remote, "push to")
        # No verdict per ref: the caller fetches to see whether it landed or lost a race.
        return PushResult({"(every ref)": detail}, text)
    if stale:
        return PushResult({}, text, lease_broken=True)
    return PushResult(rejected, text)


class GitCommandError(Exception):
    pass


def callbacks_error(callbacks: _Callbacks, exc: BaseException) -> BaseException:
    """The exception a callback raised, which pygit2 may wrap or re-raise."""
    stored = getattr(callbacks, "_stored_exception", None)
    return stored if isinstance(stored, BaseException) else exc


def open_as_git_does(path: str) -> GitRepo:
    """Open the repository the way git's own commands would from a hook.

    In a pre-receive hook the pushed objects are still in git's quarantine directory:
    git points GIT_OBJECT_DIRECTORY at it and lists the real object store in
    GIT_ALTERNATE_OBJECT_DIRECTORIES. libgit2 ignores those variables when a repository
    is opened by path, so the pushed commits would be invisible; opened FROM_ENV it
    honours them, and anything we write (merge trees) lands in the quarantine, which
    git throws away when the push is refused.
    """
    from pygit2.enums import RepositoryOpenFlag

    try:
        repo = pygit2.Repository(path, RepositoryOpenFlag.FROM_ENV)
    except (pygit2.GitError, KeyError) as exc:
        raise RemoteNotFoundError(f"{path} is not a git repository") from exc
    return GitRepo(repo)


def clear_refs(git: GitRepo, prefix: str) -> None:
    """Delete every ref under `prefix` (a private staging namespace, never a branch)."""
    assert prefix.startswith("refs/senate/"), prefix
    refs = git.pygit2_repo.references
    for name in [n for n in refs if n.startswith(prefix)]:
        refs.delete(name)


def enable_push_options(git: GitRepo) -> None:
    """receive.advertisePushOptions: lets clients send their queue ticket to the hook."""
    git.pygit2_repo.config["receive.advertisePushOptions"] = "true"
