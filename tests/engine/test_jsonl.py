"""JSON Lines on the columnar reader's fast path against the reference reader: the same
events, counts, rejections (reason, file, line, detail), bad values, loose-key notes and
errors, on generated hostile files read in tiny blocks (awkward lines in the first, a middle
and the last block), and the same report from `evaluate` on both engines."""

from __future__ import annotations

import csv
import gzip
import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slalang.cli import cli
from slalang.data import Mapping, read_events, read_metrics
from slalang.data.sources import _cell
from slalang.diagnostics import SlalangError
from slalang.engine import choose, jsonl, local
from slalang.engine.assemble import Apart, assemble
from slalang.engine.batch import Batch, from_event_log
from slalang.engine.reader import Chunk, ColumnarReader, StretchEnd, Unsplittable
from slalang.evaluate.run import field_specs
from slalang.load import load
from slalang.plan import compile_program
from slalang.render.report import render_report
from slalang.sample import write_sample
from tests.data.util import EVENTS, FIELDS
from tests.engine.test_local import reference_json
from tests.engine.test_reader import TYPES, assert_same, read_both

ROOT = Path(__file__).parents[2]

# numbers whose text the reference writes as `repr` of Python's int or float
NUMBERS = ["3.14159", "-2.5", "1e-7", "123.456e5", "0.30000000000000004", "1e16", "1e22"]
NUMBERS += ["5e-324", "9223372036854775807", "-9223372036854775808", "9223372036854775808"]
NUMBERS += ["1E2", "1.0e0", "100", "-100.0", "4.35", "0.1e1", "2.5E-3"]

# raw JSON literals per key, as exports write them and as they should not
LITERALS: dict[str, list[str]] = {
    "lead_id": [
        '"L1"',
        '"L2"',
        '"l1"',
        '""',
        "7",
        "7.0",
        "-0",
        "null",
        "true",
        "{}",
        "[1]",
        '"L\\u00fc"',
        '"Ü7"',
        '"\\ud800"',
        '"L\\n1"',
        '"\\ud83d\\ude00"',
        "1e2",
    ],
    "timestamp": [
        '"2026-03-01T10:00:00Z"',
        '"2026-03-01T10:00:00+02:00"',
        '"2026-03-01 10:00:00Z"',
        '"2026-03-01T10:00:00"',
        '"2026-03-08T02:30:00"',
        '"2026-02-29T10:00:00Z"',
        '"2027-01-01T00:00:00Z"',
        '"yesterday"',
        '""',
        "1772359200",
        "null",
        "[]",
    ],
    "event": [
        *(json.dumps(e) for e in EVENTS),
        '""',
        '"Page View"',
        '"unknown_thing"',
        "null",
        "1",
        "{}",
        "false",
    ],
    "event_id": ['"E1"', '"E2"', '"E3"', '""', "1", "1.0", "1e0", "null", "false", "[1]"],
    "segment": ['"smb"', '"mid"', '"SMB"', '"enterprise "', '"other"', "1", "{}", "null"],
    "company_size": [
        *NUMBERS,
        "12",
        "-3",
        "1.5",
        "1.50",
        "1e3",
        "1E+3",
        "-0",
        "-0.0",
        "0.1",
        "2.5e-7",
        "123456789012345678901234567890",
        "9007199254740993",
        "1e400",
        "1.7976931348623157e308",
        '"1,200"',
        '"12"',
        "null",
        "true",
        "[1, 2]",
        "12.0",
        "NaN",
        "-Infinity",
    ],
    "title": [
        *NUMBERS,
        '"VP"',
        '"  CTO "',
        '"Head of \\u00fcnits"',
        '"Head of ünits"',
        '"a \\"b\\" c"',
        '"\\ud83d\\ude00"',
        '"tab\\there"',
        "5",
        "null",
        '{"x": []}',
        '"\\u0000"',
    ],
    "opted_in": ["true", "false", '"yes"', '"no"', "1", "0", "null", '"maybe"'],
    "signed_on": ['"2026-01-02"', '"2026-02-30"', "20260102", "null", '"x"'],
}
KEYS = list(LITERALS)
RESPELT = {
    "lead_id": ["Lead ID", "LEAD_ID", "lead-id"],
    "timestamp": ["Time Stamp", "TIMESTAMP"],
    "event": ["Event"],
    "event_id": ["EventId"],
    "company_size": ["Company Size"],
    "title": ["TITLE"],
}
EXTRA = ['"note": "x"', '"meta": {"a": [1, {"b": 2}]}', '"n": 1', '"n": "s"', '"nums": [1.5]']
AWKWARD = [
    b"",
    b"   ",
    b"\t",
    b"\x0c",
    b"[1]",
    b'"text"',
    b"{bad",
    b"{}",
    b"NaN",
    b'{"lead_id": "L1", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view"',
    b'{"lead_id": "L1"} {"lead_id": "L2"}',
    b'{"lead_id": "L1"}{"lead_id": "L2"}',
    b'{"lead_id": "L1",}',
    b'{"lead_id": "L\xff", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view"}',
    b'{"lead_id": "L1", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view", '
    b'"title": "Jos\xe9"}',
    b' {"lead_id": "L3", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view"}',
    b'{"lead_id": "L3", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view"} ',
    b'{"lead_id": "L4", "timestamp": "2026-03-01T10:00:00Z", "event": "demo_request", '
    b'"lead_id": "L5"}',
    b'\xef\xbb\xbf{"lead_id": "L6", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view"}',
    b'{"lead_id": "L7", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view", '
    b'"title": "' + b"x" * 300 + b'"}',
    # nested past json.loads' recursion limit (rejected), and deep enough to overflow
    # pyarrow's stack if it were handed the line
    b'{"lead_id": "L8", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view", '
    b'"x": ' + b"[" * 1100 + b"]" * 1100 + b"}",
    b'{"lead_id": "L9", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"lead_id": "L10", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view", '
    b'"title": "' + b"[{" * 40 + b'"}',
]


WILD = ("{", "[", "NaN", "-Infinity", "1e400", '"\\ud800"')


@st.composite
def objects(draw: st.DrawFn, rename: dict[str, str], tame: bool) -> bytes:
    """One JSON object line as raw text: keys exact, respelt, left out or repeated, values
    in every literal form, other keys beside them, compact or spaced; `tame` ones (every
    key exact or left out, no list, object, NaN or lone surrogate) are what the fast path
    reads itself, so its cells are compared value by value."""
    comma, colon = draw(st.sampled_from([(", ", ": "), (",", ":")]))
    members = []
    for key in KEYS:
        ways = ["exact"] * 6 + ["missing"] + ([] if tame else ["respelt", "twice"])
        how = draw(st.sampled_from(ways))
        if how == "missing":
            continue
        name = rename.get(key, key)
        if how == "respelt" and key in RESPELT and key not in rename:
            name = draw(st.sampled_from(RESPELT[key]))
        literals = [v for v in LITERALS[key] if not (tame and v.startswith(WILD))]
        members.append(f"{json.dumps(name)}{colon}{draw(st.sampled_from(literals))}")
        if how == "twice":
            members.append(f"{json.dumps(name)}{colon}{draw(st.sampled_from(literals))}")
    if draw(st.booleans()):
        members.insert(draw(st.integers(0, len(members))), draw(st.sampled_from(EXTRA)))
    return ("{" + comma.join(members) + "}").encode()


PLAIN = (
    '{{"lead_id": "L{lead}", "timestamp": "2026-03-{day:02d}T{hour:02d}:00:00Z", '
    '"event": "{event}", "event_id": "E{i}", "segment": "smb", "company_size": {size}, '
    '"title": "VP", "opted_in": true}}'
)


def plain(i: int) -> bytes:
    return PLAIN.format(
        lead=i % 7,
        day=1 + i % 28,
        hour=i % 24,
        event=EVENTS[i % len(EVENTS)],
        i=i % 40,
        size=(12, 1.5, 300, 2.25)[i % 4],
    ).encode()


@st.composite
def jsonl_files(draw: st.DrawFn, rename: dict[str, str]) -> bytes:
    """Plain lines with generated and awkward ones among them, wherever they fall: with
    blocks of 64 or 200 bytes they land in the first, middle and last blocks."""
    lines = [plain(i) for i in range(draw(st.integers(0, 12)))]
    for _ in range(draw(st.integers(0, 10))):
        line = draw(
            st.one_of(objects(rename, tame=True), objects(rename, False), st.sampled_from(AWKWARD))
        )
        lines.insert(draw(st.integers(0, len(lines))), line)
    ending = draw(st.sampled_from([b"\n", b"\r\n"]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    last = draw(st.sampled_from([b"", ending]))
    return bom + ending.join(lines) + last


MAPPING = Mapping(
    columns={"lead_id": "contact"},
    fields={"size": "company_size"},
    events={"Page View": "page_view"},
)


def read_both_or_fail(path: Path, **options: Any) -> ColumnarReader | None:
    """Both readers on the file: the same events and accounting, or the same error."""
    try:
        read_events([str(path)], FIELDS, EVENTS, options.get("mapping"))
    except SlalangError as exc:
        mapping, block = options.get("mapping"), options.get("block", 64)
        reader = ColumnarReader(FIELDS, EVENTS, mapping, None, None, block=block)
        with pytest.raises(SlalangError) as fast:
            list(reader.read([str(path)]))
        assert str(fast.value) == str(exc)
        return None
    fast, reference, reader = read_both([str(path)], **options)
    assert_same(fast, reference)
    assert reader.stats.loose_columns == reference.stats.loose_columns
    return reader


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    block=st.sampled_from([64, 200, 1 << 20]),
    mapped=st.booleans(),
    packed=st.booleans(),
    zone=st.sampled_from([None, "America/New_York"]),
    default=st.sampled_from([None, "Europe/Paris"]),
    as_of=st.sampled_from([None, 1772359200]),  # 2026-03-01T10:00:00Z
)
def test_hostile_json_lines_read_the_same(
    tmp_path: Path,
    data: st.DataObject,
    block: int,
    mapped: bool,
    packed: bool,
    zone: str | None,
    default: str | None,
    as_of: int | None,
) -> None:
    rename = {"lead_id": "contact", "company_size": "size"} if mapped else {}
    text = data.draw(jsonl_files(rename))
    path = tmp_path / ("events.jsonl.gz" if packed else "events.jsonl")
    path.write_bytes(gzip.compress(text) if packed else text)
    options = {"block": block, "timezone": zone, "as_of": as_of, "default": default}
    read_both_or_fail(path, mapping=MAPPING if mapped else None, **options)


def test_a_plain_export_is_read_without_the_reference_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Strings, integers, floats with a fraction, booleans and nulls, compact or spaced,
    blank and CRLF lines, a BOM: every block vectorised, no line through the row loop."""
    lines = [plain(i) for i in range(300)]
    lines[7] = lines[7].replace(b", ", b",").replace(b": ", b":")
    lines[9] = lines[9].replace(b'"title": "VP"', b'"title": null')
    lines[40:40] = [b"", b""]
    path = tmp_path / "events.ndjson"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n")

    def refused(*args: object) -> None:
        raise AssertionError("a line went to the reference reader")

    monkeypatch.setattr(ColumnarReader, "_json_source", refused)
    fast, reference, reader = read_both([str(path)], block=500)
    assert reader.fallback_files == []
    assert_same(fast, reference)
    assert fast.stats.duplicates > 0


def test_only_the_rows_a_column_cannot_say_go_to_the_row_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole number in a float column is `12.0` or `12` as its literal was written: read
    from its line, unless the line cannot say (the key twice, a backslash); such rows, an
    empty lead id and a bad timestamp go to the reference row loop, with their lines."""
    lines = [plain(i) for i in range(100)]
    lines[10] = lines[10].replace(b'"company_size": 300', b'"company_size": 300.0')
    lines[11] = lines[11].replace(b'"company_size": 2.25', b'"company_size": 2')
    lines[14] = lines[14].replace(b'"company_size": 300', b'"company_size":1e2')
    lines[30] = lines[30].replace(b"}", b', "meta": {"company_size": 1}}')
    lines[38] = lines[38].replace(b'"VP"', b'"V\\\\P"')
    lines[50] = lines[50].replace(b'"lead_id": "L1"', b'"lead_id": ""')
    lines[70] = lines[70].replace(b'"2026-03-15T22', b'"2026-13-15T22')
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines))
    seen: list[int] = []
    source = ColumnarReader._json_source

    def spy(self: ColumnarReader, raw: Any, line_of: Any, state: Any) -> Any:
        data = raw.read()
        if type(self) is ColumnarReader:  # not `read_both`'s lead reader: it reads them again
            seen.extend(line_of(n) for n in range(1, data.count(b"\n") + 2))
        return source(self, io.BytesIO(data), line_of, state)

    monkeypatch.setattr(ColumnarReader, "_json_source", spy)
    fast, reference, _ = read_both([str(path)], block=1 << 20)
    assert_same(fast, reference)
    assert seen == [31, 39, 51, 71]
    assert fast.stats.bad_values == {} and fast.stats.rejected == reference.stats.rejected


@pytest.mark.parametrize("bad", range(len(AWKWARD)))
@pytest.mark.parametrize("where", [0, 30, 59])
def test_an_awkward_line_in_any_block_reads_as_the_reference_reads_it(
    tmp_path: Path, bad: int, where: int
) -> None:
    lines = [plain(i) for i in range(60)]
    lines.insert(where, AWKWARD[bad])
    lines.insert(5, b'{"lead_id": "", "timestamp": "2026-03-01T09:00:00Z", "event": "page_view"}')
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines))
    read_both_or_fail(path, block=300, as_of=1772356500)


@pytest.mark.parametrize("where", [0, 30, 59])
def test_a_line_over_the_limit_hands_the_rest_to_the_reference_reader(
    tmp_path: Path, where: int
) -> None:
    lines = [plain(i) for i in range(60)]
    lines.insert(where, b'{"lead_id": "L1", "title": "' + b"x" * 1_100_000 + b'"}')
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    reader = read_both_or_fail(path, block=300)
    assert reader is not None and reader.fallback_files == [str(path)]


def test_respelt_keys_read_loosely_by_the_reference_in_their_blocks(tmp_path: Path) -> None:
    """A block with `Lead ID` goes to the reference (one loose-match note, its line in an
    ambiguity error), the others stay fast."""
    lines = [plain(i) for i in range(60)]
    lines[30] = lines[30].replace(b'"lead_id"', b'"Lead ID"')
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines))
    reader = read_both_or_fail(path, block=300)
    assert reader is not None
    assert list(reader.stats.loose_columns) == [("lead_id", "Lead ID")]
    lines[45] = lines[45].replace(b'"lead_id"', b'"lead-id": "x", "Lead ID"')
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(
        SlalangError, match=r"events\.jsonl:46: the columns `lead-id` and `Lead ID`"
    ):
        read_events([str(path)], FIELDS, EVENTS)
    assert read_both_or_fail(path, block=300) is None  # the same error


def test_a_key_no_object_has_is_the_reference_error(tmp_path: Path) -> None:
    lines = [plain(i).replace(b'"event": ', b'"kind": ') for i in range(40)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines))
    assert read_both_or_fail(path, block=300) is None
    lines[20] = lines[20].replace(b'"kind": ', b'"event": null, "kind": ')
    path.write_bytes(b"\n".join(lines))
    assert read_both_or_fail(path, block=300) is not None


def test_several_files_continue_one_input_order(tmp_path: Path) -> None:
    """JSON Lines, gzip-compressed JSON Lines and CSV in one read: duplicates across files
    resolve in input order."""
    first = tmp_path / "a.jsonl.gz"
    first.write_bytes(gzip.compress(b"\n".join(plain(i) for i in range(50))))
    second = tmp_path / "b.csv"
    second.write_text(
        "lead_id,timestamp,event,event_id\nL1,2026-03-02T01:00:00Z,page_view,E1\n",
        encoding="utf-8",
    )
    third = tmp_path / "c.jsonl"
    third.write_bytes(b"\n".join(plain(i) for i in range(20, 70)))
    fast, reference, reader = read_both([str(first), str(second), str(third)], block=300)
    assert reader.fallback_files == []
    assert_same(fast, reference)
    assert fast.stats.duplicates > 0


@pytest.fixture
def sample_jsonl(tmp_path: Path) -> tuple[dict[str, Any], Path, Path]:
    """The seed policy's plan, a sample of it as JSON Lines (the CSV sample's rows as
    objects, empty cells left out, numbers as JSON numbers, every third one a float; ASCII
    and not, CRLF; an awkward line every 97 lines), and its metrics."""
    plan = compile_program(load(ROOT / "policies" / "seed_funnel.sla"))
    events, metrics = tmp_path / "events.csv", tmp_path / "metrics.csv"
    write_sample(plan, events, metrics, leads=300, seed=7, start=date(2026, 1, 5), months=3)
    with events.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    lines = []
    for k, row in enumerate(rows):
        obj: dict[str, Any] = {key: value for key, value in row.items() if value != ""}
        for key, value in obj.items():
            if value.lstrip("-").isdigit():
                obj[key] = int(value) if k % 3 else float(value)
        lines.append(json.dumps(obj, ensure_ascii=k % 2 == 0).encode())
        if k % 97 == 5:
            lines.append(AWKWARD[k % len(AWKWARD)])
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    return plan, path, metrics


def test_the_command_line_engines_write_the_same_report_from_json_lines(
    sample_jsonl: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`evaluate --engine local` on a JSON Lines export read in small blocks (numbers as JSON
    numbers, awkward lines among them) writes the reference engine's bytes."""
    _, path, metrics = sample_jsonl
    monkeypatch.setattr(choose, "SMALL", 0)  # the sample is small: run the columnar engine
    made = local._reader

    def small_blocks(*args: Any) -> ColumnarReader:
        reader = made(*args)
        reader.block = 4096
        return reader

    monkeypatch.setattr(local, "_reader", small_blocks)
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    common = ["evaluate", policy, str(path), "--metrics", str(metrics), "--format", "json"]
    outputs = {}
    for engine in ("local", "reference"):
        out = tmp_path / f"{engine}.json"
        result = CliRunner().invoke(cli, [*common, "--engine", engine, "-o", str(out)])
        assert result.exit_code in (0, 1), result.output
        outputs[engine] = out.read_bytes()
    assert outputs["local"] == outputs["reference"]
    report = json.loads(outputs["local"])
    assert report["input"]["rejected"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False).map(repr),
            st.integers(-(10**25), 10**25).map(str),
            st.tuples(st.integers(-999, 999), st.integers(0, 999), st.integers(-330, 310)).map(
                lambda n: f"{n[0]}.{n[1]}e{n[2]}"
            ),
            st.sampled_from(["true", "false", "null", '"12"', '"1.50"']),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_numbers_are_written_as_the_reference_writes_them(literals: list[str]) -> None:
    """Every cell the fast path vouches for is the text the reference makes of the JSON
    value (`repr` of Python's int or float, `true`, `false`, empty for null)."""
    block = b"\n".join(f'{{"v": {literal}}}'.encode() for literal in literals)
    lines = jsonl.lines_of(block)
    assert lines is not None
    table, _ = jsonl.parse(block, len(lines.objects), ["v"], {"v": jsonl.TEXT}, 1 << 20)
    if table is None:  # a column of mixed kinds, a number over a double: the reference's
        return
    texts, unsure = jsonl.cells(table, ["v"], block, lines)
    for literal, text, vague in zip(literals, texts[0].to_pylist(), unsure, strict=True):
        if not vague:
            value = json.loads(literal)
            assert text == (value if isinstance(value, str) else _cell(value)), literal


def test_sources_of_a_mapping_read_each_file_with_its_keys(tmp_path: Path) -> None:
    """A multi-source mapping: each JSON Lines file read fast with its source's keys, event
    names and field renames, in one input order with a CSV file of another source."""
    crm = tmp_path / "crm-export.jsonl"
    crm.write_bytes(
        b"\n".join(
            plain(i).replace(b'"lead_id"', b'"contact"').replace(b'"page_view"', b'"Visit"')
            for i in range(80)
        )
    )
    web = tmp_path / "web.jsonl.gz"
    web.write_bytes(gzip.compress(b"\n".join(plain(i).replace(b"size", b"sz") for i in range(60))))
    mapping = Mapping(
        sources=(
            Mapping(
                name="crm",
                files=("crm-*.jsonl",),
                columns={"lead_id": "contact"},
                events={"Visit": "page_view"},
            ),
            Mapping(name="web", files=("web.*",), fields={"company_sz": "company_size"}),
        )
    )
    fast, reference, reader = read_both([str(crm), str(web)], block=400, mapping=mapping)
    assert reader.fallback_files == []
    assert_same(fast, reference)
    assert fast.stats.duplicates > 0


def test_a_truncated_gzip_is_the_reference_error_wherever_it_ends(tmp_path: Path) -> None:
    data = b"\n".join(plain(i) for i in range(3000)) + b"\n"
    for cut in (20, len(gzip.compress(data)) - 200):
        path = tmp_path / "events.jsonl.gz"
        path.write_bytes(gzip.compress(data)[:cut])
        assert read_both_or_fail(path, block=4096) is None


@pytest.mark.parametrize(
    "mapping",
    [Mapping(encoding="cp1252"), Mapping(date_columns={"signed_on": "demo_request"})],
    ids=["another-encoding", "a-wide-export"],
)
def test_other_encodings_and_wide_exports_are_read_by_the_reference(
    tmp_path: Path, mapping: Mapping
) -> None:
    path = tmp_path / "events.jsonl"
    lines = [plain(i) for i in range(30)]
    lines[3] = lines[3].replace(b'"VP"', b'"Jos\xe9"')
    path.write_bytes(b"\n".join(lines))
    reader = read_both_or_fail(path, block=300, mapping=mapping)
    assert reader is not None and reader.fallback_files == [str(path)]


def test_objects_with_keys_of_their_own_are_read_by_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Custom fields as keys (`cf_<n>`): every key would be a column of the whole block to
    pyarrow, so such blocks go to the reference reader, whose memory does not grow."""
    lines = [plain(i).replace(b"}", b', "cf_%d": "x", "cf_%d": 1}' % (i, -i)) for i in range(300)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines[:5] + lines) + b"\n")
    read: list[int] = []
    source = ColumnarReader._json_source

    def spy(self: ColumnarReader, raw: Any, line_of: Any, state: Any) -> Any:
        data = raw.read()
        if type(self) is ColumnarReader:  # not `read_both`'s lead reader: it reads them again
            read.append(len(data.splitlines()))
        return source(self, io.BytesIO(data), line_of, state)

    monkeypatch.setattr(ColumnarReader, "_json_source", spy)
    monkeypatch.setattr(jsonl, "_PROBE", 2000)
    assert read_both_or_fail(path, block=40_000) is not None
    assert sum(read) == 305


# -- a JSON Lines file read in stretches by the workers ------------------------------------------


def read_stretched(
    path: Path,
    count: int,
    *,
    block: int,
    mapping: Mapping | None = None,
    timezone: str | None = None,
    as_of: int | None = None,
    default: str | None = None,
) -> tuple[Batch, ColumnarReader] | None:
    """The file cut into `count` stretches, each read by a reader of its own from its base
    (as the run's workers read them), joined as the run joins them; None where the run
    reads the input as one stream instead."""

    def reader() -> ColumnarReader:
        return ColumnarReader(
            FIELDS, EVENTS, mapping, timezone, as_of, block=block, default_timezone=default
        )

    cutter = reader()
    cut = local.cut_input(cutter, [str(path)], count)
    assert cut is not None
    chunks: list[Chunk] = []
    found = []
    for stretch, base in zip(*cut, strict=True):
        assert isinstance(stretch, local.Stretch) and stretch.json
        one = reader()
        one.base = base
        with ThreadPoolExecutor(1) as splitter:
            read = one.read_stretch(stretch, splitter)
            try:
                while True:
                    chunks.append(next(read))
            except StopIteration as done:
                found.append(local.Stretched(one.stats, done.value, one.ref.zone_used))
            except (Unsplittable, SlalangError):
                found.append(local.Stretched(one.stats, StretchEnd(0), False, stopped=True))
    if not local.join_stretches(cutter, cut[0], found):
        return None
    pieces = [Apart.of(chunk) for chunk in chunks]
    batch, _ = assemble(Apart.joined(pieces, cutter.schema), FIELDS, EVENTS, cutter.stats, True)
    return batch, cutter


def stretched_or_fail(path: Path, count: int, **options: Any) -> ColumnarReader | None:
    """Read in stretches: the reference reader's events and accounting; or, where the
    reference fails, the input left to be read as one stream (whose error is the
    reference's: `read_both_or_fail`), and None."""
    cut = None if options.get("as_of") is None else datetime.fromtimestamp(options["as_of"], UTC)
    try:
        log = read_events(
            [str(path)],
            FIELDS,
            EVENTS,
            options.get("mapping"),
            options.get("timezone"),
            cut,
            default_timezone=options.get("default"),
        )
    except SlalangError:
        assert read_stretched(path, count, **options) is None
        return None
    read = read_stretched(path, count, **options)
    assert read is not None  # nothing here is left to one stream: no line over the limit
    batch, reader = read
    assert_same(batch, from_event_log(log, TYPES, EVENTS))
    assert reader.stats.loose_columns == log.stats.loose_columns
    return reader


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    count=st.sampled_from([2, 3, 7]),
    block=st.sampled_from([64, 200]),
    mapped=st.booleans(),
    zone=st.sampled_from([None, "America/New_York"]),
    as_of=st.sampled_from([None, 1772359200]),  # 2026-03-01T10:00:00Z
)
def test_hostile_json_lines_read_the_same_in_stretches(
    tmp_path: Path,
    data: st.DataObject,
    count: int,
    block: int,
    mapped: bool,
    zone: str | None,
    as_of: int | None,
) -> None:
    """Each stretch numbers its lines from 1, learns its keys' types afresh and keeps its
    own "no line has the key" state: joined, the reference's events, counts, examples
    (lines in the file) and loose-key notes; or the input is left to one stream."""
    rename = {"lead_id": "contact", "company_size": "size"} if mapped else {}
    path = tmp_path / "events.jsonl"
    path.write_bytes(data.draw(jsonl_files(rename)))
    options = {"block": block, "timezone": zone, "as_of": as_of}
    stretched_or_fail(path, count, mapping=MAPPING if mapped else None, **options)


def test_awkward_lines_in_every_stretch_read_the_same(tmp_path: Path) -> None:
    """Plain lines with every awkward line among them, a BOM, CRLF: every stretch is read
    and joined (none is left to one stream), the rejection examples' lines are the file's."""
    lines = [plain(i) for i in range(400)]
    for k, line in enumerate(AWKWARD):
        lines.insert(17 * k + 3, line)
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines) + b"\r\n")
    reader = stretched_or_fail(path, 5, block=300)
    assert reader is not None
    assert len(reader.stats.rejected_examples) > 5
    assert reader.stats.rejected_examples[-1].line > 300  # past the first stretches


def test_stretches_cut_a_json_lines_file_at_line_starts(tmp_path: Path) -> None:
    lines = [plain(i) for i in range(300)]
    path = tmp_path / "events.ndjson"
    data = b"\xef\xbb\xbf" + b"\n".join(lines)
    path.write_bytes(data)
    reader = ColumnarReader(FIELDS, EVENTS, None, None, None)
    stretches = reader.stretches(str(path), 4)
    assert stretches is not None and len(stretches) == 4
    assert all(isinstance(s, local.Stretch) and s.json for s in stretches)
    assert stretches[0].start == 0 and stretches[0].before == 0
    assert all(s.before is None for s in stretches[1:])  # counted as they are read
    assert b"".join(data[s.start : s.end] for s in stretches) == data
    assert all(data[s.start - 1 : s.start] == b"\n" for s in stretches[1:])
    # what one stream hands wholly to the reference reader is not cut
    for name, text in [("events.jsonl.gz", gzip.compress(data)), ("events.csv", data)]:
        (tmp_path / name).write_bytes(text)
        assert reader.stretches(str(tmp_path / name), 4) is None
    repeated = Mapping(columns={"lead_id": "id", "event_id": "id"})
    keys = ColumnarReader(FIELDS, EVENTS, repeated, None, None)
    assert keys.stretches(str(path), 4) is None


def test_a_key_no_object_of_any_stretch_has_is_the_reference_error(tmp_path: Path) -> None:
    """The "no line has the key" check spans the stretches: a key one stretch has is not
    missing; one no stretch has leaves the input to one stream, which says it."""
    lines = [plain(i).replace(b'"event": ', b'"kind": ') for i in range(200)]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines))
    assert stretched_or_fail(path, 4, block=300) is None
    assert read_both_or_fail(path, block=300) is None  # the reference's error
    lines[170] = lines[170].replace(b'"kind": ', b'"event": null, "kind": ')
    path.write_bytes(b"\n".join(lines))
    assert stretched_or_fail(path, 4, block=300) is not None


def test_an_error_in_a_later_stretch_names_the_files_line(
    sample_jsonl: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    stretched: list[local._Read | None],
) -> None:
    """An error met in a stretch names a line counted from the stretch's first: the run
    reads the input as one stream instead, whose error names the file's line, as the
    reference engine does; a line over the line limit, which only one stream reads,
    likewise; neither leaves anything behind."""
    plan, path, _ = sample_jsonl
    lines = path.read_bytes().splitlines(keepends=True)
    at = len(lines) * 3 // 4
    ambiguous = lines[at].replace(b'"lead_id"', b'"lead-id": "x", "Lead ID"')
    path.write_bytes(b"".join([*lines[:at], ambiguous, *lines[at + 1 :]]))
    with pytest.raises(SlalangError, match=rf"events\.jsonl:{at + 1}: the columns") as expected:
        read_events([str(path)], field_specs(plan), plan["events"])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with (
        pytest.raises(SlalangError) as failed,
        local.run(plan, [str(path)], budget=1, parts=3, jobs=2, spill_dir=str(scratch)),
    ):
        pass
    assert str(failed.value) == str(expected.value)
    long = b'{"lead_id": "L1", "title": "' + b"x" * 1_100_000 + b'"}\n'
    path.write_bytes(b"".join([*lines[:at], long, *lines[at:]]))
    expected_report = reference_json(plan, [str(path)])
    with local.run(plan, [str(path)], budget=1, parts=3, jobs=2, spill_dir=str(scratch)) as done:
        assert render_report(done.report(), "json") == expected_report
    assert stretched == [None, None]  # both left to one stream
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("jobs", "budget", "packed"), [(2, 1, False), (3, 1, False), (2, None, False), (2, 1, True)]
)
def test_json_lines_read_by_the_workers_give_the_one_stream_report(
    sample_jsonl: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    stretched: list[local._Read | None],
    jobs: int,
    budget: int | None,
    packed: bool,
) -> None:
    """Past the budget, every worker reads its own stretch of the file (gzip: of its copy
    unpacked) into range partitions (their bounds from the lead ids of sampled lines);
    within it, a forked process reads it while this one loads the machine code. The
    reference's report to the byte: rejections with the file's lines, duplicates, every
    count."""
    plan, path, metrics = sample_jsonl
    if packed:
        path = path.with_suffix(".jsonl.gz")
        path.write_bytes(gzip.compress(sample_jsonl[1].read_bytes()))
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(path)], metrics=values)
    assert json.loads(expected)["input"]["rejected"]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    options = {"metrics": values, "budget": budget, "parts": 4, "spill_dir": str(scratch)}
    with local.run(plan, [str(path)], jobs=jobs, **options) as outcome:
        assert render_report(outcome.report(), "json") == expected
    (read,) = stretched
    assert read is not None
    if budget is not None:
        assert read.workers.method == "fork"  # before anything was read: no import again
        assert read.ordered  # range partitions, from the sampled lines' lead ids
        assert all(sources and len(sources) % jobs == 0 for sources in read.sources)
    else:
        assert not read.spilled
    assert list(scratch.iterdir()) == []
