from __future__ import annotations

from pathlib import Path

import click

from senate.cli.output import emit, governed_repo, json_option, warn
from senate.cli.remote_opts import push_option, write_through


@click.command()
@click.argument("proposal_id", metavar="ID")
@click.option("--spec", metavar="JSON_OR_FILE",
              help="The field's new JSON Schema (add_type: the whole schema).")
@click.option("--rationale", metavar="TEXT",
              help="The new rationale (at least 20 characters, with 'Use case: ...').")
@click.option("--migration", type=click.Path(dir_okay=False, path_type=Path),
              help="A new SQL migration/backfill file, stored as migration.sql.")
@click.option("--key", required=True, type=click.Path(dir_okay=False),
              help="Your OpenSSH ed25519 private key: the proposer's only.")
@push_option
@json_option
@click.pass_context
def amend(ctx: click.Context, proposal_id: str, spec: str | None, rationale: str | None,
          migration: Path | None, key: str, push_remote: str | None) -> None:
    """Amend an open proposal with a new signed content commit on proposal/ID.

    Only its proposer can. The content changes, so every vote cast before is stale and
    no longer counts: the agents must vote again.
    """
    from senate.amend import UNCHANGED, Amendment, amend_proposal
    from senate.cli.cmd_propose import _read_spec
    from senate.cli.cmd_vote import proposal_refs
    from senate.counting import count
    from senate.errors import UsageError
    from senate.sshsig import load_private_key

    sql = None
    if migration is not None:
        try:
            sql = migration.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read --migration {migration}: {exc}") from exc
    amendment = Amendment(_read_spec(spec) if spec is not None else UNCHANGED, rationale, sql)
    git = governed_repo(ctx)
    private = load_private_key(key)
    done = write_through(git, push_remote, proposal_refs(proposal_id),
                         lambda: amend_proposal(git, private, proposal_id, amendment))
    counted = count(git, proposal_id)
    result = counted.to_json()
    stale = sorted({b.agent for b in counted.ballots
                    if b.kind == "vote" and b.problem == "stale" and b.agent})
    for mismatch in done.mismatches:
        warn(f"{mismatch}; the check will fail until the proposal is corrected")
    emit({"id": done.id, "commit": done.commit, "previous_tip": done.previous_tip,
          "changed": list(done.changed), "stale_votes": stale, "tally": result},
         f"amended {done.id}: new content commit {done.commit[:12]} "
         f"(changed {', '.join(done.changed)})\n"
         + (f"the votes cast before are now stale and no longer count "
            f"({', '.join(stale)}): they must vote again" if stale else
            "any vote cast before this amendment is stale: agents vote on the new content"))
