"""`slalang check`: parse and check policies, every problem at once."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from slalang import ast
from slalang.commands.common import EXIT_ERROR, EXIT_FINDINGS, policy_files
from slalang.commands.options import root_option
from slalang.diagnostics import Diagnostic, Level, PolicyError, sort_diagnostics
from slalang.load import Program, load
from slalang.render.diagnostics import RENDERERS, summary


@dataclass
class Checked:
    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    unparsed: bool  # some file could not be read or parsed: the run could not be done


def check_paths(paths: Sequence[str], root: Path | None) -> Checked:
    """Load every policy, then check each one that no other loaded policy imports, so a
    shared definitions file is checked in the context of the agreements that use it."""
    from slalang.check import check

    programs: list[Program] = []
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    unparsed = False
    for path in policy_files(paths):
        try:
            program = load(path, root)
        except PolicyError as exc:
            diagnostics.extend(exc.diagnostics)
            unparsed = True
            with contextlib.suppress(OSError, UnicodeDecodeError):
                sources[str(path)] = path.read_text(encoding="utf-8")
            continue
        programs.append(program)
        sources.update({m.path: m.source for m in program.modules})
    imported = {_resolved(m) for program in programs for m in program.modules[:-1]}
    for program in programs:
        if _resolved(program.entry) in imported:
            continue
        found = check(program)
        unparsed = unparsed or any(d.code.startswith(("SLA0", "SLA1")) for d in found)
        diagnostics.extend(found)
    return Checked(sort_diagnostics(diagnostics), sources, unparsed)


def _resolved(module: ast.Policy) -> str:
    return str(Path(module.path).resolve())


@click.command("check")
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
@root_option
def check_command(paths: tuple[str, ...], fmt: str, strict: bool, root: Path | None) -> None:
    """Parse and check policies: every problem at once, each with a stable code.

    PATHS are .sla files or directories searched for them.

    \b
    Example:
      slalang check policies/ --format github
    """
    checked = check_paths(paths, root)
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
