"""`slalang diff`: what a policy change does to the results, on the same data; the
comparison itself is `slalang.diff`."""

from __future__ import annotations

import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import click

from slalang.api import Policy, diff_policies
from slalang.commands.common import EXIT_FINDINGS, checked_policy, emit, progress, warn
from slalang.commands.options import (
    Configured,
    DataOptions,
    EngineOptions,
    data_options,
    engine_options,
    output_option,
    root_option,
)
from slalang.diff import LIMIT, RENDERERS, plan_at


@click.command("diff", cls=Configured)
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
    need = 2 if base else 3
    if len(args) < need:
        usage = "POLICY EVENTS... with --base" if base else "OLD NEW EVENTS..."
        raise click.UsageError(f"expected {usage}")
    if base:
        policy, events = args[0], args[1:]
        new = checked_policy(policy, root)
        with tempfile.TemporaryDirectory(prefix="slalang-diff-") as scratch:
            plan = plan_at(policy, base, root, Path(scratch))
        old = None if plan is None else Policy(policy, plan=plan)  # None: added since BASE
    else:
        (old_path, new_path), events = args[:2], args[2:]
        old = checked_policy(old_path, root)
        new = checked_policy(new_path, root)
    result = diff_policies(
        old,
        new,
        events,
        **asdict(data),
        **asdict(engine),
        on_warning=warn,
        progress=progress(),
    )
    emit(RENDERERS[fmt](result, LIMIT), output)
    if result["changed"] and not exit_zero:
        sys.exit(EXIT_FINDINGS)
