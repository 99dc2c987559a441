"""Every option of every command says what it does (issue 12, item 18)."""

from __future__ import annotations

import click

from senate.cli.main import COMMANDS, LazyGroup, cli


def commands() -> list[tuple[str, click.Command]]:
    ctx = click.Context(cli)
    group = cli
    assert isinstance(group, LazyGroup)
    out: list[tuple[str, click.Command]] = []
    pending = [(name, group.get_command(ctx, name)) for name in COMMANDS]
    while pending:
        name, command = pending.pop()
        assert command is not None
        if isinstance(command, click.Group):
            pending += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            out.append((name, command))
    return out


def test_every_option_has_help() -> None:
    missing = [f"senate {name} {'/'.join(p.opts)}" for name, command in commands()
               for p in command.params
               if isinstance(p, click.Option) and not (p.help or "").strip()]
    assert missing == []


def test_json_is_offered_by_every_command_but_the_three_documented() -> None:
    without = sorted(name for name, command in commands()
                     if not any("--json" in p.opts for p in command.params))
    assert without == ["hook check", "roster allowed-signers", "serve"]
