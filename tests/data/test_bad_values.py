"""RUNNER §6.1 and §6.2: a bad cell keeps its event, encodings and number formats come from the
mapping (per source too), and a timestamp without an offset falls back to the agreement's
zone, said once and recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slalang.data import Mapping, parse_mapping, read_events
from slalang.data.values import FieldSpec, NumberFormat, converter
from slalang.diagnostics import SlalangError
from slalang.evaluate.schema import validate_report
from tests.conftest import Writer, invoke
from tests.data.util import EVENTS, FIELDS, HEADER, assert_books_close, read, utc

POLICIES = Path(__file__).parents[2] / "policies"


def test_a_cp1252_export_reads_with_its_encoding(tmp_path: Path) -> None:
    data = (HEADER + "L1,2026-03-06T10:00:00Z,page_view,,,,José Müller,,\n").encode("cp1252")
    as_utf8 = read(tmp_path, data)
    assert as_utf8.stats.bad_values == {"title": {"bad_encoding": 1}}
    assert as_utf8.stats.events == 1, "read as UTF-8 the name is a bad value, not a lost event"
    log = read(tmp_path, data, mapping=parse_mapping("encoding: cp1252\n", "m.yaml"))
    assert log.leads["L1"][0].fields == {"title": "José Müller"}
    assert log.stats.bad_values == {}


def test_a_byte_cp1252_does_not_define_is_a_bad_value(tmp_path: Path) -> None:
    data = HEADER.encode() + b"L1,2026-03-06T10:00:00Z,page_view,,,,x\x81y,,\n"
    log = read(tmp_path, data, mapping=parse_mapping("encoding: windows-1252\n", "m.yaml"))
    assert log.stats.bad_values == {"title": {"bad_encoding": 1}}
    assert log.stats.bad_value_examples[0].value == "x\\x81y"


@pytest.mark.parametrize("name", ["events.csv", "events.jsonl"])
def test_a_utf16_export_reads_with_its_encoding(tmp_path: Path, name: str) -> None:
    if name.endswith(".csv"):
        text = "lead_id;timestamp;event;title\r\nL1;2026-03-06T10:00:00Z;page_view;Zoë\r\n"
    else:
        row = {"lead_id": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view"}
        text = json.dumps({**row, "title": "Zoë"}, ensure_ascii=False) + "\n"
    log = read(
        tmp_path,
        text.encode("utf-16"),
        name,
        mapping=parse_mapping("encoding: utf-16\n", "m.yaml"),
    )
    assert log.leads["L1"][0].fields == {"title": "Zoë"}


def test_a_cp1252_json_lines_file(tmp_path: Path) -> None:
    line = '{"lead_id": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view", '
    data = (line + '"title": "Genève"}\n').encode("cp1252")
    log = read(tmp_path, data, "e.jsonl", mapping=parse_mapping("encoding: cp1252\n", "m.yaml"))
    assert log.leads["L1"][0].fields == {"title": "Genève"}


@pytest.mark.parametrize(
    ("numbers", "text", "value"),
    [
        (NumberFormat(), "1,200", 1200.0),
        (NumberFormat(), "1,234,567.5", 1234567.5),
        (NumberFormat(), " -1,200 ", -1200.0),
        (NumberFormat(), "1e3", 1000.0),
        (NumberFormat(",", "."), "1.200,5", 1200.5),
        (NumberFormat(",", "."), "1200", 1200.0),
        (NumberFormat(",", "."), "0,25", 0.25),
        (NumberFormat(",", " "), "1 200,5", 1200.5),
        (NumberFormat(",", " "), "1\u202f200", 1200.0),
        (NumberFormat(".", ""), "1200.5", 1200.5),
        (NumberFormat(".", "'"), "1'200", 1200.0),
    ],
)
def test_number_formats_read(numbers: NumberFormat, text: str, value: float) -> None:
    convert = converter(FieldSpec("n", "number"), numbers)
    assert convert is not None and convert(text) == value


@pytest.mark.parametrize(
    ("numbers", "text"),
    [
        (NumberFormat(), "1,20"),
        (NumberFormat(), "1.200,5"),
        (NumberFormat(",", "."), "1.2"),  # not 1.2 and not 12: a group needs three digits
        (NumberFormat(",", "."), "1,200.5"),
        (NumberFormat(".", ""), "1,200"),
        (NumberFormat(",", "."), "nan"),
    ],
)
def test_number_formats_refuse(numbers: NumberFormat, text: str) -> None:
    convert = converter(FieldSpec("n", "number"), numbers)
    assert convert is not None
    with pytest.raises(ValueError):
        convert(text)


def test_number_format_of_a_source_applies_to_its_files_only(tmp_path: Path) -> None:
    mapping = parse_mapping(
        "sources:\n"
        "  - {name: eu, files: 'eu*', decimal: ',', thousands: '.'}\n"
        "  - {name: us, files: 'us*'}\n",
        "m.yaml",
    )
    row = 'L1,2026-03-06T10:00:00Z,page_view,,,"1.200,5",,,\n'
    (tmp_path / "eu.csv").write_text(HEADER + row)
    (tmp_path / "us.csv").write_text(HEADER + row.replace("L1", "L2"))
    paths = [str(tmp_path / "eu.csv"), str(tmp_path / "us.csv")]
    log = read_events(paths, FIELDS, EVENTS, mapping)
    assert_books_close(log.stats)
    assert log.leads["L1"][0].fields == {"company_size": 1200.5}
    assert log.leads["L2"][0].fields == {}
    assert log.stats.bad_values == {"company_size": {"bad_number": 1}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("encoding: klingon\n", "m.yaml:1: encoding: unknown encoding `klingon`"),
        ("encoding: hex\n", "m.yaml:1: encoding: unknown encoding `hex`"),
        ("decimal: ','\n", "m.yaml:1: decimal: the decimal mark and the thousands separator"),
        ("thousands: '.'\n", "m.yaml:1: thousands: the decimal mark and the thousands sep"),
        ("decimal: ';'\n", "m.yaml:1: decimal: "),
        ("sources: [{name: a, files: x}]\nencoding: cp1252\n", "m.yaml:2: encoding: not allowed"),
    ],
)
def test_bad_encoding_and_number_keys_are_one_line_errors(text: str, message: str) -> None:
    with pytest.raises(SlalangError) as caught:
        parse_mapping(text, "m.yaml")
    assert str(caught.value).startswith(message)


def test_an_undecodable_utf16_stream_is_one_line_naming_the_file(tmp_path: Path) -> None:
    data = "lead_id,timestamp,event\n".encode("utf-16-le") + b"\x00\xd8\x41\x00"
    with pytest.raises(SlalangError, match=r"e\.csv: cannot read events: not utf-16-le text"):
        read(tmp_path, data, "e.csv", mapping=parse_mapping("encoding: utf-16-le\n", "m"))


# -- zone fallback (RUNNER §6.2) ---------------------------------------------------------------


def test_the_source_zone_wins_then_timezone_then_the_agreement(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("lead_id,timestamp,event\nL1,2026-03-06 10:00,page_view\n")

    def ts(mapping: Mapping | None, timezone: str | None) -> tuple[int, str | None]:
        log = read_events(
            [str(path)], FIELDS, EVENTS, mapping, timezone, default_timezone="Asia/Tokyo"
        )
        return log.leads["L1"][0].ts, log.stats.timezone_assumed

    paris = Mapping(timezone="Europe/Paris")
    assert ts(paris, "America/New_York") == (utc("2026-03-06T09:00:00"), None)
    assert ts(None, "America/New_York") == (utc("2026-03-06T15:00:00"), None)
    assert ts(None, None) == (utc("2026-03-06T01:00:00"), "Asia/Tokyo")


def test_an_offset_on_every_timestamp_assumes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("lead_id,timestamp,event\nL1,2026-03-06T10:00:00Z,page_view\n")
    log = read_events([str(path)], FIELDS, EVENTS, default_timezone="Asia/Tokyo")
    assert log.stats.timezone_assumed is None


NAIVE = 'lead_id,timestamp,event,company_size\nA,2026-02-02 10:00,form_submitted,"1,500"\n'


def test_evaluate_says_the_assumed_zone_once_and_records_it(write: Writer) -> None:
    events = write("events.csv", NAIVE + "B,2026-02-02 11:00,form_submitted,7\n")
    policy = str(POLICIES / "seed_funnel.sla")  # agreement zone America/Chicago
    result = invoke(["evaluate", policy, str(events), "--format", "json", "--fail-on", "never"], 0)
    report = json.loads(result.stdout)
    validate_report(report)
    assert report["input"]["timezone_assumed"] == "America/Chicago"
    assert report["input"]["events"] == 2 and report["input"]["rejected"] == {}
    assert report["input"]["bad_values"] == {}, "1,500 reads as 1500"
    notes = [line for line in result.stderr.splitlines() if "agreement's zone" in line]
    assert notes == [
        "warning: timestamps without a UTC offset were read in the agreement's zone "
        "`America/Chicago`; give --timezone or the mapping's `timezone` if the export uses "
        "another"
    ]
    given = invoke(
        ["evaluate", policy, str(events), "--format", "json", "--timezone", "America/Chicago"], 0
    )
    assert json.loads(given.stdout)["input"]["timezone_assumed"] is None
    assert "agreement's zone" not in given.stderr
    assert json.loads(given.stdout)["clocks"] == report["clocks"]


def test_a_report_with_bad_values_validates_against_the_schema(write: Writer) -> None:
    events = write("events.csv", NAIVE.replace('"1,500"', "lots"))
    policy = str(POLICIES / "seed_funnel.sla")
    out = invoke(["evaluate", policy, str(events), "--format", "json", "--fail-on", "never"], 0)
    report = json.loads(out.stdout)
    validate_report(report)
    assert report["input"]["bad_values"] == {"company_size": {"bad_number": 1}}


# -- the years slalang computes with ------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp",
    ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0999-12-31T23:59:59Z", "9999-12-31 23:59"],
)
def test_a_timestamp_outside_the_supported_years_is_a_bad_timestamp(
    tmp_path: Path, stamp: str
) -> None:
    text = f"lead_id,timestamp,event\nL1,{stamp},page_view\nL2,2026-03-06T10:00:00Z,page_view\n"
    log = read(tmp_path, text, timezone="Pacific/Kiritimati")
    assert log.stats.rejected == {"bad_timestamp": 1}
    assert "is outside the years 1000 to 8999" in log.stats.rejected_examples[0].detail
    assert list(log.leads) == ["L2"]


def test_the_edges_of_the_supported_years_are_read(tmp_path: Path) -> None:
    text = (
        "lead_id,timestamp,event\n"
        "L1,1000-01-01T00:00:00Z,page_view\nL1,8999-12-31T23:59:59Z,page_view\n"
    )
    assert read(tmp_path, text).stats.events == 2


def test_an_as_of_outside_the_supported_years_is_one_line(write: Writer) -> None:
    events = write("events.csv", "lead_id,timestamp,event\nA,0001-01-01T00:00:00Z,form_submitted\n")
    policy = str(POLICIES / "seed_funnel.sla")
    result = invoke(["evaluate", policy, str(events), "--as-of", "9999-12-31T23:59:59Z"], 2)
    assert "error: --as-of: `9999-12-31T23:59:59+00:00` is outside the years 1000 to 8999" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_period_labels_have_four_digit_years() -> None:
    from zoneinfo import ZoneInfo

    from slalang.evaluate.periods import Periods

    start = -62135596800  # 0001-01-01T00:00:00Z
    labels = [
        Periods(kind, ZoneInfo("UTC")).of(start).key
        for kind in ("monthly", "quarterly", "yearly", "weekly")
    ]
    assert labels == ["0001-01", "0001-Q1", "0001", "0001-W01"]
