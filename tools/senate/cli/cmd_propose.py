from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from senate.cli.output import emit, governed_repo, json_option, repo_path, warn
from senate.cli.remote_opts import counted, fetch_option, maybe_fetch, push_option, write_through

CHANGE_TYPES = ["add_field", "modify_field", "remove_field", "add_type", "rename_field"]


def _read_spec(value: str | None) -> Any:
    """--spec is inline JSON or a path to a JSON file."""
    from senate.errors import UsageError

    if value is None:
        return None
    text = value
    if not value.lstrip().startswith(("{", "[", "true", "false")):
        path = Path(value)
        if not path.is_file():
            raise UsageError(f"--spec {value!r} is neither JSON nor a readable file")
        text = path.read_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--spec is not valid JSON: {exc}") from exc


@click.command(
    epilog="The metadata written to proposals/<id>/proposal.json is validated against the "
    "JSON Schema shipped at senate/resources/proposal.schema.json (print it with "
    "`senate propose --print-schema`)."
)
@click.option("--type", "artifact_type", metavar="TYPE", help="Artifact type to change.")
@click.option("--change", "change_type", type=click.Choice(CHANGE_TYPES), help="Kind of change.")
@click.option("--field", metavar="NAME", help="Top-level field (not for add_type).")
@click.option("--spec", metavar="JSON_OR_FILE", help="JSON Schema of the field (add_type: the "
              "whole schema).")
@click.option("--rationale", metavar="TEXT", help="Why; must name a use case ('Use case: ...').")
@click.option("--migration", type=click.Path(dir_okay=False, path_type=Path),
              help="Your SQL migration/backfill, stored as migration.sql.")
@click.option("--migration-plan", metavar="TEXT", help="How data is migrated (default: "
              "Senate's generated backfill).")
@click.option("--compatible", is_flag=True, help="Claim the change backward compatible "
              "(default: Senate's computed verdict; the stricter applies).")
@click.option("--breaking", is_flag=True, help="Declare the change breaking (unanimity).")
@click.option("--new-name", metavar="NAME", help="rename_field: the new name.")
@click.option("--required", is_flag=True, help="add_field: make the new field required.")
@click.option("--key", type=click.Path(dir_okay=False), help="Your OpenSSH ed25519 private key.")
@click.option("--print-schema", is_flag=True, help="Print the proposal metadata schema and exit.")
@push_option
@json_option
@click.pass_context
def propose(
    ctx: click.Context,
    artifact_type: str | None,
    change_type: str | None,
    field: str | None,
    spec: str | None,
    rationale: str | None,
    migration: Path | None,
    migration_plan: str | None,
    compatible: bool,
    breaking: bool,
    new_name: str | None,
    required: bool,
    key: str | None,
    print_schema: bool,
    push_remote: str | None,
) -> None:
    """Open a proposal: branch proposal/<id> with proposals/<id>/ and the schema change."""
    from senate.errors import UsageError

    if print_schema:
        from senate.proposal import meta_schema

        click.echo(json.dumps(meta_schema(), indent=2))
        return
    missing = [
        opt
        for opt, val in (("--type", artifact_type), ("--change", change_type),
                         ("--rationale", rationale), ("--key", key))
        if val is None
    ]
    if missing:
        raise UsageError(f"missing {', '.join(missing)}", "see `senate propose --help`")
    if compatible and breaking:
        raise UsageError("--compatible and --breaking contradict each other",
                         "give one of them, or neither to take Senate's computed verdict")
    claim = True if compatible else False if breaking else None
    assert artifact_type and change_type and rationale is not None and key
    from senate.propose import ProposalRequest, open_proposal
    from senate.sshsig import load_private_key

    private = load_private_key(key)
    sql = None
    if migration is not None:
        try:
            sql = migration.read_text()
        except OSError as exc:
            raise UsageError(f"cannot read --migration {migration}: {exc.strerror}") from exc
    request = ProposalRequest(
        artifact_type=artifact_type,
        change_type=change_type,  # type: ignore[arg-type]
        field=field,
        field_spec=_read_spec(spec),
        rationale=rationale,
        migration_sql=sql,
        migration_plan=migration_plan,
        claim_compatible=claim,
        new_name=new_name,
        required=required,
    )
    git = governed_repo(ctx)
    # The new branch's name is picked by open_proposal, hence the pattern: on --push it
    # is created remotely with the lease "must not exist", and a taken id means a retry
    # with the remote's branches fetched, so the next free number is chosen.
    opened = write_through(git, push_remote, ["refs/heads/main", "refs/heads/proposal/*"],
                           lambda: open_proposal(git, private, request))
    from senate.announce import announce, render_announcement

    verdicts: dict[bool | None, str] = {
        True: "backward compatible",
        False: "NOT backward compatible",
        None: "undecidable, treated as breaking",
    }
    verdict = verdicts[opened.backward_compatible]
    for mismatch in opened.mismatches:
        warn(f"{mismatch}; the check will fail until the proposal is corrected")
    # The rule comes from the very count `senate tally` makes, so the two cannot disagree.
    rule = announce(git, opened.id)
    emit({**opened.to_json(), **rule},
         f"{opened.id}\n  branch {opened.branch}\n  Senate's schema verdict: {verdict}\n"
         + render_announcement(rule))


@click.command()
@click.option("--status", type=click.Choice(["open", "approved", "rejected", "merged", "archived"]),
              help="Only proposals with this status.")
@fetch_option
@json_option
@click.pass_context
def proposals(ctx: click.Context, status: str | None, fetch_remote: str | None) -> None:
    """List proposals with their status."""
    from senate.git import GitRepo
    from senate.governed import require_governed
    from senate.review import list_summaries

    git = GitRepo.open(repo_path(ctx))
    maybe_fetch(git, fetch_remote)
    require_governed(git)
    rows = list_summaries(git, status)
    text = "\n".join(
        f"{r['id']:<40} {r['status']:<9} {r['change_type']:<13} {r['target_artifact_type']}"
        for r in rows
    ) or "no proposals"
    emit({"proposals": rows}, text)


@click.command()
@click.argument("proposal_id", metavar="ID")
@fetch_option
@json_option
@click.pass_context
def show(ctx: click.Context, proposal_id: str, fetch_remote: str | None) -> None:
    """Show a proposal: metadata, status, the semantic and raw schema diff, the migration."""
    from senate.review import detail_of, render_detail, semantic_text

    git, result = counted(repo_path(ctx), proposal_id, fetch_remote)
    detail = detail_of(git, result)
    text = render_detail(detail, semantic_text(result))
    from senate.platform.impact import configured_impact

    impact = configured_impact(git, result)  # only when senate.toml names a platform DSN
    if impact is not None:
        detail["impact"] = impact
        text += "\n\nImpact on the platform's artifacts:\n" + impact.get(
            "text", f"  unavailable: {impact.get('error')}")
    emit(detail, text)
