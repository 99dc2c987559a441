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
    mode: str

    @property
    def compatible(self) -> bool:
        """Fail closed: an undecidable change counts as breaking."""
        return self.report.compatible(self.report_mode)

    @property
    def report_mode(self) -> Any:
        return self.mode


def verdict_for(
    old: dict[str, Any] | None, new: dict[str, Any] | None, policy: Policy
) -> Verdict:
    from senate.compat import compare

    report = compare(old or {}, new or {}, policy=policy.compatibility.open_content)
    return Verdict(report, policy.compatibility.mode)
