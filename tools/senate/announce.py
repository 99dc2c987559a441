"""What `senate propose` tells the proposer: the rule and reasons `senate tally` will give.

It is the count itself (senate.counting.count) on the freshly written branch, not a
prediction, so the rule, its reason and the blocking problems are the tally's own words.
"""

from __future__ import annotations

from typing import Any

from senate.git import GitRepo


def announce(git: GitRepo, proposal_id: str) -> dict[str, Any]:
    from senate.counting import count

    c = count(git, proposal_id)
    t = c.tally
    return {
        "rule": t.rule.name,
        "rule_reason": t.rule.reason,
        "required": t.required,
        "eligible": len(t.eligible),
        "problems": list(c.problems),
        "sql": c.sql.to_json() if c.sql is not None else None,
    }


def render_announcement(a: dict[str, Any]) -> str:
    lines = [f"  rule: {a['rule']}: {a['rule_reason']}",
             f"  approvals needed: {a['required']} of {a['eligible']}"]
    sql = a.get("sql") or {}
    lines += [f"  note: {n}" for n in sql.get("notes", [])]
    if a["problems"]:
        lines.append("  blocked until fixed (no number of votes approves it):")
        lines += [f"    ! {p}" for p in a["problems"]]
    return "\n".join(lines)
