"""`senate govern add|remove|rotate|grant|revoke|set`: open a governance proposal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from senate.cli.output import emit, json_option, repo_path
from senate.cli.remote_opts import push_option, write_through

F = TypeVar("F", bound=Callable[..., Any])


def common(func: F) -> F:
    decorated: Any = func
    for option in (
        click.option("--key", required=True, type=click.Path(dir_okay=False, exists=True),
                     help="Your private key (a roster agent): it signs the proposal."),
        click.option("--rationale", required=True, help="Why the roster or rules change."),
        json_option,
        push_option,
        click.pass_context,
    ):
        decorated = option(decorated)
    return cast(F, decorated)


@click.group()
def govern() -> None:
    """Propose a change to senate.toml: the roster, voting rights or a rule.

    A governance change passes with every eligible agent of the current roster (or its
    `governance` threshold), not counting the agents it removes or revokes; an added or
    rotated key must co-sign with an approve ballot.
    """


def _open(ctx: click.Context, key_path: str, rationale: str, push_remote: str | None,
          **change: Any) -> None:
    from senate.git import GitRepo
    from senate.govern import open_governance
    from senate.governance import GovernanceChange
    from senate.sshsig import load_private_key

    git = GitRepo.open(repo_path(ctx))
    private = load_private_key(key_path)
    wanted = GovernanceChange(**change)
    opened = write_through(git, push_remote, ["refs/heads/main", "refs/heads/proposal/*"],
                           lambda: open_governance(git, private, wanted, rationale))
    emit(opened.to_json(), f"opened {opened.branch}: {wanted.describe()}\n"
         f"rule: {opened.rule.reason}")


def _name_and_key(spec: str, form: str) -> tuple[str, str, bool]:
    """NAME=PUBKEY_FILE[:novote] -> (name, the key's OpenSSH text, has voting rights)."""
    from senate.errors import UsageError

    name, sep, path = spec.partition("=")
    if not sep or not path:
        raise UsageError(f"{spec!r} is not {form}")
    vote = not path.endswith(":novote")
    path = path.removesuffix(":novote")
    try:
        return name, " ".join(Path(path).read_text().split()[:2]), vote
    except OSError as exc:
        raise UsageError(f"cannot read public key file {path} for agent {name!r}") from exc


@govern.command()
@click.argument("spec", metavar="NAME=PUBKEY_FILE[:novote]")
@common
def add(ctx: click.Context, spec: str, key: str, rationale: str,
        push_remote: str | None) -> None:
    """Add an agent (with voting rights unless :novote)."""
    name, public, vote = _name_and_key(spec, "NAME=PUBKEY_FILE[:novote]")
    _open(ctx, key, rationale, push_remote, op="add", agent=name, key=public, vote=vote)


@govern.command()
@click.argument("spec", metavar="NAME=NEW_PUBKEY_FILE")
@common
def rotate(ctx: click.Context, spec: str, key: str, rationale: str,
           push_remote: str | None) -> None:
    """Replace an agent's key (the new key must co-sign)."""
    name, public, _ = _name_and_key(spec, "NAME=NEW_PUBKEY_FILE")
    _open(ctx, key, rationale, push_remote, op="rotate", agent=name, key=public)


def _by_name(op: str, doc: str) -> click.Command:
    @click.argument("name")
    @common
    def command(ctx: click.Context, name: str, key: str, rationale: str,
                push_remote: str | None) -> None:
        _open(ctx, key, rationale, push_remote, op=op, agent=name)

    command.__doc__ = doc
    return govern.command(name=op)(command)


remove = _by_name("remove", "Remove an agent from the roster (its vote on this does not count).")
grant = _by_name("grant", "Give an agent voting rights.")
revoke = _by_name("revoke", "Take an agent's voting rights away (its vote on this does not "
                  "count).")


@govern.command(name="set")
@click.argument("assignment", metavar="KEY=VALUE")
@common
def set_(ctx: click.Context, assignment: str, key: str, rationale: str,
         push_remote: str | None) -> None:
    """Change a rule: approval=N/D, governance=N/D|unanimous, voting_window_hours=H|none,
    debate_period_hours=H|none, compatibility_mode=..., open_content=..., storage.X=name."""
    from senate.errors import UsageError

    setting, sep, value = assignment.partition("=")
    if not sep or not value:
        raise UsageError(f"{assignment!r} is not KEY=VALUE")
    _open(ctx, key, rationale, push_remote, op="set", setting=setting, value=value)
