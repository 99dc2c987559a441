"""One pre-receive check at a time, and losers of a race told at once.

When many agents push to one proposal branch together, git runs all their hooks in
parallel; each costs a full check, yet only the first to finish can update the branch
(receive-pack refuses the others afterwards, when their expected old value no longer
matches). Serializing the hooks under a lock file and refusing, before any check, an
update whose old value is already stale turns that wasted work into a millisecond
refusal: the client fetches and retries on the new tip.

One gap remains: git moves the ref only after our hook has exited and released the lock.
An accepting hook therefore records its updates in a pending file; the next hook first
waits (briefly) for those to land before it compares old values.
"""

from __future__ import annotations

import fcntl
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# Deliberately light: this runs before the expensive imports of the real check, so that
# a push that lost a race is refused in milliseconds.

LOCK_FILE = "senate-hook.lock"
PENDING_FILE = "senate-hook.pending"
LOCK_WAIT = 120.0  # seconds before we give up and refuse: the server is overloaded
LAND_WAIT = 2.0  # seconds to wait for the previous accepted update to be applied
ZERO = "0" * 40
OBJECT_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


class BusyError(Exception):
    pass


class UnreadableUpdate(ValueError):
    """A line of the hook's input that is not `OLD NEW REF`: the push is refused."""


@dataclass(frozen=True)
class RefUpdate:
    """One line git feeds a pre-receive hook; None stands for the all-zero id."""

    old: str | None
    new: str | None
    ref: str


def parse_updates(text: str) -> list[RefUpdate]:
    """git's `OLD NEW REF` lines; anything else raises (enforcement fails closed: a line
    skipped would be a ref update never checked)."""
    updates = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or not all(OBJECT_ID.match(p) for p in parts[:2]):
            raise UnreadableUpdate(f"line {number} of the hook's input is not "
                                   f"`OLD-ID NEW-ID REF`: {line[:200]!r}")
        old, new, ref = parts
        updates.append(RefUpdate(None if old == ZERO else old, None if new == ZERO else new, ref))
    return updates


@contextmanager
def serialized(git_dir: Path) -> Iterator[None]:
    with open(git_dir / LOCK_FILE, "a+b") as handle:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BusyError("the server is busy checking other pushes") from None
                time.sleep(0.005)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def ref_values(git_dir: Path, refs: list[str]) -> dict[str, str]:
    """Current values of full ref names (absent refs are left out), as git sees them."""
    if not refs:
        return {}
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "for-each-ref", "--format=%(objectname) %(refname)",
         *refs], capture_output=True, text=True, check=True).stdout
    wanted = set(refs)
    return {ref: oid for oid, _, ref in (line.partition(" ") for line in out.splitlines())
            if ref in wanted}


def wait_for_pending(git_dir: Path) -> None:
    """Wait until the updates the previous hook accepted are visible (or give up)."""
    try:
        lines = (git_dir / PENDING_FILE).read_text().splitlines()
    except OSError:
        return
    pending = [(p[2], None if p[0] == "-" else p[0]) for line in lines
               if len(p := line.split()) == 3]
    deadline = time.monotonic() + LAND_WAIT
    while time.monotonic() < deadline:
        values = ref_values(git_dir, [ref for ref, _ in pending])
        if all(values.get(ref) != old for ref, old in pending):
            return
        time.sleep(0.005)
    # git did not apply it after all (its own check refused it): nobody should wait again.
    (git_dir / PENDING_FILE).unlink(missing_ok=True)


def record_pending(git_dir: Path, updates: list[RefUpdate]) -> None:
    text = "".join(f"{u.old or '-'} {u.new or '-'} {u.ref}\n" for u in updates)
    (git_dir / PENDING_FILE).write_text(text)


def stale_updates(git_dir: Path, updates: list[RefUpdate]) -> list[tuple[RefUpdate, str | None]]:
    """Updates whose expected old value is no longer the ref's value, with the current."""
    values = ref_values(git_dir, [u.ref for u in updates])
    return [(u, values.get(u.ref)) for u in updates if values.get(u.ref) != u.old]


# -- a fair queue for agents that lost a race ---------------------------------------------
# Without it, each race is won by whoever happens to reach the lock first after the branch
# moved, and an unlucky agent can lose every round while others keep arriving. Clients
# send a ticket as a push option (`senate-ticket=<random>`); a ticket is queued when its
# push loses a race, and while older tickets are waiting, a newer one is told to retry
# later: the longest-waiting agent goes first. Tickets not seen for QUEUE_EXPIRY seconds
# (an agent that gave up) are dropped so that nobody waits on them for long.
QUEUE_FILE = "senate-hook.queue"
QUEUE_EXPIRY = 20.0
TICKET_OPTION = "senate-ticket="


def push_ticket(environ: dict[str, str]) -> str | None:
    count = int(environ.get("GIT_PUSH_OPTION_COUNT", "0") or 0)
    for i in range(count):
        value = environ.get(f"GIT_PUSH_OPTION_{i}", "")
        if value.startswith(TICKET_OPTION) and value[len(TICKET_OPTION):].isalnum():
            return value[len(TICKET_OPTION):]
    return None


def _load_queue(git_dir: Path, now: float) -> list[tuple[str, float]]:
    try:
        lines = (git_dir / QUEUE_FILE).read_text().splitlines()
    except OSError:
        return []
    queue = []
    for line in lines:
        ticket, _, seen = line.partition(" ")
        try:
            if now - float(seen) < QUEUE_EXPIRY:
                queue.append((ticket, float(seen)))
        except ValueError:
            continue
    return queue


def _save_queue(git_dir: Path, queue: list[tuple[str, float]]) -> None:
    (git_dir / QUEUE_FILE).write_text("".join(f"{t} {s:.3f}\n" for t, s in queue))


def queue_position(git_dir: Path, ticket: str, lost_race: bool) -> int:
    """How many agents wait ahead of `ticket`; it joins the queue when it lost a race or
    must wait behind others (0: its turn)."""
    now = time.time()
    queue = _load_queue(git_dir, now)
    tickets = [t for t, _ in queue]
    if ticket in tickets:
        queue[tickets.index(ticket)] = (ticket, now)
        position = tickets.index(ticket)
    else:
        position = len(queue)
        if lost_race or position > 0:
            queue.append((ticket, now))
    _save_queue(git_dir, queue)
    return position


def leave_queue(git_dir: Path, ticket: str) -> None:
    queue = _load_queue(git_dir, time.time())
    _save_queue(git_dir, [(t, s) for t, s in queue if t != ticket])
