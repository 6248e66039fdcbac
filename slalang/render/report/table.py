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
from rich.table import Column, Table
from rich.text import Text

import slalang.render.report.summary as s
from slalang import numbers as n
from slalang.render.report.options import Options

WIDTH = 100
STATUS_STYLES = {
    "met": "green",
    "late": "red",
    "missed": "red",
    "at_risk": "yellow",
    "in_progress": "yellow",
}
OPTIONAL_COUNTS = ("cancelled", "exempt")
LEAD_WIDTH = 24
NAME_WIDTH = 20
GROUP_WIDTH = 24


def render(report: s.Report, options: Options) -> str:
    width = options.width
    if width is None:
        width = shutil.get_terminal_size((WIDTH, 25)).columns if options.color else WIDTH
    out = StringIO()
    # Width and height both given: rich then never asks the terminal (or $COLUMNS).
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
    _targets(console, report, options)
    _owners(console, report)
    _violations(console, report, options.limit)
    console.print()
    violations = report["violations"]
    tone = "red" if any(v["severity"] == "error" for v in violations) else "yellow"
    verdict = (s.verdict(report), tone if violations else "green")
    console.print(Text.assemble(("Verdict: ", "bold"), verdict))
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


def _table(*columns: Column) -> Table:
    """Columns two spaces apart under a rule."""
    return Table(
        *columns,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold",
    )


def _name(heading: str, widest: int | None = None) -> Column:
    """Text that wraps, and folds a long word, rather than being cut short: a name or a
    message is never shown in part."""
    return Column(heading, overflow="fold", max_width=widest)


def _number(heading: str) -> Column:
    return Column(heading, justify="right", no_wrap=True)


def _status(status: str) -> Text:
    return Text(s.status_word(status), style=STATUS_STYLES.get(status, ""))


def _count(row: dict[str, Any], status: str) -> Text:
    """A status count, coloured like its status word when it is not zero."""
    value = row[status]
    return Text(n.count(value), style=STATUS_STYLES.get(status, "") if value else "")


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
    headings = ["Cycles", *(s.SLA_HEADINGS[c] for c in counts)]
    headings += ["Compliance", "p50", "p90"]
    table = _table(_name("SLA"), *map(_number, headings))
    for row in report["slas"]:
        table.add_row(
            Text(row["sla"]),
            n.count(row["cycles"]),
            *(_count(row, status) for status in counts),
            n.percent(row["compliance"]),
            n.short_duration(row["elapsed_p50_seconds"]),
            n.short_duration(row["elapsed_p90_seconds"]),
        )
    console.print(table)


def _targets(console: Console, report: s.Report, options: Options) -> None:
    _section(console, "Targets")
    rows = s.shown_targets(report, options.hide_empty)
    if not rows:
        console.print("none judged")
        return
    grouped = any(row["group"] is not None for row in rows)
    columns = [_name("Target"), _name("Owner"), _name("Period")]
    columns += [_name("Group", GROUP_WIDTH)] if grouped else []
    columns += [_number("Value"), _number("Goal"), _name("Status"), _number("Pace")]
    table = _table(*columns)
    for row in rows:
        cells = s.target_cells(row)
        group = [Text(s.printable(row["group"] or ""))] if grouped else []
        table.add_row(
            Text(row["target"]),
            Text(row["owner"] or n.ABSENT),
            Text(row["period"]),
            *group,
            cells.value,
            cells.goal,
            _status(row["status"]),
            cells.pace,
        )
    console.print(table)
    hidden = len(report["targets"]) - len(rows)
    if hidden:
        console.print(f"{n.plural(hidden, 'target period')} with no data not shown")


def _owners(console: Console, report: s.Report) -> None:
    _section(console, "Owners")
    totals = s.owner_totals(report["violations"])
    if not totals:
        console.print("no violations")
        return
    counts = ("Violations", "SLA breaches", "Handoffs", "Targets", "Errors", "Warnings", "Info")
    table = _table(_name("Owner"), *map(_number, counts))
    for owner in totals:
        table.add_row(
            Text(owner.owner),
            n.count(owner.total),
            *(n.count(owner.kinds[kind]) for kind in s.KINDS),
            *(n.count(owner.severities[severity]) for severity in s.SEVERITIES),
        )
    console.print(table)


def _violations(console: Console, report: s.Report, limit: int) -> None:
    violations = report["violations"]
    shown = s.worst(violations, limit)
    _section(console, f"Worst violations ({n.count(len(shown))} of {n.count(len(violations))})")
    if not shown:
        console.print("none" if not violations else "none shown (limit 0)")
        return
    # The message gets the room: identifiers are capped, the instant is never broken.
    table = _table(
        _name("Lead / period", LEAD_WIDTH),
        _name("Rule", NAME_WIDTH),
        _name("Owner", NAME_WIDTH),
        Column("Deadline", no_wrap=True, min_width=len("2026-01-01T00:00:00Z")),
        _name("What"),
    )
    for violation in shown:
        table.add_row(
            Text(s.where(violation)),
            Text(violation["rule"]),
            Text(violation["owner"] or n.ABSENT),
            s.deadline(violation),
            Text(s.printable(violation["message"])),
        )
    console.print(table)
    if len(violations) > len(shown):
        rest = len(violations) - len(shown)
        more = n.plural(rest, "more violation")
        console.print(f"… and {more}: the csv, jsonl or json report lists all")
