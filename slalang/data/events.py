"""Data in: event logs read into per-lead timelines, every unused row counted by reason.

This is the first stage of evaluation (RUNNER §1, §5). Its output, an EventLog, holds each
lead's events sorted by time (ties in input order) with typed field values, and the input
accounting the report shows. Rows are read in one tight loop per input: column positions,
converters and the time zone are all resolved from the header before the first row.
"""

from __future__ import annotations

import difflib
import errno
import io
import os
import re
import sys
import zlib
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from collections.abc import Mapping as AbstractMapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import BinaryIO, Protocol
from zoneinfo import ZoneInfo

from slalang.data.duckdb_source import is_database, query_sources, read_queries
from slalang.data.headers import Header
from slalang.data.log import REASONS, BadValue, Event, EventLog, InputStats, Rejection
from slalang.data.mapping import CANONICAL_COLUMNS, Mapping
from slalang.data.sources import (
    NESTED,
    CsvRows,
    JsonRows,
    detect_format,
    display_name,
    has_escaped_bytes,
    input_stream,
    open_binary,
)
from slalang.data.values import (
    BAD_VALUE_REASONS,
    Converter,
    FieldSpec,
    FieldValue,
    LocalClock,
    NaiveTimestampError,
    converter,
    describe_bad_timestamp,
    printable,
    quote,
    timestamp_parser,
    without_offset,
)
from slalang.diagnostics import SlalangError
from slalang.memory import gc_paused

EXAMPLES = 20
_VALUE_SHOWN = 200  # characters of a bad value kept as its example
_NO_FIELDS: AbstractMapping[str, FieldValue] = MappingProxyType({})
NEVER = sys.maxsize  # the as-of cut-off when there is none: no event is after it


class _Rows(Protocol):
    """Rows of text cells; `line_num` is the line the row last yielded starts on."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


class _Watch(Protocol):
    dirty: bool


@dataclass(slots=True)
class _Layout:
    """Where each needed value sits in a row of one input, and how to convert it."""

    width: int  # cells a well-formed row has (JSON rows always have it)
    lead: int
    timestamp: int  # -1: the input has no timestamp column
    event: int  # -1: the input has no event column (a wide export)
    event_id: int  # -1: no event id column
    fields: list[tuple[int, str, Converter | None, FieldSpec]]
    # (index, source column, declared event type or None, the type as the mapping names it)
    dates: list[tuple[int, str, str | None, str]]

    def keys(self) -> list[int]:
        """The cells a row cannot be used without: a bad byte there rejects the row."""
        return [i for i in (self.lead, self.timestamp, self.event, self.event_id) if i >= 0]


@dataclass(slots=True)
class _Profile:
    """One source's mapping resolved against the policy: what the hot loops look up.

    `assumed` is the clock reading local times in the agreement's zone when neither the
    source nor --timezone names one."""

    mapping: Mapping
    fmt: tuple[str, ...]
    parse_ts: Callable[[str], int]
    types: dict[str, str]
    field_sources: dict[str, FieldSpec]
    date_sources: dict[str, tuple[str | None, str]]
    assumed: LocalClock | None


class _Reader:
    """The state shared across the inputs of one read: timelines, counts, sequence; and the
    profile of the source being read (the mapping itself, or the source its file matched)."""

    def __init__(
        self,
        fields: AbstractMapping[str, FieldSpec],
        events: Collection[str],
        mapping: Mapping,
        timezone: str | None,
        as_of: int,
        default_timezone: str | None = None,
    ) -> None:
        self.specs = dict(fields)
        self.default_timezone = default_timezone
        self.root = mapping
        self.as_of = as_of
        self.declared = {name: sys.intern(name) for name in events}
        # every source is resolved up front, so a bad target fails before any row is read
        self.profiles = {
            id(source): self._profile(source, timezone)
            for source in (mapping.sources or (mapping,))
        }
        self.use(mapping.sources[0] if mapping.sources else mapping)
        self.leads: defaultdict[str, list[Event]] = defaultdict(list)
        self.stats = InputStats()
        self.seq = 0
        self.file = ""
        self.has_ids = False  # whether any input has an event id column (or is JSON Lines)
        # whether the agreement's zone gave the instant of an event kept for replay (the
        # rule of `timezone_assumed`; a rejected row's or a skipped event's time does not count)
        self.zone_used = False

    # -- resolving the mapping against the policy, once -------------------------------------

    def _profile(self, mapping: Mapping, timezone: str | None) -> _Profile:
        """The source's rules; its zone is, first that applies, the source's `timezone`,
        --timezone, the agreement's zone (RUNNER §6.2)."""
        self.mapping = mapping
        zone_name = mapping.timezone or timezone
        clock = LocalClock(_zone(zone_name)) if zone_name else None
        assumed = None
        if clock is None and self.default_timezone:
            clock = assumed = LocalClock(_zone(self.default_timezone))
        return _Profile(
            mapping,
            mapping.timestamp_formats,
            timestamp_parser(mapping.timestamp_formats, clock),
            self._event_types(),
            self._field_sources(),
            self._date_sources(),
            assumed,
        )

    def use(self, mapping: Mapping) -> None:
        """Read the next input with this source's profile."""
        profile = self.profiles[id(mapping)]
        self.mapping = profile.mapping
        self.fmt = profile.fmt
        self.parse_ts = profile.parse_ts
        self.types = profile.types
        self.field_sources = profile.field_sources
        self.date_sources = profile.date_sources
        self.assumed = profile.assumed

    def _event_types(self) -> dict[str, str]:
        """Source event value → declared type (interned, so a million events share it).

        A preset's values for types the policy does not declare stay unknown (counted)."""
        types = dict(self.declared)
        for source, target in self.mapping.events.items():
            if target not in self.declared:
                if self.mapping.lenient:
                    continue
                raise SlalangError(
                    f"{self.mapping.where('events', source)}: "
                    f"{_unknown('event type', target, self.declared)}"
                )
            types[source] = self.declared[target]
        return types

    def _field_sources(self) -> dict[str, FieldSpec]:
        """Source column → declared field: the mapping's renames, then same-named columns."""
        sources: dict[str, FieldSpec] = {}
        for source, target in self.mapping.fields.items():
            spec = self.specs.get(target)
            if spec is None:
                if self.mapping.lenient:
                    continue  # a preset's column for a field this policy does not have
                raise SlalangError(
                    f"{self.mapping.where('fields', source)}: "
                    f"{_unknown('field', target, self.specs)}"
                )
            sources[source] = spec
        for name, spec in self.specs.items():
            sources.setdefault(name, spec)
        return sources

    def _date_sources(self) -> dict[str, tuple[str | None, str]]:
        """Date column → (declared type, or None for a preset's undeclared one; its name)."""
        dates: dict[str, tuple[str | None, str]] = {}
        for source, target in self.mapping.date_columns.items():
            if target not in self.declared and not self.mapping.lenient:
                raise SlalangError(
                    f"{self.mapping.where('date_columns', source)}: "
                    f"{_unknown('event type', target, self.declared)}"
                )
            dates[source] = (self.declared.get(target), target)
        return dates

    def layout(self, header: list[str], name: str) -> _Layout:
        """Column positions for one header (CSV, Parquet, a query's result), each name the
        mapping asks for found exactly, else loosely (`slalang.data.headers`); a header that
        cannot work is an error."""
        cells = Header(header, name)

        def find(canonical: str) -> int:
            return cells.find(self.mapping.column(canonical))

        lead, timestamp, event = find("lead_id"), find("timestamp"), find("event")
        dates = [
            (index, source, kind, raw)
            for source, (kind, raw) in self.date_sources.items()
            if (index := cells.find(source)) >= 0
        ]
        missing = [] if lead >= 0 else ["lead_id"]
        if event >= 0 or not dates:
            missing += [c for c, i in (("timestamp", timestamp), ("event", event)) if i < 0]
        if missing:
            raise SlalangError(_missing_columns(name, missing, header, self.mapping))
        event_id = find("event_id")
        used = {lead, timestamp, event, event_id}
        for index in used:
            if index >= 0:
                _check_unique(name, header, header[index])
        fields, fed_by = self._field_columns(cells, used, header, name)
        read = [
            *(self.mapping.column(c) for c in CANONICAL_COLUMNS),
            *(source for _, source, _, _ in dates),
            *fed_by,
        ]
        self.note_loose(
            name, [(wanted, cells.loosely[wanted]) for wanted in read if wanted in cells.loosely]
        )
        return _Layout(
            width=len(header),
            lead=lead,
            timestamp=timestamp,
            event=event,
            event_id=event_id,
            fields=fields,
            dates=dates,
        )

    def note_loose(self, name: str, matches: Iterable[tuple[str, str]]) -> None:
        """Remember the columns input `name` had read by a loose match of their names
        (the name asked for, the column), the first input of each pair, to say once."""
        for pair in matches:
            self.stats.loose_columns.setdefault(pair, name)

    def _field_columns(
        self, cells: Header, used: set[int], header: list[str], name: str
    ) -> tuple[list[tuple[int, str, Converter | None, FieldSpec]], list[str]]:
        """The field columns (index, field, converter, spec) in column order, and the names
        they were found by."""
        columns: list[tuple[int, str, Converter | None, FieldSpec]] = []
        fed_by: dict[str, int] = {}
        names: list[str] = []
        for source, spec in self.field_sources.items():
            index = cells.find(source)
            if index < 0 or index in used:
                continue
            if spec.name in fed_by:
                if source == spec.name or fed_by[spec.name] == index:
                    continue  # the mapping's rename wins over a same-named column
                raise SlalangError(
                    f"{name}: columns `{header[fed_by[spec.name]]}` and `{header[index]}` both "
                    f"feed the field `{spec.name}`; keep one of them in the mapping's `fields`"
                )
            _check_unique(name, header, header[index])
            fed_by[spec.name] = index
            names.append(source)
            columns.append(
                (index, sys.intern(spec.name), converter(spec, self.mapping.numbers), spec)
            )
        columns.sort(key=lambda column: column[0])
        return columns, names

    def json_layout(self) -> tuple[_Layout, list[str]]:
        """JSON Lines have no header: every mapped key is looked up in each object."""
        keys = [self.mapping.column(c) for c in CANONICAL_COLUMNS]
        fields = []
        fed: set[str] = set()
        for source, spec in self.field_sources.items():
            if spec.name in fed or source in keys:
                continue
            fed.add(spec.name)
            fields.append(
                (len(keys), sys.intern(spec.name), converter(spec, self.mapping.numbers), spec)
            )
            keys.append(source)
        dates = []
        for source, (kind, raw) in self.date_sources.items():
            dates.append((len(keys), source, kind, raw))
            keys.append(source)
        layout = _Layout(
            width=len(keys), lead=0, timestamp=1, event=2, event_id=3, fields=fields, dates=dates
        )
        return layout, keys

    # -- accounting ---------------------------------------------------------------------------

    def reject(self, line: int, reason: str, detail: str) -> None:
        rejected = self.stats.rejected
        rejected[reason] = rejected.get(reason, 0) + 1
        if len(self.stats.rejected_examples) < EXAMPLES:
            self.stats.rejected_examples.append(Rejection(self.file, line, reason, detail))

    def reject_line(self, line: int, reason: str, detail: str) -> None:
        """A line the source could not make a row of: still a data row read."""
        self.stats.rows += 1
        self.reject(line, reason, detail)

    def _reject_timestamp(self, line: int, text: str, column: str, exc: ValueError) -> None:
        if isinstance(exc, NaiveTimestampError):
            self.reject(
                line,
                "naive_timestamp",
                f"`{column}`: {quote(text)} has no UTC offset and no time zone is set "
                "(the mapping's `timezone` or --timezone)",
            )
        else:
            self.reject(
                line, "bad_timestamp", f"`{column}`: {describe_bad_timestamp(text, self.fmt, exc)}"
            )

    def read_fields(self, line: int, row: list[str], layout: _Layout) -> dict[str, FieldValue]:
        """A row's field values cell by cell, counting each cell that cannot be read as a bad
        value: the slow path, for a row the fast loop found a bad cell in, or one that may
        hold bytes that are not text."""
        found: dict[str, FieldValue] = {}
        for index, name, convert, spec in layout.fields:
            cell = row[index]
            if not cell:
                continue
            if cell is NESTED:
                self.bad_value(line, name, "(a JSON list or object)", "bad_json")
            elif has_escaped_bytes([cell]):
                self.bad_value(line, name, cell, "bad_encoding")
            elif convert is None:
                found[name] = cell
            else:
                try:
                    found[name] = convert(cell)
                except ValueError:
                    self.bad_value(line, name, cell, BAD_VALUE_REASONS[spec.type])
        return found

    def bad_value(self, line: int, name: str, cell: str, reason: str) -> None:
        counts = self.stats.bad_values.setdefault(name, {})
        counts[reason] = counts.get(reason, 0) + 1
        if len(self.stats.bad_value_examples) < EXAMPLES:
            example = BadValue(self.file, line, name, printable(cell, _VALUE_SHOWN), reason)
            self.stats.bad_value_examples.append(example)

    def _count_unknown(self, raw: str) -> None:
        unknown = self.stats.unknown_events
        unknown[raw] = unknown.get(raw, 0) + 1

    # -- the hot loops ------------------------------------------------------------------------

    def read_rows(self, source: _Rows, layout: _Layout, watch: _Watch) -> None:
        """Read one input's rows into timelines and counts."""
        self.has_ids = self.has_ids or layout.event_id >= 0
        if layout.dates:
            self._read_wide(source, layout, watch)
        else:
            self._read_long(source, layout, watch)

    def _read_long(self, source: _Rows, layout: _Layout, watch: _Watch) -> None:
        """One event per row. Everything the loop touches is a local: this runs per row.

        Rows the source could not make (a bad JSON line, a CSV record the parser refused)
        come as empty rows and were counted by the source; blank lines come as `[""]`.
        A field cell that cannot be read sends the row through `read_fields`, which counts
        it as a bad value; the event is used all the same (RUNNER §6.1).
        """
        new = tuple.__new__
        event_class = Event
        width = layout.width
        i_lead, i_ts, i_event, i_id = layout.lead, layout.timestamp, layout.event, layout.event_id
        keys = layout.keys()
        field_columns = [(i, name, convert) for i, name, convert, _ in layout.fields]
        parse_ts = self.parse_ts
        types_get = self.types.get
        timelines = self.leads
        as_of = self.as_of
        file = self.file
        no_fields = _NO_FIELDS
        stats = self.stats
        watch_zone = self.assumed is not None and not self.zone_used
        rows_read = after = 0
        seq = first_seq = self.seq
        try:
            for row in source:
                line = source.line_num
                dirty = watch.dirty
                if len(row) != width or dirty:
                    if not row or row == [""]:
                        continue  # a blank line is not a data row
                    if len(row) != width:
                        self.reject_line(line, "bad_row", _cells(len(row), width))
                        continue
                    if has_escaped_bytes([row[i] for i in keys]):
                        self.reject_line(line, "bad_encoding", REASONS["bad_encoding"])
                        continue
                rows_read += 1
                lead = row[i_lead]
                if not lead:
                    self.reject(line, "missing_lead_id", REASONS["missing_lead_id"])
                    continue
                text = row[i_ts]
                if not text:
                    self.reject(line, "missing_timestamp", REASONS["missing_timestamp"])
                    continue
                try:
                    ts = parse_ts(text)
                except ValueError as exc:
                    self._reject_timestamp(line, text, self.mapping.column("timestamp"), exc)
                    continue
                raw = row[i_event]
                kind = types_get(raw)
                if kind is None:
                    if raw:
                        self._count_unknown(raw)
                    else:
                        self.reject(line, "missing_event", REASONS["missing_event"])
                    continue
                if ts > as_of:
                    after += 1
                    continue
                values: AbstractMapping[str, FieldValue] = no_fields
                if field_columns:
                    found: dict[str, FieldValue] = {}
                    if dirty:
                        found = self.read_fields(line, row, layout)
                    else:
                        try:
                            for i, name, convert in field_columns:
                                cell = row[i]
                                if cell:
                                    found[name] = cell if convert is None else convert(cell)
                        except ValueError:
                            found = self.read_fields(line, row, layout)
                    if found:
                        values = found
                event_id = (row[i_id] or None) if i_id >= 0 else None
                # tuple.__new__ skips NamedTuple's Python-level __new__: a third of the cost
                timelines[lead].append(
                    new(event_class, (ts, seq, kind, values, event_id, file, line))
                )
                seq += 1
                if watch_zone:
                    self.note_kept(text)
                    watch_zone = not self.zone_used
        finally:
            self.seq = seq
            stats.rows += rows_read
            stats.events += seq - first_seq
            stats.after_as_of += after

    def _read_wide(self, source: _Rows, layout: _Layout, watch: _Watch) -> None:
        """Rows that may also carry date cells, each one an event of its column's type.

        Each event stands on its own timestamp: a bad or missing one rejects that event
        (counted like a rejected row), and the row's other events are still used."""
        width = layout.width
        keys = layout.keys()
        ts_column = self.mapping.column("timestamp")
        stats = self.stats
        for row in source:
            line = source.line_num
            if len(row) != width:
                if row and row != [""]:
                    self.reject_line(line, "bad_row", _cells(len(row), width))
                continue
            if watch.dirty and has_escaped_bytes([row[i] for i in keys]):
                self.reject_line(line, "bad_encoding", REASONS["bad_encoding"])
                continue
            stats.rows += 1
            lead = row[layout.lead]
            if not lead:
                self.reject(line, "missing_lead_id", REASONS["missing_lead_id"])
                continue
            made: list[tuple[int, str | None, str, str | None, str]] = []
            # (ts, type, raw, id, the timestamp's text)
            row_id = row[layout.event_id] if layout.event_id >= 0 else ""
            raw = row[layout.event] if layout.event >= 0 else ""
            bad = 0
            if raw:
                text = row[layout.timestamp]
                if not text:
                    self.reject(line, "missing_timestamp", REASONS["missing_timestamp"])
                    bad += 1
                else:
                    try:
                        ts = self.parse_ts(text)
                        made.append((ts, self.types.get(raw), raw, row_id or None, text))
                    except ValueError as exc:
                        self._reject_timestamp(line, text, ts_column, exc)
                        bad += 1
            for index, column, date_type, raw_type in layout.dates:
                text = row[index]
                if text:
                    try:
                        ts = self.parse_ts(text)
                    except ValueError as exc:
                        self._reject_timestamp(line, text, column, exc)
                        bad += 1
                        continue
                    event_id = f"{row_id}#{column}" if row_id else None
                    made.append((ts, date_type, raw_type, event_id, text))
            if not made and not bad:
                self.reject(line, "no_dates", REASONS["no_dates"])
                continue
            stats.expanded += len(made) + bad - 1
            values: AbstractMapping[str, FieldValue] = _NO_FIELDS
            if any(kind is not None and ts <= self.as_of for ts, kind, *_ in made):
                values = self.read_fields(line, row, layout) or _NO_FIELDS
            for ts, kind, raw_type, event_id, text in made:
                self._add(lead, ts, kind, raw_type, values, event_id, line, text)

    def _add(
        self,
        lead: str,
        ts: int,
        kind: str | None,
        raw: str,
        values: AbstractMapping[str, FieldValue],
        event_id: str | None,
        line: int,
        text: str,
    ) -> None:
        """Classify one event a wide row made: unknown, after as-of, or used (`text` its
        timestamp cell)."""
        stats = self.stats
        if kind is None:
            self._count_unknown(raw)
        elif ts > self.as_of:
            stats.after_as_of += 1
        else:
            self.leads[lead].append(Event(ts, self.seq, kind, values, event_id, self.file, line))
            self.seq += 1
            stats.events += 1
            self.note_kept(text)

    def note_kept(self, text: str) -> None:
        """Note that an event kept for replay has the timestamp `text`: the first one read
        in the agreement's zone decides `timezone_assumed`."""
        clock = self.assumed
        if (
            clock is not None
            and not self.zone_used
            and clock.offsets  # a clock that converted nothing read no local time
            and without_offset(text, self.fmt)
        ):
            self.zone_used = True

    # -- inputs -------------------------------------------------------------------------------

    def read_input(self, path: str, stream: BinaryIO | None) -> None:
        """Input PATH, read from `stream` when given (`open_binary`), named as given."""
        self.use(self.root.source_for(path))
        self.file = name = display_name(path)
        with ExitStack() as closing:
            self.read_stream(path, name, open_binary(path, stream, closing))

    def read_stream(self, path: str, name: str, stream: io.BufferedReader) -> None:
        encoding = self.mapping.encoding
        try:
            if detect_format(path, stream) == "jsonl":
                layout, keys = self.json_layout()
                required = self._required()[: 1 if layout.dates else 3]
                lines = JsonRows(
                    stream,
                    keys,
                    required,
                    self.reject_line,
                    encoding,
                    name=name,
                    note=self.note_loose,
                )
                self.read_rows(lines, layout, lines)
                if lines.absent and lines.saw_object:
                    raise SlalangError(missing_keys(name, sorted(lines.absent)))
            else:
                rows = CsvRows(stream, self.reject_line, encoding)
                header = rows.header()
                if header is None:
                    raise SlalangError(
                        f"{name}: empty file; expected a CSV header row naming the columns "
                        f"(`{'`, `'.join(self._required())}`)"
                    )
                self.read_rows(rows, self.layout(header, name), rows.watch)
        except (OSError, EOFError, zlib.error) as exc:
            raise SlalangError(f"{name}: cannot read events: {os_reason(exc)}") from None
        except UnicodeDecodeError as exc:  # an encoding whose errors cannot be escaped
            raise SlalangError(
                f"{name}: cannot read events: not {encoding} text at byte {exc.start} "
                "of a block; check the mapping's `encoding`"
            ) from None

    def _required(self) -> list[str]:
        return [self.mapping.column(c) for c in ("lead_id", "timestamp", "event")]

    def finish(self) -> EventLog:
        """Drop repeated event ids, sort each lead's timeline and fill in the totals."""
        first: int | None = None
        last: int | None = None
        duplicates = 0
        for timeline in self.leads.values():
            if self.has_ids:
                duplicates += drop_duplicates(timeline)
            # events were appended in seq order, so a stable sort on ts keeps ties in input
            # order; tuples compare on (ts, seq) and seq is unique, so this is that sort
            timeline.sort()
            if first is None or timeline[0].ts < first:
                first = timeline[0].ts
            if last is None or timeline[-1].ts > last:
                last = timeline[-1].ts
        stats = self.stats
        stats.duplicates += duplicates
        stats.events -= duplicates
        stats.leads = len(self.leads)
        stats.first_ts, stats.last_ts = first, last
        self.note_assumed_zone()
        return EventLog(dict(self.leads), stats)

    def note_assumed_zone(self) -> None:
        """Record the agreement's zone in the counts if it gave the instant of an event kept
        for replay (RUNNER §6.2): a timestamp without an offset in a row rejected for
        another reason, out of range, of an undeclared type or after as-of leaves nothing
        in the report that depends on the assumption."""
        if self.zone_used:
            self.stats.timezone_assumed = self.default_timezone


def drop_duplicates(timeline: list[Event]) -> int:
    """Keep the first event of each id in a lead's timeline (still in input order); return
    how many were dropped.

    Ids are compared within a lead: CRMs export one activity shared by several contacts
    (an email to three people) as one row per contact with the same id, and each of those
    leads did receive it. Per lead, the check is also a small set that stays in cache, where
    one set of a million ids costs a sixth of the whole read.
    """
    ids = [event[4] for event in timeline]
    distinct = set(ids)
    distinct.discard(None)
    if len(distinct) + ids.count(None) == len(ids):
        return 0
    seen: set[str] = set()
    kept = []
    for event in timeline:
        event_id = event.event_id
        if event_id is not None:
            if event_id in seen:
                continue
            seen.add(event_id)
        kept.append(event)
    dropped = len(timeline) - len(kept)
    timeline[:] = kept
    return dropped


def os_reason(exc: BaseException) -> str:
    """Why an input could not be read, in words: shared with the columnar reader, which
    must say it as this reader does."""
    if isinstance(exc, EOFError):
        return "the compressed file is truncated"
    if isinstance(exc, zlib.error):
        return "the compressed file is corrupt"
    arrow = _arrow_errno(exc)
    if arrow is not None:
        return os.strerror(arrow)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


_ARROW_ERRNO = re.compile(r"\[errno (\d+)\]")
_NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _arrow_errno(exc: BaseException) -> int | None:
    """The system's error number an Arrow I/O error carries in its text only ("... Detail:
    [errno 28] No space left on device"); Python's own say `[Errno 28]`, and have it."""
    found = _ARROW_ERRNO.search(str(exc))
    return int(found.group(1)) if found else None


def _errno(exc: BaseException) -> int | None:
    """The system's error number: Arrow's, in its text, or an OSError's own."""
    arrow = _arrow_errno(exc)
    if arrow is not None:
        return arrow
    return exc.errno if isinstance(exc, OSError) else None


def temporary_reason(exc: BaseException) -> str:
    """`os_reason` of a failed write to the run's temporary directory, and, when the disk
    is full, what to do: spill files, report entries and kept inputs each take about the
    input's size there."""
    reason = os_reason(exc)
    if _errno(exc) in _NO_ROOM:
        reason += " (set TMPDIR to a directory with more room)"
    return reason


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean `{close[0]}`?" if close else ""
    return f"`{name}` is not a declared {kind}{hint}"


def _check_unique(name: str, header: list[str], column: str) -> None:
    if header.count(column) > 1:
        raise SlalangError(f"{name}: the header has the column `{column}` more than once")


def _cells(found: int, width: int) -> str:
    return f"{found} cells, the header has {width}"


def missing_keys(name: str, keys: list[str]) -> str:
    """The error for JSON Lines whose objects never had a required key: shared with the
    columnar reader, which must say it as this reader does."""
    listed = ", ".join(f"`{key}`" for key in keys)
    return (
        f"{name}: no line has the key {listed}; name the export's keys under `columns:` "
        "in a mapping file (--mapping)"
    )


def _missing_columns(name: str, missing: list[str], header: list[str], mapping: Mapping) -> str:
    noun = "column" if len(missing) == 1 else "columns"
    listed = []
    # a column that is another canonical column's own is no candidate: `event_id` is not
    # what a header lacking `event` meant
    taken = {mapping.column(c) for c in CANONICAL_COLUMNS}
    candidates = [cell for cell in header if cell not in taken]
    for canonical in missing:
        wanted = mapping.column(canonical)
        close = difflib.get_close_matches(wanted, candidates, n=1, cutoff=0.6)
        listed.append(f"`{wanted}`" + (f" (is it `{close[0]}`?)" if close else ""))
    shown = ", ".join(f"`{h}`" for h in header[:8]) + (", …" if len(header) > 8 else "")
    return (
        f"{name}: missing {noun} {', '.join(listed)}; the header has {shown or 'no columns'}; "
        "name the export's columns under `columns:` in a mapping file (--mapping)"
    )


def read_events(
    paths: Sequence[str],
    fields: AbstractMapping[str, FieldSpec],
    events: Collection[str],
    mapping: Mapping | None = None,
    timezone: str | None = None,
    as_of: datetime | None = None,
    stdin: BinaryIO | None = None,
    default_timezone: str | None = None,
    kept: AbstractMapping[str, str] | None = None,
) -> EventLog:
    """Read event logs (CSV, CSV.gz, JSON Lines, `-` for stdin) into per-lead timelines.

    `fields` are the policy's declared fields by name, `events` its declared event types.
    A multi-source `mapping` reads each path with the source its file name matches (an
    error when it matches none or several); the events of all paths merge per lead.
    `timezone` (--timezone) reads timestamps without an offset when the mapping names no
    zone, and `default_timezone` (the agreement's) when neither does; using it is recorded
    in `stats.timezone_assumed` for the caller to say. Events after `as_of` (an aware
    datetime) are counted and left out. Rows that cannot be used are counted by reason
    (REASONS), field cells that cannot be read by field and reason (BAD_VALUES), their
    events still used; an input that cannot be read at all is a SlalangError naming it.
    An input that can be read once only (standard input, a named pipe) kept in a file by
    the caller is read from that file, `kept[path]`, named as given
    (`slalang.api.keep_streams`).
    """
    if as_of is not None and as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime")
    if sum(1 for path in paths if path == "-") > 1:
        raise SlalangError("`-` (standard input) can be read only once")
    mapping = mapping or Mapping()
    cut = NEVER if as_of is None else _epoch(as_of)
    reader = _Reader(fields, events, mapping, timezone, cut, default_timezone)
    with gc_paused():
        databases = [path for path in paths if is_database(path)]
        for path in paths:
            if not is_database(path):
                with input_stream(path, _stdin(stdin) if path == "-" else None, kept) as stream:
                    reader.read_input(path, stream)
        if databases or query_sources(mapping):
            read_queries(reader, mapping, databases)
        return reader.finish()


def _epoch(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(seconds=1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise SlalangError(
            f"unknown time zone `{name}` (expected an IANA name such as `Europe/Paris`)"
        ) from None


def _stdin(stdin: BinaryIO | None) -> BinaryIO:
    return stdin if stdin is not None else sys.stdin.buffer


RowReader = _Reader
"""The reader's rules as an object: the columnar reader (`slalang.engine.reader`) resolves
mappings and layouts with it and hands it every row it cannot vouch for, and the Spark
engine's tasks (`slalang.spark.tasks`) and DuckDB sources drive it over the rows they get,
so every reader shares one definition of the input contract."""
