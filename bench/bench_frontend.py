"""Front-end benchmark: parse, check and compile times for a large generated policy.

Generates a policy of about `--statements` statements with the mix of a big real
agreement (event declarations, fields of every type, lets, scores with rules, stages,
handoffs, SLAs with goals on two calendars, targets of every aggregate kind). Every name
is declared and every declaration is used, so the policy should check with no errors and
no warnings; the diagnostics the checker does report are counted in the output.

Each phase is timed `--repeat` times with `time.perf_counter` and the median reported;
a separate run under `tracemalloc` gives each phase's peak Python allocation. The
process's peak resident set (`ru_maxrss`) is taken after the timed runs, before
tracemalloc starts (its bookkeeping inflates the resident set). Phases whose module is
missing or fails (`slalang.check`, `slalang.plan` while being written) show "n/a".
"serialize" is `slalang.plan.dumps`, the rest of what `slalang compile` does.

Usage:
    python bench/bench_frontend.py [--statements 5000] [--repeat 3]
                                   [--emit FILE] [--profile parse|check|compile]
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import itertools
import pstats
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slalang.diagnostics import Level, PolicyError
from slalang.load import Program, load
from slalang.syntax import parse

# Share of the statements (after the fixed header) given to each kind.
MIX = {
    "events": 0.10,
    "field": 0.20,
    "metric": 0.01,
    "let": 0.09,
    "score": 0.10,
    "stage": 0.05,
    "handoff": 0.05,
    "sla": 0.20,
    "target": 0.20,
}
EVENTS_PER_DECL = 5
FIELD_TYPES = (
    "number",
    "number",
    "text",
    "one_of",
    "one_of",
    "number",
    "text",
    "one_of",
    "bool",
    "date",
)
SEGMENTS = ("smb", "mid", "enterprise", "strategic")
MIN_STATEMENTS = 200


# ---- the generated policy ----------------------------------------------------------------


@dataclass
class _Names:
    """Declared names by kind, handed out round-robin so that every one gets used."""

    declared: list[str]
    used: set[str] = field(default_factory=set)
    _cursor: Iterator[str] | None = None

    def take(self) -> str:
        if self._cursor is None:
            self._cursor = itertools.cycle(self.declared)
        name = next(self._cursor)
        self.used.add(name)
        return name

    def unused(self) -> list[str]:
        return [n for n in self.declared if n not in self.used]


class PolicyGenerator:
    """Builds the policy text; `generate()` returns it with its statement count."""

    def __init__(self, statements: int) -> None:
        body = statements - 5  # agreement, two calendars, recycle, exit
        counts = {kind: int(body * share) for kind, share in MIX.items()}
        counts["target"] += body - sum(counts.values())
        counts["handoff"] = min(counts["handoff"], counts["stage"])
        counts["target"] += body - sum(counts.values())
        self.counts = counts
        self.events = _Names([f"ev_{i:05d}" for i in range(counts["events"] * EVENTS_PER_DECL)])
        self.field_types = {
            f"f_{i:05d}": FIELD_TYPES[i % len(FIELD_TYPES)] for i in range(counts["field"])
        }
        self.fields = _Names(list(self.field_types))
        self.by_type: dict[str, _Names] = {
            kind: _Names([n for n, t in self.field_types.items() if t == kind])
            for kind in set(FIELD_TYPES)
        }
        self.metrics = _Names([f"m_{i:04d}" for i in range(counts["metric"])])
        self.lets = _Names([f"k_{i:05d}" for i in range(counts["let"])])
        self.scores = _Names([f"sc_{i:05d}" for i in range(counts["score"])])
        self.stages = [f"st_{i:05d}" for i in range(counts["stage"])]
        self.slas = _Names([f"resp_{i:05d}" for i in range(counts["sla"])])
        self.lines: list[str] = []
        self.statement_count = 0

    # -- output helpers

    def emit(self, *lines: str) -> None:
        self.lines.extend(lines)
        self.statement_count += 1

    def predicate(self) -> str:
        """A well-typed predicate on the next field in turn."""
        name = self.fields.take()
        kind = self.field_types[name]
        self.by_type[kind].used.add(name)
        n = int(name[2:])
        if kind == "number":
            return f"{name} >= {50 + n % 450}"
        if kind == "text":
            return f'{name} matches "(?i)\\b(vp|director|head of) {n % 7}\\b"'
        if kind == "one_of":
            if n % 2:
                return f'{name} in ("{SEGMENTS[n % 4]}", "{SEGMENTS[(n + 1) % 4]}")'
            return f'{name} = "{SEGMENTS[n % 4]}"'
        if kind == "bool":
            return f"{name} = true"
        return f"{name} >= 2026-0{1 + n % 9}-15"

    def typed(self, kind: str) -> str:
        name = self.by_type[kind].take()
        self.fields.used.add(name)
        return name

    # -- the sections

    def generate(self) -> tuple[str, int]:
        self.header()
        self.declarations()
        self.scoring()
        self.lifecycle()
        self.obligations()
        self.targets()
        self.verify()
        return "\n".join(self.lines) + "\n", self.statement_count

    def header(self) -> None:
        self.lines.append("# Generated by bench/bench_frontend.py: a very large agreement.\n")
        self.emit(
            'agreement "Benchmark Marketing & Sales SLA" {',
            '  version "bench"',
            "  effective 2026-01-01",
            '  timezone "America/New_York"',
            '  party marketing "Marketing" contact "mops@example.com"',
            '  party sales "Sales" contact "sales@example.com"',
            "}",
            "",
        )
        self.emit(
            "calendar us_office {",
            '  timezone "America/New_York"',
            "  open mon-fri 09:00-17:00",
            '  closed holidays "US"',
            "  closed 2026-12-24",
            "}",
            "",
        )
        self.emit(
            "calendar de_office {",
            '  timezone "Europe/Berlin"',
            "  open mon-thu 08:00-12:00, 13:00-17:00",
            "  open fri 08:00-14:00",
            '  closed holidays "DE" "BY"',
            "}",
            "",
        )

    def declarations(self) -> None:
        declared = self.events.declared
        for at in range(0, len(declared), EVENTS_PER_DECL):
            self.emit("events " + ", ".join(declared[at : at + EVENTS_PER_DECL]))
        for name, kind in self.field_types.items():
            if kind == "one_of":
                kind = "one of " + ", ".join(f'"{s}"' for s in SEGMENTS)
            self.emit(f"field {name}: {kind}")
        for name in self.metrics.declared:
            self.emit(f'metric {name} "Monthly figure {name} from web analytics"')
        for i, name in enumerate(self.lets.declared):
            if i % 10 == 0:
                self.emit(f"let {name} = {20 + i % 80}            # base volume")
            else:  # short chains of derived figures, as in a revenue plan
                previous = self.lets.declared[i - 1]
                self.lets.used.add(previous)
                self.emit(f"let {name} = {previous} * 110% + {i % 5}")

    def scoring(self) -> None:
        for i, name in enumerate(self.scores.declared):
            window = f" within {30 + i % 60} days" if i % 2 else ""
            rules = [
                f"  +{5 + i % 20} when {self.predicate()}",
                f"  -{5 + i % 10} when {self.predicate()}",
                f"  +{2 + i % 8} per {self.events.take()}, at most {20 + i % 30}",
                f"  +{10 + i % 15} per {self.events.take()} where {self.predicate()}",
            ]
            if i % 3 == 0:
                rules.append("  limit 100")
            self.emit(f"score {name}{window} {{", *rules, "}", "")

    def lifecycle(self) -> None:
        for i, name in enumerate(self.stages):
            if i % 2 == 0:
                self.emit(f"stage {name} on {self.events.take()}")
            else:
                self.emit(
                    f"stage {name} when {self.scores.take()} + {self.scores.take()} "
                    f">= {40 + i % 30}"
                )
        self.emit(f"recycle to {self.stages[0]} on {self.events.take()} where {self.predicate()}")
        self.emit(f"exit on {self.events.take()}")
        for i, stage in enumerate(self.stages[: self.counts["handoff"]]):
            owner = "marketing" if i % 2 else "sales"
            required = ", ".join(self.fields.take() for _ in range(3))
            if i % 3 == 0:
                self.emit(f"handoff {stage} {{ owner {owner}  require {required} }}")
            else:
                num = self.typed("number")
                self.emit(
                    f"handoff {stage} {{",
                    f"  owner {owner}",
                    "  severity warning" if i % 4 == 1 else "  severity error",
                    f"  require {required}",
                    f"  require {num} > 0",
                    "}",
                )

    def obligations(self) -> None:
        for i, name in enumerate(self.slas.declared):
            if i % 2 == 0:
                start = f"  start when entering {self.stages[i % len(self.stages)]}"
            else:
                start = f"  start on {self.events.take()} where {self.predicate()}"
            stop = f"  stop on {self.events.take()}, {self.events.take()}"
            condition = self.predicate() if i % 2 else f"{self.scores.take()} >= {10 + i % 40}"
            self.emit(
                f'sla {name} "Response window {i}" {{',
                f"  owner {'sales' if i % 3 else 'marketing'}",
                "  severity warning" if i % 5 == 0 else "  severity error",
                start,
                stop,
                f"  within {1 + i % 8} business hours using us_office when {condition}",
                f"  within {1 + i % 3} business days using de_office otherwise",
                f"  warn at {50 + i % 40}%",
                "}",
                "",
            )

    def targets(self) -> None:
        kinds: list[Callable[[int], str]] = [
            lambda i: f"monthly: count(entering {self._stage(i)}) >= {self.lets.take()}",
            lambda i: (
                f"weekly: count(reaching {self._stage(i)} where {self.predicate()}) "
                f">= {self.lets.take()} / 4"
            ),
            lambda i: (
                f"monthly: rate({self._stage(i)} -> {self._next_stage(i)} within 30 days) "
                f">= {5 + i % 20}%"
            ),
            lambda i: f"monthly: compliance({self.slas.take()}) >= {80 + i % 20}%",
            lambda i: (
                f"quarterly: count({self.events.take()} where {self.predicate()}) "
                f">= {self.lets.take()} * 3"
            ),
            lambda i: (
                f"monthly by {self.typed('one_of')}: sum({self.typed('number')}, "
                f"entering {self._stage(i)}) >= {self.lets.take()} * 1_000"
            ),
            lambda i: (
                f"monthly: count(entering {self._stage(i)}) / metric({self.metrics.take()}) >= 3%"
                if self.metrics.declared
                else f"monthly: count(entering {self._stage(i)}) >= 1"
            ),
        ]
        for i in range(self.counts["target"]):
            goal = kinds[i % len(kinds)](i)
            owner = "marketing" if i % 2 else "sales"
            if i % 2:
                self.emit(f"target goal_{i:05d} {{ owner {owner}  {goal} }}")
            else:
                self.emit(
                    f'target goal_{i:05d} "Commitment {i}" {{',
                    f"  owner {owner}",
                    f"  {goal}",
                    "}",
                )

    def _stage(self, i: int) -> str:
        return self.stages[i % (len(self.stages) - 1)]

    def _next_stage(self, i: int) -> str:
        """The stage after `_stage(i)` in the lifecycle."""
        return self.stages[i % (len(self.stages) - 1) + 1]

    def verify(self) -> None:
        """Fail loudly if the mix left a declaration unused (a generator bug)."""
        for kind, names in (
            ("event", self.events),
            ("field", self.fields),
            ("let", self.lets),
            ("score", self.scores),
            ("metric", self.metrics),
        ):
            missing = names.unused()
            if missing:
                raise RuntimeError(f"generator left {len(missing)} {kind}s unused: {missing[:3]}")


# ---- measuring --------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    run: Callable[[], Any] | None
    why_missing: str = ""
    seconds: list[float] = field(default_factory=list)
    peak_bytes: int | None = None
    result: Any = None


def optional(module: str, attribute: str) -> tuple[Callable[..., Any] | None, str]:
    """`module.attribute`, or None with the reason it cannot be imported yet."""
    try:
        return getattr(importlib.import_module(module), attribute), ""
    except Exception as exc:  # absent or half-written while others work on it
        return None, f"{type(exc).__name__}: {exc}"


def time_phase(phase: Phase, repeat: int) -> None:
    if phase.run is None:
        return
    for _ in range(repeat):
        start = time.perf_counter()
        phase.result = phase.run()
        phase.seconds.append(time.perf_counter() - start)


def trace_phase(phase: Phase) -> None:
    if phase.run is None:
        return
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    kept = phase.run()  # keep the result alive so the peak includes what it returns
    phase.peak_bytes = tracemalloc.get_traced_memory()[1] - before
    del kept


def fmt_seconds(phase: Phase) -> str:
    if phase.run is None:
        return "n/a"
    med = statistics.median(phase.seconds)
    spread = f"(min {min(phase.seconds):.3f}, max {max(phase.seconds):.3f})"
    return f"{med:8.3f} s  {spread}"


def fmt_bytes(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:8.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--statements",
        type=int,
        default=5000,
        help=f"statements in the generated policy (at least {MIN_STATEMENTS})",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per phase")
    parser.add_argument("--emit", type=Path, help="also write the generated policy here")
    parser.add_argument(
        "--profile",
        choices=("parse", "check", "compile"),
        help="print a cProfile of one run of this phase",
    )
    args = parser.parse_args(argv)
    if args.statements < MIN_STATEMENTS or args.repeat < 1:
        parser.error(f"--statements must be at least {MIN_STATEMENTS} and --repeat at least 1")

    text, count = PolicyGenerator(args.statements).generate()
    if args.emit:
        args.emit.write_text(text, encoding="utf-8")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sla"
        path.write_text(text, encoding="utf-8")

        start = time.perf_counter()
        parse("events warm_up\n", "<warm-up>")  # builds the LALR tables once
        grammar_seconds = time.perf_counter() - start

        try:
            program: Program = load(path)
        except PolicyError as exc:
            for d in exc.diagnostics[:10]:
                print(f"{d.span.line}:{d.span.column}: {d.code}: {d.message}", file=sys.stderr)
            print("the generated policy does not parse (a generator bug)", file=sys.stderr)
            return 1

        check, check_missing = optional("slalang.check", "check")
        compile_program, compile_missing = optional("slalang.plan", "compile_program")
        dumps, dumps_missing = optional("slalang.plan", "dumps")
        phases = [
            Phase("parse", lambda: load(path)),
            Phase("check", check and (lambda: check(program)), check_missing),
            Phase(
                "compile", compile_program and (lambda: compile_program(program)), compile_missing
            ),
        ]
        serialize = Phase("serialize", None, dumps_missing)

        for phase in phases:
            try:
                time_phase(phase, args.repeat)
            except Exception as exc:  # a half-written checker or compiler: report, go on
                phase.run, phase.why_missing = None, f"raised {type(exc).__name__}: {exc}"
        plan = phases[2].result
        if dumps is not None and plan is not None:
            serialize.run = lambda: dumps(plan)
            time_phase(serialize, args.repeat)
        phases.append(serialize)

        rss_mib = peak_rss_mib()
        tracemalloc.start()
        for phase in phases:
            trace_phase(phase)
        tracemalloc.stop()

        if args.profile:
            target = next(p for p in phases if p.name == args.profile)
            if target.run is None:
                print(f"cannot profile {args.profile}: {target.why_missing}", file=sys.stderr)
            else:
                profiler = cProfile.Profile()
                profiler.runcall(target.run)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)

    report(args, text, count, grammar_seconds, phases, rss_mib)
    return 0


def peak_rss_mib() -> float:
    """The process's peak resident set so far (ru_maxrss is bytes on macOS, KiB on Linux)."""
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 2**10


def report(
    args: argparse.Namespace,
    text: str,
    count: int,
    grammar_seconds: float,
    phases: list[Phase],
    rss_mib: float,
) -> None:
    print(
        f"policy: {count} statements, {text.count(chr(10))} lines, "
        f"{len(text) / 2**10:.0f} KiB; median of {args.repeat} runs"
    )
    print(f"grammar load (first parse, once per process): {grammar_seconds:.3f} s")
    print(f"{'phase':<10} {'time (median)':<40} {'tracemalloc peak':>16}")
    for phase in phases:
        print(f"{phase.name:<10} {fmt_seconds(phase):<40} {fmt_bytes(phase.peak_bytes):>16}")
    for phase in phases:
        if phase.run is None and phase.why_missing:
            print(f"  {phase.name}: n/a — {phase.why_missing}")
    checked = phases[1].result
    if checked is not None:
        errors = sum(1 for d in checked if d.level is Level.ERROR)
        print(f"checker: {errors} errors, {len(checked) - errors} warnings/notes")
        for d in list(checked)[:5]:
            print(f"  {d.span.line}:{d.span.column}: {d.code}: {d.message}")
    if phases[3].result is not None:
        print(f"plan JSON: {len(phases[3].result) / 2**10:.0f} KiB")
    print(f"peak RSS (ru_maxrss, whole process, before tracemalloc): {rss_mib:.1f} MiB")


if __name__ == "__main__":
    sys.exit(main())
