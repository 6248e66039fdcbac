"""Report rendering: the `table` format, for a person at a terminal (rich tables).

Fixed width and no escape codes unless colour is asked for, so the text written to a file
or a CI log is plain and the same on every machine. Every value from the data goes in as
`rich.text.Text`, never as markup: a lead id like `[bold]x` is shown as written.
"""

from __future__ import annotations

import shutil
from io import StringIO
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from slalang.render.report import summary as s
from slalang.render.report.options import Options

WIDTH = 100
STATUS_STYLES = {
    "met": "green",
    "late": "red",
    "missed": "red",
    "at_risk": "yellow",
    "in_progress": "yellow",
}
SLA_HEADINGS = {"at_risk": "At risk"}
OPTIONAL_COUNTS = ("cancelled", "exempt")


def render(report: s.Report, options: Options) -> str:
    width = options.width
    if width is None:
        width = shutil.get_terminal_size((WIDTH, 25)).columns if options.color else WIDTH
    out = StringIO()
    console = Console(
        file=out,
        width=width,
        height=25,
        color_system="standard" if options.color else None,
        force_terminal=options.color,
        no_color=not options.color,
        legacy_windows=False,
        markup=False,
        emoji=False,
        highlight=False,
    )
    _header(console, report)
    _slas(console, report)
    _targets(console, report)
    _owners(console, report)
    _violations(console, report, options.limit)
    console.print()
    verdict = s.verdict(report)
    worst = "red" if any(v["severity"] == "error" for v in report["violations"]) else "yellow"
    console.print(
        Text.assemble(("Verdict: ", "bold"), (verdict, worst if report["violations"] else "green"))
    )
    text = out.getvalue()
    if options.color:
        return text
    # rich pads cells to the table's width; plain text for files and logs needs no padding.
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _header(console: Console, report: s.Report) -> None:
    policy = report["policy"]
    console.print(Text(s.printable(s.policy_title(report)), style="bold"))
    console.print(
        f"as of {report['as_of']} · time zone {policy['timezone']} · "
        f"{s.short_digest(policy['digest'])}"
    )
    console.print("input: " + s.input_line(report["input"]))


def _section(console: Console, title: str) -> None:
    console.print()
    console.print(Text(title, style="bold"))


def _table(*headings: str, right: tuple[str, ...] = ()) -> Table:
    """Columns two spaces apart under a rule: the first column (a name) folds rather than
    being cut short when the table is too wide."""
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold",
    )
    for index, heading in enumerate(headings):
        table.add_column(
            heading,
            justify="right" if heading in right else "left",
            overflow="fold" if index == 0 else "ellipsis",
        )
    return table


def _status(status: str) -> Text:
    return Text(s.status_word(status), style=STATUS_STYLES.get(status, ""))


def _count(row: dict[str, Any], status: str) -> Text:
    """A status count, coloured like its status word when it is not zero."""
    value = row[status]
    return Text(f"{value:,}", style=STATUS_STYLES.get(status, "") if value else "")


def _slas(console: Console, report: s.Report) -> None:
    _section(console, "SLAs")
    if not report["slas"]:
        console.print("none in this policy")
        return
    # Cancelled and exempt cycles are bookkeeping; their columns appear only when there are
    # any, so the table fits 100 columns.
    counts = [
        status
        for status in s.SLA_COUNTS
        if status not in OPTIONAL_COUNTS or any(row[status] for row in report["slas"])
    ]
    headings = [SLA_HEADINGS.get(c, c.capitalize()) for c in counts]
    numeric = ("Cycles", *headings, "Compliance", "p50", "p90")
    table = _table("SLA", "Cycles", *headings, "Compliance", "p50", "p90", right=numeric)
    for row in report["slas"]:
        table.add_row(
            Text(row["sla"]),
            f"{row['cycles']:,}",
            *(_count(row, status) for status in counts),
            s.percent(row["compliance"]),
            s.duration(row["elapsed_p50_seconds"]),
            s.duration(row["elapsed_p90_seconds"]),
        )
    console.print(table)


def _targets(console: Console, report: s.Report) -> None:
    _section(console, "Targets")
    rows = report["targets"]
    if not rows:
        console.print("none judged")
        return
    grouped = any(row["group"] is not None for row in rows)
    headings = ["Target", "Owner", "Period", *(["Group"] if grouped else [])]
    table = _table(*headings, "Value", "Goal", "Status", "Pace", right=("Value", "Goal", "Pace"))
    for row in rows:
        cells = s.target_cells(row)
        group = [Text(s.printable(row["group"] or ""))] if grouped else []
        table.add_row(
            Text(row["target"]),
            Text(row["owner"] or s.ABSENT),
            Text(row["period"]),
            *group,
            cells.value,
            cells.goal,
            _status(row["status"]),
            cells.pace,
        )
    console.print(table)


def _owners(console: Console, report: s.Report) -> None:
    _section(console, "Owners")
    totals = s.owner_totals(report["violations"])
    if not totals:
        console.print("no violations")
        return
    kinds = ("SLA breaches", "Handoffs", "Targets")
    severities = ("Errors", "Warnings", "Info")
    numeric = ("Violations", *kinds, *severities)
    table = _table("Owner", *numeric, right=numeric)
    for owner in totals:
        table.add_row(
            Text(owner.owner),
            f"{owner.total:,}",
            *(f"{owner.kinds[kind]:,}" for kind in s.KINDS),
            *(f"{owner.severities[severity]:,}" for severity in s.SEVERITIES),
        )
    console.print(table)


def _violations(console: Console, report: s.Report, limit: int) -> None:
    violations = report["violations"]
    shown = s.worst(violations, limit)
    _section(console, f"Worst violations ({len(shown):,} of {len(violations):,})")
    if not shown:
        console.print("none" if not violations else "none shown (limit 0)")
        return
    table = _table("Lead / period", "Rule", "Owner", "Severity", "When", "What")
    for violation in shown:
        table.add_row(
            Text(s.where(violation)),
            Text(violation["rule"]),
            Text(violation["owner"] or s.ABSENT),
            Text(violation["severity"], style="red" if violation["severity"] == "error" else ""),
            violation["at"],
            Text(s.printable(violation["message"])),
        )
    console.print(table)
    if len(violations) > len(shown):
        rest = len(violations) - len(shown)
        more = s.plural(rest, "more violation")
        console.print(f"… and {more}: the csv, jsonl or json report lists all")
