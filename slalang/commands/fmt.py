"""`slalang fmt`: rewrite policies in the one canonical layout."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

import click

from slalang.api import policy_files
from slalang.commands.common import EXIT_ERROR, EXIT_FINDINGS
from slalang.commands.options import Configured
from slalang.diagnostics import Diagnostic, PolicyError, sort_diagnostics
from slalang.fileio import write_atomic
from slalang.render.diagnostics import render_text


@click.command("fmt", cls=Configured, arguments={"policy": "paths"})
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Change nothing; exit 1 if a file would be reformatted.",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Print what would change; change nothing; exit 1 if a file would be reformatted.",
)
def fmt_command(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> None:
    """Rewrite policies in the one canonical layout, keeping every comment.

    `-` reads a policy on standard input and writes the result to standard output.
    Exits 1 with --check or --diff when a file would change (as `ruff format` does).

    \b
    Example:
      slalang fmt --check policies/
    """
    from slalang.fmt import format_text
    from slalang.syntax.parser import decode_policy, read_policy_text

    changed: list[str] = []
    errors: list[Diagnostic] = []
    sources: dict[str, str] = {}
    targets: list[tuple[str, Path | None]] = []
    for raw in paths:
        if raw == "-":
            targets.append(("<stdin>", None))
        else:
            targets.extend((str(p), p) for p in policy_files([raw]))
    for shown, path in targets:
        try:
            if path is None:
                before = decode_policy(sys.stdin.buffer.read(), shown)
            else:
                before = read_policy_text(path, shown)
            sources[shown] = before
            after = format_text(before, shown)
        except PolicyError as exc:
            errors.extend(exc.diagnostics)
            continue
        if path is None and not (check_only or show_diff):
            click.echo(after, nl=False)
            continue
        if after == before:
            continue
        changed.append(shown)
        if show_diff:
            diff = difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                fromfile=f"{shown} (original)",
                tofile=f"{shown} (formatted)",
            )
            click.echo("".join(diff), nl=False)
        if check_only or show_diff:
            click.echo(f"would reformat {shown}", err=True)
        elif path is not None:
            write_atomic(path, after)
            click.echo(f"reformatted {shown}", err=True)
    files = sum(1 for _, path in targets if path is not None)
    if files:
        broken = len({d.span.file for d in errors})
        unchanged = max(0, files - len(changed) - broken)
        click.echo(_tally(len(changed), unchanged, check_only or show_diff), err=True)
    if errors:
        click.echo(render_text(sort_diagnostics(errors), sources), err=True, nl=False)
        sys.exit(EXIT_ERROR)
    if (check_only or show_diff) and changed:
        sys.exit(EXIT_FINDINGS)


def _tally(changed: int, unchanged: int, dry_run: bool) -> str:
    """`1 file would be reformatted, 3 files already formatted`, in ruff's words."""

    def files(n: int) -> str:
        return f"{n} file{'s' if n != 1 else ''}"

    done = "would be reformatted" if dry_run else "reformatted"
    kept = "already formatted" if dry_run else "left unchanged"
    parts = [f"{files(changed)} {done}"] if changed else []
    if unchanged or not changed:
        parts.append(f"{files(unchanged)} {kept}")
    return ", ".join(parts)
