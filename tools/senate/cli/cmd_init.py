from __future__ import annotations

from pathlib import Path

import click

from senate.cli.output import emit, json_option


@click.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--agent",
    "agents",
    multiple=True,
    required=True,
    metavar="NAME=PUBKEY_FILE",
    help="A roster agent and its OpenSSH ed25519 public key file; repeat for each agent. "
    "Append ':novote' to the file for an agent without voting rights.",
)
@json_option
def init(path: Path, agents: tuple[str, ...]) -> None:
    """Create a governed repository at PATH (new or empty folder), branch main, one commit."""
    from senate.initrepo import init_repo, parse_agent_option
    from senate.registry import list_types

    specs = [parse_agent_option(a) for a in agents]
    git, commit = init_repo(path, specs)
    types = list_types(git, commit)
    emit(
        {
            "path": str(path.resolve()),
            "commit": commit,
            "agents": [s.name for s in specs],
            "types": types,
        },
        f"initialised governed repository at {path} ({len(specs)} agents, "
        f"{len(types)} schemas, commit {commit[:12]})",
    )
