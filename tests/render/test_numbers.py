"""One voice for numbers (slalang/numbers.py): the exact words every format uses, and the
same words reaching every format from one report."""

from __future__ import annotations

import csv
import html
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from slalang import numbers as n
from slalang.render.report import render_report

Report = dict[str, Any]

# The acme pipeline report (tests/render/conftest.py): L3's 1-business-day clock, due Friday
# 2026-02-13 at the office's close, never stopped by 2026-03-05 12:00Z; February's
# first_touch compliance 1 of 3 against a 95% target.
MISSED = "not stopped by the deadline: 12 business days late, 19 days 14 hours on the wall clock"
LATE = "stopped 5 business hours late, 21 hours on the wall clock (goal 4 business hours)"
SHARE = "33.3% where the goal is >= 95%"


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (999, "999"), (1599, "1,599"), (1234567, "1,234,567")]
)
def test_counts_have_thousands_separators(value: int, text: str) -> None:
    assert n.count(value) == text


def test_plural_counts_the_noun() -> None:
    assert [n.plural(k, "row") for k in (0, 1, 1599)] == ["0 rows", "1 row", "1,599 rows"]
    assert n.plural(2, "SLA breach", "SLA breaches") == "2 SLA breaches"


@pytest.mark.parametrize(
    ("share", "text"),
    [(0.1, "10%"), (0.9995, "100%"), (0.12345, "12.3%"), (12.5, "1,250%"), (None, n.ABSENT)],
)
def test_percent(share: float | None, text: str) -> None:
    assert n.percent(share) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45, "45 seconds"),
        (60, "1 minute"),
        (76200, "21 hours 10 minutes"),
        (4435860, "51 days 8 hours 11 minutes"),
    ],
)
def test_wall_clock_durations_in_words(seconds: int, text: str) -> None:
    assert n.duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "days", "text"),
    [
        (7800, 0, "2 business hours 10 minutes"),
        (3600, 0, "1 business hour"),
        (30, 0, "30 business seconds"),
        # open time is never folded into 24-hour days: 30 open hours are 30 business hours
        (108000, 0, "30 business hours"),
        (7200, 2, "2 business days 2 hours"),
        (0, 1, "1 business day"),
    ],
)
def test_business_durations_say_business_once_before_the_largest_unit(
    seconds: int, days: int, text: str
) -> None:
    assert n.business_duration(seconds, days) == text


def test_lateness_is_business_first_then_wall_clock() -> None:
    assert n.lateness(76200, (0, 7800)) == (
        "2 business hours 10 minutes late, 21 hours 10 minutes on the wall clock"
    )
    assert n.lateness(10800) == "3 hours late"
    # open all the way: saying it twice would only be noise
    assert n.lateness(4920, (0, 4920)) == "1 business hour 22 minutes late"


def test_messages_in_the_goals_own_unit(acme: Report) -> None:
    messages = {
        v["lead_id"]: v["message"] for v in acme["violations"] if v["kind"] != "target_missed"
    }
    assert messages["L1"] == LATE
    assert messages["L3"] == MISSED + " (goal 1 business day)"
    targets = [v["message"] for v in acme["violations"] if v["kind"] == "target_missed"]
    assert SHARE + " (compliance(first_touch) >= 95%)" in targets
    # counts stay counts, with the goal as computed
    assert (
        "3 where the goal is >= 56.25 (count(entering mql) >= revenue_goal / mql_value)" in targets
    )


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("fmt", ["table", "markdown", "junit", "json", "jsonl", "csv"])
def test_every_format_says_it_in_the_same_words(acme: Report, fmt: str) -> None:
    text = render_report(acme, fmt)
    if fmt == "csv":
        text = " ".join(cell for row in csv.reader(io.StringIO(text)) for cell in row)
    elif fmt == "junit":
        text = " ".join(ET.fromstring(text.encode()).itertext())
    elif fmt == "markdown":
        text = html.unescape(text)
    elif fmt in ("json", "jsonl"):
        text = json.dumps(json.loads(text) if fmt == "json" else text.splitlines())
    for phrase in (MISSED, SHARE):
        assert phrase in _flat(text), (fmt, phrase)
