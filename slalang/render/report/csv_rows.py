"""Report rendering: `csv`, the violations alone, one a row, safe to open in a spreadsheet.

Messages, lead ids and group values come from CRM exports, which anyone who can fill in a
web form can write to. A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a
tab or carriage return, which some strip first) as a formula, so such a cell is written with
a leading `'` (OWASP's CSV-injection advice). The rule holds for every cell with no
exception: non-negative numbers are written bare, and a negative number gets the quote too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slalang.render.report.json_text import batches
from slalang.render.report.options import Options
from slalang.render.report.summary import Report, Row

HEADER = (
    "kind",
    "rule",
    "owner",
    "severity",
    "lead_id",
    "period",
    "group",
    "at",
    "message",
    "late_by_seconds",
    "missing",
    "value",
    "goal",
    "source_file",
    "source_line",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MISSING_SEPARATOR = ";"


def cell(value: Any) -> str:
    """A value as a CSV cell: None empty, numbers as JSON writes them, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = repr(value)
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def row(violation: Row) -> list[str]:
    details = violation["details"]
    source = violation["source"]
    missing = details.get("missing")
    values = (
        violation["kind"],
        violation["rule"],
        violation["owner"],
        violation["severity"],
        violation["lead_id"],
        violation["period"],
        violation["group"],
        violation["at"],
        violation["message"],
        details.get("late_by_seconds"),
        None if missing is None else MISSING_SEPARATOR.join(missing),
        details.get("value"),
        details.get("goal"),
        source["file"],
        source["line"],
    )
    return [cell(value) for value in values]


def record(cells: list[str] | tuple[str, ...]) -> str:
    """One CSV record, `\n`-terminated, each cell quoted when it holds a comma, a quote or
    a line end. The csv module with a `\n` terminator leaves a lone `\r` unquoted, which
    a spreadsheet reads as the end of the record: a lead id `\r=1+1` would start a new
    line with a formula."""
    return ",".join(map(quoted, cells)) + "\n"


def quoted(cell: str) -> str:
    """A cell as `record` writes it: quoted when it holds a comma, a quote or a line end."""
    # four `in` tests, not a generator over the marks: a third of a `leads` report's time
    if "," in cell or '"' in cell or "\r" in cell or "\n" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def render(report: Report, options: Options) -> Iterator[str]:
    """The header, then a record per violation, in pieces of a few thousand records: the
    text grows with the violations (301 MB on 100M events), and a streamed report is
    written as it is read."""
    yield record(HEADER)
    yield from map("".join, batches(record(row(v)) for v in report["violations"]))
