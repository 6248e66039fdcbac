"""Header matching (issue 9 item 3): a column a mapping names, or a canonical or field
column's own name when there is no mapping, is found exactly, else with case, spaces, `_`
and `-` set aside; never by a synonym. Two columns matching one name loosely are a one-line
error naming both; the columns taken loosely are said once on stderr."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from slalang.data import Mapping, input_warnings, read_events
from slalang.data.headers import Header, loose, loose_keys
from slalang.diagnostics import SlalangError
from tests.conftest import Writer, invoke
from tests.data.util import EVENTS, FIELDS, read

ROOT = Path(__file__).resolve().parents[2]


def test_a_name_loses_case_spaces_underscores_and_hyphens_only() -> None:
    assert loose("Lead ID") == loose("lead_id") == loose("LeadId") == loose("lead-id") == "leadid"
    assert loose(" Time\tStamp ") == "timestamp"
    assert loose("Event Type") != loose("event"), "no synonyms"
    assert loose("Country/Region") == "country/region", "other punctuation stays"


def test_an_exact_cell_wins_and_a_loose_one_is_remembered() -> None:
    header = Header(["Lead ID", "lead_id", "Time Stamp", "x"], "e.csv")
    assert header.find("lead_id") == 1
    assert header.find("timestamp") == 2
    assert header.find("event") == -1
    assert header.find("") == -1
    assert header.loosely == {"timestamp": "Time Stamp"}


def test_two_cells_matching_loosely_are_an_error_naming_both() -> None:
    header = Header(["Lead ID", "LEAD-ID", "timestamp"], "e.csv")
    with pytest.raises(SlalangError) as error:
        header.find("lead_id")
    assert str(error.value) == (
        "e.csv: the columns `Lead ID` and `LEAD-ID` both match `lead_id` once case, spaces, "
        "`_` and `-` are set aside; name the one to read exactly in the mapping"
    )
    assert header.find("timestamp") == 2, "an exact cell is never ambiguous"


def test_a_csv_without_a_mapping_reads_respelt_canonical_and_field_columns(
    tmp_path: Path,
) -> None:
    log = read(
        tmp_path,
        "Lead ID,Time-Stamp,EVENT,Event_ID,Company Size,Opted In\n"
        'L1,2026-03-01T10:00:00Z,page_view,E1,"1,200",yes\n'
        "L1,2026-03-01T11:00:00Z,page_view,E1,7,no\n",
    )
    (event,) = log.leads["L1"]
    assert event.fields == {"company_size": 1200.0, "opted_in": True}
    assert log.stats.duplicates == 1, "the event id column was found too"
    assert log.stats.loose_columns == {
        ("lead_id", "Lead ID"): str(tmp_path / "events.csv"),
        ("timestamp", "Time-Stamp"): str(tmp_path / "events.csv"),
        ("event", "EVENT"): str(tmp_path / "events.csv"),
        ("event_id", "Event_ID"): str(tmp_path / "events.csv"),
        ("company_size", "Company Size"): str(tmp_path / "events.csv"),
        ("opted_in", "Opted In"): str(tmp_path / "events.csv"),
    }


def test_a_mapping_names_columns_in_another_spelling(tmp_path: Path) -> None:
    mapping = Mapping(
        columns={"lead_id": "Record ID", "timestamp": "Activity Date", "event": "Activity type"},
        fields={"Job Title": "title"},
        date_columns={"Became an MQL": "mql_marked"},
    )
    log = read(
        tmp_path,
        "record_id,activity_date,ACTIVITY TYPE,job-title,became_an_mql\n"
        "7,2026-03-01T10:00:00Z,page_view,CTO,2026-03-02T10:00:00Z\n",
        mapping=mapping,
    )
    assert [(e.type, dict(e.fields)) for e in log.leads["7"]] == [
        ("page_view", {"title": "CTO"}),
        ("mql_marked", {"title": "CTO"}),
    ]
    assert [name for name, _ in log.stats.loose_columns] == [
        "Record ID",
        "Activity Date",
        "Activity type",
        "Became an MQL",
        "Job Title",
    ]


def test_the_mapping_rename_still_wins_over_a_loose_same_named_column(tmp_path: Path) -> None:
    """`Title` loosely is the field `title`'s own name, but the mapping feeds `title` from
    `Job Title`: the rename wins, as it does over an exact same-named column."""
    log = read(
        tmp_path,
        "lead_id,timestamp,event,Title,Job Title\nL1,2026-03-01T10:00:00Z,page_view,Mr,CTO\n",
        mapping=Mapping(fields={"Job Title": "title"}),
    )
    assert log.leads["L1"][0].fields == {"title": "CTO"}
    assert log.stats.loose_columns == {}, "the loose `Title` was not read"


def test_no_synonyms_a_respelt_but_different_name_is_still_missing(tmp_path: Path) -> None:
    with pytest.raises(SlalangError) as error:
        read(tmp_path, "Lead ID,Timestamp,Event Type\nL1,2026-03-01T10:00:00Z,page_view\n")
    assert "missing column `event`" in str(error.value)


def test_json_lines_keys_match_loosely_per_object_shape(tmp_path: Path) -> None:
    lines = [
        {"Lead ID": "L1", "Timestamp": "2026-03-01T10:00:00Z", "Event": "page_view"},
        {"lead_id": "L2", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view", "Title": "VP"},
        {"Lead ID": "L3", "Timestamp": "2026-03-01T11:00:00Z", "Event": "page_view"},
    ]
    log = read(tmp_path, "".join(json.dumps(line) + "\n" for line in lines), "events.jsonl")
    assert sorted(log.leads) == ["L1", "L2", "L3"]
    assert log.leads["L2"][0].fields == {"title": "VP"}
    assert [name for name, _ in log.stats.loose_columns] == [
        "lead_id",
        "timestamp",
        "event",
        "title",
    ]


def test_json_lines_two_keys_matching_one_name_name_the_line(tmp_path: Path) -> None:
    text = (
        '{"lead_id": "L1", "timestamp": "2026-03-01T10:00:00Z", "event": "page_view"}\n'
        '{"Lead ID": "L1", "LEAD_ID": "L2", "timestamp": "2026-03-01T10:00:00Z", "event": "x"}\n'
    )
    with pytest.raises(SlalangError) as error:
        read(tmp_path, text, "events.jsonl")
    assert str(error.value).startswith(
        f"{tmp_path / 'events.jsonl'}:2: the columns `Lead ID` and `LEAD_ID` both match `lead_id`"
    )


def test_json_lines_required_keys_found_loosely_are_not_absent(tmp_path: Path) -> None:
    assert loose_keys(["lead_id", "event"], ["Lead Id", "Event"], "x") == (
        ["Lead Id", "Event"],
        [("lead_id", "Lead Id"), ("event", "Event")],
    )
    log = read(
        tmp_path,
        '{"LeadID": "L1", "TimeStamp": "2026-03-01T10:00:00Z", "EVENT": "page_view"}\n',
        "events.jsonl",
    )
    assert log.stats.events == 1


def test_standard_input_and_several_files_say_each_loose_column_once(tmp_path: Path) -> None:
    second = tmp_path / "b.csv"
    second.write_text("lead id,timestamp,event\nL2,2026-03-01T10:00:00Z,page_view\n")
    log = read_events(
        ["-", str(second)],
        FIELDS,
        EVENTS,
        stdin=io.BytesIO(b"Lead ID,timestamp,event\nL1,2026-03-01T10:00:00Z,page_view\n"),
    )
    (message,) = [m for m in input_warnings(log.stats) if "loose" in m]
    assert message == (
        "columns read by a loose match of their names (case, spaces, `_` and `-` set aside): "
        f"`Lead ID` as `lead_id` (<stdin>), `lead id` as `lead_id` ({second}); name them "
        "exactly in the mapping if that is not what you meant"
    )


def test_evaluate_says_the_loose_columns_once_on_stderr(write: Writer) -> None:
    sample = (ROOT / "samples" / "seed_funnel" / "events.csv").read_text(encoding="utf-8")
    head, rest = sample.split("\n", 1)
    respelt = head.replace("lead_id", "Lead ID").replace("company_size", "Company Size")
    events = write("events.csv", f"{respelt}\n{rest}")
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    metrics = str(ROOT / "samples" / "seed_funnel" / "metrics.csv")
    args = ["evaluate", policy, "--metrics", metrics, "--format", "json", "--fail-on", "never"]
    loose_run = invoke([*args, str(events)], 0)
    exact_run = invoke([*args, str(ROOT / "samples" / "seed_funnel" / "events.csv")], 0)
    said = [line for line in loose_run.stderr.splitlines() if "loose match" in line]
    assert said == [
        "warning: columns read by a loose match of their names (case, spaces, `_` and `-` set "
        f"aside): `Lead ID` as `lead_id` ({events}), `Company Size` as `company_size` "
        f"({events}); name them exactly in the mapping if that is not what you meant"
    ]
    assert "loose match" not in exact_run.stderr
    assert json.loads(loose_run.stdout)["clocks"] == json.loads(exact_run.stdout)["clocks"]


def test_a_duckdb_query_result_matches_its_columns_loosely(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "query: >-\n"
        "  select 'L1' as \"Lead ID\", timestamptz '2026-03-01 10:00:00+00' as \"Time Stamp\",\n"
        '  \'page_view\' as "EVENT", 12.0 as "company-size"\n',
        encoding="utf-8",
    )
    from slalang.data import load_mapping

    log = read_events([], FIELDS, EVENTS, load_mapping(mapping))
    assert log.leads["L1"][0].fields == {"company_size": 12.0}
    assert len(log.stats.loose_columns) == 4
