"""Opening a proposal: validate everything, then write one signed commit on a new branch."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate.commits import agent_for_key, signed_commit
from senate.content import content_id_between
from senate.errors import ConflictError, UsageError
from senate.git import GitRepo
from senate.proposal import (
    PROPOSALS_DIR,
    ChangeType,
    ProposalMeta,
    apply_change,
    check_field_name,
    check_rationale,
    parse_meta,
)
from senate.proposals import claim_branch, main_tip, next_number, policy_at
from senate.registry import check_type_name, dump_schema, load_schema, schema_path
from senate.validation import check_schema

if TYPE_CHECKING:
    from senate.compatibility import Verdict

ID_ATTEMPTS = 20
T = TypeVar("T")


@dataclass(frozen=True)
class ProposalRequest:
    """What an agent asks for; everything here is untrusted until `open_proposal` checks it."""

    artifact_type: str
    change_type: ChangeType
    field: str | None
    field_spec: Any
    rationale: str
    migration_sql: str | None = None
    migration_plan: str | None = None
    claim_compatible: bool | None = None  # None: take Senate's computed verdict
    new_name: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Opened:
    id: str
    branch: str
    commit: str
    content_id: str
    meta: ProposalMeta
    backward_compatible: bool | None  # Senate's computed verdict
    mismatches: tuple[str, ...] = ()  # where the proposal's claims contradict the diff

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "branch": self.branch, "content_id": self.content_id,
                "backward_compatible": self.backward_compatible,
                "mismatches": list(self.mismatches)}


def prepare_schema_change(
    git: GitRepo, base: str, request: ProposalRequest
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """Check the request against the registry at `base`; return (old, new) schemas."""
    check_type_name(request.artifact_type)
    if request.change_type == "add_type":
        if request.field is not None:
            raise UsageError("--field is not used with add_type; --spec is the whole schema")
    else:
        if request.field is None:
            raise UsageError(f"{request.change_type} needs --field NAME")
        check_field_name(request.field)
    if request.change_type == "rename_field":
        if request.new_name is None:
            raise UsageError("rename_field needs --new-name NAME")
        check_field_name(request.new_name, "--new-name")
    elif request.new_name is not None:
        raise UsageError("--new-name is only for rename_field")
    if request.change_type in ("add_field", "modify_field", "add_type"):
        if request.field_spec is None:
            raise UsageError(f"{request.change_type} needs --spec (a JSON Schema of the field)")
    elif request.change_type == "remove_field" and request.field_spec is not None:
        raise UsageError("remove_field takes no --spec")
    if request.field_spec is not None:
        if not isinstance(request.field_spec, dict | bool):
            raise UsageError("--spec must be a JSON Schema: an object or a boolean")
        check_schema(request.field_spec if isinstance(request.field_spec, dict) else {}, "--spec")
    check_rationale(request.rationale)
    exists = git.read_file(base, schema_path(request.artifact_type)) is not None
    old = load_schema(git, request.artifact_type, base) if exists else None
    if old is None and request.change_type != "add_type":
        load_schema(git, request.artifact_type, base)  # raises the unknown-type error
    probe = ProposalMeta(
        id="0000-probe",
        target_artifact_type=request.artifact_type,
        change_type=request.change_type,
        field=request.field,
        field_spec=request.field_spec,
        rationale=request.rationale,
        migration_plan="",
        backward_compatible=False,
        proposer="probe",
        created_at="",
        new_name=request.new_name,
        required=request.required,
    )
    new = apply_change(old, probe)
    check_schema(new, f"the new {request.artifact_type} schema")
    return old, new


def slug_for(request: ProposalRequest) -> str:
    words = [request.artifact_type, request.field or "type", request.new_name or ""]
    slug = "-".join(w for w in words if w).replace("_", "-")
    return re.sub(r"-+", "-", slug)[:50].strip("-")


def open_proposal(git: GitRepo, key: Ed25519PrivateKey, request: ProposalRequest) -> Opened:
    from senate.compatibility import verdict_for

    main = main_tip(git)
    policy = policy_at(git, main)
    agent = agent_for_key(policy, key)
    old, new = prepare_schema_change(git, main, request)
    computed = verdict_for(old, new, policy)
    claim = computed.compatible if request.claim_compatible is None else request.claim_compatible
    mismatches = claim_mismatches(request, computed, bool(claim))
    stamp = created_stamp(datetime.now(UTC))

    def write(proposal_id: str) -> tuple[str, Content]:
        content = proposal_content(request, new, proposal_id, agent.name, bool(claim), stamp)
        return signed_commit(git, key, agent, main, content.message, content.changes), content

    proposal_id, commit, content = claim_new_id(git, slug_for(request), write)
    return Opened(
        id=proposal_id,
        branch=f"proposal/{proposal_id}",
        commit=commit,
        content_id=content_id_between(git, main, commit),
        meta=content.meta,
        backward_compatible=computed.compatible,
        mismatches=mismatches,
    )


def claim_new_id(
    git: GitRepo, slug: str, write: Callable[[str], tuple[str, T]]
) -> tuple[str, str, T]:
    """Take the next free number for `slug`: `write(id)` makes the opening commit, whose
    branch is then claimed; on a race for the number, write again with the next one."""
    for _ in range(ID_ATTEMPTS):
        proposal_id = f"{next_number(git):04d}-{slug}"
        commit, extra = write(proposal_id)
        try:
            if claim_branch(git, proposal_id, commit):
                return proposal_id, commit, extra
        except ConflictError:
            pass  # another agent took this id between our look and our write
        time.sleep(random.uniform(0.001, 0.03))
    raise ConflictError(f"could not find a free proposal id after {ID_ATTEMPTS} tries")


def claim_mismatches(
    request: ProposalRequest, computed: Verdict, claim: bool
) -> tuple[str, ...]:
    """The proposal's change type and compatibility claim checked against the real diff:
    the proposal still opens (the counter blocks it), but the proposer hears it now."""
    from senate.compat import check_change_type

    if request.change_type == "add_type":
        return ()
    found = check_change_type(request.change_type, request.field, request.new_name,
                              computed.report, claim)
    return tuple(
        m.reason + (" (" + "; ".join(f"{c.kind} at {c.path}" for c in m.changes) + ")"
                    if m.changes else "")
        for m in found
    )


@dataclass(frozen=True)
class Content:
    """Everything a proposal commit holds, so a server can rebuild and compare it."""

    meta: ProposalMeta
    changes: dict[str, bytes | None]
    message: str


def proposal_content(
    request: ProposalRequest,
    new_schema: dict[str, Any],
    proposal_id: str,
    proposer: str,
    claim: bool,
    created_at: str,
) -> Content:
    """The files and message of the proposal commit (checked `request`, schema after it)."""
    meta = parse_meta(
        _meta_json(proposal_id, request, proposer, claim, created_at), "the proposal metadata"
    )
    folder = f"{PROPOSALS_DIR}/{proposal_id}"
    changes: dict[str, bytes | None] = {
        f"{folder}/proposal.json": meta.dumps(),
        f"{folder}/migration.sql": _migration_sql(request).encode(),
        schema_path(request.artifact_type): dump_schema(new_schema),
    }
    message = (
        f"propose({proposal_id}): {request.change_type} {_what(request)}\n\n"
        f"{request.rationale.strip()}\n\nSenate-Proposal: {proposal_id}\n"
    )
    return Content(meta, changes, message)


def created_stamp(now: datetime) -> str:
    """The `created_at` of a proposal: UTC, whole seconds, 'Z'."""
    return now.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def request_from_meta(meta: ProposalMeta, migration_sql: str) -> ProposalRequest:
    """The request that produces `meta` (the inverse of `proposal_content`)."""
    return ProposalRequest(
        artifact_type=meta.target_artifact_type,
        change_type=meta.change_type,
        field=meta.field,
        field_spec=meta.field_spec,
        rationale=meta.rationale,
        migration_sql=migration_sql,
        migration_plan=meta.migration_plan,
        claim_compatible=meta.backward_compatible,
        new_name=meta.new_name,
        required=meta.required,
    )


def _what(request: ProposalRequest) -> str:
    if request.change_type == "add_type":
        return request.artifact_type
    if request.change_type == "rename_field":
        return f"{request.artifact_type}.{request.field} -> {request.new_name}"
    return f"{request.artifact_type}.{request.field}"


def _meta_json(
    proposal_id: str, request: ProposalRequest, proposer: str, claim: bool, created_at: str
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": proposal_id,
        "proposal_type": "schema_change",
        "target_artifact_type": request.artifact_type,
        "change_type": request.change_type,
        "field": request.field,
        "field_spec": request.field_spec,
        "rationale": request.rationale,
        "migration_plan": request.migration_plan
        or (
            f"Senate generates the {request.change_type} backfill of the artifacts' metadata; "
            "any extra SQL from the proposer is in migration.sql and runs in the same "
            "transaction."
        ),
        "backward_compatible": claim,
        "proposer": proposer,
        "created_at": created_at,
        "required": request.required,
    }
    if request.change_type == "rename_field":
        data["new_name"] = request.new_name
    return data


def _migration_sql(request: ProposalRequest) -> str:
    if request.migration_sql is not None:
        return request.migration_sql if request.migration_sql.endswith("\n") else (
            request.migration_sql + "\n"
        )
    return (
        "-- No proposer SQL: Senate's generated backfill for "
        f"{request.change_type} is all this change needs.\n"
    )
