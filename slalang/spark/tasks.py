"""What runs in the Spark executors: the local engine's own code over a partition's rows.

Reading uses the columnar reader (`slalang.engine.reader`) on the rows Spark hands over,
so mapping, typing and every rejection are decided by the same lines as a local run. A text
file (CSV, CSV.gz, JSON Lines) is read whole by one task with the event reader, as a local
run's reference reader reads it, so its line numbers, quoting and encoding checks are the
same; typed columns (Parquet, a table) come in Arrow batches and go straight through the
columnar reader's typed path, as a local run reads Parquet.

Every row a task emits has one Arrow schema (`event_schema`), told apart by `tag`: an event
(the columnar reader's chunk columns, keyed by lead, then input order: file rank, line, order
within the line), the task's input accounting, an error, a partition's summary, or partial
totals. A partition of events sorted by (lead, input order) is cut into groups of whole
leads and each group assembled into a columnar batch and replayed on the compiled kernel
(the reference replay where the kernel does not support the plan), exactly as a local
run's partitions are. Pickled blobs carry the accounting and the totals: executors and
driver run the same slalang.
"""

from __future__ import annotations

import gzip
import io
import pickle
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slalang.data.events import EXAMPLES, NEVER
from slalang.data.log import BadValue, InputStats, Rejection
from slalang.data.mapping import Mapping as SourceMapping
from slalang.data.typed_rows import NumberedRows, batch_rows
from slalang.data.values import FieldSpec
from slalang.diagnostics import SlalangError
from slalang.engine.assemble import assemble
from slalang.engine.reader import Chunk, ColumnarReader, schema
from slalang.engine.run import reduce_batch
from slalang.evaluate.aggregate import Window
from slalang.evaluate.run import field_specs
from slalang.memory import gc_paused

EVENT, STATS, ERROR, SUMMARY, TOTALS = 0, 1, 2, 3, 4
FILE_COLUMN, ROW_COLUMN = "__slalang_file", "__slalang_row"
"""The columns the driver adds to typed input: the file a row is in, its index there."""
ORDER = ("lead", "rank", "seq", "ord")
"""How a partition of events is sorted: by lead, then input order (file rank, line or row,
order within a line: a wide export's row makes several events)."""

_GZIP_MAGIC = b"\x1f\x8b"
_GROUP = 1 << 19
"""Events of a partition assembled and replayed at once (whole leads): bounds a task's
memory whatever the partition's size."""
_TAGGED = (("tag", pa.int8()), ("rank", pa.int32()), ("ord", pa.int64()), ("blob", pa.binary()))


def event_schema(fields: Mapping[str, FieldSpec]) -> pa.Schema:
    """The Arrow schema of every row a task emits: the tag, the input file's rank, the
    order within a line and a pickled blob, then the columnar reader's chunk columns."""
    return pa.schema([*_TAGGED, *schema(fields)])


def spark_schema(fields: Mapping[str, FieldSpec]) -> Any:
    """`event_schema` as Spark's StructType (what `mapInArrow` is told it returns)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(event_schema(fields))


def file_key(uri: str | None) -> str:
    """One spelling of a file's URI: Spark writes `file:/x` in some places and `file:///x`
    or percent-escapes in others."""
    if not uri:
        return ""
    parsed = urlparse(uri)
    return f"{parsed.scheme}://{parsed.netloc}{unquote(parsed.path)}"


@dataclass(frozen=True, slots=True)
class _Out:
    """Rows of `event_schema` as Arrow record batches."""

    schema: pa.Schema

    def events(self, chunk: Chunk, rank: int) -> Iterator[pa.RecordBatch]:
        n = len(chunk)
        table = chunk.table()
        tagged = {
            "tag": pa.array(np.full(n, EVENT, np.int8)),
            "rank": pa.array(np.full(n, rank, np.int32)),
            "ord": pa.array(np.arange(n, dtype=np.int64)),
            "blob": pa.nulls(n, pa.binary()),
        }
        columns = [
            tagged[name] if name in tagged else table.column(name) for name in self.schema.names
        ]
        yield from pa.Table.from_arrays(columns, schema=self.schema).to_batches()

    def note(self, tag: int, blob: bytes, rank: int | None = None) -> pa.RecordBatch:
        values = {"tag": [tag], "rank": [rank], "blob": [blob]}
        return pa.RecordBatch.from_pydict(
            {name: values.get(name, [None]) for name in self.schema.names}, schema=self.schema
        )


@dataclass(frozen=True, slots=True)
class ReadTask:
    """Map raw rows to events with the reader of a local run.

    `files` maps each input file's URI (as Spark names it) to its rank in input order and
    the name a local run would give it; `source` is the index of the mapping source typed
    rows are read with (text files find theirs by name, as in a local run).
    """

    fields: Mapping[str, FieldSpec]
    events: tuple[str, ...]
    mapping: SourceMapping
    timezone: str | None
    cut: int
    default_timezone: str
    files: Mapping[str, tuple[int, str]]

    def reader(self) -> ColumnarReader:
        as_of = None if self.cut == NEVER else self.cut
        return ColumnarReader(
            self.fields,
            self.events,
            self.mapping,
            self.timezone,
            as_of,
            default_timezone=self.default_timezone,
        )

    def read_files(self, batches: Iterator[Any]) -> Iterator[Any]:
        """Whole text files (Spark's binaryFile rows: path, content), each read as a local
        run's reference reader reads it."""
        reader = self.reader()
        ref = reader.ref
        out = _Out(event_schema(self.fields))
        examples = Examples()
        with gc_paused():
            for batch in batches:
                for uri, content in zip(
                    batch.column("path").to_pylist(),
                    batch.column("content").to_pylist(),
                    strict=True,
                ):
                    rank, name = self.files[file_key(uri)]
                    try:
                        ref.use(self.mapping.source_for(name))
                        ref.file = name
                        ref.read_stream(name, name, _stream(content))
                    except SlalangError as exc:
                        yield out.note(ERROR, pickle.dumps(str(exc)), rank)
                        return
                    examples.take(ref.stats, name)
                    yield from out.events(reader.harvest(_line), rank)
            yield out.note(STATS, _stats(reader, examples))

    def read_columns(self, source: int, header: list[str], batches: Iterator[Any]) -> Iterator[Any]:
        """Typed rows of one mapping source (`header` the input's columns), with the file
        and row index Spark gives each row."""
        reader = self.reader()
        ref = reader.ref
        ref.use(self.mapping.sources[source] if self.mapping.sources else self.mapping)
        out = _Out(event_schema(self.fields))
        examples = Examples()
        layout = None
        with gc_paused():
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                uris = batch.column(FILE_COLUMN).to_pylist()
                numbers = np.asarray(batch.column(ROW_COLUMN).to_numpy(), np.int64) + 1
                start = 0
                while start < len(uris):
                    end = start
                    while end < len(uris) and uris[end] == uris[start]:
                        end += 1
                    rank, name = self.files[file_key(uris[start])]
                    ref.file = name
                    try:
                        layout = layout or ref.layout(header, name)
                        part = batch.slice(start, end - start)
                        for chunk in _typed(reader, part, header, numbers[start:end], layout):
                            examples.take(ref.stats, name)
                            yield from out.events(chunk, rank)
                    except SlalangError as exc:
                        yield out.note(ERROR, pickle.dumps(str(exc)), rank)
                        return
                    examples.take(ref.stats, name)
                    start = end
            yield out.note(STATS, _stats(reader, examples))


def _line(event: Any) -> int:
    return int(event.line)


def _typed(
    reader: ColumnarReader, batch: Any, header: list[str], numbers: Any, layout: Any
) -> Iterator[Chunk]:
    """Typed rows as events: through the columnar reader's typed path, or, when a column
    the mapping uses holds bytes or nested values (which only the event reader's cell rules
    read: bytes checked as UTF-8, nested values as JSON), through the event reader."""
    used = {i for i in (layout.lead, layout.timestamp, layout.event, layout.event_id) if i >= 0}
    used |= {i for i, *_ in layout.fields} | {i for i, *_ in layout.dates}
    types = [batch.schema.field(name).type for name in header]
    if not any(_raw(types[i]) for i in used):
        # a column no rule reads may be of any type: it is only counted as a cell
        columns = [
            batch.column(name) if i in used else pa.nulls(batch.num_rows, pa.string())
            for i, name in enumerate(header)
        ]
        yield from reader.typed(pa.RecordBatch.from_arrays(columns, names=header), numbers, layout)
        return
    rows = batch_rows(batch, header)
    reader.ref.read_rows(NumberedRows(rows, numbers.tolist()), layout, _Watch(True))
    yield reader.harvest(_line)


def _raw(kind: Any) -> bool:
    types = pa.types
    return bool(types.is_binary(kind) or types.is_large_binary(kind) or types.is_nested(kind))


@dataclass(slots=True)
class _Watch:
    """Rows decoded from binary columns may hold bytes that are not UTF-8: the reader
    checks each."""

    dirty: bool


def _stream(content: bytes) -> io.BufferedReader:
    raw: io.BufferedReader = io.BufferedReader(io.BytesIO(content))
    if raw.peek(2)[:2] == _GZIP_MAGIC:
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"))
    return raw


def _stats(reader: ColumnarReader, examples: Examples) -> bytes:
    """A task's input accounting, with the examples it kept, for the driver."""
    ref = reader.ref
    ref.note_assumed_zone()
    ref.stats.rejected_examples = examples.rejected
    ref.stats.bad_value_examples = examples.bad_values
    return pickle.dumps(ref.stats)


@dataclass(slots=True)
class Examples:
    """The first rejected rows and bad values of each file a task read.

    The reader keeps the first it meets, but a task may meet files out of input order, so
    they are moved out per file and the first of each file kept: the driver then picks the
    first in input order across all tasks."""

    rejected: list[Rejection] = field(default_factory=list)
    bad_values: list[BadValue] = field(default_factory=list)

    def take(self, stats: InputStats, file: str) -> None:
        for found, kept in (
            (stats.rejected_examples, self.rejected),
            (stats.bad_value_examples, self.bad_values),
        ):
            room = EXAMPLES - sum(1 for example in kept if example.file == file)
            kept.extend(found[:room])  # type: ignore[arg-type]
            found.clear()


@dataclass(frozen=True, slots=True)
class Summary:
    """A partition's part of the input accounting that needs whole timelines."""

    leads: int = 0
    duplicates: int = 0
    first_ts: int | None = None
    last_ts: int | None = None


Note = tuple[int, int | None, bytes]
"""A row that is not an event: its tag, input rank (of an error) and blob."""


def _groups(batches: Iterator[Any], notes: list[Note]) -> Iterator[pa.Table]:
    """The events of a partition sorted by `ORDER`, in groups of whole leads of about
    `_GROUP` rows, each with `seq` its rows' position (their input order, since a lead's
    rows are sorted by it); other rows' tags, ranks and blobs are collected in `notes`."""
    held: list[pa.Table] = []
    size = 0
    for batch in batches:
        is_event = pc.equal(batch.column("tag"), pa.scalar(EVENT, pa.int8()))
        other = batch.filter(pc.invert(is_event))
        columns = (other.column(name).to_pylist() for name in ("tag", "rank", "blob"))
        notes.extend(zip(*columns, strict=True))
        events = batch.filter(is_event)
        if not events.num_rows:
            continue
        held.append(pa.Table.from_batches([events]))
        size += events.num_rows
        if size >= _GROUP:
            table = pa.concat_tables(held).combine_chunks()
            leads = table.column("lead")
            cut = pc.index(leads, leads[-1]).as_py()  # the last lead may go on: keep it
            held, size = [table.slice(cut)], table.num_rows - cut
            if cut:
                yield _numbered(table.slice(0, cut))
    if size:
        yield _numbered(pa.concat_tables(held))


def _numbered(table: pa.Table) -> pa.Table:
    position = pa.array(np.arange(table.num_rows, dtype=np.int64))
    return table.set_column(table.schema.get_field_index("seq"), "seq", position)


@dataclass(frozen=True, slots=True)
class LeadTask:
    """Per-lead work over partitions sorted by `ORDER`: each group of whole leads is a
    columnar batch, as a partition of a local run is."""

    plan: Mapping[str, Any]

    def summarize(self, batches: Iterator[Any]) -> Iterator[Any]:
        """Drop repeated event ids as the local engine does and count what is left; pass
        the reading tasks' accounting and errors on to the driver."""
        notes: list[Note] = []
        leads = duplicates = 0
        firsts: list[int] = []
        lasts: list[int] = []
        for table in _groups(batches, notes):
            batch, dropped = assemble(table, {}, self.plan["events"], InputStats(), True)
            leads += len(batch.lead_ids)
            duplicates += dropped
            if batch.stats.first_ts is not None and batch.stats.last_ts is not None:
                firsts.append(batch.stats.first_ts)
                lasts.append(batch.stats.last_ts)
        out = _Out(event_schema(field_specs(self.plan)))
        for tag, rank, blob in notes:
            yield out.note(tag, blob, rank)
        summary = Summary(leads, duplicates, min(firsts, default=None), max(lasts, default=None))
        yield out.note(SUMMARY, pickle.dumps(summary))

    def replay(
        self, as_of: int, window: Window, compiled: bool, batches: Iterator[Any]
    ) -> Iterator[Any]:
        """Replay each group of leads on the compiled kernel (the reference replay when
        the kernel does not support the plan, or not `compiled`: a small input) and fold;
        each group's counts and report entries are handed out as they are made, so a task's
        memory stays bounded."""
        specs = field_specs(self.plan)
        out = _Out(event_schema(specs))
        for table in _groups(batches, []):
            batch, _ = assemble(table, specs, self.plan["events"], InputStats(), True)
            del table
            folded = reduce_batch(self.plan, batch, as_of, window, compiled=compiled)
            yield out.note(TOTALS, pickle.dumps(folded))


def merge_stats(parts: list[InputStats], rank_of: Mapping[str, int]) -> InputStats:
    """The reading tasks' accounting as one: counts added, the first rejected rows in
    input order (file rank, then line) kept."""
    merged = InputStats()
    for part in parts:
        merged.add_counts(part)
        merged.rejected_examples.extend(part.rejected_examples)
        merged.bad_value_examples.extend(part.bad_value_examples)
        merged.timezone_assumed = merged.timezone_assumed or part.timezone_assumed
        for pair, file in part.loose_columns.items():
            first = merged.loose_columns.setdefault(pair, file)
            if rank_of.get(file, 0) < rank_of.get(first, 0):
                merged.loose_columns[pair] = file
    merged.loose_columns = dict(
        sorted(merged.loose_columns.items(), key=lambda item: rank_of.get(item[1], 0))
    )
    merged.rejected_examples.sort(key=lambda r: (rank_of.get(r.file, 0), r.line))
    del merged.rejected_examples[EXAMPLES:]
    # a row's bad cells are noted in column order: a stable sort keeps it
    merged.bad_value_examples.sort(key=lambda b: (rank_of.get(b.file, 0), b.line))
    del merged.bad_value_examples[EXAMPLES:]
    return merged
