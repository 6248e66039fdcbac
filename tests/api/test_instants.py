"""Instants and periods as typed on the command line (RUNNER §6.3), read in the
agreement's zone; the wall clock only when asked for."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from slalang.instants import parse_instant, parse_period
from tests.conftest import POLICIES, REPO, invoke

CHICAGO = "America/Chicago"
POLICY = str(POLICIES / "seed_funnel.sla")  # timezone "America/Chicago"
EVENTS = str(REPO / "samples" / "seed_funnel" / "events.csv")
METRICS = str(REPO / "samples" / "seed_funnel" / "metrics.csv")


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def clock_at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "role", "expected"),
    [
        ("2026-03-01T09:00:00Z", "as-of", "2026-03-01T09:00:00+00:00"),
        ("2026-03-01T09:00:00+01:00", "from", "2026-03-01T08:00:00+00:00"),
        ("2026-03-01T09:00", "as-of", "2026-03-01T15:00:00+00:00"),  # CST is UTC-6
        ("2026-03-01 09:00:30", "to", "2026-03-01T15:00:30+00:00"),
        ("2026-03-01", "from", "2026-03-01T06:00:00+00:00"),  # the day's first instant
        ("2026-03-01", "to", "2026-03-02T06:00:00+00:00"),  # ... and the next day's
        ("2026-03-01", "as-of", "2026-03-02T06:00:00+00:00"),
        ("2026-03-08", "to", "2026-03-09T05:00:00+00:00"),  # DST began on the 8th: CDT
    ],
)
def test_instants_in_the_agreements_zone(text: str, role: str, expected: str) -> None:
    assert parse_instant(text, CHICAGO, role) == utc(expected)  # type: ignore[arg-type]


def test_now_reads_the_clock_only_when_asked() -> None:
    at = clock_at("2026-05-04T03:02:01+00:00")
    assert parse_instant("now", CHICAGO, clock=lambda: at) == utc("2026-05-04T03:02:01+00:00")
    assert parse_instant("NOW", None, clock=lambda: at) == utc("2026-05-04T03:02:01+00:00")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tomorrow", "`tomorrow` is not a date or an instant (e.g. 2026-03-01"),
        ("2026-02-30", "`2026-02-30` is not a calendar date"),
        ("2026-02-01T24:30", "`2026-02-01T24:30` is not a valid date and time"),
        ("01/02/2026", "is not a date or an instant"),
    ],
)
def test_bad_instant_messages(text: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_instant(text, CHICAGO)
    assert message in str(caught.value)
    assert "isoformat" not in str(caught.value)


def test_a_local_instant_needs_a_zone() -> None:
    with pytest.raises(ValueError, match="agreement names none; add `Z` or an offset"):
        parse_instant("2026-03-01", None)
    assert parse_instant("2026-03-01T00:00:00Z", None) == utc("2026-03-01T00:00:00+00:00")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", "2026-01-01T06:00:00+00:00", "2027-01-01T06:00:00+00:00"),
        ("2026-03", "2026-03-01T06:00:00+00:00", "2026-04-01T05:00:00+00:00"),
        ("2026-12", "2026-12-01T06:00:00+00:00", "2027-01-01T06:00:00+00:00"),
        ("2026-Q1", "2026-01-01T06:00:00+00:00", "2026-04-01T05:00:00+00:00"),
        ("2026-q4", "2026-10-01T05:00:00+00:00", "2027-01-01T06:00:00+00:00"),
        ("2026-W10", "2026-03-02T06:00:00+00:00", "2026-03-09T05:00:00+00:00"),
        ("2026-W01", "2025-12-29T06:00:00+00:00", "2026-01-05T06:00:00+00:00"),
    ],
)
def test_calendar_periods(text: str, start: str, end: str) -> None:
    assert parse_period(text, CHICAGO) == (utc(start), utc(end))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("this-month", "2026-01-01", "2026-02-01"),
        ("last-month", "2025-12-01", "2026-01-01"),
        ("this-quarter", "2026-01-01", "2026-04-01"),
        ("last-quarter", "2025-10-01", "2026-01-01"),
        ("this-week", "2026-01-12", "2026-01-19"),
        ("last-week", "2026-01-05", "2026-01-12"),
        ("this-year", "2026-01-01", "2027-01-01"),
        ("Last-Year", "2025-01-01", "2026-01-01"),
    ],
)
def test_relative_periods_are_read_in_the_agreements_zone(text: str, start: str, end: str) -> None:
    # 03:00 UTC on Thursday 15 January is still Wednesday the 14th in Chicago
    at = clock_at("2026-01-15T03:00:00+00:00")
    midnight = {d: parse_instant(d, CHICAGO, "from") for d in (start, end)}
    assert parse_period(text, CHICAGO, lambda: at) == (midnight[start], midnight[end])


def test_last_month_in_january_and_last_quarter_in_the_first() -> None:
    at = clock_at("2026-02-10T12:00:00+00:00")
    assert parse_period("last-quarter", CHICAGO, lambda: at)[0] == parse_instant(
        "2025-10-01", CHICAGO, "from"
    )


def test_period_on_the_command_line_sets_from_to_and_as_of() -> None:
    def report(*args: str) -> dict:  # type: ignore[type-arg]
        result = invoke(
            ["evaluate", POLICY, EVENTS, "--metrics", METRICS, "--format", "json", *args], 1
        )
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    by_period = report("--period", "2026-02")
    by_bounds = report("--from", "2026-02-01", "--to", "2026-02-28", "--as-of", "2026-02-28")
    assert by_period == by_bounds
    # as_of is the period's end (midnight 1 March in Chicago), earlier than now
    assert by_period["as_of"] == "2026-03-01T06:00:00Z"
    assert by_period["input"]["after_as_of"] > 0
    explicit = report("--period", "2026-02", "--as-of", "2026-02-15")
    assert explicit["as_of"] == "2026-02-16T06:00:00Z"


def test_as_of_now_is_accepted() -> None:
    result = invoke(["evaluate", POLICY, EVENTS, "--metrics", METRICS, "--as-of", "now"], 1)
    assert "isoformat" not in result.stderr
    now = datetime.now(UTC).replace(microsecond=0)
    report = json.loads(
        invoke(
            [
                "evaluate",
                POLICY,
                EVENTS,
                "--metrics",
                METRICS,
                "--as-of",
                "now",
                "--format",
                "json",
            ],
            1,
        ).stdout
    )
    assert datetime.fromisoformat(report["as_of"]) >= now
