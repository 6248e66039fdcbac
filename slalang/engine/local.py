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
import functools
import gzip
import math
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import zlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from slalang.data import Mapping as DataMapping
from slalang.data.events import EXAMPLES, temporary_reason
from slalang.data.log import Event, InputStats
from slalang.diagnostics import SlalangError
from slalang.engine.assemble import (
    Apart,
    arranging,
    assemble,
    give_back,
    run_heads,
    split_schema,
)
from slalang.engine.batch import MISSING, Batch, Column
from slalang.engine.choose import input_bytes, is_gzip, stored_bytes
from slalang.engine.fold import SECTIONS
from slalang.engine.kernel import cached, supports
from slalang.engine.lines import Lines, StoredText, Text, store
from slalang.engine.reader import (
    Chunk,
    ColumnarReader,
    RowGroups,
    Stretch,
    StretchEnd,
    Unsplittable,
    schema,
)
from slalang.engine.run import kernel_for, reduce_batch
from slalang.evaluate.aggregate import Totals, Window
from slalang.evaluate.run import Frame, Progress, Span, counting, field_specs, frame, report
from slalang.memory import FORK, gc_paused, refuse_pandas
from slalang.render.report.json_text import Entries, Prerendered, compact

BUDGET = 512 << 20
"""Bytes of read events kept in memory before the input is partitioned (`run(budget=)`)."""

MERGE_ENTRIES = 65536
"""Report entries the merge of several parts' entry files holds at once, of all parts
together: each part's file is written in record batches of its share (`_block`). A fixed
batch per part made the merge hold parts times batch entries, several copies of each (the
blocks, the sorted and the joined text): 1.2 GB with 256 parts on 10M events."""
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
    files: dict[str, str] | None = None  # written to these files: record batches, or
    stored: bool = False  # joined text (`StoredText`)
    profile: _Profile | None = None  # `summarize`'s counts, instead of a replay


@dataclass(frozen=True, slots=True)
class _Task:
    """One partition's replay: everything a worker process needs, small to send."""

    plan: Mapping[str, Any]
    sources: tuple[str, ...]  # its spill files (one per reading process); none: `table`
    as_of: int | None  # None: only assemble (to learn the partition's last instant)
    window: Window
    dedupe: bool
    out: str | None  # directory for its entry files; None: keep them in memory
    block: int | None = MERGE_ENTRIES  # entries per record batch; None: joined text
    profile: bool = False  # count for `summarize` instead of replaying
    # the plans replaying the partition, each its own events picked out of `plan`'s (which
    # reads and assembles it) and its entries under `out/<index>`; none: `plan` replays it
    replays: tuple[Mapping[str, Any], ...] = ()


def _evaluate_part(task: _Task, table: pa.Table | Apart | None = None) -> list[_Part]:
    """Assemble one spilled partition and, given `as_of`, replay it: a part for each plan
    that replays it; a pure function of the task (run in a worker process)."""
    if table is None:
        table = _spilled(task.sources)
    batch, part = _assembled(task.plan, table, task.dedupe)
    del table
    give_back()
    if task.profile:
        part.profile = _profile(batch)
        return [part]
    if not task.replays:
        if task.as_of is None:
            return [part]
        return [_replay(task.plan, batch, task.as_of, task.window, part, task.out, task.block)]
    parts = []
    for index, plan in enumerate(task.replays):
        own = replace(part)
        if task.as_of is not None:
            out = None
            if task.out is not None:
                out = os.path.join(task.out, str(index))
                os.makedirs(out, exist_ok=True)
            recoded = _recoded(batch, plan)
            own = _replay(plan, recoded, task.as_of, task.window, own, out, task.block)
        parts.append(own)
    return parts


def _spilled(sources: Sequence[str]) -> Apart:
    """A partition's events from its spill files (each with its fields' file), mapped,
    not copied."""
    tables: list[pa.Table] = []
    fields: list[pa.Table] = []
    for path in sources:
        for into, name in ((tables, path), (fields, _fields_file(path))):
            with pa.memory_map(name) as source:
                into.append(pa.ipc.open_stream(source).read_all())
    table = pa.concat_tables(tables)
    rows = np.flatnonzero(table.column(FIELDED).to_numpy())
    return Apart(table.drop_columns([FIELDED]), pa.concat_tables(fields), rows)


def _enough_files(count: int) -> None:
    """Let this process hold `count` more files open. A read holds each partition's spill
    file and its fields' file open while it writes them (up to 512), past the soft limit
    some systems start with (macOS 256, many Linux sessions 1,024), so the soft limit is
    raised toward the hard one, as databases and build tools do. Where it cannot be,
    opening the files fails as it did, with the system's reason."""
    try:
        import resource
    except ImportError:  # not a Unix system: no such limit to raise
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = count + 256  # the files the process holds besides: inputs, pipes, libraries
    if soft == resource.RLIM_INFINITY or soft >= want:
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(
            resource.RLIMIT_NOFILE,
            (want if hard == resource.RLIM_INFINITY else min(want, hard), hard),
        )


FIELDED = "fielded"
"""The column of a spill file saying which of its rows set a field: their field columns
are in a file of their own beside it (`_fields_file`), as `Apart` holds them."""


def _fields_file(path: str) -> str:
    return path.removesuffix(".arrow") + ".fields.arrow"


def _assembled(
    plan: Mapping[str, Any], table: pa.Table | Apart, dedupe: bool, threads: int = 0
) -> tuple[Batch, _Part]:
    """The batch of `table`, and a part holding its input accounting."""
    specs = field_specs(plan)
    batch, duplicates = assemble(table, specs, plan["events"], InputStats(), dedupe, threads)
    return batch, _Part(duplicates, len(batch.lead_ids), batch.stats.first_ts, batch.stats.last_ts)


def _replay(
    plan: Mapping[str, Any],
    batch: Batch,
    as_of: int,
    window: Window,
    part: _Part,
    out: str | None,
    block: int | None = MERGE_ENTRIES,
) -> _Part:
    """`part` with the totals and report entries of every lead of `batch`; the entries are
    kept in memory, or written under the directory `out`: as (lead, line) record batches
    of `block` entries, for the merge by lead; or, given no `block` (the parts of the run
    are in lead order), as the text the report holds, which is copied into it as it is."""
    folded = reduce_batch(plan, batch, as_of, window)
    entries = folded.entries
    part.totals = folded.totals
    part.severities = folded.severities
    part.counts = {section: len(rows) for section, rows in entries.items()}
    if out is None:
        part.entries = entries
        return part
    part.files = {}
    with _temporary("report entries", out):
        if block is None:
            for section, rows in entries.items():
                part.files[section] = path = os.path.join(out, f"{section}.txt")
                store(path, rows.text)
            part.stored = True
            return part
        lead_ids = pa.array(batch.lead_ids, pa.string())
        for section, rows in entries.items():
            path = os.path.join(out, f"{section}.arrow")
            table = rows.table(lead_ids)
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
                # the merge holds one batch of every part's file at once
                writer.write_table(table, max_chunksize=block)
            part.files[section] = path
    return part


# -- partitioning ------------------------------------------------------------------------------


def lead_hash(leads: pa.Array) -> npt.NDArray[np.uint64]:
    """FNV-1a of each lead id's UTF-8 bytes: stable across runs, processes and machines
    (Python's `hash` of a str is not). A log is mostly written lead by lead, so only the
    first id of each run of equal ids is hashed (a fifth of the rows of the seed sample)."""
    return _per_run(leads.cast(pa.string()), _fnv1a)


def _per_run(leads: pa.Array, of: Callable[[pa.Array], npt.NDArray[Any]]) -> npt.NDArray[Any]:
    """`of(leads)`, worked out on the first id of each run of equal ids and repeated over
    the run; row by row when the runs are too short to share (a log in time order)."""
    n = len(leads)
    if n < 2 or leads.null_count:
        return of(leads)
    heads = run_heads(leads)
    if 2 * len(heads) > n:
        return of(leads)
    return np.repeat(of(leads.take(heads)), np.diff(heads, append=n))


def _fnv1a(leads: pa.Array) -> npt.NDArray[np.uint64]:
    """FNV-1a of each id, vectorised over the ids a byte position at a time."""
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


def lead_range(leads: pa.Array, bounds: pa.Array) -> npt.NDArray[np.intp]:
    """For each lead id, how many of the sorted `bounds` are at or before it in UTF-8 byte
    order (code-point order, the report's): its range partition, so that the partitions
    in turn hold the leads in order. Each run of equal ids is placed once, by one stable
    sort of the ids among the bounds (a bound sorts before an equal id)."""

    def placed(ids: pa.Array) -> npt.NDArray[np.intp]:
        order = pc.sort_indices(pa.concat_arrays([bounds.cast(ids.type), ids])).to_numpy()
        bound = order < len(bounds)
        found = np.empty(len(ids), np.intp)
        found[order[~bound] - len(bounds)] = np.cumsum(bound)[~bound]
        return found

    return _per_run(leads, placed)


def _range_bounds(samples: Sequence[pa.Array], parts: int) -> pa.Array:
    """Up to `parts - 1` lead ids cutting the sampled ids (one per sampled event) into
    runs of about equal events: the bounds of range partitions of about equal size."""
    ids = pa.chunked_array(samples, pa.string()).combine_chunks()
    ordered = ids.take(pc.sort_indices(ids))
    picks = np.arange(1, parts, dtype=np.int64) * len(ordered) // parts
    return pc.unique(ordered.take(pa.array(picks, pa.int64()))) if len(ordered) else ordered


class _Store:
    """Read chunks, in memory until they pass the budget, then partitioned into spill
    files (`parts` Arrow IPC streams under `directory`) by a hash of the lead id, or, given
    sorted `bounds`, by the range of ids it falls in (`lead_range`); with `spill`, from the
    first chunk on (an input known to be larger than the budget: holding the budget's
    worth of chunks first would only add it to the peak)."""

    def __init__(
        self,
        schema: pa.Schema,
        budget: int,
        directory: Path,
        parts: int,
        *,
        spill: bool,
        name: str = "part",
        bounds: pa.Array | None = None,
    ) -> None:
        self.schema = schema
        self.budget = budget
        self.directory = directory
        self.parts = parts  # with `bounds`, one more than they are
        self.bounds = bounds
        self.name = name
        self.tables: list[Apart] = []
        self.size = 0
        self.writers: list[Any] = []
        self.max_ts: int | None = None
        if spill:
            self._open()

    @property
    def spilled(self) -> bool:
        return bool(self.writers)

    def add(self, chunk: Chunk) -> None:
        with self._writing():
            self._add(chunk)

    def _add(self, chunk: Chunk) -> None:
        if len(chunk):
            top = int(chunk.ts.max())
            self.max_ts = top if self.max_ts is None else max(self.max_ts, top)
        piece = Apart.of(chunk)
        if self.writers:
            self._spill(piece)
            return
        self.tables.append(piece)
        self.size += piece.nbytes
        if self.size > self.budget:
            self._open()
            for held in self.tables:
                self._spill(held)
            self.tables = []

    def _open(self) -> None:
        core, fields = split_schema(self.schema)
        core = core.append(pa.field(FIELDED, pa.bool_()))
        _enough_files(2 * self.parts)
        with self._writing():
            for index in range(self.parts):
                pair: list[tuple[Any, Any]] = []
                self.writers.append(pair)
                for path, shape in (
                    (self._path(index), core),
                    (_fields_file(self._path(index)), fields),
                ):
                    sink = pa.OSFile(path, "wb")
                    pair.append((sink, pa.ipc.new_stream(sink, shape)))

    def _spill(self, piece: Apart) -> None:
        table, fields = piece.table, piece.fields
        if not len(table):
            return
        mark = np.zeros(len(table), bool)
        mark[piece.rows] = True
        if self.parts == 1:
            self._write(0, table, mark, fields)
            return
        leads = table.column("lead").combine_chunks()
        part: npt.NDArray[Any]
        if self.bounds is not None:
            part = lead_range(leads, self.bounds)
            cuts = np.flatnonzero(part[1:] != part[:-1]) + 1
            if len(cuts) * 1024 < len(table):  # a log written lead by lead: long runs
                edges = [0, *cuts.tolist(), len(table)]
                before = np.searchsorted(piece.rows, edges).tolist()
                for (lo, hi), (a, b) in zip(pairwise(edges), pairwise(before), strict=True):
                    self._write(
                        int(part[lo]), table.slice(lo, hi - lo), mark[lo:hi], fields.slice(a, b - a)
                    )
                return
        else:
            part = lead_hash(leads) % np.uint64(self.parts)
        # a byte holds the partition (up to _MAX_PARTS): numpy sorts bytes by a radix sort
        part = part.astype(np.min_scalar_type(self.parts - 1))
        order = np.argsort(part, kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(part, minlength=self.parts))))
        ordered = table.take(pa.array(order))
        marked = mark[order]
        # a field row's place in `fields` is the number of field rows before it
        moved = fields.take(pa.array(np.searchsorted(piece.rows, order[marked])))
        before = np.concatenate(([0], np.cumsum(marked)))
        for index in range(self.parts):
            lo, hi = int(bounds[index]), int(bounds[index + 1])
            if hi > lo:
                a, b = int(before[lo]), int(before[hi])
                self._write(index, ordered.slice(lo, hi - lo), marked[lo:hi], moved.slice(a, b - a))

    def _write(
        self, index: int, table: pa.Table, mark: npt.NDArray[np.bool_], fields: pa.Table
    ) -> None:
        """Rows of partition `index`, `mark` saying which set a field, and those rows'
        fields."""
        (_, core), (_, beside) = self.writers[index]
        core.write_table(table.append_column(FIELDED, pa.array(mark)))
        if len(fields):
            beside.write_table(fields)

    def _path(self, index: int) -> str:
        return str(self.directory / f"{self.name}-{index}.arrow")

    def close(self) -> list[str]:
        """Each partition's spill file (its fields' file beside it, `_fields_file`)."""
        with self._writing():
            for pair in self.writers:
                for sink, writer in pair:
                    writer.close()
                    sink.close()
        return [self._path(index) for index in range(len(self.writers))]

    def _writing(self) -> contextlib.AbstractContextManager[None]:
        """A spill file that cannot be opened or written (the disk full, too many files
        open) stops the run with one line naming the directory."""
        return _temporary("spill files", self.directory, self._let_go)

    def _let_go(self) -> None:
        """The spill files closed after a failed write (removing the directory needs a
        file closed), and forgotten: `close`, on the way out, must not write to them."""
        for pair in self.writers:
            for sink, _ in pair:
                sink.close()
        self.writers = []


@contextlib.contextmanager
def _temporary(
    what: str, directory: Path | str, failed: Callable[[], object] | None = None
) -> Iterator[None]:
    """Files of the run's temporary directory written inside the block: one that cannot be
    (the disk full, too many files open) stops the run with one line naming the
    directory, once `failed` has let go of what was open."""
    try:
        yield
    except OSError as exc:
        if failed is not None:
            failed()
        raise SlalangError(f"cannot write {what} in {directory}: {temporary_reason(exc)}") from None


# -- the run -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """A finished evaluation: the report without its long lists, and where they are.

    `lazy()` gives the report with its long lists as entries parsed on each pass over
    them (and JSON writes their text as it is), `report()` builds the whole dict. Entry
    files live in the run's temporary directory, so both must be used inside `run`'s
    context."""

    skeleton: dict[str, Any]
    parts: list[_Part]
    severities: set[str]

    def section(self, section: str) -> Prerendered:
        """One long list as report JSON text, read from the run's files (or the one part
        held in memory) as it is iterated; each call gives a fresh pass."""
        tail = []
        if section == "violations":
            tail = [compact(v) for v in self.skeleton["violations"]]
        held = [p for p in self.parts if p.entries is not None or p.files is not None]
        if len(held) == 1 and held[0].entries is not None:  # one part, in memory
            return Text.of(held[0].entries[section].text, tail)
        count = sum(p.counts.get(section, 0) for p in self.parts)
        if held and all(p.stored for p in held):  # in lead order, the report's text
            stored = [p.files[section] for p in held if p.files is not None]
            return StoredText(count, stored, tail)
        # merged from several parts' entry files in lead order, a round at a time
        return Text(count, functools.partial(_merged, held, section), tail)

    def report(self, sections: Sequence[str] = SECTIONS) -> dict[str, Any]:
        """The report as a dict, with those of its long lists that are asked for, the
        others left out (one dict an entry: 10M events make three million of them)."""
        report = self.lazy(sections)
        for section in sections:
            report[section] = list(report[section])
        return report

    def lazy(self, sections: Sequence[str] = SECTIONS) -> dict[str, Any]:
        """`report(sections)` with its long lists as `Entries`, parsed from the run's files
        on each pass over them, so a renderer holds one entry at a time: to be rendered
        inside `run`'s context."""
        report = dict(self.skeleton)
        for section in SECTIONS:
            if section in sections:
                report[section] = Entries.parsed(functools.partial(self.section, section))
            else:
                del report[section]
        return report


def _merged(parts: list[_Part], section: str) -> Iterator[pa.Array]:
    """The section's entry lines of every part in lead order, a round at a time.

    Each part's entries are in lead order and a lead's entries are all in one part (its
    partition), so a k-way merge needs no per-entry step: of the entries read, every one
    up to the smallest last lead of a part that has more to read is final, and those are
    put in order together by a stable sort on the lead (UTF-8 byte order is code-point
    order, the reference's). Each part holds at least a block before a round (under two),
    so the part that sets the bound gives all of its block and a round takes about a
    block of every part: few rounds, each a few Arrow calls per part; memory holds about
    `MERGE_ENTRIES` to twice that, however many parts there are."""
    block = _block(len(parts))
    streams = [_part_batches(p, section, block) for p in parts]
    if len(streams) == 1:
        for batch in streams[0]:
            if len(batch):
                yield batch.column(1)
        return
    pending: list[list[pa.RecordBatch]] = [[] for _ in streams]
    finished = [False] * len(streams)
    while True:
        for index, stream in enumerate(streams):
            while not finished[index] and sum(map(len, pending[index])) < block:
                batch = next(stream, None)
                finished[index] = batch is None
                if batch is not None:
                    pending[index].append(batch)
        held = [(i, pa.Table.from_batches(b)) for i, b in enumerate(pending) if b]
        if not held:
            return
        lasts = [t.column(0)[t.num_rows - 1].as_py() for i, t in held if not finished[i]]
        bound = min(lasts) if lasts else None
        taken = []
        for index, table in held:
            final = table.num_rows
            if bound is not None:  # the part's leads are sorted: the first ones are final
                final = pc.sum(pc.less_equal(table.column(0), bound)).as_py() or 0
            taken.append(table.slice(0, final))
            pending[index] = [b for b in table.slice(final).to_batches() if len(b)]
        ready = pa.concat_tables(taken)
        if ready.num_rows:
            order = pc.sort_indices(ready.column(0))
            yield ready.column(1).take(order).combine_chunks()


def _block(parts: int) -> int:
    """Entries per record batch of each of `parts` parts' entry files."""
    return max(1, MERGE_ENTRIES // parts)


def _part_batches(part: _Part, section: str, block: int) -> Iterator[pa.RecordBatch]:
    """A part's (lead, line) entries of one section as record batches."""
    if part.entries is not None:
        yield from part.entries[section].table().to_batches(max_chunksize=block)
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
    tables: list[Apart]  # the events held in memory (none: spilled)
    sources: list[tuple[str, ...]]  # each partition's spill files (none: in memory)
    max_ts: int | None  # the latest instant read
    directory: Path  # the run's temporary directory
    workers: _Workers
    ordered: bool = False  # partitions hold ranges of leads in order (else hashed)

    @property
    def spilled(self) -> bool:
        return bool(self.sources)

    @property
    def dedupe(self) -> bool:
        return self.reader.ref.has_ids

    def assembled(self, plan: Mapping[str, Any]) -> tuple[Batch, _Part]:
        """The batch of the events held in memory, and its part (the input accounting);
        the read blocks are let go as soon as they are sorted."""
        table = Apart.joined(self.tables, self.reader.schema)
        self.tables = []
        # the run's only process now: its cores encode the fields (two did as well as more)
        threads = 2 if self.workers.jobs > 1 else 0
        batch, whole = _assembled(plan, table, self.dedupe, threads)
        del table
        give_back()
        return batch, whole


class _Workers:
    """`jobs` worker processes, started when first asked for and kept until `afresh` or the
    end of the run. Where forking is safe, the partitions are replayed by workers forked
    after the read, when this process has loaded numba and the kernel meanwhile (`_warm`);
    elsewhere the processes that read a file's stretches replay them, so each imports the
    engine once. `map` waits for every task, also when one fails, so that no worker still
    writes in the temporary directory when it is removed."""

    def __init__(self, jobs: int, method: str | None = None) -> None:
        self.jobs = jobs
        self.method = method or _start_method()
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._pool is not None

    def map(
        self,
        function: Callable[[Any], Any],
        tasks: Sequence[Any],
        meanwhile: Callable[[], object] | None = None,
        watch: Callable[[Sequence[Future[Any]]], object] | None = None,
    ) -> list[Any]:
        """`function` of each task, in order; `meanwhile` runs here while they do. `watch`
        is shown the tasks as they start, then every WATCH seconds once `meanwhile` is
        done, and once they are all done."""
        if self._pool is None:
            self._pool = _processes(self.jobs, self.method)
        futures = [self._pool.submit(function, task) for task in tasks]
        try:
            if watch is not None:
                watch(futures)
            if meanwhile is not None:
                meanwhile()
            while watch is not None:
                finished = not wait(futures, timeout=WATCH).not_done
                watch(futures)
                if finished:
                    break
        finally:
            wait(futures)
        return [future.result() for future in futures]

    def afresh(self) -> None:
        """Let the workers go; the next tasks go to workers forked from this process as it
        is then (with what it has loaded since), without the memory the others touched."""
        self.close()
        self.method = "fork"

    def close(self) -> None:
        """Let the workers go (idle ones still hold the memory of what they did)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


WATCH = 0.2
"""Seconds between looks at a run's progress while its workers read or replay."""


def _processes(jobs: int, method: str) -> ProcessPoolExecutor:
    """`jobs` worker processes started by `method` (`_worker_start`)."""
    return ProcessPoolExecutor(
        jobs, mp_context=multiprocessing.get_context(method), initializer=_worker_start
    )


def _worker_start() -> None:
    """A worker imports no pandas (it is the engine's own: `refuse_pandas`), and Arrow
    allocates on jemalloc in it for good (`jemalloc`; a forked worker has it already).
    SIGTERM ends it at once, whatever handler it was forked with: it holds nothing to
    clean up (the run's process removes the temporary directory once its tasks fail)."""
    refuse_pandas()
    _use_jemalloc()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def jemalloc() -> Iterator[None]:
    """Arrow's allocations on jemalloc while a run reads and replays, where pyarrow has it
    and the user has not chosen Arrow's pool (`ARROW_DEFAULT_MEMORY_POOL`); the pool before
    comes back afterwards, so a program using slalang keeps its own. The workers forked
    meanwhile allocate on it too. jemalloc keeps freed pages a while for the next blocks,
    where mimalloc (Arrow's default) gave them back and had them zeroed afresh: 10M
    events, five interleaved runs each, 6.05 -> 5.87 s and a peak of 874 -> 805 MB over
    the process tree; 1M in memory unchanged (1.26 -> 1.25 s, 423 MB)."""
    before = pa.default_memory_pool()
    _use_jemalloc()
    try:
        yield
    finally:
        pa.set_memory_pool(before)


def _use_jemalloc() -> None:
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    with contextlib.suppress(NotImplementedError):  # a pyarrow built without it
        pa.set_memory_pool(pa.jemalloc_memory_pool())


def _reader(
    plan: Mapping[str, Any],
    mapping: DataMapping | None,
    timezone: str | None,
    as_of: int | None,
    kind: type[ColumnarReader] = ColumnarReader,
) -> ColumnarReader:
    return kind(
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
    kept: Mapping[str, str] | None = None,
    spill_dir: str | None = None,
    warn: Callable[[InputStats], None] | None = None,
    parts: int | None = None,
    meanwhile: Callable[[], object] | None = None,
    spilling: Callable[[], object] | None = None,
    progress: Progress | None = None,
) -> Iterator[_Read]:
    """Read `paths` into memory (plain CSV and Parquet files by a process forked for it,
    while this one runs `meanwhile`), or into partitions once past the budget (plain CSV
    files in stretches and Parquet in runs of row groups, by `jobs` worker processes at
    once, while this one runs `spilling`; other inputs read here run it once they are
    spilled); the spill files live in a temporary directory removed when the block ends
    (also on error), after the workers are gone. An input that can be read once only
    (standard input, a named pipe) kept in a file, `kept[path]` (by the API), is read as
    a file is, named as given."""
    with (
        jemalloc(),
        tempfile.TemporaryDirectory(prefix="slalang-", dir=spill_dir) as tmp,
        contextlib.closing(_Workers(jobs)) as workers,
    ):
        directory = Path(tmp)
        kept = kept or {}
        files = [kept.get(path, path) for path in paths]
        named = {kept[path]: path for path in paths if path in kept}
        size = input_bytes(files)
        count = parts or _parts(size, budget, jobs)
        read = None
        if jobs > 1 and "-" not in files:  # standard input not kept is read here, once
            if size > budget:
                read = _read_stretches(
                    plan,
                    files,
                    mapping,
                    timezone,
                    as_of,
                    count,
                    directory,
                    workers,
                    spilling,
                    unpack=True,
                    named=named,
                    progress=progress,
                )
            elif meanwhile is not None and FORK:
                read = _read_aside(
                    plan,
                    files,
                    mapping,
                    timezone,
                    as_of,
                    directory,
                    workers,
                    meanwhile,
                    named,
                    progress,
                )
        if read is None:
            reader = _reader(plan, mapping, timezone, as_of)
            bounds = None
            if size > budget and count > 1:
                bounds = _stream_bounds(plan, files, mapping, timezone, as_of, count, named)
            fine = count if bounds is None else len(bounds) + 1
            store = _Store(
                reader.schema, budget, directory, fine, spill=size > budget, bounds=bounds
            )
            stored = stored_bytes(files)
            shown = counting(progress, "bytes") if stored else None  # a stream: size unknown
            _told(shown, 0, stored)
            try:
                for chunk in reader.read(paths, stdin, kept):
                    store.add(chunk)
                    _told(shown, min(reader.taken, stored), stored)
                _told(shown, stored, stored)
            finally:
                spilled = store.close()
                give_back()  # what was read is in the spill files, or about to be sorted
            groups = [(part, part + 1) for part in range(len(spilled))]
            if bounds is not None and spilled:  # neighbouring ranges together, by bytes
                groups = _shares([os.path.getsize(path) for path in spilled], count)
            sources = [tuple(spilled[lo:hi]) for lo, hi in groups]
            ordered = bounds is not None and bool(spilled)
            read = _Read(reader, store.tables, sources, store.max_ts, directory, workers, ordered)
            del store  # this frame lives until the run ends: `read` alone holds the blocks
            if read.spilled and spilling is not None:
                spilling()  # read here: there was no reading to do it beside
        if warn is not None:
            warn(read.reader.stats)
        yield read


@dataclass(frozen=True, slots=True)
class _Reading:
    """One reading worker's share of the input: consecutive stretches of files, each read
    from `base` on in the sequence of input positions, spilled to the partition files
    `<name>-<partition>.arrow`."""

    plan: Mapping[str, Any]
    mapping: DataMapping | None
    timezone: str | None
    as_of: int | None
    stretches: tuple[Stretch | RowGroups, ...]
    bases: tuple[int, ...]
    directory: str
    parts: int  # spill files it writes: by a hash, or one more than `bounds`
    name: str
    bounds: pa.Array | None  # range partitions' bounds (None: hash partitions)


@dataclass(slots=True)
class Stretched:
    """What reading one stretch found: its accounting (lines numbered from the stretch's
    first) and its end (line feeds, JSON keys seen); or that it `stopped`: the splitter
    could not vouch for a block, or an error stopped it (naming a line counted from the
    stretch's first, not the file's), and the input is to be read as one stream, which
    meets the same error at its place."""

    stats: InputStats
    end: StretchEnd
    zone_used: bool
    stopped: bool = False


@dataclass(slots=True)
class _Spilled:
    """What a reading worker sends back: each stretch's accounting, its spill files, the
    latest instant it read."""

    stretches: list[Stretched]
    sources: list[str]
    max_ts: int | None


def _read_share(task: _Reading) -> _Spilled:
    """In a worker: read a share of the input's stretches into partition spill files. A
    stretch the splitter cannot vouch for stops every worker (a flag file in the
    directory, looked at after each chunk): the input is read again as one stream."""
    directory = Path(task.directory)
    flag = directory / "unsplittable"
    tally = _Tally(_tally_of(task))
    done = 0  # bytes of the stretches read before this one
    store = _Store(
        schema(field_specs(task.plan)),
        0,
        directory,
        task.parts,
        spill=True,
        name=task.name,
        bounds=task.bounds,
    )
    found = []
    try:
        with ThreadPoolExecutor(1) as splitter:
            for stretch, base in zip(task.stretches, task.bases, strict=True):
                reader = _reader(task.plan, task.mapping, task.timezone, task.as_of)
                reader.base = base
                chunks = reader.read_stretch(stretch, splitter)
                try:
                    while not flag.exists():
                        store.add(next(chunks))
                        tally.count(done + reader.taken)
                    raise Unsplittable(stretch.path)
                except StopIteration as end:
                    found.append(Stretched(reader.stats, end.value, reader.ref.zone_used))
                    done += stretch.stored
                    tally.count(done)
                except (Unsplittable, SlalangError):
                    flag.touch()
                    found.append(Stretched(reader.stats, StretchEnd(0), False, stopped=True))
                    break
    finally:
        tally.close()
        sources = store.close()
        give_back()
    return _Spilled(found, sources, store.max_ts)


class _Tally:
    """A count a worker keeps for the run's process to look at (its progress): 8 bytes
    rewritten in place in a file of the run's temporary directory."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)

    def count(self, value: int) -> None:
        os.pwrite(self._fd, value.to_bytes(8, "little"), 0)

    def close(self) -> None:
        os.close(self._fd)


def _tally_of(task: _Reading) -> Path:
    return Path(task.directory) / f"{task.name}.read"


def _tallied(path: Path) -> int:
    """A `_Tally`'s count (0 before the worker has started)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(8)
    except FileNotFoundError:
        return 0
    return int.from_bytes(data, "little") if len(data) == 8 else 0


def _bytes_read(
    tasks: Sequence[_Reading], progress: Progress | None
) -> Callable[[object], None] | None:
    """What tells `progress` how many bytes of their stretches the readers of `tasks` have
    read (from their tallies), for `_Workers.map` to call as they go."""
    if progress is None:
        return None
    total = sum(stretch.stored for task in tasks for stretch in task.stretches)
    tallies = [_tally_of(task) for task in tasks]

    def watch(_: object) -> None:
        progress(min(total, sum(_tallied(path) for path in tallies)), total)

    return watch


def _read_stretches(
    plan: Mapping[str, Any],
    paths: Sequence[str],
    mapping: DataMapping | None,
    timezone: str | None,
    as_of: int | None,
    parts: int,
    directory: Path,
    workers: _Workers,
    meanwhile: Callable[[], object] | None = None,
    *,
    unpack: bool = False,
    named: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> _Read | None:
    """Plain CSV and JSON Lines files and Parquet files read by every worker at once, each
    its share of stretches of whole lines or runs of row groups, partitioned into spill
    files of its own; partition p is then the p-th file of every worker (`named`: the
    inputs some of the files are copies of, as `cut_input` takes them). With `unpack`,
    gzip files are unpacked into the temporary directory first (here, at about 300 MB of
    text a second), and their copies cut and read so (removed once read). None, with
    nothing left behind, when an input is not such a file, or a stretch holds what only
    the reference reader reads (a quoted cell over several lines, a bare carriage return,
    bytes that are not UTF-8) or meets an error: the input is then read as one stream, as
    ever.

    The accounting is the one stream's: a stretch numbers its lines from 1 and counts its
    line feeds, so its examples are moved by the lines before it (counted, or known: a
    file's first, a run of row groups) and follow those of the stretches before (the first
    ones kept are the first in input order); counts are added up; `seq` is each file's
    base plus a stretch's offset (in bytes, or rows) plus its line, increasing along the
    input as one stream's does."""
    reader = _reader(plan, mapping, timezone, as_of)
    copies = directory / "unpacked"  # gzip inputs unpacked, kept until they are read
    try:
        cut = cut_input(reader, paths, workers.jobs, copies if unpack else None, named, progress)
        if cut is None:
            return None
        every, bases = cut
        bounds = None
        if parts > 1:
            bounds = _sampled_bounds(plan, mapping, timezone, as_of, every, parts)
        files = parts if bounds is None else len(bounds) + 1  # each reader's spill files
        tasks = [
            _Reading(
                plan,
                mapping,
                timezone,
                as_of,
                tuple(every[lo:hi]),
                tuple(bases[lo:hi]),
                str(directory),
                files,
                f"read{index}",
                bounds,
            )
            for index, (lo, hi) in enumerate(_shares([s.size for s in every], workers.jobs))
        ]
        if FORK and not workers.started:
            # nothing is read here yet (no thread runs): forked, the workers have this process's
            # modules and start reading at once (from a forkserver, each imported the engine
            # first, a second of both cores)
            workers.method = "fork"
        try:
            spilled: list[_Spilled] = workers.map(
                _read_share, tasks, meanwhile, _bytes_read(tasks, counting(progress, "bytes"))
            )
        finally:
            for task in tasks:  # every reader is done with its tally
                _tally_of(task).unlink(missing_ok=True)
    finally:
        shutil.rmtree(copies, ignore_errors=True)
    stretched = [one for share in spilled for one in share.stretches]
    if not join_stretches(reader, every, stretched):
        for share in spilled:
            for path in share.sources:
                os.remove(path)
                os.remove(_fields_file(path))
        (directory / "unsplittable").unlink(missing_ok=True)
        return None
    groups = [(part, part + 1) for part in range(parts)]
    if bounds is not None:  # neighbouring ranges together, about equal in bytes
        fine = range(files)
        groups = _shares([sum(os.path.getsize(s.sources[p]) for s in spilled) for p in fine], parts)
    sources = [
        tuple(share.sources[part] for part in range(lo, hi) for share in spilled)
        for lo, hi in groups
    ]
    latest = [share.max_ts for share in spilled if share.max_ts is not None]
    return _Read(
        reader, [], sources, max(latest, default=None), directory, workers, bounds is not None
    )


def cut_input(
    reader: ColumnarReader,
    paths: Sequence[str],
    jobs: int,
    copies: Path | None = None,
    named: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> tuple[list[Stretch | RowGroups], list[int]] | None:
    """The inputs cut into stretches, about `jobs` in all, and the base of each stretch's
    input positions (`seq`); None when an input is not one to cut. With `copies` (a
    directory), a gzip file is unpacked there and its copy cut. `named` maps a file that
    is a copy of an input (standard input or a named pipe kept in a file) to the input.
    `progress` hears how many bytes of the gzip files are unpacked."""
    sizes = [input_bytes([path]) for path in paths]
    named = named or {}
    packed = [
        copies is not None and is_gzip(path) and reader.cuttable(named.get(path, path))
        for path in paths
    ]
    total = stored_bytes([path for path, unpack in zip(paths, packed, strict=True) if unpack])
    shown = counting(progress, "unpacked") if total else None
    unpacked = 0
    every: list[Stretch | RowGroups] = []
    bases: list[int] = []
    base = 0
    for index, (path, size) in enumerate(zip(paths, sizes, strict=True)):
        count = max(1, round(jobs * size / max(1, sum(sizes))))
        given = named.get(path, "")
        if copies is not None and packed[index]:
            copy = _unpacked(
                path, copies / f"{index}-{_unzipped_name(given or path)}", shown, unpacked, total
            )
            unpacked += os.path.getsize(path)
            if unpacked == total:
                _told(shown, total, total)
            found = None if copy is None else reader.stretches(copy, count, given or path)
        else:
            found = reader.stretches(path, count, given)
        if found is None:
            return None
        every += found
        lasts = {stretch.path: stretch for stretch in found}  # each file's last stretch
        for stretch in found:
            bases.append(base + stretch.start)
            if lasts[stretch.path] is stretch:
                base += stretch.end + 1
    return every, bases


def _unzipped_name(path: str) -> str:
    """The file's name without `.gz`, which keeps what tells its format (`.csv`, `.jsonl`)."""
    name = os.path.basename(path)
    return name[:-3] if name.lower().endswith(".gz") else name


def _unpacked(
    path: str, copy: Path, progress: Progress | None, before: int, total: int
) -> str | None:
    """Gzip file `path` unpacked to `copy`, `progress` told how many of the `total` bytes of
    the gzip inputs are unpacked as it goes (`before` were, in the files before it); None,
    and nothing left, where it cannot be (a damaged or cut-short file, a full disk): one
    stream then reads it and says what is wrong, as ever."""
    copy.parent.mkdir(exist_ok=True)
    try:
        with (
            open(path, "rb") as raw,
            gzip.GzipFile(fileobj=raw, mode="rb") as source,
            open(copy, "wb") as out,
        ):
            while piece := source.read(_UNPACK_PIECE):
                out.write(piece)
                _told(progress, min(before + raw.tell(), total), total)
    except (OSError, EOFError, zlib.error):
        copy.unlink(missing_ok=True)
        return None
    return str(copy)


_UNPACK_PIECE = 1 << 20


def join_stretches(
    reader: ColumnarReader, stretches: Sequence[Stretch | RowGroups], found: Sequence[Stretched]
) -> bool:
    """Give `reader` (the one that cut the input) the accounting one stream would have had,
    from what reading each stretch found; False when the input is to be read as one stream
    instead: a stretch stopped, or a JSON Lines file's objects never had a required key
    (absent from every stretch of the file), which one stream says at the file's end."""
    if any(one.stopped for one in found):  # a reader stops at it: the list may be shorter
        return False
    files: dict[str, tuple[frozenset[str], bool]] = {}  # JSON Lines: keys absent, objects seen
    for stretch, one in zip(stretches, found, strict=True):
        if isinstance(stretch, Stretch) and stretch.json:
            absent, saw = files.get(stretch.path, (one.end.absent, False))
            files[stretch.path] = (absent & one.end.absent, saw or one.end.saw_object)
    if any(absent and saw for absent, saw in files.values()):
        return False
    shift = 0
    for stretch, one in zip(stretches, found, strict=True):
        shift = shift if stretch.before is None else stretch.before
        _add_stats(reader.stats, one.stats, shift)
        shift += one.end.lines
    reader.ref.zone_used = any(one.zone_used for one in found)
    reader.ref.finish()  # as `read` ends: this settles `timezone_assumed`
    return True


_FINER = 4
"""Range partitions read per partition replayed (up to `_MAX_PARTS` in all): neighbours are
put together after the read, by their size, so that a sample's error in one bound is
evened out."""


def _sampled_bounds(
    plan: Mapping[str, Any],
    mapping: DataMapping | None,
    timezone: str | None,
    as_of: int | None,
    stretches: Sequence[Stretch | RowGroups],
    parts: int,
) -> pa.Array | None:
    """Bounds of range partitions of about equal events for a read into `parts`
    partitions, from the lead ids of windows spread evenly over the input's bytes (eight
    per partition, 16 KB each), and of a few row groups spread over its Parquet files. The
    input is cut finer than asked (what the sample missed is evened out by putting
    neighbours together afterwards). None where the sample found no bound (one lead id,
    or none at all: its windows could not be split): a hash shares out what it holds."""
    parts = min(_MAX_PARTS, _FINER * parts)  # each reader has a file open for each
    sampler = _reader(plan, mapping, timezone, as_of)
    total = max(1, sum(s.size for s in stretches))
    windows = min(4096, max(64, 8 * parts))
    groups = _spread(
        _SAMPLED_GROUPS, [s.size if isinstance(s, RowGroups) else 0 for s in stretches]
    )
    samples = [
        sampler.sample(stretch, read)
        if isinstance(stretch, RowGroups)
        else sampler.sample(stretch, max(1, round(windows * stretch.size / total)))
        for stretch, read in zip(stretches, groups, strict=True)
    ]
    bounds = _range_bounds(samples, parts)
    return bounds if len(bounds) else None


_SAMPLED_GROUPS = 4
"""Row groups of a Parquet input whose lead ids are sampled: each is read whole (the lead
column of a million rows in about 50 ms), in this process, while the cores wait."""


def _stream_bounds(
    plan: Mapping[str, Any],
    paths: Sequence[str],
    mapping: DataMapping | None,
    timezone: str | None,
    as_of: int | None,
    parts: int,
    named: Mapping[str, str],
) -> pa.Array | None:
    """Range bounds for an input read as one stream past the budget (one job, or a file a
    stretch could not be read from), sampled as for stretches, so that its partitions too
    hold leads in order and their entries are written one after another (a hash's are
    merged by lead: 1.7 s of a 10M run); None where the inputs cannot be sampled (gzip, a
    pipe) or the sample found no bound."""
    cut = cut_input(_reader(plan, mapping, timezone, as_of), paths, 1, None, named)
    return None if cut is None else _sampled_bounds(plan, mapping, timezone, as_of, cut[0], parts)


def _spread(count: int, sizes: Sequence[int]) -> list[int]:
    """`count` shared out in proportion to `sizes`, in whole numbers adding up to it (none
    where the size is 0)."""
    total = sum(sizes)
    if not total:
        return [0] * len(sizes)
    marks = [count * size // total for size in accumulate(sizes)]
    return [b - a for a, b in pairwise([0, *marks])]


def _read_aside(
    plan: Mapping[str, Any],
    paths: Sequence[str],
    mapping: DataMapping | None,
    timezone: str | None,
    as_of: int | None,
    directory: Path,
    workers: _Workers,
    meanwhile: Callable[[], object],
    named: Mapping[str, str],
    progress: Progress | None,
) -> _Read | None:
    """Plain CSV and JSON Lines files that fit in memory, read by a process forked for it
    into one spill file while this one runs `meanwhile` (loading numba and the machine
    code: half a second of Python that, on a thread, would fight the read's main thread
    for the GIL), then mapped here as the events in memory, of a run whose workers are
    `workers`. None when `_read_stretches` would be."""
    with contextlib.closing(_Workers(1, "fork")) as aside:
        read = _read_stretches(
            plan,
            paths,
            mapping,
            timezone,
            as_of,
            1,
            directory,
            aside,
            meanwhile,
            named=named,
            progress=progress,
        )
    if read is not None:
        read.tables = [_spilled(read.sources[0])]
        read.sources = []
        read.workers = workers
    return read


def _shares(sizes: list[int], jobs: int) -> list[tuple[int, int]]:
    """Runs of consecutive stretches of about equal bytes, one per worker."""
    cumulative = list(accumulate(sizes))
    total = cumulative[-1] if cumulative else 0
    cuts = {
        min(len(sizes), bisect.bisect_left(cumulative, total * k / jobs) + 1)
        for k in range(1, jobs)
    }
    return list(pairwise(sorted({0, len(sizes), *cuts})))


def _add_stats(into: InputStats, stretch: InputStats, shift: int) -> None:
    """Add a stretch's accounting, its lines numbered from `shift` + 1, to the input's: its
    examples after those before it, up to the first EXAMPLES of the input; the columns it
    read loosely (JSON Lines keys respelt in its objects) unless an earlier one did."""
    into.add_counts(stretch)
    for pair, name in stretch.loose_columns.items():
        into.loose_columns.setdefault(pair, name)
    room = EXAMPLES - len(into.rejected_examples)
    into.rejected_examples += [
        example._replace(line=example.line + shift) for example in stretch.rejected_examples[:room]
    ]
    room = EXAMPLES - len(into.bad_value_examples)
    into.bad_value_examples += [
        example._replace(line=example.line + shift) for example in stretch.bad_value_examples[:room]
    ]


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
    kept: Mapping[str, str] | None = None,
    spill_dir: str | None = None,
    warn: Callable[[InputStats], None] | None = None,
    parts: int | None = None,
    progress: Progress | None = None,
) -> Iterator[Outcome]:
    """Evaluate `plan` on `paths` with the columnar engine; the outcome is valid inside
    the `with` block, and every spill and entry file is gone after it (also on error).
    `warn` sees the input accounting once everything is read (it may raise to stop the
    run); `parts` fixes the number of partitions a spilled run uses; `kept` maps inputs
    read once (standard input, named pipes) to the files they were kept in (`_read`).
    `progress` hears how much of the input the workers have read, then how many parts of
    the leads are replayed (`Progress`)."""
    jobs = jobs or default_jobs()
    window = Window(span.start, span.end)
    with _replaying(
        plan,
        (plan,),
        paths,
        mapping=mapping,
        timezone=timezone,
        as_of=as_of,
        jobs=jobs,
        budget=budget,
        stdin=stdin,
        kept=kept,
        spill_dir=spill_dir,
        warn=warn,
        parts=parts,
        progress=progress,
    ) as read:
        if not read.spilled:
            batch, whole = read.assembled(plan)
            at = as_of if as_of is not None else batch.stats.last_ts
            done = (
                [whole]
                if at is None
                else _in_memory(plan, batch, whole, at, window, jobs, str(read.directory), progress)
            )
        else:
            if FORK:
                read.workers.afresh()  # forked from here, numba loaded while they read
            [done] = _replayed(plan, (), read, as_of, window, progress)
        read.workers.close()  # before the report is merged and written
        spill = [path for sources in read.sources for path in sources]
        with _removing(spill + [_fields_file(path) for path in spill]):
            yield _outcome(plan, read.reader.stats, done, as_of, span, metrics)


@contextlib.contextmanager
def _replaying(
    plan: Mapping[str, Any],
    replays: Sequence[Mapping[str, Any]],
    paths: Sequence[str],
    *,
    budget: int | None,
    **options: Any,
) -> Iterator[_Read]:
    """`_read` of a run whose `replays` replay what is read as `plan`, with numba and
    their kernels loaded while the input is read elsewhere (by a forked process, when this
    one replays; or by the workers, when the partitions' workers are forked from here
    afterwards or load the kernels from the cache: `_warm`), and the collector paused for
    the whole run: it makes few objects that could form a cycle, and the collector's
    passes over the long-lived ones (numba's registries) cost 0.05 s on 1M."""
    with (
        gc_paused(),
        _read(
            plan,
            paths,
            budget=budget or BUDGET,
            meanwhile=lambda: _load(replays),
            spilling=lambda: _warm(replays),
            **options,
        ) as read,
    ):
        yield read


@contextlib.contextmanager
def _removing(paths: list[str]) -> Iterator[None]:
    """The spill files removed on a thread while the report is written (the kernel frees
    their pages, a gigabyte on 10M events, on the other core), gone when the block ends."""
    if not paths:
        yield
        return

    def remove() -> None:
        for path in paths:
            with contextlib.suppress(OSError):  # what is left, the directory's removal takes
                os.remove(path)

    thread = threading.Thread(target=remove)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _warm(plans: Sequence[Mapping[str, Any]]) -> None:
    """What the partitions' workers need to replay `plans`, while the input is read. Where
    they are forked from this process afterwards (`_Workers.afresh`), numba, the assembling
    loop and the kernels are loaded here, once, instead of in each of them (0.5 s of a core
    each). Else (they start afresh) each kernel is compiled into the cache they load it
    from, when it is not there: loading numba here would only take a core from the readers."""
    if FORK:
        _load(plans)
        return
    for plan in plans:
        if supports(plan) is None and not cached(plan):
            kernel_for(plan)


def _load(plans: Sequence[Mapping[str, Any]]) -> None:
    """numba, the assembling loop and the kernels of `plans` loaded here (about half a
    second of a core the first time): what replaying in this process, or in workers forked
    from it, needs."""
    arranging()
    for plan in plans:
        kernel_for(plan)


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
    as_of: int | None = None,
    jobs: int | None = None,
    budget: int | None = None,
    spill_dir: str | None = None,
    parts: int | None = None,
    stdin: BinaryIO | None = None,
    kept: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Read `paths` as `run` reads them (in memory, or partitioned past the budget, the
    partitions assembled on `jobs` cores; events after `as_of` counted, not kept) and
    count, without replaying anything; `progress` as `run`'s."""
    jobs = jobs or default_jobs()
    with _read(
        plan,
        paths,
        mapping=mapping,
        timezone=timezone,
        as_of=as_of,
        jobs=jobs,
        budget=budget or BUDGET,
        spill_dir=spill_dir,
        parts=parts,
        stdin=stdin,
        kept=kept,
        progress=progress,
    ) as read:
        if not read.spilled:
            batch, whole = read.assembled(plan)
            whole.profile = _profile(batch)
            done = [whole]
        else:
            [done] = _in_workers(
                plan, read, None, Window(None, None), profile=True, progress=progress
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


def lead_timelines(
    plan: Mapping[str, Any],
    paths: Sequence[str],
    *,
    mapping: DataMapping | None = None,
    timezone: str | None = None,
    as_of: int | None = None,
    leads: Collection[str] = (),
    stdin: BinaryIO | None = None,
    kept: Mapping[str, str] | None = None,
) -> dict[str, list[Event]]:
    """The events of LEADS in `paths`, as the reference reader would give them, read in
    one stream by the columnar reader: a few leads' timelines from an export of any size,
    for the stories the HTML report embeds and `slalang explain` (`slalang.engine.leads`)."""
    from slalang.engine.leads import LeadReader, Wanted

    reader = _reader(plan, mapping, timezone, as_of, LeadReader)
    assert isinstance(reader, LeadReader)
    reader.wanted = Wanted(frozenset(leads))
    return reader.timelines(paths, stdin, kept)


@dataclass(frozen=True, slots=True)
class _Profile:
    """One partition's counts for `Summary`."""

    lead_ids: Sequence[str]
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
    progress: Progress | None = None,
) -> list[_Part]:
    """Replay a batch held in memory: here, or on `jobs` cores by forked workers that
    each replay a run of consecutive leads of the very same arrays (no spill, no copy).
    `whole` keeps the input accounting; the runs' parts hold the totals and entries, and
    since the runs are in lead order, merging them by lead is concatenating them.
    `progress` hears how many of the runs are replayed."""
    shown = counting(progress, "parts")
    if jobs <= 1 or len(batch) < PARALLEL or not FORK:

        def alone(leads: Batch) -> _Part:
            return _replay(plan, leads, as_of, window, whole, None)

        return _counted(None, alone, [batch], shown)
    bounds = _bounds(batch.offsets, 2 * jobs)  # twice the workers: a busy core holds less up
    kernel_for(plan)  # compiled once, here: the workers inherit it
    global _shared
    _shared = _Shared(plan, batch, as_of, window, directory)
    try:
        runs = list(enumerate(pairwise(bounds)))
        with contextlib.closing(_Workers(min(jobs, len(runs)), "fork")) as workers:
            replayed = _counted(workers, _replay_run, runs, shown)
    finally:
        _shared = None
    return [whole, *replayed]


def _told(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None:
        progress(done, total)


def _counted(
    workers: _Workers | None,
    function: Callable[[Any], Any],
    tasks: Sequence[Any],
    shown: Progress | None,
) -> list[Any]:
    """`function` of each task, in order, here (no `workers`) or by `workers`, `shown` told
    how many are done as they finish."""
    _told(shown, 0, len(tasks))
    if workers is None:
        done = []
        for task in tasks:
            done.append(function(task))
            _told(shown, len(done), len(tasks))
        return done

    def watch(futures: Sequence[Future[Any]]) -> None:
        _told(shown, sum(future.done() for future in futures), len(futures))

    return workers.map(function, tasks, watch=watch if shown else None)


def _replay_run(run: tuple[int, tuple[int, int]]) -> _Part:
    """In a forked worker: replay run `index`, leads `lo:hi`, of the shared batch."""
    index, (lo, hi) = run
    shared = _shared
    assert shared is not None
    out = os.path.join(shared.directory, f"run-{index}")
    os.mkdir(out)
    leads = _leads(shared.batch, lo, hi)
    return _replay(shared.plan, leads, shared.as_of, shared.window, _Part(), out, None)


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


def _replayed(
    plan: Mapping[str, Any],
    replays: tuple[Mapping[str, Any], ...],
    read: _Read,
    as_of: int | None,
    window: Window,
    progress: Progress | None = None,
) -> list[list[_Part]]:
    """The spilled partitions replayed at `as_of`, or else at the latest instant read (a
    guess: when the latest event was a dropped duplicate, they are replayed again at the
    real as-of); the parts of each plan replaying them (see `_in_workers`)."""
    guess = as_of if as_of is not None else read.max_ts
    done = _in_workers(plan, read, guess, window, replays=replays, progress=progress)
    if as_of is None and _last(done[0]) != guess:
        done = _in_workers(plan, read, _last(done[0]), window, replays=replays, progress=progress)
    return done


def _in_workers(
    plan: Mapping[str, Any],
    read: _Read,
    as_of: int | None,
    window: Window,
    *,
    profile: bool = False,
    replays: tuple[Mapping[str, Any], ...] = (),
    progress: Progress | None = None,
) -> list[list[_Part]]:
    """Each spilled partition assembled (as `plan` reads it) and replayed (or profiled) by
    the run's workers: the partitions' parts of each plan replaying them (`replays`, or
    `plan` alone), in partition order; `progress` hears how many are done (`counted`
    when profiled)."""
    shown = counting(progress, "counted" if profile else "parts")
    tasks = []
    # range partitions' entries are the report's text, one partition after another
    block = None if read.ordered else _block(len(read.sources))
    for index, sources in enumerate(read.sources):
        out = read.directory / f"out-{index}"
        out.mkdir(exist_ok=True)
        tasks.append(
            _Task(plan, sources, as_of, window, read.dedupe, str(out), block, profile, replays)
        )
    here = read.workers.jobs <= 1 or len(tasks) <= 1
    each = _counted(None if here else read.workers, _evaluate_part, tasks, shown)
    return [[parts[k] for parts in each] for k in range(len(replays) or 1)]


def _start_method() -> str:
    """forkserver where there is one (the run's long-lived workers start clean, without the
    parent's pages or threads), else spawn. Plain fork makes the processes forked before
    anything is read (`_read_stretches`' readers, `_read_aside`'s reader), the partitions'
    workers forked once the read is done, with numba loaded (`_Workers.afresh`), and
    `_in_memory`'s runs (which share the batch)."""
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


@contextlib.contextmanager
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
    budget: int | None = None,
    parts: int | None = None,
    stdin: BinaryIO | None = None,
    kept: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """The report of each of `plans` on one read of the events (`slalang diff`), valid
    inside the `with` block, with its violations and without its stages and clocks: a diff
    compares violations, SLAs and targets, and the other lists, as Python objects, are most
    of a report (10M events: 2.9 million entries a plan, 8.8 GB for two). The violations
    are a lazy view (`Outcome.lazy`), each read from the run's files as it is reached
    (100M events: 1.7 million a plan), in report order.

    The events are read once, as `read_as` (its fields and events cover every plan's, and
    every plan declares all of its event types), so all plans see the same events, counts
    and as-of, as the reference engine gives them. They are read as `run` reads them: in
    memory, or partitioned past the budget on `jobs` cores (so memory stays flat at any
    size); the events held, or each partition, are sorted once and replayed by each plan,
    its event codes and fields picked out."""
    jobs = jobs or default_jobs()
    window = Window(span.start, span.end)
    replays = tuple(plans)
    with _replaying(
        read_as,
        replays,
        paths,
        mapping=mapping,
        timezone=timezone,
        as_of=as_of,
        jobs=jobs,
        budget=budget,
        warn=warn,
        parts=parts,
        stdin=stdin,
        kept=kept,
        progress=progress,
    ) as read:
        if not read.spilled:
            batch, whole = read.assembled(read_as)
            at = as_of if as_of is not None else batch.stats.last_ts
            each = []
            for index, plan in enumerate(replays):
                own = replace(whole)
                directory = read.directory / f"plan-{index}"
                directory.mkdir()
                recoded = _recoded(batch, plan)
                each.append(
                    [own]
                    if at is None
                    else _in_memory(plan, recoded, own, at, window, jobs, str(directory), progress)
                )
        else:
            if FORK:
                read.workers.afresh()  # forked from here, numba loaded while they read
            each = _replayed(read_as, replays, read, as_of, window, progress)
        read.workers.close()
        reports = []
        for plan, done in zip(replays, each, strict=True):
            outcome = _outcome(plan, read.reader.stats, done, as_of, span, metrics)
            reports.append(outcome.lazy(("violations",)))
        yield reports


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
