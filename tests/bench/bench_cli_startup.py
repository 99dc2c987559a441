"""How long `senate --help` takes, against the bare interpreter start as the reference.

Target: under 0.3 s on this machine. Run: python tests/bench/bench_cli_startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path


def senate_command() -> list[str]:
    """The project's own `senate`: the entry point installed beside this interpreter
    (the venv's), never whatever else is on PATH; else the package run as a module."""
    script = Path(sys.executable).parent / "senate"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "senate"]


def timed(cmd: list[str], runs: int = 15) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    bare = timed([sys.executable, "-c", "pass"])
    help_time = timed([*senate_command(), "--help"])
    print(f"python -c pass      median {bare * 1000:7.1f} ms (reference)")
    print(f"senate --help       median {help_time * 1000:7.1f} ms "
          f"({help_time / bare:.1f}x the bare interpreter; target < 300 ms)")


if __name__ == "__main__":
    main()
