"""The compiled kernel: a plan's generated replay loaded, compiled once, and run over a batch.

Entry points (what the partitioning / parallel / report wiring calls):

- `supports(plan) -> str | None`: None when the kernel can run the plan, else the reason
  (the caller then uses the reference replay);
- `load(plan, jit=True) -> Kernel`: the compiled kernel of a plan. The generated source is
  written to the kernel cache (`SLALANG_CACHE_DIR`, else `$XDG_CACHE_HOME/slalang`, else
  `~/.cache/slalang`; subfolder `kernels/`) under the hash of its text, and numba caches the
  machine code beside it, so a policy compiles once per machine and later runs start in
  milliseconds. `jit=False` runs the same source as plain Python (the tests use it to check
  many generated policies quickly);
- `Kernel.results(batch, as_of) -> Iterator[LeadResult]`: every lead that has a record, in
  batch (lead id) order, with exactly the `LeadResult` the reference `replay` gives (leads
  with no record at all are skipped: they add nothing to the report). Feed them to the
  reference `Reducer`, so aggregation and report building stay shared.

The generated function (see `slalang.engine.compile`) has this signature::

    kernel(start, offsets, ts, ev, col0.., cod0.., t0.., as_of, hits,
           st_out, fa_i, fa_f, ra_i, ra_f, ck_i, ck_gi, ck_gf, ho_out)
      -> (next_lead, n_stages, n_facts, n_rates, n_clocks, n_handoffs)

It replays leads from `start` until one might not fit in the output buffers, and returns
the first lead it did not replay and how many rows of each buffer it filled:

- `st_out` int64 [n, 4]: lead, stage index, entered (1) or skipped (0), instant;
- `fa_i` int64 [n, 4]: lead, probe, instant, group code; `fa_f` float64 [n, 2]: amount,
  group number (a group is a code into the `by` field's dictionary, or a number, by type);
- `ra_i` int64 [n, 5]: lead, probe, first reach of the source stage, of the goal stage
  (`NONE`: not reached), group code; `ra_f` float64 [n]: group number;
- `ck_i` int64 [n, 7]: lead, SLA index, cycle, goal index (-1: none matched), started,
  stopped, cancelled (`NONE`: not); `ck_gi`/`ck_gf` [n, width]: the SLA's group values;
- `ho_out` int64 [n, 5]: lead, stage index, instant, missing-field bits, failed-check bits.

Deadlines, elapsed time and statuses are not computed in the loop: they depend only on the
clock's start, end and goal, so the reference `judge` computes them per clock afterwards.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from slalang.engine.batch import MISSING, Batch
from slalang.engine.compile import NONE, Layout, Unsupported, generate
from slalang.evaluate.model import (
    Clock,
    ClockRecord,
    Fact,
    HandoffRecord,
    LeadResult,
    RateFact,
    Runtime,
    StageRecord,
)
from slalang.evaluate.replay import LeadReplay
from slalang.evaluate.runtime import build_runtime, compile_expr

CHUNK = 1 << 16
"""Rows per output buffer (at least): leads are replayed in runs that fit, and converted
between runs, so memory stays flat whatever the number of leads."""


def supports(plan: Mapping[str, Any]) -> str | None:
    """None when the kernel runs this plan; otherwise what it does not support."""
    try:
        generate(plan)
    except Unsupported as exc:
        return str(exc)
    return None


def cache_dir() -> Path:
    """Where generated kernels and their machine code are kept."""
    configured = os.environ.get("SLALANG_CACHE_DIR")
    if configured:
        return Path(configured) / "kernels"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "slalang" / "kernels"


def _module(text: str, jit: bool) -> Callable[..., Any]:
    """The kernel function of a generated source, loaded from the cache (written there
    once, so its modification time, which numba's cache checks, never changes)."""
    import numba

    digest = hashlib.sha256(f"{text}\n{numba.__version__}".encode()).hexdigest()[:20]
    name = f"slalang_kernel_{digest}"
    folder = cache_dir()
    path = folder / f"{name}.py"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            temporary = folder / f".{name}.{os.getpid()}.tmp"
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, path)
    except OSError:
        return _from_text(text, name, jit)  # a read-only home: compile without caching
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's cache finds the function's globals by module name
    spec.loader.exec_module(module)
    function: Callable[..., Any] = module.kernel
    return numba.njit(cache=True, nogil=True)(function) if jit else function


def _from_text(text: str, name: str, jit: bool) -> Callable[..., Any]:
    import numba

    namespace: dict[str, Any] = {"__name__": name}
    exec(compile(text, f"<{name}>", "exec"), namespace)  # the generated kernel, no file
    function: Callable[..., Any] = namespace["kernel"]
    return numba.njit(nogil=True)(function) if jit else function


@dataclass(frozen=True, slots=True)
class Kernel:
    """One plan's compiled replay and what is needed to turn its arrays into results."""

    plan: Mapping[str, Any]
    layout: Layout
    runtime: Runtime
    function: Callable[..., Any]
    source: str

    def results(self, batch: Batch, as_of: int) -> Iterator[LeadResult]:
        """The `LeadResult` of every lead with a record, in lead order (see module doc)."""
        layout = self.layout
        numbers = [_float_column(batch, name) for name in layout.numbers]
        codes = [_code_column(batch, name) for name in layout.codes]
        tables = [_table(batch, table.field, table.node) for table in layout.tables]
        sizes = np.diff(batch.offsets)
        longest = int(sizes.max()) if len(sizes) else 1
        hits = np.empty((max(1, layout.hit_rules), max(1, longest)), np.int64)
        width = layout.group_width
        cap = {
            "st": max(CHUNK, longest * layout.stages_per_event),
            "fa": max(CHUNK, longest * layout.facts_per_event),
            "ra": max(CHUNK, layout.rates_per_lead),
            "ck": max(CHUNK, longest * layout.clocks_per_event),
            "ho": max(CHUNK, longest * layout.handoffs_per_event),
        }
        st_out = np.empty((cap["st"], 4), np.int64)
        fa_i = np.empty((cap["fa"], 4), np.int64)
        fa_f = np.empty((cap["fa"], 2), np.float64)
        ra_i = np.empty((cap["ra"], 5), np.int64)
        ra_f = np.empty(cap["ra"], np.float64)
        ck_i = np.empty((cap["ck"], 7), np.int64)
        ck_gi = np.empty((cap["ck"], width), np.int64)
        ck_gf = np.empty((cap["ck"], width), np.float64)
        ho_out = np.empty((cap["ho"], 5), np.int64)
        judge = LeadReplay(self.runtime, "", as_of, False).judge
        decode = _Decoder(batch, layout, self.runtime, judge)
        start = 0
        leads = len(batch.lead_ids)
        while start < leads:
            done, n_st, n_fa, n_ra, n_ck, n_ho = self.function(
                start,
                batch.offsets,
                batch.ts,
                batch.event,
                *numbers,
                *codes,
                *tables,
                as_of,
                hits,
                st_out,
                fa_i,
                fa_f,
                ra_i,
                ra_f,
                ck_i,
                ck_gi,
                ck_gf,
                ho_out,
            )
            if done == start:  # cannot happen: buffers are sized for the longest lead
                raise RuntimeError("the kernel made no progress")
            yield from decode.leads(
                st_out[:n_st].tolist(),
                (fa_i[:n_fa].tolist(), fa_f[:n_fa].tolist()),
                (ra_i[:n_ra].tolist(), ra_f[:n_ra].tolist()),
                (ck_i[:n_ck].tolist(), ck_gi[:n_ck].tolist(), ck_gf[:n_ck].tolist()),
                ho_out[:n_ho].tolist(),
            )
            start = done


def load(plan: Mapping[str, Any], *, jit: bool = True) -> Kernel:
    """The kernel of `plan` (raises `Unsupported` when `supports(plan)` is not None)."""
    source = generate(plan)
    function = _module(source.text, jit)
    return Kernel(plan, source.layout, build_runtime(plan), function, source.text)


def _float_column(batch: Batch, name: str) -> npt.NDArray[np.float64]:
    return batch.columns[name].values


def _code_column(batch: Batch, name: str) -> npt.NDArray[np.int32]:
    return batch.columns[name].values


def _table(batch: Batch, name: str, node: Mapping[str, Any]) -> npt.NDArray[np.int8]:
    """A one-field predicate's truth for "not set" (index 0) and each dictionary value,
    computed by the reference predicate itself, so `matches` (RE2), `in` and comparisons
    keep the reference semantics exactly and run once per distinct value."""
    predicate = compile_expr(dict(node))
    values = [bool(predicate({}, {}))]
    values += [bool(predicate({name: value}, {})) for value in batch.columns[name].dictionary]
    return np.array(values, np.int8)


class _Decoder:
    """Kernel rows → `LeadResult`s, with the reference's own records and judge."""

    def __init__(
        self,
        batch: Batch,
        layout: Layout,
        runtime: Runtime,
        judge: Callable[[Clock], ClockRecord],
    ) -> None:
        self.batch = batch
        self.layout = layout
        self.runtime = runtime
        self.judge = judge
        self.stage_names = [stage.name for stage in runtime.stages]

    def group(self, name: str | None, code: int, number: float) -> Any:
        """A group value as the reference reads it (`Value`, or a date for a date field)."""
        if name is None:
            return None
        column = self.batch.columns[name]
        if column.encoded:
            return None if code == MISSING else column.dictionary[code]
        return None if number != number else number

    def leads(
        self,
        stages: list[list[int]],
        facts: tuple[list[list[int]], list[list[float]]],
        rates: tuple[list[list[int]], list[float]],
        clocks: tuple[list[list[int]], list[list[int]], list[list[float]]],
        handoffs: list[list[int]],
    ) -> Iterator[LeadResult]:
        results: dict[int, LeadResult] = {}
        lead_ids = self.batch.lead_ids

        def result(lead: int) -> LeadResult:
            found = results.get(lead)
            if found is None:
                found = results[lead] = LeadResult(lead_ids[lead])
            return found

        names = self.stage_names
        for lead, stage, entered, at in stages:
            kind = "entered" if entered else "skipped"
            result(lead).stages.append(StageRecord(names[stage], kind, at))
        by = self.layout.probe_by
        for (lead, probe, at, code), (amount, number) in zip(*facts, strict=True):
            group = self.group(by.get(probe), code, number)
            result(lead).facts.append(Fact(probe, at, group, amount))
        for (lead, probe, source, dest, code), number in zip(*rates, strict=True):
            group = self.group(by.get(probe), code, number)
            reached = None if dest == NONE else dest
            result(lead).rates.append(RateFact(probe, source, reached, group))
        required, checks = self.layout.handoff_required, self.layout.handoff_checks
        for lead, stage, at, missing, failed in handoffs:
            record = HandoffRecord(
                names[stage],
                at,
                tuple(f for bit, f in enumerate(required[stage]) if missing >> bit & 1),
                tuple(c for bit, c in enumerate(checks[stage]) if failed >> bit & 1),
            )
            result(lead).handoffs.append(record)
        opened: dict[int, list[Clock]] = {}
        slas = self.runtime.slas
        for (lead, sla, cycle, goal_index, start, stopped, cancelled), codes, numbers in zip(
            *clocks, strict=True
        ):
            goal = None if goal_index < 0 else slas[sla].goals[goal_index]
            group_names = self.layout.sla_groups[sla]
            groups = {
                name: self.group(name, codes[j], numbers[j]) for j, name in enumerate(group_names)
            }
            due = goal.deadline(start) if goal is not None else None
            clock = Clock(sla, cycle, goal, start, due, groups)
            clock.stopped_at = None if stopped == NONE else stopped
            clock.cancelled_at = None if cancelled == NONE else cancelled
            opened.setdefault(lead, []).append(clock)
        for lead, lead_clocks in opened.items():
            lead_clocks.sort(key=lambda c: (c.started_at, c.sla, c.cycle))
            result(lead).clocks.extend(self.judge(clock) for clock in lead_clocks)
        for lead in sorted(results):
            yield results[lead]
