"""What several commands do the same way: exit codes, loading a checked policy or a
compiled plan, reading the event log with the warnings a person should see, and writing
output. Commands import from here, never from each other or from `slalang.cli`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from slalang.diagnostics import Level, PolicyError, SlalangError
from slalang.fileio import write_atomic
from slalang.load import Program, load
from slalang.render.diagnostics import render_text

EXIT_SUCCESS = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class Failure(SlalangError):
    """A run that could not be done; the group prints it on one line and exits 2."""


def policy_files(paths: Sequence[str]) -> list[Path]:
    """The `.sla` files PATHS name: files as given, directories searched recursively."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.sla") if p.is_file())
            if not found:
                raise Failure(f"{raw}: no .sla files in this directory")
            files.extend(found)
        else:
            files.append(path)
    return files


def load_checked(policy: str, root: Path | None) -> Program:
    """A program that passed the checker, or a `PolicyError` with what is wrong; warnings
    are shown on stderr and do not stop the run."""
    from slalang.check import check

    program = load(Path(policy), root)
    found = check(program)
    warnings = [d for d in found if d.level is not Level.ERROR]
    errors = [d for d in found if d.level is Level.ERROR]
    if errors:
        raise PolicyError(errors)
    if warnings:
        sources = {m.path: m.source for m in program.modules}
        click.echo(render_text(warnings, sources), err=True, nl=False)
    return program


def plan_of(policy: str, root: Path | None) -> tuple[dict[str, Any], dict[str, str]]:
    """A plan from a `.sla` policy (checked and compiled) or a compiled plan (`.json`),
    with the policy sources for showing lines (empty for a compiled plan)."""
    from slalang.plan import compile_program, loads

    if policy.endswith(".json"):
        try:
            text = Path(policy).read_text(encoding="utf-8")
        except OSError as exc:
            raise Failure(f"{policy}: cannot read the plan: {exc.strerror}") from None
        return loads(text), {}
    program = load_checked(policy, root)
    plan = compile_program(program)
    # the plan names files relative to the policy root; key the sources the same way
    files = plan["policy"]["files"]
    return plan, {name: m.source for name, m in zip(files, program.modules, strict=True)}


def read_log(
    plan: dict[str, Any],
    events: Sequence[str],
    mapping: str | None,
    timezone: str | None,
    as_of: int | None,
) -> Any:
    """The event log EVENTS hold, read as the plan's fields; event types the policy does
    not declare are said once each on stderr."""
    from slalang.data import load_mapping, read_events
    from slalang.evaluate.run import field_specs

    log = read_events(
        list(events),
        field_specs(plan),
        plan["events"],
        mapping=load_mapping(mapping) if mapping else None,
        timezone=timezone,
        as_of=None if as_of is None else datetime.fromtimestamp(as_of, UTC),
        stdin=sys.stdin.buffer if "-" in events else None,
    )
    for kind, count in sorted(log.stats.unknown_events.items()):
        click.echo(
            f"warning: event type `{kind}` is not declared by the policy; "
            f"{count} event{'s' if count != 1 else ''} ignored",
            err=True,
        )
    return log


def warn_rejections(log: Any, strict: bool) -> None:
    """Say on stderr how many rows were rejected and why, with examples; under `--strict`
    a rejection means the run cannot be done."""
    stats = log.stats
    if not stats.rejected:
        return
    total = sum(stats.rejected.values())
    reasons = ", ".join(f"{reason} {n}" for reason, n in sorted(stats.rejected.items()))
    click.echo(f"warning: {total} row{'s' if total != 1 else ''} rejected ({reasons})", err=True)
    for example in stats.rejected_examples:
        click.echo(f"  {example.file}:{example.line}: {example.reason}: {example.detail}", err=True)
    if strict:
        raise Failure("rows were rejected and --strict is set")


def progress() -> Callable[[int, int], None] | None:
    """Progress on stderr for a person watching a long run; never in a pipe or a log."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        click.echo(f"\rreplayed {done:,} of {total:,} leads", err=True, nl=False)
        if done == total:
            click.echo("", err=True)

    return show


def emit(text: str, output: Path | None) -> None:
    """TEXT on standard output, or written atomically to OUTPUT (said on stderr)."""
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
