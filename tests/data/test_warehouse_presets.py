"""The warehouse presets (`fivetran_hubspot`, `fivetran_salesforce`) against a DuckDB database
shaped like the tables Fivetran's connectors write and the dbt packages dbt_hubspot_source /
dbt_salesforce_source read (table and column names as there; docs/warehouse.md cites them),
built here with a handful of rows whose events are checked one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

from slalang.data import read_events
from slalang.data.mapping import load_mapping
from slalang.data.values import FieldSpec

duckdb = pytest.importorskip("duckdb")

EVENTS = [
    "became_lead",
    "sales_touch",
    "sales_accepted",
    "sales_rejected",
    "converted",
    "lead_created",
    "closed_won",
]
FIELDS = {
    name: FieldSpec(name, kind)  # type: ignore[arg-type]
    for name, kind in [
        ("lead_status", "text"),
        ("lead_owner", "text"),
        ("lifecycle_stage", "text"),
        ("company_size", "number"),
    ]
}

HUBSPOT = """
create schema hubspot;
create table hubspot.contact_property_history (
  _fivetran_synced timestamp, contact_id bigint, name varchar, source varchar,
  source_id varchar, "timestamp" timestamp, value varchar);
create table hubspot.engagement (
  _fivetran_synced timestamp, active boolean, activity_type varchar, created_at timestamp,
  id bigint, last_updated timestamp, owner_id bigint, portal_id bigint,
  "timestamp" timestamp, type varchar);
create table hubspot.engagement_contact (
  _fivetran_synced timestamp, contact_id bigint, engagement_id bigint);
create table hubspot.owner (
  _fivetran_synced timestamp, created_at timestamp, email varchar, first_name varchar,
  last_name varchar, owner_id bigint, portal_id bigint, type varchar, updated_at timestamp);
insert into hubspot.contact_property_history (contact_id, name, "timestamp", value) values
  (101, 'lifecyclestage', '2026-03-02 09:00:00', 'lead'),
  (101, 'lifecyclestage', '2026-03-03 10:00:00', 'marketingqualifiedlead'),
  (101, 'hs_lead_status', '2026-03-03 11:00:00', 'ATTEMPTED_TO_CONTACT'),
  (101, 'hubspot_owner_id', '2026-03-03 10:30:00', '7'),
  (102, 'hs_lead_status', '2026-03-04 08:00:00', 'UNQUALIFIED'),
  (102, 'firstname', '2026-03-04 08:00:00', 'Ada');
insert into hubspot.owner (owner_id, email) values (7, 'rep@example.com');
insert into hubspot.engagement (id, type, "timestamp", owner_id) values
  (900, 'CALL', '2026-03-03 12:00:00', 7),
  (901, 'NOTE', '2026-03-03 12:30:00', 7);
insert into hubspot.engagement_contact (engagement_id, contact_id) values (900, 101), (901, 101);
"""

SALESFORCE = """
create schema salesforce;
create table salesforce.lead (
  _fivetran_active boolean, _fivetran_start timestamp, _fivetran_end timestamp,
  id varchar, created_date timestamp, converted_date date, status varchar, owner_id varchar,
  lead_source varchar, email varchar, first_name varchar, last_name varchar, title varchar,
  company varchar, number_of_employees integer, industry varchar, country varchar,
  is_deleted boolean);
create table salesforce.task (
  id varchar, who_id varchar, created_date timestamp, task_subtype varchar,
  owner_id varchar, is_deleted boolean);
create table salesforce."user" (id varchar, email varchar, name varchar);
insert into salesforce."user" values ('005A', 'sdr@example.com', 'Sam');
insert into salesforce.lead
  (_fivetran_active, _fivetran_start, id, created_date, converted_date, status, owner_id,
   number_of_employees, is_deleted) values
  (false, '2026-03-02 09:00:00', '00QA', '2026-03-02 09:00:00', null, 'Open', '005A', 40, false),
  (false, '2026-03-02 15:00:00', '00QA', '2026-03-02 09:00:00', null,
   'Working - Contacted', '005A', 40, false),
  (true, '2026-03-05 10:00:00', '00QA', '2026-03-02 09:00:00', '2026-03-05',
   'Closed - Converted', '005A', 45, false),
  (true, '2026-03-01 08:00:00', '00QB', '2026-03-01 08:00:00', null, 'Open', null, null, true);
insert into salesforce.task values
  ('00TA', '00QA', '2026-03-02 14:00:00', 'Call', '005A', false),
  ('00TB', '003C', '2026-03-02 14:30:00', 'Email', '005A', false),
  ('00TC', '00QA', '2026-03-02 16:00:00', 'Task', '005A', false);
"""


def _read(tmp_path: Path, script: str, preset: str) -> object:
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute(script)
    return read_events(
        [str(database)], FIELDS, EVENTS, mapping=load_mapping(preset), timezone="UTC"
    )


def _timeline(log: object, lead: str) -> list[tuple[str, str, dict[str, object]]]:
    from slalang.evaluate.model import iso

    return [(iso(e.ts), e.type, dict(e.fields)) for e in log.leads[lead]]  # type: ignore[attr-defined]


def test_fivetran_hubspot(tmp_path: Path) -> None:
    log = _read(tmp_path, HUBSPOT, "fivetran_hubspot")
    assert _timeline(log, "101") == [
        ("2026-03-02T09:00:00Z", "became_lead", {"lifecycle_stage": "lead"}),
        ("2026-03-03T11:00:00Z", "sales_touch", {"lead_status": "ATTEMPTED_TO_CONTACT"}),
        ("2026-03-03T12:00:00Z", "sales_touch", {"lead_owner": "rep@example.com"}),
    ]
    assert _timeline(log, "102") == [
        ("2026-03-04T08:00:00Z", "sales_rejected", {"lead_status": "UNQUALIFIED"}),
    ]
    stats = log.stats  # type: ignore[attr-defined]
    assert stats.unknown_events == {"NOTE": 1, "marketingqualifiedlead": 1, "owner_assigned": 1}
    assert stats.rows == 7 and not stats.rejected


def test_fivetran_salesforce(tmp_path: Path) -> None:
    log = _read(tmp_path, SALESFORCE, "fivetran_salesforce")
    owner = {"lead_owner": "sdr@example.com"}
    assert _timeline(log, "00QA") == [
        (
            "2026-03-02T09:00:00Z",
            "lead_created",
            {**owner, "lead_status": "Closed - Converted", "company_size": 45.0},
        ),
        ("2026-03-02T14:00:00Z", "sales_touch", owner),
        ("2026-03-02T15:00:00Z", "sales_touch", {"lead_status": "Working - Contacted"}),
        (
            "2026-03-05T00:00:00Z",
            "converted",
            {**owner, "lead_status": "Closed - Converted", "company_size": 45.0},
        ),
        ("2026-03-05T10:00:00Z", "converted", {"lead_status": "Closed - Converted"}),
    ]
    assert set(log.leads) == {"00QA"}  # type: ignore[attr-defined]
    assert log.stats.unknown_events == {"Task": 1}  # type: ignore[attr-defined]
