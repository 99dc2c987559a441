from __future__ import annotations

import tempfile
from pathlib import Path

import click

from senate.cli.output import OUTPUT, emit, json_option


@click.command()
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path),
              help="Run in this (new) folder and keep it, instead of a temporary one.")
@json_option
def demo(keep: Path | None) -> None:
    """Run the whole flow on an embedded default in a temporary governed repository."""
    from senate.demo import run_demo

    def say(line: str) -> None:
        if not OUTPUT.json:
            click.echo(line)

    if keep is not None:
        from senate.initrepo import create_folder

        create_folder(keep)
        log = run_demo(keep, say)
    else:
        with tempfile.TemporaryDirectory(prefix="senate-demo-") as tmp:
            log = run_demo(Path(tmp), say)
    emit({"steps": log.steps}, "\ndemo finished")
