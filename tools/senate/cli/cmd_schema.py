from __future__ import annotations

import json
from pathlib import Path

import click

from senate.cli.output import emit, governed_repo, json_option


@click.group()
def schema() -> None:
    """The schema registry: `schemas/<type>.json` on main."""


@schema.command("list")
@json_option
@click.pass_context
def schema_list(ctx: click.Context) -> None:
    """List the artifact types with their current versions."""
    from senate.proposals import main_tip
    from senate.schema_view import schema_rows

    git = governed_repo(ctx)
    rows = schema_rows(git, main_tip(git))
    width = max((len(r["type"]) for r in rows), default=4)
    text = "\n".join(f"{r['type']:<{width}}  v{r['version']:<3} {r['title']}" for r in rows)
    emit({"schemas": rows}, text)


@schema.command("show")
@click.argument("artifact_type")
@click.option("--rev", default="main", show_default=True, help="Branch or commit to read.")
@json_option
@click.pass_context
def schema_show(ctx: click.Context, artifact_type: str, rev: str) -> None:
    """Show a type's current schema, its version and its history from git."""
    from senate.schema_view import schema_detail

    git = governed_repo(ctx)
    data = schema_detail(git, artifact_type, git.resolve(rev))
    lines = [f"{artifact_type} v{data['version']}", "", "history:"]
    for e in data["history"]:
        lines.append(f"  v{e['version']}  {e['commit'][:12]}  {e['date']}  "
                     f"{e['proposal'] or '(initial)'}")
    lines += ["", json.dumps(data["schema"], indent=2, ensure_ascii=False)]
    emit(data, "\n".join(lines))


@click.command()
@click.argument("artifact_type", required=False)
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--rev", default="main", show_default=True, help="Validate against this revision.")
@click.option("--db", "url", metavar="URL",
              help="Validate every artifact in this platform database instead of FILES.")
@click.option("--type", "only", metavar="TYPE", help="With --db: only this artifact type.")
@click.option("--mode", type=click.Choice(["strict", "warn", "skip"]), default="strict",
              show_default=True, help="With --db: strict exits 1 on any invalid artifact, "
              "warn reports and exits 0, skip only counts the artifacts.")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(0, 1000),
              help="With --db: invalid artifacts shown per type.")
@json_option
@click.pass_context
def validate(ctx: click.Context, artifact_type: str | None, files: tuple[Path, ...], rev: str,
             url: str | None, only: str | None, mode: str, limit: int) -> int:
    """Validate artifact metadata FILES against TYPE's schema; exit 1 if any is invalid.

    With --db URL, validate the platform database's artifacts instead and report each
    type's compliance."""
    from senate.errors import UsageError

    if url is not None:
        if artifact_type is not None or files:
            raise UsageError("--db validates the database: give no TYPE or FILES",
                             "use --type TYPE to validate only one type")
        return _validate_db(ctx, url, rev, only, mode, limit)
    if artifact_type is None or not files:
        raise UsageError("missing TYPE and FILES", "senate validate TYPE FILE..., or "
                         "senate validate --db URL")
    return _validate_files(ctx, artifact_type, files, rev)


def _validate_db(ctx: click.Context, url: str, rev: str, only: str | None, mode: str,
                 limit: int) -> int:
    from senate.migrate.db import connect
    from senate.platform.compliance import check
    from senate.proposals import policy_at
    from senate.registry import check_type_name, list_types, load_schema

    git = governed_repo(ctx)
    tip = git.resolve(rev)
    if only is not None:
        check_type_name(only)
    schemas = {t: load_schema(git, t, tip) for t in list_types(git, tip)}
    db = connect(url)
    try:
        report = check(db, policy_at(git, tip).storage, schemas, rev,
                       mode, only, limit)  # type: ignore[arg-type]
    finally:
        db.close()
    emit(report.to_json(), report.render())
    return 0 if report.ok else 1


def _validate_files(ctx: click.Context, artifact_type: str, files: tuple[Path, ...],
                    rev: str) -> int:
    from senate.errors import UsageError
    from senate.registry import check_type_name, load_schema
    from senate.validation import check_schema, load_document, validate_document

    git = governed_repo(ctx)
    check_type_name(artifact_type)
    body = load_schema(git, artifact_type, git.resolve(rev))
    check_schema(body, f"the schema of {artifact_type} at {rev}")
    results = []
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from exc
        results.append(validate_document(body, str(path), load_document(data, str(path))))
    lines = []
    for r in results:
        if r.valid:
            lines.append(f"ok       {r.name}")
            continue
        lines.append(f"invalid  {r.name}")
        lines.extend(f"  {e.path}: {e.message}" for e in r.errors)
    ok = all(r.valid for r in results)
    emit(
        {"type": artifact_type, "valid": ok, "documents": [r.to_json() for r in results]},
        "\n".join(lines),
    )
    return 0 if ok else 1
