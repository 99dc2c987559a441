from __future__ import annotations

import socket

import click

from senate.cli.output import repo_path


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a busy port is a usage error (exit 2)
    rather than uvicorn's raw errno, and so that port 0 has a real number to print."""
    from senate.errors import UsageError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        import errno

        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} is in use",
                             "stop the server already listening there, or pick another "
                             "port with --port N") from exc
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         "check --host (an address of this machine) and --port") from exc
    return sock


def announce(host: str, port: int) -> None:
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    click.echo(f"Senate is serving the repository\n"
               f"  API:          {base}/api/schemas\n"
               f"  API docs:     {base}/docs\n"
               f"  review pages: {base}/senate/proposals\n"
               f"Press Ctrl+C to stop.")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port to listen on (0: any free port, printed at start).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes; writes stay serialised by the repository lock.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the HTTP API (/api, OpenAPI at /docs) and the review pages (/senate)."""
    import os
    from pathlib import Path

    import uvicorn

    from senate.api.app import REPO_ENV, create_app

    repo = str(Path(repo_path(ctx)).resolve())
    app = create_app(repo)  # a bad repository fails here, before anything listens
    sock = bind(host, port)
    if workers == 1:
        announce(host, sock.getsockname()[1])
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        server.run(sockets=[sock])
        return
    # uvicorn's workers bind for themselves: only the check and the announcement are ours.
    sock.close()
    announce(host, port)
    os.environ[REPO_ENV] = repo
    uvicorn.run("senate.api.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning")
