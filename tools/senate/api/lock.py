"""One writer at a time per repository, across threads and server processes.

flock locks belong to an open file description, so each holder opens the file itself:
two threads of one process exclude each other just like two processes. The kernel drops
the lock when its holder dies, so a killed server never leaves the repository locked.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from senate.git import GitRepo

LOCK_NAME = "senate-api.lock"


@contextmanager
def repo_lock(git: GitRepo) -> Iterator[None]:
    fd = os.open(git.path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
