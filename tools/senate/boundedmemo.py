"""A memo of at most N entries, the oldest dropped first, safe to share between threads.

Reads are plain dict reads; only `keep` takes the lock, so two threads evicting at once
cannot drop the same entry twice (the API counts in several threads)."""

from __future__ import annotations

import threading
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedDict(dict[K, V]):
    def __init__(self, most: int) -> None:
        super().__init__()
        self.most = most
        self._lock = threading.Lock()

    def keep(self, key: K, value: V) -> None:
        with self._lock:
            if len(self) >= self.most:
                del self[next(iter(self))]   # the oldest entry
            self[key] = value
