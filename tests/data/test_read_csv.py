"""Reading canonical CSV event logs: timelines, ordering, typed fields and the accounting
of every row that is not used (RUNNER §1, §5)."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from slalang.data import BAD_VALUES, REASONS, read_events
from slalang.diagnostics import SlalangError
from tests.data.util import EVENTS, FIELDS, HEADER, assert_books_close, read, read_stdin, utc


def test_rows_become_sorted_typed_timelines(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        HEADER
        + "L1,2026-03-06T15:00:00Z,sales_touch,e2,,,,,\n"
        + "L1,2026-03-06T14:00:00+01:00,form_submitted,e1,enterprise,500,VP Sales,Yes,2026-01-31\n"
        + "L2,2026-03-07T09:00:00Z,demo_request,e3,,12.5,,0,\n",
    )
    first, second = log.leads["L1"]
    assert first.type == "form_submitted"
    assert first.ts == utc("2026-03-06T13:00:00")
    assert first.fields == {
        "segment": "enterprise",
        "company_size": 500.0,
        "title": "VP Sales",
        "opted_in": True,
        "signed_on": date(2026, 1, 31),
    }
    assert (first.event_id, first.source) == ("e1", (str(tmp_path / "events.csv"), 3))
    assert second.fields == {}, "empty cells set nothing"
    assert log.leads["L2"][0].fields == {"company_size": 12.5, "opted_in": False}
    stats = log.stats
    assert (stats.rows, stats.events, stats.leads) == (3, 3, 2)
    assert (stats.first_ts, stats.last_ts) == (
        utc("2026-03-06T13:00:00"),
        utc("2026-03-07T09:00:00"),
    )


def test_equal_timestamps_keep_input_order(tmp_path: Path) -> None:
    rows = [f"L1,2026-03-06T10:00:00Z,{kind},,,,,,\n" for kind in EVENTS]
    log = read(tmp_path, HEADER + "L1,2026-03-06T11:00:00Z,page_view,,,,,,\n" + "".join(rows))
    timeline = log.leads["L1"]
    assert [e.type for e in timeline] == [*EVENTS, "page_view"]
    assert [e.seq for e in timeline] == [1, 2, 3, 4, 5, 0]


def test_event_types_are_shared_strings(tmp_path: Path) -> None:
    log = read(tmp_path, HEADER + "L1,2026-03-06T10:00:00Z,page_view,,,,,,\n" * 3)
    types = {id(e.type) for e in log.leads["L1"]}
    assert len(types) == 1


def test_sub_second_precision_is_floored(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        HEADER
        + "L1,2026-03-06T10:00:00.999Z,page_view,,,,,,\n"
        + "L1,1969-12-31T23:59:59.5Z,page_view,,,,,,\n",
    )
    assert [e.ts for e in log.leads["L1"]] == [-1, utc("2026-03-06T10:00:00")]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",2026-03-06T10:00:00Z,page_view,,,,,,", "missing_lead_id"),
        ("L1,,page_view,,,,,,", "missing_timestamp"),
        ("L1,next tuesday,page_view,,,,,,", "bad_timestamp"),
        ("L1,2026-02-30T10:00:00Z,page_view,,,,,,", "bad_timestamp"),
        ("L1,2026-03-06T10:00:00,page_view,,,,,,", "naive_timestamp"),
        ("L1,2026-03-06T10:00:00Z,,,,,,,", "missing_event"),
        ("L1,2026-03-06T10:00:00Z,page_view", "bad_row"),
        ("L1,2026-03-06T10:00:00Z,page_view,,,,,,,extra", "bad_row"),
    ],
)
def test_each_defect_is_counted_under_its_reason(tmp_path: Path, row: str, reason: str) -> None:
    log = read(tmp_path, HEADER + "L0,2026-03-06T09:00:00Z,page_view,,,,,,\n" + row + "\n")
    stats = log.stats
    assert stats.rejected == {reason: 1}
    assert reason in REASONS
    [example] = stats.rejected_examples
    assert (example.file, example.line, example.reason) == (str(tmp_path / "events.csv"), 3, reason)
    assert example.detail
    assert (stats.rows, stats.events) == (2, 1)


@pytest.mark.parametrize(
    ("cells", "field", "value", "reason"),
    [
        (",lots,,,", "company_size", "lots", "bad_number"),
        (",nan,,,", "company_size", "nan", "bad_number"),
        (',"1,2",,,', "company_size", "1,2", "bad_number"),  # thousands come in threes
        (",,,maybe,", "opted_in", "maybe", "bad_bool"),
        (",,,,31/01/2026", "signed_on", "31/01/2026", "bad_date"),
        ("Enterprise,,,,", "segment", "Enterprise", "bad_option"),
    ],
)
def test_a_bad_value_keeps_its_event_and_leaves_the_field_unset(
    tmp_path: Path, cells: str, field: str, value: str, reason: str
) -> None:
    log = read(
        tmp_path,
        HEADER
        + "L1,2026-03-06T09:00:00Z,page_view,,smb,5,t,yes,2026-01-01\n"
        + f"L1,2026-03-06T10:00:00Z,demo_request,,{cells}\n",
    )
    stats = log.stats
    assert stats.rejected == {}
    assert (stats.rows, stats.events) == (2, 2)
    second = log.leads["L1"][1]
    assert second.type == "demo_request" and field not in second.fields
    assert stats.bad_values == {field: {reason: 1}}
    [example] = stats.bad_value_examples
    assert example == (str(tmp_path / "events.csv"), 3, field, value, reason)
    assert reason in BAD_VALUES


def test_a_row_with_several_defects_is_rejected_once_for_the_first(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        HEADER
        + ",garbage,,,,lots,,,\n"  # no lead id, bad timestamp, no event, bad number
        + "L1,garbage,page_view,,Enterprise,lots,,,\n"  # bad timestamp, bad option, bad number
        + "L1,2026-03-06T10:00:00Z,page_view,,Enterprise,lots,,,\n",  # two bad values
    )
    assert log.stats.rejected == {"missing_lead_id": 1, "bad_timestamp": 1}
    assert log.stats.events == 1
    assert log.stats.bad_values == {
        "segment": {"bad_option": 1},
        "company_size": {"bad_number": 1},
    }


def test_rejection_details_name_the_column_and_value(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        HEADER + "L1,soon,page_view,,,,,,\n" + "L1,2026-03-06 10:00,page_view,,,,,,\n",
    )
    details = [r.detail for r in log.stats.rejected_examples]
    assert details[0] == "`timestamp`: `soon` is not an ISO-8601 instant"
    assert "`2026-03-06 10:00` has no UTC offset" in details[1]


def test_only_the_first_twenty_rejections_are_kept_as_examples(tmp_path: Path) -> None:
    log = read(tmp_path, HEADER + ",2026-03-06T10:00:00Z,page_view,,,,,,\n" * 25)
    assert log.stats.rejected == {"missing_lead_id": 25}
    assert [r.line for r in log.stats.rejected_examples] == list(range(2, 22))


def test_undeclared_event_types_are_counted_per_type_and_ignored(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        HEADER
        + "L1,2026-03-06T10:00:00Z,webinar,,,,,,\n"
        + "L1,2026-03-06T11:00:00Z,webinar,,,not a number,,,\n"
        + "L1,2026-03-06T12:00:00Z,Page View,,,,,,\n"
        + "L1,2026-03-06T13:00:00Z,page_view,,,,,,\n",
    )
    assert log.stats.unknown_events == {"webinar": 2, "Page View": 1}
    assert log.stats.rejected == {}, "an ignored event's fields are not read"
    assert [e.type for e in log.leads["L1"]] == ["page_view"]


def test_repeated_event_ids_keep_the_first_row(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        HEADER
        + "L1,2026-03-06T12:00:00Z,page_view,e1,,10,,,\n"
        + "L1,2026-03-06T10:00:00Z,page_view,e1,,20,,,\n"
        + "L1,2026-03-06T10:00:00Z,page_view,,,30,,,\n"
        + "L1,2026-03-06T10:00:00Z,page_view,,,40,,,\n",
    )
    assert log.stats.duplicates == 1
    sizes = [e.fields["company_size"] for e in log.leads["L1"]]
    assert sizes == [30.0, 40.0, 10.0], "empty ids are never duplicates; the first e1 is kept"


def test_a_rejected_row_does_not_claim_its_event_id(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        HEADER + "L1,yesterday,page_view,e1,,,,,\n" + "L1,2026-03-06T10:00:00Z,page_view,e1,,,,,\n",
    )
    assert (log.stats.rejected, log.stats.duplicates, log.stats.events) == (
        {"bad_timestamp": 1},
        0,
        1,
    )


def test_events_after_as_of_are_counted_and_left_out(tmp_path: Path) -> None:
    as_of = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    log = read(
        tmp_path,
        HEADER
        + "L1,2026-03-06T12:00:00Z,page_view,e1,,,,,\n"
        + "L1,2026-03-06T12:00:01Z,page_view,e2,,,,,\n"
        + "L2,2026-03-07T00:00:00Z,page_view,e3,,,,,\n"
        + "L1,2026-03-06T11:00:00Z,page_view,e1,,,,,\n",
        as_of=as_of,
    )
    stats = log.stats
    assert (stats.events, stats.after_as_of, stats.duplicates) == (1, 2, 1)
    assert list(log.leads) == ["L1"], "a lead with no used event is not a lead"
    assert stats.leads == 1
    assert (stats.first_ts, stats.last_ts) == (utc("2026-03-06T12:00:00"),) * 2


def test_ids_are_compared_within_a_lead(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        HEADER
        + "L1,2026-03-06T10:00:00Z,sales_touch,email-7,,,,,\n"
        + "L2,2026-03-06T10:00:00Z,sales_touch,email-7,,,,,\n"
        + "L2,2026-03-06T10:00:00Z,sales_touch,email-7,,,,,\n",
    )
    assert log.stats.duplicates == 1
    assert [len(log.leads[lead]) for lead in ("L1", "L2")] == [1, 1]


def test_as_of_must_be_aware(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        read_events([], FIELDS, EVENTS, as_of=datetime(2026, 3, 6))


def test_blank_lines_are_not_rows_and_lines_are_physical(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        HEADER
        + "\n"
        + 'L1,2026-03-06T10:00:00Z,page_view,,,,"two\nlines",,\n'
        + "\n"
        + ",2026-03-06T10:00:00Z,page_view,,,,,,\n",
    )
    assert log.stats.rows == 2
    assert log.leads["L1"][0].line == 3, "a row is numbered by the line it starts on"
    assert log.leads["L1"][0].fields["title"] == "two\nlines"
    assert log.stats.rejected_examples[0].line == 6


def test_bytes_that_are_not_utf8_in_a_field_are_a_bad_value_and_the_event_is_used(
    tmp_path: Path,
) -> None:
    data = (
        HEADER.encode()
        + b"L1,2026-03-06T10:00:00Z,page_view,,smb,,Directeur G\xe9n\xe9ral,,\n"
        + b"L2,2026-03-06T10:00:00Z,page_view,,,,Gr\xc3\xbcnder,,\n"
        + b"L\xe93,2026-03-06T10:00:00Z,page_view,,,,,,\n"
    )
    log = read(tmp_path, data)
    assert log.stats.rejected == {"bad_encoding": 1}, "a lead id that is not text rejects"
    assert log.stats.rejected_examples[0].line == 4
    assert log.leads["L1"][0].fields == {"segment": "smb"}
    assert log.stats.bad_values == {"title": {"bad_encoding": 1}}
    assert log.stats.bad_value_examples[0].value == "Directeur G\\xe9n\\xe9ral"
    assert log.leads["L2"][0].fields["title"] == "Gründer"


def test_bad_bytes_in_a_column_nobody_reads_change_nothing(tmp_path: Path) -> None:
    data = b"lead_id,timestamp,event,notes\nL1,2026-03-06T10:00:00Z,page_view,Jos\xe9\n"
    log = read(tmp_path, data)
    assert (log.stats.events, log.stats.rejected, log.stats.bad_values) == (1, {}, {})


def test_bad_bytes_deep_in_a_large_file_are_found(tmp_path: Path) -> None:
    good = b"L1,2026-03-06T10:00:00Z,page_view,,,,VP,,\n"
    data = HEADER.encode() + good * 20_000 + b"L2,2026-03-06T10:00:00Z,page_view,,,,\xff,,\n" + good
    log = read(tmp_path, data)
    assert log.stats.bad_values == {"title": {"bad_encoding": 1}}
    assert log.stats.bad_value_examples[0].line == 20_002
    assert log.stats.events == 20_002


def test_a_multibyte_character_cut_at_the_end_of_the_file_is_found(tmp_path: Path) -> None:
    data = HEADER.encode() + b"L1,2026-03-06T10:00:00Z,page_view,,,,,,2026\xc3"
    log = read(tmp_path, data)
    assert log.stats.bad_values == {"signed_on": {"bad_encoding": 1}}
    assert log.stats.events == 1


def test_a_row_the_csv_parser_refuses_is_rejected_and_reading_goes_on(tmp_path: Path) -> None:
    huge = "x" * 200_000  # a quoted cell past the csv module's field size limit
    log = read(
        tmp_path,
        HEADER + f'L1,2026-03-06T10:00:00Z,page_view,,,,"{huge}",,\n'
        "L2,2026-03-06T10:00:00Z,page_view,,,,,,\n",
    )
    assert log.stats.rejected == {"bad_row": 1}
    assert list(log.leads) == ["L2"]


def test_excel_habits_bom_semicolons_crlf_and_padded_header(tmp_path: Path) -> None:
    text = "\ufefflead_id ; timestamp;event\r\nL1;2026-03-06T10:00:00Z;page_view\r\n"
    log = read(tmp_path, text.encode("utf-8"))
    assert log.leads["L1"][0].type == "page_view"


def test_gzip_is_told_by_its_bytes(tmp_path: Path) -> None:
    data = gzip.compress((HEADER + "L1,2026-03-06T10:00:00Z,page_view,,,,,,\n").encode())
    assert read(tmp_path, data, "events.csv.gz").stats.events == 1
    assert read(tmp_path, data, "export.dat").stats.events == 1


def test_a_truncated_gzip_file_is_an_error_naming_it(tmp_path: Path) -> None:
    data = gzip.compress((HEADER + "L1,2026-03-06T10:00:00Z,page_view,,,,,,\n" * 1000).encode())
    with pytest.raises(SlalangError, match=r"events\.csv\.gz: cannot read events: .*truncated"):
        read(tmp_path, data[: len(data) // 2], "events.csv.gz")


def test_a_corrupt_gzip_file_is_an_error_naming_it(tmp_path: Path) -> None:
    data = bytearray(
        gzip.compress((HEADER + "L1,2026-03-06T10:00:00Z,page_view,,,,,,\n" * 50).encode())
    )
    data[20:40] = b"\xff" * 20
    with pytest.raises(SlalangError, match=r"events\.csv\.gz: cannot read events: "):
        read(tmp_path, bytes(data), "events.csv.gz")


def test_several_files_number_rows_per_file_and_order_ties_by_file(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(HEADER + "L1,2026-03-06T10:00:00Z,page_view,x,,,,,\n")
    (tmp_path / "b.csv").write_text(
        HEADER
        + "L1,2026-03-06T10:00:00Z,demo_request,y,,,,,\nL1,2026-03-06T10:00:00Z,page_view,x,,,,,\n"
    )
    log = read_events([str(tmp_path / "a.csv"), str(tmp_path / "b.csv")], FIELDS, EVENTS)
    assert_books_close(log.stats)
    assert [(e.type, e.source) for e in log.leads["L1"]] == [
        ("page_view", (str(tmp_path / "a.csv"), 2)),
        ("demo_request", (str(tmp_path / "b.csv"), 2)),
    ]
    assert log.stats.duplicates == 1, "ids are compared across files"


def test_stdin_is_sniffed_and_named(tmp_path: Path) -> None:
    csv_log = read_stdin((HEADER + "L1,2026-03-06T10:00:00Z,page_view,,,,,,\n").encode())
    assert csv_log.leads["L1"][0].file == "<stdin>"
    json_log = read_stdin(
        b'  {"lead_id": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view"}\n'
    )
    assert json_log.stats.events == 1


def test_stdin_can_be_read_once() -> None:
    with pytest.raises(SlalangError, match="only once"):
        read_stdin(b"", ["-", "-"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Record ID,Activity date,Activity type\n",
            "events.csv: missing columns `lead_id`, `timestamp`, `event`; the header has "
            "`Record ID`, `Activity date`, `Activity type`; name the export's columns under "
            "`columns:` in a mapping file (--mapping)",
        ),
        (
            "lead,timestamp,event\n",
            "events.csv: missing column `lead_id` (is it `lead`?); the header has",
        ),
        ("", "events.csv: empty file; expected a CSV header row"),
        (
            "lead_id,timestamp,event,event\n",
            "events.csv: the header has the column `event` more than once",
        ),
    ],
)
def test_an_unusable_header_is_an_error_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(SlalangError) as caught:
        read(tmp_path, text)
    assert str(caught.value).removeprefix(f"{tmp_path}/").startswith(message)
    assert "\n" not in str(caught.value)


def test_missing_unreadable_and_spreadsheet_files_are_errors(tmp_path: Path) -> None:
    with pytest.raises(SlalangError, match=r"nope\.csv: cannot read events: no such file"):
        read_events([str(tmp_path / "nope.csv")], FIELDS, EVENTS)
    with pytest.raises(SlalangError, match="it is a directory"):
        read_events([str(tmp_path)], FIELDS, EVENTS)
    with pytest.raises(SlalangError, match="export it as CSV"):
        read(tmp_path, b"PK\x03\x04rest of a workbook", "leads.xlsx")


def test_field_columns_are_optional_and_other_columns_ignored(tmp_path: Path) -> None:
    log = read(tmp_path, "notes,event,timestamp,lead_id\nhello,page_view,2026-03-06T10:00:00Z,L1\n")
    assert log.leads["L1"][0].fields == {}
    assert log.leads["L1"][0].event_id is None


def test_a_missing_event_column_is_not_taken_for_the_event_id(tmp_path: Path) -> None:
    with pytest.raises(SlalangError) as caught:
        read(tmp_path, "lead_id,timestamp,event_id,Event type\nL1,2026-03-06T10:00:00Z,e1,x\n")
    message = str(caught.value)
    assert "missing column `event`" in message and "(is it `event_id`?)" not in message
    with pytest.raises(SlalangError, match=r"missing column `event` \(is it `events`\?\)"):
        read(tmp_path, "lead_id,timestamp,event_id,events\nL1,2026-03-06T10:00:00Z,e1,x\n")
