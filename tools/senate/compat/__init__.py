"""Semantic JSON Schema diff and compatibility verdicts (no git; a comparison does no I/O).

`compare(old, new)` resolves local references, compares the schemas keyword family by
keyword family and returns a `Report` of typed, directed changes; `render_text` and
`Report.to_json` present it; `check_change_type` and `check_samples` check a proposal's
claims and sample documents against it. Change codes are documented in `KINDS`.
"""

from senate.compat import native

# Before any engine module loads: the compiled build, when it matches these sources.
NATIVE = native.activate(__path__)

from senate.compat.engine import compare, diff  # noqa: E402
from senate.compat.kinds import KINDS, kinds_markdown  # noqa: E402
from senate.compat.model import Breaks, Change, Mode, Policy, Report  # noqa: E402
from senate.compat.proposal_check import CHANGE_TYPES, Mismatch, check_change_type  # noqa: E402
from senate.compat.render import render_text  # noqa: E402
from senate.compat.samples import SampleMismatch, check_samples  # noqa: E402

__all__ = [
    "CHANGE_TYPES",
    "KINDS",
    "NATIVE",
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
