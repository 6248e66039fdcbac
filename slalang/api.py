"""The Python API: what a notebook, an Airflow task or a dbt Python model calls, and what
every command of the command line is a thin shell over.

    import slalang

    policy = slalang.load_policy("policies/agreement.sla")
    report = policy.evaluate("data/events.csv", metrics="data/metrics.csv")
    report.violations          # list of dicts, as in the JSON report
    report.to_json()           # the same bytes as `slalang evaluate --format json`

Problems raise `slalang.SlalangError` (one line, in the project's words) or its subclass
`slalang.PolicyError` (with `.diagnostics`); nothing is printed. Warnings a person should
see (rejected rows, bad values, undeclared event types) are collected on the result and, when an
`on_warning` callback is given, also handed to it as they happen.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from slalang import suppress
from slalang.diagnostics import Diagnostic, Level, PolicyError, SlalangError, sort_diagnostics
from slalang.fileio import read_text
from slalang.instants import Clock, Role, parse_instant, parse_period, wall_clock
from slalang.plan.codec import is_plan_path
from slalang.suppress import ALL, Selection

if TYPE_CHECKING:  # parsing is imported where a policy is parsed: a kept plan needs none
    from slalang.load import Program

#: A path (str or path-like), several paths, or rows in memory: mappings from column name
#: to value (e.g. `df.to_dict("records")`) or a pandas DataFrame, read as JSON Lines would be.
Events = Any
#: An instant: an aware datetime, a date (the whole day, as on the command line), Unix
#: seconds, or text as `--as-of` takes it (`2026-03-01`, `2026-03-01T09:00`, `now`, ...).
Instant = datetime | date | int | str
Warn = Callable[[str], None]


class InstantError(SlalangError):
    """An `--as-of`/`--from`/`--to`/`--period` value that names no instant."""


# ---- policies ----------------------------------------------------------------------------


class Policy:
    """A loaded agreement (a `.sla` file and its imports) or a compiled plan (`.json`).

    `check()` lists what the checker finds; `plan` compiles it (raising `PolicyError` if
    the checker finds errors); `evaluate()` judges event data against it.
    """

    def __init__(
        self,
        path: str,
        *,
        program: Program | None = None,
        plan: Mapping[str, Any] | None = None,
        selection: Selection = ALL,
        modules: Sequence[tuple[str, str]] = (),
    ) -> None:
        """From a parsed `program`, or from a `plan`: a plan file's, or one compiled
        before from the policy files `modules` (name as shown, text; imports first, as
        the program lists them), which the checker passed clean (`slalang.plancache`)."""
        if (program is None) == (plan is None):
            raise ValueError("a Policy is made from a program or a plan, not both")
        self.path = path
        self._program = program
        self._plan = dict(plan) if plan is not None else None
        self._modules = (
            [(m.path, m.source) for m in program.modules] if program is not None else list(modules)
        )
        self._diagnostics: list[Diagnostic] | None = None
        self.selection = selection

    @property
    def sources(self) -> dict[str, str]:
        """The text of each policy file, keyed as diagnostics name them (none for a plan
        file)."""
        return dict(self._modules)

    def check(self) -> list[Diagnostic]:
        """Every diagnostic the checker finds, in file order, without those the policy's
        `# slalang: ignore[...]` comments or the selection silence (docs/diagnostics.md)."""
        if self._diagnostics is None:
            from slalang.check import check

            found = [] if self._program is None else check(self._program)
            self._diagnostics = suppress.apply(found, self.sources, self.selection)
        return list(self._diagnostics)

    @property
    def warnings(self) -> list[Diagnostic]:
        """The checker's findings that do not stop an evaluation."""
        return [d for d in self.check() if d.level is not Level.ERROR]

    @property
    def plan(self) -> dict[str, Any]:
        """The evaluation plan (JSON-ready dict; `slalang compile` writes it)."""
        if self._plan is None:
            from slalang.plan import compile_program

            errors = [d for d in self.check() if d.level is Level.ERROR]
            if errors:
                raise PolicyError(errors)
            assert self._program is not None
            self._plan = compile_program(self._program)
        return self._plan

    @property
    def plan_sources(self) -> dict[str, str]:
        """Policy texts keyed by the file names the plan uses (relative to the root), for
        showing the policy line behind a step."""
        if not self._modules:
            return {}
        files = self.plan["policy"]["files"]
        return {name: text for name, (_, text) in zip(files, self._modules, strict=True)}

    @property
    def timezone(self) -> str | None:
        """The agreement's zone: local date-times and bare dates are read in it."""
        zone = self.plan["policy"].get("timezone")
        return str(zone) if zone else None

    def to_json(self) -> str:
        """The plan as `slalang compile` writes it."""
        from slalang.plan import dumps

        return dumps(self.plan)

    def instant(self, value: Instant | None, role: Role = "as-of", *, name: str = "") -> int | None:
        """VALUE as Unix seconds, local text and dates read in the agreement's zone.
        NAME (e.g. `--as-of`) starts the message of a value that names no instant."""
        return to_seconds(value, self.timezone, role, name=name)

    def read_events(
        self,
        events: Events,
        *,
        mapping: str | os.PathLike[str] | None = None,
        timezone: str | None = None,
        as_of: Instant | None = None,
        on_warning: Warn | None = None,
    ) -> Any:
        """The event log EVENTS hold, read as this policy's fields (an `EventLog`)."""
        return read_log(
            self.plan,
            events,
            mapping=mapping,
            timezone=timezone,
            as_of=self.instant(as_of, name="as_of"),
            on_warning=on_warning,
        )

    def evaluate(
        self,
        events: Events,
        *,
        mapping: str | os.PathLike[str] | None = None,
        metrics: str | os.PathLike[str] | Mapping[tuple[str, str], float] | None = None,
        as_of: Instant | None = None,
        start: Instant | None = None,
        end: Instant | None = None,
        period: str | None = None,
        timezone: str | None = None,
        strict: bool = False,
        engine: str = "local",
        jobs: int | None = None,
        spark_master: str | None = None,
        tables: Sequence[str] = (),
        spark: Any = None,
        progress: Callable[[int, int], None] | None = None,
        on_warning: Warn | None = None,
        clock: Clock | None = None,
        stream: bool = False,
        sections: Sequence[str] = ("stages", "clocks", "violations"),
    ) -> Report:
        """Replay each lead's events against the policy and report who missed what.

        `as_of` (default: the latest event) is the instant judged at; `start`/`end` (or
        `period`, e.g. "2026-03", "2026-Q1", "last-month") limit what is judged. With
        `strict`, a rejected row or a bad value makes the run fail instead of being
        counted. `metrics` is a metrics CSV or {(metric, period): value}. `clock`
        replaces the wall clock for `now` and relative periods. `engine` is `local` (the
        columnar engine on every core, or `jobs` of them, for inputs of some size) or
        `reference` (the Python replay); both give the same report (docs/engine.md).
        `engine="spark"` runs on Apache Spark (`spark`, a SparkSession; else one on
        `spark_master`, the active one, or SPARK_REMOTE), reading `events` paths and
        `tables` with Spark: the same report again, made on a cluster (docs/spark.md).
        `progress(done, total)` is called as the run goes, with what each engine counts:
        the reference replay its leads replayed, Spark its tasks, the local engine the
        input's bytes its workers have read and then the parts of the leads replayed; a
        `progress` with a `counting(unit)` method is told each count's unit first
        (`leads`, `tasks`, `bytes`, `parts`).

        With `stream`, the report is for writing (`Report.pieces`, `Report.render`) in a
        `with` block: when the local engine runs, its stage, clock and violation lists stay
        in temporary files, read as they are written, so memory does not grow with the
        input; `data` holds those named in `sections` as `json_text.Entries` until the
        block ends, lazy views parsed anew on each pass (JSON copies their text out as it
        is). Else the local engine builds only the long lists named in `sections` into
        `data` as lists (a report rendered in one format needs only those it reads,
        `slalang.render.report.LISTS`; on a large input the others are most of a report's
        memory); the other engines build them all.
        """
        from slalang.evaluate.run import evaluate

        warnings: list[str] = []
        warn = _collector(warnings, on_warning)
        plan = self.plan
        span = self.span(as_of, start, end, period, clock=clock)
        cutoff, window = span
        values = _metrics(metrics)
        if plan["metrics"] and values is None:
            warn("the policy uses metrics but no metrics file was given")
        if engine == "spark":
            return self._on_spark(
                events,
                mapping,
                timezone,
                span,
                values,
                strict,
                spark_master,
                tables,
                spark,
                progress,
                warn,
                warnings,
                stream,
            )
        if tables:
            raise SlalangError("tables (--events-table) are read with the Spark engine only")
        events = keep_streams(events, engine)
        with kept_closed(events, failed_only=True):  # what succeeds may read them again
            local = _local_inputs(events, mapping, engine)
            if local is not None:
                from slalang.engine.local import run

                closing = contextlib.ExitStack()
                with closing:
                    outcome = closing.enter_context(
                        run(
                            plan,
                            **local.options(timezone, cutoff, window, values, jobs),
                            warn=lambda stats: _check_input(stats, strict, warn),
                            progress=progress,
                        )
                    )
                    rereading = self._rereading(
                        local.mapping, local.timelines(plan, timezone, cutoff)
                    )
                    if not stream:
                        return Report(outcome.report(sections), tuple(warnings), plan, **rereading)
                    streamed = Report(outcome.lazy(sections), tuple(warnings), plan, **rereading)
                    object.__setattr__(streamed, "severities", frozenset(outcome.severities))
                    object.__setattr__(streamed, "closing", closing.pop_all())
                    return streamed
            log = read_log(
                plan,
                events,
                mapping=mapping,
                timezone=timezone,
                as_of=cutoff,
                on_warning=warn,
                strict=strict,
            )
            data = evaluate(
                plan,
                log,
                as_of=cutoff,
                span=window,
                metrics=values,
                progress=progress,
                jobs=jobs or 1,
            )
            return Report(
                data, tuple(warnings), plan, log.leads, self.plan_sources, id_column(mapping)
            )

    def _on_spark(
        self,
        events: Events,
        mapping: str | os.PathLike[str] | None,
        timezone: str | None,
        span: tuple[int | None, Any],
        metrics: Mapping[tuple[str, str], float] | None,
        strict: bool,
        master: str | None,
        tables: Sequence[str],
        spark: Any,
        progress: Callable[[int, int], None] | None,
        warn: Warn,
        warnings: list[str],
        stream: bool,
    ) -> Report:
        """`evaluate` with `engine="spark"` (slalang.spark)."""
        from slalang.data import load_mapping
        from slalang.engine.choose import rereadable
        from slalang.evaluate.run import counting
        from slalang.spark import evaluate_on_spark, session

        paths = _spark_paths(events, tables)
        cutoff, window = span
        loaded = load_mapping(os.fspath(mapping)) if mapping else None
        run = evaluate_on_spark(
            self.plan,
            paths,
            tables=tables,
            mapping=loaded,
            timezone=timezone,
            as_of=cutoff,
            span=window,
            metrics=metrics,
            spark=spark if spark is not None else session(master),
            progress=counting(progress, "tasks"),
        )
        _check_input(run.stats, strict, warn)
        # files and directories on this machine: the files Spark listed in them, by the names
        # a local run gives them (a directory's files joined to it), are read again
        local = bool(run.files) and all(rereadable(path) for path in paths)
        events_of = _Local(list(run.files), loaded).timelines(self.plan, timezone, cutoff)
        kept = self._rereading(loaded, events_of if local else None)
        if not stream:
            return Report(run.report, tuple(warnings), self.plan, **kept)
        streamed = Report(run.streamed(), tuple(warnings), self.plan, **kept)
        object.__setattr__(streamed, "severities", run.severities)
        return streamed

    def _rereading(
        self, loaded: Any, events_of: Callable[[Collection[str]], Mapping[str, Any]] | None
    ) -> dict[str, Any]:
        """What a report of an engine that keeps no events is given besides its data: the
        policy's texts and the export's id column (from the mapping already loaded), and
        what reads the worst leads' events again for `html` (None: nothing can)."""
        return {
            "sources": self.plan_sources,
            "id_column": _id_column_of(loaded),
            "events_of": events_of,
        }

    def span(
        self,
        as_of: Instant | None = None,
        start: Instant | None = None,
        end: Instant | None = None,
        period: str | None = None,
        *,
        clock: Clock | None = None,
    ) -> tuple[int | None, Any]:
        """The as-of instant and the judged `Span` the arguments name (RUNNER §6.3): a
        period sets both bounds and, unless as_of is given, as_of to the earlier of its end
        and now."""
        from slalang.evaluate.run import Span

        cutoff = to_seconds(as_of, self.timezone, "as-of", name="--as-of", clock=clock)
        first = to_seconds(start, self.timezone, "from", name="--from", clock=clock)
        last = to_seconds(end, self.timezone, "to", name="--to", clock=clock)
        if period is not None:
            if first is not None or last is not None:
                raise InstantError("--period sets --from and --to; give one or the other")
            try:
                first, last = parse_period(period, self.timezone, clock)
            except ValueError as exc:
                raise InstantError(f"--period: {exc}") from None
            if cutoff is None:
                now = int((clock or wall_clock)().timestamp())
                cutoff = min(last, now)
        if first is not None and last is not None and last < first:
            raise InstantError("--to is before --from")
        return cutoff, Span(first, last)

    def explain(
        self,
        events: Events,
        lead: str,
        *,
        mapping: str | os.PathLike[str] | None = None,
        timezone: str | None = None,
        as_of: Instant | None = None,
        on_warning: Warn | None = None,
    ) -> Any:
        """One lead's timeline (an `Explanation`): events, scores, stages, clocks, and the
        policy line behind each step. LEAD is an id or a prefix of exactly one id.

        An input the local engine would read (files of some size, Parquet) is read twice
        as it reads them, never held: once counted on every core (the accounting, the
        lead ids and the latest instant, as the reference reader gives them), then for
        the one lead's events (`lead_timelines`): on 10M events, seconds and a few hundred
        megabytes, where the reference reader holds every event."""
        from slalang.evaluate.explain import explain

        cutoff = self.instant(as_of, name="--as-of")
        events = keep_streams(events, "local")
        with kept_closed(events):  # nothing reads the kept input once explained
            local = _local_inputs(events, mapping, "local")
            if local is not None:
                from slalang.engine.local import lead_timelines, summarize

                options = {
                    "mapping": local.mapping,
                    "timezone": timezone,
                    "as_of": cutoff,
                    "kept": local.kept,
                }
                summary = summarize(self.plan, local.paths, **options)
                _check_input(summary.stats, False, on_warning or (lambda _: None))
                lead_id = find_lead(lead, summary.lead_ids)
                [timeline] = lead_timelines(
                    self.plan, local.paths, leads=[lead_id], **options
                ).values()
                at = cutoff if cutoff is not None else summary.stats.last_ts
                assert at is not None  # the lead has events
                return explain(self.plan, lead_id, timeline, at)
            log = self.read_events(
                events, mapping=mapping, timezone=timezone, as_of=cutoff, on_warning=on_warning
            )
            lead_id = find_lead(lead, log.leads)
            at = cutoff if cutoff is not None else log.stats.last_ts
            return explain(self.plan, lead_id, log.leads[lead_id], at)


def diff_policies(
    old: Policy | None,
    new: Policy,
    events: Events,
    *,
    mapping: str | os.PathLike[str] | None = None,
    metrics: str | os.PathLike[str] | Mapping[tuple[str, str], float] | None = None,
    as_of: Instant | None = None,
    start: Instant | None = None,
    end: Instant | None = None,
    period: str | None = None,
    timezone: str | None = None,
    engine: str = "local",
    jobs: int | None = None,
    spark_master: str | None = None,
    on_warning: Warn | None = None,
    clock: Clock | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """What changes from OLD to NEW on the same events (`slalang diff`): violations added
    and removed, per-SLA and per-target deltas. Both are judged at one as-of instant (the
    latest event unless given), read in NEW's zone. The events are read once for both
    policies; with the local engine (inputs of some size), both replay the one columnar
    read when each policy declares every event type either does, else the reference replay
    runs (in `jobs` processes). OLD is None when NEW is a new policy (a pull request adding
    it): everything it reports is then added. `progress` as `Policy.evaluate`'s (the
    reference replay counts each policy's leads in turn)."""
    from slalang.diff import compare, merged_inputs
    from slalang.evaluate.run import evaluate

    if engine == "spark" or spark_master is not None:
        raise SlalangError("engine `spark`: only evaluate runs on Spark so far")
    warn = on_warning or (lambda _: None)
    cutoff, window = new.span(as_of, start, end, period, clock=clock)
    values = _metrics(metrics)
    old_plan = new.plan if old is None else old.plan
    if (old_plan["metrics"] or new.plan["metrics"]) and values is None:
        warn("a policy uses metrics but no metrics file was given")
    merged = merged_inputs(old_plan, new.plan)
    plans = [new.plan] if old is None else [old_plan, new.plan]
    events = keep_streams(events, engine)
    with kept_closed(events):  # nothing reads the kept input once compared
        local = _local_inputs(events, mapping, engine)
        if local is not None and all(set(p["events"]) == set(merged["events"]) for p in plans):
            from slalang.engine.local import evaluate_each

            with evaluate_each(
                merged,
                plans,
                **local.options(timezone, cutoff, window, values, jobs),
                warn=lambda stats: _check_input(stats, False, warn),
                progress=progress,
            ) as reports:
                return compare(None if old is None else reports[0], reports[-1])
        log = read_log(
            merged, events, mapping=mapping, timezone=timezone, as_of=cutoff, on_warning=warn
        )
        if cutoff is None:
            cutoff = (
                log.stats.last_ts
            )  # one as-of for both, even if one plan ignores the last event

        def judge(policy: Policy) -> dict[str, Any]:
            return evaluate(
                policy.plan,
                log,
                as_of=cutoff,
                span=window,
                metrics=values,
                jobs=jobs or 1,
                progress=progress,
            )

        return compare(None if old is None else judge(old), judge(new))


def load_policy(
    path: str | os.PathLike[str],
    *,
    root: str | os.PathLike[str] | None = None,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    per_file_ignores: Mapping[str, Sequence[str]] | None = None,
) -> Policy:
    """The agreement at PATH (a `.sla` file, with the files it imports, which may not leave
    ROOT — default: its directory) or a compiled plan (`.json`). A file that cannot be read
    or parsed raises `PolicyError`; what the checker finds is `Policy.check()`, limited to
    the codes SELECT names (default: all) minus those IGNORE and PER_FILE_IGNORES name
    (codes or prefixes such as `SLA2`)."""
    selection = Selection(tuple(select), tuple(ignore), dict(per_file_ignores or {}))
    shown = os.fspath(path)
    if is_plan_path(shown):
        from slalang.plan import loads

        try:
            text = read_text(shown)
        except OSError as exc:
            raise SlalangError(f"{shown}: cannot read the plan: {exc.strerror}") from None
        return Policy(shown, plan=loads(text), selection=selection)
    from slalang.load import load

    program = load(Path(shown), None if root is None else Path(root))
    return Policy(shown, program=program, selection=selection)


@dataclass
class Checked:
    """What `check_paths` found: every diagnostic, the policy texts to show lines from,
    and whether some file could not be read or parsed (the run could not be done)."""

    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    unparsed: bool


def policy_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The `.sla` files PATHS name: files as given, directories searched recursively."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.sla") if p.is_file())
            if not found:
                raise SlalangError(f"{os.fspath(raw)}: no .sla files in this directory")
            files.extend(found)
        else:
            files.append(path)
    return files


def check_paths(
    paths: Sequence[str | os.PathLike[str]],
    *,
    root: str | os.PathLike[str] | None = None,
    selection: Selection = ALL,
) -> Checked:
    """Check the policies PATHS name (files, or directories searched for `.sla` files).
    Every policy is loaded, then each one that no other loaded policy imports is checked,
    so a shared definitions file is checked in the context of the agreements using it.
    Suppression comments and SELECTION silence diagnostics as in `Policy.check()`."""
    from slalang.check import check
    from slalang.load import load

    base = None if root is None else Path(root)
    programs: list[Program] = []
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {}
    unparsed = False
    for path in policy_files(paths):
        try:
            program = load(path, base)
        except PolicyError as exc:
            diagnostics.extend(exc.diagnostics)
            unparsed = True
            with contextlib.suppress(OSError, UnicodeDecodeError):
                sources[str(path)] = read_text(path)
            continue
        programs.append(program)
        sources.update({m.path: m.source for m in program.modules})
    imported = {_resolved(m.path) for program in programs for m in program.modules[:-1]}
    for program in programs:
        if _resolved(program.entry.path) in imported:
            continue
        found = check(program)
        unparsed = unparsed or any(d.code.startswith(("SLA0", "SLA1")) for d in found)
        program_sources = {m.path: m.source for m in program.modules}
        diagnostics.extend(suppress.apply(found, program_sources, selection))
    return Checked(sort_diagnostics(diagnostics), sources, unparsed)


def _resolved(path: str) -> str:
    return str(Path(path).resolve())


# ---- reports ------------------------------------------------------------------------------

#: Which violation severities fail a run for each `--fail-on` level.
FAIL_LEVELS: dict[str, frozenset[str]] = {
    "error": frozenset({"error"}),
    "warning": frozenset({"error", "warning"}),
    "never": frozenset(),
}


@dataclass(frozen=True)
class Report:
    """An evaluation's result: `data` is the report as documented in docs/reports.md (the
    dict `--format json` writes); the properties are its main parts."""

    data: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())
    plan: Mapping[str, Any] | None = field(default=None, repr=False)
    #: each lead's events and the policy texts, for the timelines `html` embeds
    leads: Mapping[str, Any] = field(default_factory=dict, repr=False)
    sources: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: the export's lead id column, which `leads` writes its ids under
    id_column: str = "lead_id"
    #: for an engine that keeps no events (`leads` is empty): the events of the leads asked
    #: for, read again from the input, so that `html` embeds the same timelines
    events_of: Callable[[Collection[str]], Mapping[str, Any]] | None = field(
        default=None, repr=False
    )
    #: a streamed report (`evaluate(stream=True)`): its violations' severities, and what
    #: removes its temporary files (`close`, or the end of a `with` block)
    severities: frozenset[str] | None = field(default=None, repr=False)
    closing: contextlib.ExitStack | None = field(default=None, repr=False)

    def __enter__(self) -> Report:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove a streamed report's temporary files (nothing to do for others)."""
        if self.closing is not None:
            self.closing.close()

    def pieces(
        self, fmt: str = "json", *, color: bool = False, encoded: bool = False, **options: Any
    ) -> str | Iterator[Any]:
        """The report as `render` gives it, in pieces read from a streamed report's files as
        they are written where the format streams (json, jsonl, csv, junit), else whole:
        strings, or with `encoded` JSON's long lists as UTF-8 bytes or `fileio.Stored`
        files of UTF-8 text among them (`fileio.write_pieces` writes all of these;
        `fileio.decoded` gives a piece's text)."""
        from slalang.render.report import LISTS, render_pieces

        missing = [name for name in LISTS.get(fmt, ()) if name not in self.data]
        if missing:
            raise SlalangError(
                f"format `{fmt}` reads the report's {' and '.join(missing)}, which this "
                "report was built without (evaluate's `sections`)"
            )
        if (
            fmt == "html"
            and "timelines" not in options
            and self.plan is not None
            and (self.leads or self.events_of is not None)
        ):
            from slalang.render.report.html import explain_leads  # jinja2: for html alone

            options["timelines"] = explain_leads(self.plan, self._leads, self.data, self.sources)
        options.setdefault("id_column", self.id_column)
        return render_pieces(
            self.data, fmt, color=color, plan=self.plan, encoded=encoded, **options
        )

    @property
    def violations(self) -> list[dict[str, Any]]:
        return list(self.data["violations"])

    @property
    def targets(self) -> list[dict[str, Any]]:
        return list(self.data["targets"])

    @property
    def slas(self) -> list[dict[str, Any]]:
        return list(self.data["slas"])

    @property
    def as_of(self) -> str:
        return str(self.data["as_of"])

    def failed(self, fail_on: str = "error") -> bool:
        """Whether a violation is as severe as FAIL_ON (`error`, `warning`, `never`)."""
        if fail_on not in FAIL_LEVELS:
            raise ValueError(f"fail_on is one of {', '.join(FAIL_LEVELS)}, not `{fail_on}`")
        failing = FAIL_LEVELS[fail_on]
        if self.severities is not None:
            return bool(self.severities & failing)
        return any(v["severity"] in failing for v in self.data["violations"])

    def render(self, fmt: str = "table", *, color: bool = False, **options: Any) -> str:
        """The report as text in one of `slalang evaluate --format`'s formats; OPTIONS
        are those of `slalang.render.report.render_report` (the plan, the id column and,
        for `html`, the worst leads' timelines are passed for you)."""
        from slalang.render.report import joined

        return joined(self.pieces(fmt, color=color, **options))

    def _leads(self, wanted: Collection[str]) -> Mapping[str, Any]:
        """The events of the leads WANTED: those the reference engine kept, or read again."""
        if self.leads or self.events_of is None:
            return self.leads
        return self.events_of(wanted)

    def select(self, rules: Sequence[str] = (), owners: Sequence[str] = ()) -> Report:
        """The report limited to these rules and to rules of these owners (RUNNER §6.7);
        an unknown name raises SlalangError."""
        from slalang.render.report.select import select

        if not rules and not owners:
            return self
        if self.plan is None:
            raise SlalangError("selecting rules or owners needs the report's plan")
        # a streamed report's severities are the whole run's: `failed` reads the selection
        return replace(self, data=select(self.data, self.plan, rules, owners), severities=None)

    def to_json(self) -> str:
        """The same bytes as `slalang evaluate --format json`."""
        return self.render("json")


# ---- the pieces commands share ----------------------------------------------------------------


def to_seconds(
    value: Instant | None,
    zone: str | None,
    role: Role = "as-of",
    *,
    name: str = "",
    clock: Clock | None = None,
) -> int | None:
    """VALUE as Unix seconds (None stays None); see `Instant`."""
    if value is None:
        return None
    try:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return parse_instant(value.isoformat(), zone, role, clock)
            return int(value.timestamp())
        if isinstance(value, date):
            return parse_instant(value.isoformat(), zone, role, clock)
        if isinstance(value, int):
            return value
        return parse_instant(str(value), zone, role, clock)
    except ValueError as exc:
        raise InstantError(f"{name}: {exc}" if name else str(exc)) from None


def find_lead(wanted: str, leads: Collection[str]) -> str:
    """The lead id WANTED names: itself, or the one id it is a prefix of. Otherwise an
    error that suggests the nearest ids."""
    import difflib

    if wanted in leads:
        return wanted
    matches = sorted(lead for lead in leads if lead.startswith(wanted))
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(f"`{m}`" for m in matches[:5])
        more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
        raise SlalangError(f"lead `{wanted}` is a prefix of several ids: {shown}{more}")
    close = difflib.get_close_matches(wanted, list(leads), n=3)
    hint = f"; did you mean {', '.join(f'`{c}`' for c in close)}?" if close else ""
    raise SlalangError(f"no events for lead `{wanted}` in the input{hint}")


def id_column(mapping: str | os.PathLike[str] | None) -> str:
    """The export's own name for the lead id column: the mapping's (its first source's, for
    a multi-source mapping, the lead records' export), else `lead_id`."""
    if not mapping:
        return "lead_id"
    from slalang.data import load_mapping

    return _id_column_of(load_mapping(os.fspath(mapping)))


def _id_column_of(loaded: Any) -> str:
    """`id_column` of a mapping already loaded (None: no mapping)."""
    if loaded is None:
        return "lead_id"
    return str((loaded.sources[0] if loaded.sources else loaded).column("lead_id"))


def read_log(
    plan: Mapping[str, Any],
    events: Events,
    *,
    mapping: str | os.PathLike[str] | None = None,
    timezone: str | None = None,
    as_of: int | None = None,
    on_warning: Warn | None = None,
    strict: bool = False,
) -> Any:
    """The event log EVENTS hold, read as PLAN's fields and events; timestamps without an
    offset fall back to the agreement's zone (RUNNER §6.2). What of the input was not used
    as it stands (undeclared types, the assumed zone, rejected rows, bad values) is warned
    about once each; with `strict`, a rejected row or a bad value raises `SlalangError`."""
    from slalang.data import load_mapping, read_events
    from slalang.data.duckdb_source import query_sources
    from slalang.evaluate.run import field_specs

    loaded = load_mapping(os.fspath(mapping)) if mapping else None
    inputs = _Inputs([], None)
    if loaded is None or not query_sources(loaded) or not _no_items(events):
        inputs = _inputs(events)  # else the mapping's queries are the whole input
    log = read_events(
        inputs.paths,
        field_specs(plan),
        plan["events"],
        mapping=loaded,
        timezone=timezone,
        as_of=None if as_of is None else datetime.fromtimestamp(as_of, UTC),
        stdin=inputs.stdin,
        default_timezone=plan["policy"]["timezone"],
        kept=inputs.kept,
    )
    _check_input(log.stats, strict, on_warning or (lambda _: None))
    return log


class _Local(NamedTuple):
    paths: list[str]
    mapping: Any
    kept: Mapping[str, str] | None = None  # inputs read once, kept in files: `keep_streams`

    def options(
        self,
        timezone: str | None,
        as_of: int | None,
        span: Any,
        metrics: Mapping[tuple[str, str], float] | None,
        jobs: int | None,
    ) -> dict[str, Any]:
        """The local engine's keyword arguments for reading these inputs."""
        return {
            "paths": self.paths,
            "mapping": self.mapping,
            "timezone": timezone,
            "as_of": as_of,
            "span": span,
            "metrics": metrics,
            "jobs": jobs,
            "kept": self.kept,
        }

    def timelines(
        self, plan: Mapping[str, Any], timezone: str | None, as_of: int | None
    ) -> Callable[[Collection[str]], Mapping[str, Any]]:
        """What reads some leads' events from these inputs again, as the run read them
        (`slalang.engine.local.lead_timelines`)."""

        def read(leads: Collection[str]) -> Mapping[str, Any]:
            from slalang.engine.local import lead_timelines

            return lead_timelines(
                plan,
                self.paths,
                mapping=self.mapping,
                timezone=timezone,
                as_of=as_of,
                leads=leads,
                kept=self.kept,
            )

        return read


def _local_inputs(
    events: Events, mapping: str | os.PathLike[str] | None, engine: str
) -> _Local | None:
    """The paths and mapping the local (columnar) engine reads, when it runs for these
    inputs: files of some size or Parquet, standard input and named pipes kept in files of
    some size (`keep_streams`; never rows in memory, DuckDB databases or a mapping's
    queries)."""
    from slalang.data import load_mapping
    from slalang.data.duckdb_source import is_database, query_sources
    from slalang.engine.choose import chooses_local

    kept: Mapping[str, str] = {}
    if isinstance(events, _Inputs):  # inputs read once, kept in files
        items: Any = events.paths
        kept = events.kept or kept
    else:
        items = [events] if isinstance(events, str | os.PathLike) else events
    if not isinstance(items, list | tuple) or not items:
        return None
    if not all(isinstance(item, str | os.PathLike) for item in items):
        chooses_local(engine, ["-"])  # rows in memory: read as standard input; the engine checked
        return None
    loaded = load_mapping(os.fspath(mapping)) if mapping else None
    if loaded is not None and query_sources(loaded):
        return None
    paths = [os.fspath(item) for item in items]
    sized = [kept.get(path, path) for path in paths]  # a kept input's file: its size chooses
    if any(is_database(path) for path in paths) or not chooses_local(engine, sized):
        return None
    return _Local(paths, loaded, kept)


@contextlib.contextmanager
def kept_closed(events: Events, *, failed_only: bool = False) -> Iterator[None]:
    """Remove the files `keep_streams` kept inputs in once the block ends (`failed_only`:
    if it raises; a report returned may read them again), rather than when nothing holds
    the inputs any more: an exception's traceback kept by a library can hold the frames
    that hold them for as long as it lives."""
    kept = events.kept if isinstance(events, _Inputs) else None
    try:
        yield
    except BaseException:
        if kept is not None:
            kept.remove()
        raise
    if kept is not None and not failed_only:
        kept.remove()


@contextlib.contextmanager
def kept_streams(paths: Sequence[str]) -> Iterator[Mapping[str, str]]:
    """The inputs among PATHS that can be read once only (standard input, named pipes),
    each kept in a temporary file for the block's length: input as given → its file
    (`keep_streams`), for a reader that reads its inputs more than once."""
    inputs = keep_streams(list(paths), "local")
    with kept_closed(inputs):
        yield inputs.kept if isinstance(inputs, _Inputs) and inputs.kept else {}


def keep_streams(events: Events, engine: str) -> Events:
    """EVENTS, with each input that can be read once only (standard input, `-`, once; a
    named pipe, such as process substitution's `/dev/fd/63`) kept in a temporary file where
    the local engine may run: its size then chooses the engine as a file's does, the
    columnar engine reads it as a file (cut into stretches for every worker, in bounded
    memory; the reference replay would hold every event), and whatever reads it again (an
    HTML page's stories, explain's second read, the reference replay of a small input)
    reads the same bytes, naming the input as given. The files go when nothing holds the
    inputs any more, or at exit, and only by this process's hand (`_Kept`)."""
    from slalang.engine.choose import read_once

    if engine != "local" or isinstance(events, _Inputs):
        return events
    items = [events] if isinstance(events, str | os.PathLike) else events
    if not isinstance(items, list | tuple) or not all(
        isinstance(item, str | os.PathLike) for item in items
    ):
        return events
    paths = [os.fspath(item) for item in items]
    if paths.count("-") > 1:
        return events  # the reader's one-line error
    kept = _Kept()
    try:
        for path in dict.fromkeys(paths):  # a pipe named twice is read once, kept once
            if read_once(path):
                kept.keep(path)
    except BaseException:
        kept.remove()
        raise
    return _Inputs(paths, None, kept) if kept else events


class _Kept(dict[str, str]):
    """Inputs that can be read once only, each as given (`-`, a pipe's path) → the
    temporary file its bytes were kept in (`keep_streams`). The files are removed when
    this goes, or at exit, by the process that kept them only: a process forked from it
    that collects a copy of the inputs leaves them be."""

    def keep(self, path: str) -> None:
        """Read input PATH (standard input for `-`) to its end into a temporary file,
        removed with the others if this fails (`keep_streams`). A pipe that cannot be
        opened is left to the reader, which says why in its words; a copy that cannot be
        made is one line naming the input and the directory."""
        import shutil
        import tempfile
        import weakref
        from contextlib import nullcontext

        from slalang.data.events import temporary_reason

        stdin = path == "-"
        try:
            opened = nullcontext(sys.stdin.buffer) if stdin else open(path, "rb")  # noqa: SIM115
        except OSError:
            return  # the reader says why, in its words
        with opened as source:
            prefix = "slalang-stdin-" if stdin else "slalang-pipe-"
            try:
                with tempfile.NamedTemporaryFile(prefix=prefix, delete=False) as copy:
                    weakref.finalize(self, _remove_kept, copy.name, os.getpid())
                    self[path] = copy.name
                    shutil.copyfileobj(source, copy, 1 << 20)
            except OSError as exc:
                shown = "standard input" if stdin else path
                where = tempfile.gettempdir()
                raise SlalangError(
                    f"cannot keep {shown} in {where}: {temporary_reason(exc)}"
                ) from None

    def remove(self) -> None:
        """Remove the files now (`kept_closed`, or a keeping that failed)."""
        for name in self.values():
            _remove_kept(name, os.getpid())


def _remove_kept(name: str, owner: int) -> None:
    """Remove a kept input's file, in the process that kept it only."""
    if os.getpid() == owner:
        with contextlib.suppress(FileNotFoundError):
            os.remove(name)


def _check_input(stats: Any, strict: bool, warn: Warn) -> None:
    """What a read says once it has read everything, whichever reader or engine read it:
    what of the input was not used as it stands (warned about once each), and under
    `strict` the failure a rejected row or a bad value means."""
    from slalang.data import input_warnings, strict_problem

    for message in input_warnings(stats):
        warn(message)
    problem = strict_problem(stats)
    if strict and problem:
        raise SlalangError(problem)


def _collector(into: list[str], also: Warn | None) -> Warn:
    def warn(message: str) -> None:
        into.append(message)
        if also is not None:
            also(message)

    return warn


def _metrics(
    metrics: str | os.PathLike[str] | Mapping[tuple[str, str], float] | None,
) -> Mapping[tuple[str, str], float] | None:
    from slalang.data import read_metrics

    if metrics is None or isinstance(metrics, Mapping):
        return metrics
    return read_metrics(os.fspath(metrics))


def _spark_paths(events: Events, tables: Sequence[str]) -> list[str]:
    """The paths Spark reads: files or directories it can reach, never standard input or
    rows in memory."""
    if tables and _no_items(events):
        return []
    items = [events] if isinstance(events, str | os.PathLike) else list(events or ())
    if not all(isinstance(item, str | os.PathLike) for item in items):
        raise SlalangError("the Spark engine reads paths or tables, not rows in memory")
    paths = [os.fspath(item) for item in items]
    if "-" in paths:
        raise SlalangError("the Spark engine reads paths Spark can reach, not standard input (`-`)")
    return paths


def _no_items(events: Events) -> bool:
    return events is None or (isinstance(events, list | tuple) and not events)


class _Inputs(NamedTuple):
    paths: list[str]
    stdin: Any  # the stream `-` stands for: standard input, or rows in memory
    kept: _Kept | None = None  # inputs read once, kept in files (`keep_streams`)


def _inputs(events: Events) -> _Inputs:
    """Paths for the reader, and the stream `-` stands for: standard input, or rows given
    in memory written as JSON Lines (so they are read by exactly the same rules)."""
    if isinstance(events, _Inputs):
        return events
    if isinstance(events, str | os.PathLike):
        events = [events]
    if hasattr(events, "to_dict"):  # a pandas DataFrame
        events = events.to_dict("records")
    items = list(events)
    if items and all(isinstance(item, Mapping) for item in items):
        lines = (json.dumps(dict(row), default=_json_value) + "\n" for row in items)
        return _Inputs(["-"], io.BytesIO("".join(lines).encode("utf-8")))
    if not items:
        raise SlalangError("no events given")
    paths = [os.fspath(item) for item in items]
    return _Inputs(paths, sys.stdin.buffer if "-" in paths else None)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    with contextlib.suppress(AttributeError):  # numpy and pandas scalars, Timestamps
        return value.isoformat()
    with contextlib.suppress(AttributeError):
        return value.item()
    return str(value)


__all__ = [
    "FAIL_LEVELS",
    "Checked",
    "Events",
    "Instant",
    "InstantError",
    "Policy",
    "Report",
    "Selection",
    "check_paths",
    "diff_policies",
    "find_lead",
    "load_policy",
    "policy_files",
    "read_log",
    "to_seconds",
]
