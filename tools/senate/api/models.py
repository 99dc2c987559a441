"""Request and response bodies. Requests forbid unknown fields; sizes are bounded."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Status = Literal["open", "approved", "rejected", "merged", "archived"]
ChangeType = Literal["add_field", "modify_field", "remove_field", "add_type", "rename_field"]
MAX_COMMIT = 65536
# The same shapes the core checks (proposal.ID_RE, registry.TYPE_RE, proposal.FIELD_RE),
# published here so clients and fuzzers see them in the OpenAPI description.
PROPOSAL_ID = r"^[0-9]{4}-[a-z0-9][a-z0-9-]{0,62}$"
TYPE_NAME = r"^[a-z][a-z0-9_]{0,62}$"
FIELD_NAME = r"^[a-z_][a-z0-9_]{0,62}$"


MAX_DEPTH = 64  # JSON nesting; the schema and document validators recurse per level


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a JSON value, counted without recursion; stops past `limit`."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= limit:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = item.values() if isinstance(item, dict) else item if isinstance(
            item, list) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


def shallow(value: Any) -> Any:
    if depth(value) > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    return value


class ErrorDetail(Strict):
    kind: str = Field(description="The error class or the precise reason code.")
    message: str
    hint: str | None = None
    details: dict[str, Any] | None = Field(
        default=None, description="For stale_parent: the new tip, tree and content id.")


class ErrorBody(Strict):
    error: ErrorDetail


class ValidateRequest(Strict):
    documents: list[Any] = Field(max_length=1000,
                                 description="Artifact metadata documents to validate.")

    _shallow = field_validator("documents")(shallow)


class ProposalDraftRequest(Strict):
    """The proposal metadata of the design, plus who proposes it (by public key)."""

    proposer_key: str = Field(max_length=1000,
                              description="The proposer's OpenSSH ed25519 public key.")
    artifact_type: str = Field(pattern=TYPE_NAME)
    change_type: ChangeType
    field: str | None = Field(default=None, pattern=FIELD_NAME)
    field_spec: Any = Field(default=None, description="JSON Schema of the field.")
    rationale: str = Field(max_length=20000, description="Why; name a specific use case.")
    migration_sql: str | None = Field(default=None, max_length=100000)
    migration_plan: str | None = Field(default=None, max_length=20000)
    backward_compatible: bool | None = Field(
        default=None, description="The proposer's claim; omitted: Senate's verdict.")
    new_name: str | None = Field(default=None, pattern=FIELD_NAME)
    required: bool = False

    _shallow = field_validator("field_spec")(shallow)


class Draft(Strict):
    id: str
    parent: str = Field(description="main's tip: the commit's only parent.")
    tree: str
    commit: str = Field(description="The exact unsigned commit object to sign.")
    files: dict[str, str] = Field(description="The proposal's own files the tree holds "
                                  "(proposal.json, migration.sql): send them back with the "
                                  "signed commit, since a draft writes nothing.")


class SignedCommit(Strict):
    commit: str = Field(
        max_length=MAX_COMMIT,
        description="A raw commit object (as `git cat-file commit` prints it), signed "
        "with the agent's SSH key: a `gpgsig` header after the committer line.",
    )


class SignedProposal(SignedCommit):
    files: dict[str, str] = Field(description="The `files` of the draft, unchanged.")

    @field_validator("files")
    @classmethod
    def _bounded(cls, value: dict[str, str]) -> dict[str, str]:
        if set(value) != {"proposal.json", "migration.sql"}:
            raise ValueError("expected exactly proposal.json and migration.sql")
        if sum(len(v) for v in value.values()) > 4 * MAX_COMMIT:
            raise ValueError("the files are too large")
        return value


class Head(Strict):
    proposal: str
    location: Literal["branch", "merged", "archived"]
    tip: str
    tree: str
    base: str
    content_id: str


class Created(Strict):
    id: str
    branch: str
    commit: str
    status: Status
    rule: str
    rule_reason: str
    content_id: str


class Written(Strict):
    commit: str
    agent: str | None
    vote: str | None
    tally: dict[str, Any] = Field(description="The tally after the write (`senate tally "
                                  "--json`).")
