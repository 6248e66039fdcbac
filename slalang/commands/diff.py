"""`slalang diff`: what a policy change does to the results, on the same data; the
comparison itself is `slalang.diff`."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from slalang.commands.common import EXIT_FINDINGS, emit, plan_of, read_log, warn_rejections
from slalang.commands.options import (
    DataOptions,
    EngineOptions,
    data_options,
    engine_options,
    instant_option,
    output_option,
    root_option,
)
from slalang.diagnostics import SlalangError
from slalang.diff import LIMIT, RENDERERS, compare, merged_inputs, plan_at


@click.command("diff")
@click.argument("args", nargs=-1, required=True, metavar="OLD NEW EVENTS...")
@click.option(
    "--base",
    metavar="GIT_REV",
    help="Compare POLICY as it was at this git revision (with its imports) to the working "
    "tree; the arguments are then POLICY EVENTS...",
)
@data_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RENDERERS)),
    default="table",
    show_default=True,
    help="table for a terminal, markdown for a pull-request comment, json for machines.",
)
@output_option("diff")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when the results change.")
@engine_options
@root_option
def diff_command(
    args: tuple[str, ...],
    base: str | None,
    data: DataOptions,
    fmt: str,
    output: Path | None,
    exit_zero: bool,
    engine: EngineOptions,
    root: Path | None,
) -> None:
    """Evaluate two versions of a policy on the same data and show what changes:
    violations added and removed, each SLA's compliance and counts, target periods whose
    value or status moves.

    OLD and NEW are .sla files or compiled plans (.json). With --base GIT_REV the
    arguments are POLICY EVENTS...: POLICY as it was at that revision (with the files it
    imports) is the old version, the working tree the new one.

    Exit codes: 0 nothing changes, 1 the results change (0 with --exit-zero), 2 the run
    could not be done.

    \b
    Examples:
      slalang diff policies/seed_funnel.sla new.sla samples/seed_funnel/events.csv
      slalang diff --base origin/main policies/seed_funnel.sla events.csv \\
        --metrics metrics.csv --format markdown -o diff.md
    """
    from slalang.data import read_metrics
    from slalang.evaluate.run import Span, evaluate

    need = 2 if base else 3
    if len(args) < need:
        usage = "POLICY EVENTS... with --base" if base else "OLD NEW EVENTS..."
        raise click.UsageError(f"expected {usage}")
    cutoff = instant_option(data.as_of, "--as-of")
    span = Span(instant_option(data.start, "--from"), instant_option(data.end, "--to"))
    if span.start is not None and span.end is not None and span.end < span.start:
        raise SlalangError("--to is before --from")
    with tempfile.TemporaryDirectory(prefix="slalang-diff-") as scratch:
        if base:
            policy, events = args[0], args[1:]
            new_plan, _ = plan_of(policy, root)
            old_plan = plan_at(policy, base, root, Path(scratch))
        else:
            (old_path, new_path), events = args[:2], args[2:]
            old_plan, _ = plan_of(old_path, root)
            new_plan, _ = plan_of(new_path, root)
    metrics = read_metrics(data.metrics) if data.metrics else None
    if (old_plan["metrics"] or new_plan["metrics"]) and metrics is None:
        click.echo("warning: a policy uses metrics but no --metrics file was given", err=True)
    log = read_log(merged_inputs(old_plan, new_plan), events, data.mapping, data.timezone, cutoff)
    warn_rejections(log, strict=False)
    if cutoff is None:
        cutoff = log.stats.last_ts  # one as-of for both, even if one plan ignores the last event
    old = evaluate(old_plan, log, as_of=cutoff, span=span, metrics=metrics, jobs=engine.jobs)
    new = evaluate(new_plan, log, as_of=cutoff, span=span, metrics=metrics, jobs=engine.jobs)
    result = compare(old, new)
    emit(RENDERERS[fmt](result, LIMIT), output)
    if result["changed"] and not exit_zero:
        sys.exit(EXIT_FINDINGS)
