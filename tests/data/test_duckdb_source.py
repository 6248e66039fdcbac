"""DuckDB sources in mappings: the same events as a CSV export and as a DuckDB table give the
same report, and a row that cannot be used is counted by reason at its row number in the
query result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from slalang.api import load_policy
from slalang.diagnostics import SlalangError

duckdb = pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "seed_funnel.sla"
SAMPLE = ROOT / "samples" / "seed_funnel"


def _database(path: Path, csv: Path, table: str = "crm_events") -> None:
    with duckdb.connect(str(path)) as connection:
        # typed columns, as a warehouse holds them: instants as timestamps, numbers as numbers
        connection.execute(
            f"create table {table} as select * replace "
            "(cast(timestamp as timestamptz) as timestamp) "
            f"from read_csv('{csv}', all_varchar = true)"
        )
        connection.execute(
            f"alter table {table} alter company_size type double using "
            "try_cast(company_size as double)"
        )


def _report(events: Any, mapping: Path | None = None) -> dict[str, Any]:
    policy = load_policy(POLICY)
    report = policy.evaluate(
        events, mapping=mapping, metrics=SAMPLE / "metrics.csv", as_of="2026-03-31"
    )
    return report.data


def _without_places(report: dict[str, Any]) -> dict[str, Any]:
    """The report less where rejected rows sit (a file's line, a query's row number)."""
    data = dict(report)
    data["input"] = {k: v for k, v in report["input"].items() if not k.endswith("_examples")}
    return data


def test_csv_and_duckdb_table_give_the_same_report(tmp_path: Path) -> None:
    database = tmp_path / "crm.duckdb"
    _database(database, SAMPLE / "events.csv")
    mapping = tmp_path / "warehouse.yaml"
    mapping.write_text(
        "duckdb: crm.duckdb\nquery: select * from crm_events order by lead_id, timestamp\n",
        encoding="utf-8",
    )
    from_csv = _report([str(SAMPLE / "events.csv")])
    from_duckdb = _report([], mapping)
    assert from_duckdb["input"]["events"] > 1000
    assert _without_places(from_duckdb) == _without_places(from_csv)


def test_database_given_as_the_input(tmp_path: Path) -> None:
    database = tmp_path / "crm.duckdb"
    _database(database, SAMPLE / "events.csv")
    mapping = tmp_path / "warehouse.yaml"
    mapping.write_text("query: select * from crm_events\n", encoding="utf-8")
    from_csv = _report([str(SAMPLE / "events.csv")])
    assert _without_places(_report([str(database)], mapping)) == _without_places(from_csv)


def test_unusable_rows_counted_at_their_row_number(tmp_path: Path) -> None:
    mapping = tmp_path / "inline.yaml"
    mapping.write_text(
        "query: >-\n"
        "  select * from (values\n"
        "    ('L1', '2026-01-05T14:00:00Z', 'form_submitted'),\n"
        "    (null, '2026-01-05T14:00:00Z', 'form_submitted'),\n"
        "    ('L2', 'soon', 'form_submitted'),\n"
        "    ('L3', '2026-01-06T09:00:00Z', 'carrier_pigeon')\n"
        "  ) as t(lead_id, timestamp, event)\n",
        encoding="utf-8",
    )
    report = _report([], mapping)
    accounting = report["input"]
    assert accounting["rows"] == 4
    assert accounting["events"] == 1
    assert accounting["rejected"] == {"bad_timestamp": 1, "missing_lead_id": 1}
    assert accounting["unknown_events"] == {"carrier_pigeon": 1}
    places = [(e["file"], e["line"], e["reason"]) for e in accounting["rejected_examples"]]
    assert places == [
        ("duckdb[query]", 2, "missing_lead_id"),
        ("duckdb[query]", 3, "bad_timestamp"),
    ]


def test_a_failing_query_is_one_error_naming_the_key(tmp_path: Path) -> None:
    mapping = tmp_path / "broken.yaml"
    mapping.write_text("query: select * from nowhere\n", encoding="utf-8")
    with pytest.raises(SlalangError, match=r"broken.yaml:1: query: the query failed: "):
        _report([], mapping)


def test_a_source_reads_files_or_a_query(tmp_path: Path) -> None:
    mapping = tmp_path / "sources.yaml"
    mapping.write_text("sources:\n  - name: leads\n    columns: {lead_id: Id}\n", encoding="utf-8")
    with pytest.raises(SlalangError, match=r"sources\[0\]: missing key `files` \(or `query`"):
        _report([], mapping)
