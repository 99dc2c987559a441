"""Working against a shared repository: read its state, write on its latest tip, push.

Policy for local commits the remote does not have (documented in docs/remotes.md): the
remote wins. Before a command reads or writes with --fetch/--push, each synced local ref
is set to the remote's value. A local ref that is merely behind is fast-forwarded; one
holding commits the remote lacks (a vote made without --push, say) is moved to the
remote's value and its old tip is kept under refs/senate/unpushed/..., with a warning.
We never publish commits a command did not make itself: replaying someone's unpushed
vote on a new tip would need to re-sign it, which only its author can do.

Writes push with a lease (the value we fetched), so a concurrent push makes ours fail
instead of overwriting it; we then fetch again, drop our commit (it stays unreferenced),
re-run the operation on the new tip (which re-creates and re-signs it) and push again.
"""

from __future__ import annotations

import hashlib
import random
import re
import secrets
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from senate.errors import ConflictError
from senate.git import GitRepo
from senate.git.remote import PushRejectedError, clear_refs, fetch, push
from senate.git.repo import MAIN

T = TypeVar("T")

# Each round of a race has one winner, so an agent may lose as many rounds as there are
# agents pushing to the same branch at once; 40 covers twice the 20-agent case. Backoff:
# 50 ms doubled per attempt, full jitter, capped at 1 s so that a long-time loser is not
# also the one waiting longest before trying again.
ATTEMPTS = 40
BACKOFF_BASE = 0.05
BACKOFF_CAP = 1.0
TURN_SECONDS = 0.5  # about one hook check under load: what each agent ahead of us needs
QUEUE_POLL_CAP = 6.0
UNPUSHED_PREFIX = "refs/senate/unpushed/"
RETRY_RE = re.compile(r"senate: retry after (\d+)")
READ_REFS = ["refs/heads/main", "refs/heads/proposal/*", "refs/tags/archive/*"]


def staging_prefix(remote: str) -> str:
    """Where fetched values land before they are applied: private, one per remote."""
    safe = remote if remote.replace("-", "").replace("_", "").isalnum() else (
        "url-" + hashlib.sha1(remote.encode()).hexdigest()[:12]
    )
    return f"refs/senate/remotes/{safe}/"


def _matches(ref: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("*") and ref.startswith(pattern[:-1]):
            return True
        if ref == pattern:
            return True
    return False


def local_values(git: GitRepo, patterns: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pattern in patterns:
        if pattern.endswith("*"):
            prefix = pattern[:-1]
            out.update({n: v for n in git.ref_names(prefix)
                        if (v := git.ref_target(n)) is not None})
        elif (value := git.ref_target(pattern)) is not None:
            out[pattern] = value
    return out


def fetch_values(git: GitRepo, remote: str, patterns: list[str]) -> dict[str, str]:
    """The remote's current value of every ref matching `patterns` (objects fetched)."""
    stage = staging_prefix(remote)
    clear_refs(git, stage)  # so a ref deleted on the remote does not linger here
    fetch(git, remote, [f"+{p}:{stage}{p[len('refs/'):]}" for p in patterns])
    staged = local_values(git, [stage + "*"])
    return {"refs/" + name[len(stage):]: oid for name, oid in staged.items()}


def apply_remote(
    git: GitRepo, remote_values: dict[str, str], ours: dict[str, str] | None = None
) -> list[str]:
    """Set local refs to the remote's values; returns warnings about kept local commits.

    `ours` maps refs to commits this very command made and failed to push: those are
    dropped silently (the retry re-creates them) instead of being kept as unpushed.
    """
    ours = ours or {}
    warnings: list[str] = []
    main_moved = False
    for ref, value in remote_values.items():
        local = git.ref_target(ref)
        if local == value:
            continue
        if local is None:
            git.create_ref(ref, value)
        else:
            # Only branches fast-forward; a tag that changed is never merely "behind".
            behind = ref.startswith("refs/heads/") and git.is_ancestor(local, value)
            if ours.get(ref) != local and not behind:
                backup = f"{UNPUSHED_PREFIX}{ref[len('refs/'):]}/{local[:12]}"
                if git.ref_target(backup) is None:
                    git.create_ref(backup, local)
                warnings.append(
                    f"{ref} had local commits the remote does not have; "
                    f"kept them at {backup} and took the remote's {value[:12]}"
                )
            git.update_ref(ref, value, local)
        main_moved = main_moved or ref == f"refs/heads/{MAIN}"
    for ref, value in ours.items():
        # A ref we created that the remote still lacks: remove our abandoned commit.
        if ref not in remote_values and git.ref_target(ref) == value:
            git.delete_ref(ref, value)
    if main_moved:
        git.checkout_main_if_head()
    return warnings


def sync_for_read(git: GitRepo, remote: str, patterns: list[str] | None = None) -> None:
    """Make the local refs that commands read equal to the remote's (remote wins)."""
    values = fetch_values(git, remote, patterns or READ_REFS)
    for warning in apply_remote(git, values):
        print(f"warning: {warning}", file=sys.stderr)


def backoff(attempt: int, ahead: int | None = None) -> float:
    """Exponential with full jitter; when the server's hook told us how many agents wait
    ahead of us, sleep about that many turns instead (0: our turn, go at once), and
    never so long that the hook forgets our place (QUEUE_EXPIRY is 20 s)."""
    if ahead is not None:
        return min(QUEUE_POLL_CAP, TURN_SECONDS * ahead) * random.uniform(0.8, 1.2)
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))


def write_and_push(
    git: GitRepo, remote: str, patterns: list[str], operation: Callable[[], T]
) -> T:
    """Fetch `patterns`, run `operation` on the remote's tips, push what it changed with
    a lease; on a race fetch again and redo the operation (bounded, with jitter)."""
    remote_values = fetch_values(git, remote, patterns)
    for warning in apply_remote(git, remote_values):
        print(f"warning: {warning}", file=sys.stderr)
    # Our place in the server hook's queue of agents that lost a race (senate.hooklock).
    ticket = [f"senate-ticket={secrets.token_hex(8)}"]
    for attempt in range(ATTEMPTS):
        before = local_values(git, patterns)
        result = operation()
        after = local_values(git, patterns)
        changed = sorted(r for r in set(before) | set(after) if before.get(r) != after.get(r))
        if not changed:
            return result
        leases = {ref: remote_values.get(ref) for ref in changed}
        outcome = push(git, remote, leases, ticket)
        if outcome.ok:
            return result
        remote_values = fetch_values(git, remote, patterns)
        if all(remote_values.get(r) == after.get(r) for r in changed):
            return result  # it landed after all (e.g. the answer was lost)
        queued = RETRY_RE.search(outcome.server_text)
        raced = outcome.lease_broken or queued is not None or any(
            remote_values.get(r) != leases[r] for r in changed
        )
        # Our commit is dropped locally either way: on a race it is rebuilt on the new
        # tip; on a refusal the remote's state is the truth (the reason is reported).
        ours = {r: v for r, v in after.items() if r in changed}
        apply_remote(git, remote_values, ours)
        if not raced:
            reasons = "; ".join(f"{ref}: {why}" for ref, why in outcome.rejected.items())
            raise PushRejectedError(
                f"{remote} refused the push ({reasons})"
                + (f"\n{outcome.server_text.strip()}" if outcome.server_text.strip() else ""),
                "the server's hook explains why; nothing was changed there",
            )
        time.sleep(backoff(attempt, int(queued.group(1)) if queued else None))
    raise ConflictError(
        f"{remote} kept moving: gave up after {ATTEMPTS} attempts to push {', '.join(patterns)}",
        "run the command again",
    )
