"""Mapping files: schema errors that name the YAML key, and the renames, zone, format and
wide-export date columns they apply to a real export (RUNNER §1)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from slalang.data import Mapping, load_mapping, parse_mapping, read_events
from slalang.data.mapping import mapping_schema
from slalang.diagnostics import SlalangError
from tests.data.util import EVENTS, FIELDS, read, utc

HUBSPOT = """\
columns: {lead_id: "Record ID", timestamp: "Activity date", event: "Activity type"}
timezone: "America/New_York"
timestamp_format: "%m/%d/%Y %H:%M"
events: {"CALL": sales_touch, "EMAIL": sales_touch, "Form submission": form_submitted}
fields: {"Company size": company_size, "Job title": title}
"""


def mapping(tmp_path: Path, text: str) -> Mapping:
    path = tmp_path / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    return load_mapping(path)


def test_a_full_mapping_loads(tmp_path: Path) -> None:
    loaded = mapping(tmp_path, HUBSPOT)
    assert loaded.column("lead_id") == "Record ID"
    assert loaded.column("event_id") == "event_id"
    assert loaded.events["Form submission"] == "form_submitted"
    assert loaded.timezone == "America/New_York"


def test_the_schema_is_draft_2020_12_and_closed() -> None:
    schema = mapping_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns:\n  lead_id: [a, b]\n", "mapping.yaml:2: columns.lead_id: expected a string"),
        ("columns:\n  lead_id: 7\n", "mapping.yaml:2: columns.lead_id: expected a string"),
        (
            "columns:\n  lead: x\n",
            "mapping.yaml:2: columns.lead: unknown key; did you mean `lead_id`?",
        ),
        ("colums: {}\n", "mapping.yaml:1: colums: unknown key; did you mean `columns`?"),
        (
            'events:\n  "Form submission": ""\n',
            'mapping.yaml:2: events."Form submission": must not be empty',
        ),
        ("fields: [a, b]\n", "mapping.yaml:1: fields: expected a mapping of keys to values"),
        ("- columns\n", "mapping.yaml:1: expected a mapping of keys to values"),
        ("", "mapping.yaml: empty mapping file"),
        ("columns: {lead_id: a\n", "mapping.yaml:2: invalid YAML"),
        ("events:\n  CALL: a\n  CALL: b\n", "mapping.yaml:3: invalid YAML: duplicate key `CALL`"),
        (
            "timezone: America/New_Yrok\n",
            "mapping.yaml:1: timezone: unknown time zone `America/New_Yrok`; "
            "did you mean `America/New_York`?",
        ),
        ("timestamp_format: '%Q'\n", "mapping.yaml:1: timestamp_format: `%Q` is not a usable"),
        ("timestamp_format: 'date'\n", "mapping.yaml:1: timestamp_format: `date` has no `%`"),
    ],
)
def test_mapping_errors_name_the_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SlalangError) as caught:
        mapping(tmp_path, text)
    error = str(caught.value).removeprefix(f"{tmp_path}/")
    assert error.startswith(message)
    assert "\n" not in error


def test_keys_stay_as_written(tmp_path: Path) -> None:
    loaded = mapping(tmp_path, "events: {Yes: form_submitted, 1: page_view, null: demo_request}\n")
    assert loaded.events == {"Yes": "form_submitted", "1": "page_view", "null": "demo_request"}


def test_a_missing_mapping_file_is_an_error() -> None:
    with pytest.raises(SlalangError, match=r"nope\.yaml: cannot read the mapping file: no such"):
        load_mapping("nope.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "events: {CALL: sales_tuch}\n",
            "mapping.yaml:1: events.CALL: `sales_tuch` is not a "
            "declared event type; did you mean `sales_touch`?",
        ),
        (
            'fields: {"Company size": compnay_size}\n',
            'mapping.yaml:1: fields."Company size": '
            "`compnay_size` is not a declared field; did you mean `company_size`?",
        ),
        (
            "date_columns: {MQL date: mql}\n",
            'mapping.yaml:1: date_columns."MQL date": `mql` is not a declared event type',
        ),
    ],
)
def test_mapping_targets_must_be_declared_by_the_policy(
    tmp_path: Path, text: str, message: str
) -> None:
    loaded = parse_mapping(text, "mapping.yaml")
    with pytest.raises(SlalangError) as caught:
        read_events([], FIELDS, EVENTS, loaded)
    assert str(caught.value).startswith(message)


def test_an_export_is_read_through_the_mapping(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        "Record ID,Activity date,Activity type,Company size,Job title,company_size\n"
        "101,03/06/2026 17:30,Form submission,250,CMO,999\n"
        "101,03/08/2026 02:30,CALL,,,\n"  # in New York's spring-forward gap
        "101,2026-03-09T12:00:00Z,EMAIL,,,\n"  # ISO-8601 still accepted
        "101,03/09/2026,CALL,,,\n"  # matches neither the format nor ISO-8601
        "102,03/06/2026 09:00,page_view,,,\n",  # a declared type needs no entry
        mapping=parse_mapping(HUBSPOT, "mapping.yaml"),
    )
    first, second, third = log.leads["101"]
    assert (first.type, first.ts) == ("form_submitted", utc("2026-03-06T22:30:00"))
    assert first.fields == {"company_size": 250.0, "title": "CMO"}, "the mapped column wins"
    assert (second.type, second.ts) == ("sales_touch", utc("2026-03-08T07:00:00"))
    assert third.ts == utc("2026-03-09T12:00:00")
    assert log.stats.rejected == {"bad_timestamp": 1}
    assert "matches neither `%m/%d/%Y %H:%M` nor ISO-8601" in log.stats.rejected_examples[0].detail
    assert log.leads["102"][0].ts == utc("2026-03-06T14:00:00")


def test_two_columns_feeding_one_field_is_an_error(tmp_path: Path) -> None:
    loaded = parse_mapping('fields: {"Size": company_size, "Employees": company_size}\n', "m")
    with pytest.raises(SlalangError, match="columns `Size` and `Employees` both feed the field"):
        read(tmp_path, "lead_id,timestamp,event,Size,Employees\n", mapping=loaded)


def test_the_mapping_zone_wins_over_the_timezone_option(tmp_path: Path) -> None:
    rows = "lead_id,timestamp,event\nL1,2026-03-06T09:00:00,page_view\n"
    paris = read(tmp_path, rows, timezone="Europe/Paris")
    assert paris.leads["L1"][0].ts == utc("2026-03-06T08:00:00")
    both = read(tmp_path, rows, timezone="Europe/Paris", mapping=Mapping(timezone="Asia/Tokyo"))
    assert both.leads["L1"][0].ts == utc("2026-03-06T00:00:00")
    with pytest.raises(SlalangError, match="unknown time zone `Mars/Base`"):
        read(tmp_path, rows, timezone="Mars/Base")


WIDE = Mapping(
    columns={"lead_id": "Contact ID", "event_id": "Contact ID"},
    timezone="UTC",
    date_columns={"Create date": "form_submitted", "Became MQL": "mql_marked"},
    fields={"Size": "company_size"},
)


def test_each_date_cell_of_a_wide_row_is_an_event_with_the_row_fields(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        "Contact ID,Create date,Became MQL,Size,Notes\n"
        "C1,2026-03-01 10:00,2026-03-04,300,hi\n"
        "C2,2026-03-02 11:00,,,\n"
        "C3,,,50,\n"  # no date at all
        "C1,2026-03-01 10:00,2026-03-04,300,hi\n",  # the same contact exported twice
        mapping=WIDE,
    )
    created, mql = log.leads["C1"]
    assert (created.type, created.ts) == ("form_submitted", utc("2026-03-01T10:00:00"))
    assert (mql.type, mql.ts) == ("mql_marked", utc("2026-03-04T00:00:00"))
    assert created.fields is mql.fields and mql.fields == {"company_size": 300.0}
    assert created.event_id == "C1#Create date"
    stats = log.stats
    assert stats.rows == 4
    assert (stats.events, stats.expanded, stats.duplicates) == (3, 2, 2)
    assert stats.rejected == {"no_dates": 1}
    assert log.stats.rejected_examples[0].line == 4


def test_a_bad_date_cell_rejects_its_event_and_a_bad_value_none(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        "Contact ID,Create date,Became MQL,Size\n"
        "C1,2026-03-01,soon,300\n"
        "C2,2026-03-01,2026-03-02,big\n"
        ",2026-03-01,,\n"
        "C3,never,soon,\n",
        mapping=WIDE,
    )
    assert log.stats.rejected == {"bad_timestamp": 3, "missing_lead_id": 1}
    assert "`Became MQL`" in log.stats.rejected_examples[0].detail
    assert [e.type for e in log.leads["C1"]] == ["form_submitted"]
    assert log.leads["C1"][0].fields == {"company_size": 300.0}
    assert [e.type for e in log.leads["C2"]] == ["form_submitted", "mql_marked"]
    assert log.leads["C2"][0].fields == {}
    assert log.stats.bad_values == {"company_size": {"bad_number": 1}}
    assert (log.stats.events, log.stats.expanded) == (3, 3)


def test_an_event_row_may_also_carry_date_columns(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        "lead_id,timestamp,event,Create date\n"
        "L1,2026-03-05T10:00:00Z,page_view,2026-03-01\n"
        "L1,2026-03-05T11:00:00Z,webinar,\n"
        "L1,,,2026-03-02\n",
        mapping=Mapping(timezone="UTC", date_columns={"Create date": "form_submitted"}),
    )
    assert [e.type for e in log.leads["L1"]] == ["form_submitted", "form_submitted", "page_view"]
    assert log.stats.unknown_events == {"webinar": 1}
    assert log.stats.expanded == 1


def test_a_wide_export_needs_no_event_or_timestamp_column(tmp_path: Path) -> None:
    with pytest.raises(SlalangError, match="missing column `Contact ID`"):
        read(tmp_path, "Create date\n2026-03-01\n", mapping=WIDE)
    log = read(tmp_path, "Contact ID,Became MQL\nC1,\nC2,\n", mapping=WIDE)
    assert log.stats.rejected == {"no_dates": 2}


def test_date_fields_accept_midnight_instants(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        "lead_id,timestamp,event,signed_on\nL1,2026-03-06T10:00:00Z,page_view,2026-02-01T00:00:00Z\n",
    )
    assert log.leads["L1"][0].fields == {"signed_on": date(2026, 2, 1)}
