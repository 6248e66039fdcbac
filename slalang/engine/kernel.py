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
- `Kernel.rows(batch, as_of) -> Iterator[Rows]`: the kernel's records as numpy arrays, a
  run of leads at a time (what a vectorised reduction reads);
- `Kernel.results(batch, as_of) -> Iterator[LeadResult]`: every lead that has a record, in
  batch (lead id) order, with exactly the `LeadResult` the reference `replay` gives (leads
  with no record at all are skipped: they add nothing to the report). Feed them to the
  reference `Reducer`, so aggregation and report building stay shared.

The generated function (see `slalang.engine.compile`) has this signature::

    kernel(start, offsets, ts, ev, col0.., cod0.., t0.., as_of, hits,
           st_out, fa_i, fa_f, ra_i, ra_f, ck_i, ck_gi, ck_gf, ho_out, pa_out)
      -> (next_lead, n_stages, n_facts, n_rates, n_clocks, n_handoffs, n_pauses)

It replays leads from `start` until one might not fit in the output buffers, and returns
the first lead it did not replay and how many rows of each buffer it filled:

- `st_out` int64 [n, 4]: lead, stage index, entered (1) or skipped (0), instant;
- `fa_i` int64 [n, 4]: lead, probe, instant, group code; `fa_f` float64 [n, 2]: amount,
  group number (a group is a code into the `by` field's dictionary, or a number, by type);
- `ra_i` int64 [n, 5]: lead, probe, first reach of the source stage, of the goal stage
  (`NONE`: not reached), group code; `ra_f` float64 [n]: group number;
- `ck_i` int64 [n, 7]: lead, SLA index, cycle, goal index (-1: none matched), started,
  stopped, cancelled (`NONE`: not); `ck_gi`/`ck_gf` [n, width]: the SLA's group values;
- `ho_out` int64 [n, 5]: lead, stage index, instant, missing-field bits, failed-check bits;
- `pa_out` int64 [n, 3]: row in `ck_i` of a running clock, instant, 1 if the event matches
  the SLA's `resume` line | 2 if it matches its `pause` line (which of them applies depends
  on the deadline in force, so the decoder decides, with the reference's own methods).

Deadlines, elapsed time and statuses are not computed in the loop: they depend only on the
clock's start, end and goal, so the reference `judge` computes them per clock afterwards.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from slalang.caches import cache_root, keep
from slalang.engine.batch import MISSING, Batch, Column, Values
from slalang.engine.compile import NONE, ROUNDING, Layout, Unsupported, generate
from slalang.evaluate.model import (
    Clock,
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
    return cache_root() / "kernels"


def _signature(layout: Layout) -> Any:
    """The kernel's one numba signature, so it compiles (or loads from the cache) when
    loaded rather than on its first call. The batch's arrays come in C-contiguous and
    read-only (see `_frozen`): a reader may hand over pyarrow memory it cannot write."""
    from numba import types

    def frozen(dtype: Any) -> Any:
        return types.Array(dtype, 1, "C", readonly=True)

    i64, f64, i32 = types.int64, types.float64, types.int32
    inputs = [i64, frozen(i64), frozen(i64), frozen(i32)]
    inputs += [frozen(f64)] * len(layout.numbers)
    inputs += [frozen(i32)] * len(layout.codes)
    inputs += [frozen(types.int8)] * len(layout.tables)
    inputs += [i64, i64[:, ::1]]
    outputs = [i64[:, ::1], i64[:, ::1], f64[:, ::1], i64[:, ::1], f64[::1]]
    outputs += [i64[:, ::1], i64[:, ::1], f64[:, ::1], i64[:, ::1], i64[:, ::1]]
    returns = types.UniTuple(i64, 7)  # type: ignore[no-untyped-call]
    return returns(*inputs, *outputs)


def _module(text: str, layout: Layout, jit: bool) -> Callable[..., Any]:
    """The kernel function of a generated source, loaded from the cache (written there
    once, so its modification time, which numba's cache checks, never changes)."""
    import numba

    name = _name(text, numba.__version__)
    path = cache_dir() / f"{name}.py"
    if not path.exists() and not keep(path, text):
        return _from_text(text, name, layout, jit)  # a read-only home: no caching
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's cache finds the function's globals by module name
    spec.loader.exec_module(module)
    function: Callable[..., Any] = module.kernel
    if not jit:
        return function
    _compile_helpers(vars(module), cache=True)
    compiled: Callable[..., Any] = numba.njit(_signature(layout), cache=True, nogil=True)(function)
    return compiled


def _name(text: str, numba_version: str) -> str:
    """The module name of a generated kernel: its machine code depends on numba's version."""
    digest = hashlib.sha256(f"{text}\n{numba_version}".encode()).hexdigest()[:20]
    return f"slalang_kernel_{digest}"


def cached(plan: Mapping[str, Any]) -> bool:
    """Whether the kernel of `plan` (which it supports) is in the cache, machine code and
    all, told without importing numba (a third of a second): a run whose workers load the
    kernel then has nothing to load first itself."""
    from importlib.metadata import version

    name = _name(generate(plan).text, version("numba"))
    folder = cache_dir()
    found = (folder / f"{name}.py").exists()
    return found and any((folder / "__pycache__").glob(f"{name}.kernel-*.nbi"))


def _compile_helpers(namespace: dict[str, Any], *, cache: bool) -> None:
    """The kernel module's own functions (`round_<digits>`) compiled, so the kernel calls
    machine code: numba reads a global when it compiles the function that uses it."""
    import numba

    for name, value in list(namespace.items()):
        if name.startswith(ROUNDING) and callable(value):
            namespace[name] = numba.njit(cache=cache)(value)


def _from_text(text: str, name: str, layout: Layout, jit: bool) -> Callable[..., Any]:
    import numba

    namespace: dict[str, Any] = {"__name__": name}
    exec(compile(text, f"<{name}>", "exec"), namespace)  # the generated kernel, no file
    function: Callable[..., Any] = namespace["kernel"]
    if not jit:
        return function
    _compile_helpers(namespace, cache=False)
    compiled: Callable[..., Any] = numba.njit(_signature(layout), nogil=True)(function)
    return compiled


@dataclass(frozen=True, slots=True)
class Rows:
    """The kernel's records for a run of consecutive leads (columns in the module doc)."""

    stages: npt.NDArray[np.int64]
    facts: npt.NDArray[np.int64]
    fact_values: npt.NDArray[np.float64]
    rates: npt.NDArray[np.int64]
    rate_groups: npt.NDArray[np.float64]
    clocks: npt.NDArray[np.int64]
    clock_codes: npt.NDArray[np.int64]
    clock_numbers: npt.NDArray[np.float64]
    handoffs: npt.NDArray[np.int64]
    pauses: npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Kernel:
    """One plan's compiled replay and what is needed to turn its arrays into results."""

    plan: Mapping[str, Any]
    layout: Layout
    runtime: Runtime
    function: Callable[..., Any]
    source: str

    def rows(self, batch: Batch, as_of: int) -> Iterator[Rows]:
        """The kernel's records, a run of leads at a time, in lead order (each `Rows`
        owns its arrays; the buffers behind them are reused)."""
        layout = self.layout
        inputs = [_frozen(batch.columns[name].values, np.float64) for name in layout.numbers]
        inputs += [_frozen(batch.columns[name].values, np.int32) for name in layout.codes]
        inputs += [_frozen(_table(batch, t.field, t.node), np.int8) for t in layout.tables]
        offsets = _frozen(batch.offsets, np.int64)
        ts = _frozen(batch.ts, np.int64)
        event = _frozen(batch.event, np.int32)
        sizes = np.diff(offsets)
        longest = int(sizes.max()) if len(sizes) else 1
        hits = np.empty((max(1, layout.hit_rules), max(1, longest)), np.int64)
        width = layout.group_width

        def rows(per_event: int) -> int:
            return max(CHUNK, longest * per_event)

        st = np.empty((rows(layout.stages_per_event), 4), np.int64)
        fa_i = np.empty((rows(layout.facts_per_event), 4), np.int64)
        fa_f = np.empty((len(fa_i), 2), np.float64)
        ra_i = np.empty((max(CHUNK, layout.rates_per_lead), 5), np.int64)
        ra_f = np.empty(len(ra_i), np.float64)
        ck_i = np.empty((rows(layout.clocks_per_event), 7), np.int64)
        ck_gi = np.empty((len(ck_i), width), np.int64)
        ck_gf = np.empty((len(ck_i), width), np.float64)
        ho = np.empty((rows(layout.handoffs_per_event), 5), np.int64)
        pa = np.empty((rows(layout.pauses_per_event), 3), np.int64)
        buffers = (st, fa_i, fa_f, ra_i, ra_f, ck_i, ck_gi, ck_gf, ho, pa)
        start, leads = 0, len(batch.lead_ids)
        while start < leads:
            done, n_st, n_fa, n_ra, n_ck, n_ho, n_pa = self.function(
                start, offsets, ts, event, *inputs, as_of, hits, *buffers
            )
            if done == start:  # cannot happen: buffers are sized for the longest lead
                raise RuntimeError("the kernel made no progress")
            yield Rows(
                st[:n_st].copy(),
                fa_i[:n_fa].copy(),
                fa_f[:n_fa].copy(),
                ra_i[:n_ra].copy(),
                ra_f[:n_ra].copy(),
                ck_i[:n_ck].copy(),
                ck_gi[:n_ck].copy(),
                ck_gf[:n_ck].copy(),
                ho[:n_ho].copy(),
                pa[:n_pa].copy(),
            )
            start = done

    def decoder(self, batch: Batch, as_of: int) -> Decoder:
        """What turns this kernel's rows over `batch` into the reference's records."""
        return Decoder(batch, self.layout, LeadReplay(self.runtime, "", as_of, False))

    def results(self, batch: Batch, as_of: int) -> Iterator[LeadResult]:
        """The `LeadResult` of every lead with a record, in lead order (see module doc)."""
        decode = self.decoder(batch, as_of)
        for rows in self.rows(batch, as_of):
            yield from decode.leads(rows)


def load(plan: Mapping[str, Any], *, jit: bool = True) -> Kernel:
    """The kernel of `plan`, compiled (or loaded from the cache) now; raises `Unsupported`
    when `supports(plan)` is not None."""
    source = generate(plan)
    function = _module(source.text, source.layout, jit)
    return Kernel(plan, source.layout, build_runtime(plan), function, source.text)


def _frozen(array: npt.NDArray[Any], dtype: Any) -> npt.NDArray[Any]:
    """A C-contiguous, read-only view of `array` (copied only when not contiguous or not
    of `dtype`), the one layout the kernel's signature takes."""
    view = np.ascontiguousarray(array, dtype).view()
    view.flags.writeable = False
    return view


def _table(batch: Batch, name: str, node: Mapping[str, Any]) -> npt.NDArray[np.int8]:
    """A one-field predicate's truth for "not set" (index 0) and each dictionary value,
    computed by the reference predicate itself, so `matches` (RE2), `in` and comparisons
    keep the reference semantics exactly and run once per distinct value (a `matches` on
    ASCII values is searched in bulk by the same engine, see `_searched`)."""
    predicate = compile_expr(dict(node))
    column = batch.columns[name]
    truth = np.empty(len(column.dictionary) + 1, np.int8)
    truth[0] = bool(predicate({}, {}))
    searched = _searched(node, name, column)
    if searched is None:
        truth[1:] = [bool(predicate({name: value}, {})) for value in column.dictionary]
        return truth
    decided, found = searched
    truth[1:] = found
    dictionary = column.dictionary
    for index in np.flatnonzero(~decided).tolist():
        truth[index + 1] = bool(predicate({name: dictionary[index]}, {}))
    return truth


def _searched(
    node: Mapping[str, Any], name: str, column: Column
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]] | None:
    """`FIELD matches "PATTERN"` over a text field's dictionary in one call of Arrow's RE2
    (the engine the reference's `re2` binds, with the same options: UTF-8, unanchored
    search, case-sensitive unless the pattern says otherwise), instead of microseconds of
    Python per value: (decided, found) per value. Only ASCII values under an ASCII pattern
    are decided here, where two RE2 builds cannot differ (their Unicode tables can); the
    others are left to the reference predicate. None when the node is anything else or
    Arrow's RE2 refuses the pattern."""
    pattern, subject = node.get("pattern"), node.get("arg", {})
    if (
        node.get("op") != "matches"
        or subject.get("field") != name
        or "op" in subject
        or not isinstance(pattern, str)
        or not pattern.isascii()
        or column.type not in ("text", "one_of")
        or len(column.dictionary) < _BULK
    ):
        return None
    dictionary = column.dictionary
    values = (
        dictionary.array if isinstance(dictionary, Values) else pa.array(dictionary, pa.string())
    )
    try:
        found = pc.match_substring_regex(values, pattern=pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    decided = np.asarray(pc.string_is_ascii(values).to_numpy(zero_copy_only=False), bool)
    return decided, np.asarray(found.to_numpy(zero_copy_only=False), bool)


_BULK = 64
"""Fewer distinct values than this are matched one by one: a bulk call saves nothing."""


_KIND = ("skipped", "entered")


def _runs(leads: npt.NDArray[np.int64]) -> dict[int, tuple[int, int]]:
    """Lead → (first row, end row) in a lead-sorted column."""
    if not len(leads):
        return {}
    cuts = np.flatnonzero(np.diff(leads)) + 1
    starts = np.concatenate(([0], cuts)).tolist()
    ends = np.concatenate((cuts, [len(leads)])).tolist()
    return dict(zip(leads[starts].tolist(), zip(starts, ends, strict=True), strict=True))


class Decoder:
    """Kernel rows → `LeadResult`s, with the reference's own records and judge."""

    def __init__(
        self,
        batch: Batch,
        layout: Layout,
        clocks: LeadReplay,
    ) -> None:
        self.batch = batch
        self.layout = layout
        self.runtime = clocks.rt
        self.replay = clocks  # its clock methods only: pause, end_pause, judge
        self.stage_names = [stage.name for stage in self.runtime.stages]

    def groups(self, name: str | None, codes: list[int], numbers: list[float]) -> list[Any]:
        """Group values as the reference reads them (`Value`, or a date for a date field)."""
        if name is None:
            return [None] * len(codes)
        column = self.batch.columns[name]
        if column.encoded:
            dictionary = column.dictionary
            return [None if code == MISSING else dictionary[code] for code in codes]
        return [None if number != number else number for number in numbers]

    def probe_groups(self, probes: list[int], codes: list[int], numbers: list[float]) -> list[Any]:
        by = self.layout.probe_by
        found: list[Any] = [None] * len(probes)
        for name in set(by.values()) - {None}:
            wanted = [i for i, p in enumerate(probes) if by.get(p) == name]
            values = self.groups(name, [codes[i] for i in wanted], [numbers[i] for i in wanted])
            for i, value in zip(wanted, values, strict=True):
                found[i] = value
        return found

    def leads(self, rows: Rows) -> Iterator[LeadResult]:
        names = self.stage_names
        st = rows.stages
        stages = [
            StageRecord(names[s], _KIND[e], at)
            for s, e, at in zip(
                st[:, 1].tolist(), st[:, 2].tolist(), st[:, 3].tolist(), strict=True
            )
        ]
        fa = rows.facts
        probes = fa[:, 1].tolist()
        groups = self.probe_groups(probes, fa[:, 3].tolist(), rows.fact_values[:, 1].tolist())
        facts = [
            Fact(p, at, g, amount)
            for p, at, g, amount in zip(
                probes, fa[:, 2].tolist(), groups, rows.fact_values[:, 0].tolist(), strict=True
            )
        ]
        ra = rows.rates
        probes = ra[:, 1].tolist()
        groups = self.probe_groups(probes, ra[:, 4].tolist(), rows.rate_groups.tolist())
        rates = [
            RateFact(p, source, None if dest == NONE else dest, g)
            for p, source, dest, g in zip(
                probes, ra[:, 2].tolist(), ra[:, 3].tolist(), groups, strict=True
            )
        ]
        required, checks = self.layout.handoff_required, self.layout.handoff_checks
        handoffs = [
            HandoffRecord(
                names[stage],
                at,
                tuple(f for bit, f in enumerate(required[stage]) if missing >> bit & 1),
                tuple(c for bit, c in enumerate(checks[stage]) if failed >> bit & 1),
            )
            for stage, at, missing, failed in rows.handoffs[:, 1:].tolist()
        ]
        clocks = self.clocks(rows)
        found: list[tuple[dict[int, tuple[int, int]], list[Any], str]] = [
            (_runs(st[:, 0]), stages, "stages"),
            (_runs(fa[:, 0]), facts, "facts"),
            (_runs(ra[:, 0]), rates, "rates"),
            (_runs(rows.handoffs[:, 0]), handoffs, "handoffs"),
        ]
        clock_runs = _runs(rows.clocks[:, 0])
        lead_ids = self.batch.lead_ids
        leads: set[int] = set(clock_runs)
        for runs, _, _ in found:
            leads.update(runs)
        for lead in sorted(leads):
            result = LeadResult(lead_ids[lead])
            for runs, records, kind in found:
                span = runs.get(lead)
                if span is not None:
                    getattr(result, kind).extend(records[span[0] : span[1]])
            span = clock_runs.get(lead)
            if span is not None:
                lead_clocks = clocks[span[0] : span[1]]
                lead_clocks.sort(key=lambda c: (c.started_at, c.sla, c.cycle))
                result.clocks.extend(self.replay.judge(clock) for clock in lead_clocks)
            yield result

    def clocks(self, rows: Rows, subset: Sequence[int] | None = None) -> list[Clock]:
        """The lead's clocks as the reference leaves them at the end of its replay: pauses
        and resumes applied in order (§14.1), then the stop or cancellation; those of the
        rows in `subset` only, when given."""
        slas = self.runtime.slas
        out = []
        codes, numbers = rows.clock_codes.tolist(), rows.clock_numbers.tolist()
        marks: dict[int, list[tuple[int, int]]] = {}
        for row, at, mark in rows.pauses.tolist():
            marks.setdefault(row, []).append((at, mark))
        replay = self.replay
        found = rows.clocks.tolist()
        for row in range(len(found)) if subset is None else subset:
            _, sla, cycle, goal_index, start, stopped, cancelled = found[row]
            goal = None if goal_index < 0 else slas[sla].goals[goal_index]
            groups = {
                name: self.groups(name, [codes[row][j]], [numbers[row][j]])[0]
                for j, name in enumerate(self.layout.sla_groups[sla])
            }
            due = goal.deadline(start) if goal is not None else None
            clock = Clock(sla, cycle, goal, start, due, groups, unpaused_due=due)
            for at, mark in marks.get(row, ()):
                if clock.paused_since is not None:
                    if mark & 1:
                        replay.end_pause(clock, at)
                elif mark & 2:
                    replay.pause(clock, at)
            if stopped != NONE:
                replay.end_pause(clock, stopped)
                clock.stopped_at = stopped
            elif cancelled != NONE:
                replay.end_pause(clock, cancelled)
                clock.cancelled_at = cancelled
            out.append(clock)
        return out
