from __future__ import annotations

import click

from senate.cli.output import repo_path


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the HTTP API (/api, OpenAPI at /docs) and the review pages (/senate)."""
    import uvicorn

    from senate.api.app import create_app

    uvicorn.run(create_app(repo_path(ctx)), host=host, port=port, log_level="warning")
