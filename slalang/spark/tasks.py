"""What runs in the Spark executors: the local engine's own code over a partition's rows.

Reading uses the event reader's loops (`slalang.data.events`) on the rows Spark hands over,
so mapping, typing and every rejection are decided by the same lines as a local run. A text
file (CSV, CSV.gz, JSON Lines) is read whole by one task, as the local reader reads it, so
its line numbers, quoting and encoding checks are the same; typed columns (Parquet, a
table) come in Arrow batches and become text rows (`slalang.data.typed_rows`).

Everything a task emits is a row of one Arrow schema (`SCHEMA`), told apart by `tag`: an
event (keyed by lead, then its input order: file rank, line, order within the task), the
task's input accounting, an error, a partition's summary, or partial totals. Pickled
blobs carry the accounting and the totals: executors and driver run the same slalang.
"""

from __future__ import annotations

import gzip
import io
import pickle
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlparse

from slalang.data.events import EXAMPLES, RowReader, drop_duplicates
from slalang.data.log import BadValue, Event, InputStats, Rejection
from slalang.data.mapping import Mapping as SourceMapping
from slalang.data.typed_rows import NumberedRows, batch_rows
from slalang.data.values import FieldSpec, FieldValue
from slalang.diagnostics import SlalangError
from slalang.evaluate.aggregate import Reducer, Totals, Window
from slalang.evaluate.replay import replay
from slalang.evaluate.runtime import build_runtime
from slalang.memory import gc_paused

SCHEMA = (
    "tag byte, lead string, ts long, rank int, line long, ord long, kind string, "
    "fields binary, event_id string, blob binary"
)
COLUMNS = ("tag", "lead", "ts", "rank", "line", "ord", "kind", "fields", "event_id", "blob")
EVENT, STATS, ERROR, SUMMARY, TOTALS = 0, 1, 2, 3, 4
FILE_COLUMN, ROW_COLUMN = "__slalang_file", "__slalang_row"
"""The columns the driver adds to typed input: the file a row is in, its index there."""

_GZIP_MAGIC = b"\x1f\x8b"
_BATCH = 1 << 15
_SHARD = 20_000
_NO_FIELDS: Mapping[str, FieldValue] = MappingProxyType({})


def file_key(uri: str | None) -> str:
    """One spelling of a file's URI: Spark writes `file:/x` in some places and `file:///x`
    or percent-escapes in others."""
    if not uri:
        return ""
    parsed = urlparse(uri)
    return f"{parsed.scheme}://{parsed.netloc}{unquote(parsed.path)}"


class _Out:
    """Output rows gathered column by column and handed out as Arrow batches."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}

    def add(self, tag: int, **values: Any) -> None:
        for name, column in self.columns.items():
            column.append(tag if name == "tag" else values.get(name))

    def __len__(self) -> int:
        return len(self.columns["tag"])

    def batch(self) -> Any:
        import pyarrow as pa

        arrays = [
            pa.array(self.columns["tag"], pa.int8()),
            pa.array(self.columns["lead"], pa.string()),
            pa.array(self.columns["ts"], pa.int64()),
            pa.array(self.columns["rank"], pa.int32()),
            pa.array(self.columns["line"], pa.int64()),
            pa.array(self.columns["ord"], pa.int64()),
            pa.array(self.columns["kind"], pa.string()),
            pa.array(self.columns["fields"], pa.binary()),
            pa.array(self.columns["event_id"], pa.string()),
            pa.array(self.columns["blob"], pa.binary()),
        ]
        for column in self.columns.values():
            column.clear()
        return pa.RecordBatch.from_arrays(arrays, names=list(COLUMNS))


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

    def reader(self) -> RowReader:
        return RowReader(
            self.fields, self.events, self.mapping, self.timezone, self.cut, self.default_timezone
        )

    def read_files(self, batches: Iterator[Any]) -> Iterator[Any]:
        """Whole text files (Spark's binaryFile rows: path, content), each read as a local
        run reads it."""
        reader = self.reader()
        out = _Out()
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
                        reader.use(self.mapping.source_for(name))
                        reader.file = name
                        reader.read_stream(name, name, _stream(content))
                    except SlalangError as exc:
                        out.add(ERROR, rank=rank, blob=pickle.dumps(str(exc)))
                        yield out.batch()
                        return
                    yield from _drain(reader, rank, out, examples)
            out.add(STATS, blob=_stats(reader, examples))
            yield out.batch()

    def read_columns(self, source: int, header: list[str], batches: Iterator[Any]) -> Iterator[Any]:
        """Typed rows of one mapping source (`header` the input's columns), with the file
        and row index Spark gives each row."""
        import pyarrow as pa

        reader = self.reader()
        reader.use(self.mapping.sources[source] if self.mapping.sources else self.mapping)
        out = _Out()
        examples = Examples()
        layout = None
        with gc_paused():
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                uris = batch.column(FILE_COLUMN).to_pylist()
                numbers = [index + 1 for index in batch.column(ROW_COLUMN).to_pylist()]
                watch = _Watch(_has_binary(batch, header, pa))
                start = 0
                while start < len(uris):
                    end = start
                    while end < len(uris) and uris[end] == uris[start]:
                        end += 1
                    rank, name = self.files[file_key(uris[start])]
                    reader.file = name
                    try:
                        layout = layout or reader.layout(header, name)
                        rows = batch_rows(batch.slice(start, end - start), header)
                        reader.read_rows(NumberedRows(rows, numbers[start:end]), layout, watch)
                    except SlalangError as exc:
                        out.add(ERROR, rank=rank, blob=pickle.dumps(str(exc)))
                        yield out.batch()
                        return
                    yield from _drain(reader, rank, out, examples)
                    start = end
            out.add(STATS, blob=_stats(reader, examples))
            yield out.batch()


@dataclass(slots=True)
class _Watch:
    """Whether rows may hold bytes that are not UTF-8 (decoded from binary columns), so the
    reader checks each; text columns from Arrow are always UTF-8."""

    dirty: bool


def _has_binary(batch: Any, header: list[str], pa: Any) -> bool:
    return any(
        pa.types.is_binary(t) or pa.types.is_large_binary(t)
        for t in (batch.schema.field(name).type for name in header)
    )


def _stream(content: bytes) -> io.BufferedReader:
    raw: io.BufferedReader = io.BufferedReader(io.BytesIO(content))
    if raw.peek(2)[:2] == _GZIP_MAGIC:
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"))
    return raw


def _stats(reader: RowReader, examples: Examples) -> bytes:
    """A task's input accounting, with the examples it kept, for the driver."""
    reader.note_assumed_zone()
    reader.stats.rejected_examples = examples.rejected
    reader.stats.bad_value_examples = examples.bad_values
    return pickle.dumps(reader.stats)


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


def _drain(reader: RowReader, rank: int, out: _Out, examples: Examples) -> Iterator[Any]:
    """The events read so far as output rows; the reader keeps only its counts."""
    examples.take(reader.stats, reader.file)
    for lead, timeline in reader.leads.items():
        for event in timeline:
            out.add(
                EVENT,
                lead=lead,
                ts=event.ts,
                rank=rank,
                line=event.line,
                ord=event.seq,
                kind=event.type,
                fields=pickle.dumps(dict(event.fields)) if event.fields else None,
                event_id=event.event_id,
            )
            if len(out) >= _BATCH:
                yield out.batch()
    reader.leads.clear()
    if len(out):
        yield out.batch()


@dataclass(frozen=True, slots=True)
class Summary:
    """A partition's part of the input accounting that needs whole timelines."""

    leads: int = 0
    events: int = 0
    duplicates: int = 0
    first_ts: int | None = None
    last_ts: int | None = None


def _timelines(
    batches: Iterator[Any], names: list[str], blobs: list[tuple[int, bytes]]
) -> Iterator[tuple[str, list[Event]]]:
    """Each lead's events of a partition sorted by (lead, input order), in input order, as
    the local reader builds them; other rows' blobs are collected in `blobs`."""
    current: str | None = None
    timeline: list[Event] = []
    for batch in batches:
        data = batch.to_pydict()
        for tag, lead, ts, rank, line, kind, fields, event_id, blob in zip(
            data["tag"],
            data["lead"],
            data["ts"],
            data["rank"],
            data["line"],
            data["kind"],
            data["fields"],
            data["event_id"],
            data["blob"],
            strict=True,
        ):
            if tag != EVENT:
                blobs.append((tag, blob))
                continue
            if lead != current:
                if timeline and current is not None:
                    yield current, timeline
                current, timeline = lead, []
            values = pickle.loads(fields) if fields is not None else _NO_FIELDS
            timeline.append(Event(ts, len(timeline), kind, values, event_id, names[rank], line))
    if timeline and current is not None:
        yield current, timeline


@dataclass(frozen=True, slots=True)
class LeadTask:
    """Per-lead work over partitions sorted by (lead, input order). `names` are the input
    files by rank."""

    names: list[str]

    def summarize(self, batches: Iterator[Any]) -> Iterator[Any]:
        """Drop repeated event ids as the local reader does and count what is left; pass
        the reading tasks' accounting and errors on to the driver."""
        blobs: list[tuple[int, bytes]] = []
        leads = events = duplicates = 0
        first: int | None = None
        last: int | None = None
        with gc_paused():
            for _, timeline in _timelines(batches, self.names, blobs):
                duplicates += drop_duplicates(timeline)
                low = min(event.ts for event in timeline)
                high = max(event.ts for event in timeline)
                first = low if first is None else min(first, low)
                last = high if last is None else max(last, high)
                leads += 1
                events += len(timeline)
        out = _Out()
        for tag, blob in blobs:
            out.add(tag, blob=blob)
        out.add(SUMMARY, blob=pickle.dumps(Summary(leads, events, duplicates, first, last)))
        yield out.batch()

    def replay(
        self, plan: Mapping[str, Any], as_of: int, window: Window, batches: Iterator[Any]
    ) -> Iterator[Any]:
        """Replay each lead with the reference replay and reduce; partial totals are handed
        out every few thousand leads so a partition's memory stays bounded."""
        runtime = build_runtime(plan)
        reducer = Reducer(plan, window)
        totals = Totals()
        count = 0
        out = _Out()
        with gc_paused():
            for lead, timeline in _timelines(batches, self.names, []):
                drop_duplicates(timeline)
                timeline.sort()
                reducer.add(totals, replay(runtime, lead, timeline, as_of))
                count += 1
                if count % _SHARD == 0:
                    out.add(TOTALS, blob=pickle.dumps(totals))
                    yield out.batch()
                    totals = Totals()
        out.add(TOTALS, blob=pickle.dumps(totals))
        yield out.batch()


def merge_stats(parts: list[InputStats], rank_of: Mapping[str, int]) -> InputStats:
    """The reading tasks' accounting as one: counts added, the first rejected rows in
    input order (file rank, then line) kept."""
    merged = InputStats()
    for part in parts:
        merged.rows += part.rows
        merged.events += part.events
        merged.after_as_of += part.after_as_of
        merged.expanded += part.expanded
        for reason, count in part.rejected.items():
            merged.rejected[reason] = merged.rejected.get(reason, 0) + count
        for raw, count in part.unknown_events.items():
            merged.unknown_events[raw] = merged.unknown_events.get(raw, 0) + count
        for name, reasons in part.bad_values.items():
            counts = merged.bad_values.setdefault(name, {})
            for reason, count in reasons.items():
                counts[reason] = counts.get(reason, 0) + count
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
