"""Check a proposal's declared change type and compatibility claim against the diff.

Proposals change top-level properties of an artifact schema, so each change is
attributed to the top-level field its path starts in (`/properties/<f>/...`,
`/required/<f>`, `/dependentRequired/<f>`, ...). Changes outside any field that alter
validity contradict every field-level change type.
"""

from __future__ import annotations

from dataclasses import dataclass

from senate.compat.model import UNKNOWN, Change, Report
from senate.errors import UsageError

CHANGE_TYPES = ("add_field", "modify_field", "remove_field", "add_type", "rename_field")
_FIELD_KEYED = ("properties", "required", "dependentRequired", "dependentSchemas")


@dataclass(frozen=True)
class Mismatch:
    """A contradiction between what a proposal says and what its diff does."""

    reason: str
    changes: tuple[Change, ...]


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def field_of(change: Change) -> str | None:
    """The top-level property a change is about, or None for schema-wide changes."""
    parts = change.path.split("/")
    if len(parts) >= 3 and parts[0] == "" and parts[1] in _FIELD_KEYED:
        return _unescape(parts[2])
    return None


def _structural(report: Report, kind: str) -> dict[str, Change]:
    return {name: c for c in report.changes
            if c.kind == kind and (name := field_of(c)) is not None
            and c.path.count("/") == 2 and c.path.startswith("/properties/")}


def check_change_type(change_type: str, field: str | None, new_name: str | None,
                      report: Report, claimed_backward_compatible: bool | None) -> list[Mismatch]:
    """Mismatches between the declared change and the computed report (empty when none).

    For `add_type` the report compares an absent type (old = {}) with the new schema,
    which is compatible by definition: only the claim is not checked against it.
    """
    if change_type not in CHANGE_TYPES:
        raise UsageError(f"unknown change type {change_type!r}",
                         hint="one of " + ", ".join(CHANGE_TYPES))
    if change_type == "add_type":
        return []
    if not field:
        raise UsageError(f"{change_type} needs the field it changes")
    if change_type == "rename_field" and not new_name:
        raise UsageError("rename_field needs the new name of the field")
    added, removed = _structural(report, "property_added"), _structural(report, "property_removed")
    targets = {field, new_name} if change_type == "rename_field" else {field}
    out: list[Mismatch] = []

    def expect(present: bool, reason: str) -> None:
        if not present:
            out.append(Mismatch(reason, ()))

    def forbid(found: dict[str, Change], reason: str) -> None:
        if found:
            out.append(Mismatch(reason + ": " + ", ".join(sorted(found)), tuple(found.values())))

    others = {k: v for k, v in added.items() if k not in targets}
    gone = {k: v for k, v in removed.items() if k not in targets}
    if change_type == "add_field":
        expect(field in added, f"add_field of {field!r}, but the schema does not add it")
        forbid(removed, "add_field also removes fields")
        forbid(others, "add_field also adds other fields")
    elif change_type == "remove_field":
        expect(field in removed, f"remove_field of {field!r}, but the schema does not remove it")
        forbid(added, "remove_field also adds fields")
        forbid(gone, "remove_field also removes other fields")
    elif change_type == "modify_field":
        forbid(added, "modify_field adds fields")
        forbid(removed, "modify_field removes fields")
        expect(any(field_of(c) == field for c in report.changes),
               f"modify_field of {field!r}, but that field does not change")
    else:
        expect(field in removed, f"rename_field from {field!r}, but the schema keeps it")
        expect(new_name in added, f"rename_field to {new_name!r}, but the schema does not add it")
        forbid(others, "rename_field also adds other fields")
        forbid(gone, "rename_field also removes other fields")
    structural = {id(c) for c in (*added.values(), *removed.values())}
    outside = tuple(c for c in report.changes
                    if field_of(c) not in targets and id(c) not in structural
                    and (c.breaks != "none" or c.kind == UNKNOWN))
    if outside:
        out.append(Mismatch(f"{change_type} of {field!r} also changes validity elsewhere",
                            outside))
    if claimed_backward_compatible is True and report.backward_compatible is not True:
        verdict = "unknown" if report.backward_compatible is None else "not backward compatible"
        out.append(Mismatch(f"claims backward_compatible: true, but the diff is {verdict}",
                            report.breaking("backward")))
    return out
