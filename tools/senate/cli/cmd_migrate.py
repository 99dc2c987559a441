"""`senate migrate generate|verify|apply|down`: thin wrappers over senate.migrate."""

from __future__ import annotations

from pathlib import Path

import click

from senate.cli.output import emit, json_option, repo_path
from senate.cli.remote_opts import push_option, write_through

DIALECTS = ["sqlite", "postgres"]


@click.group()
def migrate() -> None:
    """SQL migrations of merged proposals: generate them on main, verify, apply, undo."""


@migrate.command()
@json_option
@push_option
@click.pass_context
def generate(ctx: click.Context, push_remote: str | None) -> None:
    """Render migrations/<dialect>/ for every merged proposal that has none (one commit)."""
    from senate.git import GitRepo
    from senate.git.repo import MAIN
    from senate.migrate.generate import generate as run_generate

    git = GitRepo.open(repo_path(ctx))
    done = write_through(git, push_remote, [f"refs/heads/{MAIN}"], lambda: run_generate(git))
    if done.commit is None:
        emit(done.to_json(), "nothing to generate: every merged proposal has its migration")
        return
    emit(done.to_json(), f"{MAIN} -> {done.commit[:12]}\n"
         + "\n".join(f"  migrations/{n}" for n in done.migrations))


@migrate.command()
@click.option("--dialect", type=click.Choice(DIALECTS), default="sqlite", show_default=True)
@click.option("--dsn", metavar="URL", help="PostgreSQL server to create a scratch database on.")
@click.option("--samples", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Extra sample artifacts: DIR/<type>/*.json.")
@click.option("--rev", default=None, metavar="REV", help="Read the chain at REV (default main).")
@json_option
@click.pass_context
def verify(ctx: click.Context, dialect: str, dsn: str | None, samples: Path | None,
           rev: str | None) -> int:
    """Apply the whole chain to a fresh database, validating artifacts after each step."""
    from senate.git import GitRepo
    from senate.migrate.verify import verify as run_verify

    report = run_verify(GitRepo.open(repo_path(ctx)), dialect, dsn, samples, rev)
    emit(report.to_json(), report.render())
    return 0 if report.ok else 1


DB_OPTION = click.option("--db", "url", required=True, metavar="URL",
                         help="sqlite:///relative.db, sqlite:////abs/path.db or "
                              "postgresql://...")
REV_OPTION = click.option("--rev", default=None, metavar="REV",
                          help="Read the chain at REV (default main).")


@migrate.command()
@DB_OPTION
@REV_OPTION
@click.option("--dry-run", is_flag=True,
              help="Run the pending chain on a copy (SQLite) or in a transaction that is "
                   "rolled back (PostgreSQL) and report what would change.")
@json_option
@click.pass_context
def apply(ctx: click.Context, url: str, rev: str | None, dry_run: bool) -> int:
    """Apply pending migrations, each in its own transaction."""
    from senate.git import GitRepo
    from senate.migrate.apply import apply as run_apply

    git = GitRepo.open(repo_path(ctx))
    if dry_run:
        from senate.migrate.rehearse import rehearse

        report = rehearse(git, url, rev)
        emit(report.to_json(), report.render())
        return 0 if report.ok else 1
    done = run_apply(git, url, rev)
    text = "\n".join(f"applied {n}" for n in done.applied) or "nothing to apply"
    emit(done.to_json(), f"{text} ({done.already} already applied)")
    return 0


@migrate.command()
@DB_OPTION
@click.option("--to", "to", type=int, default=None, metavar="N",
              help="Leave migration N as the newest applied (default: undo the last one).")
@REV_OPTION
@json_option
@click.pass_context
def down(ctx: click.Context, url: str, to: int | None, rev: str | None) -> None:
    """Undo applied migrations, newest first, each in its own transaction."""
    from senate.git import GitRepo
    from senate.migrate.down import down as run_down

    done = run_down(GitRepo.open(repo_path(ctx)), url, to, rev)
    text = "\n".join(f"reverted {n}" for n in done.reverted) or "nothing to revert"
    emit(done.to_json(), f"{text} (now at {done.version:04d})")
