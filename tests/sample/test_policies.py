"""Every example policy gets a sample that only uses what it declares, typed as declared,
inside the window, with metrics for every declared metric and every month."""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from slalang.sample import UNKNOWN_EVENTS, write_sample
from tests.sample.helpers import POLICIES, START, epoch, plan_of, rows_of, typed

ALL = sorted(str(p.relative_to(POLICIES)) for p in POLICIES.rglob("*.sla"))
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")


def test_every_example_policy_is_covered() -> None:
    assert {"seed_funnel.sla", "acme.sla", "plg_partner.sla", "regions/global.sla"} <= set(ALL)


@pytest.mark.parametrize("policy", ALL)
def test_only_declared_events_but_a_few_deliberate_unknown_ones(policy: str) -> None:
    plan = plan_of(policy)
    rows = rows_of(policy)
    if not plan["events"]:
        assert rows == (), "a policy without events has nothing to log"
        return
    kinds = {r["event"] for r in rows}
    unknown = [r["event"] for r in rows if r["event"] not in plan["events"]]
    assert set(unknown) <= set(UNKNOWN_EVENTS) - set(plan["events"])
    assert len(unknown) < 0.01 * len(rows)
    assert len(kinds & set(plan["events"])) >= 0.7 * len(plan["events"]), "most types appear"


@pytest.mark.parametrize("policy", ALL)
def test_field_values_parse_as_their_declared_type(policy: str) -> None:
    plan = plan_of(policy)
    seen: set[str] = set()
    for row in rows_of(policy, leads=2_000, months=6):
        assert set(row) == {"lead_id", "timestamp", "event", "event_id", *plan["fields"]}
        for name, spec in plan["fields"].items():
            if not row[name]:
                continue
            seen.add(name)
            value = typed(plan, name, row[name])  # raises on a bad number, bool or date
            if spec["type"] == "one_of":
                assert value in spec["options"], (name, value)
            if spec["type"] == "number":
                assert value >= 0, (name, value)
    assert seen == set(plan["fields"]), "every declared field gets values in a larger run"


@pytest.mark.parametrize("policy", ALL)
def test_timestamps_are_iso_z_and_inside_the_window(policy: str) -> None:
    plan = plan_of(policy)
    zone = ZoneInfo(plan["policy"]["timezone"])
    begin = int(datetime(2026, 1, 5, tzinfo=zone).timestamp())
    end = int(datetime(2026, 4, 5, tzinfo=zone).timestamp())
    for row in rows_of(policy):
        assert ISO_Z.match(row["timestamp"]), row["timestamp"]
        assert begin <= epoch(row["timestamp"]) < end


@pytest.mark.parametrize("policy", ALL)
def test_metrics_cover_every_declared_metric_and_month(policy: str, tmp_path: Path) -> None:
    plan = plan_of(policy)
    metrics = tmp_path / "metrics.csv"
    write_sample(plan, tmp_path / "e.csv", metrics, leads=50, seed=2, start=START, months=3)
    rows = list(csv.reader(metrics.open()))
    assert rows[0] == ["metric", "period", "value"]
    months = ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert [(m, p) for m, p, _ in rows[1:]] == [(m, p) for m in plan["metrics"] for p in months]
    assert all(int(v) > 0 for _, _, v in rows[1:])


def test_a_window_ending_mid_month_keeps_its_day() -> None:
    """Three months from 31 January end at the end of 30 April, not in May."""
    plan = plan_of("acme.sla")
    zone = ZoneInfo(plan["policy"]["timezone"])
    last = max(epoch(r["timestamp"]) for r in rows_of("acme.sla", 300, 4, 3))
    assert datetime.fromtimestamp(last, zone).date() < date(2026, 4, 5)
