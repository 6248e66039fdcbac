"""Command-line options shared by the commands that read a policy and event data, as Click
decorator bundles (one definition, the same words in every `--help`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from slalang.diagnostics import SlalangError

F = TypeVar("F", bound=Callable[..., Any])


def root_option(func: F) -> F:
    return click.option(
        "--root",
        type=click.Path(file_okay=False, path_type=Path),
        help="Directory imports may not leave (default: the policy file's directory).",
    )(func)


def output_option(what: str) -> Callable[[F], F]:
    """`-o/--output FILE`: where to write `what` instead of standard output (atomically)."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help=f"Write the {what} here (atomically) instead of standard output.",
    )


def data_options(func: F) -> F:
    """--mapping, --metrics, --as-of, --from, --to and --timezone, in that order."""
    decorators = [
        click.option(
            "--mapping",
            help="Mapping file (YAML) adapting an export's columns and names, or a preset "
            "name (`slalang mappings` lists them).",
        ),
        click.option("--metrics", "metrics_path", help="Metrics CSV: metric,period,value."),
        click.option("--as-of", "as_of", help="Judge at this instant (default: the latest event)."),
        click.option("--from", "start", help="Judge only what happens at or after this instant."),
        click.option("--to", "end", help="Judge only what happens at or before this instant."),
        click.option("--timezone", help="Zone of timestamps that have no offset (IANA name)."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def instant_option(value: str | None, name: str) -> int | None:
    """An `--as-of`/`--from`/`--to` value as Unix seconds; a bad one is a one-line error."""
    from slalang.evaluate.runtime import parse_instant

    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise SlalangError(f"{name}: {exc}") from None
