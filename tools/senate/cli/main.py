"""Entry point. Subcommands are imported only when run, so `senate --help` stays fast."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from senate.cli.output import OUTPUT, report_error

# name -> (module:function, one-line help). The help lives here so listing the commands
# never imports them (and their heavy dependencies).
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("senate.cli.cmd_init:init", "Create a new governed schema repository."),
    "adopt": ("senate.cli.cmd_adopt:adopt", "Govern an existing schema repository from now on."),
    "schema": ("senate.cli.cmd_schema:schema", "List and show the schemas in the registry."),
    "validate": ("senate.cli.cmd_schema:validate", "Validate artifact metadata documents."),
    "propose": ("senate.cli.cmd_propose:propose", "Open a schema-change proposal."),
    "amend": ("senate.cli.cmd_amend:amend", "Amend your open proposal (the votes go stale)."),
    "proposals": ("senate.cli.cmd_propose:proposals", "List proposals and their status."),
    "show": ("senate.cli.cmd_propose:show", "Show a proposal: metadata, diff, migration."),
    "diff": ("senate.cli.cmd_diff:diff", "Semantic diff and compatibility of two schemas."),
    "vote": ("senate.cli.cmd_vote:vote", "Cast a signed vote on a proposal."),
    "comment": ("senate.cli.cmd_vote:comment", "Add a signed debate comment to a proposal."),
    "tally": ("senate.cli.cmd_vote:tally", "Count the votes on a proposal."),
    "check": ("senate.cli.cmd_vote:check", "CI gate: exit 0 only if a proposal is approved."),
    "roster": ("senate.cli.cmd_vote:roster", "Show the roster; print allowed-signers."),
    "govern": ("senate.cli.cmd_govern:govern", "Propose a change to the roster or the rules."),
    "merge": ("senate.cli.cmd_merge:merge", "Merge an approved proposal into main."),
    "archive": ("senate.cli.cmd_merge:archive", "Archive a rejected or withdrawn proposal."),
    "withdraw": ("senate.cli.cmd_lifecycle:withdraw", "Withdraw your own open proposal."),
    "sweep": ("senate.cli.cmd_lifecycle:sweep", "Archive every proposal whose count says "
              "rejected."),
    "migrate": ("senate.cli.cmd_migrate:migrate", "Generate, verify and apply SQL migrations."),
    "audit": ("senate.cli.cmd_audit:audit", "Re-verify main's history from git alone."),
    "serve": ("senate.cli.cmd_serve:serve", "Run the HTTP API and the review pages."),
    "hook": ("senate.cli.cmd_hook:hook", "Install or run the pre-receive enforcement hook."),
    "sync": ("senate.cli.cmd_platform:sync", "Write proposals and votes into the platform DB."),
    "impact": ("senate.cli.cmd_platform:impact",
               "Measure a proposal on the platform DB's real artifacts."),
    "demo": ("senate.cli.cmd_demo:demo", "Run the end-to-end demo in a temporary repo."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module_name, attr = entry[0].split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--repo",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The governed repository to work on.",
)
@click.version_option(package_name="senate")
@click.pass_context
def cli(ctx: click.Context, repo: str) -> None:
    """Senate: JSON Schema governance as signed, voted git proposals.

    Exit codes: 0 ok, 1 check failed (or the repository moved: retry), 2 usage error,
    3 internal error (a bug). Every command except serve, hook check and roster
    allowed-signers takes --json for stable machine-readable output.
    """
    ctx.obj = {"repo": repo}


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit code; the one place errors become messages."""
    from senate.errors import KINDS, SenateError

    OUTPUT.json = False
    try:
        result: Any = cli.main(args=argv, prog_name="senate", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:
        report_error(exc.format_message(), None, "invalid_input", "usage")
        return KINDS["invalid_input"].exit_code
    except SenateError as exc:
        report_error(exc.message, exc.hint, exc.kind, exc.reason)
        return exc.exit_code
    except Exception as exc:  # a bug: say so plainly, never show a traceback
        report_error(f"internal error: {type(exc).__name__}: {exc}",
                     "this is a bug in Senate; please report it with the command you ran",
                     "internal")
        return KINDS["internal"].exit_code
    return result if isinstance(result, int) else 0
