"""The local engine: read columnar, partition by lead when the input is large, replay each
partition (on the compiled kernel when the plan allows), merge, stream the report out.

Memory stays flat at any input size: events are read block by block, and once what was
read passes the memory budget every block is split by a hash of its lead ids into spill
files (Arrow IPC, in a temporary directory removed on every exit path, errors and Ctrl-C
included). A partition holds every event of its leads, so each one is replayed on its own,
in parallel processes that read their own spill file; each writes its stage, clock and
violation entries, already as report JSON, to its own files and sends back only counts.
The report's long lists are then merged by lead id straight into the output, which is the
order the reference engine sorts them in, so the bytes are the same.

Input accounting is the reader's (it reads every input once, in order); duplicates,
lead counts and the first and last instant are per partition and added up.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import math
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from slalang.data import Mapping as DataMapping
from slalang.data.log import InputStats
from slalang.engine.assemble import assemble, concat
from slalang.engine.batch import MISSING, Batch, Column
from slalang.engine.choose import input_bytes
from slalang.engine.fold import SECTIONS
from slalang.engine.lines import Lines, Text
from slalang.engine.reader import Chunk, ColumnarReader
from slalang.engine.run import kernel_for, reduce_batch
from slalang.evaluate.aggregate import Totals, Window
from slalang.evaluate.run import Frame, Span, field_specs, frame, report
from slalang.render.report.json_text import Prerendered, compact

BUDGET = 512 << 20
"""Bytes of read events kept in memory before the input is partitioned (`--memory`)."""

ENTRY_BATCH = 4096
"""Report entries per record batch in a partition's entry file."""
_ALL = Span()
_MAX_PARTS = 256


def default_jobs() -> int:
    """Every core this process may run on (RUNNER §6.6)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(slots=True)
class _Part:
    """What one partition sends back: counts, and where its report entries are."""

    duplicates: int = 0
    leads: int = 0
    first_ts: int | None = None
    last_ts: int | None = None
    totals: Totals = field(default_factory=Totals)
    counts: dict[str, int] = field(default_factory=dict)  # entries per section
    severities: set[str] = field(default_factory=set)
    entries: dict[str, Lines] | None = None  # kept in memory, or
    files: dict[str, str] | None = None  # written to these files
    profile: _Profile | None = None  # `summarize`'s counts, instead of a replay


@dataclass(frozen=True, slots=True)
class _Task:
    """One partition's replay: everything a worker process needs, small to send."""

    plan: Mapping[str, Any]
    source: str | None  # its spill file; None: `table` (in this process)
    as_of: int | None  # None: only assemble (to learn the partition's last instant)
    window: Window
    dedupe: bool
    out: str | None  # directory for its entry files; None: keep them in memory
    profile: bool = False  # count for `summarize` instead of replaying


def _evaluate_part(task: _Task, table: pa.Table | None = None) -> _Part:
    """Assemble one spilled partition and, given `as_of`, replay it; a pure function of
    the task (run in a worker process)."""
    if table is None:
        assert task.source is not None
        with pa.memory_map(task.source) as source:
            table = pa.ipc.open_stream(source).read_all()
    batch, part = _assembled(task.plan, table, task.dedupe)
    del table
    _give_back()
    if task.profile:
        part.profile = _profile(batch)
        return part
    if task.as_of is None:
        return part
    return _replay(task.plan, batch, task.as_of, task.window, part, task.out)


def _give_back() -> None:
    """Return freed Arrow memory to the system now. Arrow's allocator keeps it for reuse,
    but what comes next (folding records, or waiting for the workers) allocates Python
    objects, not Arrow buffers, so the process would go on holding the read table's size:
    a third of the peak on a million events."""
    pa.default_memory_pool().release_unused()


def _assembled(plan: Mapping[str, Any], table: pa.Table, dedupe: bool) -> tuple[Batch, _Part]:
    """The batch of `table`, and a part holding its input accounting."""
    batch, duplicates = assemble(table, field_specs(plan), plan["events"], InputStats(), dedupe)
    return batch, _Part(duplicates, len(batch.lead_ids), batch.stats.first_ts, batch.stats.last_ts)


def _replay(
    plan: Mapping[str, Any],
    batch: Batch,
    as_of: int,
    window: Window,
    part: _Part,
    out: str | None,
) -> _Part:
    """`part` with the totals and report entries of every lead of `batch`; the entries are
    kept in memory, or written under the directory `out`."""
    folded = reduce_batch(plan, batch, as_of, window)
    entries = folded.entries
    part.totals = folded.totals
    part.severities = folded.severities
    part.counts = {section: len(rows) for section, rows in entries.items()}
    if out is None:
        part.entries = entries
        return part
    part.files = {}
    for section, rows in entries.items():
        path = os.path.join(out, f"{section}.arrow")
        table = rows.table()
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            # small batches: the merge holds one batch of every partition's file at once
            writer.write_table(table, max_chunksize=ENTRY_BATCH)
        part.files[section] = path
    return part


# -- partitioning ------------------------------------------------------------------------------


def lead_hash(leads: pa.Array) -> npt.NDArray[np.uint64]:
    """FNV-1a of each lead id's UTF-8 bytes, vectorised over the ids: stable across runs,
    processes and machines (Python's `hash` of a str is not)."""
    leads = leads.cast(pa.string())
    n = len(leads)
    offsets = np.frombuffer(leads.buffers()[1], np.int32, n + 1, leads.offset * 4).astype(np.int64)
    data = (
        np.frombuffer(leads.buffers()[2], np.uint8) if leads.buffers()[2] else np.zeros(1, np.uint8)
    )
    starts, lengths = offsets[:-1], np.diff(offsets)
    h = np.full(n, 0xCBF29CE484222325, np.uint64)
    prime = np.uint64(0x100000001B3)
    longest = int(lengths.max()) if n else 0
    with np.errstate(over="ignore"):
        for k in range(longest):
            live = lengths > k
            byte = data[np.minimum(starts + k, len(data) - 1)].astype(np.uint64)
            h = np.where(live, (h ^ byte) * prime, h)
    return h


class _Store:
    """Read chunks, in memory until they pass the budget, then hash-partitioned into spill
    files (`parts` Arrow IPC streams under `directory`); with `spill`, from the first
    chunk on (an input known to be larger than the budget: holding the budget's worth of
    chunks first would only add it to the peak)."""

    def __init__(
        self, schema: pa.Schema, budget: int, directory: Path, parts: int, *, spill: bool
    ) -> None:
        self.schema = schema
        self.budget = budget
        self.directory = directory
        self.parts = parts
        self.tables: list[pa.Table] = []
        self.size = 0
        self.writers: list[Any] = []
        self.max_ts: int | None = None
        if spill:
            self._open()

    @property
    def spilled(self) -> bool:
        return bool(self.writers)

    def add(self, chunk: Chunk) -> None:
        if len(chunk):
            top = int(chunk.ts.max())
            self.max_ts = top if self.max_ts is None else max(self.max_ts, top)
        table = chunk.table()
        if self.writers:
            self._spill(table)
            return
        self.tables.append(table)
        self.size += table.nbytes
        if self.size > self.budget:
            self._open()
            for held in self.tables:
                self._spill(held)
            self.tables = []

    def _open(self) -> None:
        for index in range(self.parts):
            sink = pa.OSFile(str(self.directory / f"part-{index}.arrow"), "wb")
            self.writers.append((sink, pa.ipc.new_stream(sink, self.schema)))

    def _spill(self, table: pa.Table) -> None:
        if not len(table):
            return
        part = (lead_hash(table.column("lead").combine_chunks()) % np.uint64(self.parts)).astype(
            np.int64
        )
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(self.parts + 1))
        ordered = table.take(pa.array(order))
        for index in range(self.parts):
            lo, hi = int(bounds[index]), int(bounds[index + 1])
            if hi > lo:
                self.writers[index][1].write_table(ordered.slice(lo, hi - lo))

    def close(self) -> list[str]:
        paths = []
        for index, (sink, writer) in enumerate(self.writers):
            writer.close()
            sink.close()
            paths.append(str(self.directory / f"part-{index}.arrow"))
        return paths


# -- the run -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """A finished evaluation: the report without its long lists, and where they are.

    `write_json` streams the JSON report; `report()` builds the whole dict (the other
    formats need it). Entry files live in the run's temporary directory, so both must be
    used inside `run`'s context."""

    skeleton: dict[str, Any]
    parts: list[_Part]
    severities: set[str]

    def sections(self) -> dict[str, Prerendered]:
        out: dict[str, Prerendered] = {}
        held = [p for p in self.parts if p.entries is not None or p.files is not None]
        for section in SECTIONS:
            tail = []
            if section == "violations":
                tail = [compact(v) for v in self.skeleton["violations"]]
            if len(held) == 1 and held[0].entries is not None:  # one part, in memory
                out[section] = Text(held[0].entries[section].text, tail)
                continue
            count = sum(p.counts.get(section, 0) for p in self.parts)
            out[section] = _Merged(held, section, count, tail)
        return out

    def streamed(self) -> dict[str, Any]:
        """The report with its long lists as `Prerendered` (for `json_text.pieces`)."""
        report = dict(self.skeleton)
        report.update(self.sections())
        return report

    def report(self) -> dict[str, Any]:
        report = dict(self.skeleton)
        for section, rendered in self.sections().items():
            report[section] = [json.loads(line) for line in rendered.lines]
        return report


class _Merged(Prerendered):
    """A section's entries merged from several parts' entry files in lead order, then a
    few entries as strings (target violations): written a merged block at a time, with
    no Python string per entry (`lines` gives them one by one, for `Outcome.report`)."""

    def __init__(self, parts: list[_Part], section: str, count: int, tail: list[str]) -> None:
        super().__init__(count + len(tail), self._lines(parts, section, tail))
        self.parts = parts
        self.section = section
        self.tail = tail

    @staticmethod
    def _lines(parts: list[_Part], section: str, tail: list[str]) -> Iterator[str]:
        for lines in _merged(parts, section):
            yield from lines.to_pylist()
        yield from tail

    def joined(self, separator: str) -> Iterator[str]:
        first = True
        for lines in _merged(self.parts, self.section):
            text = _joined(lines, separator)
            yield text if first else separator + text
            first = False
        if self.tail:
            yield ("" if first else separator) + separator.join(self.tail)


def _joined(lines: pa.Array, separator: str) -> str:
    """Entry lines as one text, joined by Arrow (no Python string per entry)."""
    offsets = pa.array([0, len(lines)], pa.int32())
    between = pa.scalar(separator, lines.type)
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, lines), between)
    return str(joined[0].as_py())


def _merged(parts: list[_Part], section: str) -> Iterator[pa.Array]:
    """The section's entry lines of every part in lead order, a block at a time.

    Each part's entries are in lead order and a lead's entries are all in one part (its
    partition), so a k-way merge needs no per-entry step: of the blocks read, every entry
    up to the smallest last lead of a part that has more to read is final, and those are
    put in order together by a stable sort on the lead (UTF-8 byte order is code-point
    order, the reference's). Memory holds one block of each part."""
    streams = [_part_batches(p, section) for p in parts]
    if len(streams) == 1:
        for batch in streams[0]:
            if len(batch):
                yield batch.column(1)
        return
    pending: list[pa.RecordBatch | None] = [None] * len(streams)
    finished = [False] * len(streams)
    while True:
        for index, stream in enumerate(streams):
            while not finished[index] and not pending[index]:
                pending[index] = next(stream, None)
                finished[index] = pending[index] is None
        held = [(index, batch) for index, batch in enumerate(pending) if batch]
        if not held:
            return
        lasts = [batch.column(0)[-1].as_py() for index, batch in held if not finished[index]]
        bound = min(lasts) if lasts else None
        taken = []
        for index, batch in held:
            leads = batch.column(0)
            final = len(batch)
            if bound is not None:  # the block's leads are sorted: a binary search
                final = bisect.bisect_right(range(final), bound, key=lambda i: leads[i].as_py())
            taken.append(batch.slice(0, final))
            pending[index] = batch.slice(final)
        ready = pa.Table.from_batches(taken)
        if ready.num_rows:
            order = pc.sort_indices(ready.column(0))
            yield ready.column(1).take(order).combine_chunks()


def _part_batches(part: _Part, section: str) -> Iterator[pa.RecordBatch]:
    """A part's (lead, line) entries of one section as record batches."""
    if part.entries is not None:
        yield from part.entries[section].table().to_batches(max_chunksize=ENTRY_BATCH)
        return
    assert part.files is not None
    # read, not memory-mapped: the pages of a mapped file stay in the process as they are
    # read, so the merge would grow by the whole report's size
    with pa.OSFile(part.files[section]) as source:
        yield from pa.ipc.open_stream(source)


@dataclass(slots=True)
class _Read:
    """A finished read: its accounting, and its events in memory or in spill files."""

    reader: ColumnarReader
    store: _Store
    sources: list[str]  # the spill files, one per partition (none: in memory)
    directory: Path  # the run's temporary directory

    @property
    def dedupe(self) -> bool:
        return self.reader.ref.has_ids

    def assembled(self, plan: Mapping[str, Any]) -> tuple[Batch, _Part]:
        """The batch of the events held in memory, and its part (the input accounting);
        the read blocks are let go as soon as they are sorted."""
        table = concat(self.store.tables, self.reader.schema)
        self.store.tables = []
        batch, whole = _assembled(plan, table, self.dedupe)
        del table
        _give_back()
        return batch, whole


def _reader(
    plan: Mapping[str, Any],
    mapping: DataMapping | None,
    timezone: str | None,
    as_of: int | None,
) -> ColumnarReader:
    return ColumnarReader(
        field_specs(plan),
        plan["events"],
        mapping,
        timezone,
        as_of,
        default_timezone=plan["policy"]["timezone"],
    )


@contextlib.contextmanager
def _read(
    plan: Mapping[str, Any],
    paths: Sequence[str],
    *,
    mapping: DataMapping | None,
    timezone: str | None,
    as_of: int | None,
    jobs: int,
    budget: int,
    stdin: BinaryIO | None = None,
    spill_dir: str | None = None,
    warn: Callable[[InputStats], None] | None = None,
    parts: int | None = None,
) -> Iterator[_Read]:
    """Read `paths` into memory, or into hash partitions once past the budget; the spill
    files live in a temporary directory removed when the block ends (also on error)."""
    reader = _reader(plan, mapping, timezone, as_of)
    with tempfile.TemporaryDirectory(prefix="slalang-", dir=spill_dir) as tmp:
        directory = Path(tmp)
        size = input_bytes(paths)
        store = _Store(
            reader.schema,
            budget,
            directory,
            parts or _parts(size, budget, jobs),
            spill=size > budget,
        )
        try:
            for chunk in reader.read(paths, stdin):
                store.add(chunk)
        finally:
            sources = store.close()
            _give_back()  # what was read is in the spill files, or about to be sorted
        if warn is not None:
            warn(reader.stats)
        yield _Read(reader, store, sources, directory)


@contextlib.contextmanager
def run(
    plan: Mapping[str, Any],
    paths: Sequence[str],
    *,
    mapping: DataMapping | None = None,
    timezone: str | None = None,
    as_of: int | None = None,
    span: Span = _ALL,
    metrics: Mapping[tuple[str, str], float] | None = None,
    jobs: int | None = None,
    budget: int | None = None,
    stdin: BinaryIO | None = None,
    spill_dir: str | None = None,
    warn: Callable[[InputStats], None] | None = None,
    parts: int | None = None,
) -> Iterator[Outcome]:
    """Evaluate `plan` on `paths` with the columnar engine; the outcome is valid inside
    the `with` block, and every spill and entry file is gone after it (also on error).
    `warn` sees the input accounting once everything is read (it may raise to stop the
    run); `parts` fixes the number of partitions a spilled run uses."""
    jobs = jobs or default_jobs()
    window = Window(span.start, span.end)
    with _read(
        plan,
        paths,
        mapping=mapping,
        timezone=timezone,
        as_of=as_of,
        jobs=jobs,
        budget=budget or BUDGET,
        stdin=stdin,
        spill_dir=spill_dir,
        warn=warn,
        parts=parts,
    ) as read:
        directory = read.directory
        if not read.store.spilled:
            batch, whole = read.assembled(plan)
            at = as_of if as_of is not None else batch.stats.last_ts
            done = (
                [whole]
                if at is None
                else _in_memory(plan, batch, whole, at, window, jobs, str(directory))
            )
        else:
            guess = as_of if as_of is not None else read.store.max_ts
            kernel_for(plan)  # compiled here once, so that the workers load it from the cache
            done = _in_workers(plan, read.sources, guess, window, read.dedupe, jobs, directory)
            if as_of is None and _last(done) != guess:
                # the latest event was a dropped duplicate: replay again at the real as-of
                again = _last(done)
                done = _in_workers(plan, read.sources, again, window, read.dedupe, jobs, directory)
        yield _outcome(plan, read.reader.stats, done, as_of, span, metrics)


@dataclass(frozen=True, slots=True)
class Summary:
    """What an event log holds, as the reference reader's `EventLog` tells it: its input
    accounting, its lead ids, and how many of its events are of each type and set each
    field (`slalang data check` on a large input)."""

    stats: InputStats
    lead_ids: frozenset[str]
    types: dict[str, int]
    fields: dict[str, int]


def summarize(
    plan: Mapping[str, Any],
    paths: Sequence[str],
    *,
    mapping: DataMapping | None = None,
    timezone: str | None = None,
    jobs: int | None = None,
    budget: int | None = None,
    spill_dir: str | None = None,
    parts: int | None = None,
) -> Summary:
    """Read `paths` as `run` reads them (in memory, or partitioned past the budget, the
    partitions assembled on `jobs` cores) and count, without replaying anything."""
    jobs = jobs or default_jobs()
    with _read(
        plan,
        paths,
        mapping=mapping,
        timezone=timezone,
        as_of=None,
        jobs=jobs,
        budget=budget or BUDGET,
        spill_dir=spill_dir,
        parts=parts,
    ) as read:
        if not read.store.spilled:
            batch, whole = read.assembled(plan)
            whole.profile = _profile(batch)
            done = [whole]
        else:
            window = Window(None, None)
            done = _in_workers(
                plan, read.sources, None, window, read.dedupe, jobs, read.directory, profile=True
            )
    types = dict.fromkeys(plan["events"], 0)
    fields = dict.fromkeys(plan["fields"], 0)
    leads: set[str] = set()
    for part in done:
        assert part.profile is not None
        leads.update(part.profile.lead_ids)
        for name, count in part.profile.types.items():
            types[name] += count
        for name, count in part.profile.fields.items():
            fields[name] += count
    return Summary(_stats(read.reader.stats, done), frozenset(leads), types, fields)


@dataclass(frozen=True, slots=True)
class _Profile:
    """One partition's counts for `Summary`."""

    lead_ids: tuple[str, ...]
    types: dict[str, int]
    fields: dict[str, int]


def _profile(batch: Batch) -> _Profile:
    """Events per type and events setting each field (a number that is not NaN, a code
    that is not `MISSING`: what the reference's `event.fields` holds)."""
    per_type = np.bincount(batch.event, minlength=len(batch.event_types)).tolist()
    fields = {}
    for name, column in batch.columns.items():
        unset = column.values == MISSING if column.encoded else np.isnan(column.values)
        fields[name] = len(batch) - int(np.count_nonzero(unset))
    return _Profile(batch.lead_ids, dict(zip(batch.event_types, per_type, strict=True)), fields)


PARALLEL = 4_000_000
"""Events below which a batch in memory is replayed in this process whatever `--jobs` says.
Measured on 1M events (bench/bench_engine.py, 2 cores, load 3): folding takes 1.2 s in one
process and 2.2 s with two forked workers (forking, writing and reading back their entry
files), so workers pay only on more events than the memory budget holds: in practice
`diff` on a large input; `evaluate` uses the cores on partitions once the budget is passed."""


@dataclass(frozen=True, slots=True)
class _Shared:
    """What forked workers replay: a batch in the parent's memory, shared, never copied."""

    plan: Mapping[str, Any]
    batch: Batch
    as_of: int
    window: Window
    directory: str


_shared: _Shared | None = None


def _in_memory(
    plan: Mapping[str, Any],
    batch: Batch,
    whole: _Part,
    as_of: int,
    window: Window,
    jobs: int,
    directory: str,
) -> list[_Part]:
    """Replay a batch held in memory: here, or on `jobs` cores by forked workers that
    each replay a run of consecutive leads of the very same arrays (no spill, no copy).
    `whole` keeps the input accounting; the runs' parts hold the totals and entries, and
    since the runs are in lead order, merging them by lead is concatenating them."""
    if jobs <= 1 or len(batch) < PARALLEL or "fork" not in multiprocessing.get_all_start_methods():
        return [_replay(plan, batch, as_of, window, whole, None)]
    bounds = _bounds(batch.offsets, 2 * jobs)  # twice the workers: a busy core holds less up
    kernel_for(plan)  # compiled once, here: the workers inherit it
    global _shared
    _shared = _Shared(plan, batch, as_of, window, directory)
    try:
        with ProcessPoolExecutor(
            min(jobs, len(bounds) - 1), mp_context=multiprocessing.get_context("fork")
        ) as pool:
            runs = list(pool.map(_replay_run, range(len(bounds) - 1), bounds[:-1], bounds[1:]))
    finally:
        _shared = None
    return [whole, *runs]


def _replay_run(index: int, lo: int, hi: int) -> _Part:
    """In a forked worker: replay leads `lo:hi` of the shared batch."""
    shared = _shared
    assert shared is not None
    out = os.path.join(shared.directory, f"run-{index}")
    os.mkdir(out)
    leads = _leads(shared.batch, lo, hi)
    return _replay(shared.plan, leads, shared.as_of, shared.window, _Part(), out)


def _bounds(offsets: npt.NDArray[np.int64], runs: int) -> list[int]:
    """Lead indexes cutting the batch into at most `runs` runs of about equal events."""
    total = int(offsets[-1])
    targets = np.arange(1, runs, dtype=np.int64) * total // runs
    cuts = np.searchsorted(offsets, targets).tolist()
    return sorted({0, *cuts, len(offsets) - 1})


def _leads(batch: Batch, lo: int, hi: int) -> Batch:
    """Leads `lo:hi` of `batch` as a batch of its own (views of the same arrays)."""
    start, end = int(batch.offsets[lo]), int(batch.offsets[hi])
    columns = {
        name: Column(column.type, column.values[start:end], column.dictionary)
        for name, column in batch.columns.items()
    }
    return Batch(
        batch.lead_ids[lo:hi],
        batch.offsets[lo : hi + 1] - start,
        batch.ts[start:end],
        batch.seq[start:end],
        batch.event[start:end],
        batch.event_types,
        columns,
        batch.stats,
    )


def _in_workers(
    plan: Mapping[str, Any],
    sources: list[str],
    as_of: int | None,
    window: Window,
    dedupe: bool,
    jobs: int,
    directory: Path,
    *,
    profile: bool = False,
) -> list[_Part]:
    tasks = []
    for index, source in enumerate(sources):
        out = directory / f"out-{index}"
        out.mkdir(exist_ok=True)
        tasks.append(_Task(plan, source, as_of, window, dedupe, str(out), profile))
    if jobs <= 1 or len(tasks) <= 1:
        return [_evaluate_part(task) for task in tasks]
    context = multiprocessing.get_context(_start_method())
    with ProcessPoolExecutor(min(jobs, len(tasks)), mp_context=context) as pool:
        return list(pool.map(_evaluate_part, tasks))


def _start_method() -> str:
    """forkserver where there is one (workers start clean, without the parent's pages),
    else spawn; never plain fork from a process that may hold threads (pyarrow's)."""
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _last(parts: list[_Part]) -> int | None:
    found = [p.last_ts for p in parts if p.last_ts is not None]
    return max(found) if found else None


def _parts(size: int, budget: int, jobs: int) -> int:
    """Partitions for a spilled run of `size` input bytes: each small enough that `jobs`
    of them replay at once within the budget (a partition's replay needs a few times its
    events' bytes)."""
    per_part = max(1, budget // (4 * jobs))
    return max(jobs, min(_MAX_PARTS, math.ceil(size / per_part)))


def _outcome(
    plan: Mapping[str, Any],
    read: InputStats,
    parts: list[_Part],
    as_of: int | None,
    span: Span,
    metrics: Mapping[tuple[str, str], float] | None,
) -> Outcome:
    stats = _stats(read, parts)
    judged: Frame = frame(stats, as_of, span)
    totals = Totals()
    severities: set[str] = set()
    for part in parts:
        totals.merge_counts(part.totals)
        severities |= part.severities
    skeleton = report(plan, totals, stats, judged, metrics)
    severities |= {v["severity"] for v in skeleton["violations"]}
    return Outcome(skeleton, parts, severities)


def _stats(read: InputStats, parts: list[_Part]) -> InputStats:
    """The whole input's accounting: the reader's, with what the partitions found (the
    duplicates dropped per lead, the leads, the first and last instant) added up."""
    duplicates = sum(p.duplicates for p in parts)
    firsts = [p.first_ts for p in parts if p.first_ts is not None]
    return replace(
        read,
        duplicates=read.duplicates + duplicates,
        events=read.events - duplicates,
        leads=sum(p.leads for p in parts),
        first_ts=min(firsts) if firsts else None,
        last_ts=_last(parts),
    )


def evaluate_each(
    read_as: Mapping[str, Any],
    plans: Sequence[Mapping[str, Any]],
    paths: Sequence[str],
    *,
    mapping: DataMapping | None = None,
    timezone: str | None = None,
    as_of: int | None = None,
    span: Span = _ALL,
    metrics: Mapping[tuple[str, str], float] | None = None,
    jobs: int | None = None,
    warn: Callable[[InputStats], None] | None = None,
) -> list[dict[str, Any]]:
    """The whole report of each of `plans` on one read of the events (`slalang diff`).

    The events are read once, as `read_as` (its fields and events cover every plan's, and
    every plan declares all of its event types), so all plans see the same events, counts
    and as-of, as the reference engine gives them; each plan then replays the same sorted
    arrays, its event codes and fields picked out. The read stays in memory."""
    everything = sys.maxsize  # a budget nothing passes: no partitions
    with _read(
        read_as,
        paths,
        mapping=mapping,
        timezone=timezone,
        as_of=as_of,
        jobs=jobs or 1,
        budget=everything,
        warn=warn,
    ) as read:
        batch, whole = read.assembled(read_as)
    at = as_of if as_of is not None else batch.stats.last_ts
    window = Window(span.start, span.end)
    reports = []
    for plan in plans:
        with tempfile.TemporaryDirectory(prefix="slalang-") as tmp:
            own = replace(whole)
            parts = (
                [own]
                if at is None
                else _in_memory(plan, _recoded(batch, plan), own, at, window, jobs or 1, tmp)
            )
            stats = read.reader.stats
            reports.append(_outcome(plan, stats, parts, as_of, span, metrics).report())
    return reports


def _recoded(batch: Batch, plan: Mapping[str, Any]) -> Batch:
    """`batch` as `plan` reads it: event codes into its `events`, its fields only."""
    position = {name: code for code, name in enumerate(plan["events"])}
    codes = np.array([position[name] for name in batch.event_types], np.int32)
    return replace(
        batch,
        event=codes[batch.event] if len(batch) else batch.event,
        event_types=tuple(plan["events"]),
        columns={name: batch.columns[name] for name in plan["fields"]},
    )
