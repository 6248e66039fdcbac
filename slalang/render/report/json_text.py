"""Report rendering: `json` (the whole report) and `jsonl` (the violations, one a line).

Key order is the report's own and nothing depends on the machine, so the same report is
always the same bytes; non-ASCII text stays readable; NaN is refused, not written.
"""

from __future__ import annotations

import json

from slalang.render.report.options import Options
from slalang.render.report.summary import Report


def render(report: Report, options: Options) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_lines(report: Report, options: Options) -> str:
    """One compact object per violation, for line-oriented pipelines; empty when none."""
    return "".join(
        json.dumps(v, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
        for v in report["violations"]
    )
