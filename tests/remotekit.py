"""A shared bare repository with the hook, clones of it, and a real git HTTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import senate

TOOLS = str(Path(senate.__file__).resolve().parent.parent)


def senate_env() -> dict[str, str]:
    """The environment for a `python -m senate` subprocess running this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = TOOLS + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result


def senate_cmd(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "senate", *[str(a) for a in args]]


def run_senate(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(senate_cmd(*args), capture_output=True, text=True, env=senate_env())


def make_shared(source: Path, bare: Path, cli: object) -> Path:
    """A bare copy of `source` with the senate hook installed (as an admin would)."""
    run_git(source.parent, "clone", "-q", "--bare", str(source), str(bare))
    run_git(bare, "config", "http.receivepack", "true")
    result = cli("hook", "install", bare)  # type: ignore[operator]
    assert result.code == 0, result.err
    return bare


def clone(url: str, path: Path) -> Path:
    run_git(path.parent, "clone", "-q", url, str(path))
    run_git(path, "config", "user.name", "tester")
    run_git(path, "config", "user.email", "tester@example.invalid")
    return path


def remote_tip(bare: Path, ref: str) -> str | None:
    result = run_git(bare, "rev-parse", "--verify", "-q", ref, check=False)
    return result.stdout.strip() or None


def remote_refs(bare: Path) -> str:
    """Every ref and its value: to show that a refused push changed nothing."""
    return run_git(bare, "for-each-ref", "--format=%(objectname) %(refname)").stdout


# -- git over HTTP -------------------------------------------------------------------------
@dataclass
class HttpGit:
    root: Path
    port: int

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


class _GitCgi(BaseHTTPRequestHandler):
    """Runs `git http-backend` (git's own smart-HTTP server) for every request."""

    root: Path

    def do_GET(self) -> None:
        self._backend()

    def do_POST(self) -> None:
        self._backend()

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _backend(self) -> None:
        path, _, query = self.path.partition("?")
        body = self._body()
        env = dict(senate_env())
        env.update({
            "GIT_PROJECT_ROOT": str(self.root), "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
            "GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.0",
        })
        for header, var in (("Content-Encoding", "HTTP_CONTENT_ENCODING"),
                            ("Git-Protocol", "GIT_PROTOCOL")):
            if self.headers.get(header):
                env[var] = self.headers[header]
        out = subprocess.run(["git", "http-backend"], input=body, capture_output=True,
                             env=env).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def http_git(root: Path) -> Iterator[HttpGit]:
    """Serve every repository under `root` over smart HTTP on 127.0.0.1."""
    handler = type("Handler", (_GitCgi,), {"root": root})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield HttpGit(root, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class _AuthWall(BaseHTTPRequestHandler):
    """A server that wants credentials it never accepts."""

    def do_GET(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="git"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def auth_wall() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AuthWall)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/x.git"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
