from __future__ import annotations

import click

from senate.cli.output import repo_path


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
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
    if workers == 1:
        uvicorn.run(create_app(repo), host=host, port=port, log_level="warning")
        return
    create_app(repo)  # fail here, not in every worker
    os.environ[REPO_ENV] = repo
    uvicorn.run("senate.api.app:app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning")
