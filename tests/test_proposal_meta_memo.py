"""proposal.json is validated against the shipped schema once per exact bytes: the same
bytes again skip the walk (a count reads three files again and again), and any changed
byte (a field dropped, a value made invalid) is validated anew and refused as before.
Oracle: jsonschema's own verdict on each document."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from senate.errors import UsageError
from senate.proposal import load_meta, meta_schema

GOOD: dict[str, Any] = {
    "id": "0001-experiment-power", "proposal_type": "schema_change",
    "target_artifact_type": "experiment", "change_type": "add_field", "field": "power",
    "field_spec": {"type": "number"},
    "rationale": "Reviewers need power. Use case: weighting studies by power.",
    "migration_plan": "none", "backward_compatible": True, "proposer": "alice",
    "created_at": "2026-12-03T07:00:00Z",
}


def variants() -> list[dict[str, Any]]:
    out = [dict(GOOD)]
    for key in ("field", "proposer", "created_at"):
        out.append({k: v for k, v in GOOD.items() if k != key})
    out.append({**GOOD, "backward_compatible": "yes"})
    out.append({**GOOD, "change_type": "drop_everything"})
    return out


@pytest.mark.parametrize("data", variants())
def test_the_verdict_is_jsonschemas_cold_and_warm(data: dict[str, Any]) -> None:
    valid = jsonschema.Draft202012Validator(meta_schema()).is_valid(data)
    raw = json.dumps(data, indent=2).encode()
    for _ in range(2):                       # cold, then from the memo
        if valid:
            assert load_meta(raw, "proposal.json").proposer == data["proposer"]
        else:
            with pytest.raises(UsageError, match="does not follow the proposal schema"):
                load_meta(raw, "proposal.json")


def test_the_table_holds_both_verdicts() -> None:
    verdicts = [jsonschema.Draft202012Validator(meta_schema()).is_valid(d) for d in variants()]
    assert verdicts[0] and not any(verdicts[1:])


def test_a_valid_document_then_one_byte_changed() -> None:
    raw = json.dumps(GOOD).encode()
    assert load_meta(raw, "p").field == "power"
    broken = raw.replace(b'"backward_compatible": true', b'"backward_compatible": 1')
    assert broken != raw
    with pytest.raises(UsageError, match="backward_compatible"):
        load_meta(broken, "p")
