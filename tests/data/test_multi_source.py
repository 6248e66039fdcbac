"""Multi-source mappings: each input file read with the source its name matches, the events
of all sources merged per lead, and local times read by each source's own formats and zone
(DST gaps resolved forward, repeated hours at their first occurrence)."""

from __future__ import annotations

from pathlib import Path

import pytest

from slalang.data import Mapping, parse_mapping, read_events
from slalang.diagnostics import SlalangError
from tests.data.util import EVENTS, FIELDS, assert_books_close, utc

TWO_TABLES = """\
sources:
  - name: leads
    files: "leads*.csv"
    columns: {lead_id: "mql_id"}
    timezone: America/Sao_Paulo
    timestamp_format: "%d-%m-%Y"
    date_columns: {first_contact_date: form_submitted}
    fields: {origin: title}
  - name: deals
    files: ["deals*.csv", "won*.csv"]
    columns: {lead_id: "mql_id"}
    timezone: America/New_York
    timestamp_format: ["%d-%m-%Y %H:%M", "%m/%d/%Y %I:%M %p"]
    date_columns: {won_date: sales_touch}
    fields: {size: company_size}
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def read_all(paths: list[str], mapping: Mapping, timezone: str | None = None):  # type: ignore[no-untyped-def]
    log = read_events(paths, FIELDS, EVENTS, mapping, timezone)
    assert_books_close(log.stats)
    return log


def two_tables(tmp_path: Path) -> Mapping:
    return parse_mapping(TWO_TABLES, "olist.yaml")


def test_events_from_all_sources_merge_per_lead(tmp_path: Path) -> None:
    leads = write(
        tmp_path,
        "leads_2018.csv",
        "mql_id,first_contact_date,origin\nA,05-03-2018,social\nB,06-03-2018,\n",
    )
    deals = write(tmp_path, "deals.csv", "mql_id,won_date,size\nA,07-03-2018 10:30,12\n")
    log = read_all([deals, leads], two_tables(tmp_path))
    a = log.leads["A"]
    assert [e.type for e in a] == ["form_submitted", "sales_touch"]
    # São Paulo was UTC-3 in March 2018; New York was on EST (UTC-5) until March 11
    assert a[0].ts == utc("2018-03-05T03:00:00Z")
    assert a[1].ts == utc("2018-03-07T15:30:00Z")
    assert a[0].fields == {"title": "social"} and a[1].fields == {"company_size": 12.0}
    assert a[0].file == leads and a[1].file == deals
    assert sorted(log.leads) == ["A", "B"]
    assert log.stats.rows == 3 and log.stats.events == 3


def test_each_source_tries_its_formats_in_order(tmp_path: Path) -> None:
    deals = write(
        tmp_path,
        "won_q1.csv",
        "mql_id,won_date\nA,03/07/2018 02:15 PM\nB,2018-03-07T10:00:00Z\nC,7 March 2018\n",
    )
    log = read_all([deals], two_tables(tmp_path))
    assert log.leads["A"][0].ts == utc("2018-03-07T19:15:00Z")
    assert log.leads["B"][0].ts == utc("2018-03-07T10:00:00Z")  # ISO-8601 after the formats
    assert log.stats.rejected == {"bad_timestamp": 1}
    detail = log.stats.rejected_examples[0].detail
    assert detail == (
        "`won_date`: `7 March 2018` matches none of `%d-%m-%Y %H:%M`, `%m/%d/%Y %I:%M %p` "
        "nor ISO-8601"
    )


def test_a_file_matching_no_source_is_an_error_naming_it_and_the_sources(
    tmp_path: Path,
) -> None:
    other = write(tmp_path, "export.csv", "mql_id,won_date\nA,07-03-2018 10:30\n")
    with pytest.raises(SlalangError) as caught:
        read_all([other], two_tables(tmp_path))
    assert str(caught.value) == (
        f"{other}: the file name matches no source of olist.yaml (sources: `leads` "
        "(leads*.csv); `deals` (deals*.csv, won*.csv)); rename the file or widen a "
        "source's `files`"
    )


def test_a_file_matching_two_sources_is_an_error(tmp_path: Path) -> None:
    mapping = parse_mapping(
        "sources:\n  - {name: a, files: '*.csv'}\n  - {name: b, files: 'x*'}\n", "m.yaml"
    )
    both = write(tmp_path, "x.csv", "lead_id,timestamp,event\n")
    with pytest.raises(
        SlalangError,
        match=r"x\.csv: the file name matches several sources of "
        r"m\.yaml \(`a`, `b`\); make their `files` globs exclusive",
    ):
        read_all([both], mapping)


def test_globs_match_the_base_name_ignoring_case(tmp_path: Path) -> None:
    sub = tmp_path / "exports" / "2018"
    sub.mkdir(parents=True)
    leads = write(sub, "LEADS.CSV", "mql_id,first_contact_date,origin\nA,05-03-2018,\n")
    assert read_all([leads], two_tables(tmp_path)).stats.events == 1


def test_wide_rows_with_several_date_columns_and_rows_without_dates(tmp_path: Path) -> None:
    mapping = parse_mapping(
        """\
sources:
  - name: contacts
    files: "*.csv"
    columns: {lead_id: "Record ID"}
    timezone: America/New_York
    timestamp_format: "%Y-%m-%d %H:%M"
    date_columns:
      "Create Date": form_submitted
      "Became a Marketing Qualified Lead Date": mql_marked
      "Became a Sales Qualified Lead Date": sales_touch
    fields: {"Job Title": title}
""",
        "m.yaml",
    )
    contacts = write(
        tmp_path,
        "contacts.csv",
        "Record ID,Create Date,Became a Marketing Qualified Lead Date,"
        "Became a Sales Qualified Lead Date,Job Title\n"
        "1,2026-03-02 09:00,2026-03-03 10:00,2026-03-04 11:00,VP Sales\n"
        "2,,,,CTO\n"
        "3,2026-03-05 12:00,,,\n",
    )
    log = read_all([contacts], mapping)
    assert [e.type for e in log.leads["1"]] == ["form_submitted", "mql_marked", "sales_touch"]
    assert all(e.fields == {"title": "VP Sales"} for e in log.leads["1"])
    assert "2" not in log.leads
    assert log.stats.rejected == {"no_dates": 1}
    assert log.stats.rows == 3 and log.stats.expanded == 2 and log.stats.events == 4


@pytest.mark.parametrize(
    ("zone", "wall", "expected"),
    [
        # São Paulo sprang forward at midnight: 2018-11-04 00:00 never happened, the day
        # began at 01:00 -02; a date alone is that first instant of the day
        ("America/Sao_Paulo", "04-11-2018", "2018-11-04T03:00:00Z"),
        ("America/Sao_Paulo", "04-11-2018 00:30", "2018-11-04T03:00:00Z"),
        ("America/Sao_Paulo", "05-11-2018", "2018-11-05T02:00:00Z"),
        # ... and fell back at midnight: 2018-02-17 23:00-23:59 happened twice; first pass
        ("America/Sao_Paulo", "17-02-2018 23:30", "2018-02-18T01:30:00Z"),
        ("America/Sao_Paulo", "18-02-2018", "2018-02-18T03:00:00Z"),
        # New York: 02:30 on 2026-03-08 does not exist, 01:30 on 2026-11-01 happens twice
        ("America/New_York", "08-03-2026 02:30", "2026-03-08T07:00:00Z"),
        ("America/New_York", "08-03-2026", "2026-03-08T05:00:00Z"),
        ("America/New_York", "01-11-2026 01:30", "2026-11-01T05:30:00Z"),
    ],
)
def test_local_times_in_dst_gaps_and_overlaps(
    tmp_path: Path, zone: str, wall: str, expected: str
) -> None:
    mapping = parse_mapping(
        f"""\
sources:
  - name: leads
    files: "*.csv"
    timezone: {zone}
    timestamp_format: ["%d-%m-%Y %H:%M", "%d-%m-%Y"]
    date_columns: {{day: form_submitted}}
""",
        "m.yaml",
    )
    log = read_all([write(tmp_path, "a.csv", f"lead_id,day\nL,{wall}\n")], mapping)
    assert log.leads["L"][0].ts == utc(expected)


def test_a_source_without_a_zone_uses_the_timezone_option(tmp_path: Path) -> None:
    mapping = parse_mapping(
        "sources:\n  - {name: a, files: 'a*', timezone: Europe/Paris}\n"
        "  - {name: b, files: 'b*'}\n",
        "m.yaml",
    )
    a = write(tmp_path, "a.csv", "lead_id,timestamp,event\nL,2026-01-05 09:00,page_view\n")
    b = write(tmp_path, "b.csv", "lead_id,timestamp,event\nL,2026-01-05 09:00,page_view\n")
    log = read_all([a, b], mapping, timezone="America/Chicago")
    assert [e.ts for e in log.leads["L"]] == [
        utc("2026-01-05T08:00:00Z"),
        utc("2026-01-05T15:00:00Z"),
    ]
    assert read_all([b], mapping).stats.rejected == {"naive_timestamp": 1}


def test_a_bad_target_in_any_source_names_its_yaml_path(tmp_path: Path) -> None:
    mapping = parse_mapping(
        "sources:\n  - {name: a, files: 'a*'}\n  - name: b\n    files: 'b*'\n"
        "    events: {CALL: sales_tuch}\n",
        "m.yaml",
    )
    a = write(tmp_path, "a.csv", "lead_id,timestamp,event\n")
    with pytest.raises(SlalangError) as caught:
        read_all([a], mapping)
    assert str(caught.value) == (
        "m.yaml:5: sources[1].events.CALL: `sales_tuch` is not a declared event type; "
        "did you mean `sales_touch`?"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "sources:\n  - {name: a, files: x}\ntimezone: UTC\n",
            "m.yaml:3: timezone: not allowed beside `sources`; give it in each source",
        ),
        ("sources: []\n", "m.yaml:1: sources: must not be empty"),
        ("sources:\n  - {files: x}\n", "m.yaml:2: sources[0]: missing key `name`"),
        (
            "sources:\n  - {name: a, files: x, colums: {}}\n",
            "m.yaml:2: sources[0].colums: unknown key; did you mean `columns`?",
        ),
        (
            "sources:\n  - {name: a, files: x}\n  - {name: a, files: y}\n",
            "m.yaml:3: sources[1].name: the source `a` is already named at sources[0]",
        ),
        (
            "sources:\n  - name: a\n    files: x\n    timestamp_format: ['%d', '%Q']\n",
            "m.yaml:4: sources[0].timestamp_format[1]: `%Q` is not a usable strptime format",
        ),
        (
            "sources:\n  - name: a\n    files: x\n    timezone: America/Sao_Pualo\n",
            "m.yaml:4: sources[0].timezone: unknown time zone `America/Sao_Pualo`; "
            "did you mean `America/Sao_Paulo`?",
        ),
        ("timestamp_format: []\n", "m.yaml:1: timestamp_format: must not be empty"),
        ("timestamp_format: 3\n", "m.yaml:1: timestamp_format: expected a string or a list"),
    ],
)
def test_multi_source_mapping_errors_name_the_yaml_key(text: str, message: str) -> None:
    with pytest.raises(SlalangError) as caught:
        parse_mapping(text, "m.yaml")
    assert str(caught.value).startswith(message)


def test_the_single_source_form_takes_a_list_of_formats(tmp_path: Path) -> None:
    mapping = parse_mapping(
        "timezone: UTC\ntimestamp_format: ['%d.%m.%Y %H:%M', '%d.%m.%Y']\n", "m.yaml"
    )
    path = write(
        tmp_path,
        "e.csv",
        "lead_id,timestamp,event\nL,05.01.2026 09:00,page_view\nL,06.01.2026,page_view\n",
    )
    log = read_all([path], mapping)
    assert [e.ts for e in log.leads["L"]] == [
        utc("2026-01-05T09:00:00Z"),
        utc("2026-01-06T00:00:00Z"),
    ]


def test_unreadable_extremes_are_rejected_not_crashes(tmp_path: Path) -> None:
    mapping = parse_mapping("timezone: America/Sao_Paulo\ntimestamp_format: '%d-%m-%Y'\n", "m.yaml")
    path = write(
        tmp_path,
        "e.csv",
        "lead_id,timestamp,event\nL,01-01-0001,page_view\nL,31-12-9999,page_view\n"
        "L,31-02-2018,page_view\nL,,page_view\nL,01-01-2018,page_view\n",
    )
    log = read_all([path], mapping)
    assert [e.line for e in log.leads["L"]] == [6]
    # the calendar's ends are outside the years 1000 to 8999: bad timestamps, like 31 February
    assert log.stats.rejected == {"bad_timestamp": 3, "missing_timestamp": 1}
