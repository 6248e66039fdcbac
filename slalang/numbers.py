"""How slalang writes numbers for people, in one place: every message, table, Markdown
comment, HTML page and JUnit file reads its counts, shares, amounts and durations from here,
so `1,599` in one format is never `1599` in another.

The grouping and rounding come from babel's CLDR patterns (US English, the language of the
rest of the tool) rather than format strings, so they stay right for negative numbers,
rounding at .5 and large values. The report itself keeps exact numbers; only what people
read goes through this module.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent
from babel.units import format_unit

LOCALE = "en_US"
ABSENT = "\N{EN DASH}"
"""What a table shows for a figure that does not exist (nothing decided, no data)."""

_PERCENT = "#,##0.#%"
_AMOUNT = "#,##0.##"
_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))


@lru_cache(maxsize=4096, typed=True)
def count(value: int) -> str:
    """`1,599`: a whole number with thousands separators."""
    return format_decimal(value, locale=LOCALE)


def plural(value: int, one: str, many: str | None = None) -> str:
    """`1 row`, `1,599 rows`: a count and its noun."""
    return f"{count(value)} {one if value == 1 else (many or one + 's')}"


def percent(share: float | None) -> str:
    """`66.7%`, `95%`: a share (0.95) as a percentage, one decimal dropped when zero."""
    if share is None:
        return ABSENT
    return format_percent(share, _PERCENT, locale=LOCALE)


def amount(value: float | None) -> str:
    """`1,250`, `56.25`, `8.14`: thousands separated, at most two decimals."""
    if value is None:
        return ABSENT
    text = format_decimal(value, _AMOUNT, locale=LOCALE)
    return "0" if text == "-0" else text


def short_duration(seconds: int | None) -> str:
    """`45s`, `55m`, `3h 10m`, `2d 4h` for a table cell; a dash for no figure."""
    if seconds is None:
        return ABSENT
    if seconds < 60:
        return f"{seconds}s"
    return " ".join(_narrow(n, unit) for n, unit in _split(seconds))


def duration(seconds: int) -> str:
    """`2 days 3 hours 10 minutes`, `45 seconds`: a wall-clock span in words."""
    if seconds < 60:
        return _long(seconds, "second")
    return " ".join(_long(n, unit) for n, unit in _split(seconds))


def business_duration(seconds: int, days: int = 0) -> str:
    """`2 business hours 10 minutes`, `3 business days 2 hours`: time on a business
    calendar, `business` said once, before the largest unit. Open time is counted in hours,
    never folded into 24-hour days (a business day is as long as the calendar says); `days`
    are whole business days, for goals written in days."""
    hours, rest = divmod(seconds, 3600)
    parts = [(n, unit) for n, unit in ((days, "day"), (hours, "hour"), (rest // 60, "minute")) if n]
    if not parts:
        parts = [(seconds, "second")]
    (first, unit), *others = parts
    words = [f"{count(first)} business {unit}{'' if first == 1 else 's'}"]
    words += [_long(n, other) for n, other in others]
    return " ".join(words)


def lateness(wall_seconds: int, business: tuple[int, int] | None = None) -> str:
    """How late, in the goal's own unit: `2 business hours 10 minutes late, 21 hours 10
    minutes on the wall clock` for a business goal, given `business` as (whole business
    days, further open seconds), the wall-clock part left out when the calendar was open
    all along; `21 hours 10 minutes late` for a calendar goal."""
    wall = duration(wall_seconds)
    if business is None:
        return f"{wall} late"
    days, seconds = business
    late = f"{business_duration(seconds, days)} late"
    return late if (days, seconds) == (0, wall_seconds) else f"{late}, {wall} on the wall clock"


def reads_as_share(value: float | None, goal: float | None) -> bool:
    """Whether a target's value and goal read as percentages.

    The report keeps numbers as computed (`15%` in a policy is `0.15`) and says nothing of
    what a goal measures. A goal strictly between 0 and 1 with a value in [0, 1] is a share
    (rates, compliance, ratios), since counts and sums have whole-number goals; anything
    else is shown as the number it is. A share goal of exactly 100% is therefore shown as 1.
    """
    if goal is None or not 0 < goal < 1:
        return False
    return value is None or 0 <= value <= 1


def local_time(instant: str, zone: str) -> str:
    """`2026-02-09 12:00 CST`: a report instant (UTC, `…Z`) on the agreement's clock."""
    at = datetime.fromisoformat(instant).astimezone(ZoneInfo(zone))
    return at.strftime("%Y-%m-%d %H:%M %Z")


def _split(seconds: int) -> list[tuple[int, str]]:
    """Whole days, hours and minutes of `seconds`, the zero ones left out."""
    parts = []
    rest = seconds
    for unit, size in _UNITS:
        amount_, rest = divmod(rest, size)
        if amount_:
            parts.append((amount_, unit))
    return parts


# babel formats a unit in about 60 µs; a report's durations repeat few (value, unit) pairs
# (hours 0-23, minutes 0-59…), so the breach messages of a large run are cached look-ups
@lru_cache(maxsize=4096, typed=True)
def _long(value: int, unit: str) -> str:
    """`1 minute`, `1,234 days`."""
    return format_unit(value, f"duration-{unit}", locale=LOCALE, length="long")


@lru_cache(maxsize=4096, typed=True)
def _narrow(value: int, unit: str) -> str:
    """`3h`, `55m`."""
    return format_unit(value, f"duration-{unit}", locale=LOCALE, length="narrow")
