"""Semantic JSON Schema diff and compatibility verdicts (pure: no git, no I/O).

`compare(old, new)` resolves local references, compares the schemas keyword family by
keyword family and returns a `Report` of typed, directed changes; `render_text` and
`Report.to_json` present it; `check_change_type` and `check_samples` check a proposal's
claims and sample documents against it. Change codes are documented in `KINDS`.
"""

from senate.compat.engine import compare, diff
from senate.compat.kinds import KINDS, kinds_markdown
from senate.compat.model import Breaks, Change, Mode, Policy, Report
from senate.compat.proposal_check import CHANGE_TYPES, Mismatch, check_change_type
from senate.compat.render import render_text
from senate.compat.samples import SampleMismatch, check_samples

__all__ = [
    "CHANGE_TYPES",
    "KINDS",
    "Breaks",
    "Change",
    "Mismatch",
    "Mode",
    "Policy",
    "Report",
    "SampleMismatch",
    "check_change_type",
    "check_samples",
    "compare",
    "diff",
    "kinds_markdown",
    "render_text",
]
