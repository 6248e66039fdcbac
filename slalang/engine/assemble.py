"""Chunks of read events → a `Batch`: duplicates dropped, rows sorted, fields encoded.

This is the columnar counterpart of the reference reader's `finish`: repeated event ids are
dropped per lead keeping the first in input order (RUNNER §5), each lead's events are
sorted by (timestamp, input order), and leads come in code-point order. It runs on a whole
log or on one partition of it (a partition holds every event of its leads), so the same
code serves the in-memory and the spilled path.

It runs on every event the engine reads, so it is built to cost a few passes over the rows:

- lead ids are dictionary-encoded once (the first row of each run of equal ids: a log is
  mostly written lead by lead) and only the distinct ids are sorted; a row then carries
  its lead's rank, a small integer;
- rows are placed by a counting sort on the lead rank, in input order; then each lead's
  rows, a handful, drop the repeated event ids and are sorted by timestamp with a stable
  sort, so ties keep input order (`_arrange`, a loop compiled by numba like the kernel).
  Event ids are hashed and compared as bytes within their lead only: the millions of
  distinct ids are never put in one hash table, and no Python string is made per row;
- field columns are dictionary-encoded in input order, only their set cells (most events
  set few fields), and those codes moved to their rows' places in the batch;
- the reader's blocks are never copied into one table: every column is read chunk by
  chunk (a chunked column's dictionary encoding has one dictionary for all its chunks), and
  only the event ids and the numeric columns the loop reads are put together. Small chunks
  (a spilled partition's, a slice of every block) are combined first: a few calls per
  chunk and column would cost more than the copy.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from slalang.data.log import InputStats
from slalang.data.values import FieldSpec
from slalang.engine.batch import MISSING, Batch, Column, Int64Array, Values
from slalang.memory import gc_paused

Arranged = tuple[Int64Array, Int64Array, int]

_CHUNK_ROWS = 1 << 16
"""Rows per chunk, on average, below which a table's chunks are combined before assembling."""


def concat(tables: Sequence[pa.Table], schema: pa.Schema) -> pa.Table:
    """The tables as one (an empty one of `schema` when there are none), each table's
    columns kept as chunks: `assemble` reads chunked columns, and combining them would
    copy every cell once more (on a million events the largest single step)."""
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables)


def assemble(
    table: pa.Table,
    specs: Mapping[str, FieldSpec],
    event_types: Sequence[str],
    stats: InputStats,
    dedupe: bool,
    threads: int = 0,
) -> tuple[Batch, int]:
    """The batch of `table` (columns as `reader.schema`, in any number of chunks) and how
    many duplicates were dropped. `stats` is copied into the batch with `duplicates`,
    `events`, `leads`, `first_ts` and `last_ts` brought up to date for these rows.

    With `threads`, the fields' cells are encoded on that many threads while the rows are
    arranged: for a process that has the cores to itself (not one of several workers,
    where the threads would only contend for the same cores)."""
    if table.num_rows < _CHUNK_ROWS * table.column("ts").num_chunks:
        # small chunks (a spilled partition holds a slice of every block): each costs a few
        # calls per column, more than copying them into one
        table = table.combine_chunks()
    # the fields' cells are encoded on other threads (Arrow lets go of the GIL) while the
    # rows are arranged here; only placing the codes needs the arrangement (without
    # `threads`, each is encoded when placed, and the pool starts no thread)
    with ThreadPoolExecutor(max(1, threads)) as pool:
        encoding: dict[str, Callable[[], _Encoded]] = {}
        for name, spec in specs.items():
            cells = table.column(f"f:{name}")
            encoding[name] = (
                pool.submit(_encoded, cells, spec).result
                if threads
                else functools.partial(_encoded, cells, spec)
            )
        leads, lead_ids = _lead_ranks(table.column("lead"))
        ts = _numbers(table.column("ts"))
        seq = _numbers(table.column("seq"))
        # rows in input order (reading keeps them almost so: a stable sort of a few runs)
        inputs = (
            np.arange(len(seq), dtype=np.int64)
            if bool(np.all(seq[1:] > seq[:-1]))
            else np.argsort(seq, kind="stable")
        )
        ids = table.column("event_id")
        rows, offsets, duplicates = arranging()(
            leads, len(lead_ids), ts, inputs, *_buffers(ids), dedupe and ids.null_count < len(ids)
        )
        del inputs, leads, ids
        # the ids' copy and the lead ranks' temporaries go back to the system before the
        # fields' codes are placed, the peak of a run held in memory: 1M in memory,
        # 486-519 -> 445-459 MB over the process tree
        give_back()
        place = np.full(len(table), -1, np.int64)
        place[rows] = np.arange(len(rows))
        columns = {
            name: _placed(encoding[name](), spec, place, len(rows)) for name, spec in specs.items()
        }
    del place
    sorted_ts = ts[rows]
    batch_stats = dataclasses.replace(
        stats,
        rejected=dict(stats.rejected),
        rejected_examples=list(stats.rejected_examples),
        unknown_events=dict(stats.unknown_events),
        duplicates=stats.duplicates + duplicates,
        events=stats.events - duplicates,
        leads=len(lead_ids),
        first_ts=int(sorted_ts.min()) if len(rows) else None,
        last_ts=int(sorted_ts.max()) if len(rows) else None,
    )
    batch = Batch(
        lead_ids=tuple(lead_ids.to_pylist()),
        offsets=offsets,
        ts=sorted_ts,
        seq=seq[rows],
        event=np.ascontiguousarray(_numbers(table.column("event"))[rows], np.int32),
        event_types=tuple(event_types),
        columns=columns,
        stats=batch_stats,
    )
    return batch, duplicates


def _numbers(column: pa.ChunkedArray) -> npt.NDArray[Any]:
    """A numeric column without nulls as one numpy array (its chunks put together)."""
    chunks: list[npt.NDArray[Any]] = [chunk.to_numpy() for chunk in column.chunks]
    if len(chunks) == 1:
        return chunks[0]
    return np.concatenate(chunks) if chunks else np.zeros(0, column.type.to_pandas_dtype())


def _lead_ranks(column: pa.ChunkedArray) -> tuple[Int64Array, pa.Array]:
    """Each row's lead as its rank among the distinct lead ids, and those ids sorted (by
    UTF-8 bytes, which is code-point order, the reference's order of leads). A log is
    mostly written lead by lead, so only the first row of each run of equal ids (in each
    chunk) is hashed."""
    heads, firsts = [np.zeros(0, np.int64)], [pa.array([], pa.string())]
    start = 0
    for chunk in column.chunks:
        if len(chunk):
            local = run_heads(chunk)
            heads.append(local + start)
            firsts.append(chunk.take(pa.array(local)))
        start += len(chunk)
    head = np.concatenate(heads)
    encoded = pc.dictionary_encode(pa.concat_arrays(firsts))
    by_id = np.asarray(pc.sort_indices(encoded.dictionary).to_numpy(), np.int64)
    rank = np.empty(len(by_id), np.int64)
    rank[by_id] = np.arange(len(by_id))
    runs = np.diff(head, append=start)
    leads = np.repeat(rank[encoded.indices.to_numpy()], runs)
    return leads, encoded.dictionary.take(pa.array(by_id))


def run_heads(strings: pa.Array) -> Int64Array:
    """The first row of each run of equal strings (not empty, no nulls): a log is mostly
    written lead by lead, so work per lead id (ranking, hashing) is done on these rows."""
    same = pc.equal(strings.slice(1), strings.slice(0, len(strings) - 1))
    changes = np.flatnonzero(~np.asarray(same.to_numpy(zero_copy_only=False), np.bool_))
    return np.concatenate(([0], changes + 1))


def give_back() -> None:
    """Return freed Arrow memory to the system now. Arrow's allocator keeps it for reuse,
    but what comes next (placing the fields' codes, folding records, or waiting for the
    workers) mostly allocates numpy arrays and Python objects, not Arrow buffers, so the
    process would go on holding what Arrow freed: a third of the peak on a million events."""
    pa.default_memory_pool().release_unused()


def _buffers(
    strings: pa.ChunkedArray,
) -> tuple[Int64Array, npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """A string column's offsets (`n + 1`: string i is `data[offsets[i]:offsets[i + 1]]`),
    bytes and validity, as numpy arrays, its chunks put together."""
    whole = strings.combine_chunks().cast(pa.large_string())
    n = len(whole)
    buffers = whole.buffers()
    offsets = np.frombuffer(buffers[1], np.int64, n + 1, whole.offset * 8)
    data = np.frombuffer(buffers[2] if buffers[2] is not None else b"", np.uint8)
    valid = np.asarray(pc.is_valid(whole).to_numpy(zero_copy_only=False), np.bool_)
    return offsets, data, valid


@dataclass(frozen=True, slots=True)
class _Encoded:
    """A field's set cells, in input order, as Arrow holds them (about 4 bytes a cell:
    every field's are held at once, until the rows are arranged): which cells of each
    chunk of the column are set, and their numbers, or their codes into one dictionary
    (in order of first appearance, as Arrow encodes)."""

    chunks: list[tuple[int, int, pa.Array | None]]  # start, length, validity (None: all set)
    values: pa.ChunkedArray  # numbers, or dictionary-encoded text

    def rows(self) -> Int64Array:
        """The input rows of the set cells."""
        rows = [np.zeros(0, np.int64)]
        for start, length, valid in self.chunks:
            if valid is None:
                rows.append(np.arange(start, start + length))
            else:
                rows.append(np.flatnonzero(valid.to_numpy(zero_copy_only=False)) + start)
        return np.concatenate(rows)


def _encoded(cells: pa.ChunkedArray, spec: FieldSpec) -> _Encoded:
    """The set cells of a field's column, encoded chunk by chunk: most events set few
    fields, so only those cells are encoded (and later moved)."""
    chunks, values = [], []
    start = 0
    for chunk in cells.chunks:
        if chunk.null_count < len(chunk):
            valid = pc.is_valid(chunk) if chunk.null_count else None
            chunks.append((start, len(chunk), valid))
            values.append(chunk if valid is None else chunk.filter(valid))
        start += len(chunk)
    set_cells = pa.chunked_array(values, cells.type)
    if spec.type != "number":
        set_cells = pc.dictionary_encode(set_cells)
    return _Encoded(chunks, set_cells)


def _placed(encoded: _Encoded, spec: FieldSpec, place: Int64Array, size: int) -> Column:
    """A field's `size` cells in batch order, where `place[r]` is input row r's position in
    it (-1: dropped); the cells no event sets are `MISSING` (NaN for a number)."""
    target = place[encoded.rows()]
    kept = target >= 0
    if spec.type == "number":
        numbers = np.full(size, np.nan)
        numbers[target[kept]] = _numbers(encoded.values)[kept]
        return Column("number", numbers)
    chunks = encoded.values.chunks
    # every chunk of a dictionary-encoded chunked array has the one (last) dictionary
    dictionary = chunks[-1].dictionary if chunks else pa.array([], encoded.values.type.value_type)
    values = np.concatenate([np.zeros(0, np.int32), *(c.indices.to_numpy() for c in chunks)])
    if not kept.all():  # cells of dropped duplicates
        target = target[kept]
        values, dictionary = _recoded(values[kept], dictionary)
    codes = np.full(size, MISSING, np.int32)
    codes[target] = values
    return Column(spec.type, codes, Values(dictionary))


def _recoded(codes: npt.NDArray[np.int32], dictionary: pa.Array) -> tuple[Any, pa.Array]:
    """`codes` and `dictionary` as encoding only the values `codes` holds would give them:
    the dictionary in order of first appearance among `codes`, without the values only
    dropped cells had."""
    # Arrow's unique keeps the order of first appearance, by hashing (no sort of the codes)
    used = pc.unique(pa.array(codes)).to_numpy()
    renumbered = np.zeros(len(dictionary), np.int32)
    renumbered[used] = np.arange(len(used), dtype=np.int32)
    return renumbered[codes], dictionary.take(pa.array(used))


# -- the compiled loop -------------------------------------------------------------------------


@functools.cache
@gc_paused()
def arranging() -> Callable[..., Arranged]:
    """`_arrange` as machine code, kept in numba's cache beside this file (or its user-wide
    cache) so it compiles once per machine; compiled afresh in each process where no cache
    can be written. It has one signature, so it is loaded (or compiled) here rather than on
    its first call, and whether an array is read-only (pyarrow memory) or not never makes
    a second specialisation."""
    import numba
    from numba import types

    def frozen(dtype: Any) -> Any:
        return types.Array(dtype, 1, "C", readonly=True)

    i64 = types.int64
    signature = (
        frozen(i64),  # leads
        i64,  # count
        frozen(i64),  # ts
        frozen(i64),  # inputs
        frozen(i64),  # offsets
        frozen(types.uint8),  # data
        frozen(types.bool_),  # present
        types.boolean,  # dedupe
    )

    def compiled(cache: bool) -> Callable[..., Arranged]:
        helpers = (_hash, _same, _merge_sort)
        jit = numba.njit(cache=cache, nogil=True)
        # `_arrange` calls the compiled helpers: numba reads a global when it compiles a caller
        globals().update({f.__name__: jit(f) for f in helpers})
        arrange: Callable[..., Arranged] = numba.njit(signature, cache=cache, nogil=True)(_arrange)
        return arrange

    try:
        return compiled(cache=True)
    except RuntimeError:  # no writable place for numba's cache
        return compiled(cache=False)


_SHORT = 32
"""A lead with at most this many rows is deduplicated and sorted by comparing each row with
the rows before it (they are nearly in order already); a longer one by merge sorts."""


def _hash(data: npt.NDArray[np.uint8], lo: int, hi: int) -> np.uint64:
    """FNV-1a of `data[lo:hi]`."""
    h = np.uint64(0xCBF29CE484222325)
    for k in range(lo, hi):
        h ^= np.uint64(data[k])
        h *= np.uint64(0x100000001B3)
    return h


def _same(offsets: Int64Array, data: npt.NDArray[np.uint8], a: int, b: int) -> bool:
    """Whether strings `a` and `b` have the same bytes."""
    start, other = offsets[a], offsets[b]
    size = offsets[a + 1] - start
    if offsets[b + 1] - other != size:
        return False
    for k in range(size):  # noqa: SIM110 (a generator is slower under numba)
        if data[start + k] != data[other + k]:
            return False
    return True


def _merge_sort(order: Int64Array, keys: npt.NDArray[Any], scratch: Int64Array) -> None:
    """Sort `order` in place by `keys[order[i]]`, stably (a bottom-up merge sort, using
    `scratch`, at least as long): numba's own stable argsort takes a minute to compile."""
    n = len(order)
    source, target = order, scratch[:n]
    width, passes = 1, 0
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            i, j = lo, mid
            for k in range(lo, hi):
                if j < hi and (i >= mid or keys[source[j]] < keys[source[i]]):
                    target[k] = source[j]
                    j += 1
                else:
                    target[k] = source[i]
                    i += 1
        source, target = target, source
        width *= 2
        passes += 1
    if passes % 2:  # the last pass wrote to scratch
        order[:] = source


def _arrange(
    leads: Int64Array,
    count: int,
    ts: Int64Array,
    inputs: Int64Array,
    offsets: Int64Array,
    data: npt.NDArray[np.uint8],
    present: npt.NDArray[np.bool_],
    dedupe: bool,
) -> Arranged:
    """The kept rows in replay order, each lead's first row among them (`count` + 1
    offsets) and how many rows were dropped as duplicates.

    A counting sort on the lead rank (`count` leads) takes the rows in input order
    (`inputs`); then, lead by lead, when `dedupe`, a row whose event id (string `row` of
    `offsets`/`data`, where `present`) an earlier kept row of the lead has is dropped, and
    the kept rows are sorted by timestamp, stably, so equal timestamps stay in input order."""
    starts = np.zeros(count + 1, np.int64)
    for row in range(len(leads)):
        starts[leads[row] + 1] += 1
    longest = 0
    for lead in range(count):
        longest = max(longest, starts[lead + 1])
        starts[lead + 1] += starts[lead]
    fill = starts[:-1].copy()
    rows = np.empty(len(leads), np.int64)
    for row in inputs:
        lead = leads[row]
        rows[fill[lead]] = row
        fill[lead] += 1
    hashes = np.zeros(longest, np.int64)  # bits of the hashes: only compared, and grouped
    scratch = np.empty(longest, np.int64)
    ends = np.zeros(count + 1, np.int64)
    out = 0
    for lead in range(count):
        lo, hi = starts[lead], starts[lead + 1]
        begin = out
        if not dedupe:
            for i in range(lo, hi):  # forward: out <= i
                rows[out] = rows[i]
                out += 1
        elif hi - lo <= _SHORT:
            for i in range(lo, hi):
                row = rows[i]
                if present[row]:
                    h = np.int64(_hash(data, offsets[row], offsets[row + 1]))
                    repeated = False
                    for j in range(begin, out):
                        other = rows[j]
                        if (
                            present[other]
                            and hashes[j - begin] == h
                            and _same(offsets, data, other, row)
                        ):
                            repeated = True
                            break
                    if repeated:
                        continue
                    hashes[out - begin] = h
                rows[out] = row
                out += 1
        else:
            mine = rows[lo:hi].copy()
            for i in range(hi - lo):
                row = mine[i]
                hashes[i] = (
                    np.int64(_hash(data, offsets[row], offsets[row + 1])) if present[row] else 0
                )
            keep = np.ones(hi - lo, np.bool_)
            by_hash = np.arange(hi - lo)
            _merge_sort(by_hash, hashes, scratch)
            for i in range(1, hi - lo):
                row = mine[by_hash[i]]
                if not present[row]:
                    continue
                j = i - 1  # the rows before it of the same hash, in input order
                while j >= 0 and hashes[by_hash[j]] == hashes[by_hash[i]]:
                    other = by_hash[j]
                    if (
                        present[mine[other]]
                        and keep[other]
                        and _same(offsets, data, mine[other], row)
                    ):
                        keep[by_hash[i]] = False
                        break
                    j -= 1
            for i in range(hi - lo):
                if keep[i]:
                    rows[out] = mine[i]
                    out += 1
        ends[lead + 1] = out
        if out - begin > _SHORT:
            _merge_sort(rows[begin:out], ts, scratch)
            continue
        for i in range(begin + 1, out):
            row = rows[i]
            at = ts[row]
            j = i - 1
            while j >= begin and ts[rows[j]] > at:
                rows[j + 1] = rows[j]
                j -= 1
            rows[j + 1] = row
    return rows[:out], ends, len(leads) - out
