"""The columnar reader: event logs into typed Arrow/numpy columns, with the reference
reader's contract to the byte (the same events, rejections, counts and examples).

Why not just vectorise everything: the reference reader (`slalang.data`) defines the input
contract row by row, with many small rules (quoting, blank lines, line numbers, timestamp
formats, converters, the order in which a row's defects are checked). Re-implementing each
rule in vectorised form would be a second definition that drifts. So the work is split:

- the file is read once, in blocks of whole lines; pyarrow splits each block into cells
  (multi-threaded, no Python object per cell);
- each column is dictionary-encoded and every *distinct* value is converted by the
  reference reader's own converter (event types, fields), so the rules are shared; only
  timestamps, nearly all distinct, have a vectorised parser for the strict ISO-8601 form
  `YYYY-MM-DDTHH:MM:SS(Z|±HH:MM)`, every other form going through the reference parser;
- a row the vectorised pass is not sure of (an empty key cell, a value a converter
  refuses, a row with the wrong number of cells) is a *dirty* row: it is handed, with its
  line number, to the reference reader's own row loop, which rejects it, counts it or keeps
  it exactly as it always does;
- from the first block whose layout the splitter cannot vouch for (a used cell that is not
  UTF-8, a carriage return that is not part of CRLF, a quoted cell that may span lines, a
  line near the cell limit), the rest of the file is read by the reference reader's row
  loop: every line before it was one record, so that loop starts in the state it would
  have reached. A file it gives up on before its header, JSON Lines, a wide export with
  date columns and standard input or a named pipe read as it comes (not kept in a file by
  the API) are read whole by the reference reader.
  These are documented in docs/engine.md; the differential tests compare both readers.

The result, `Columns`, holds each used event once with its lead id, timestamp, input
position (`seq`), event code and field values; `batch.py` sorts and encodes it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import io
import os
import re
import sys
import zlib
from collections.abc import Callable, Generator, Iterator, Sequence
from collections.abc import Mapping as AbstractMapping
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from itertools import chain, pairwise
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from slalang.data import Mapping
from slalang.data.events import RowReader, missing_keys, os_reason
from slalang.data.log import Event, InputStats
from slalang.data.sources import (
    CELL_LIMIT,
    LINE_LIMIT,
    CsvRows,
    JsonRows,
    detect_format,
    display_name,
    input_stream,
    open_binary,
    stored_read,
)
from slalang.data.values import EARLIEST, LATEST, FieldSpec, FieldValue
from slalang.diagnostics import SlalangError
from slalang.engine import jsonl
from slalang.engine.choose import is_parquet, rereadable

BLOCK = 8 << 20
"""Bytes of CSV read and typed at once: several of pyarrow's tasks, so every core parses.
Smaller blocks in smaller tasks cost less: reading the 1M sample in 8 MB blocks of 1 MB
tasks took 5 to 17 % less CPU than 16 MB blocks of 4 MB tasks (three interleaved runs at
load 7 to 10), likely because a block, its cells and the typing's temporaries then stay in
the processor's cache (32 MB of L3 on the benchmark machine)."""

PARSE_BLOCK = 1 << 20
"""Bytes pyarrow parses per task: a block is split into several so that every core parses
(a line is shorter than CELL_LIMIT, so one always fits)."""

_ARROW_TYPES: dict[str, pa.DataType] = {
    "text": pa.string(),
    "one_of": pa.string(),
    "number": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
}
_DELIMITERS = (",", ";", "\t", "|")
Data = bytes | bytearray
BOM = codecs.BOM_UTF8
BUFFER = 1 << 16


@dataclass(slots=True)
class Chunk:
    """Used events of one stretch of input, in input order (not yet deduplicated).

    Most events set no field (a page view), so a chunk read from CSV holds its fields for
    the rows that set any (`fielded`) only: the empty cells of the other rows are never
    typed, gathered or spilled (on 10M events three rows in four, and the field columns'
    offsets and validity are most of a row's bytes)."""

    lead: pa.Array  # string
    ts: npt.NDArray[np.int64]
    seq: npt.NDArray[np.int64]
    event: npt.NDArray[np.int32]  # index into the plan's `events`
    event_id: pa.Array  # string, null where the event has no id
    fields: dict[str, pa.Array]  # declared field → typed values of `fielded`, null where not set
    fielded: npt.NDArray[np.int64] | None = None  # the rows `fields` hold (None: every row)

    def __len__(self) -> int:
        return len(self.ts)

    def core(self) -> pa.Table:
        """The chunk's columns other than its fields, as one Arrow table."""
        return pa.table(
            {
                "lead": self.lead,
                "ts": pa.array(self.ts),
                "seq": pa.array(self.seq),
                "event": pa.array(self.event),
                "event_id": self.event_id,
            }
        )

    def fields_of(self, rows: npt.NDArray[np.int64]) -> dict[str, pa.Array]:
        """Each field's value at the chunk's `rows`, null where not set."""
        if self.fielded is None:
            taken = pa.array(rows)
            return {name: values.take(taken) for name, values in self.fields.items()}
        at = np.searchsorted(self.fielded, rows)
        held = at < len(self.fielded)
        held[held] = self.fielded[at[held]] == rows[held]
        index = pa.array(np.where(held, at, 0), mask=~held)
        return {name: values.take(index) for name, values in self.fields.items()}

    def table(self) -> pa.Table:
        """The chunk as one Arrow table, a field's column for every row."""
        table = self.core()
        if self.fielded is None:
            fields = self.fields
        else:
            fields = self.fields_of(np.arange(len(self), dtype=np.int64))
        for name, values in fields.items():
            table = table.append_column(f"f:{name}", values)
        return table


def schema(fields: AbstractMapping[str, FieldSpec]) -> pa.Schema:
    """The Arrow schema of every chunk for a policy's fields."""
    return pa.schema(
        [
            ("lead", pa.string()),
            ("ts", pa.int64()),
            ("seq", pa.int64()),
            ("event", pa.int32()),
            ("event_id", pa.string()),
            *((f"f:{name}", _ARROW_TYPES[spec.type]) for name, spec in fields.items()),
        ]
    )


class _Fallback(Exception):
    """The file needs the reference reader (see the module doc)."""


class _RowsOf:
    """Dirty rows with their line numbers, as the reference row loop reads a source."""

    def __init__(self, rows: list[tuple[int, list[str]]]) -> None:
        self._rows = rows
        self.line_num = 0

    def __iter__(self) -> Iterator[list[str]]:
        for line, row in self._rows:
            self.line_num = line
            yield row


class _Clean:
    dirty = False


@dataclass(frozen=True, slots=True)
class _Options:
    """pyarrow's options for the blocks of one file."""

    read: pacsv.ReadOptions
    parse: pacsv.ParseOptions
    text: pacsv.ConvertOptions  # for a block with bytes over 127: checks that cells are UTF-8
    ascii: pacsv.ConvertOptions  # for a block of ASCII bytes (UTF-8 already): no check


def _split(block: Data, options: _Options) -> tuple[pa.Table | None, int]:
    """The block's cells by pyarrow (None for a row with the wrong number of cells or bytes
    that are not text) and its count of line feeds: the block's passes that need not hold
    the main thread. pyarrow's UTF-8 check of every cell is a fifth of its parse, so it is
    left out where one pass of `isascii` vouches for the whole block."""
    count = _line_feeds(block)
    if not block:
        return None, count
    convert = options.ascii if block.isascii() else options.text
    try:
        table = pacsv.read_csv(
            pa.py_buffer(block), options.read, options.parse, convert, memory_pool=_parse_pool()
        )
    except pa.ArrowInvalid:
        return None, count
    return table, count


def _line_feeds(block: Data) -> int:
    """The block's line feeds, counted by numpy: a third of the time of `bytes.count` (1.2
    against 3.5 ms for 8 MB)."""
    return int(np.count_nonzero(np.frombuffer(block, np.uint8) == ord("\n")))


def _parse_pool() -> pa.MemoryPool:
    """Where pyarrow's parse of a block allocates: jemalloc when pyarrow has it. The parse
    runs on pyarrow's threads and its buffers are freed on this one; the default mimalloc
    pool keeps such memory in the threads' heaps, which added 75 MB to the peak of a run on
    1M events (jemalloc gives it back: the peak stayed that of the reader before)."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.default_memory_pool()


@dataclass(slots=True)
class _Split:
    """A block handed to pyarrow: its cells and count of line feeds to come, and the lines
    before it (known once the block before has been counted)."""

    cells: Future[tuple[pa.Table | None, int]]
    block: Data
    before: int = 0


class _Blocks:
    """A stream in blocks of whole lines (the last may lack its newline), each a bytearray
    the stream was read straight into; `carry` holds what was read past the block last
    given. A line longer than LINE_LIMIT comes in pieces, each a block without a newline
    (the reader hands such a block to the reference reader, which skips the line), so
    memory stays bounded.

    Two bytearrays are read into in turn: a block stays as it is until the block after
    the next one is asked for (the reader types one block while the next is split), and
    no block's memory is allocated, zeroed and faulted in afresh (which cost three times
    the read itself on the 1M sample). A buffer something still holds is left to it and
    a new one made: pyarrow may let go of a block a little after a parse that failed."""

    def __init__(self, stream: io.BufferedReader, size: int) -> None:
        self._stream = stream
        self._size = size
        self.carry = b""
        self._buffers = [bytearray(), bytearray()]

    def __iter__(self) -> Iterator[bytearray]:
        turn = 0
        while True:
            kept = len(self.carry)
            block = self._buffer(turn, kept + self._size)
            with memoryview(block) as view:
                view[:kept] = self.carry
                end = kept + _read_into(self._stream, view[kept:])
            if end == kept:
                if kept:
                    self.carry = b""
                    del block[kept:]
                    yield block
                return
            cut = block.rfind(b"\n", 0, end) + 1
            if cut == 0 and end <= LINE_LIMIT:
                self.carry = bytes(block[:end])
                continue
            cut = cut or end
            self.carry = bytes(block[cut:end])
            del block[cut:]
            turn ^= 1  # the other buffer next: this one is the block given
            yield block

    def _buffer(self, turn: int, size: int) -> bytearray:
        """Buffer `turn`, `size` bytes long: the one read into before unless something
        still holds it (a bytearray shrunk by less than half keeps its memory, so growing
        it back is a few bytes' work)."""
        buffer = self._buffers[turn]
        if not buffer or not _unshared(buffer):
            buffer = self._buffers[turn] = bytearray(size)
        elif len(buffer) > size:
            del buffer[size:]
        else:
            buffer.extend(bytes(size - len(buffer)))
        return buffer


def _unshared(buffer: bytearray) -> bool:
    """Whether nothing holds the buffer's memory: an exported bytearray cannot change size."""
    try:
        buffer.append(0)
    except BufferError:
        return False
    del buffer[-1]
    return True


def _read_into(stream: io.BufferedReader, view: memoryview) -> int:
    """Fill `view` from the stream (a gzip stream gives less than asked): bytes read."""
    done = 0
    while done < len(view):
        got = stream.readinto(view[done:])
        if not got:
            break
        done += got
    return done


class _Chained(io.RawIOBase):
    """Bytes already read, then the rest of a stream: a source opened in mid-file."""

    def __init__(self, head: bytes, tail: BinaryIO) -> None:
        self._head = memoryview(head)
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if len(self._head):
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._tail.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Shifted:
    """A CSV source's rows with their line numbers moved by `by` (a source opened in
    mid-file numbers its lines from 1)."""

    def __init__(self, rows: CsvRows, by: int) -> None:
        self._rows = rows
        self._by = by
        self.line_num = 0

    def __iter__(self) -> Iterator[list[str]]:
        for row in self._rows:
            self.line_num = self._rows.line_num + self._by
            yield row


@dataclass(slots=True)
class _JsonFile:
    """What reading one JSON Lines file carries from block to block: its lines so far, the
    types its wanted keys were last read with, and the reference source's end-of-file
    check (the required keys no object had yet, and whether any line was an object)."""

    name: str
    keys: list[str]
    lines: int = 0
    types: dict[str, pa.DataType] = field(default_factory=dict)
    absent: set[str] = field(default_factory=set)
    saw_object: bool = False
    _respelt: dict[tuple[str, ...], bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.types = dict.fromkeys(self.keys, jsonl.TEXT)
        self.absent = set(self.keys[:3])  # lead id, timestamp, event: as `read_stream` asks

    def respelt(self, names: Sequence[str]) -> bool:
        """`jsonl.respelt` for a block's keys, remembered: a file has few sets of keys."""
        found = self._respelt.get(tuple(names))
        if found is None:
            found = self._respelt[tuple(names)] = jsonl.respelt(names, self.keys)
        return found


@dataclass(slots=True)
class _JsonSplit:
    """A JSON Lines block, its lines, and pyarrow's parse of it (None: blank lines only)."""

    block: Data
    lines: jsonl.Lines | None
    parsed: Future[tuple[pa.Table | None, dict[str, pa.DataType]]] | None


class _NumberedJson(JsonRows):
    """The reference JSON Lines source over lines picked out of a file: its line `n` (as it
    counts) is the file's line `line_of(n)` in rejections, row line numbers and messages."""

    def __init__(
        self,
        stream: io.BufferedReader,
        keys: list[str],
        ref: RowReader,
        name: str,
        line_of: Callable[[int], int],
    ) -> None:
        self._line_of = line_of
        self.read = 0  # the last line read, as the source counts

        def reject(number: int, reason: str, detail: str) -> None:
            ref.reject_line(line_of(number), reason, detail)

        super().__init__(stream, keys, keys[:3], reject, name=name, note=ref.note_loose)

    @property
    def line_num(self) -> int:
        return self._line_of(self.read)

    @line_num.setter
    def line_num(self, number: int) -> None:
        self.read = number

    def _shape(self, obj: dict[str, Any], number: int) -> list[str]:
        return super()._shape(obj, self._line_of(number))


class ColumnarReader:
    """Reads inputs one after another into chunks; `stats` is the reference accounting.

    The reference `RowReader` is kept as the one place that resolves mappings, layouts and
    converters, and it reads every dirty row and fallback file; this class only adds the
    vectorised path around it.
    """

    def __init__(
        self,
        fields: AbstractMapping[str, FieldSpec],
        events: Sequence[str],
        mapping: Mapping | None,
        timezone: str | None,
        as_of: int | None,
        block: int = BLOCK,
        default_timezone: str | None = None,
    ) -> None:
        self.specs = dict(fields)
        self.events = list(events)
        self.code = {name: code for code, name in enumerate(self.events)}
        self.schema = schema(self.specs)
        self.ref = RowReader(
            fields, events, mapping or Mapping(), timezone, _cut(as_of), default_timezone
        )
        self.block = block
        self.base = 0  # seq of the next input's first line
        self.fallback_files: list[str] = []
        self._layout: Any = None  # the layout of the file being read the fast way
        self.taken = 0  # bytes of the inputs as stored taken so far, for a run's progress
        self._sampled: tuple[tuple[str, int], pa.Array] | None = None  # a group's sampled ids

    @property
    def stats(self) -> InputStats:
        return self.ref.stats

    # -- inputs --------------------------------------------------------------------------------

    def read(
        self,
        paths: Sequence[str],
        stdin: BinaryIO | None = None,
        kept: AbstractMapping[str, str] | None = None,
    ) -> Iterator[Chunk]:
        """Every input's used events, as chunks in input order (`kept`: the files inputs
        that can be read once only were kept in, `slalang.data.sources.input_stream`)."""
        if sum(1 for path in paths if path == "-") > 1:
            raise SlalangError("`-` (standard input) can be read only once")
        for path in paths:
            yield from self._input(path, stdin, kept)
        self.ref.finish()  # no timelines are left in it: this settles `timezone_assumed`

    def _input(
        self, path: str, stdin: BinaryIO | None, kept: AbstractMapping[str, str] | None
    ) -> Iterator[Chunk]:
        ref = self.ref
        ref.use(ref.root.source_for(path))
        ref.file = name = display_name(path)
        # the fast paths look at a file's first bytes before they read it; a pipe (standard
        # input, or one named) can be read only once: the reference reader reads it, unless
        # it was kept in a file, which they read as the input (never as Parquet: a pipe
        # holds text)
        copy = (kept or {}).get(path)
        if copy is not None or rereadable(path):
            if copy is None and is_parquet(path):
                yield from self._parquet(path, name)
                return
            if (yield from self._csv(path, name, copy or path)):
                return
            if (yield from self._json(path, name, copy or path)):
                return
        self.fallback_files.append(name)
        with input_stream(path, stdin, kept) as stream:
            yield from self._reference(path, stream)

    def _reference(self, path: str, stream: BinaryIO | None) -> Iterator[Chunk]:
        """The whole input by the reference reader (from `stream`, when given)."""
        first = self.ref.seq
        self.ref.read_input(path, stream)
        chunk = self.harvest(lambda event: self.base + event.seq - first)
        self.base += self.ref.seq - first + 1
        if len(chunk):
            yield chunk

    # -- the fast path ---------------------------------------------------------------------------

    def _csv(self, path: str, name: str, source: str) -> Generator[Chunk, None, bool]:
        """A CSV file in one pass, block by block, read from `source` (the file itself, or
        the one it was kept in); False, before anything is read, when the whole file needs
        the reference reader (see the module doc)."""
        mapping = self.ref.mapping
        if (
            mapping.encoding != "utf-8"
            or mapping.date_columns
            or path.lower().removesuffix(".gz").endswith((".jsonl", ".ndjson"))
        ):
            return False
        with ExitStack() as closing:
            stream = open_binary(source, None, closing)
            try:
                head = stream.peek(1 << 16)[: 1 << 16]
            except (OSError, EOFError, zlib.error):
                return False  # the reference reader says what is wrong
            if head.startswith((b"PK\x03\x04", b"PAR1")):
                return False  # the reference reader names what is wrong
            if head.removeprefix(BOM).lstrip().startswith(b"{"):
                return False
            first = head.split(b"\n", 1)[0].decode("utf-8", "replace")
            counts = [first.count(d) for d in _DELIMITERS]
            delimiter = _DELIMITERS[counts.index(max(counts))] if max(counts) else ","
            return (yield from self._stream(stream, name, delimiter))

    # -- JSON Lines ----------------------------------------------------------------------------

    def _json(self, path: str, name: str, source: str) -> Generator[Chunk, None, bool]:
        """A JSON Lines file (UTF-8, not a wide export) block by block (`slalang.engine.jsonl`),
        read from `source` as `_csv` reads; False, before anything is read, when the whole
        file is the reference reader's."""
        ref = self.ref
        mapping = ref.mapping
        if mapping.encoding != "utf-8" or mapping.date_columns:
            return False
        layout, keys = ref.json_layout()
        with ExitStack() as closing:
            try:
                stream = open_binary(source, None, closing)
                if detect_format(path, stream) != "jsonl" or len(set(keys)) != len(keys):
                    return False
            except (OSError, EOFError, zlib.error, SlalangError):
                return False  # the reference reader says what is wrong
            ref.has_ids = True  # JSON Lines always have the event id key
            self._layout = layout
            state = _JsonFile(name, keys)
            try:
                yield from self._json_blocks(stream, state, head=True, whole=True)
            except (OSError, EOFError, zlib.error) as exc:
                raise SlalangError(f"{name}: cannot read events: {os_reason(exc)}") from None
        if state.absent and state.saw_object:
            raise SlalangError(missing_keys(name, sorted(state.absent)))
        self.base += state.lines + 1
        return True

    def _json_blocks(
        self, stream: io.BufferedReader, state: _JsonFile, *, head: bool, whole: bool
    ) -> Iterator[Chunk]:
        """Each block parsed by pyarrow on a thread while the one before is typed (`head`:
        the stream opens the file, maybe with a byte order mark). From a line over the
        limit on, the rest of the file is the reference reader's: read here when the
        stream is the `whole` file, else `Unsplittable`."""
        blocks = _Blocks(stream, self.block)
        pending: _JsonSplit | None = None
        taken = self.taken
        with ThreadPoolExecutor(1) as parser:
            for number, read in enumerate(chain(blocks, [None])):
                block = read
                if whole:  # a gzip file's bytes, not its text
                    self.taken = taken + stored_read(stream)
                elif read is not None:
                    self.taken += len(read)
                if head and number == 0 and block is not None and block.startswith(BOM):
                    block = block[len(BOM) :]
                split = None
                if block is not None:
                    try:
                        lines = jsonl.lines_of(block)
                    except jsonl.LongLine:
                        if not whole:
                            raise Unsplittable(state.name) from None
                        if pending is not None:
                            yield from self._json_block(pending, state)
                        yield from self._json_rest(block + blocks.carry, stream, state)
                        return
                    parsed = (
                        None
                        if lines is None or not len(lines.objects)
                        else parser.submit(
                            jsonl.parse,
                            block,
                            len(lines.objects),
                            state.keys,
                            dict(state.types),
                            PARSE_BLOCK,
                        )
                    )
                    split = _JsonSplit(block, lines, parsed)
                if pending is not None:
                    yield from self._json_block(pending, state)
                pending = split

    def _json_block(self, split: _JsonSplit, state: _JsonFile) -> Iterator[Chunk]:
        """One block of whole lines: the objects pyarrow read and the fast path can vouch
        for, vectorised; rows it cannot be sure of by the reference row loop, with their
        lines; a block it cannot vouch for at all wholly by the reference reader."""
        block, lines, before = split.block, split.lines, state.lines
        state.lines += _line_feeds(block) + (not block.endswith(b"\n") and len(block) > 0)
        if lines is None:
            yield from self._json_reference(bytes(block), lambda n: before + n, state)
            return
        if split.parsed is None:
            return  # blank lines only
        table, types = split.parsed.result()
        keys = state.keys
        if (
            table is None
            or table.num_rows != len(lines.objects)
            or state.respelt(table.column_names)
            or any(
                jsonl.absent_from(block, key, table.column(key)) is None
                for key in keys[:3]
                if key in state.absent
            )
        ):
            yield from self._json_reference(bytes(block), lambda n: before + n, state)
            return
        state.types = types
        state.saw_object = True
        state.absent.difference_update(
            key for key in keys[:3] if not jsonl.absent_from(block, key, table.column(key))
        )
        texts, unsure = jsonl.cells(table, keys, block, lines)
        numbers = before + 1 + lines.objects
        dirty = unsure.copy()
        cells = pa.table({f"c{i}": text for i, text in enumerate(texts)})
        clean = self._cells(cells, numbers, dirty, self._layout, iso=not self.ref.fmt)
        if len(clean):
            yield clean
        if dirty.any():
            picked = lines.objects[dirty].tolist()
            data = b"\n".join(lines.text(i, block) for i in picked)
            where = [before + 1 + i for i in picked]
            yield from self._json_reference(data, lambda n: where[n - 1], state)

    def _json_reference(
        self, data: bytes, line_of: Callable[[int], int], state: _JsonFile
    ) -> Iterator[Chunk]:
        """Lines of JSON (`data`, its line `n` the file's line `line_of(n)`) by the reference
        reader's source and row loop."""
        yield from self._json_source(io.BytesIO(data), line_of, state)

    def _json_rest(
        self, head: Data, stream: io.BufferedReader, state: _JsonFile
    ) -> Iterator[Chunk]:
        """The rest of the file, `head` then what is left of the stream, by the reference
        reader (a line over the limit is skipped in pieces, as only it reads the stream)."""
        self.fallback_files.append(state.name)
        before = state.lines
        rest = io.BufferedReader(_Chained(bytes(head), stream), BUFFER)
        rows = yield from self._json_source(rest, lambda n: before + n, state)
        state.lines = before + rows

    def _json_source(
        self, raw: BinaryIO, line_of: Callable[[int], int], state: _JsonFile
    ) -> Generator[Chunk, None, int]:
        """`JsonRows` over the bytes (after a blank first line, so that a byte order mark
        opening them is read as the reference reads one in mid-file); returns their lines."""
        ref = self.ref
        stream: io.BufferedReader = io.BufferedReader(_Chained(b"\n", raw), BUFFER)
        rows = _NumberedJson(
            stream, state.keys, ref, state.name, lambda n: line_of(n - 1) if n > 1 else 0
        )
        ref.read_rows(rows, self._layout, rows)
        state.absent &= rows.absent
        state.saw_object = state.saw_object or rows.saw_object
        chunk = self.harvest(lambda event: self.base + event.line)
        if len(chunk):
            yield chunk
        return rows.read - 1

    def _stream(
        self, stream: io.BufferedReader, name: str, delimiter: str
    ) -> Generator[Chunk, None, bool]:
        """Blocks of whole lines: the header from the first lines, then each block split by
        pyarrow while the splitter can vouch for it; from the first block it cannot vouch
        for (a quoted cell that may span lines, a bare carriage return, bytes that are not
        UTF-8, a line over the cell limit), the rest of the file by the reference reader.
        Every line before that block is one record either way, so the reference reader
        would be at that block's first line in the same state."""
        ref = self.ref
        quoted = _quoted_line(delimiter)
        layout = None
        options = None
        line = 0  # lines before the block
        blocks = _Blocks(stream, self.block)
        pending: _Split | None = None  # the block before, split by pyarrow meanwhile
        taken = self.taken
        with ThreadPoolExecutor(1) as splitter:
            try:
                for number, block in enumerate(blocks):
                    self.taken = taken + stored_read(stream)  # a gzip file's bytes, not its text
                    if number == 0 and block.startswith(BOM):
                        block = block[len(BOM) :]
                    plain = _plain(block, quoted)
                    if not plain and layout is None:
                        return False
                    if plain and layout is None:
                        try:
                            found = _header(block, delimiter)
                        except UnicodeDecodeError:
                            return False
                        if found is None:
                            line += _line_feeds(block)
                            continue
                        end, header, header_line = found
                        layout = self._layout = ref.layout(header, name)
                        ref.has_ids = ref.has_ids or layout.event_id >= 0
                        options = self._options(layout, delimiter)
                        block = block[end:]
                        line += header_line
                    passed = plain and self._passes_over(block, delimiter)
                    if plain and not passed:
                        assert options is not None  # made with the layout, from the header
                        split = _Split(splitter.submit(_split, block, options), block)
                    if pending is not None:
                        pending.before = line
                        if not (yield from self._block(pending, delimiter)):
                            head = pending.block + block + blocks.carry
                            yield from self._hand_over(head, stream, pending.before, delimiter)
                            return True
                        line += pending.cells.result()[1]
                    pending = None
                    if not plain:
                        yield from self._hand_over(block + blocks.carry, stream, line, delimiter)
                        return True
                    if passed:
                        line += _line_feeds(block)
                        continue
                    pending = split
                if pending is not None:
                    pending.before = line
                    if not (yield from self._block(pending, delimiter)):
                        yield from self._hand_over(pending.block, stream, line, delimiter)
                        return True
                    line += pending.cells.result()[1]
            except (OSError, EOFError, zlib.error) as exc:
                if layout is None:
                    return False  # the reference reader says what is wrong, after the header
                raise SlalangError(f"{name}: cannot read events: {os_reason(exc)}") from None
        if layout is None:
            return False  # no header: the reference reader's error
        self.base += line + 1
        return True

    def _passes_over(self, block: Data, delimiter: str) -> bool:
        """Whether a plain block (every line one record) can be counted and passed over
        unsplit: never here, where every row is counted; a `LeadReader` passes over the
        blocks that hold none of its leads."""
        return False

    def _options(self, layout: Any, delimiter: str) -> _Options:
        """pyarrow's options for a layout: every cell text, only the used columns kept."""
        wanted = sorted(
            {layout.lead, layout.timestamp, layout.event}
            | ({layout.event_id} if layout.event_id >= 0 else set())
            | {i for i, *_ in layout.fields}
        )
        names = [f"c{i}" for i in range(layout.width)]

        def convert(check_utf8: bool) -> pacsv.ConvertOptions:
            return pacsv.ConvertOptions(
                check_utf8=check_utf8,
                column_types=dict.fromkeys(names, pa.string()),
                include_columns=[names[i] for i in wanted],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            )

        return _Options(
            pacsv.ReadOptions(column_names=names, use_threads=True, block_size=PARSE_BLOCK),
            pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
            text=convert(check_utf8=True),
            ascii=convert(check_utf8=False),
        )

    def _block(self, split: _Split, delimiter: str) -> Generator[Chunk, None, bool]:
        """One plain block of whole lines, split: the clean rows vectorised, the dirty ones
        by the reference row loop; False when a cell is not UTF-8 text."""
        block, first_line = split.block, split.before + 1
        if not block:
            return True
        table, count = split.cells.result()
        if table is not None and table.num_rows == 0:
            return True  # blank lines only
        lines = count + (not block.endswith(b"\n"))
        # pyarrow skips blank lines: as many rows as lines means there are none
        if table is not None and table.num_rows == lines:
            numbers = np.arange(first_line, first_line + lines, dtype=np.int64)
        else:
            if table is None and not jsonl.utf8(block):
                return False
            starts, ends = _line_bounds(block)
            lengths = ends - starts
            has_cr = lengths > 0
            has_cr[has_cr] = np.frombuffer(block, np.uint8)[ends[has_cr] - 1] == 13
            kept = np.flatnonzero(lengths != has_cr)  # non-blank lines of the block
            numbers = first_line + kept
            if table is None or table.num_rows != len(kept):
                texts = [block[starts[i] : ends[i]] for i in kept]
                yield from self._slow_lines(texts, numbers, delimiter)
                return True
        dirty = np.zeros(table.num_rows, bool)
        # a source's timestamp formats are tried before ISO-8601: they may read it otherwise
        clean = self._cells(table, numbers, dirty, self._layout, iso=not self.ref.fmt)
        if len(clean):
            yield clean
        if dirty.any():
            yield from self._slow_cells(table, numbers, dirty, self._layout)
        return True

    def _hand_over(
        self, head: Data, stream: io.BufferedReader, before: int, delimiter: str
    ) -> Iterator[Chunk]:
        """The rest of the file, `head` (from line `before + 1`) then what is left of the
        stream, by the reference row loop: a CSV source over those bytes, its lines shifted. The
        source is given a first line of just the delimiter, so that it splits on the one
        the header was split on, and that line is read off before the rows."""
        ref = self.ref
        self.fallback_files.append(ref.file)
        shift = before - 1

        def reject(number: int, reason: str, detail: str) -> None:
            ref.reject_line(number + shift, reason, detail)

        rest: io.BufferedReader = io.BufferedReader(
            _Chained(delimiter.encode() + b"\n" + head, stream), BUFFER
        )
        rows = CsvRows(rest, reject)
        next(iter(rows))
        ref.read_rows(_Shifted(rows, shift), self._layout, rows.watch)
        chunk = self.harvest(lambda event: self.base + event.line)
        self.base += rows.line_num + shift + 1
        if len(chunk):
            yield chunk

    def _slow_lines(
        self, texts: list[Data], numbers: npt.NDArray[np.int64], delimiter: str
    ) -> Iterator[Chunk]:
        """Lines (UTF-8, no line spanning another) through the reference row loop."""
        rows: list[tuple[int, list[str]]] = []
        for raw, number in zip(texts, numbers.tolist(), strict=True):
            text = raw.decode("utf-8").rstrip("\r\n")
            cells = next(csv.reader([text], delimiter=delimiter)) if '"' in text else None
            rows.append((number, cells or text.split(delimiter)))
        yield from self._reference_rows(rows, self._layout)

    def _slow_cells(
        self,
        table: pa.Table,
        numbers: npt.NDArray[np.int64],
        dirty: npt.NDArray[np.bool_],
        layout: Any,
    ) -> Iterator[Chunk]:
        """The dirty rows of a table of cells (columns `c<index>`) through the reference row
        loop, rebuilt from their cells (a column the table lacks is one the layout never
        reads: left empty)."""
        picked = pa.array(dirty)
        width = layout.width
        columns = [
            (int(name[1:]), pc.filter(column, picked).to_pylist())
            for name, column in zip(table.column_names, table.columns, strict=True)
        ]
        rows: list[tuple[int, list[str]]] = []
        for k, number in enumerate(numbers[dirty].tolist()):
            row = [""] * width
            for index, values in columns:
                row[index] = values[k]
            rows.append((number, row))
        yield from self._reference_rows(rows, layout)

    def _reference_rows(self, rows: list[tuple[int, list[str]]], layout: Any) -> Iterator[Chunk]:
        """Rows with their line numbers through the reference row loop (the order of chunks
        does not matter: `assemble` sorts by input position)."""
        self.ref.read_rows(_RowsOf(rows), layout, _Clean())
        slow = self.harvest(lambda event: self.base + event.line)
        if len(slow):
            yield slow

    def _cells(
        self,
        table: pa.Table,
        numbers: npt.NDArray[np.int64],
        dirty: npt.NDArray[np.bool_],
        layout: Any,
        *,
        iso: bool,
    ) -> Chunk:
        """The clean rows of a table of text cells (columns `c<index>`), vectorised;
        `dirty` comes in marking rows already known to need the reference row loop and
        goes out marking every row that does. Field columns are typed per distinct value
        and only the used rows' values are taken. `iso`: whether strict ISO-8601 cells
        are read as the instants they write (else every timestamp goes to the parser)."""
        lead = table.column(f"c{layout.lead}").combine_chunks()
        dirty |= _lengths(lead) == 0
        stamps = table.column(f"c{layout.timestamp}").combine_chunks()
        ts, bad, iso_cells = self._timestamps(stamps, iso)
        dirty |= bad
        raw = table.column(f"c{layout.event}").combine_chunks()
        encoded = pc.dictionary_encode(raw)
        values = encoded.dictionary.to_pylist()
        types_get = self.ref.types.get
        codes = np.array(
            [self.code[t] if (t := types_get(v)) is not None else -1 for v in values], np.int32
        )
        indices = _np(encoded.indices)
        event = codes[indices]
        if "" in values:
            dirty |= indices == values.index("")
        known = event >= 0
        typed: dict[str, tuple[pa.Array, npt.NDArray[np.int32] | None]] = {}
        any_set = np.zeros(len(event), bool)
        for index, fname, convert, spec in layout.fields:
            column = table.column(f"c{index}").combine_chunks()
            filled = _lengths(column) != 0
            any_set |= filled
            if convert is None:  # text: the cell as it is, empty meaning not set
                typed[fname] = (column, None)
                continue
            distinct, positions, refused = _convert(column, filled, convert, spec)
            typed[fname] = (distinct, positions)
            dirty |= refused & known
        unknown = ~dirty & ~known
        if unknown.any():
            tally = self.ref.stats.unknown_events
            counts = np.bincount(indices[unknown], minlength=len(values))
            for k in np.flatnonzero(counts).tolist():
                tally[values[k]] = tally.get(values[k], 0) + int(counts[k])
        use = ~dirty & known
        after = use & (ts > self.ref.as_of)
        use &= ~after
        self._note_zone(stamps, use, iso_cells)
        stats = self.ref.stats
        stats.rows += int((~dirty).sum())
        stats.after_as_of += int(after.sum())
        used = int(use.sum())
        stats.events += used
        every = used == len(use)
        keep = None if every else pa.array(use)

        def kept(column: pa.Array) -> pa.Array:
            return column if keep is None else pc.filter(column, keep)

        # only the used rows that set a field have their fields typed and kept
        rows = np.flatnonzero(any_set & use)
        taken = pa.array(rows)
        fields: dict[str, pa.Array] = {}
        for name, spec in self.specs.items():
            if name not in typed:
                fields[name] = pa.nulls(len(rows), _ARROW_TYPES[spec.type])
                continue
            values_of, where = typed[name]
            if where is None:
                fields[name] = _empty_as_null(values_of.take(taken))
            else:
                fields[name] = _gather(values_of, where[rows])
        return Chunk(
            lead=kept(lead),
            ts=ts if every else ts[use],
            seq=self.base + (numbers if every else numbers[use]),
            event=event if every else event[use],
            event_id=_empty_as_null(kept(table.column(f"c{layout.event_id}").combine_chunks()))
            if layout.event_id >= 0
            else pa.nulls(used, pa.string()),
            fields=fields,
            fielded=np.flatnonzero(any_set[use]),
        )

    def _parquet(self, path: str, name: str) -> Generator[Chunk, None, None]:
        """A Parquet file, or a directory of them (in name order), read by record batch.

        Typed columns are used as they are: a timestamp with a zone is its instant, numbers,
        booleans and dates their values. Each column is put in the text form a CSV cell of
        it would have (instants as `YYYY-MM-DDTHH:MM:SSZ`, so the vectorised parser reads
        them) and goes through the same rules as CSV, so a mapping reads Parquet as it reads
        CSV. A row's line is its 1-based position in the file.
        """
        files = _parquet_files(path, name)
        for file in files:
            rows = yield from self._row_groups(RowGroups(path, file, _shown(file, name, files)))
            self.base += rows + 1

    def _row_groups(self, part: RowGroups) -> Generator[Chunk, None, int]:
        """The rows of `part`, numbered from 1 at its first; returns how many there were."""
        source, layout = self._parquet_file(part.path, part.shown)
        self._layout = layout
        groups = None if part.last is None else range(part.first, part.last)
        batches = source.iter_batches(batch_size=1 << 17, row_groups=groups)
        rows = part.end - part.start if part.piece else None
        row, skip = 0, part.skip
        # progress: the run's share of the file's bytes, by its rows read
        if part.last is None:  # the whole file
            share, stored = source.metadata.num_rows, os.path.getsize(part.path)
        else:
            share, stored = part.end - part.start, part.stored
        taken = self.taken
        while rows is None or row < rows:
            with _parquet_errors(part.shown):
                batch = next(batches, None)
            if batch is None:
                break
            if skip:  # the group's rows before the piece
                passed = min(skip, batch.num_rows)
                batch, skip = batch.slice(passed), skip - passed
            if rows is not None:
                batch = batch.slice(0, rows - row)
            if not batch.num_rows:
                continue
            numbers = np.arange(row + 1, row + 1 + batch.num_rows, dtype=np.int64)
            row += batch.num_rows
            self.taken = taken + stored * row // max(1, share)
            yield from self.typed(batch, numbers, layout)
        return row

    def _parquet_file(self, path: str, shown: str) -> tuple[Any, Any]:
        """A Parquet file opened (its metadata read) and its header's layout resolved as
        the stream resolves it (its errors, the columns it matched loosely)."""
        import pyarrow.parquet as pq  # here: a run reading no Parquet does not pay 13 ms

        ref = self.ref
        ref.file = shown
        with _parquet_errors(shown):
            source = pq.ParquetFile(path)
        layout = ref.layout(list(source.schema_arrow.names), shown)
        ref.has_ids = ref.has_ids or layout.event_id >= 0
        return source, layout

    def typed(
        self, batch: pa.RecordBatch, numbers: npt.NDArray[np.int64], layout: Any
    ) -> Iterator[Chunk]:
        """Rows of typed columns (`batch`'s columns are the header `layout` was made for)
        numbered `numbers` (their lines): Parquet here, a partition of a table in Spark's
        executors. Each column is put in the text form a CSV cell of it would have and goes
        through the CSV rules; a row the vectorised pass is not sure of, and every row of a
        wide layout (date columns), goes through the reference row loop."""
        table = pa.table({f"c{i}": _as_text(batch.column(i)) for i in range(batch.num_columns)})
        dirty = np.full(table.num_rows, bool(layout.dates))
        if not layout.dates:
            clean = self._cells(table, numbers, dirty, layout, iso=True)
            if len(clean):
                yield clean
        if dirty.any():
            yield from self._slow_cells(table, numbers, dirty, layout)

    # -- conversions ------------------------------------------------------------------------------

    def _timestamps(
        self, column: pa.Array, vectorised: bool
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Epoch seconds of each cell, which cells the reference parser refuses (or are
        empty), and which were read vectorised (strict ISO-8601, an offset always written,
        when `vectorised`); everything else is parsed one call per distinct text."""
        n = len(column)
        parse_ts = self.ref.parse_ts
        if vectorised:
            ts, iso = _iso_epochs(column)
        else:
            ts, iso = np.zeros(n, np.int64), np.zeros(n, bool)
        rest = ~iso
        bad = np.zeros(n, bool)
        if rest.any():
            others = pc.filter(column, pa.array(rest))
            encoded = pc.dictionary_encode(others)
            parsed = []
            for text in encoded.dictionary.to_pylist():
                try:
                    parsed.append(parse_ts(text) if text else None)
                except ValueError:
                    parsed.append(None)
            failed = np.array([p is None for p in parsed])
            values = np.array([p if p is not None else 0 for p in parsed], np.int64)
            indices = _np(encoded.indices)
            ts[rest] = values[indices]
            bad[rest] = failed[indices]
        return ts, bad, iso

    def _note_zone(
        self, stamps: pa.Array, use: npt.NDArray[np.bool_], iso: npt.NDArray[np.bool_]
    ) -> None:
        """Settle `timezone_assumed` by the reference rule: the agreement's zone counts
        when it gave the instant of a used event, so each distinct timestamp of the used
        rows not read vectorised (`iso`) is asked, until one writes no offset."""
        ref = self.ref
        clock = ref.assumed
        if clock is None or ref.zone_used or not clock.offsets:
            return
        asked = use & ~iso
        if not asked.any():
            return
        for text in pc.unique(pc.filter(stamps, pa.array(asked))).to_pylist():
            ref.note_kept(text)
            if ref.zone_used:
                return

    def harvest(self, seq_of: Any) -> Chunk:
        """The events the reference reader kept since the last harvest, as a chunk (their
        input positions renumbered into this reader's sequence)."""
        found: list[Event] = [event for timeline in self.ref.leads.values() for event in timeline]
        leads = [lead for lead, timeline in self.ref.leads.items() for _ in timeline]
        self.ref.leads.clear()
        order = sorted(range(len(found)), key=lambda i: found[i].seq)
        found = [found[i] for i in order]
        leads = [leads[i] for i in order]
        fields = {
            name: pa.array([event.fields.get(name) for event in found], _ARROW_TYPES[spec.type])
            for name, spec in self.specs.items()
        }
        return Chunk(
            lead=pa.array(leads, pa.string()),
            ts=np.array([event.ts for event in found], np.int64),
            seq=np.array([seq_of(event) for event in found], np.int64),
            event=np.array([self.code[event.type] for event in found], np.int32),
            event_id=pa.array([event.event_id for event in found], pa.string()),
            fields=fields,
        )

    # -- a file in stretches, each read by a process of its own ----------------------------------

    def stretches(
        self, path: str, count: int, given: str = ""
    ) -> list[Stretch] | list[RowGroups] | None:
        """A plain CSV or JSON Lines file (uncompressed, UTF-8, not a wide export) cut into
        up to `count` stretches of whole lines after a CSV file's header, or a Parquet file
        or directory into runs of row groups (at least one per file; a large group in
        pieces of its rows), for `read_stretch` in as many processes; None for any other
        input, or a header the first 64 KB do not hold plainly: such a file is read whole
        by `read`. The header's layout is resolved here as `read` resolves it (its errors,
        the columns it matched loosely). `given`: the input as named, when `path` is a copy
        of it (standard input or a named pipe kept in a file, gzip unpacked), which tells
        its format as its name does to `read`."""
        if not rereadable(path):
            return None  # a pipe is read once, as one stream: not even its first bytes here
        if is_parquet(path):  # a copy never is: standard input, pipes, gzip hold text
            return None if given else self._parquet_stretches(path, count)
        if not self.cuttable(given or path) or path.lower().endswith(".gz"):
            return None
        ref = self.ref
        name = ref.file
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            head = handle.read(1 << 16)
            if head.startswith((b"\x1f\x8b", b"PK\x03\x04", b"PAR1")):
                return None
            handle.seek(0)
            if detect_format(given or path, handle) == "jsonl":
                return self._json_stretches(path, handle, size, count, given)
            body = head.removeprefix(BOM)
            if body.lstrip()[:1] == b"{":
                return None  # a `.csv` file of JSON objects: the reference reader's
            first = body.split(b"\n", 1)[0].decode("utf-8", "replace")
            counts = [first.count(d) for d in _DELIMITERS]
            delimiter = _DELIMITERS[counts.index(max(counts))] if max(counts) else ","
            try:
                found = _header(body, delimiter)
            except UnicodeDecodeError:
                return None
            if found is None or body[found[0] - 1 : found[0]] != b"\n":
                return None
            end, header, header_line = found
            if not _plain(body[:end], _quoted_line(delimiter)):
                return None
            layout = self._layout = ref.layout(header, name)
            ref.has_ids = ref.has_ids or layout.event_id >= 0
            start = len(head) - len(body) + end
            pieces = _pieces(handle, start, size, count)
        return [
            Stretch(
                path,
                lo,
                hi,
                tuple(header),
                delimiter,
                header_line if lo == start else None,
                given=given,
            )
            for lo, hi in pieces
        ]

    def cuttable(self, path: str) -> bool:
        """Whether the mapping reads input `path` as text in stretches could be (UTF-8, not
        a wide export), its source now the one in use."""
        ref = self.ref
        ref.use(ref.root.source_for(path))
        ref.file = display_name(path)
        return ref.mapping.encoding == "utf-8" and not ref.mapping.date_columns

    def _json_stretches(
        self, path: str, handle: BinaryIO, size: int, count: int, given: str
    ) -> list[Stretch] | None:
        """A JSON Lines file cut into up to `count` stretches of whole lines (None where
        `read` would hand the whole file to the reference reader)."""
        keys = self.ref.json_layout()[1]
        if len(set(keys)) != len(keys):
            return None
        self.ref.has_ids = True  # JSON Lines always have the event id key
        return [
            Stretch(path, lo, hi, (), "", None if lo else 0, json=True, given=given)
            for lo, hi in _pieces(handle, 0, size, count)
        ]

    def _parquet_stretches(self, path: str, count: int) -> list[RowGroups]:
        """Each Parquet file's row groups in runs of about `1 / count` of the input's bytes
        (a file's metadata is all that is read here)."""
        ref = self.ref
        ref.use(ref.root.source_for(path))
        name = display_name(path)
        files = _parquet_files(path, name)
        found = []
        for file in files:
            shown = _shown(file, name, files)
            meta = self._parquet_file(file, shown)[0].metadata
            sizes = [meta.row_group(g).total_byte_size for g in range(meta.num_row_groups)]
            rows = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
            found.append((file, shown, sizes, rows))
        target = max(1, sum(sum(sizes) for _, _, sizes, _ in found) // max(1, count))
        stretches = []
        for file, shown, sizes, rows in found:
            runs = []
            first = start = size = 0
            for group, grown in enumerate(sizes):
                large = grown >= 2 * target  # often a file's one row group: read in pieces
                if large and group > first:  # the run before it
                    end = start + sum(rows[first:group])
                    runs.append(RowGroups(path, file, shown, first, group, start, end, size))
                    first, start, size = group, end, 0
                size += grown
                if large or size >= target or group == len(sizes) - 1:
                    end = start + sum(rows[first : group + 1])
                    part = RowGroups(path, file, shown, first, group + 1, start, end, size)
                    runs += _pieces_of(part, round(grown / target)) if large else [part]
                    first, start, size = group + 1, end, 0
            if not sizes:  # no row group: its columns are still checked when it is read
                runs.append(RowGroups(path, file, shown, 0, 0))
            stored, total = os.path.getsize(file), max(1, sum(rows))
            stretches += [
                replace(run, stored=stored * run.end // total - stored * run.start // total)
                for run in runs
            ]
        return stretches

    def read_stretch(
        self, stretch: Stretch | RowGroups, splitter: Executor
    ) -> Generator[Chunk, None, StretchEnd]:
        """One stretch's events, as `read` gives those lines (`stats` counts them), but
        numbered from 1 at the stretch's first line (`seq` is `base` plus that number).
        Blocks are split on `splitter`'s thread, one a worker's stretches share (a thread
        started and joined for each of an export's thousands of small files cost
        milliseconds a file, waiting for the GIL).
        Raises `Unsplittable` where the splitter cannot vouch for a block (a quoted cell
        that may span lines, a bare carriage return, bytes that are not UTF-8, a line over
        the cell limit; in JSON Lines, a line over the line limit): the whole file is then
        read by `read`, whose reference row loop takes over from such a block."""
        ref = self.ref
        if isinstance(stretch, RowGroups):
            ref.use(ref.root.source_for(stretch.given))
            return StretchEnd((yield from self._row_groups(stretch)))
        ref.use(ref.root.source_for(stretch.named))
        ref.file = name = display_name(stretch.named)
        if stretch.json:
            return (yield from self._json_stretch(stretch, name))
        layout = self._layout = ref.layout(list(stretch.header), name)
        ref.has_ids = ref.has_ids or layout.event_id >= 0
        options = self._options(layout, stretch.delimiter)
        quoted = _quoted_line(stretch.delimiter)
        line = 0
        pending: _Split | None = None
        try:
            with open(stretch.path, "rb", buffering=0) as raw:
                source: io.BufferedReader = io.BufferedReader(
                    _Slice(raw, stretch.start, stretch.end), BUFFER
                )
                # a small file's buffers its size, not a block's (zeroed and faulted in
                # for each of an export's thousands of part files)
                size = min(self.block, stretch.end - stretch.start + 1)
                for block in chain(_Blocks(source, size), [None]):
                    split = None
                    if block is not None:
                        self.taken += len(block)
                        if not _plain(block, quoted):
                            raise Unsplittable(name)
                        split = _Split(splitter.submit(_split, block, options), block)
                    if pending is not None:
                        pending.before = line
                        if not (yield from self._block(pending, stretch.delimiter)):
                            raise Unsplittable(name)
                        line += pending.cells.result()[1]
                    pending = split
        except OSError as exc:
            raise SlalangError(f"{name}: cannot read events: {os_reason(exc)}") from None
        return StretchEnd(line)

    def _json_stretch(self, stretch: Stretch, name: str) -> Generator[Chunk, None, StretchEnd]:
        """A stretch of a JSON Lines file, read as `_json` reads the whole file."""
        ref = self.ref
        self._layout, keys = ref.json_layout()
        ref.has_ids = True
        state = _JsonFile(name, keys)
        try:
            with open(stretch.path, "rb", buffering=0) as raw:
                source: io.BufferedReader = io.BufferedReader(
                    _Slice(raw, stretch.start, stretch.end), BUFFER
                )
                yield from self._json_blocks(source, state, head=stretch.start == 0, whole=False)
        except OSError as exc:
            raise SlalangError(f"{name}: cannot read events: {os_reason(exc)}") from None
        return StretchEnd(state.lines, frozenset(state.absent), state.saw_object)

    def sample(self, stretch: Stretch | RowGroups, count: int, width: int = 1 << 14) -> pa.Array:
        """The lead ids of `count` windows of whole lines (about `width` bytes each) spread
        evenly over `stretch`, split by pyarrow in one call, or of `count` row groups of a
        run of them: what the bounds of range partitions are chosen from. A row it cannot
        split as a row of the header's width is left out, and no cell is checked as the
        read checks it: a sample that is off costs the partitions' balance, never the
        report's correctness."""
        ref = self.ref
        if isinstance(stretch, RowGroups):
            ref.use(ref.root.source_for(stretch.given))
            return self._sampled_groups(stretch, count)
        ref.use(ref.root.source_for(stretch.named))
        name = display_name(stretch.named)
        span = stretch.end - stretch.start
        try:
            with open(stretch.path, "rb") as handle:
                starts = sorted(
                    {
                        _line_start(handle, stretch.start + span * k // count, stretch.end)
                        for k in range(count)
                    }
                )
                windows = []
                for start in starts:
                    end = _line_start(handle, min(start + width, stretch.end), stretch.end)
                    handle.seek(start)
                    windows.append(handle.read(end - start))
        except OSError as exc:
            raise SlalangError(f"{name}: cannot read events: {os_reason(exc)}") from None
        if stretch.json:
            return _sampled_keys(windows, ref.json_layout()[1][0])
        column = f"f{ref.layout(list(stretch.header), name).lead}"
        options = {
            # on this thread: the process forks its readers next, with no other thread running
            "read_options": pacsv.ReadOptions(use_threads=False, autogenerate_column_names=True),
            "parse_options": pacsv.ParseOptions(
                delimiter=stretch.delimiter, invalid_row_handler=lambda row: "skip"
            ),
            "convert_options": pacsv.ConvertOptions(
                include_columns=[column], column_types={column: pa.string()}
            ),
        }
        # a window not UTF-8, or of a quoted cell over lines, is left out
        return _windows_read(windows, lambda data: _sampled_ids(data, options))

    def _sampled_groups(self, part: RowGroups, count: int) -> pa.Array:
        """Every `_SAMPLE_EVERY`-th lead id of `count` row groups of `part`, spread evenly: a
        row group's column is read from its first row (Parquet starts reading one there,
        and a file's first rows may hold only its first leads); a piece of one takes the
        ids of its rows, from the group sampled for the piece before it."""
        source, layout = self._parquet_file(part.path, part.shown)
        lead = source.schema_arrow.names[layout.lead]
        last = source.metadata.num_row_groups if part.last is None else part.last
        span = max(0, last - part.first)
        ids = [pa.array([], pa.string())]
        for group in sorted({part.first + span * k // count for k in range(count)} if span else ()):
            if self._sampled is None or self._sampled[0] != (part.path, group):
                # the pieces of a large row group are sampled one after another
                self._sampled = (
                    (part.path, group),
                    self._group_sample(source, part.shown, group, lead),
                )
            sampled = self._sampled[1]
            if part.piece:  # the ids of rows `skip` to `skip + rows`
                first = -(-part.skip // _SAMPLE_EVERY)
                sampled = sampled[first : -(-(part.skip + part.end - part.start) // _SAMPLE_EVERY)]
            ids.append(sampled)
        return pa.chunked_array(ids, pa.string()).combine_chunks()

    def _group_sample(self, source: Any, shown: str, group: int, lead: str) -> pa.Array:
        """The lead ids of a row group's rows 0, `_SAMPLE_EVERY`, twice that and so on, read
        in batches: a group of 100M rows never has its whole column in memory."""
        ids, row = [pa.array([], pa.string())], 0
        with _parquet_errors(shown):
            for batch in source.iter_batches(
                batch_size=1 << 16, row_groups=[group], columns=[lead], use_threads=False
            ):
                text = _as_text(batch.column(0))
                first = -row % _SAMPLE_EVERY
                ids.append(text.take(pa.array(np.arange(first, len(text), _SAMPLE_EVERY))))
                row += len(text)
        return pa.chunked_array(ids, pa.string()).combine_chunks()


_SAMPLE_EVERY = 64
"""One lead id in this many of a sampled row group: a million rows give 16,384 ids."""


def _sampled_ids(data: bytes, options: dict[str, Any]) -> pa.Array:
    return pacsv.read_csv(pa.py_buffer(data), **options).column(0).combine_chunks()


@dataclass(frozen=True, slots=True)
class StretchEnd:
    """What reading a stretch found besides its events: its line feeds (a run of row
    groups: its rows); for JSON Lines, the required keys no object of it had and whether
    any line was an object, since a file's "no line has the key" check spans its stretches."""

    lines: int
    absent: frozenset[str] = frozenset()
    saw_object: bool = False


def _windows_read(windows: Sequence[bytes], read: Callable[[bytes], pa.Array]) -> pa.Array:
    """`read` of the windows (whole lines) end to end, in one call; if pyarrow cannot read
    them so, of each window that it can read."""
    try:
        return read(b"".join(windows))
    except pa.ArrowException:
        found = [pa.array([], pa.string())]
        for window in windows:
            with contextlib.suppress(pa.ArrowException):
                found.append(read(window))
        return pa.chunked_array(found, pa.string()).combine_chunks()


def _sampled_keys(windows: Sequence[bytes], key: str) -> pa.Array:
    """The lead ids of windows of JSON Lines: `key`'s strings and integers (as their digits,
    the reference's text); a window that is not all objects with one kind of value under
    a key is left out."""

    def ids(data: bytes) -> pa.Array:
        options = pajson.ReadOptions(use_threads=False)  # the process forks its readers next
        table = pajson.read_json(pa.py_buffer(data), read_options=options)
        if key not in table.column_names:
            return pa.array([], pa.string())
        column = table.column(key).combine_chunks()
        if not (pa.types.is_string(column.type) or pa.types.is_integer(column.type)):
            return pa.array([], pa.string())
        return pc.drop_null(column.cast(pa.string()))

    return _windows_read(windows, ids)


class Unsplittable(Exception):
    """A stretch the splitter cannot vouch for: its file is to be read whole by `read`."""


@dataclass(frozen=True, slots=True)
class Stretch:
    """Bytes `start` to `end` of a CSV file: whole lines after its header, which is split on
    `delimiter` into `header`; or of a JSON Lines file (`json`: whole lines, no header).
    `before`: the lines of the file before the stretch, known for its first (the header's
    line, or none), None for the others (counted as they are read). `given`: the input as
    named (its mapping source, its name in messages) when `path` is a copy of it: standard
    input or a named pipe kept in a file, or gzip unpacked."""

    path: str
    start: int
    end: int
    header: tuple[str, ...]
    delimiter: str
    before: int | None
    json: bool = False
    given: str = ""

    @property
    def named(self) -> str:
        return self.given or self.path

    @property
    def size(self) -> int:
        return self.end - self.start

    @property
    def stored(self) -> int:
        """Its bytes of the file, as a run's progress counts them."""
        return self.size


@dataclass(frozen=True, slots=True)
class RowGroups:
    """Row groups `first` to `last` of a Parquet file `path` of the input `given` (all of
    them when `last` is None), shown as `shown` in messages: its rows `start` to `end`,
    `size` bytes of data, `stored` bytes of the file (its share by rows, for a run's
    progress). A piece of one large row group (`piece`) is its rows `start` to `end` only,
    `skip` rows after the group's first: Parquet cannot start reading a row group in its
    middle, so the rows before a piece are decoded and passed over."""

    given: str  # the input as named: a directory, or the file itself
    path: str
    shown: str
    first: int = 0
    last: int | None = None
    start: int = 0
    end: int = 0
    size: int = 0
    skip: int = 0
    piece: bool = False
    stored: int = 0

    @property
    def before(self) -> int:
        return self.start


def _pieces_of(group: RowGroups, count: int) -> list[RowGroups]:
    """One row group cut into `count` pieces of about equal rows."""
    rows = group.end - group.start
    marks = [rows * k // count for k in range(count + 1)]
    return [
        replace(
            group,
            start=group.start + lo,
            end=group.start + hi,
            size=group.size * (hi - lo) // max(1, rows),
            skip=lo,
            piece=True,
        )
        for lo, hi in pairwise(marks)
        if hi > lo
    ]


class _Slice(io.RawIOBase):
    """Bytes `start` to `end` of an open file."""

    def __init__(self, raw: io.FileIO, start: int, end: int) -> None:
        self._raw = raw
        self._at = start
        self._end = end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), self._end - self._at)
        if size <= 0:
            return 0
        self._raw.seek(self._at)
        got = self._raw.readinto(memoryview(buffer)[:size]) or 0
        self._at += got
        return got


def _pieces(handle: BinaryIO, start: int, size: int, count: int) -> list[tuple[int, int]]:
    """Bytes `start` to `size` of a file cut into up to `count` runs of whole lines of about
    equal bytes (at least one)."""
    cuts = [start]
    for k in range(1, count):
        at = max(cuts[-1], start + (size - start) * k // count)
        cuts.append(_line_start(handle, at, size))
    cuts.append(size)
    return [(lo, hi) for lo, hi in pairwise(cuts) if hi > lo] or [(start, size)]


def _line_start(handle: BinaryIO, at: int, size: int) -> int:
    """The offset of the first line that starts at or after `at` (`size` if none does)."""
    if at <= 0:
        return 0
    handle.seek(at - 1)
    position = at - 1
    while piece := handle.read(1 << 16):
        found = piece.find(b"\n")
        if found >= 0:
            return position + found + 1
        position += len(piece)
    return size


def _shown(file: str, name: str, files: Sequence[str]) -> str:
    """How messages name a Parquet file read as `name` (one of `files`)."""
    return file if len(files) == 1 else f"{name}/{os.path.basename(file)}"


@contextlib.contextmanager
def _parquet_errors(shown: str) -> Iterator[None]:
    """A Parquet file that cannot be opened or read (not Parquet, damaged pages) as the
    reader's one-line error naming it."""
    try:
        yield
    except (OSError, pa.ArrowException) as exc:
        raise SlalangError(f"{shown}: cannot read events: {exc}") from None


def _parquet_files(path: str, name: str) -> list[str]:
    if not os.path.isdir(path):
        return [path]
    files = sorted(
        os.path.join(path, entry)
        for entry in os.listdir(path)
        if entry.lower().endswith(".parquet") and not entry.startswith((".", "_"))
    )
    if not files:
        raise SlalangError(f"{name}: cannot read events: the directory holds no .parquet file")
    return files


def _as_text(column: pa.Array) -> pa.Array:
    """A typed Parquet column as the text cells of the same data in CSV (null: empty)."""
    kind = column.type
    if pa.types.is_timestamp(kind) and kind.tz is not None:
        text = _instants_text(pc.cast(column, pa.timestamp("s", tz="UTC"), safe=False), "Z")
    elif pa.types.is_timestamp(kind):
        text = _instants_text(column, "")
    elif pa.types.is_boolean(kind):
        text = pc.if_else(column, "true", "false")
    elif pa.types.is_dictionary(kind):
        text = pc.cast(column.dictionary_decode(), pa.string())
    else:
        text = pc.cast(column, pa.string())
    return pc.fill_null(text, "")


_FIRST_YEAR, _PAST_LAST_YEAR = -62135596800, 253402300800
"""0001-01-01 and 10000-01-01 in epoch seconds: the instants written with four-digit years."""


def _instants_text(column: pa.Array, zone: str) -> pa.Array:
    """Timestamps as `strftime` writes them with `%Y-%m-%dT%H:%M:%S` and `zone` after (the
    seconds with as many decimals as the unit has). `strftime` formats one value at a time,
    and took most of the time of reading a Parquet export (1.5 s a million rows); here each
    day the cells span is written once, and a cell takes the bytes of its day and of its
    second of the day from those tables."""
    digits = {"s": 0, "ms": 3, "us": 6, "ns": 9}[column.type.unit]
    values = np.asarray(
        column.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False), np.int64
    )
    epochs, fraction = np.divmod(values, 10**digits)
    if len(epochs) == 0 or epochs.min() < _FIRST_YEAR or epochs.max() >= _PAST_LAST_YEAR:
        return pc.strftime(column, format=f"%Y-%m-%dT%H:%M:%S{zone}")
    days, rest = np.divmod(epochs, 86400)
    first = int(days.min())
    span = int(days.max()) - first + 1
    parts = [("date", "V10"), ("time", "V9")]
    if digits:
        parts.append(("fraction", f"V{digits + 1}"))
    if zone:
        parts.append(("zone", f"V{len(zone)}"))
    cells = np.empty(len(epochs), np.dtype(parts))
    if span <= len(days):
        cells["date"] = _dates(np.arange(first, first + span))[days - first]
    else:
        cells["date"] = _dates(days)
    cells["time"] = _times()[rest]
    if digits:
        decimals = np.empty((len(epochs), digits + 1), np.uint8)
        decimals[:, 0] = ord(".")
        for k in range(digits):
            decimals[:, digits - k] = fraction // 10**k % 10 + ord("0")
        cells["fraction"] = decimals.view(f"V{digits + 1}").ravel()
    if zone:
        cells["zone"] = np.void(zone.encode())
    width = cells.dtype.itemsize
    offsets = np.arange(0, width * len(epochs) + 1, width, dtype=np.int32)
    text = pa.Array.from_buffers(
        pa.string(), len(epochs), [None, pa.py_buffer(offsets), pa.py_buffer(cells)]
    )
    return pc.if_else(pc.is_valid(column), text, None) if column.null_count else text


def _dates(days: npt.NDArray[np.int64]) -> npt.NDArray[np.void]:
    """`YYYY-MM-DD` of each day since 1970-01-01 (years 1 to 9999), each as one value of
    ten bytes: the proleptic Gregorian calendar by Howard Hinnant's `civil_from_days`."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    pairs = _pairs()
    rows = np.empty((len(days), 10), np.uint8)
    rows[:, 0:2] = pairs[year // 100]
    rows[:, 2:4] = pairs[year % 100]
    rows[:, 4] = rows[:, 7] = ord("-")
    rows[:, 5:7] = pairs[month]
    rows[:, 8:10] = pairs[doy - (153 * mp + 2) // 5 + 1]
    return rows.view("V10").ravel()


@functools.cache
def _times() -> npt.NDArray[np.void]:
    """`THH:MM:SS` of each second of a day, each as one value of nine bytes."""
    pairs = _pairs()
    second = np.arange(86400)
    rows = np.empty((86400, 9), np.uint8)
    rows[:, 0] = ord("T")
    rows[:, 1:3] = pairs[second // 3600]
    rows[:, 3] = rows[:, 6] = ord(":")
    rows[:, 4:6] = pairs[second // 60 % 60]
    rows[:, 7:9] = pairs[second % 60]
    return rows.view("V9").ravel()


@functools.cache
def _pairs() -> npt.NDArray[np.uint8]:
    """The two ASCII digits of 0 to 99, a row each."""
    return np.frombuffer("".join(f"{k:02d}" for k in range(100)).encode(), np.uint8).reshape(100, 2)


def _np(array: pa.Array) -> npt.NDArray[Any]:
    return np.asarray(array.to_numpy(zero_copy_only=False))


def _convert(
    column: pa.Array, filled_cells: npt.NDArray[np.bool_], convert: Any, spec: FieldSpec
) -> tuple[pa.Array, npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
    """A field's cells typed by the reference converter, one call per distinct value: the
    typed distinct values (the last one null, for an empty cell), each cell's position
    among them, and the cells the converter refuses. Field columns are mostly empty, so
    only the filled cells (`filled_cells`) are encoded."""
    filled = np.flatnonzero(filled_cells)  # nonzero of booleans: 5 times faster
    some = column if len(filled) == len(column) else column.take(pa.array(filled))
    encoded = pc.dictionary_encode(some)
    values: list[FieldValue | None] = []
    refused: list[bool] = []
    for text in encoded.dictionary.to_pylist():
        try:
            values.append(convert(text))
            refused.append(False)
        except ValueError:
            values.append(None)
            refused.append(True)
    positions = np.full(len(column), len(values), np.int32)
    positions[filled] = _np(encoded.indices)
    values.append(None)
    refused.append(False)
    bad = np.array(refused)[positions] if any(refused) else np.zeros(len(column), bool)
    return pa.array(values, _ARROW_TYPES[spec.type]), positions, bad


_NUMPY_TYPES: dict[pa.DataType, type[np.generic]] = {
    pa.float64(): np.float64,
    pa.date32(): np.int32,
}


def _gather(values: pa.Array, positions: npt.NDArray[np.int32]) -> pa.Array:
    """`values.take(positions)` where `values` is a field's typed distinct values, the last
    one null (an empty cell): a number or a date is gathered from the values' buffer by
    numpy, with a validity bitmap, at half the cost of Arrow's `take` on a column of
    mostly empty cells."""
    kind = _NUMPY_TYPES.get(values.type)
    if kind is None or values.null_count != 1:
        return values.take(positions)
    data = np.frombuffer(values.buffers()[1], kind, len(values), values.offset)[positions]
    valid = positions != len(values) - 1
    bits = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(values.type, len(positions), [bits, pa.py_buffer(data)])


def _empty_as_null(column: pa.Array) -> pa.Array:
    """A string array with its empty cells null (a validity bitmap over the same bytes)."""
    if column.null_count:
        return pc.if_else(pc.equal(column, ""), None, column)
    valid = _lengths(column) != 0
    if valid.all():
        return column
    bits = np.packbits(np.concatenate([np.ones(column.offset, bool), valid]), bitorder="little")
    return pa.Array.from_buffers(
        column.type, len(column), [pa.py_buffer(bits), *column.buffers()[1:]], offset=column.offset
    )


def _iso_epochs(column: pa.Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Strict `YYYY-MM-DDTHH:MM:SS(Z|±HH:MM)` cells as epoch seconds, vectorised; `ok` is
    False for every other cell (and for impossible dates, which the reference parser then
    refuses). The cells of each of the two lengths are laid side by side as the rows of a
    byte matrix (the column's own bytes when every cell has that length)."""
    n = len(column)
    ts = np.zeros(n, np.int64)
    ok = np.zeros(n, bool)
    if column.type != pa.string():
        column = column.cast(pa.string())
    lengths = _lengths(column)
    for width in (20, 25):
        pick = lengths == width
        if not pick.any():
            continue
        every = pick.all()
        same = column if every else pc.filter(column, pa.array(pick))
        offsets = np.frombuffer(same.buffers()[1], np.int32, len(same) + 1, same.offset * 4)
        data = np.frombuffer(same.buffers()[2], np.uint8)
        matrix = data[offsets[0] : offsets[-1]].reshape(len(same), width)
        epochs, valid = _arrow_epochs(same, matrix) or _matrix_epochs(matrix)
        if every:
            return epochs, valid
        ts[pick] = epochs
        ok[pick] = valid
    return ts, ok


def _arrow_epochs(
    cells: pa.Array, matrix: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]] | None:
    """`_matrix_epochs` of cells that are all a strict timestamp of a real date and time,
    by Arrow's ISO-8601 parser (15 ns a cell, a third of `_matrix_epochs`' cost); None when
    one is not, and `_matrix_epochs` then says which. Arrow's parser reads only what the
    strict form is once its letters and sign are where they should be (it also takes a
    space for the `T`): every digit and mark checked, the day within its month, the hour
    below 24, an offset below 24:00. Instants outside the reference's range are left to
    it, as `_matrix_epochs` leaves them."""
    shape = matrix[:, 10] == ord("T")
    if matrix.shape[1] == 20:
        shape &= matrix[:, 19] == ord("Z")
    else:
        shape &= (matrix[:, 19] == ord("+")) | (matrix[:, 19] == ord("-"))
        shape &= matrix[:, 22] == ord(":")
    if not shape.all():
        return None
    try:
        instants = pc.cast(cells, pa.timestamp("s", "UTC"))
    except pa.ArrowInvalid:
        return None
    epochs = _np(instants.cast(pa.int64()))
    valid = (epochs >= EARLIEST) & (epochs < LATEST)
    if not valid.all():
        epochs = np.where(valid, epochs, 0)
    return epochs, valid


def _pair_values() -> npt.NDArray[np.int32]:
    """The number two bytes write, indexed by the bytes read as one little-endian 16-bit
    integer; NOT_TWO_DIGITS (100) where either byte is not a digit."""
    first, second = np.arange(1 << 16) % 256 - 48, np.arange(1 << 16) // 256 - 48
    digits = (first >= 0) & (first < 10) & (second >= 0) & (second < 10)
    return np.where(digits, first * 10 + second, NOT_TWO_DIGITS).astype(np.int32)


NOT_TWO_DIGITS = 100
_PAIR = _pair_values()
_MONTHS = 14  # month numbers 0 to 13, a larger one counted as 13: none of them real


def _month_table() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """Epoch seconds of the first of each month and the month's length (0: no such month),
    indexed by (century pair, year pair, month) as `_matrix_epochs` reads them; a pair
    that is not two digits (NOT_TWO_DIGITS) has no month (proleptic Gregorian dates, as
    datetime has them)."""
    pairs = NOT_TWO_DIGITS + 1
    high, low = np.divmod(np.arange(pairs * pairs), pairs)
    year = (high * 100 + low)[:, None]
    month = np.arange(_MONTHS)[None, :]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    real = (month >= 1) & (month <= 12) & (year >= 1)
    real &= ((high < NOT_TWO_DIGITS) & (low < NOT_TWO_DIGITS))[:, None]
    safe = np.where(real, month, 1)
    before = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])[safe]
    length = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[safe]
    y = year - 1
    days = y * 365 + y // 4 - y // 100 + y // 400 + before + ((safe > 2) & leap)
    days -= 719162  # date(1970, 1, 1).toordinal() - 1
    length += (safe == 2) & leap
    return (days * 86400).astype(np.int64).ravel(), np.where(real, length, 0).astype(
        np.int32
    ).ravel()


_MONTH_START, _MONTH_DAYS = _month_table()
_MARKS = {20: ((4, 7, 10, 13, 16, 19), b"--T::Z"), 25: ((4, 7, 10, 13, 16, 22), b"--T:::")}


def _matrix_epochs(
    matrix: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Epoch seconds of rows of ISO-8601 bytes, 20 wide (`Z`) or 25 (`±HH:MM`), and which
    rows are such a timestamp of a real date and time in the reference's range. Each pair
    of digits is read by one look-up of its two bytes (a pair that is not two digits reads
    as 100, which no field allows) and each month's start and length by another, so a row
    costs a few gathers and no division; the instant is worked in 64 bits. The look-ups
    are `take(mode="clip")`: every index is in range by construction, and a take that
    need not check its indices is a third cheaper."""
    width = matrix.shape[1]

    def pair(at: int) -> npt.NDArray[np.int32]:
        values: npt.NDArray[np.int32] = _PAIR.take(
            matrix[:, at : at + 2].view("<u2")[:, 0], mode="clip"
        )
        return values

    places, marks = _MARKS[width]
    ok = matrix[:, places[0]] == marks[0]
    for place, mark in zip(places[1:], marks[1:], strict=True):
        ok &= matrix[:, place] == mark
    month = np.minimum(pair(5), _MONTHS - 1)
    at = (pair(0) * (NOT_TWO_DIGITS + 1) + pair(2)) * _MONTHS + month
    day, hour, minute, second = pair(8), pair(11), pair(14), pair(17)
    ok &= (
        (day >= 1)
        & (day <= _MONTH_DAYS.take(at, mode="clip"))
        & (hour < 24)
        & (minute < 60)
        & (second < 60)
    )
    clock = (day - 1) * 86400 + hour * 3600 + minute * 60 + second
    if width == 25:
        sign = matrix[:, 19]
        ok &= (sign == ord("+")) | (sign == ord("-"))
        off_hour, off_min = pair(20), pair(23)
        ok &= (off_hour < 24) & (off_min < 60)
        clock -= np.where(sign == ord("-"), -1, 1) * (off_hour * 3600 + off_min * 60)
    epoch = _MONTH_START.take(at, mode="clip") + clock
    ok &= (epoch >= EARLIEST) & (epoch < LATEST)  # the reference refuses the rest
    epoch[~ok] = 0
    return epoch, ok


def _lengths(column: pa.Array) -> npt.NDArray[np.int32]:
    """The byte length of each cell of a string array, from its offsets (no copy)."""
    offsets = np.frombuffer(column.buffers()[1], np.int32, len(column) + 1, column.offset * 4)
    return np.diff(offsets)


def _plain(block: Data, quoted: re.Pattern[bytes]) -> bool:
    """Whether pyarrow splits every line of the block into the cells the reference reader
    makes of it: no bare carriage return (a line end to the reference reader), no line
    near the cell limit, and every line with a double quote a line of well-formed quoted
    cells (so no record spans lines). Text that is not UTF-8 is left to pyarrow to find."""
    if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
        return False
    if not _short_lines(block) and _longest(block) >= CELL_LIMIT:
        return False
    if b'"' in block:
        for line in _lines_with_quote(block):
            if not quoted.fullmatch(line.rstrip(b"\r")):
                return False
    return True


_WINDOW = CELL_LIMIT // 4


def _short_lines(block: Data) -> bool:
    """A cheap bound: when every window of CELL_LIMIT / 4 bytes holds a line feed, no line
    is longer than CELL_LIMIT / 2, and the block need not be measured line by line."""
    find = block.find
    return all(find(b"\n", at, at + _WINDOW) >= 0 for at in range(0, len(block), _WINDOW))


def _line_bounds(block: Data) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Where each line of the block starts and ends (its line feed, or the block's end)."""
    ends = np.flatnonzero(np.frombuffer(block, np.uint8) == 10)
    if len(ends) == 0 or ends[-1] != len(block) - 1:
        ends = np.append(ends, len(block))
    starts = np.concatenate(([0], ends[:-1] + 1))
    return starts, ends


def _longest(block: Data) -> int:
    """The length of the block's longest line, in bytes."""
    ends = np.flatnonzero(np.frombuffer(block, np.uint8) == 10)
    return int(np.diff(ends, prepend=-1, append=len(block)).max())


def _lines_with_quote(block: Data) -> Iterator[Data]:
    at = block.find(b'"')
    while at >= 0:
        start = block.rfind(b"\n", 0, at) + 1
        end = block.find(b"\n", at)
        end = len(block) if end < 0 else end
        yield block[start:end]
        at = block.find(b'"', end)


def _quoted_line(delimiter: str) -> re.Pattern[bytes]:
    """A line of cells each plain (no quote) or wholly quoted with doubled inner quotes: the
    csv module reads such a line as one record, as pyarrow does."""
    d = re.escape(delimiter.encode())
    cell = rb'(?:"[^"]*(?:""[^"]*)*"|[^"' + d + rb"\r\n]*)"
    return re.compile(cell + rb"(?:" + d + cell + rb")*")


def _header(block: Data, delimiter: str) -> tuple[int, list[str], int] | None:
    """(byte offset after the header line, its cells stripped, its 1-based line number):
    the first line that is not blank, as the reference reader finds it."""
    at = 0
    number = 0
    while at < len(block):
        end = block.find(b"\n", at)
        end = len(block) if end < 0 else end + 1
        number += 1
        text = block[at:end].decode("utf-8").rstrip("\r\n")
        at = end
        if not text:
            continue
        row = (
            next(csv.reader([text], delimiter=delimiter)) if '"' in text else text.split(delimiter)
        )
        if row and row != [""]:
            return at, [cell.strip() for cell in row], number
    return None


def _cut(as_of: int | None) -> int:
    return sys.maxsize if as_of is None else as_of  # no cut-off: no event is after it
