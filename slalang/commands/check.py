"""`slalang check`: parse and check policies, every problem at once."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slalang.api import check_paths
from slalang.commands.common import EXIT_ERROR, EXIT_FINDINGS, selection
from slalang.commands.options import Configured, root_option, selection_option
from slalang.diagnostics import Level
from slalang.render.diagnostics import RENDERERS, summary


@click.command("check", cls=Configured, arguments={"policy": "paths"})
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(RENDERERS)),
    default="text",
    show_default=True,
    help="text for people; json, github (workflow annotations) or sarif for machines.",
)
@click.option("--strict", is_flag=True, help="Warnings fail the check too.")
@selection_option
@root_option
def check_command(
    paths: tuple[str, ...],
    fmt: str,
    strict: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    root: Path | None,
) -> None:
    """Parse and check policies: every problem at once, each with a stable code.

    PATHS are .sla files or directories searched for them. A warning is silenced by
    `# slalang: ignore[CODE]` at the end of its line, `# slalang: ignore-file[CODE]` on a
    line of its own, or --ignore; errors cannot be silenced.

    \b
    Examples:
      slalang check policies/ --format github
      slalang check policies/ --ignore SLA317 --select SLA2,SLA3
    """
    checked = check_paths(paths, root=root, selection=selection(select, ignore))
    output = RENDERERS[fmt](checked.diagnostics, checked.sources)
    if fmt == "text":
        if checked.diagnostics:
            click.echo(output, nl=False)
            click.echo(summary(checked.diagnostics), err=True)
        else:
            click.echo("no problems found", err=True)
    else:
        click.echo(output, nl=False)
    if checked.unparsed:
        sys.exit(EXIT_ERROR)
    failing = {Level.ERROR, Level.WARNING} if strict else {Level.ERROR}
    if any(d.level in failing for d in checked.diagnostics):
        sys.exit(EXIT_FINDINGS)
