"""`senate sync` and `senate impact`: the platform database's view of governance."""

from __future__ import annotations

import click

from senate.cli.output import emit, json_option, repo_path
from senate.cli.remote_opts import fetch_option, maybe_fetch

DB_HELP = "The platform database: sqlite:///relative.db, sqlite:////abs.db or postgresql://..."


@click.command()
@click.option("--db", "url", required=True, metavar="URL", envvar="SENATE_PLATFORM_DSN",
              help=DB_HELP + " (default: $SENATE_PLATFORM_DSN)")
@fetch_option
@json_option
@click.pass_context
def sync(ctx: click.Context, url: str, fetch_remote: str | None) -> None:
    """Write proposals and votes into the platform database (one transaction, incremental).

    Every status change is announced: NOTIFY senate_events on PostgreSQL, a row in the
    senate_events table on SQLite (names from senate.toml [storage])."""
    from senate.git import GitRepo
    from senate.platform.sync import sync as run_sync

    git = GitRepo.open(repo_path(ctx))
    maybe_fetch(git, fetch_remote)
    report = run_sync(git, url)
    emit(report.to_json(), report.render())


@click.command()
@click.argument("proposal_id", metavar="ID")
@click.option("--db", "url", required=True, metavar="URL", envvar="SENATE_PLATFORM_DSN",
              help=DB_HELP + " (default: $SENATE_PLATFORM_DSN); only read.")
@click.option("--sample", type=click.IntRange(1), default=None, metavar="N",
              help="Measure a uniform sample of N artifacts instead of all of them.")
@click.option("--seed", type=int, default=0, show_default=True, help="The sample's seed.")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(0, 1000),
              help="Invalidated artifacts shown.")
@fetch_option
@json_option
@click.pass_context
def impact(ctx: click.Context, proposal_id: str, url: str, sample: int | None, seed: int,
           limit: int, fetch_remote: str | None) -> None:
    """Apply a proposal's migration to a scratch copy of its type's real artifacts and
    report how many were valid before and after (and where that contradicts the rules)."""
    from senate.cli.remote_opts import counted
    from senate.platform.impact import measure

    git, c = counted(repo_path(ctx), proposal_id, fetch_remote)
    result = measure(git, c, url, sample, seed, limit)
    emit(result.to_json(), result.render())
