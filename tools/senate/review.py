"""What a reviewer (human or agent) sees of a proposal: one dict, rendered as text or JSON."""

from __future__ import annotations

from typing import Any

from senate.counting import Count, count_ref
from senate.git import GitRepo
from senate.policy import POLICY_FILE
from senate.proposal import PROPOSALS_DIR
from senate.proposals import all_proposal_ids, find_proposal
from senate.registry import SCHEMA_DIR
from senate.sql_view import sql_text, sql_view


def summary(c: Count) -> dict[str, Any]:
    return {
        "id": c.proposal,
        "status": c.status,
        "target_artifact_type": c.meta.target_artifact_type,
        "change_type": c.meta.change_type,
        "field": c.meta.field,
        "proposer": c.meta.proposer,
        "rule": c.tally.rule.name,
        "approve": c.tally.approve,
        "required": c.tally.required,
        "tip": c.ref.tip,
    }


def list_summaries(git: GitRepo, status: str | None = None) -> list[dict[str, Any]]:
    rows = [summary(count_ref(git, find_proposal(git, pid))) for pid in all_proposal_ids(git)]
    return [r for r in rows if status is None or r["status"] == status]


def proposal_detail(git: GitRepo, proposal_id: str) -> dict[str, Any]:
    return detail_of(git, count_ref(git, find_proposal(git, proposal_id)))


def semantic_text(c: Count) -> str:
    """The compat engine's rendering for each changed schema, breaking changes first."""
    from senate.compat import render_text

    if not c.compat.reports:
        return "(no schema changes)"
    mode: Any = c.compat.mode
    return "\n".join(f"{path}:\n{render_text(report, mode)}" for path, report in c.compat.reports)


def detail_of(git: GitRepo, c: Count) -> dict[str, Any]:
    proposal_id = c.proposal
    sql = git.read_file(c.ref.tip, f"{PROPOSALS_DIR}/{proposal_id}/migration.sql")
    schema_paths = [  # a governance proposal's diff is its senate.toml edit
        p for p in git.changed_paths(c.ref.base, c.ref.tip)
        if p.startswith(f"{SCHEMA_DIR}/") or p == POLICY_FILE
    ]
    return {
        "id": proposal_id,
        "status": c.status,
        "branch": f"proposal/{proposal_id}",
        "location": c.ref.location,
        "tip": c.ref.tip,
        "base": c.ref.base,
        "merge_commit": c.ref.merge_commit,
        "content_id": c.content_id,
        "metadata": c.meta.to_json(),
        "compatibility": {
            "backward_compatible": c.compat.backward_compatible,
            "forward_compatible": c.compat.forward_compatible,
            "changes": list(c.compat.changes),
            "mismatches": list(c.compat.mismatches),
        },
        "schema_diff": git.unified_diff(c.ref.base, c.ref.tip, schema_paths),
        "migration_sql": sql.decode("utf-8", "replace") if sql is not None else None,
        "sql": sql_view(c),
        "tally": c.to_json(),
    }


def render_detail(d: dict[str, Any], semantic: str) -> str:
    """Text for a terminal; `semantic` is the rendered semantic diff (see semantic_text)."""
    meta = d["metadata"]
    compat = d["compatibility"]
    tally = d["tally"]
    if meta["proposal_type"] == "governance":
        change = ", ".join(f"{k}={v}" for k, v in meta["governance"].items())
        head = [f"  governance: {change}", f"  proposer {meta['proposer']}, opened "
                f"{meta['created_at']}"]
    else:
        head = [
            f"  {meta['change_type']} on {meta['target_artifact_type']}"
            + (f".{meta['field']}" if meta.get("field") else "")
            + (f" -> {meta['new_name']}" if meta.get("new_name") else ""),
            f"  proposer {meta['proposer']}, opened {meta['created_at']}",
            f"  claim: {'backward compatible' if meta['backward_compatible'] else 'breaking'}; "
            f"Senate: {_verdict(compat['backward_compatible'])}",
        ]
    lines = [
        f"{d['id']}  [{d['status']}]",
        *head,
        f"  rule: {tally['rule']} ({tally['rule_reason']})",
        f"  votes: {tally['approve']} approve, {tally['reject']} reject, "
        f"{tally['abstain']} abstain; {tally['required']} of {tally['eligible']} needed",
        "",
        "Rationale:",
        *("  " + line for line in meta["rationale"].splitlines()),
        "",
        "Semantic diff (breaking first):",
        *("  " + line if line else "" for line in semantic.rstrip("\n").splitlines()),
    ]
    if compat["mismatches"] or tally["problems"]:
        lines += ["", "Problems:", *("  ! " + p for p in tally["problems"])]
    lines += ["", "Schema diff:", d["schema_diff"].rstrip() or "  (none)", ""]
    lines += ["Migration SQL:", (d["migration_sql"] or "  (none)").rstrip()]
    lines += sql_text(d["sql"])
    return "\n".join(lines)


def _verdict(value: bool | None) -> str:
    return {True: "backward compatible", False: "NOT backward compatible"}.get(
        value, "unknown (treated as breaking)"  # type: ignore[arg-type]
    )
