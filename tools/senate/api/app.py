"""`create_app(repo_path)`: the HTTP API over the same core as the CLI, plus review pages.

Every JSON answer is the CLI's `--json` object for the same question. Handlers are
synchronous (run in a thread pool) and open the repository per request: pygit2 handles
are not shared between threads, and a fresh handle always sees the refs on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI
from fastapi import Path as PathParam

from senate.api import errors
from senate.api.bodylimit import DEFAULT_LIMIT, BodyLimit
from senate.api.models import (
    PROPOSAL_ID,
    TYPE_NAME,
    Created,
    Draft,
    ErrorBody,
    Head,
    ProposalDraftRequest,
    SignedCommit,
    SignedProposal,
    Status,
    ValidateRequest,
    Written,
)
from senate.git import GitRepo

REPO_ENV = "SENATE_SERVE_REPO"
ProposalId = Annotated[str, PathParam(pattern=PROPOSAL_ID, description="e.g. 0007-some-name")]
TypeName = Annotated[str, PathParam(pattern=TYPE_NAME, description="e.g. experiment")]

DESCRIPTION = """
Senate governs JSON Schemas through signed, voted git proposals. Reads are open; every
write is a commit signed by the agent's SSH key (the server never holds a private key).

**Votes and comments**: `GET .../schema-proposal/{id}/head` gives the branch tip, its tree
and the content id; build the empty commit `tree <tree>`, `parent <tip>`, author and
committer = your roster identity, message from Senate's vote format; sign it (SSHSIG,
namespace `git`); put the signature in a `gpgsig` header after the committer line as git
does; `POST` it. If the tip moved you get 409 `stale_parent` with the new head: rebuild
and retry. `senate.api.client.SenateClient` does all of this in one call.

**Proposals**: `POST /api/senate/schema-proposal/draft` with the metadata returns the
exact unsigned commit; sign it and `POST /api/senate/schema-proposal` with it. The server
rebuilds the expected content from the metadata in the commit and accepts only that, on
the current main, signed by the proposer's roster key.

Errors are `{"error": {"kind", "message", "hint"}}` with a 4xx code for any bad input.
"""

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in [
        (403, "Unsigned, forged, or signed by a key not on the base roster."),
        (404, "No such proposal or schema type."),
        (409, "The branch or main moved (kind stale_parent: details has the new head; "
              "retry), or the proposal is merged or archived (kind proposal_closed)."),
        (413, "The request body is too large."),
        (422, "Invalid input, or a commit that is not a valid ballot (kind = the reason)."),
    ]
}


def create_app(repo_path: str | Path, body_limit: int = DEFAULT_LIMIT) -> FastAPI:
    path = Path(repo_path)
    GitRepo.open(path)  # fail at startup, not on the first request

    def repo() -> GitRepo:
        return GitRepo.open(path)

    memo = BoundedMemo()  # ballots already checked, so a write's tally costs O(new commits)

    app = FastAPI(title="Senate", version="1", description=DESCRIPTION, responses=ERRORS)
    errors.install(app)
    app.add_middleware(BodyLimit, limit=body_limit)

    @app.get("/api/schemas", tags=["schemas"], summary="The registry on main")
    def list_schemas() -> dict[str, Any]:
        from senate.proposals import main_tip
        from senate.schema_view import schema_rows

        git = repo()
        return {"schemas": schema_rows(git, main_tip(git))}

    @app.get("/api/schemas/{artifact_type}", tags=["schemas"],
             summary="A type's current schema, version and history")
    def get_schema(artifact_type: TypeName) -> dict[str, Any]:
        from senate.proposals import main_tip
        from senate.schema_view import schema_detail

        git = repo()
        return schema_detail(git, artifact_type, main_tip(git))

    @app.get("/api/roster", tags=["schemas"], summary="The agents on main's roster")
    def roster() -> dict[str, Any]:
        from senate.proposals import main_tip, policy_at

        git = repo()
        return {"agents": [
            {"name": a.name, "email": a.email, "fingerprint": a.key.fingerprint(),
             "vote": a.vote}
            for a in policy_at(git, main_tip(git)).agents
        ]}

    @app.post("/api/schemas/{artifact_type}/validate", tags=["schemas"],
              summary="Validate artifact metadata documents against the current schema")
    def validate(artifact_type: TypeName, body: ValidateRequest) -> dict[str, Any]:
        from senate.proposals import main_tip
        from senate.registry import check_type_name, load_schema
        from senate.validation import validate_document

        git = repo()
        schema = load_schema(git, check_type_name(artifact_type), main_tip(git))
        results = [validate_document(schema, f"documents[{n}]", doc)
                   for n, doc in enumerate(body.documents)]
        return {"type": artifact_type, "valid": all(r.valid for r in results),
                "documents": [r.to_json() for r in results]}

    @app.post("/api/senate/schema-proposal/draft", tags=["proposals"], response_model=Draft,
              summary="Step 1 of opening a proposal: the unsigned commit to sign")
    def draft(body: ProposalDraftRequest) -> Draft:
        from senate.api.proposalwrite import draft_proposal

        made = draft_proposal(repo(), body.proposer_key, _request(body))
        return Draft(id=made.id, parent=made.parent, tree=made.tree,
                     commit=made.commit.decode("utf-8"),
                     files={n: d.decode("utf-8") for n, d in made.files.items()})

    @app.post("/api/senate/schema-proposal", tags=["proposals"], status_code=201,
              response_model=Created,
              summary="Step 2 of opening a proposal: submit the signed draft commit")
    def create(body: SignedProposal) -> Created:
        from senate.api.proposalwrite import accept_proposal
        from senate.counting import count

        git = repo()
        proposal_id = accept_proposal(git, body.commit.encode("utf-8"),
                                      {n: d.encode("utf-8") for n, d in body.files.items()})
        tally = count(git, proposal_id, memo=memo).to_json()
        return Created(id=proposal_id, branch=f"proposal/{proposal_id}", commit=tally["tip"],
                       status=tally["status"], rule=tally["rule"],
                       rule_reason=tally["rule_reason"], content_id=tally["content_id"])

    @app.get("/api/senate/schema-proposals", tags=["proposals"],
             summary="Proposals and their status (as `senate proposals --json`)")
    def list_proposals(status: Status | None = None) -> dict[str, Any]:
        from senate.review import list_summaries

        return {"proposals": list_summaries(repo(), status)}

    @app.get("/api/senate/schema-proposal/{proposal_id}", tags=["proposals"],
             summary="Metadata, semantic diff, schema diff, migration and tally")
    def get_proposal(proposal_id: ProposalId) -> dict[str, Any]:
        from senate.review import proposal_detail

        git = repo()
        detail = proposal_detail(git, proposal_id)
        detail["tree"] = git.commit_tree(detail["tip"])
        return detail

    @app.get("/api/senate/schema-proposal/{proposal_id}/head", tags=["proposals"],
             response_model=Head, summary="What a vote commit is built on: tip, tree, content id")
    def get_head(proposal_id: ProposalId) -> Head:
        from senate.api.ballotwrite import head

        return Head(**head(repo(), proposal_id).to_json())

    @app.post("/api/senate/schema-proposal/{proposal_id}/vote", tags=["votes"],
              status_code=201, response_model=Written, summary="Cast a signed vote")
    def post_vote(proposal_id: ProposalId, body: SignedCommit) -> Written:
        return _write(repo(), proposal_id, body, "vote", memo)

    @app.post("/api/senate/schema-proposal/{proposal_id}/comment", tags=["votes"],
              status_code=201, response_model=Written, summary="Add a signed debate comment")
    def post_comment(proposal_id: ProposalId, body: SignedCommit) -> Written:
        return _write(repo(), proposal_id, body, "comment", memo)

    from senate.web.pages import router

    app.include_router(router(repo))
    return app


def app_from_env() -> FastAPI:
    """The app for uvicorn's worker processes (`senate serve --workers N`)."""
    import os

    return create_app(os.environ[REPO_ENV])


class BoundedMemo(dict[tuple[str, str, str, str, int | None, str], Any]):
    """counting's ballot memo, emptied when full: a cache, never the truth."""

    LIMIT = 200_000

    def __setitem__(self, key: tuple[str, str, str, str, int | None, str], value: Any) -> None:
        if len(self) >= self.LIMIT:
            self.clear()
        super().__setitem__(key, value)


def _write(git: GitRepo, proposal_id: str, body: SignedCommit, kind: Any,
           memo: BoundedMemo) -> Written:
    from senate.api.ballotwrite import accept_ballot
    from senate.counting import count

    oid, ballot = accept_ballot(git, proposal_id, body.commit.encode("utf-8"), kind)
    return Written(commit=oid, agent=ballot.agent, vote=ballot.vote,
                   tally=count(git, proposal_id, memo=memo).to_json())


def _request(body: ProposalDraftRequest) -> Any:
    from senate.propose import ProposalRequest

    return ProposalRequest(
        artifact_type=body.artifact_type, change_type=body.change_type, field=body.field,
        field_spec=body.field_spec, rationale=body.rationale,
        migration_sql=body.migration_sql, migration_plan=body.migration_plan,
        claim_compatible=body.backward_compatible, new_name=body.new_name,
        required=body.required,
    )
