"""What several commands do the same way: exit codes, loading a policy the checker passed
(showing its warnings), printing warnings and writing output. The work itself is the
Python API (`slalang.api`); commands import from here, never from each other or from
`slalang.cli`."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from slalang import plancache
from slalang.api import Policy, load_policy
from slalang.commands.options import CONFIG
from slalang.diagnostics import Diagnostic, Level, PolicyError, SlalangError
from slalang.fileio import Piece, write_atomic, write_pieces, writing_to
from slalang.plan.codec import is_plan_path
from slalang.render.diagnostics import render_text
from slalang.suppress import Selection

EXIT_SUCCESS = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class Failure(SlalangError):
    """A run that could not be done; the group prints it on one line and exits 2."""


def warn(message: str) -> None:
    """One warning on stderr, as every command words it."""
    click.echo(f"warning: {message}", err=True)


def show_diagnostics(diagnostics: Sequence[Diagnostic], sources: dict[str, str]) -> None:
    """Diagnostics on stderr with their policy lines."""
    if diagnostics:
        click.echo(render_text(list(diagnostics), sources), err=True, nl=False)


def selection(
    select: Sequence[str] | None = None, ignore: Sequence[str] | None = None
) -> Selection:
    """The codes to report: SELECT/IGNORE from the command line where given, else the
    configuration's `select`/`ignore`, and its `per-file-ignores`."""
    settings: dict[str, Any] = {}
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        settings = ctx.meta.get(CONFIG, {})
    given = {key: value for key, value in (("select", select), ("ignore", ignore)) if value}
    return Selection.from_settings({**settings, **given})


def checked_policy(path: str, root: Path | None) -> Policy:
    """The policy at PATH (a `.sla` file or a compiled plan) if the checker finds no error,
    else a `PolicyError` with the errors; warnings are shown on stderr and do not stop
    the run (unless silenced: `# slalang: ignore[...]`, the configuration's `ignore`).
    The plan of a policy the checker passes clean is kept in the cache and used by the
    next run of the same files with the same options (`slalang.plancache`)."""
    chosen = selection()
    policy_file = not is_plan_path(path)
    if policy_file and (kept := plancache.load(path, root, chosen)) is not None:
        return kept
    policy = load_policy(
        path,
        root=root,
        select=chosen.select,
        ignore=chosen.ignore,
        per_file_ignores=chosen.per_file,
    )
    found = policy.check()
    errors = [d for d in found if d.level is Level.ERROR]
    if errors:
        raise PolicyError(errors)
    show_diagnostics([d for d in found if d.level is Level.WARNING], policy.sources)
    if policy_file and not found:
        return plancache.store(policy, path, root, chosen)
    return policy


_WORDING = {
    "leads": "replayed {done:,} of {total:,} leads",
    "tasks": "Spark: {done:,} of {total:,} tasks done",
    "bytes": "read {done:,} of {total:,} MB of events",
    "unpacked": "unpacked {done:,} of {total:,} MB of gzip input",
    "parts": "replayed {done:,} of {total:,} parts of the leads",
    "counted": "counted {done:,} of {total:,} parts of the leads",
}
"""How each count an engine reports is worded: the reference replay counts leads, Spark its
tasks, the local engine the bytes of gzip files it unpacks to read them on every core, the
input's bytes read and then the parts of the leads replayed (or, for `data check`,
counted)."""


class Shown:
    """Progress on stderr, one line rewritten in place per count, ended when the count is
    done; worded by what is counted (`counting`, which an engine calls when it starts
    counting something else)."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self._shown = ""

    def counting(self, unit: str) -> None:
        self.unit = unit
        self._shown = ""  # a new count: its first line is written, whatever came before

    def __call__(self, done: int, total: int) -> None:
        finished = done >= total
        if self.unit in ("bytes", "unpacked"):  # in whole megabytes, the total rounded up
            total = -(-total // 1_000_000)
            done = total if finished else done // 1_000_000
        text = _WORDING[self.unit].format(done=done, total=total)
        # a count looked at again, unchanged, is not written again: also once done (the
        # workers' tallies can reach the total before the run's process knows they are)
        if text != self._shown:
            click.echo("\r" + text, err=True, nl=finished)
        self._shown = text


def progress(unit: str = "leads") -> Shown | None:
    """Progress on stderr for a person watching a long run; never in a pipe or a log.
    `unit` is what the engine counts first (`_WORDING`)."""
    return Shown(unit) if sys.stderr.isatty() else None


def emit(text: str | Iterable[Piece], output: Path | None) -> None:
    """TEXT (or text in pieces, written as they come) on standard output, or written
    atomically to OUTPUT (said on stderr)."""
    if output is None:
        with writing_to("standard output"):
            if not isinstance(text, str):
                write_pieces(sys.stdout, text)
                sys.stdout.flush()
                return
            # color=True: Click would strip ANSI sequences when stdout is not a terminal,
            # and those bytes may be the data itself (a lead id); stdout gives what -o writes
            click.echo(text, nl=False, color=True)
            sys.stdout.flush()
    else:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
