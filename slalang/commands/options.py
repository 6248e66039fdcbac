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

    engine: str = "local"
    jobs: int | None = None
    spark_master: str | None = None


engine_options = _bundle(
    EngineOptions,
    "engine",
    [
        click.option(
            "--engine",
            type=click.Choice(["local", "reference", "spark"]),
            default="local",
            show_default=True,
            help="`local`: the columnar engine, on every core (small inputs take the "
            "reference replay); `reference`: the Python replay; `spark`: an Apache Spark "
            "cluster (the active session, --spark-master, or SPARK_REMOTE; the `spark` "
            "extra). Same report either way.",
        ),
        click.option(
            "--jobs",
            type=click.IntRange(min=1),
            default=None,
            help="Processes to use (default: every core). The report is the same.",
        ),
        click.option(
            "--spark-master",
            metavar="URL",
            help="With --engine spark: the cluster to run on (spark://host:7077, yarn, local[4]).",
        ),
    ],
)


#: The arguments a configuration's `policy` and `events` keys fill, for most commands.
POLICY_AND_EVENTS = {"policy": "policy", "events": "events"}
CONFIG = "slalang.config"  # where the command's configuration settings are kept in `ctx.meta`


class Configured(click.Command):
    """A command whose option defaults come from the configuration file (RUNNER §6.4;
    `slalang.config`), with `--config FILE` and `--isolated` to choose or ignore it.

    A key sets the option of the same long name; `policy` and `events` set the arguments
    named in ARGUMENTS (config key → parameter name). Values go in through Click's
    `default_map`, so a flag given on the command line always wins.
    """

    def __init__(
        self, *args: Any, arguments: dict[str, str] | None = None, table: str = "", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.arguments = arguments or {}
        self.table = table or self.name or ""
        self.params += [
            click.Option(
                ["--config"],
                metavar="FILE",
                expose_value=False,
                help="Read options from this slalang.toml or pyproject.toml instead of "
                "the one found from the current directory upwards.",
            ),
            click.Option(
                ["--isolated"],
                is_flag=True,
                expose_value=False,
                help="Ignore every configuration file.",
            ),
        ]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        from slalang.config import discover

        path, isolated = _peek(args)
        config = discover(path, isolated)
        settings = config.for_command(self.table)
        ctx.meta[CONFIG] = settings
        table = config.commands.get(self.table, {})
        defaults = dict(ctx.default_map or {})
        for param in self.params:
            if param.name is None:
                continue
            if isinstance(param, click.Argument):
                key = next((k for k, name in self.arguments.items() if name == param.name), None)
                if key is not None and key in settings:
                    defaults[param.name] = _argument_default(config, key, param, settings[key])
                continue
            for opt in param.opts:
                key = opt[2:] if opt.startswith("--") else None
                if key is None or key not in settings or key in {"config", "isolated"}:
                    continue
                value = _option_value(settings[key], param)
                if value is None and key not in table:
                    continue  # a top-level value this command's option does not take
                if value is None:
                    raise _invalid(config, f"[{self.table}] {key}", settings[key], param)
                defaults[param.name] = value
        ctx.default_map = defaults
        return super().parse_args(ctx, args)


def selection_option(func: F) -> F:
    """`--select` and `--ignore`: which diagnostic codes to report (codes or prefixes)."""
    func = click.option(
        "--ignore",
        metavar="CODES",
        multiple=True,
        help="Do not report these codes (comma-separated; a prefix such as SLA2 names a group).",
    )(func)
    return click.option(
        "--select",
        metavar="CODES",
        multiple=True,
        help="Report only these codes (comma-separated codes or prefixes).",
    )(func)


def _peek(args: list[str]) -> tuple[str | None, bool]:
    """`--config FILE` and `--isolated` from the raw arguments, before Click parses them
    (they decide the defaults of the other options)."""
    path: str | None = None
    isolated = False
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--isolated":
            isolated = True
        elif arg == "--config" and index + 1 < len(args):
            path = args[index + 1]
        elif arg.startswith("--config="):
            path = arg.split("=", 1)[1]
    return path, isolated


def _option_value(value: Any, param: click.Parameter) -> Any:
    """VALUE as option PARAM takes it, or None when it cannot take it."""
    if isinstance(value, list) and not param.multiple:
        value = ",".join(value)
    if isinstance(param.type, click.Choice) and value not in param.type.choices:
        return None
    if isinstance(param, click.Option) and param.is_flag and not isinstance(value, bool):
        return None
    return value


def _argument_default(config: Any, key: str, param: click.Parameter, value: Any) -> Any:
    """The config's `policy`/`events` as the argument's default: all paths for an argument
    taking several, the one path for one taking one (several are an error, raised only
    when the argument is not given on the command line)."""
    if param.nargs != 1:
        return tuple(value)
    if len(value) == 1:
        return value[0]

    def several() -> Any:
        from slalang.config import ConfigError

        raise ConfigError(
            f"{config.shown}: `{key}` names {len(value)} files ({', '.join(value)}); "
            f"this command takes one: give it on the command line"
        )

    return several


def _invalid(config: Any, key: str, value: Any, param: click.Parameter) -> Exception:
    from slalang.config import ConfigError

    choices = getattr(param.type, "choices", None)
    expected = f"one of {', '.join(map(str, choices))}" if choices else param.type.name
    return ConfigError(f"{config.shown}: {key}: `{value}` is not {expected}")
