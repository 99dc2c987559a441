"""The human text form of a report: verdict, then changes grouped by path, breaking first."""

from __future__ import annotations

from senate.compat.model import UNKNOWN, Change, Mode, Report, breaks_in


def _word(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown (fails closed)"}[value]


def _breaking(change: Change, mode: Mode) -> bool:
    return change.kind == UNKNOWN or breaks_in(change.breaks, mode)


def render_text(report: Report, mode: Mode = "backward") -> str:
    breaking = report.breaking(mode)
    lines = [
        f"backward compatible: {_word(report.backward_compatible)}",
        f"forward compatible: {_word(report.forward_compatible)}",
        f"{mode} check: " + ("compatible" if report.compatible(mode) else
                             f"NOT compatible ({len(breaking)} breaking change"
                             f"{'' if len(breaking) == 1 else 's'})"),
    ]
    if report.dialects[0] == report.dialects[1]:
        lines.append(f"dialect: {report.dialects[0]}")
    else:
        lines.append(f"dialects: old {report.dialects[0]}, new {report.dialects[1]}")
    # A verdict that rests on an assumption says so, where a reviewer reads it.
    lines += [f"assumes: {note}" for note in report.assumptions]
    if not report.changes:
        lines.append("no changes in meaning")
        return "\n".join(lines) + "\n"
    groups: dict[str, list[Change]] = {}
    for change in report.changes:
        groups.setdefault(change.path, []).append(change)
    order = sorted(groups, key=lambda p: not any(_breaking(c, mode) for c in groups[p]))
    for path in order:
        lines.append("")
        lines.append(path or "(root)")
        for change in sorted(groups[path], key=lambda c: not _breaking(c, mode)):
            mark = "!" if _breaking(change, mode) else " "
            lines.append(f"  {mark} {change.kind} [breaks {change.breaks}]: "
                         f"{change.explanation}")
    return "\n".join(lines) + "\n"
