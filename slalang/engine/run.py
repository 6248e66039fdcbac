"""A plan and a batch → the report, on the compiled kernel when the plan allows it.

The kernel's lead results go through the reference `Reducer` and report builder, so the
two engines differ only in how each lead is replayed; the differential tests hold them to
byte-identical reports. A plan the kernel does not support is replayed by the reference
replay over the batch's events (`lead_events`), never approximated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from slalang.data import Event
from slalang.data.values import FieldValue
from slalang.engine.batch import MISSING, Batch
from slalang.engine.kernel import load, supports
from slalang.evaluate.aggregate import Reducer, Totals
from slalang.evaluate.model import LeadResult
from slalang.evaluate.replay import replay
from slalang.evaluate.run import Span, frame, report
from slalang.evaluate.runtime import build_runtime
from slalang.memory import gc_paused


def lead_events(batch: Batch, lead: int) -> list[Event]:
    """Lead `lead`'s events as the reference reader gives them (for the fallback, and for
    `explain` on a batch)."""
    lo, hi = int(batch.offsets[lead]), int(batch.offsets[lead + 1])
    types = batch.event_types
    cells: list[tuple[str, list[Any], tuple[FieldValue, ...] | None]] = []
    for name, column in batch.columns.items():
        values = column.values[lo:hi].tolist()
        cells.append((name, values, column.dictionary if column.encoded else None))
    events = []
    for row in range(hi - lo):
        fields: dict[str, FieldValue] = {}
        for name, values, dictionary in cells:
            cell = values[row]
            if dictionary is None:
                if cell == cell:  # NaN: not set
                    fields[name] = cell
            elif cell != MISSING:
                fields[name] = dictionary[cell]
        i = lo + row
        kind = types[int(batch.event[i])]
        events.append(Event(int(batch.ts[i]), int(batch.seq[i]), kind, fields, None, "", 0))
    return events


def lead_results(
    plan: Mapping[str, Any], batch: Batch, as_of: int, *, jit: bool = True
) -> Iterator[LeadResult]:
    """Every lead's result, in lead order: from the kernel when it supports the plan
    (leads without records are left out: they add nothing), else from the reference."""
    if supports(plan) is None:
        yield from load(plan, jit=jit).results(batch, as_of)
        return
    runtime = build_runtime(plan)
    for lead, lead_id in enumerate(batch.lead_ids):
        yield replay(runtime, lead_id, lead_events(batch, lead), as_of)


_ALL = Span()


def evaluate_batch(
    plan: Mapping[str, Any],
    batch: Batch,
    *,
    as_of: int | None = None,
    span: Span = _ALL,
    metrics: Mapping[tuple[str, str], float] | None = None,
    jit: bool = True,
) -> dict[str, Any]:
    """The report for `batch`, the same bytes as `slalang.evaluate.run.evaluate` gives for
    the event log the batch was read from."""
    judged = frame(batch.stats, as_of, span)
    reducer = Reducer(plan, judged.window)
    totals = Totals()
    with gc_paused():
        for result in lead_results(plan, batch, judged.as_of, jit=jit):
            reducer.add(totals, result)
    return report(plan, totals, batch.stats, judged, metrics)
