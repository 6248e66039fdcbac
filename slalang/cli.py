"""The command line: one Click group assembling the commands of `slalang.commands`
(one module each; that package's docstring says how to add one). No logic of its own
beyond turning the project's errors into one line and an exit code.

Exit codes are the same for every command (RUNNER §2): 0 clean, 1 findings, 2 the run
could not be done. Bad input never shows a traceback unless `--debug` is given.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from slalang import __version__
from slalang.commands.common import EXIT_ERROR
from slalang.diagnostics import PolicyError, SlalangError
from slalang.memory import refuse_pandas

COMMANDS = {
    "check": "check:check_command",
    "compile": "compile:compile_command",
    "data": "data:data_group",
    "diff": "diff:diff_command",
    "evaluate": "evaluate:evaluate_command",
    "explain": "explain:explain_command",
    "fmt": "fmt:fmt_command",
    "init": "init:init_command",
    "mapping": "data:mapping_group",
    "mappings": "data:mappings_command",
    "sample": "sample:sample_command",
    "server": "server:server_command",
    "test": "test:test_command",
}
"""Each command's name → `module:attribute` in `slalang.commands`. A command's module is
imported only when that command runs (or help lists it): importing them all would cost
every run the libraries of every command (the report renderers, the data profiler, the
language server), about 0.4 s of the start."""


class _Group(click.Group):
    """Turns the project's errors into one clear message and exit 2, for every command
    (and so also under Click's CliRunner in the tests); finds the commands in `COMMANDS`,
    importing only the one that runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name].split(":")
        command: click.Command = getattr(
            importlib.import_module(f"slalang.commands.{module}"), attribute
        )
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PolicyError as exc:
            _report_policy_error(exc)
        except SlalangError as exc:
            _fail(str(exc))
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Terminated:
            _fail("terminated")
        except KeyboardInterrupt:
            _fail("interrupted")
        except BrokenPipeError:
            _output_gone()
        except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
            if ctx.params.get("debug"):
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="slalang")
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected failures.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """slalang: marketing-sales service level agreements as code.

    \b
    Example:
      slalang check policies/
      slalang compile policies/acme.sla -o plan.json
    """
    ctx.obj = {"debug": debug}


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


class Terminated(KeyboardInterrupt):
    """SIGTERM, the signal a cancelled CI job, `timeout` or `kill` sends: the run ends as
    Ctrl-C ends it, through every `finally` (the temporary directory, gigabytes of spill
    files, removed; the old `-o` file kept), where Python's own default would end the
    process at once and leave the directory and the worker processes behind."""


def _terminate(signum: int, frame: object) -> NoReturn:
    """The SIGTERM handler of the command line. Ctrl-C reaches the worker processes from
    the terminal; SIGTERM reaches this process only, so it is passed on to them first:
    they end at once (a worker holds nothing to clean up: `local._worker_start`), and
    the tasks they had fail, which lets this process end its run."""
    processes = sys.modules.get("multiprocessing")  # not imported: no worker to stop
    for child in processes.active_children() if processes is not None else ():
        if child.pid:
            with contextlib.suppress(OSError):  # gone meanwhile
                os.kill(child.pid, signal.SIGTERM)
    raise Terminated


def _output_gone() -> NoReturn:
    """Whoever read standard output stopped reading (`slalang evaluate … | head`): the run
    ends quietly, as other command-line tools do, with exit 2 (the output is not all
    written). Standard output is pointed at the null device first, or the interpreter's
    last flush of it would fail once more, with a traceback."""
    with contextlib.suppress(OSError, ValueError):  # not a real file (CliRunner)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(EXIT_ERROR)


def _report_policy_error(exc: PolicyError) -> NoReturn:
    from slalang.render.diagnostics import render_text

    sources: dict[str, str] = {}
    for d in exc.diagnostics:
        path = Path(d.span.file)
        if d.span.file not in sources and path.is_file():
            with contextlib.suppress(OSError, UnicodeDecodeError):
                sources[d.span.file] = path.read_text(encoding="utf-8")
    click.echo(render_text(exc.diagnostics, sources), err=True, nl=False)
    sys.exit(EXIT_ERROR)


def main() -> None:
    """The console script.

    Whatever way the command ends, the objects still alive are frozen out of the garbage
    collector's reach first: at exit CPython's last collections walk every one of them
    (numba's typing registries, Arrow's and the run's own), which took 0.3 s of a 2.2 s
    evaluation of a million events. The process's memory goes back to the system anyway.
    Nor does it import pandas, which Arrow would load for nothing (`refuse_pandas`).
    """
    refuse_pandas()
    # not when SIGTERM was set aside, nor off the main thread (where handlers cannot be set)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, _terminate)
    try:
        cli(prog_name="slalang")
    finally:
        gc.freeze()
