"""`slalang test`: run policy tests (`*.test.yaml`), the library in `slalang.policytest`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from slalang.commands.common import EXIT_ERROR, EXIT_FINDINGS, emit
from slalang.commands.options import Configured, EngineOptions, engine_options, output_option
from slalang.diagnostics import SlalangError
from slalang.policytest import find_test_files, render_junit, render_text, run_file, tally


@click.command("test", cls=Configured)
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("-k", "keyword", metavar="NAME", help="Run only cases whose name contains NAME.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "junit"]),
    default="text",
    show_default=True,
    help="How to write the results.",
)
@output_option("results")
@engine_options
def test_command(
    paths: tuple[str, ...],
    keyword: str | None,
    fmt: str,
    output: Path | None,
    engine: EngineOptions,
) -> None:
    """Run policy tests: `*.test.yaml` files naming a policy, events and expected report
    entries. PATHS are test files or directories searched recursively (default: here).

    Exits 0 when every case passes, 1 when any fails, 2 when a test file cannot be run.

    \b
    Example:
      slalang test policies/tests/ -k handoff
      slalang test --format junit -o policy-tests.xml
    """
    files = find_test_files(paths)
    runs = (run_file(path, keyword, engine=engine.engine, jobs=engine.jobs) for path in files)
    results = [r for r in runs if r is not None]
    if keyword is not None and not results:
        raise SlalangError(f"no case name contains `{keyword}`")
    text = render_junit(results) if fmt == "junit" else render_text(results)
    emit(text, output)
    broken = [r for r in results if r.error]
    for result in broken:
        click.echo(f"error: {result.error}", err=True)
    if fmt == "junit" or output is not None:
        passed, failed = tally(results)
        click.echo(f"{passed} passed, {failed} failed", err=True)
    if broken:
        count = len(broken)
        click.echo(
            f"error: {count} test file{'s' if count != 1 else ''} could not be run: "
            + ", ".join(r.path for r in broken),
            err=True,
        )
        sys.exit(EXIT_ERROR)
    if any(case.failures for result in results for case in result.cases):
        sys.exit(EXIT_FINDINGS)
