"""Instants and periods as people type them on the command line (RUNNER §6.3).

`--as-of`, `--from` and `--to` take an ISO instant with an offset (`2026-03-01T09:00Z`),
a local date-time or a bare date (both read in the agreement's zone), or `now`. A bare
date stands for a whole day: its first instant for `--from`, the first instant of the next
day for `--to` and `--as-of`, so `--to 2026-03-31` includes the 31st. `--period` names a
calendar period (`2026-03`, `2026-Q1`, `2026-W10`, `2026`) or one relative to today
(`this-month`, `last-quarter`, …) and stands for its bounds.

The wall clock is read only when the text asks for it (`now`, a relative period), so the
same command on the same data gives the same report on any day otherwise. Every problem is
a `ValueError` in the project's words, never Python's ("Invalid isoformat string").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Role = Literal["from", "to", "as-of"]
Clock = Callable[[], datetime]

EXAMPLES = "e.g. 2026-03-01, 2026-03-01T09:00, 2026-03-01T09:00:00Z or now"
PERIOD_EXAMPLES = (
    "e.g. 2026-03, 2026-Q1, 2026-W10, 2026, this-month, last-month, this-quarter, "
    "last-quarter, this-week, last-week, this-year or last-year"
)


def wall_clock() -> datetime:
    """The current instant; the one place the wall clock is read (tests replace it)."""
    return datetime.now(UTC)


def _zone(name: str | None, text: str) -> ZoneInfo:
    if name is None:
        raise ValueError(
            f"`{text}` has no time zone and the agreement names none; add `Z` or an offset "
            "(e.g. 2026-03-01T09:00:00Z)"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone `{name}`") from None


def _seconds(moment: datetime) -> int:
    """Unix seconds of an instant in the years slalang computes with (a deadline or the
    period after it must still be a date), else a ValueError saying so."""
    from slalang.data.values import FIRST_YEAR, LAST_YEAR, OutOfRangeError, check_range

    try:
        return check_range(int(moment.timestamp()))
    except (OutOfRangeError, OverflowError, ValueError):
        raise ValueError(
            f"`{moment.isoformat()}` is outside the years {FIRST_YEAR} to {LAST_YEAR}"
        ) from None


def _local_midnight(day: date, zone: ZoneInfo) -> int:
    return _seconds(datetime.combine(day, time(), tzinfo=zone))


def parse_instant(
    text: str, zone: str | None, role: Role = "as-of", clock: Clock | None = None
) -> int:
    """TEXT as Unix seconds. ZONE (IANA name; the agreement's) reads local date-times and
    bare dates; ROLE says which end of a day a bare date stands for."""
    raw = text.strip()
    if raw.lower() == "now":
        return _seconds((clock or wall_clock)())
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"`{text}` is not a calendar date") from None
        if role != "from":
            day += timedelta(days=1)
        return _local_midnight(day, _zone(zone, text))
    if not re.fullmatch(
        r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", raw
    ):
        raise ValueError(f"`{text}` is not a date or an instant ({EXAMPLES})")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"`{text}` is not a valid date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(zone, text))
    return _seconds(moment)


def _month_start(year: int, month: int) -> date:
    year += (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def _calendar_period(raw: str) -> tuple[date, date] | None:
    """The first day of a named period and the first day after it, or None."""
    if m := re.fullmatch(r"(\d{4})", raw):
        year = int(m[1])
        return date(year, 1, 1), date(year + 1, 1, 1)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", raw):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(f"`{raw}`: there is no month {month}")
        return _month_start(year, month), _month_start(year, month + 1)
    if m := re.fullmatch(r"(\d{4})-[Qq](\d)", raw):
        year, quarter = int(m[1]), int(m[2])
        if not 1 <= quarter <= 4:
            raise ValueError(f"`{raw}`: a quarter is Q1 to Q4")
        return _month_start(year, 3 * quarter - 2), _month_start(year, 3 * quarter + 1)
    if m := re.fullmatch(r"(\d{4})-[Ww](\d{2})", raw):
        year, week = int(m[1]), int(m[2])
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"`{raw}`: {year} has no ISO week {week}") from None
        return monday, monday + timedelta(days=7)
    return None


def _relative_period(raw: str, today: date) -> tuple[date, date] | None:
    m = re.fullmatch(r"(this|last)-(week|month|quarter|year)", raw)
    if m is None:
        return None
    back = 1 if m[1] == "last" else 0
    if m[2] == "week":
        monday = today - timedelta(days=today.weekday() + 7 * back)
        return monday, monday + timedelta(days=7)
    if m[2] == "year":
        return date(today.year - back, 1, 1), date(today.year - back + 1, 1, 1)
    size = 3 if m[2] == "quarter" else 1
    first = (today.month - 1) // size * size + 1 - size * back
    return _month_start(today.year, first), _month_start(today.year, first + size)


def parse_period(text: str, zone: str | None, clock: Clock | None = None) -> tuple[int, int]:
    """The bounds of the period TEXT names, as Unix seconds: its first instant and the
    first instant after it, in ZONE (the agreement's)."""
    raw = text.strip()
    bounds = _calendar_period(raw)
    if bounds is None:
        tz = _zone(zone, text)
        bounds = _relative_period(raw.lower(), (clock or wall_clock)().astimezone(tz).date())
    if bounds is None:
        raise ValueError(f"`{text}` is not a period ({PERIOD_EXAMPLES})")
    tz = _zone(zone, text)
    return _local_midnight(bounds[0], tz), _local_midnight(bounds[1], tz)
