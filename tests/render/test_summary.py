"""How the people-facing formats write numbers: durations, percentages, and which target
rows read as shares (the report keeps `15%` as 0.15 and says nothing of units)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from slalang.numbers import ABSENT, amount, percent
from slalang.numbers import short_duration as duration
from slalang.render.report.summary import (
    KINDS,
    NO_OWNER,
    TargetCells,
    is_share,
    owner_totals,
    target_cells,
    worst,
)


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.666667, "66.7%"), (0.95, "95%"), (1, "100%"), (0.003, "0.3%"), (0, "0%")],
)
def test_percent(share: float, text: str) -> None:
    assert percent(share) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(3, "3"), (56.25, "56.25"), (8.135036, "8.14"), (150000, "150,000"), (-3, "-3"), (0, "0")],
)
def test_amount(value: float, text: str) -> None:
    assert amount(value) == text


def test_duration_in_human_units() -> None:
    assert [duration(s) for s in (45, 3300, 11400, 187200, None)] == [
        "45s",
        "55m",
        "3h 10m",
        "2d 4h",
        ABSENT,
    ]


def _row(value: float | None, goal: float | None, pace: float | None = None) -> dict[str, Any]:
    return {"value": value, "goal": goal, "op": ">=", "pace": pace}


@pytest.mark.parametrize(
    ("value", "goal", "share"),
    [
        (0.153, 0.15, True),  # a rate
        (1, 0.95, True),  # compliance, all met
        (None, 0.1, True),  # no data yet
        (48, 56.25, False),  # a count
        (3, 0.5, False),  # a count against a fractional goal is still a count
        (1, 1, False),  # a goal of 100% cannot be told from a count of 1
        (0, 0, False),
    ],
)
def test_which_targets_read_as_shares(value: float | None, goal: float, share: bool) -> None:
    assert is_share(_row(value, goal)) is share


def test_target_cells_write_the_goal_with_its_operator_and_pace_only_when_known() -> None:
    assert target_cells(_row(0.153, 0.15)) == TargetCells("15.3%", ">= 15%", "")
    assert target_cells(_row(3, 56.25, 8.136)) == TargetCells("3", ">= 56.25", "8.14")
    assert target_cells(_row(None, None)) == TargetCells(ABSENT, ABSENT, "")


def _violation(kind: str, late: int | None, owner: str | None, severity: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "details": {"late_by_seconds": late} if late is not None else {},
        "owner": owner,
        "severity": severity,
    }


def test_worst_keeps_the_full_sort_order_ties_in_report_order_reading_once() -> None:
    """`worst` holds only the `limit` it keeps (`nsmallest`) and gives what the whole sort
    gave: kind, then latest first, ties (many here) in the order the report lists them."""
    rng = random.Random(3)
    kinds = [*KINDS, "other"]
    violations = [
        _violation(rng.choice(kinds), rng.choice([None, 0, 60, 3600]), None, "error")
        for _ in range(300)
    ]
    rank = {kind: index for index, kind in enumerate(KINDS)}

    def key(item: tuple[int, dict[str, Any]]) -> tuple[int, int, int]:
        position, v = item
        late = (v["details"].get("late_by_seconds") or 0) if v["kind"] == "sla_breach" else 0
        return (rank.get(v["kind"], len(KINDS)), -late, position)

    whole = [v for _, v in sorted(enumerate(violations), key=key)]
    for limit in (-1, 0, 1, 7, 300, 400):
        shown = worst(iter(violations), limit)  # one pass over an iterator, as it is read
        assert [id(v) for v in shown] == [id(v) for v in whole[: max(0, limit)]]


def test_owner_totals_count_kinds_and_severities_most_first() -> None:
    violations = [
        _violation("sla_breach", 60, "sales", "error"),
        _violation("target_missed", None, None, "warning"),
        _violation("handoff_incomplete", None, "sales", "warning"),
        _violation("sla_breach", 5, "marketing", "error"),
        _violation("target_missed", None, "marketing", "info"),
    ]
    totals = owner_totals(iter(violations))
    assert [(t.owner, t.total) for t in totals] == [("marketing", 2), ("sales", 2), (NO_OWNER, 1)]
    sales = totals[1]
    assert sales.kinds == {"sla_breach": 1, "handoff_incomplete": 1}
    assert sales.severities == {"error": 1, "warning": 1}
