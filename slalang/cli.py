"""The command line: one Click group in front of the pipeline; no logic of its own.

Exit codes are the same for every command (RUNNER §2): 0 clean, 1 findings, 2 the run
could not be done. Bad input never shows a traceback unless `--debug` is given.
"""

from __future__ import annotations

import contextlib
import difflib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from slalang import __version__, ast
from slalang.diagnostics import Diagnostic, Level, PolicyError, SlalangError, sort_diagnostics
from slalang.fileio import write_atomic
from slalang.load import Program, load
from slalang.options import data_options, instant_option, output_option, root_option
from slalang.render.diagnostics import RENDERERS, render_text, summary

EXIT_SUCCESS = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class Failure(SlalangError):
    """A run that could not be done; `main` prints it on one line and exits 2."""


class _Group(click.Group):
    """Turns the project's errors into one clear message and exit 2, for every command
    (and so also under Click's CliRunner in the tests)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PolicyError as exc:
            _report_policy_error(exc)
        except SlalangError as exc:
            _fail(str(exc))
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            _fail("interrupted")
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


# ---- check ----------------------------------------------------------------------------


@dataclass
class _Checked:
    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    unparsed: bool  # some file could not be read or parsed: the run could not be done


def _policy_files(paths: Sequence[str]) -> list[Path]:
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


def _check_paths(paths: Sequence[str], root: Path | None) -> _Checked:
    """Load every policy, then check each one that no other loaded policy imports, so a
    shared definitions file is checked in the context of the agreements that use it."""
    from slalang.check import check

    programs: list[Program] = []
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    unparsed = False
    for path in _policy_files(paths):
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
    return _Checked(sort_diagnostics(diagnostics), sources, unparsed)


def _resolved(module: ast.Policy) -> str:
    return str(Path(module.path).resolve())


@cli.command("check")
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
    checked = _check_paths(paths, root)
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


# ---- fmt ------------------------------------------------------------------------------


@cli.command("fmt")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Change nothing; exit 1 if a file would be reformatted.",
)
@click.option("--diff", "show_diff", is_flag=True, help="Print what would change; change nothing.")
def fmt_command(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> None:
    """Rewrite policies in the one canonical layout, keeping every comment.

    `-` reads a policy on standard input and writes the result to standard output.

    \b
    Example:
      slalang fmt --check policies/
    """
    from slalang.fmt import format_text

    changed: list[str] = []
    errors: list[Diagnostic] = []
    sources: dict[str, str] = {}
    targets: list[tuple[str, Path | None]] = []
    for raw in paths:
        if raw == "-":
            targets.append(("<stdin>", None))
        else:
            targets.extend((str(p), p) for p in _policy_files([raw]))
    for shown, path in targets:
        try:
            if path is None:
                from slalang.syntax.parser import decode_policy

                before = decode_policy(sys.stdin.buffer.read(), shown)
            else:
                from slalang.syntax.parser import read_policy_text

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
    if errors:
        click.echo(render_text(sort_diagnostics(errors), sources), err=True, nl=False)
        sys.exit(EXIT_ERROR)
    if check_only and changed:
        sys.exit(EXIT_FINDINGS)


# ---- compile --------------------------------------------------------------------------


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


@cli.command("compile")
@click.argument("policy", type=click.Path(dir_okay=False, path_type=str))
@output_option("plan")
@root_option
def compile_command(policy: str, output: Path | None, root: Path | None) -> None:
    """Compile a policy to its evaluation plan (JSON, valid against the plan schema).

    \b
    Example:
      slalang compile policies/acme.sla -o acme.plan.json
    """
    from slalang.plan import compile_program, dumps

    program = load_checked(policy, root)
    text = dumps(compile_program(program))
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)


# ---- evaluate and explain -------------------------------------------------------------

REPORT_FORMATS = ("table", "json", "jsonl", "csv", "markdown", "junit")
FAIL_LEVELS = {"error": {"error"}, "warning": {"error", "warning"}, "never": set()}


def _plan_of(policy: str, root: Path | None) -> tuple[dict[str, Any], dict[str, str]]:
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


def _read_log(
    plan: dict[str, Any],
    events: Sequence[str],
    mapping: str | None,
    timezone: str | None,
    as_of: int | None,
) -> Any:
    from datetime import UTC, datetime

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


def _warn_rejections(log: Any, strict: bool) -> None:
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


def _progress() -> Callable[[int, int], None] | None:
    """Progress on stderr for a person watching a long run; never in a pipe or a log."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        click.echo(f"\rreplayed {done:,} of {total:,} leads", err=True, nl=False)
        if end:
            click.echo("", err=True)

    return show


@cli.command("evaluate")
@click.argument("policy")
@click.argument("events", nargs=-1, required=True)
@data_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="table",
    show_default=True,
    help="How to write the report.",
)
@output_option("report")
@click.option(
    "--fail-on",
    type=click.Choice(sorted(FAIL_LEVELS)),
    default="error",
    show_default=True,
    help="Exit 1 when a violation has this severity or worse.",
)
@click.option("--strict", is_flag=True, help="Exit 2 when any input row is rejected.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Replay leads in this many processes (the report is the same).",
)
@root_option
def evaluate_command(
    policy: str,
    events: tuple[str, ...],
    mapping: str | None,
    metrics_path: str | None,
    as_of: str | None,
    start: str | None,
    end: str | None,
    timezone: str | None,
    fmt: str,
    output: Path | None,
    fail_on: str,
    strict: bool,
    jobs: int,
    root: Path | None,
) -> None:
    """Replay lead event logs against a policy and report who missed what, when, by how much.

    POLICY is a .sla file or a compiled plan (.json); EVENTS are CSV, CSV.gz or JSON Lines
    files, or - for standard input.

    \b
    Example:
      slalang evaluate policies/seed_funnel.sla samples/seed_funnel/events.csv \\
        --metrics samples/seed_funnel/metrics.csv --format markdown -o report.md
    """
    from slalang.data import read_metrics
    from slalang.evaluate.run import Span, evaluate
    from slalang.render.report import render_report

    plan, _ = _plan_of(policy, root)
    cutoff = instant_option(as_of, "--as-of")
    span = Span(instant_option(start, "--from"), instant_option(end, "--to"))
    if span.start is not None and span.end is not None and span.end < span.start:
        raise Failure("--to is before --from")
    metrics = read_metrics(metrics_path) if metrics_path else None
    if plan["metrics"] and metrics is None:
        click.echo("warning: the policy uses metrics but no --metrics file was given", err=True)
    log = _read_log(plan, events, mapping, timezone, cutoff)
    _warn_rejections(log, strict)
    report = evaluate(
        plan, log, as_of=cutoff, span=span, metrics=metrics, progress=_progress(), jobs=jobs
    )
    color = output is None and fmt == "table" and sys.stdout.isatty()
    text = render_report(report, fmt, color=color)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    failing = FAIL_LEVELS[fail_on]
    if any(v["severity"] in failing for v in report["violations"]):
        sys.exit(EXIT_FINDINGS)


@cli.command("explain")
@click.argument("policy")
@click.argument("events", nargs=-1, required=True)
@click.option("--lead", "lead_id", required=True, help="The lead whose timeline to show.")
@click.option(
    "--mapping",
    help="Mapping file (YAML) adapting an export's columns and names, or a preset name "
    "(`slalang mappings` lists them).",
)
@click.option("--as-of", "as_of", help="Judge at this instant (default: the latest event).")
@click.option("--timezone", help="Zone of timestamps that have no offset (IANA name).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@root_option
def explain_command(
    policy: str,
    events: tuple[str, ...],
    lead_id: str,
    mapping: str | None,
    as_of: str | None,
    timezone: str | None,
    fmt: str,
    root: Path | None,
) -> None:
    """Show one lead's timeline: events, field changes, scores, stage entries and skips,
    clocks with their deadlines and outcomes, and the policy line behind each step.

    \b
    Example:
      slalang explain policies/seed_funnel.sla samples/seed_funnel/events.csv --lead L00042
    """
    from slalang.evaluate.explain import explain, render_explanation

    plan, sources = _plan_of(policy, root)
    cutoff = instant_option(as_of, "--as-of")
    log = _read_log(plan, events, mapping, timezone, cutoff)
    if lead_id not in log.leads:
        close = difflib.get_close_matches(lead_id, list(log.leads), n=1)
        hint = f"; did you mean `{close[0]}`?" if close else ""
        raise Failure(f"no events for lead `{lead_id}` in the input{hint}")
    at = cutoff if cutoff is not None else log.stats.last_ts
    explanation = explain(plan, lead_id, log.leads[lead_id], at)
    click.echo(render_explanation(explanation, fmt, sources), nl=False)


@cli.command("sample")
@click.argument("policy")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--leads", type=click.IntRange(min=0), default=400, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    default="2026-01-05",
    show_default=True,
    help="First day, in the agreement's time zone.",
)
@click.option("--months", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--gzip", "compress", is_flag=True, help="Write events.csv.gz.")
@click.option("--noise", is_flag=True, help="Add about 1% malformed rows (for reader tests).")
@root_option
def sample_command(
    policy: str,
    outdir: Path,
    leads: int,
    seed: int,
    start: Any,
    months: int,
    compress: bool,
    noise: bool,
    root: Path | None,
) -> None:
    """Write a seeded, realistic event log (events.csv) and metrics file (metrics.csv) for
    a policy: the same arguments always give the same bytes.

    \b
    Example:
      slalang sample policies/seed_funnel.sla samples/seed_funnel --leads 400 --seed 7
    """
    from slalang.sample import write_sample

    plan, _ = _plan_of(policy, root)
    outdir.mkdir(parents=True, exist_ok=True)
    events = outdir / ("events.csv.gz" if compress else "events.csv")
    rows = write_sample(
        plan,
        events,
        outdir / "metrics.csv",
        leads=leads,
        seed=seed,
        start=start.date(),
        months=months,
        noise=noise,
    )
    click.echo(f"wrote {rows:,} rows to {events} and {outdir / 'metrics.csv'}", err=True)


# ---- entry point ----------------------------------------------------------------------


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _report_policy_error(exc: PolicyError) -> NoReturn:
    sources: dict[str, str] = {}
    for d in exc.diagnostics:
        path = Path(d.span.file)
        if d.span.file not in sources and path.is_file():
            with contextlib.suppress(OSError, UnicodeDecodeError):
                sources[d.span.file] = path.read_text(encoding="utf-8")
    click.echo(render_text(exc.diagnostics, sources), err=True, nl=False)
    sys.exit(EXIT_ERROR)


# ---- commands that live in their own modules -------------------------------------------
# (one `cli.add_command(...)` line each, below this comment)
from slalang.init import init_command  # noqa: E402

cli.add_command(init_command)
from slalang.policytest import test_command  # noqa: E402

cli.add_command(test_command)
from slalang.diff import diff_command  # noqa: E402

cli.add_command(diff_command)
from slalang.datacheck import data_group  # noqa: E402

cli.add_command(data_group)
from slalang.datacheck import mappings_command  # noqa: E402

cli.add_command(mappings_command)


def main() -> None:
    """The console script."""
    cli(prog_name="slalang")
