"""Plan stage: `calendar` blocks → normalised business-hour tables for the calendar engine.

The evaluator builds one `slalang.calendar.Calendar` per entry and never reads the policy's
wording, so the day spans (`mon-fri`), the `HH:MM` times and the time-zone default are all
resolved here.
"""

from __future__ import annotations

from typing import Any

from slalang import ast

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 1440
ALWAYS = "always"


def lower_calendar(
    decl: ast.CalendarDecl, default_timezone: str, source: dict[str, Any]
) -> dict[str, Any]:
    """One calendar: its zone (the agreement's when it names none), weekly ranges per day,
    sorted closed dates and the public-holiday sets it closes on."""
    timezone = default_timezone
    weekly: dict[str, list[list[int]]] = {day: [] for day in DAYS}
    closed: set[str] = set()
    holidays: set[tuple[str, str | None]] = set()
    for item in decl.items:
        match item:
            case ast.Timezone():
                timezone = item.value.value
            case ast.OpenHours():
                ranges = [_minutes(r) for r in item.ranges]
                for span in item.days:
                    for day in _days(span):
                        weekly[day].extend(ranges)
            case ast.ClosedDates():
                closed.update(d.value for d in item.dates)
            case ast.ClosedHolidays():
                sub = item.subdivision.value if item.subdivision else None
                holidays.add((item.country.value, sub))
    return {
        "timezone": timezone,
        "weekly": {day: sorted(ranges) for day, ranges in weekly.items()},
        "closed_dates": sorted(closed),
        "holidays": [
            {"country": country, "subdivision": sub}
            for country, sub in sorted(holidays, key=lambda h: (h[0], h[1] or ""))
        ],
        "source": source,
    }


def always_calendar() -> dict[str, Any]:
    """The built-in `always` calendar: open every minute, UTC (LANGUAGE §5)."""
    return {
        "timezone": "UTC",
        "weekly": {day: [[0, MINUTES_PER_DAY]] for day in DAYS},
        "closed_dates": [],
        "holidays": [],
        "source": None,
    }


def _days(span: ast.DaySpan) -> list[str]:
    """`mon-fri` → mon … fri; a span that wraps the weekend (`fri-mon`) runs through it."""
    first = DAYS.index(span.first.name)
    if span.last is None:
        return [DAYS[first]]
    last = DAYS.index(span.last.name)
    count = (last - first) % len(DAYS) + 1
    return [DAYS[(first + i) % len(DAYS)] for i in range(count)]


def _minutes(rng: ast.TimeRange) -> list[int]:
    """`[start, end)` in local minutes; a range that crosses midnight ends past 1440."""
    start, end = _clock(rng.start), _clock(rng.end)
    if start == end or not 0 <= start < MINUTES_PER_DAY or end > MINUTES_PER_DAY:
        raise AssertionError(f"time range {rng.start}-{rng.end} should have been rejected")
    return [start, end if end > start else end + MINUTES_PER_DAY]


def _clock(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)
