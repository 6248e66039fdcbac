"""Target periods: weekly (ISO, Monday first), monthly, quarterly and yearly, in the
agreement's time zone, with keys as the metrics file writes them (`2026-W10`, `2026-03`,
`2026-Q1`, `2026`). Boundaries are local midnights turned into instants by the calendar
engine's rule, so a midnight lost to daylight saving (America/Sao_Paulo) still has one."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from slalang.calendar import wall_to_epoch

KINDS = ("weekly", "monthly", "quarterly", "yearly")


def local_midnight(day: date, zone: ZoneInfo) -> int:
    """The first instant of a local date."""
    return wall_to_epoch(datetime(day.year, day.month, day.day), zone)


@dataclass(frozen=True, slots=True)
class Period:
    key: str
    start: int  # first instant
    end: int  # first instant of the next period


def _first_day(kind: str, day: date) -> date:
    if kind == "weekly":
        return day - timedelta(days=day.weekday())
    if kind == "monthly":
        return day.replace(day=1)
    if kind == "quarterly":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _next_first_day(kind: str, first: date) -> date:
    if kind == "weekly":
        return first + timedelta(days=7)
    months = {"monthly": 1, "quarterly": 3, "yearly": 12}[kind]
    total = first.year * 12 + first.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def _key(kind: str, first: date) -> str:
    if kind == "weekly":
        year, week, _ = first.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if kind == "monthly":
        return f"{first.year:04d}-{first.month:02d}"
    if kind == "quarterly":
        return f"{first.year:04d}-Q{(first.month - 1) // 3 + 1}"
    return f"{first.year:04d}"


class Periods:
    """Period arithmetic for one kind of period in one zone.

    Periods met so far are kept sorted by start, so finding the period of an instant (done
    for every counted thing) is a binary search, not a time-zone conversion."""

    def __init__(self, kind: str, zone: ZoneInfo) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown period `{kind}`")
        self.kind = kind
        self.zone = zone
        self._of_day = lru_cache(maxsize=4096)(self._period_of_day)
        self._starts: list[int] = []
        self._known: list[Period] = []

    def _period_of_day(self, day: date) -> Period:
        first = _first_day(self.kind, day)
        after = _next_first_day(self.kind, first)
        return Period(
            _key(self.kind, first),
            local_midnight(first, self.zone),
            local_midnight(after, self.zone),
        )

    def of(self, ts: int) -> Period:
        """The period containing an instant."""
        at = bisect_right(self._starts, ts) - 1
        if at >= 0 and ts < self._known[at].end:
            return self._known[at]
        period = self._of_day(datetime.fromtimestamp(ts, UTC).astimezone(self.zone).date())
        at = bisect_right(self._starts, period.start)
        self._starts.insert(at, period.start)
        self._known.insert(at, period)
        return period

    def between(self, first: int, last: int) -> list[Period]:
        """Every period from the one containing `first` to the one containing `last`."""
        periods: list[Period] = []
        if last < first:
            return periods
        current = self.of(first)
        final = self.of(last)
        while True:
            periods.append(current)
            if current.key == final.key:
                return periods
            current = self.of(current.end)
