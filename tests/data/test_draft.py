"""`slalang mapping draft`: a starter mapping from an export's headers that validates
against the mapping schema, loads, and lets `data check` read the same files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from slalang.data import load_mapping
from slalang.data.mapping import mapping_schema
from slalang.draft import draft_mapping
from tests.conftest import Writer, invoke

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
HUBSPOT = FIXTURES / "hubspot" / "hubspot-crm-exports-all-contacts-2026-03-20.csv"
SALESFORCE = [FIXTURES / "salesforce" / n for n in ("leads.csv", "lead_history.csv", "tasks.csv")]

POLICY = """\
agreement "Funnel" {
  version "1"
  effective 2026-01-01
  timezone "America/New_York"
  party marketing "Marketing"
  party sales "Sales"
}
events lead_created, mql_marked, sales_accepted, sales_touch, closed_won, converted
field lead_owner: text
field title: text
field company_size: number
stage lead on lead_created
stage mql on mql_marked
stage customer on closed_won
target mqls { owner marketing  monthly: count(entering mql) >= 1 }
"""


def _valid(text: str, tmp_path: Path) -> None:
    """The draft is YAML the published schema accepts and the loader reads."""
    jsonschema.validate(yaml.safe_load(text), mapping_schema())
    published = json.loads((ROOT / "docs" / "schemas" / "mapping.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(text), published)
    path = tmp_path / "drafted.yaml"
    path.write_text(text, encoding="utf-8")
    load_mapping(path)


def test_a_hubspot_export_with_its_preset_and_a_policy(write: Writer, tmp_path: Path) -> None:
    policy = write("funnel.sla", POLICY)
    drafted = tmp_path / "hubspot.yaml"
    result = invoke(
        [
            "mapping",
            "draft",
            str(HUBSPOT),
            "--preset",
            "hubspot",
            "--policy",
            str(policy),
            "-o",
            str(drafted),
        ],
        0,
    )
    assert result.stderr.endswith(f"wrote {drafted}\n")
    text = drafted.read_text(encoding="utf-8")
    _valid(text, tmp_path)
    lines = text.splitlines()
    assert lines[0].startswith("# A starter mapping drafted by `slalang mapping draft` from ")
    assert any("slalang data check" in line for line in lines[:6])
    mapping = load_mapping(drafted)
    assert mapping.columns == {"lead_id": "Record ID"}
    assert mapping.date_columns == {
        "Create Date": "lead_created",
        "Became a Marketing Qualified Lead Date": "mql_marked",
        "Became a Sales Qualified Lead Date": "sales_accepted",
        "Became a Customer Date": "closed_won",
        "Date of first engagement": "sales_touch",
    }
    assert mapping.fields == {
        "Contact owner": "lead_owner",
        "Job Title": "title",
        "Number of Employees": "company_size",
    }
    # the preset's targets this policy lacks stay visible, commented out
    assert '  # "Became a Lead Date": became_lead  # not an event type the policy declares' in lines
    assert '  # "Lifecycle Stage": lifecycle_stage  # not a field the policy declares' in lines
    assert any(line.startswith('  # "Last Activity Date": last_activity') for line in lines)
    assert "# timezone: Area/City  # the times have no UTC offset" in text
    checked = invoke(
        ["data", "check", str(policy), str(HUBSPOT), "--mapping", str(drafted)], 0
    ).stdout
    assert "rejected rows: none" in checked and "no problems found" in checked
    assert "mql_marked: 2" in checked


def test_salesforce_exports_become_one_source_each(write: Writer, tmp_path: Path) -> None:
    policy = write("funnel.sla", POLICY)
    files = [str(p) for p in SALESFORCE]
    text = invoke(
        ["mapping", "draft", *files, "--preset", "salesforce", "--policy", str(policy)], 0
    ).stdout
    _valid(text, tmp_path)
    drafted = tmp_path / "sf.yaml"
    drafted.write_text(text, encoding="utf-8")
    mapping = load_mapping(drafted)
    by_name = {source.name: source for source in mapping.sources}
    assert list(by_name) == ["leads", "lead_history", "tasks"]
    assert by_name["tasks"].columns == {
        "lead_id": "WhoId",
        "timestamp": "CreatedDate",
        "event": "TaskSubtype",
        "event_id": "Id",
    }
    assert by_name["tasks"].events == dict.fromkeys(
        ["Call", "Email", "LinkedIn", "Cadence"], "sales_touch"
    )
    assert by_name["lead_history"].events == {
        "Working - Contacted": "sales_touch",
        "Closed - Converted": "converted",
    }, "`sales_rejected` is not declared: commented out"
    assert by_name["leads"].date_columns == {
        "CreatedDate": "lead_created",
        "ConvertedDate": "converted",
    }
    assert by_name["leads"].files == ("lead.csv*", "leads*"), "the preset's globs"
    assert "`IsConverted`" in text, "a column nothing reads is listed"
    result = invoke(["data", "check", str(policy), *files, "--mapping", str(drafted)], 0)
    assert "no problems found" in result.stdout


def test_without_a_preset_common_names_and_formats_are_recognised(
    write: Writer, tmp_path: Path
) -> None:
    events = write(
        "activity.csv",
        "Lead ID,Event Type,Occurred At,Activity ID,Owner,Mood\n"
        "L1,Form Submitted,03/02/2026 09:15,A1,ana,happy\n"
        "L2,sales_touch,03/14/2026 17:40,A2,bo,\n",
    )
    text = draft_mapping([str(events)])
    _valid(text, tmp_path)
    data = yaml.safe_load(text)
    assert data["columns"] == {
        "lead_id": "Lead ID",
        "event": "Event Type",
        "timestamp": "Occurred At",
        "event_id": "Activity ID",
    }
    assert data["timestamp_format"] == ["%m/%d/%Y %H:%M"]
    assert "fields" not in data, "no policy, no preset: no field is guessed"
    assert "`Owner`, `Mood`" in text
    assert "`Form Submitted`, `sales_touch`" in text, "event values listed for the user"
    assert "Targets (after `:` under date_columns, events and fields) are guesses" in text
    # with a policy, the values and columns it declares (loosely) are mapped
    policy = write(
        "p.sla",
        POLICY.replace("field title: text", "field mood: text").replace(
            "events lead_created", "events form_submitted, lead_created"
        ),
    )
    with_policy = yaml.safe_load(
        invoke(["mapping", "draft", str(events), "--policy", str(policy)], 0).stdout
    )
    assert with_policy["fields"] == {"Mood": "mood"}
    assert with_policy["events"] == {"Form Submitted": "form_submitted"}


def test_a_wide_export_without_a_preset_makes_date_columns(write: Writer, tmp_path: Path) -> None:
    contacts = write(
        "contacts.csv",
        "Contact ID;Created Date;MQL Date;Company Size\n7;02-03-2026;05-03-2026;12\n",
    )
    text = draft_mapping([str(contacts)], fields=["company_size"])
    data = yaml.safe_load(text)
    assert data["columns"] == {"lead_id": "Contact ID"}
    assert data["fields"] == {"Company Size": "company_size"}
    assert "# decimal:" not in text, "12 is no decimal comma"
    european = write("eu.csv", "Contact ID;Created Date;Company Size\n7;02-03-2026;1.250,5\n")
    hinted = draft_mapping([str(european)], fields=["company_size"])
    assert '# decimal: ","  # numbers such as `1.250,5` were seen' in hinted
    assert data["date_columns"] == {"Created Date": "created", "MQL Date": "mql"}
    assert data["timestamp_format"] == ["%d-%m-%Y"]


def test_json_lines_parquet_and_gzip_headers(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    jsonl = tmp_path / "events.jsonl.gz"
    lines = [
        {"lead": "L1", "ts": "2026-03-01T10:00:00Z", "type": "page_view"},
        {"lead": "L2", "ts": "2026-03-01T11:00:00Z", "type": "page_view", "extra": [1]},
    ]
    jsonl.write_bytes(gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode()))
    parquet = tmp_path / "events.parquet"
    pq.write_table(pa.table({"LeadId": ["L1"], "Time": ["2026-03-01T10:00:00Z"]}), parquet)
    text = draft_mapping([str(jsonl), str(parquet)])
    _valid(text, tmp_path)
    data = yaml.safe_load(text)
    first, second = data["sources"]
    assert first["files"] == ["events.jsonl.gz"] and second["files"] == ["events.parquet"]
    assert first["columns"] == {"lead_id": "lead", "event": "type", "timestamp": "ts"}
    assert "`extra`" in text
    assert second["columns"] == {"lead_id": "LeadId"}
    assert second["date_columns"] == {"Time": "time"}


def test_awkward_column_names_round_trip_exactly(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_bytes(
        b'"lead_id","timestamp","event","yes","a: b # c","tab\there","Jos\xe9"\n'
        b"L1,2026-03-01T10:00:00Z,page_view,1,2,3,4\n"
    )
    text = draft_mapping([str(path)], events=["page_view"], fields=["yes", "a: b # c"])
    _valid(text, tmp_path)
    data = yaml.safe_load(text)
    assert data["encoding"] == "cp1252"
    assert data["fields"] == {"yes": "yes", "a: b # c": "a: b # c"}
    assert "`tab\\there`, `José`" in text


def test_bad_input_is_one_line(write: Writer, tmp_path: Path) -> None:
    events = write("e.csv", "lead_id,timestamp,event\n")
    unknown = invoke(["mapping", "draft", str(events), "--preset", "pipedrive"], 2)
    assert unknown.stderr.startswith("error: unknown preset `pipedrive` (presets: ")
    assert unknown.stderr.count("\n") == 1
    missing = invoke(["mapping", "draft", str(tmp_path / "nope.csv")], 2)
    assert missing.stderr.count("\n") == 1 and "nope.csv" in missing.stderr
    empty = invoke(["mapping", "draft", str(write("empty.csv", ""))], 2)
    assert "empty file" in empty.stderr
    device = invoke(["mapping", "draft", "/dev/zero"], 2)
    assert device.stderr.count("\n") == 1
    assert invoke(["mapping", "draft", "-"], 2).stderr.count("\n") == 1


@pytest.mark.parametrize("preset", ["hubspot", "salesforce", "fivetran_hubspot"])
def test_every_preset_drafts_a_loadable_mapping(preset: str, tmp_path: Path) -> None:
    _valid(draft_mapping([str(HUBSPOT), *map(str, SALESFORCE)], preset), tmp_path)


def test_two_headers_for_one_preset_source_get_their_own_file_names(
    write: Writer, tmp_path: Path
) -> None:
    """Two task exports with different columns both match the preset's `task*` globs; the
    draft names each by its file so every file matches exactly one source."""
    first = write(
        "tasks_march.csv", "Id,WhoId,CreatedDate,TaskSubtype\nT1,L1,2026-03-01T10:00:00Z,Call\n"
    )
    second = write(
        "tasks_april.csv",
        "Id,WhoId,CreatedDate,TaskSubtype,OwnerId\nT2,L1,2026-04-01T10:00:00Z,Email,U1\n",
    )
    text = draft_mapping([str(first), str(second)], "salesforce")
    _valid(text, tmp_path)
    sources = yaml.safe_load(text)["sources"]
    assert [s["files"] for s in sources] == [["tasks_march.csv"], ["tasks_april.csv"]]
