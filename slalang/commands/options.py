"""Command-line options shared by several commands, as Click decorator bundles: one
definition, the same words in every `--help`.

A bundle that carries several values (`data_options`, `engine_options`) hands them to the
command as one frozen dataclass argument (`data`, `engine`), so adding an option to every
command that uses the bundle is a one-place change: a field in the dataclass and a
`click.option` in the bundle's list, here.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import click

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]


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


def _bundle(
    cls: type[Any], argument: str, options: Sequence[Callable[[Any], Any]]
) -> Callable[[F], F]:
    """A decorator adding OPTIONS to a command and passing their values as one `cls`
    instance named ARGUMENT (each option's parameter name is a field of `cls`)."""
    names = [field.name for field in dataclasses.fields(cls)]

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            kwargs[argument] = cls(**{name: kwargs.pop(name) for name in names})
            return func(*args, **kwargs)

        command: Any = wrapper
        for option in reversed(options):
            command = option(command)
        return cast(F, command)

    return decorate


@dataclass(frozen=True)
class DataOptions:
    """How to read the event data and which instants to judge: the values of the options
    `data_options` adds, named as `Policy.evaluate`'s keyword arguments (instants still as
    typed; the API reads them in the agreement's zone)."""

    mapping: str | None = None
    metrics: str | None = None
    as_of: str | None = None
    start: str | None = None
    end: str | None = None
    period: str | None = None
    timezone: str | None = None


data_options = _bundle(
    DataOptions,
    "data",
    [
        click.option(
            "--mapping",
            help="Mapping file (YAML) adapting an export's columns and names, or a preset "
            "name (`slalang mappings` lists them).",
        ),
        click.option("--metrics", help="Metrics CSV: metric,period,value."),
        click.option(
            "--as-of",
            "as_of",
            metavar="INSTANT",
            help="Judge at this instant (default: the latest event). An ISO instant, a local "
            "date-time or date in the agreement's zone (a date means its end), or `now`.",
        ),
        click.option(
            "--from",
            "start",
            metavar="INSTANT",
            help="Judge only what happens at or after this instant (a date: its start).",
        ),
        click.option(
            "--to",
            "end",
            metavar="INSTANT",
            help="Judge only what happens at or before this instant (a date: its end).",
        ),
        click.option(
            "--period",
            metavar="PERIOD",
            help="Judge one period: 2026-03, 2026-Q1, 2026-W10, 2026, this-month, "
            "last-month, last-quarter, ... (sets --from, --to and, unless given, --as-of).",
        ),
        click.option("--timezone", help="Zone of timestamps that have no offset (IANA name)."),
    ],
)


@dataclass(frozen=True)
class EngineOptions:
    """How to run an evaluation (never what it finds: every setting gives the same report);
    fields are named as `Policy.evaluate`'s keyword arguments."""

    jobs: int = 1


engine_options = _bundle(
    EngineOptions,
    "engine",
    [
        click.option(
            "--jobs",
            type=click.IntRange(min=1),
            default=1,
            show_default=True,
            help="Replay leads in this many processes (the report is the same).",
        ),
    ],
)
