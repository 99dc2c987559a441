from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from senate.cli.output import emit, governed_repo, json_option

# senate.compat.dialect's names, spelled here so that `senate --help` does not import
# jsonschema (tests/test_compat_dialects.py checks the two agree).
DIALECT_NAMES = ("draft-04", "draft-06", "draft-07", "2019-09", "2020-12")
DEFAULT_DIALECT = "2020-12"


def _load(ctx: click.Context, spec: str, dialect: str) -> tuple[dict[str, Any], str]:
    """A schema from a file, or from git as TYPE@REV (e.g. experiment@main), valid in its
    own dialect (`$schema`, else `dialect`)."""
    from senate.compat.dialect import metaschema_problem
    from senate.errors import UsageError
    from senate.registry import parse_schema

    path = Path(spec)
    if path.is_file():
        try:
            schema = parse_schema(path.read_bytes(), spec)
        except OSError as exc:
            raise UsageError(f"cannot read {spec}: {exc.strerror}") from exc
    elif "@" in spec:
        from senate.registry import load_schema

        artifact_type, _, rev = spec.partition("@")
        git = governed_repo(ctx)
        schema = load_schema(git, artifact_type, git.resolve(rev))
    else:
        raise UsageError(f"{spec!r} is neither a file nor TYPE@REV", "e.g. experiment@main")
    problem = metaschema_problem(schema, dialect)
    if problem is not None:
        raise UsageError(f"{spec} is {problem}" if problem.startswith("not ") else
                         f"{spec}: {problem}",
                         "fix the schema, or name its draft in $schema or --dialect")
    return schema, spec


def _samples(folder: Path) -> dict[str, Any]:
    from senate.validation import load_document

    docs = {str(p): load_document(p.read_bytes(), str(p)) for p in sorted(folder.rglob("*.json"))}
    if not docs:
        from senate.errors import UsageError

        raise UsageError(f"no *.json sample documents under {folder}")
    return docs


@click.command()
@click.argument("old")
@click.argument("new")
@click.option("--mode", type=click.Choice(["backward", "forward", "full"]), default=None,
              help="Which direction must hold (default: senate.toml's, else backward).")
@click.option("--policy", type=click.Choice(["lenient", "strict"]), default=None,
              help="Open content models: is adding an optional property breaking? "
              "(default: senate.toml's, else lenient)")
@click.option("--dialect", type=click.Choice(list(DIALECT_NAMES)), default=None,
              help="Draft of a schema without $schema (default: senate.toml's "
              "[compatibility] dialect, else 2020-12).")
@click.option("--samples", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Also validate these sample documents under both schemas.")
@json_option
@click.pass_context
def diff(ctx: click.Context, old: str, new: str, mode: str | None, policy: str | None,
         dialect: str | None, samples: Path | None) -> None:
    """Semantic diff of two schemas (files or TYPE@REV) with compatibility verdicts.

    Exits 0 whatever the verdict (read it from the output); 2 if a schema is unreadable.
    """
    from senate.compat import check_samples, compare, render_text

    mode, policy, dialect = _defaults(ctx, mode, policy, dialect)
    old_schema, _ = _load(ctx, old, dialect)
    new_schema, _ = _load(ctx, new, dialect)
    report = compare(old_schema, new_schema, policy=policy,  # type: ignore[arg-type]
                     dialect=dialect)
    data = report.to_json()
    data["mode"] = mode
    data["policy"] = policy
    data["default_dialect"] = dialect
    data["compatible"] = report.compatible(mode)  # type: ignore[arg-type]
    text = render_text(report, mode)  # type: ignore[arg-type]
    if samples is not None:
        wrong = check_samples(old_schema, new_schema, report, _samples(samples), dialect)
        data["sample_mismatches"] = [
            {"document": m.document, "valid_old": m.valid_old, "valid_new": m.valid_new,
             "explanation": m.explanation}
            for m in wrong
        ]
        text += "\nsamples: " + ("all agree with the verdict" if not wrong else "")
        text += "".join(f"\n  ! {m.document}: {m.explanation}" for m in wrong)
    emit(data, text.rstrip("\n"))


def _defaults(ctx: click.Context, mode: str | None, policy: str | None,
              dialect: str | None) -> tuple[str, str, str]:
    """senate.toml on main decides the defaults when we are in a governed repo."""
    if mode is not None and policy is not None and dialect is not None:
        return mode, policy, dialect
    from senate.errors import SenateError
    from senate.proposals import main_tip, policy_at

    try:
        git = governed_repo(ctx)
        compat = policy_at(git, main_tip(git)).compatibility
        return (mode or compat.mode, policy or compat.open_content,
                dialect or compat.dialect)
    except SenateError:
        return mode or "backward", policy or "lenient", dialect or DEFAULT_DIALECT
