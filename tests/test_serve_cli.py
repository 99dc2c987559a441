"""`senate serve` (issue 12, item 7): a busy port is a usage error; the URLs are printed."""

from __future__ import annotations

import re
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from conftest import Governed
from remotekit import senate_cmd, senate_env


def test_serve_on_a_busy_port_says_so(governed: Governed, cli: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("--repo", governed.path, "serve", "--port", str(port))
    assert result.code == 2
    assert f"error: port {port} is in use" in result.err and "hint:" in result.err
    assert "Errno" not in result.err


def read_until(proc: subprocess.Popen[str], pattern: str, timeout: float = 30) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline and not re.search(pattern, seen):
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
    return seen


def test_serve_prints_the_api_docs_and_review_urls(governed: Governed, tmp_path: Path) -> None:
    proc = subprocess.Popen(senate_cmd("--repo", governed.path, "serve", "--port", "0"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=senate_env(), stdin=subprocess.DEVNULL)
    try:
        seen = read_until(proc, r"review pages: \S+")
        urls = dict(re.findall(r"^\s*(API|API docs|review pages):\s+(\S+)$", seen, re.M))
        assert set(urls) == {"API", "API docs", "review pages"}, seen
        assert urls["API docs"].endswith("/docs")
        assert httpx.get(urls["API"], timeout=10).status_code == 200
        assert httpx.get(urls["API docs"], timeout=10).status_code == 200
        assert httpx.get(urls["review pages"], timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
