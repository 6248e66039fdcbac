"""The main job in one call: a plan and an event log → the report.

Replays every lead (a pure function each), folds the results into totals, and builds the
report. `as_of` comes from the data (the latest used event) unless given, never from the
wall clock, so the same input gives the same report on any day.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from slalang.data import EventLog, FieldSpec, InputStats
from slalang.diagnostics import SlalangError
from slalang.evaluate.aggregate import Reducer, Totals, Window
from slalang.evaluate.model import Runtime
from slalang.evaluate.replay import replay
from slalang.evaluate.report import build_report
from slalang.evaluate.runtime import build_runtime
from slalang.memory import FORK, gc_paused


@dataclass(frozen=True, slots=True)
class Span:
    """`--from` / `--to` as Unix seconds (None: open on that side)."""

    start: int | None = None
    end: int | None = None


def field_specs(plan: Mapping[str, Any]) -> dict[str, FieldSpec]:
    """The declared fields as the reader types them."""
    return {
        name: FieldSpec(name, entry["type"], tuple(entry.get("options", ())))
        for name, entry in plan["fields"].items()
    }


def input_summary(stats: InputStats) -> dict[str, Any]:
    """The report's `input` block (RUNNER §3, §5)."""
    return {
        "rows": stats.rows,
        "events": stats.events,
        "leads": stats.leads,
        "rejected": dict(sorted(stats.rejected.items())),
        "duplicates": stats.duplicates,
        "unknown_events": dict(sorted(stats.unknown_events.items())),
        "after_as_of": stats.after_as_of,
        "expanded": stats.expanded,
        "rejected_examples": [r._asdict() for r in stats.rejected_examples],
        "bad_values": {
            name: dict(sorted(reasons.items()))
            for name, reasons in sorted(stats.bad_values.items())
        },
        "bad_value_examples": [b._asdict() for b in stats.bad_value_examples],
        "timezone_assumed": stats.timezone_assumed,
    }


Progress = Callable[[int, int], None]
"""What a run reports its progress to: `progress(done, total)` of the count it is at; one
that has a `counting(unit)` method is told what each count counts (`counting`)."""


def counting(progress: Progress | None, unit: str) -> Progress | None:
    """`progress`, told (where it listens) that the counts it is given next are of `unit`:
    `leads` replayed (here), Spark's `tasks`, the local engine's bytes of gzip files
    `unpacked`, `bytes` of the input read and `parts` of the leads replayed (`counted`, for
    `data check`)."""
    if progress is not None and (tell := getattr(progress, "counting", None)) is not None:
        tell(unit)
    return progress


SHARD = 20_000
"""Leads per unit of work: progress is reported, and work handed out, per shard."""


@dataclass(frozen=True, slots=True)
class _Job:
    """Everything a shard needs; with the `fork` start method it reaches the worker
    processes by inheritance, never pickled (the event log may be gigabytes)."""

    plan: Mapping[str, Any]
    runtime: Runtime
    log: EventLog
    leads: list[str]
    as_of: int
    window: Window
    shard: int


def _replay_shard(job: _Job, start: int) -> Totals:
    """Replay leads [start, start + shard) of the sorted list and reduce them: a pure
    function of the job and the range, so shards can run anywhere and merge in order."""
    runtime = job.runtime
    reducer = Reducer(job.plan, job.window)
    totals = Totals()
    with gc_paused():
        for lead_id in job.leads[start : start + job.shard]:
            events = job.log.leads[lead_id]
            reducer.add(totals, replay(runtime, lead_id, events, job.as_of))
    return totals


_WORKER_JOB: list[_Job] = []
"""The job of a forked worker process, set once by the pool's initializer."""


def _init_worker(job: _Job) -> None:
    _WORKER_JOB.append(job)


def _work(start: int) -> Totals:
    return _replay_shard(_WORKER_JOB[0], start)


def replay_all(
    plan: Mapping[str, Any],
    log: EventLog,
    as_of: int,
    window: Window,
    progress: Progress | None = None,
    jobs: int = 1,
    shard: int = SHARD,
) -> Totals:
    """Every lead replayed and folded in. With `jobs` > 1 the shards run in that many
    forked processes; their totals are merged in lead order, so the report is the same."""
    job = _Job(plan, build_runtime(plan), log, sorted(log.leads), as_of, window, shard)
    starts = range(0, len(job.leads), shard)
    if jobs > 1 and len(starts) > 1 and FORK:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(jobs, len(starts)), _init_worker, (job,)) as pool:
            parts: Iterable[Totals] = pool.imap(_work, starts)
            return _merge(parts, job, progress)
    return _merge((_replay_shard(job, start) for start in starts), job, progress)


def _merge(parts: Iterable[Totals], job: _Job, progress: Progress | None) -> Totals:
    totals = Totals()
    for done, part in enumerate(parts, start=1):
        totals.merge(part)
        if progress is not None:
            progress(min(done * job.shard, len(job.leads)), len(job.leads))
    return totals


@dataclass(frozen=True, slots=True)
class Frame:
    """What a run judges, fixed before any lead is replayed: the as-of instant, the window
    of records judged, the span the data covers and the span whose periods are listed."""

    as_of: int
    window: Window
    cover: tuple[int, int]
    listed: tuple[int, int] | None


def frame(stats: InputStats, as_of: int | None, span: Span) -> Frame:
    """The run's frame: `as_of` defaults to the latest used event (never the clock)."""
    if as_of is None:
        if stats.last_ts is None:
            raise SlalangError(
                "the input has no usable events, so there is no as-of instant; give --as-of"
            )
        as_of = stats.last_ts
    first = span.start if span.start is not None else stats.first_ts
    cover_start = first if first is not None else as_of
    cover_end = min(as_of, span.end) if span.end is not None else as_of
    listed = None if first is None or cover_end < first else (first, cover_end)
    return Frame(as_of, Window(span.start, span.end), (cover_start, cover_end), listed)


def evaluate(
    plan: Mapping[str, Any],
    log: EventLog,
    *,
    as_of: int | None = None,
    span: Span = Span(),
    metrics: Mapping[tuple[str, str], float] | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
    shard: int = SHARD,
) -> dict[str, Any]:
    """The report for `log` judged at `as_of` (default: the latest used event)."""
    judged = frame(log.stats, as_of, span)
    shown = counting(progress, "leads")
    totals = replay_all(plan, log, judged.as_of, judged.window, shown, jobs, shard)
    return report(plan, totals, log.stats, judged, metrics)


def report(
    plan: Mapping[str, Any],
    totals: Totals,
    stats: InputStats,
    judged: Frame,
    metrics: Mapping[tuple[str, str], float] | None,
) -> dict[str, Any]:
    """The report of a run's totals: every engine ends here, so reports are built once."""
    return build_report(
        plan,
        totals,
        input_summary(stats),
        judged.as_of,
        metrics or {},
        judged.cover,
        judged.listed,
    )
