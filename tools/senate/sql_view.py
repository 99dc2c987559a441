"""The proposer's SQL as a reviewer reads it: each statement with its verdict, and the dry
run's measured effect as a small table. Plain values, rendered as text for `senate show`
and by the review page's template."""

from __future__ import annotations

from typing import Any

from senate.counting import Count

MARKS = {"allowed": "ok", "destructive": "DESTRUCTIVE", "refused": "REFUSED"}


def sql_view(c: Count) -> dict[str, Any]:
    """Statements grouped over dialects (one row when both read it alike), dry runs, notes."""
    sql = c.sql
    if sql is None:
        return {"statements": [], "dry_runs": [], "notes": [], "skipped": None}
    rows: dict[tuple[str, int, str, str, str], list[str]] = {}
    for s in sql.statements:
        v = s.verdict
        rows.setdefault((s.file, v.line, v.statement, v.kind, v.reason), []).append(s.dialect)
    statements = [
        {"file": f, "line": line, "statement": text, "kind": kind, "reason": reason,
         "dialects": dialects, "mark": MARKS[kind], "flagged": kind != "allowed"}
        for (f, line, text, kind, reason), dialects in rows.items()
    ]
    dry_runs = []
    for r in sql.rehearsals:
        j = r.to_json()
        j["objects"] = (
            [f"dropped table {t}" for t in j["dropped_tables"]]
            + [f"renamed table {t}" for t in j["renamed_tables"]]
            + [f"dropped column {x}" for x in j["dropped_columns"]]
            + [f"renamed column {x}" for x in j["renamed_columns"]])
        dry_runs.append(j)
    return {"statements": statements, "dry_runs": dry_runs, "notes": list(sql.notes),
            "skipped": sql.skipped}


def sql_text(view: dict[str, Any]) -> list[str]:
    lines = ["", "Proposer SQL, statement by statement:"]
    if not view["statements"]:
        lines.append("  (no statements)")
    for s in view["statements"]:
        flag = "!!" if s["flagged"] else "  "
        lines.append(f"{flag}[{s['kind']}] {s['file']} line {s['line']} "
                     f"({', '.join(s['dialects'])}): {s['reason']}")
        lines += [f"      {x}" for x in s["statement"].splitlines()]
    for note in view["notes"]:
        lines += ["", f"Note: {note}"]
    if view["skipped"]:
        lines += ["", f"Dry run: not run ({view['skipped']})"]
    for run in view["dry_runs"]:
        lines += ["", f"Dry run on {run['dialect']} ({run['samples']} sample artifacts, "
                      f"{run['ms']:.0f} ms):"]
        if run["broken"] or run["failure"]:
            lines += [f"  ! {p}" for p in run["problems"]]
            continue
        lines.append(f"  {'table':<28} {'rows before':>11} {'rows after':>10} {'changed':>8}")
        for t in run["tables"]:
            mark = "!!" if t["lost"] else "  "
            lines.append(f"{mark}{t['table']:<28} {t['before']:>11} {t['after']:>10} "
                         f"{t['changed']:>8}")
        lines += [f"!! {o}" for o in run["objects"]]
        lines.append(f"  artifacts whose metadata changed: {len(run['changed_artifacts'])}")
        if run["invalid_artifacts"]:
            lines.append(f"!! invalid under the new schema afterwards: "
                         f"{len(run['invalid_artifacts'])}")
            lines += [f"     {i['artifact']}: {i['why']}" for i in run["invalid_artifacts"][:10]]
    return lines
