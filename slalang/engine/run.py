"""A plan and a batch → the report, on the compiled kernel when the plan allows it.

The kernel's records are folded column by column (`slalang.engine.fold`), with the
reference's own code wherever a record needs per-record logic, and the report is built by
the reference report builder; the differential tests hold the two engines to
byte-identical reports. A plan the kernel does not support is replayed by the reference
replay over the batch's events (`lead_events`), never approximated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from slalang.data import Event
from slalang.data.values import FieldValue
from slalang.engine.batch import MISSING, Batch
from slalang.engine.fold import SECTIONS, Folded, entry_lines, fold
from slalang.engine.kernel import Kernel, load, supports
from slalang.engine.lines import Text
from slalang.evaluate.aggregate import Reducer, Totals, Window
from slalang.evaluate.model import LeadResult
from slalang.evaluate.replay import replay
from slalang.evaluate.report import lead_entries
from slalang.evaluate.run import Span, frame, report
from slalang.evaluate.runtime import build_runtime
from slalang.memory import gc_paused
from slalang.plan.codec import digest
from slalang.render.report.json_text import compact


def lead_events(batch: Batch, lead: int) -> list[Event]:
    """Lead `lead`'s events as the reference reader gives them (for the fallback, and for
    `explain` on a batch)."""
    lo, hi = int(batch.offsets[lead]), int(batch.offsets[lead + 1])
    types = batch.event_types
    cells: list[tuple[str, list[Any], Sequence[FieldValue] | None]] = []
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


_loaded: dict[tuple[str, bool], Kernel | None] = {}


def kernel_for(plan: Mapping[str, Any], *, jit: bool = True) -> Kernel | None:
    """The compiled kernel of `plan`, or None when the kernel does not support it; kept per
    plan content (its digest, taken afresh: a caller may have changed the dict), so that a
    process replaying many runs of leads of one plan (a local run and the workers forked
    from it, a Spark executor's Python, which unpickles the plan anew for every task)
    loads or compiles it once."""
    key = (digest(dict(plan)), jit)
    if key not in _loaded:
        with gc_paused():
            _loaded[key] = load(plan, jit=jit) if supports(plan) is None else None
    return _loaded[key]


def lead_results(
    plan: Mapping[str, Any], batch: Batch, as_of: int, *, jit: bool = True
) -> Iterator[LeadResult]:
    """Every lead's result, in lead order: from the kernel when it supports the plan
    (leads without records are left out: they add nothing), else from the reference."""
    kernel = kernel_for(plan, jit=jit)
    if kernel is not None:
        yield from kernel.results(batch, as_of)
        return
    yield from _replayed(plan, batch, as_of)


def _replayed(plan: Mapping[str, Any], batch: Batch, as_of: int) -> Iterator[LeadResult]:
    runtime = build_runtime(plan)
    for lead, lead_id in enumerate(batch.lead_ids):
        yield replay(runtime, lead_id, lead_events(batch, lead), as_of)


def reduce_batch(
    plan: Mapping[str, Any],
    batch: Batch,
    as_of: int,
    window: Window,
    *,
    jit: bool = True,
    compiled: bool = True,
) -> Folded:
    """The batch's counts and report entries: folded from the kernel's arrays when it
    supports the plan, else from the reference replay of each lead. `compiled=False` takes
    the reference for a small input, where loading (or compiling) the kernel would cost
    more than it saves."""
    kernel = kernel_for(plan, jit=jit) if compiled else None
    if kernel is not None:
        with gc_paused():
            return fold(plan, kernel, batch, as_of, window)
    reducer = Reducer(plan, window)
    totals = Totals()
    with gc_paused():
        for result in _replayed(plan, batch, as_of):
            reducer.add(totals, result)
    folded = entry_lines(*lead_entries(plan, totals))
    totals.stages.clear()
    totals.clocks.clear()
    totals.handoffs.clear()
    folded.totals = totals
    return folded


_ALL = Span()


def batch_report(
    plan: Mapping[str, Any],
    batch: Batch,
    *,
    as_of: int | None = None,
    span: Span = _ALL,
    metrics: Mapping[tuple[str, str], float] | None = None,
    jit: bool = True,
) -> dict[str, Any]:
    """The report for `batch` with its long lists as `Text` (JSON lines `json_text.pieces`
    writes): the same bytes as `slalang.evaluate.run.evaluate` gives
    for the event log the batch was read from."""
    judged = frame(batch.stats, as_of, span)
    folded = reduce_batch(plan, batch, judged.as_of, judged.window, jit=jit)
    out = report(plan, folded.totals, batch.stats, judged, metrics)
    for section in SECTIONS:
        # target violations have no lead: they come last
        tail = [compact(v) for v in out[section]] if section == "violations" else []
        out[section] = Text.of(folded.entries[section].text, tail)
    return out
