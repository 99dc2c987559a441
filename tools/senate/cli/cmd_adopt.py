"""`senate adopt PATH`: one signed commit puts an existing repository under Senate."""

from __future__ import annotations

from pathlib import Path

import click

from senate.cli.output import emit, json_option


@click.command()
@click.argument("path", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--agent", "agents", multiple=True, metavar="NAME=PUBKEY_FILE",
              help="A roster agent (as for `senate init`); repeat for each. Omit when the "
              "repository already has a senate.toml, whose roster is then kept.")
@click.option("--key", required=True, type=click.Path(dir_okay=False, exists=True),
              help="Private key of a roster agent: it signs the adoption commit.")
@json_option
def adopt(path: Path, agents: tuple[str, ...], key: str) -> None:
    """Govern an existing repository from now on; earlier history is 'before governance'."""
    from senate.adopt import adopt as run_adopt
    from senate.initrepo import parse_agent_option
    from senate.sshsig import load_private_key

    specs = [parse_agent_option(a) for a in agents]
    done = run_adopt(path, specs, load_private_key(key))
    emit(done.to_json(),
         f"adopted {path}: main -> {done.commit[:12]}, signed by {done.signer}; "
         f"{done.earlier_commits} earlier commit(s) up to {done.adopted_after[:12]} are "
         f"before governance; {len(done.types)} schemas governed from now on")
