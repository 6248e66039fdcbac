"""Report rendering: `json` (the whole report) and `jsonl` (the violations, one a line).

Key order is the report's own and nothing depends on the machine, so the same report is
always the same bytes; non-ASCII text stays readable; NaN is refused, not written.
"""

from __future__ import annotations

import json

from slalang.render.report.options import Options
from slalang.render.report.summary import Report

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _compact(value: object) -> str:
    return _ENCODER.encode(value)


def render(report: Report, options: Options) -> str:
    """The report's sections one per line, and each entry of a list on a line of its own.

    Reports are diffed in pull requests and CI logs, where one line per stage, clock,
    violation or target row reads best; and it keeps Python's C encoder in use (an
    indented dump runs the pure-Python one, four times slower on a million-event report).
    """
    lines = ["{"]
    last = len(report) - 1
    for position, (key, value) in enumerate(report.items()):
        comma = "," if position < last else ""
        if isinstance(value, list) and value:
            entries = ",\n".join(f"    {_compact(entry)}" for entry in value)
            lines.append(f"  {_compact(key)}: [\n{entries}\n  ]{comma}")
        else:
            lines.append(f"  {_compact(key)}: {_compact(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_lines(report: Report, options: Options) -> str:
    """One compact object per violation, for line-oriented pipelines; empty when none."""
    return "".join(
        json.dumps(v, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
        for v in report["violations"]
    )
