"""Proposal metadata (proposals/<id>/proposal.json) and applying its change to a schema."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from senate.errors import UsageError

# "governance" is the change type a governance proposal's metadata is read with; it has no
# schema change (its edit of senate.toml is in `governance`) and is never proposed as one.
ChangeType = Literal["add_field", "modify_field", "remove_field", "add_type", "rename_field",
                     "governance"]
CHANGE_TYPES: tuple[ChangeType, ...] = (
    "add_field",
    "modify_field",
    "remove_field",
    "add_type",
    "rename_field",
)
ID_RE = re.compile(r"^[0-9]{4}-[a-z0-9][a-z0-9-]{0,62}$")
FIELD_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
USE_CASE_RE = re.compile(r"\buse[- ]cases?\b\s*[:\-]?\s*\S", re.IGNORECASE)
PROPOSALS_DIR = "proposals"
ARCHIVE_DIR = "proposals/archive"
META_SCHEMA_RESOURCE = "senate/resources/proposal.schema.json"


@cache
def meta_schema() -> dict[str, Any]:
    text = resources.files("senate.resources").joinpath("proposal.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _meta_validator() -> Any:
    # Built once: a count reads three proposal.json files, an audit three per merge, and
    # building the validator (its registry, its format checker) cost more than using it.
    import jsonschema

    cls = jsonschema.Draft202012Validator
    return cls(meta_schema(), format_checker=cls.FORMAT_CHECKER)


def check_id(proposal_id: str) -> str:
    if not ID_RE.match(proposal_id):
        raise UsageError(
            f"proposal id {proposal_id!r} is not valid",
            "ids look like 0007-experiment-confidence: 4 digits, a dash, lowercase words",
        )
    return proposal_id


def check_field_name(name: str, option: str = "--field") -> str:
    if not FIELD_RE.match(name):
        raise UsageError(
            f"{option} {name!r} is not a valid field name",
            "use lowercase letters, digits and underscores",
        )
    return name


def check_rationale(text: str) -> str:
    if not text.strip():
        raise UsageError("the rationale is empty", "say why, and name a specific use case")
    if not USE_CASE_RE.search(text):
        raise UsageError(
            "the rationale references no use case",
            "include at least one 'Use case: <who needs this, for what>' in --rationale",
        )
    return text


@dataclass(frozen=True)
class ProposalMeta:
    id: str
    target_artifact_type: str
    change_type: ChangeType
    field: str | None
    field_spec: Any
    rationale: str
    migration_plan: str
    backward_compatible: bool
    proposer: str
    created_at: str
    new_name: str | None = None
    required: bool = False
    proposal_type: str = "schema_change"
    governance: dict[str, Any] | None = None  # governance proposals: the senate.toml edit

    def to_json(self) -> dict[str, Any]:
        if self.proposal_type == "governance":
            return {"id": self.id, "proposal_type": self.proposal_type,
                    "governance": self.governance, "rationale": self.rationale,
                    "proposer": self.proposer, "created_at": self.created_at}
        out: dict[str, Any] = {
            "id": self.id,
            "proposal_type": self.proposal_type,
            "target_artifact_type": self.target_artifact_type,
            "change_type": self.change_type,
            "field": self.field,
            "field_spec": self.field_spec,
            "rationale": self.rationale,
            "migration_plan": self.migration_plan,
            "backward_compatible": self.backward_compatible,
            "proposer": self.proposer,
            "created_at": self.created_at,
            "required": self.required,
        }
        if self.change_type == "rename_field":
            out["new_name"] = self.new_name
        return out

    def dumps(self) -> bytes:
        return (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode()


def parse_meta(data: dict[str, Any], source: str, checked: bool = False) -> ProposalMeta:
    """Validate metadata against the shipped schema (unless `checked`: these very bytes
    passed before); every problem is named at once."""
    errors = [] if checked else sorted(_meta_validator().iter_errors(data),
                                       key=lambda e: e.json_path)
    if errors:
        lines = "; ".join(f"{e.json_path}: {e.message}" for e in errors[:5])
        raise UsageError(
            f"{source} does not follow the proposal schema: {lines}",
            f"see the schema shipped at {META_SCHEMA_RESOURCE}",
        )
    if data["proposal_type"] == "governance":
        return ProposalMeta(
            id=data["id"], target_artifact_type="", change_type="governance", field=None,
            field_spec=None, rationale=data["rationale"],
            migration_plan="none: a governance change edits senate.toml only",
            backward_compatible=True, proposer=data["proposer"],
            created_at=data["created_at"], proposal_type="governance",
            governance=data["governance"],
        )
    return ProposalMeta(
        id=data["id"],
        target_artifact_type=data["target_artifact_type"],
        change_type=data["change_type"],
        field=data["field"],
        field_spec=data["field_spec"],
        rationale=data["rationale"],
        migration_plan=data["migration_plan"],
        backward_compatible=data["backward_compatible"],
        proposer=data["proposer"],
        created_at=data["created_at"],
        new_name=data.get("new_name"),
        required=data.get("required", False),
        proposal_type=data["proposal_type"],
    )


def load_meta(raw: bytes, source: str) -> ProposalMeta:
    from senate import strictjson

    data = strictjson.loads(raw, source)
    if not isinstance(data, dict):
        raise UsageError(f"{source} is not a JSON object")
    # Validity against the shipped schema is a function of the bytes: a count reads the
    # same three proposal.json files again and again, an audit three per merge.
    digest = hashlib.blake2b(raw, digest_size=20).digest()
    meta = parse_meta(data, source, checked=digest in _VALID_META)
    if len(_VALID_META) >= 100_000:
        _VALID_META.clear()
    _VALID_META.add(digest)
    return meta


_VALID_META: set[bytes] = set()   # digests of proposal.json bytes found valid


def apply_change(schema: dict[str, Any] | None, meta: ProposalMeta) -> dict[str, Any]:
    """The schema after the proposal's change; UsageError when the change cannot apply."""
    kind = meta.change_type
    if kind == "add_type":
        if schema is not None:
            raise UsageError(
                f"artifact type {meta.target_artifact_type!r} already exists",
                "use add_field or modify_field to change an existing type",
            )
        new_schema: dict[str, Any] = copy.deepcopy(meta.field_spec)
        new_schema.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
        new_schema["$id"] = f"urn:senate:schema:{meta.target_artifact_type}"
        new_schema["x-senate-version"] = 1
        return new_schema
    if schema is None:
        raise UsageError(
            f"unknown artifact type {meta.target_artifact_type!r}",
            "run `senate schema list` for the known types, or use --change add_type",
        )
    new = copy.deepcopy(schema)
    props: dict[str, Any] = new.setdefault("properties", {})
    required: list[str] = list(new.get("required", []))
    field = meta.field or ""
    if kind == "add_field":
        if field in props:
            raise UsageError(
                f"{meta.target_artifact_type} already has a field {field!r}",
                "use --change modify_field to change it",
            )
        props[field] = copy.deepcopy(meta.field_spec)
        if meta.required:
            required.append(field)
    elif field not in props:
        raise UsageError(
            f"{meta.target_artifact_type} has no field {field!r}",
            f"its fields: {', '.join(sorted(props)) or 'none'}",
        )
    elif kind == "modify_field":
        props[field] = copy.deepcopy(meta.field_spec)
    elif kind == "remove_field":
        del props[field]
        required = [r for r in required if r != field]
    elif kind == "rename_field":
        new_name = meta.new_name or ""
        if new_name in props:
            raise UsageError(f"{meta.target_artifact_type} already has a field {new_name!r}")
        spec = props.pop(field) if meta.field_spec is None else meta.field_spec
        props.pop(field, None)
        props[new_name] = copy.deepcopy(spec)
        required = [new_name if r == field else r for r in required]
    if required:
        new["required"] = required
    else:
        new.pop("required", None)
    return new
