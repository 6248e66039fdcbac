"""Report rendering: `markdown`, the table report as GitHub-flavoured Markdown for a pull
request or a chat message: a one-paragraph summary, then tables, long lists folded away.

Text from the policy or the data is escaped so it cannot break a table (`|`, newlines),
start code (backticks) or open HTML (`<`), whatever a lead id or message holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import slalang.render.report.summary as s
from slalang import numbers as n
from slalang.render.report.options import Options

# A table longer than this is folded into <details>, so the summary stays on screen.
FOLD_ROWS = 10
_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "`": "\\`",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\n": " ",
        "\r": " ",
        "\t": " ",
    }
)


def escape(text: str) -> str:
    """User text safe inside a table cell or a paragraph."""
    return s.printable(text.translate(_ESCAPES))


def table(headings: Sequence[str], rows: Sequence[Sequence[str]], right: int = 0) -> str:
    """A GFM table; the last `right` columns are numbers, aligned right. Cells must be
    escaped already."""
    align = ["---"] * (len(headings) - right) + ["---:"] * right
    lines = ["| " + " | ".join(headings) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def folded(summary: str, body: str, fold: bool) -> str:
    if not fold:
        return body
    return f"<details><summary>{summary}</summary>\n\n{body}\n</details>\n"


def render(report: s.Report, options: Options) -> str:
    parts = [
        f"## SLA report: {escape(s.policy_title(report))}\n",
        _summary(report),
        _slas(report),
        _compliance_chart(report, options),
        _targets(report, options),
        _owners(report),
        _violations(report, options.limit),
    ]
    return "\n".join(part for part in parts if part)


def _summary(report: s.Report) -> str:
    """The paragraph a reader may stop at: verdict, compliance per SLA, targets, input."""
    verdict = escape(s.verdict(report))
    sentences = [f"**{verdict[:1].upper() + verdict[1:]}** as of {report['as_of']}."]
    if report["slas"]:
        rates = ", ".join(
            f"{escape(row['sla'])} {n.percent(row['compliance'])}" for row in report["slas"]
        )
        sentences.append(f"SLA compliance: {rates}.")
    statuses = Counter(row["status"] for row in report["targets"])
    if statuses:
        listed = ", ".join(
            f"{n.count(count)} {s.status_word(status)}"
            for status, count in sorted(statuses.items())
        )
        sentences.append(f"Target periods: {listed}.")
    sentences.append(f"Input: {escape(s.input_line(report['input']))}.")
    digest = s.short_digest(report["policy"]["digest"])
    sentences.append(f"Policy `{digest}`.")
    return " ".join(sentences) + "\n"


def _slas(report: s.Report) -> str:
    if not report["slas"]:
        return ""
    counts = [s.SLA_HEADINGS[status] for status in s.SLA_COUNTS]
    headings = ["SLA", "Cycles", *counts, "Compliance", "p50", "p90"]
    rows = [
        [
            escape(row["sla"]),
            n.count(row["cycles"]),
            *(n.count(row[status]) for status in s.SLA_COUNTS),
            n.percent(row["compliance"]),
            n.short_duration(row["elapsed_p50_seconds"]),
            n.short_duration(row["elapsed_p90_seconds"]),
        ]
        for row in report["slas"]
    ]
    return "### SLAs\n\n" + table(headings, rows, right=len(headings) - 1)


def _compliance_chart(report: s.Report, options: Options) -> str:
    """Compliance per month as Mermaid `xychart-beta` bars (GitHub draws them), the goal
    as a line when a compliance target sets one; then the same figures as a table, for
    viewers that show the chart's source instead."""
    by_sla = {sla: rows for sla, rows in s.compliance_by_period(report).items() if rows}
    if not by_sla:
        return ""
    goals = s.compliance_goals(options.plan)
    charts = []
    for sla, rows in by_sla.items():
        goal = goals.get(sla)
        title = f"{sla}: compliance per month" + (
            f" (goal {goal[0]} {n.percent(goal[1])})" if goal else ""
        )
        lines = [
            "```mermaid",
            "xychart-beta",
            f'    title "{_mermaid_text(title)}"',
            "    x-axis [" + ", ".join(f'"{row.period}"' for row in rows) + "]",
            '    y-axis "compliance (%)" 0 --> 100',
            "    bar [" + ", ".join(_chart_number(row.share) for row in rows) + "]",
        ]
        if goal:
            lines.append("    line [" + ", ".join(_chart_number(goal[1]) for _ in rows) + "]")
        lines.append("```")
        charts.append("\n".join(lines) + "\n")
    periods = sorted({row.period for rows in by_sla.values() for row in rows})
    cells = {(sla, row.period): row for sla, rows in by_sla.items() for row in rows}
    body = [
        [period, *(_period_cell(cells.get((sla, period))) for sla in by_sla)] for period in periods
    ]
    figures = table(["Month", *(escape(sla) for sla in by_sla)], body, right=len(by_sla))
    return "### Compliance per month\n\n" + "\n".join(charts) + "\n" + figures


def _chart_number(share: float | None) -> str:
    """A share as a chart value in percent (Mermaid has no gaps: no data is 0)."""
    return "0" if share is None else f"{round(share * 100, 1):g}"


def _mermaid_text(text: str) -> str:
    """Text safe inside a Mermaid quoted string: no quotes, no line breaks."""
    return s.printable(text).replace('"', "'").replace("\n", " ")


def _period_cell(row: s.PeriodCompliance | None) -> str:
    """`90.5% (181 of 200)`: the share and what it is made of."""
    if row is None or row.share is None:
        return n.ABSENT
    return f"{n.percent(row.share)} ({n.count(row.met)} of {n.count(row.decided)})"


def _targets(report: s.Report, options: Options) -> str:
    rows = s.shown_targets(report, options.hide_empty)
    if not rows:
        return ""
    grouped = any(row["group"] is not None for row in rows)
    headings = ["Target", "Owner", "Period", *(["Group"] if grouped else [])]
    headings += ["Status", "Value", "Goal", "Pace"]
    body = []
    for row in rows:
        cells = s.target_cells(row)
        group = [escape(row["group"] or "")] if grouped else []
        body.append(
            [
                escape(row["target"]),
                escape(row["owner"] or n.ABSENT),
                row["period"],
                *group,
                _status(row["status"]),
                cells.value,
                escape(cells.goal),
                cells.pace,
            ]
        )
    text = table(headings, body, right=3)
    fold = len(rows) > FOLD_ROWS
    return "### Targets\n\n" + folded(f"{n.plural(len(rows), 'target period')}", text, fold)


def _status(status: str) -> str:
    word = s.status_word(status)
    return f"**{word}**" if status in ("missed", "late") else word


def _owners(report: s.Report) -> str:
    totals = s.owner_totals(report["violations"])
    if not totals:
        return ""
    headings = ["Owner", "Violations", "SLA breaches", "Handoffs", "Targets"]
    headings += ["Errors", "Warnings", "Info"]
    rows = [
        [
            escape(owner.owner),
            n.count(owner.total),
            *(n.count(owner.kinds[kind]) for kind in s.KINDS),
            *(n.count(owner.severities[severity]) for severity in s.SEVERITIES),
        ]
        for owner in totals
    ]
    return "### Owners\n\n" + table(headings, rows, right=len(headings) - 1)


def _violations(report: s.Report, limit: int) -> str:
    violations = report["violations"]
    if not violations:
        return ""
    shown = s.worst(violations, limit)
    headings = ["Lead / period", "Rule", "Owner", "Severity", "Deadline", "What"]
    rows = [
        [
            escape(s.where(v)),
            escape(v["rule"]),
            escape(v["owner"] or n.ABSENT),
            v["severity"],
            s.deadline(v),
            escape(v["message"]),
        ]
        for v in shown
    ]
    text = table(headings, rows) if rows else ""
    rest = len(violations) - len(shown)
    if rest:
        more = n.plural(rest, "more violation")
        text += f"\n… and {more}: the csv, jsonl or json report lists all.\n"
    title = f"Worst {n.count(len(shown))} of {n.plural(len(violations), 'violation')}"
    return "### Violations\n\n" + folded(title, text, fold=True)
