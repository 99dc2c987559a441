"""Run a function in several threads switching as often as the interpreter allows, so
that a race in shared state (a memo's eviction, say) shows up in a test."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable


def race(work: Callable[[int], None], threads: int = 4) -> list[BaseException]:
    """Call work(0) ... work(threads - 1) at once; the exceptions they raised."""
    failures: list[BaseException] = []

    def run(k: int) -> None:
        try:
            work(k)
        except BaseException as exc:
            failures.append(exc)

    started = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in started:
            t.start()
        for t in started:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    return failures
