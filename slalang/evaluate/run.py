"""The main job in one call: a plan and an event log → the report.

Replays every lead (a pure function each), folds the results into totals, and builds the
report. `as_of` comes from the data (the latest used event) unless given, never from the
wall clock, so the same input gives the same report on any day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slalang.data import EventLog, FieldSpec
from slalang.diagnostics import SlalangError
from slalang.evaluate.aggregate import Reducer, Totals, Window
from slalang.evaluate.replay import replay
from slalang.evaluate.report import build_report
from slalang.evaluate.runtime import build_runtime
from slalang.memory import gc_paused


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


def input_summary(log: EventLog) -> dict[str, Any]:
    """The report's `input` block (RUNNER §3, §5)."""
    stats = log.stats
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
    }


Progress = Callable[[int, int], None]
PROGRESS_EVERY = 20_000


def replay_all(
    plan: Mapping[str, Any],
    log: EventLog,
    as_of: int,
    window: Window,
    progress: Progress | None = None,
) -> Totals:
    """Every lead replayed and folded in, in lead order."""
    runtime = build_runtime(plan)
    reducer = Reducer(plan, window)
    totals = Totals()
    leads = sorted(log.leads)
    with gc_paused():
        for done, lead_id in enumerate(leads, start=1):
            reducer.add(totals, replay(runtime, lead_id, log.leads[lead_id], as_of))
            if progress is not None and (done % PROGRESS_EVERY == 0 or done == len(leads)):
                progress(done, len(leads))
    return totals


def evaluate(
    plan: Mapping[str, Any],
    log: EventLog,
    *,
    as_of: int | None = None,
    span: Span = Span(),
    metrics: Mapping[tuple[str, str], float] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The report for `log` judged at `as_of` (default: the latest used event)."""
    stats = log.stats
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
    window = Window(span.start, span.end)
    totals = replay_all(plan, log, as_of, window, progress)
    return build_report(
        plan,
        totals,
        input_summary(log),
        as_of,
        metrics or {},
        (cover_start, cover_end),
        listed,
    )
