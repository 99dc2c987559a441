"""How results reach the user: JSON for agents (stable keys), text for humans."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from senate.git import GitRepo

F = TypeVar("F", bound=Callable[..., Any])


class _Output:
    json: bool = False


OUTPUT = _Output()


def _set_json(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        OUTPUT.json = True
    return value


def json_option(func: F) -> F:
    decorated: F = click.option(
        "--json",
        "as_json",
        is_flag=True,
        is_eager=True,
        expose_value=False,
        callback=_set_json,
        help="Print a JSON object (stable keys, documented in the README).",
    )(func)
    return decorated


def emit(data: Any, text: str | None = None) -> None:
    """Print `data` as JSON when --json was given, else `text` (or a readable rendering)."""
    if OUTPUT.json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))
    else:
        click.echo(text if text is not None else json.dumps(data, indent=2))


def report_error(message: str, hint: str | None, kind: str, reason: str | None = None) -> None:
    """An error as the user sees it; `kind` is one of senate.errors.KINDS."""
    if OUTPUT.json:
        payload = {"error": {"kind": kind, "reason": reason, "message": message, "hint": hint}}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    click.echo(f"error: {message}", err=True)
    if hint:
        click.echo(f"  hint: {hint}", err=True)


def repo_path(ctx: click.Context) -> str:
    obj = ctx.find_root().obj or {}
    return str(obj.get("repo", "."))


def governed_repo(ctx: click.Context) -> GitRepo:
    """The --repo repository, refused unless it is governed (see senate.governed)."""
    from senate.governed import open_governed

    return open_governed(repo_path(ctx))


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
