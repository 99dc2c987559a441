"""The review pages: the registry, the proposals by status, one proposal in full."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import jinja2
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from senate.git import GitRepo
from senate.web.sidebyside import side_by_side

# Every page answers HEAD as GET without a body (the server drops the body of a HEAD).
PAGE = ["GET", "HEAD"]
STATUSES = ("open", "approved", "rejected", "merged", "archived")
BREAK_ORDER = {"both": 0, "backward": 1, "forward": 2, "none": 3}


@cache
def environment() -> jinja2.Environment:
    # Autoescape everything: rationales, reasons and comments are agent-written text.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("senate", "templates/web"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def page(name: str, **context: Any) -> HTMLResponse:
    return HTMLResponse(environment().get_template(name).render(**context))


def schema_diffs(git: GitRepo, detail: dict[str, Any]) -> list[dict[str, Any]]:
    from senate.registry import SCHEMA_DIR

    out = []
    for path in git.changed_paths(detail["base"], detail["tip"]):
        if not path.startswith(f"{SCHEMA_DIR}/"):
            continue
        old = git.read_file(detail["base"], path) or b""
        new = git.read_file(detail["tip"], path) or b""
        out.append({"path": path, "rows": side_by_side(old.decode("utf-8", "replace"),
                                                       new.decode("utf-8", "replace"))})
    return out


def votes_view(tally: dict[str, Any]) -> dict[str, Any]:
    reasons = tally["reasons"]
    counted = [dict(v, reason=reasons.get(v["commit"], "")) for v in tally["counted"]]
    ignored = [dict(v, text=reasons.get(v["commit"], "")) for v in tally["ignored"]]
    return {"counted": counted, "ignored": ignored}


def home() -> APIRouter:
    """`/` and `/senate` lead a person to the review pages."""
    r = APIRouter(include_in_schema=False)

    @r.api_route("/", methods=PAGE)
    @r.api_route("/senate", methods=PAGE)
    @r.api_route("/senate/", methods=PAGE)
    def to_review_pages() -> RedirectResponse:
        return RedirectResponse("/senate/proposals", status_code=307)

    return r


def router(repo: Callable[[], GitRepo]) -> APIRouter:
    r = APIRouter(prefix="/senate", include_in_schema=False)

    @r.api_route("/schemas", methods=PAGE, response_class=HTMLResponse)
    def schemas() -> HTMLResponse:
        from senate.proposals import main_tip
        from senate.schema_view import schema_detail, schema_rows

        git = repo()
        main = main_tip(git)
        rows = [dict(row, history=schema_detail(git, row["type"], main)["history"])
                for row in schema_rows(git, main)]
        return page("schemas.html.j2", title="Schema registry", rows=rows)

    @r.api_route("/schemas/{artifact_type}", methods=PAGE, response_class=HTMLResponse)
    def schema(artifact_type: str) -> HTMLResponse:
        import json

        from senate.proposals import main_tip
        from senate.schema_view import schema_detail

        git = repo()
        d = schema_detail(git, artifact_type, main_tip(git))
        return page("schema.html.j2", title=f"Schema {artifact_type}", d=d,
                    text=json.dumps(d["schema"], indent=2, ensure_ascii=False))

    @r.api_route("/proposals", methods=PAGE, response_class=HTMLResponse)
    def proposals(status: str | None = None) -> HTMLResponse:
        from senate.review import list_summaries

        rows = list_summaries(repo())
        shown = [s for s in STATUSES if status in (None, s)]
        groups = [(s, [row for row in rows if row["status"] == s]) for s in shown]
        return page("proposals.html.j2", title="Proposals", groups=groups, status=status)

    @r.api_route("/proposals/{proposal_id}", methods=PAGE, response_class=HTMLResponse)
    def proposal(proposal_id: str) -> HTMLResponse:
        from senate.counting import count
        from senate.platform.impact import configured_impact
        from senate.review import detail_of

        git = repo()
        c = count(git, proposal_id)
        d = detail_of(git, c)
        impact = configured_impact(git, c)  # only when senate.toml names a platform DSN
        changes = sorted(d["compatibility"]["changes"],
                         key=lambda ch: (not ch["breaking"], BREAK_ORDER.get(ch["breaks"], 0),
                                         ch["path"]))
        return page("proposal.html.j2", title=f"Proposal {proposal_id}", d=d, meta=d["metadata"],
                    tally=d["tally"], changes=changes, diffs=schema_diffs(git, d),
                    votes=votes_view(d["tally"]), impact=impact)

    return r
