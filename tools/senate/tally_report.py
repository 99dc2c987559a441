"""Human renderings of a count: terminal text, the CI gate's reason, a markdown summary."""

from __future__ import annotations

from senate.counting import Count


def check_reason(c: Count) -> str | None:
    """None when `senate check` passes; otherwise one short line saying why not."""
    if c.status == "approved":
        return None
    if c.problems:
        return c.problems[0]
    t = c.tally
    if c.status in ("merged", "archived"):
        return f"proposal is already {c.status}"
    if c.status == "rejected":
        why = "its voting window closed" if t.window_closed else "it can no longer pass"
        return f"rejected: {why} ({t.approve}/{t.required} approvals, {t.reject} against)"
    return f"{t.approve} of {t.required} approvals needed ({t.rule.name}); " \
        f"not voted: {', '.join(t.not_voted) or 'nobody'}"


def render_tally(c: Count) -> str:
    t = c.tally
    lines = [
        f"{c.proposal}: {c.status}",
        f"rule: {t.rule.name}: {t.rule.reason}",
        f"eligible {len(t.eligible)}, required {t.required}: "
        f"approve {t.approve}, reject {t.reject}, abstain {t.abstain}",
        f"not voted: {', '.join(t.not_voted) or '-'}",
        f"content id {c.content_id}",
        f"base {c.ref.base}  tip {c.ref.tip}",
        "",
        "counted:",
        *(f"  {v.agent:<20} {v.vote:<8} {v.commit[:12]}" for v in t.counted),
    ]
    ignored = c.ignored()
    if ignored:
        lines += ["", "did not count:"]
        lines += [f"  {i['commit'][:12]}  {i['reason']:<16} {i['detail']}" for i in ignored]
    if c.problems:
        lines += ["", "problems:", *(f"  ! {p}" for p in c.problems)]
    return "\n".join(lines)


def markdown_summary(c: Count) -> str:
    t = c.tally
    verdict = {True: "backward compatible", False: "**not backward compatible**"}.get(
        c.compat.backward_compatible,  # type: ignore[arg-type]
        "**unknown** (treated as breaking)",
    )
    rows = "\n".join(f"| {v.agent} | {v.vote} | `{v.commit[:12]}` |" for v in t.counted)
    out = [
        f"## Senate: {c.proposal} is {c.status}",
        "",
        f"Rule **{t.rule.name}**: {t.rule.reason}. Compatibility: {verdict}.",
        "",
        f"{t.approve} approve, {t.reject} reject, {t.abstain} abstain; "
        f"{t.required} of {len(t.eligible)} eligible needed.",
        "",
        "| agent | vote | commit |",
        "|---|---|---|",
        rows or "| - | - | - |",
        "",
    ]
    ignored = c.ignored()
    if ignored:
        out += ["Did not count:", ""]
        out += [f"- `{i['commit'][:12]}` {i['reason']}: {i['detail']}" for i in ignored]
        out.append("")
    if c.problems:
        out += ["Problems:", "", *(f"- {p}" for p in c.problems), ""]
    return "\n".join(out) + "\n"
