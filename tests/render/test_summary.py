"""How the people-facing formats write numbers: durations, percentages, and which target
rows read as shares (the report keeps `15%` as 0.15 and says nothing of units)."""

from __future__ import annotations

from typing import Any

import pytest

from slalang.numbers import ABSENT, amount, percent
from slalang.numbers import short_duration as duration
from slalang.render.report.summary import TargetCells, is_share, target_cells


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
