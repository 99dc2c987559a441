"""The policy-aware verdict for a proposal: the compat engine plus senate.toml's choices."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from senate.policy import Policy

if TYPE_CHECKING:
    from senate.compat import Report


@dataclass(frozen=True)
class Verdict:
    report: Report
    mode: Any  # senate.compat.Mode, from senate.toml

    @property
    def compatible(self) -> bool:
        """Fail closed: an undecidable change counts as breaking."""
        return self.report.compatible(self.mode)


def verdict_for(
    old: dict[str, Any] | None, new: dict[str, Any], policy: Policy
) -> Verdict:
    """`old` None means the type is new: no artifact of it exists, so nothing can break."""
    from senate.compat import compare

    baseline = new if old is None else old
    report = compare(baseline, new, policy=policy.compatibility.open_content,
                     dialect=policy.compatibility.dialect)
    return Verdict(report, policy.compatibility.mode)
