"""`slalang evaluate`: the main job — replay event logs against a policy and report."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import click

from slalang.api import FAIL_LEVELS
from slalang.commands.common import EXIT_FINDINGS, checked_policy, emit, progress, warn
from slalang.commands.options import (
    POLICY_AND_EVENTS,
    Configured,
    DataOptions,
    EngineOptions,
    data_options,
    engine_options,
    output_option,
    root_option,
)
from slalang.render.report import LISTS

REPORT_FORMATS = ("table", "json", "jsonl", "csv", "markdown", "junit", "html", "leads")
HIDE_EMPTY_BY_DEFAULT = ("table", "html")


@click.command("evaluate", cls=Configured, arguments=POLICY_AND_EVENTS)
@click.argument("policy")
@click.argument("events", nargs=-1)
@data_options
@click.option(
    "--events-table",
    "tables",
    multiple=True,
    metavar="NAME",
    help="With --engine spark: read events from this table of Spark's catalog (a Delta or "
    "warehouse table, a view); may be repeated, and given beside EVENTS paths.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="table",
    show_default=True,
    help="How to write the report.",
)
@output_option("report")
@click.option(
    "--fail-on",
    type=click.Choice(sorted(FAIL_LEVELS)),
    default="error",
    show_default=True,
    help="Exit 1 when a violation has this severity or worse.",
)
@click.option(
    "--strict", is_flag=True, help="Exit 2 when an input row is rejected or a value is bad."
)
@click.option(
    "--rule",
    "rules",
    multiple=True,
    metavar="NAME",
    help="Report only this rule (an SLA, a target, a handoff's stage); repeatable.",
)
@click.option(
    "--owner",
    "owners",
    multiple=True,
    metavar="NAME",
    help="Report only the rules this party owns; repeatable.",
)
@click.option(
    "--hide-empty/--show-empty",
    "hide_empty",
    default=None,
    help="Leave out target rows with no data (a group nobody was in that period). "
    "[default: hide in table and html, show elsewhere]",
)
@engine_options
@root_option
def evaluate_command(
    policy: str,
    events: tuple[str, ...],
    data: DataOptions,
    tables: tuple[str, ...],
    fmt: str,
    output: Path | None,
    fail_on: str,
    strict: bool,
    rules: tuple[str, ...],
    owners: tuple[str, ...],
    hide_empty: bool | None,
    engine: EngineOptions,
    root: Path | None,
) -> None:
    """Replay lead event logs against a policy and report who missed what, when, by how much.

    POLICY is a .sla file or a compiled plan (.json); EVENTS are CSV, CSV.gz or JSON Lines
    files, or - for standard input; a DuckDB database is read through the mapping's
    `query` sources. With --engine spark, EVENTS are any path Spark reads (local, s3://,
    abfss://; a file or a directory; CSV, JSON Lines or Parquet).

    \b
    Example:
      slalang evaluate policies/seed_funnel.sla samples/seed_funnel/events.csv \\
        --metrics samples/seed_funnel/metrics.csv --format markdown -o report.md
      slalang evaluate policies/seed_funnel.sla samples/seed_funnel/events.csv \\
        --metrics samples/seed_funnel/metrics.csv --format html -o report.html
    """
    # the report is streamed: the local engine's long lists stay in its files until the
    # block ends, JSON copies them out as they are and the other formats read them a pass
    # at a time; json, jsonl, csv and junit are written as they are rendered, so a report
    # of any size is never whole in memory
    with (
        checked_policy(policy, root)
        .evaluate(
            events,
            **asdict(data),
            **asdict(engine),
            tables=tables,
            strict=strict,
            progress=progress("tasks" if engine.engine == "spark" else "leads"),
            on_warning=warn,
            stream=True,
            sections=(*LISTS[fmt], "clocks") if rules or owners else LISTS[fmt],
        )
        .select(rules, owners)
    ) as report:
        color = output is None and fmt == "table" and sys.stdout.isatty()
        hide = fmt in HIDE_EMPTY_BY_DEFAULT if hide_empty is None else hide_empty
        emit(report.pieces(fmt, color=color, encoded=True, hide_empty=hide), output)
        failed = report.failed(fail_on)
    if failed:
        sys.exit(EXIT_FINDINGS)
