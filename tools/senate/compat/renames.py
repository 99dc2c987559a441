"""A rename seen as a rename.

The engine compares two schemas and cannot know that a property was renamed: it sees
one removed and one added. A proposal says so (`rename_field`), and the migration moves
the values, so a reader is told that, once, instead of "now accepts nothing (false)"
next to an unrelated-looking addition. The verdict is unchanged: the rename breaks
whatever the two changes broke together.
"""

from __future__ import annotations

from collections.abc import Mapping

from senate.compat.model import Change, Report, union

RENAMED = "property_renamed"


def _pointer(name: str) -> str:
    return "/properties/" + name.replace("~", "~0").replace("/", "~1")


def explain_renames(report: Report, renames: Mapping[str, str]) -> Report:
    """`report` with each renamed top-level property (old -> new) as one change."""
    changes = list(report.changes)
    for old, new in renames.items():
        removed = next((c for c in changes if c.kind == "property_removed"
                        and c.path == _pointer(old)), None)
        added = next((c for c in changes if c.kind == "property_added"
                      and c.path == _pointer(new)), None)
        if removed is None or added is None:
            continue  # not the shape of a rename: leave the engine's account alone
        merged = Change(
            RENAMED, removed.path, union(removed.breaks, added.breaks),
            f"property '{old}' renamed to '{new}': documents holding '{old}' are no longer "
            f"accepted and '{new}' is accepted in its place; the migration moves each "
            f"artifact's value from '{old}' to '{new}'",
        )
        changes[changes.index(removed)] = merged
        changes.remove(added)
    return Report(tuple(changes), report.backward_compatible, report.forward_compatible)
