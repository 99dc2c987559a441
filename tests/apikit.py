"""A real uvicorn server on 127.0.0.1 (in a thread or a subprocess) for the API tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn

from senate.api.app import create_app

TOOLS = Path(__file__).resolve().parent.parent / "tools"


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def free_port() -> int:
    with free_socket() as sock:
        return int(sock.getsockname()[1])


def wait_ready(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"no server at {url}")


@contextmanager
def serve_in_thread(repo: Path, body_limit: int | None = None) -> Iterator[str]:
    """uvicorn in a thread of this process, on a socket bound before it starts."""
    app = create_app(repo) if body_limit is None else create_app(repo, body_limit)
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", backlog=512))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def start_subprocess(repo: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    """`senate serve` as its own process (so a test can kill -9 it)."""
    return subprocess.Popen(
        [sys.executable, "-c", "from senate.cli.main import main; main()",
         "--repo", str(repo), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env={"PYTHONPATH": str(TOOLS), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


@contextmanager
def serve_in_subprocess(
    repo: Path, workers: int = 1
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = start_subprocess(repo, port, workers)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=10)


def fsck(repo: Path) -> str:
    """`git fsck --strict` output; fails on any error (dangling objects are fine)."""
    out = subprocess.run(["git", "-C", str(repo), "fsck", "--strict", "--no-progress"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    bad = [line for line in (out.stdout + out.stderr).splitlines()
           if not line.startswith(("dangling ", "Checking", "notice"))]
    assert not bad, bad
    return out.stdout


def first_parent_chain(repo: Path, tip: str, base: str) -> list[str]:
    """The commits base..tip, oldest first, asserting each has exactly one parent."""
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--parents", "--reverse", f"{base}..{tip}"],
        capture_output=True, text=True, check=True).stdout.split("\n")
    chain: list[str] = []
    expected_parent = base
    for line in filter(None, out):
        oid, *parents = line.split()
        assert parents == [expected_parent], f"{oid} has parents {parents}"
        chain.append(oid)
        expected_parent = oid
    return chain
