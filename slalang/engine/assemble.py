"""Chunks of read events → a `Batch`: duplicates dropped, rows sorted, fields encoded.

This is the columnar counterpart of the reference reader's `finish`: repeated event ids are
dropped per lead keeping the first in input order (RUNNER §5), each lead's events are
sorted by (timestamp, input order), and leads come in code-point order. It runs on a whole
log or on one partition of it (a partition holds every event of its leads), so the same
code serves the in-memory and the spilled path.

It runs on every event the engine reads, so it is built to cost a few passes over the rows:

- lead ids are ranked once per run of equal ids (its first row: a log is mostly written
  lead by lead): those heads are sorted as they are (hashed first, to sort only the
  distinct ids, when the runs are too short to share); a row then carries its lead's
  rank, a small integer. The sorted ids stay an Arrow array (`Values`): the report
  writes them from it, and Python strings are made only if some caller asks for them;
- rows are placed by a counting sort on the lead rank, in input order; then each lead's
  rows, a handful, drop the repeated event ids and are sorted by timestamp with a stable
  sort, so ties keep input order (`_arrange`, a loop compiled by numba like the kernel).
  Event ids are hashed and compared as bytes within their lead only: the millions of
  distinct ids are never put in one hash table, and no Python string is made per row;
- field columns are dictionary-encoded in input order, only their set cells (most events
  set few fields), and those codes moved to their rows' places in the batch; a number
  field's floats are moved whole (NaN where not set), which costs less than finding them;
- the reader's blocks are never copied into one table: every column is read as chunks by
  one call each (a chunked column's dictionary encoding has one dictionary for all its
  chunks), and only the event ids and the numeric columns the loop reads are put
  together. A spilled partition holds a small slice of every block, so a call per chunk
  would cost more than the copy; a call on all the chunks costs neither (10M events: the
  largest process holds 356 MB, not 439, with no chunks combined first).
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
from slalang.engine.batch import MISSING, Batch, Column, Float64Array, Int64Array, Values
from slalang.engine.reader import Chunk
from slalang.memory import gc_paused

Arranged = tuple[Int64Array, Int64Array, int]


@dataclass(frozen=True, slots=True)
class Apart:
    """Events with their fields held apart, as the reader makes them and spill files keep
    them: `table`, the columns other than the fields (`reader.schema` without them), and
    `fields`, the field columns of the rows `rows` of it alone. Most events set no field
    (a page view), so this is a quarter of the rows of the columns that would be most of
    an event's bytes (offsets and validity of every field, set or not)."""

    table: pa.Table
    fields: pa.Table
    rows: Int64Array

    @classmethod
    def of(cls, chunk: Chunk) -> Apart:
        """A chunk's events (a chunk holding every row's fields holds them all)."""
        rows = chunk.fielded if chunk.fielded is not None else np.arange(len(chunk))
        fields = pa.table({f"f:{name}": values for name, values in chunk.fields.items()})
        return cls(chunk.core(), fields, rows)

    @classmethod
    def joined(cls, pieces: Sequence[Apart], schema: pa.Schema) -> Apart:
        """The pieces as one (none: no event, of `schema`), their columns kept as chunks:
        `assemble` reads chunked columns, and combining them would copy every cell once
        more (on a million events the largest single step)."""
        if not pieces:
            core, fields = split_schema(schema)
            return cls(core.empty_table(), fields.empty_table(), np.zeros(0, np.int64))
        starts = np.cumsum([0, *(len(piece.table) for piece in pieces[:-1])])
        return cls(
            pa.concat_tables([piece.table for piece in pieces]),
            pa.concat_tables([piece.fields for piece in pieces]),
            np.concatenate(
                [piece.rows + start for piece, start in zip(pieces, starts, strict=True)]
            ),
        )

    @property
    def nbytes(self) -> int:
        return int(self.table.nbytes + self.fields.nbytes)


def split_schema(schema: pa.Schema) -> tuple[pa.Schema, pa.Schema]:
    """`reader.schema` as `Apart` holds its columns: those every event has, and the
    fields."""
    fields = [field for field in schema if field.name.startswith("f:")]
    return pa.schema([field for field in schema if field not in fields]), pa.schema(fields)


def assemble(
    table: pa.Table | Apart,
    specs: Mapping[str, FieldSpec],
    event_types: Sequence[str],
    stats: InputStats,
    dedupe: bool,
    threads: int = 0,
) -> tuple[Batch, int]:
    """The batch of `table` (columns as `reader.schema`, in any number of chunks, or held
    `Apart`) and how many duplicates were dropped. `stats` is copied into the batch with
    `duplicates`, `events`, `leads`, `first_ts` and `last_ts` brought up to date for these
    rows.

    With `threads`, the fields' cells are encoded on that many threads while the rows are
    arranged: for a process that has the cores to itself (not one of several workers,
    where the threads would only contend for the same cores)."""
    # the fields' cells are encoded on other threads (Arrow lets go of the GIL) while the
    # rows are arranged here; only placing the codes needs the arrangement (without
    # `threads`, each is encoded when placed, and the pool starts no thread)
    at: Int64Array | None = None  # a field cell's row (None: cell i is row i)
    if isinstance(table, Apart):
        table, fields, at = table.table, table.fields, table.rows
    else:
        fields = table
    with ThreadPoolExecutor(max(1, threads)) as pool:
        encoding: dict[str, Callable[[], _Encoded | Float64Array]] = {}
        for name, spec in specs.items():
            cells = fields.column(f"f:{name}")
            if spec.type == "number":
                # not encoded: every row's float (NaN where not set) is moved when placed,
                # which costs less than finding the set cells and moving those
                encoding[name] = functools.partial(_floats, cells, at, len(table))
            elif threads:
                encoding[name] = pool.submit(_encoded, cells, at).result
            else:
                encoding[name] = functools.partial(_encoded, cells, at)
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
            name: _placed(encoding[name](), spec, rows, place) for name, spec in specs.items()
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
        lead_ids=Values(lead_ids),
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
    mostly written lead by lead, so only the first row of each run of equal ids is
    ranked."""
    if not len(column):
        return np.zeros(0, np.int64), pa.array([], pa.string())
    head = run_heads(column)
    runs = np.diff(head, append=len(column))
    first = column.take(pa.array(head)).combine_chunks()
    if 2 * len(head) <= len(column):
        # runs of a few rows (written lead by lead): few heads repeat an id, so sorting
        # them costs less than hashing them to sort only the distinct ones
        rank, ids = _ranks(first)
        return np.repeat(rank, runs), ids
    encoded = pc.dictionary_encode(first)
    rank, ids = _ranks(encoded.dictionary)
    return np.repeat(rank[encoded.indices.to_numpy()], runs), ids


def _ranks(strings: pa.Array) -> tuple[Int64Array, pa.Array]:
    """Each string's rank among the distinct ones, and those sorted (by UTF-8 bytes)."""
    if not len(strings):
        return np.zeros(0, np.int64), strings
    order = pc.sort_indices(strings).to_numpy()
    ordered = strings.take(order)
    distinct = run_heads(ordered)
    rank = np.empty(len(order), np.int64)
    rank[order] = np.repeat(np.arange(len(distinct)), np.diff(distinct, append=len(order)))
    return rank, ordered.take(pa.array(distinct))


def run_heads(strings: pa.Array | pa.ChunkedArray) -> Int64Array:
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
    """A text (or `one_of`, `bool`, `date`) field's set cells, in input order, as Arrow
    holds them (about 4 bytes a cell: every field's are held at once, until the rows are
    arranged): which rows set it, and their codes into one dictionary (in order of first
    appearance, as Arrow encodes)."""

    valid: pa.ChunkedArray  # bool per cell
    values: pa.ChunkedArray  # dictionary-encoded text
    at: Int64Array | None  # the input row of each cell (None: cell i is row i)

    def rows(self) -> Int64Array:
        """The input rows of the set cells."""
        set_cells = np.flatnonzero(self.valid.to_numpy())
        return set_cells if self.at is None else self.at[set_cells]


def _encoded(cells: pa.ChunkedArray, at: Int64Array | None) -> _Encoded:
    """The set cells of a field's column (of the rows `at`, when the fields are held
    `Apart`), encoded: most events set few fields, so only those cells are encoded (and
    later moved). Each step is one call on all the chunks."""
    valid = pc.is_valid(cells)
    return _Encoded(valid, pc.dictionary_encode(cells.filter(valid)), at)


def _floats(cells: pa.ChunkedArray, at: Int64Array | None, rows: int) -> Float64Array:
    """A number field's value of every input row, NaN where not set."""
    if at is None:
        return np.asarray(cells.to_numpy(), np.float64)
    floats = np.full(rows, np.nan)
    floats[at] = cells.to_numpy()
    return floats


def _placed(
    encoded: _Encoded | Float64Array, spec: FieldSpec, rows: Int64Array, place: Int64Array
) -> Column:
    """A field's cells in batch order, where `rows` are the kept input rows in that order
    and `place[r]` is input row r's position in it (-1: dropped); the cells no event sets
    are `MISSING` (NaN for a number, whose cells come as they are, one per input row)."""
    if not isinstance(encoded, _Encoded):
        return Column("number", encoded[rows])
    target = place[encoded.rows()]
    kept = target >= 0
    chunks = encoded.values.chunks
    # every chunk of a dictionary-encoded chunked array has the one (last) dictionary
    dictionary = chunks[-1].dictionary if chunks else pa.array([], encoded.values.type.value_type)
    values = np.concatenate([np.zeros(0, np.int32), *(c.indices.to_numpy() for c in chunks)])
    if not kept.all():  # cells of dropped duplicates
        target = target[kept]
        values, dictionary = _recoded(values[kept], dictionary)
    codes = np.full(len(rows), MISSING, np.int32)
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
