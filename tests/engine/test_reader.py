"""The columnar reader against the reference reader: the same events (lead, instant, input
order, type, typed fields), the same accounting and the same rejection examples, on files
written to be awkward: quoting, blank lines, CRLF, bad cells, odd timestamps, duplicates,
unknown types, events after the as-of instant, tiny blocks."""

from __future__ import annotations

import gzip
import io
from collections.abc import Mapping as AbstractMapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slalang.data import Mapping, read_events
from slalang.data.log import Event
from slalang.engine.assemble import Apart, assemble
from slalang.engine.batch import Batch, from_event_log
from slalang.engine.leads import LeadReader, Wanted
from slalang.engine.reader import ColumnarReader, _Blocks
from tests.data.util import EVENTS, FIELDS

TYPES = {name: spec.type for name, spec in FIELDS.items()}
COLUMNS = ["lead_id", "timestamp", "event", "event_id", *FIELDS]
HEAD_ALL = ",".join(COLUMNS).encode()


def read_both(
    paths: list[str],
    *,
    block: int = 1 << 20,
    mapping: Mapping | None = None,
    timezone: str | None = None,
    as_of: int | None = None,
    default: str | None = None,
) -> tuple[Batch, Batch, ColumnarReader]:
    cut = None if as_of is None else datetime.fromtimestamp(as_of, UTC)
    log = read_events(paths, FIELDS, EVENTS, mapping, timezone, cut, default_timezone=default)
    reference = from_event_log(log, TYPES, EVENTS)
    reader = ColumnarReader(
        FIELDS, EVENTS, mapping, timezone, as_of, block=block, default_timezone=default
    )
    chunks = list(reader.read(paths))
    pieces = [Apart.of(chunk) for chunk in chunks]
    batch, _ = assemble(Apart.joined(pieces, reader.schema), FIELDS, EVENTS, reader.stats, True)
    # a chunk's fields of the rows that set any, made whole again: the same batch
    whole = pa.concat_tables([reader.schema.empty_table(), *(chunk.table() for chunk in chunks)])
    dense, _ = assemble(whole, FIELDS, EVENTS, reader.stats, True)
    assert_same(dense, reference)
    # every lead's timeline set aside by the lead reader is the reference reader's
    kept = LeadReader(
        FIELDS, EVENTS, mapping, timezone, as_of, block=block, default_timezone=default
    )
    kept.wanted = Wanted(frozenset(log.leads))
    assert_same_timelines(kept.timelines(paths), log.leads)
    # one lead alone, as `explain` wants it: the blocks without its id are passed over
    for lead in sorted(log.leads)[:: max(1, len(log.leads) - 1)]:
        alone = LeadReader(
            FIELDS, EVENTS, mapping, timezone, as_of, block=block, default_timezone=default
        )
        alone.wanted = Wanted(frozenset({lead}))
        assert_same_timelines(alone.timelines(paths), {lead: log.leads[lead]})
    return batch, reference, reader


def assert_same_timelines(
    found: AbstractMapping[str, list[Event]], leads: AbstractMapping[str, list[Event]]
) -> None:
    """The same leads with the same events in the same order: instants, types, typed fields
    in the same order, ids, files and lines (`seq` is numbered in each reader's own way)."""

    def told(timeline: list[Event]) -> list[tuple[object, ...]]:
        return [
            (e.ts, e.type, list(e.fields.items()), e.event_id, e.file, e.line) for e in timeline
        ]

    assert list(found) == sorted(leads)
    for lead, timeline in found.items():
        assert told(timeline) == told(leads[lead]), lead


def assert_same(fast: Batch, reference: Batch) -> None:
    fast.check()
    assert tuple(fast.lead_ids) == reference.lead_ids
    assert fast.offsets.tolist() == reference.offsets.tolist()
    assert fast.ts.tolist() == reference.ts.tolist()
    assert fast.event.tolist() == reference.event.tolist()
    # input order: the same relative order within each lead (positions may be numbered apart)
    for name, column in reference.columns.items():
        mine = fast.columns[name]
        if column.type == "number":
            assert np.array_equal(mine.values, column.values, equal_nan=True), name
        else:
            decoded = [mine.dictionary[c] if c >= 0 else None for c in mine.values.tolist()]
            expected = [column.dictionary[c] if c >= 0 else None for c in column.values.tolist()]
            assert decoded == expected, name
    a, b = fast.stats, reference.stats
    for key in (
        "rows",
        "events",
        "leads",
        "rejected",
        "rejected_examples",
        "duplicates",
        "unknown_events",
        "after_as_of",
        "expanded",
        "bad_values",
        "bad_value_examples",
        "timezone_assumed",
        "first_ts",
        "last_ts",
    ):
        assert getattr(a, key) == getattr(b, key), key


ROW = "L{lead},{ts},{event},{eid},{segment},{size},{title},{opted},{signed}"


def test_a_plain_export_is_read_the_fast_way(tmp_path: Path) -> None:
    lines = [",".join(COLUMNS)]
    for i in range(300):
        lines.append(
            ROW.format(
                lead=i % 17,
                ts=f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:07Z",
                event=EVENTS[i % len(EVENTS)],
                eid=f"E{i % 170}",  # i and i + 170: the same lead
                segment=("smb", "mid", "", "enterprise")[i % 4],
                size=("12", "", "1.5", "300")[i % 4],
                title=("VP", "", "CTO")[i % 3],
                opted=("yes", "0", "", "true")[i % 4],
                signed=("2026-01-02", "", "2025-12-31")[i % 3],
            )
        )
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast, reference, reader = read_both([str(path)], block=500)
    assert reader.fallback_files == []
    assert_same(fast, reference)
    assert fast.stats.duplicates == 130


def test_gzip_and_several_files_continue_one_input_order(tmp_path: Path) -> None:
    first = tmp_path / "a.csv.gz"
    second = tmp_path / "b.csv"
    head = "lead_id,timestamp,event,event_id\n"
    first.write_bytes(gzip.compress((head + "L1,2026-03-01T10:00:00Z,page_view,E1\n").encode()))
    second.write_text(
        head + "L1,2026-03-01T10:00:00Z,page_view,E1\nL1,2026-03-01T10:00:00Z,sales_touch,E2\n",
        encoding="utf-8",
    )
    fast, reference, _ = read_both([str(first), str(second)])
    assert_same(fast, reference)
    assert fast.stats.duplicates == 1


def test_hairy_files_fall_back_to_the_reference_reader(tmp_path: Path) -> None:
    multiline = tmp_path / "multiline.csv"
    multiline.write_text(
        'lead_id,timestamp,event,title\nL1,2026-03-01T10:00:00Z,page_view,"two\nlines"\n',
        encoding="utf-8",
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"lead_id,timestamp,event,title\nL2,2026-03-01T10:00:00Z,page_view,Jos\xe9\n")
    long_cell = tmp_path / "long.csv"
    long_cell.write_text(
        f"lead_id,timestamp,event,title\nL4,2026-03-01T10:00:00Z,page_view,{'x' * 140_000}\n",
        encoding="utf-8",
    )
    paths = [str(multiline), str(latin), str(long_cell)]
    fast, reference, reader = read_both(paths)
    assert reader.fallback_files == paths
    assert_same(fast, reference)


def _rows(count: int, first: int) -> list[bytes]:
    return [
        f"L{i % 7},2026-03-{1 + i % 28:02d}T10:{i % 60:02d}:00Z,{EVENTS[i % len(EVENTS)]},"
        f"E{i},smb,{i},VP,yes,2026-01-02".encode()
        for i in range(first, first + count)
    ]


BAD_LINES = {
    # the splitter cannot vouch for these: the rest of the file goes to the reference reader
    "a quoted cell over two lines": b'L1,2026-03-01T10:00:00Z,page_view,,smb,1,"two\nlines",,',
    "a bare carriage return": b"L1,2026-03-01T10:00:00Z,page_view,,smb,1,a\rb,,",
    "a stray quote": b'L1,2026-03-01T10:00:00Z,page_view,,smb,1,a "b" c,,',
    "bytes that are not UTF-8 in a key": b"L\xe9,2026-03-01T10:00:00Z,page_view,,smb,1,VP,,",
    "bytes that are not UTF-8 in a field": b"L1,2026-03-01T10:00:00Z,page_view,,smb,1,Jos\xe9,,",
    "a cell over the limit": b"L1,2026-03-01T10:00:00Z,page_view,,smb,1," + b"x" * 140_000 + b",,",
    "a line over the limit": b"L1,2026-03-01T10:00:00Z,page_view,,smb,1," + b"x" * 1_100_000,
    # these stay on the fast path, the row by the reference row loop
    "a row with a cell too many": b"L1,2026-03-01T10:00:00Z,page_view,,smb,1,VP,,,extra",
    "blank lines": b"\n\r\n",
    "well-formed quoted cells": b'"L,1",2026-03-01T10:00:00Z,"page_view",,smb,"1","a ""b""",,',
}


@pytest.mark.parametrize("bad", list(BAD_LINES))
@pytest.mark.parametrize("where", [0, 30, 59])
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_a_line_in_any_block_reads_as_the_reference_reads_it(
    tmp_path: Path, bad: str, where: int, ending: bytes
) -> None:
    """Sixty rows in blocks of a few hundred bytes, one awkward line among them (first,
    middle, last, with no line end after it): the rows before it are read the fast way,
    the rest as the reference reader reads them, with the same lines in every example."""
    rows = _rows(60, 0)
    rows.insert(where, BAD_LINES[bad])
    rows.insert(where + 2, b"L2,2026-03-01T10:00:00Z,page_view,,,,,,")  # after as-of
    rows.insert(5, b",2026-03-01T09:00:00Z,page_view,E900,smb,1,VP,,")  # a rejected row
    path = tmp_path / "events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ending.join([HEAD_ALL, *rows]))
    fast, reference, reader = read_both([str(path)], block=300, as_of=1772356500)
    assert_same(fast, reference)
    assert reader.fallback_files in ([], [str(path)])


@pytest.mark.parametrize("size", [16, 300, 1 << 16])
def test_a_block_stays_as_it_is_until_the_block_after_next(size: int) -> None:
    """The blocks share two buffers: a block is unchanged while the next one is read and
    split (also after lines longer than a block, read in several pieces), a buffer that
    something still holds is never written over, and the blocks are the stream."""
    lines = [b"x" * n for n in (3, 40, 0, 700, 5, 1, 70_000, 2, 33)] * 3
    data = b"\n".join(lines) + b"\nno newline at the end"
    blocks = _Blocks(io.BufferedReader(io.BytesIO(data)), size)
    given: list[tuple[bytearray, bytes]] = []
    held: list[tuple[memoryview, bytes]] = []
    for block in blocks:
        if given:
            last, text = given[-1]
            assert last == text
        assert all(hold == text for hold, text in held)
        given.append((block, bytes(block)))
        if len(given) % 3 == 0:
            held.append((memoryview(block), bytes(block)))  # held over the next three
        if len(held) > 1:
            held.pop(0)[0].release()
    for hold, _ in held:
        hold.release()
    assert b"".join(text for _, text in given) == data


def test_a_file_handed_over_mid_way_numbers_on_from_the_next_file(tmp_path: Path) -> None:
    """A file whose later block went to the reference reader, then a fast file: input
    positions stay in file order, so ties and duplicates resolve the same."""
    first = tmp_path / "a.csv"
    first.write_bytes(b"\n".join([HEAD_ALL, *_rows(40, 0), BAD_LINES["a stray quote"]]) + b"\n")
    second = tmp_path / "b.csv"
    second.write_bytes(b"\n".join([HEAD_ALL, *_rows(40, 20)]) + b"\n")
    fast, reference, reader = read_both([str(first), str(second)], block=400)
    assert reader.fallback_files == [str(first)]
    assert_same(fast, reference)
    assert fast.stats.duplicates == 20


def test_a_truncated_gzip_is_the_reference_error_wherever_it_ends(tmp_path: Path) -> None:
    data = b"\n".join([HEAD_ALL, *_rows(3000, 0)]) + b"\n"
    for cut in (20, len(gzip.compress(data)) - 200):
        path = tmp_path / "events.csv.gz"
        path.write_bytes(gzip.compress(data)[:cut])
        with pytest.raises(Exception) as reference:
            read_events([str(path)], FIELDS, EVENTS)
        reader = ColumnarReader(FIELDS, EVENTS, None, None, None, block=4096)
        with pytest.raises(type(reference.value)) as fast:
            list(reader.read([str(path)]))
        assert str(fast.value) == str(reference.value)


def test_a_timestamp_format_is_tried_before_the_vectorised_iso_form(tmp_path: Path) -> None:
    """A mapping's format comes first, so it may read an ISO-8601 cell otherwise."""
    path = tmp_path / "events.csv"
    path.write_text(HEAD + "L1,2026-03-01T10:00:00Z,page_view\n", encoding="utf-8")
    mapping = Mapping(timestamp_formats=("%Y-%d-%mT%H:%M:%S%z",))
    fast, reference, _ = read_both([str(path)], mapping=mapping)
    assert_same(fast, reference)
    assert fast.ts.tolist() == [1767434400]  # the 3rd of January


DIGIT_TEXT = st.text(alphabet="0123456789", min_size=2, max_size=2)


@settings(max_examples=300, deadline=None)
@given(
    year=st.sampled_from(["0000", "0001", "0999", "1000", "2024", "2100", "2000", "8999", "9000"]),
    month=DIGIT_TEXT,
    day=DIGIT_TEXT,
    clock=st.lists(DIGIT_TEXT, min_size=3, max_size=3),
    zone=st.sampled_from(["Z", "+00:00", "-05:30", "+14:00", "+23:59", "-24:00", "+05:60", "z"]),
    marks=st.sampled_from(["--T::", "--T::", "--t::", "/-T::", "--T:."]),
)
def test_vectorised_timestamps_are_the_reference_parser_s(
    year: str, month: str, day: str, clock: list[str], zone: str, marks: str
) -> None:
    """Every cell the vectorised parser reads is the instant the reference parser gives;
    every strict-form cell the reference parser reads is one it reads."""

    from slalang.engine.reader import _iso_epochs

    texts = [
        f"{year}{marks[0]}{month}{marks[1]}{day}{marks[2]}{clock[0]}{marks[3]}{clock[1]}"
        f"{marks[4]}{clock[2]}{zone}",
        "",
        "2026-03-01T10:00:00Z",
    ]
    ts, ok = _iso_epochs(pa.array(texts))
    parse = ColumnarReader(FIELDS, EVENTS, None, None, None).ref.parse_ts
    for text, epoch, read in zip(texts, ts.tolist(), ok.tolist(), strict=True):
        try:
            expected = parse(text)
        except ValueError:
            expected = None
        # an offset's minute 60 is the next hour to some Pythons' parser: the vectorised
        # parser leaves such a cell to the reference parser (safe on every Python)
        strict = marks == "--T::" and zone[0] in "Z+-" and not zone.endswith(":60")
        assert read == (expected is not None and strict) or text in ("", texts[2]), text
        if read:
            assert epoch == expected, text
    assert ok.tolist()[1:] == [False, True]
    # alone, or beside strict cells, a cell is read by Arrow's parser first
    for cells in ([texts[0]], [texts[0], texts[2], texts[0]]):
        alone, alone_ok = _iso_epochs(pa.array(cells))
        assert alone.tolist()[0] == ts[0] and alone_ok.tolist()[0] == ok[0], cells


TIMESTAMPS = st.sampled_from(
    [
        "2026-03-01T10:00:00Z",
        "2026-03-01T10:00:00+02:00",
        "2026-03-01T10:00:00-05:30",
        "2026-03-01 10:00:00Z",
        "2026-03-01T10:00:00.999Z",
        "2026-03-01T10:00:00",
        "2026-03-08T02:30:00",
        "2026-11-01T01:30:00",
        "2026-02-29T10:00:00Z",
        "2024-02-29T23:59:59Z",
        "2026-13-01T10:00:00Z",
        "2026-03-01T24:00:00Z",
        "2026-03-01T10:00:00+24:00",
        "0000-01-01T00:00:00Z",
        "2026-03-01",
        "yesterday",
        "",
        "2027-01-01T00:00:00Z",
    ]
)
CELLS = {
    "lead_id": st.sampled_from(["L1", "L2", "l1", "L 3", "", " L1", "Ü7", '"L,4"', '"L""5"']),
    "event": st.sampled_from([*EVENTS, "", "Page View", "unknown_thing", '"page_view"']),
    "event_id": st.sampled_from(["", "E1", "E2", "E3", '"E,1"']),
    "segment": st.sampled_from(["", "smb", "mid", "SMB", "enterprise ", "other"]),
    "company_size": st.sampled_from(
        ["", "12", "1.5", "-3", "1,200", "1e3", "nan", "inf", " 7 ", "0x10", "12a", '"1,5"']
    ),
    "title": st.sampled_from(["", "VP", "  CTO ", "Head of ünits", '"Smith, Jo"', 'a "b" c']),
    "opted_in": st.sampled_from(["", "yes", "no", "TRUE", " 1", "0", "maybe"]),
    "signed_on": st.sampled_from(["", "2026-01-02", "2026-02-30", "2026-01-02T00:00:00Z", "x"]),
}


@st.composite
def csv_files(draw: st.DrawFn) -> str:
    rows = []
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(["row"] * 8 + ["blank", "short", "long", "spaces"]))
        if kind == "blank":
            rows.append("")
            continue
        if kind == "spaces":
            rows.append("   ")
            continue
        cells = [draw(CELLS[c]) if c != "timestamp" else draw(TIMESTAMPS) for c in COLUMNS]
        if kind == "short":
            cells = cells[:-2]
        elif kind == "long":
            cells.append("extra")
        rows.append(",".join(cells))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    blank_head = draw(st.sampled_from(["", "\n"]))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    last = draw(st.sampled_from(["", ending]))
    return bom + blank_head + ending.join([",".join(COLUMNS), *rows]) + last


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=csv_files(),
    block=st.sampled_from([64, 200, 1 << 20]),
    zone=st.sampled_from([None, "America/New_York"]),
    default=st.sampled_from([None, "Europe/Paris"]),
    as_of=st.sampled_from([None, 1772359200]),  # 2026-03-01T10:00:00Z
)
def test_hostile_csv_reads_the_same(
    tmp_path: Path,
    text: str,
    block: int,
    zone: str | None,
    default: str | None,
    as_of: int | None,
) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(text.encode("utf-8"))
    fast, reference, _ = read_both(
        [str(path)], block=block, timezone=zone, as_of=as_of, default=default
    )
    assert_same(fast, reference)


def test_a_missing_column_is_the_reference_error(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("lead,timestamp,event\nL1,2026-03-01T10:00:00Z,page_view\n", encoding="utf-8")
    with pytest.raises(Exception) as reference:
        read_events([str(path)], FIELDS, EVENTS)
    with pytest.raises(type(reference.value)) as fast:
        list(ColumnarReader(FIELDS, EVENTS, None, None, None).read([str(path)]))
    assert str(fast.value) == str(reference.value)


HEAD = "lead_id,timestamp,event\n"


@pytest.mark.parametrize(
    ("rows", "assumed"),
    [
        # the hypothesis find: the one local time is in a row rejected for its lead id
        (",2026-03-01T10:00:00,page_view\n", None),
        # out of range: the zone gave no instant anything uses
        ("L1,9000-01-01T01:30:00,page_view\n", None),
        ("L1,0999-12-31T23:30:00,page_view\n", None),
        # an undeclared type, a missing event, after as-of: no event kept
        ("L1,2026-03-01T09:00:00,unknown_thing\n", None),
        ("L1,2026-03-01T09:00:00,\n", None),
        ("L1,2026-03-02T09:00:00,page_view\n", None),
        # a kept event read in the zone, wherever it sits
        ("L1,2026-03-01T09:00:00,page_view\n", "Europe/Paris"),
        (",2026-03-01T09:00:00,page_view\nL1,2026-03-01T08:00:00+00:00,page_view\n", None),
        (
            "L1,2026-03-01T08:00:00Z,page_view\n,2026-03-01T09:00:00,x\nL2,2026-03-01,page_view\n",
            "Europe/Paris",
        ),
    ],
)
def test_timezone_assumed_means_a_kept_event_was_read_in_the_agreement_zone(
    tmp_path: Path, rows: str, assumed: str | None
) -> None:
    """Both readers record the agreement's zone only when it gave the instant of an event
    kept for replay (docs/data.md, *Timestamps*), never for a rejected or skipped row."""
    path = tmp_path / "events.csv"
    path.write_text(HEAD + rows, encoding="utf-8")
    for block in (16, 1 << 20):
        fast, reference, _ = read_both(
            [str(path)], block=block, as_of=1772359200, default="Europe/Paris"
        )
        assert_same(fast, reference)
        assert reference.stats.timezone_assumed == assumed


def test_a_wide_export_assumes_the_zone_only_for_a_kept_date(tmp_path: Path) -> None:
    """A wide row's date cells each stand alone: a local date of an undeclared type says
    nothing; a local date of a declared one does."""
    path = tmp_path / "contacts.csv"
    path.write_text("id,when,other\nL1,2026-03-01T08:00:00Z,2026-03-01\n", encoding="utf-8")

    def assumed(other: str) -> str | None:
        mapping = Mapping(
            columns={"lead_id": "id"}, date_columns={"when": "page_view", "other": other}
        )
        log = read_events(
            [str(path)],
            FIELDS,
            EVENTS,
            mapping if other in EVENTS else _lenient(mapping),
            default_timezone="Europe/Paris",
        )
        return log.stats.timezone_assumed

    assert assumed("sales_touch") == "Europe/Paris"
    assert assumed("not_declared") is None


def _lenient(mapping: Mapping) -> Mapping:
    from dataclasses import replace

    return replace(mapping, lenient=True)


def test_loose_headers_read_the_same_on_the_fast_path(tmp_path: Path) -> None:
    """Respelt column names take the vectorised path and give the reference's events and
    the same loose-match notes."""
    path = tmp_path / "events.csv"
    path.write_text(
        "Lead ID,Time Stamp,EVENT,event-id,Company Size,Segment\n"
        + "".join(
            f"L{i % 5},2026-03-01T10:{i:02d}:00Z,page_view,E{i},{i},smb\n" for i in range(40)
        ),
        encoding="utf-8",
    )
    fast, reference, reader = read_both([str(path)], block=300)
    assert reader.fallback_files == []
    assert_same(fast, reference)
    assert reader.stats.loose_columns == reference.stats.loose_columns
    assert len(reference.stats.loose_columns) == 6


def test_a_parquet_file_matches_its_columns_loosely(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "Lead ID": ["L1", "L2"],
                "Time Stamp": pa.array(
                    [datetime(2026, 3, 1, 10, tzinfo=UTC), datetime(2026, 3, 1, 11, tzinfo=UTC)],
                    pa.timestamp("s", tz="UTC"),
                ),
                "Event": ["page_view", "sales_touch"],
                "company_size": [12.0, None],
            }
        ),
        path,
    )
    reader = ColumnarReader(FIELDS, EVENTS, None, None, None)
    table = pa.concat_tables([chunk.table() for chunk in reader.read([str(path)])])
    assert table.column("lead").to_pylist() == ["L1", "L2"]
    assert table.column("f:company_size").to_pylist() == [12.0, None]
    assert list(reader.stats.loose_columns) == [
        ("lead_id", "Lead ID"),
        ("timestamp", "Time Stamp"),
        ("event", "Event"),
    ]


def test_a_parquet_file_of_local_times_assumes_the_zone_only_for_kept_events(
    tmp_path: Path,
) -> None:
    """Parquet timestamps without a zone are local times, read in the agreement's zone; the
    rule of `timezone_assumed` is the CSV one: a kept event, not a rejected row."""
    import pyarrow.parquet as pq

    def assumed(leads: list[str]) -> str | None:
        path = tmp_path / "events.parquet"
        pq.write_table(
            pa.table(
                {
                    "lead_id": leads,
                    "timestamp": pa.array([datetime(2026, 3, 1, 10)] * 2, pa.timestamp("s")),
                    "event": ["page_view", "page_view"],
                }
            ),
            path,
        )
        reader = ColumnarReader(FIELDS, EVENTS, None, None, None, default_timezone="Asia/Tokyo")
        chunks = [chunk.table() for chunk in reader.read([str(path)])]
        table = pa.concat_tables([reader.schema.empty_table(), *chunks])
        if leads[0]:
            assert table.column("ts").to_pylist()[0] == 1772326800  # 10:00 Tokyo = 01:00Z
        return reader.stats.timezone_assumed

    assert assumed(["L1", "L2"]) == "Asia/Tokyo"
    assert assumed(["", ""]) is None


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("zone", [None, "UTC"])
def test_parquet_instants_are_written_as_strftime_writes_them(unit: str, zone: str | None) -> None:
    """Timestamps are put in the text form of a CSV cell by tables of days and seconds of
    the day, not by `strftime`; the text is `strftime`'s to the byte, for every unit, with
    a zone (cast to seconds, `Z` after) and without (the unit's decimals), nulls and
    instants before 1970 included, and years past 9999 (written by `strftime` itself)."""
    import pyarrow.compute as pc

    from slalang.engine.reader import _instants_text

    per = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit]
    lo, hi = (-62135596800 * per, 253402300800 * per) if unit != "ns" else (-(2**63) + 1, 2**63)
    rng = np.random.default_rng(7)
    recent = 1767225600 * per
    samples = [
        rng.integers(lo, hi, 20_000),  # any instant of years 1 to 9999 (a day each)
        rng.integers(recent, recent + 86400 * 200 * per, 20_000),  # an export's few days
        np.array([lo, hi - 1, -1, 0, 1, 951782400 * per, (951868800 - 1) * per]),  # edges
    ]
    if unit != "ns":
        samples.append(np.array([hi, -(per * 86400 * 366 * 3000)]))  # past 9999, before 1
    for values in samples:
        cells = pa.array(values, pa.timestamp(unit, tz=zone), mask=rng.random(len(values)) < 0.1)
        if zone:
            cells = pc.cast(cells, pa.timestamp("s", tz="UTC"), safe=False)
        mark = "Z" if zone else ""
        expected = pc.strftime(cells, format=f"%Y-%m-%dT%H:%M:%S{mark}")
        assert _instants_text(cells, mark).equals(expected)
