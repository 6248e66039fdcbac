"""`slalang evaluate`: the main job — replay event logs against a policy and report."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slalang.commands.common import (
    EXIT_FINDINGS,
    Failure,
    emit,
    plan_of,
    progress,
    read_log,
    warn_rejections,
)
from slalang.commands.options import (
    DataOptions,
    EngineOptions,
    data_options,
    engine_options,
    instant_option,
    output_option,
    root_option,
)

REPORT_FORMATS = ("table", "json", "jsonl", "csv", "markdown", "junit")
FAIL_LEVELS = {"error": {"error"}, "warning": {"error", "warning"}, "never": set()}


@click.command("evaluate")
@click.argument("policy")
@click.argument("events", nargs=-1, required=True)
@data_options
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
@click.option("--strict", is_flag=True, help="Exit 2 when any input row is rejected.")
@engine_options
@root_option
def evaluate_command(
    policy: str,
    events: tuple[str, ...],
    data: DataOptions,
    fmt: str,
    output: Path | None,
    fail_on: str,
    strict: bool,
    engine: EngineOptions,
    root: Path | None,
) -> None:
    """Replay lead event logs against a policy and report who missed what, when, by how much.

    POLICY is a .sla file or a compiled plan (.json); EVENTS are CSV, CSV.gz or JSON Lines
    files, or - for standard input.

    \b
    Example:
      slalang evaluate policies/seed_funnel.sla samples/seed_funnel/events.csv \\
        --metrics samples/seed_funnel/metrics.csv --format markdown -o report.md
    """
    from slalang.data import read_metrics
    from slalang.evaluate.run import Span, evaluate
    from slalang.render.report import render_report

    plan, _ = plan_of(policy, root)
    cutoff = instant_option(data.as_of, "--as-of")
    span = Span(instant_option(data.start, "--from"), instant_option(data.end, "--to"))
    if span.start is not None and span.end is not None and span.end < span.start:
        raise Failure("--to is before --from")
    metrics = read_metrics(data.metrics) if data.metrics else None
    if plan["metrics"] and metrics is None:
        click.echo("warning: the policy uses metrics but no --metrics file was given", err=True)
    log = read_log(plan, events, data.mapping, data.timezone, cutoff)
    warn_rejections(log, strict)
    report = evaluate(
        plan, log, as_of=cutoff, span=span, metrics=metrics, progress=progress(), jobs=engine.jobs
    )
    color = output is None and fmt == "table" and sys.stdout.isatty()
    emit(render_report(report, fmt, color=color, plan=plan), output)
    failing = FAIL_LEVELS[fail_on]
    if any(v["severity"] in failing for v in report["violations"]):
        sys.exit(EXIT_FINDINGS)
