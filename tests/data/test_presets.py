"""The shipped export presets (`--mapping hubspot`, `--mapping salesforce`) against fixtures
that reproduce each export's header row and a few rows, and `slalang mappings`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slalang.data import FieldSpec, load_mapping, read_events
from slalang.data.mapping import presets
from slalang.diagnostics import SlalangError
from tests.conftest import invoke
from tests.data.util import assert_books_close, utc

FIXTURES = Path(__file__).parent / "fixtures"
HUBSPOT = FIXTURES / "hubspot" / "hubspot-crm-exports-all-contacts-2026-03-20.csv"
SALESFORCE = [
    FIXTURES / "salesforce" / name for name in ("leads.csv", "lead_history.csv", "tasks.csv")
]

EVENTS = ("lead_created", "mql_marked", "sales_accepted", "sales_touch", "closed_won", "converted")
FIELDS = {
    "lead_owner": FieldSpec("lead_owner", "text"),
    "lead_status": FieldSpec("lead_status", "text"),
    "title": FieldSpec("title", "text"),
    "company_size": FieldSpec("company_size", "number"),
}


def test_hubspot_contacts_become_lifecycle_events_in_the_portal_zone() -> None:
    log = read_events([str(HUBSPOT)], FIELDS, EVENTS, load_mapping("hubspot"), "America/New_York")
    assert_books_close(log.stats)
    ana = log.leads["51"]
    assert [(e.type, e.ts) for e in ana] == [
        ("lead_created", utc("2026-03-02T14:15:00Z")),
        ("mql_marked", utc("2026-03-03T19:02:00Z")),
        ("sales_touch", utc("2026-03-03T20:10:00Z")),
        ("sales_accepted", utc("2026-03-05T15:30:00Z")),
    ]
    assert ana[0].fields == {
        "lead_owner": "Maya Chen",
        "lead_status": "In Progress",
        "title": "VP Sales",
        "company_size": 250.0,
    }
    # 2026-03-08 is New York's spring-forward day: 01:30 is EST, 03:30 already EDT
    chloe = log.leads["53"]
    assert chloe[0].ts == utc("2026-03-08T06:30:00Z")
    assert chloe[1].ts == utc("2026-03-08T07:30:00Z")
    assert chloe[-1].type == "closed_won"
    # the stages this policy does not declare are counted, not refused
    assert log.stats.unknown_events == {"became_lead": 2, "opportunity_created": 2, "subscribed": 1}
    assert log.stats.rejected == {}
    assert "52" in log.leads and log.leads["52"][0].fields == {}


def test_hubspot_without_a_zone_rejects_each_naive_date() -> None:
    log = read_events([str(HUBSPOT)], FIELDS, EVENTS, load_mapping("hubspot"))
    assert log.stats.rejected == {"naive_timestamp": 15}, "each date cell is its own event"
    assert log.stats.timezone_assumed is None


def test_hubspot_without_a_zone_falls_back_to_the_agreement_zone() -> None:
    mapping = load_mapping("hubspot")
    given = read_events([str(HUBSPOT)], FIELDS, EVENTS, mapping, "America/New_York")
    assumed = read_events(
        [str(HUBSPOT)], FIELDS, EVENTS, mapping, default_timezone="America/New_York"
    )
    assert assumed.leads == given.leads
    assert assumed.stats.timezone_assumed == "America/New_York"
    assert given.stats.timezone_assumed is None, "--timezone given: nothing assumed"


def test_salesforce_merges_leads_history_and_tasks() -> None:
    paths = [str(p) for p in SALESFORCE]
    log = read_events(paths, FIELDS, EVENTS, load_mapping("salesforce"), "America/Sao_Paulo")
    assert_books_close(log.stats)
    ana = log.leads["00Q5e00000AbCdEEAV"]
    assert [(e.type, e.ts, Path(e.file).name) for e in ana] == [
        ("lead_created", utc("2026-03-02T14:15:00Z"), "leads.csv"),
        ("sales_touch", utc("2026-03-02T16:35:00Z"), "tasks.csv"),
        ("sales_touch", utc("2026-03-02T16:40:00Z"), "lead_history.csv"),
        ("converted", utc("2026-03-10T03:00:00Z"), "leads.csv"),  # a date: São Paulo midnight
        ("converted", utc("2026-03-10T18:05:00Z"), "lead_history.csv"),
    ]
    assert ana[0].fields["lead_status"] == "Closed - Converted"
    assert log.stats.duplicates == 1  # the history row exported twice
    assert log.stats.unknown_events == {"Task": 1}
    assert log.stats.rejected == {}
    assert log.stats.leads == 3


def test_a_salesforce_file_with_another_name_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "extract.csv"
    other.write_bytes(SALESFORCE[0].read_bytes())
    with pytest.raises(
        SlalangError,
        match=r"extract\.csv: the file name matches no source of "
        r"preset `salesforce`",
    ):
        read_events([str(other)], FIELDS, EVENTS, load_mapping("salesforce"))


def test_presets_are_listed_and_valid() -> None:
    assert sorted(presets()) == [
        "fivetran_hubspot",
        "fivetran_salesforce",
        "hubspot",
        "salesforce",
    ]
    out = invoke(["mappings"], 0).stdout
    assert out.startswith("fivetran_hubspot     HubSpot synced by Fivetran into a warehouse")
    assert "\nhubspot              HubSpot contacts export" in out
    assert "\nsalesforce           Salesforce Lead, LeadHistory and Task exports" in out


def test_evaluate_and_data_check_take_a_preset_name(tmp_path: Path) -> None:
    policy = tmp_path / "p.sla"
    policy.write_text(
        'agreement "P" {\n  version "1"\n  effective 2026-01-01\n  timezone "America/New_York"\n'
        '  party marketing "M"\n  party sales "S"\n}\n'
        "events lead_created, mql_marked, closed_won\nfield lead_owner: text\n"
        "stage lead on lead_created\nstage mql on mql_marked\nstage customer on closed_won\n"
        "target mqls { owner marketing  monthly by lead_owner: count(entering mql) >= 1 }\n",
        encoding="utf-8",
    )
    args = [str(policy), str(HUBSPOT), "--mapping", "hubspot", "--timezone", "America/New_York"]
    out = invoke(["data", "check", *args], 0).stdout
    assert "source (the mapping): 1 file, 3 rows" in out
    assert "`Contact owner` → field `lead_owner`" in out
    report = json.loads(invoke(["evaluate", *args, "--format", "json"], 0).stdout)
    entered = [(s["lead_id"], s["stage"]) for s in report["stages"] if s["kind"] == "entered"]
    assert entered == [
        ("51", "lead"),
        ("51", "mql"),
        ("52", "lead"),
        ("53", "lead"),
        ("53", "mql"),
        ("53", "customer"),
    ]
