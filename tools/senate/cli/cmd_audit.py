from __future__ import annotations

import sys

import click

from senate.cli.output import OUTPUT, emit, json_option, repo_path
from senate.cli.remote_opts import fetch_option, maybe_fetch


@click.command()
@json_option
@fetch_option
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="processes judging commits side by side (default: one per CPU for a "
                   "history of 200 commits or more); the report is the same for any number")
@click.pass_context
def audit(ctx: click.Context, fetch_remote: str | None, jobs: int | None) -> int:
    """Replay main's history: every change to schemas/ or senate.toml must be a Senate
    merge whose tally re-verifies from git alone. Exit 1 if any violation."""
    from senate.audit import audit as run_audit
    from senate.audit import mainline
    from senate.git import GitRepo
    from senate.governed import require_governed

    git = GitRepo.open(repo_path(ctx))
    maybe_fetch(git, fetch_remote)
    commits = mainline(git)
    require_governed(git, commits)
    if not OUTPUT.json and sys.stderr.isatty():
        with click.progressbar(length=max(len(commits) - 1, 0), label="auditing main",
                               file=sys.stderr) as bar:
            report = run_audit(git, commits, lambda: bar.update(1), jobs)
    else:
        report = run_audit(git, commits, jobs=jobs)
    lines = [f"audited {report.commits} commits on main's first-parent line from "
             f"{report.root[:12]}; {len(report.merges)} Senate merges re-verified"]
    if report.before_governance:
        lines.append(f"  {report.before_governance} earlier commit(s) are before governance "
                     f"(history before the adoption at {report.root[:12]}): not audited")
    lines += [f"  ! {v.commit[:12]} {v.kind}: {v.message}" for v in report.violations]
    lines.append("ok: main changed only through approved proposals" if report.ok
                 else f"{len(report.violations)} violation(s)")
    emit(report.to_json(), "\n".join(lines))
    return 0 if report.ok else 1
