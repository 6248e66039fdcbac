"""Calendar engine against a brute-force minute-by-minute oracle, with hypothesis properties.

The oracle shares no code with the engine. It walks UTC minutes, reads the zone's wall clock
for each, and decides open or closed from the weekly ranges, closed dates and holidays. The
one subtlety is the engine's rule that a wall time W is reached at the first instant the
clock shows W or later: that is the same as testing the clock's high-water mark (the
latest wall time shown so far) against the ranges, so a repeated hour after clocks go back
is neither re-opened nor re-closed, and a skipped hour counts as passed.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from hypothesis import given, settings
from hypothesis import strategies as st

from slalang.calendar import Calendar

MINUTE = 60
DAY_MINUTES = 1440
WARM_UP = 2 * DAY_MINUTES  # enough history for the high-water mark before a window
TAIL = 12 * DAY_MINUTES  # queries start this far before a window's end, to leave room
PROPS = settings(derandomize=True, max_examples=500, deadline=None)

Ranges = dict[int, list[tuple[int, int]]]


@dataclass(frozen=True)
class Case:
    """One calendar and the UTC windows (first day, days) its queries are drawn from."""

    name: str
    timezone: str
    weekly: Ranges
    holidays: tuple[tuple[str, str | None], ...]
    closed: frozenset[date]
    windows: tuple[tuple[date, int], ...]
    max_minutes: int  # about three business days of open time

    def calendar(self) -> Calendar:
        return Calendar(self.timezone, self.weekly, self.closed, self.holidays)


def hours(h1: int, m1: int, h2: int, m2: int) -> tuple[int, int]:
    return (h1 * 60 + m1, h2 * 60 + m2)


def every(days: range | tuple[int, ...], *ranges: tuple[int, int]) -> Ranges:
    return {d: list(ranges) for d in days}


def merge(*parts: Ranges) -> Ranges:
    out: Ranges = {}
    for part in parts:
        for day, ranges in part.items():
            out.setdefault(day, []).extend(ranges)
    return out


CASES = (
    # Split weekdays, a Saturday, and a Sunday range across both 02:00 changes.
    Case(
        "new_york",
        "America/New_York",
        merge(
            every(range(5), hours(9, 0, 12, 0), hours(13, 0, 17, 0)),
            {5: [hours(10, 0, 14, 0)], 6: [hours(1, 0, 3, 30)]},
        ),
        (("US", None),),
        frozenset({date(2026, 12, 24)}),
        ((date(2026, 2, 27), 26), (date(2026, 10, 23), 40), (date(2026, 12, 14), 24)),
        1260,
    ),
    # Weekdays plus a small-hours range every day that the 02:00/03:00 changes cut through.
    Case(
        "berlin",
        "Europe/Berlin",
        merge(every(range(5), hours(8, 0, 18, 0)), every(range(7), hours(1, 30, 3, 30))),
        (("DE", "BY"),),
        frozenset(),
        ((date(2026, 3, 20), 26), (date(2026, 10, 16), 26)),
        2400,
    ),
    # The 30-minute shift at 02:00: 01:45-02:15 every day, and a Saturday night range.
    Case(
        "lord_howe",
        "Australia/Lord_Howe",
        merge(
            every(range(5), hours(9, 0, 17, 0)),
            every(range(7), hours(1, 45, 2, 15)),
            {5: [hours(22, 0, 1, 30)]},
        ),
        (("AU", "NSW"),),
        frozenset(),
        ((date(2026, 3, 27), 26), (date(2026, 9, 25), 26)),
        1500,
    ),
    Case(
        "kolkata",
        "Asia/Kolkata",
        every(range(6), hours(9, 30, 18, 30)),
        (("IN", None),),
        frozenset(),
        ((date(2026, 1, 16), 26), (date(2026, 8, 7), 26)),
        1620,
    ),
    # Night shifts crossing midnight, one across the Sunday 02:00 change, and a 24:00 end.
    Case(
        "night_shift",
        "America/New_York",
        merge(
            every((6, 0, 1, 2, 3), hours(22, 0, 6, 0)),
            {4: [hours(18, 0, 24, 0)], 5: [hours(20, 0, 4, 0)]},
        ),
        (("US", None),),
        frozenset({date(2026, 3, 11)}),
        ((date(2026, 3, 1), 26), (date(2026, 10, 24), 40)),
        1440,
    ),
)


# -- the oracle ---------------------------------------------------------------------------


class Oracle:
    """Per-minute truth over one window: open or not, and the local date owning the minute."""

    def __init__(self, case: Case, first_day: date, days: int) -> None:
        zone = ZoneInfo(case.timezone)
        midnight = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
        self.base = int(midnight.timestamp())
        self.size = days * DAY_MINUTES
        years = range(first_day.year - 1, first_day.year + 2)
        closed = set(case.closed)
        for country, subdiv in case.holidays:
            closed |= set(holidays_lib.country_holidays(country, subdiv=subdiv, years=years))
        weekly = {d: case.weekly.get(d, []) for d in range(7)}
        self.open = bytearray(self.size)
        self.owner = [0] * self.size
        # Where the interesting things are (clock changes, closed days), to draw near them.
        self.anchors: list[int] = []
        mark = datetime.min  # the wall clock's high-water mark
        offset = None
        for i in range(-WARM_UP, self.size):
            aware = datetime.fromtimestamp(self.base + i * MINUTE, zone)
            wall = aware.replace(tzinfo=None)
            if i >= 0 and (
                aware.utcoffset() != offset
                or (wall.date() in closed and wall.hour == wall.minute == 0)
            ):
                self.anchors.append(i)
            offset = aware.utcoffset()
            mark = max(mark, wall)
            if i < 0:
                continue
            day, minute = mark.date(), mark.hour * 60 + mark.minute
            owner = None
            if day not in closed:
                for start, end in weekly[day.weekday()]:
                    if (start <= minute < end) if end > start else minute >= start:
                        owner = day
            yesterday = day - timedelta(days=1)
            if yesterday not in closed:
                for start, end in weekly[yesterday.weekday()]:
                    if end < start and minute < end:
                        owner = yesterday
            if owner is not None:
                self.open[i] = 1
                self.owner[i] = owner.toordinal()
        self.open_minutes = [i for i in range(self.size) if self.open[i]]

    def instant(self, i: int) -> int:
        return self.base + i * MINUTE

    def next_opening(self, i: int) -> int:
        j = self.open.find(1, i)
        assert j >= 0, "window too short for this query"
        return j

    def elapsed(self, i: int, j: int) -> int:
        return self.open.count(1, i, j) if j > i else 0

    def deadline(self, i: int, d: int) -> int:
        """The end of the d-th open minute at or after minute i (d >= 1)."""
        k = bisect_left(self.open_minutes, i) + d - 1
        assert k < len(self.open_minutes), "window too short for this query"
        return self.open_minutes[k] + 1

    def business_days(self, i: int, n: int) -> tuple[int, int]:
        """(counting day ordinal, end minute of the n-th open day after it)."""
        first = self.next_opening(i)
        counting = self.owner[first]
        seen = 0
        day = counting
        last = first
        for j in range(first, self.size):
            if not self.open[j]:
                continue
            if self.owner[j] != day:
                if seen == n:
                    return counting, last + 1
                seen += 1
                day = self.owner[j]
            last = j
        raise AssertionError("window too short for this query")


@functools.cache
def oracle(case_index: int, window_index: int) -> Oracle:
    case = CASES[case_index]
    first_day, days = case.windows[window_index]
    return Oracle(case, first_day, days)


@functools.cache
def calendar(case_index: int) -> Calendar:
    return CASES[case_index].calendar()


@st.composite
def starts(draw: st.DrawFn) -> tuple[int, Oracle, int]:
    """A case, one of its windows' oracles, and a start minute leaving room for queries.

    Hypothesis favours small integers, so a plain draw would crowd the window's first day;
    most starts are drawn within a few days before or after a clock change or closed day,
    and some are moved onto the next opening or close, where off-by-one errors live.
    """
    case_index = draw(st.integers(0, len(CASES) - 1))
    window_index = draw(st.integers(0, len(CASES[case_index].windows) - 1))
    table = oracle(case_index, window_index)
    last = table.size - TAIL
    if not table.anchors or draw(st.integers(0, 3)) == 0:
        return case_index, table, draw(st.integers(0, last))
    anchor = draw(st.sampled_from(table.anchors))
    i = min(max(anchor - draw(st.integers(-DAY_MINUTES, 4 * DAY_MINUTES)), 0), last)
    if draw(st.booleans()):
        edge = table.open.find(0 if table.open[i] else 1, i)
        i = min(edge, last) if edge >= 0 else i
    return case_index, table, i


def durations(case_index: int) -> st.SearchStrategy[int]:
    return st.integers(1, CASES[case_index].max_minutes)


def fresh_or_shared(data: st.DataObject, case_index: int) -> Calendar:
    """Sometimes a new calendar, so cold caches and lazy year loading are exercised too."""
    if data.draw(st.integers(0, 7)) == 0:  # one in eight: cold calendars cost milliseconds
        return CASES[case_index].calendar()
    return calendar(case_index)


def start_second(data: st.DataObject) -> tuple[int, int]:
    """(case index, a start to the second) for properties that need no oracle."""
    case_index, table, i = data.draw(starts())
    return case_index, table.instant(i) + data.draw(st.integers(0, MINUTE - 1))


def later(data: st.DataObject, t: int) -> int:
    """An instant up to a week after t, so spans cross nights, weekends and changes."""
    return t + data.draw(st.integers(0, 7 * 86400))


# -- agreement with the oracle ------------------------------------------------------------


@PROPS
@given(st.data())
def test_deadline_agrees_with_oracle(data: st.DataObject) -> None:
    case_index, table, i = data.draw(starts())
    d = data.draw(durations(case_index))
    cal = fresh_or_shared(data, case_index)
    got = cal.add_business_seconds_epoch(table.instant(i), d * MINUTE)
    assert got == table.instant(table.deadline(i, d))


@PROPS
@given(st.data())
def test_elapsed_agrees_with_oracle(data: st.DataObject) -> None:
    case_index, table, i = data.draw(starts())
    j = data.draw(st.integers(max(0, i - DAY_MINUTES), i + 8 * DAY_MINUTES))
    cal = fresh_or_shared(data, case_index)
    got = cal.business_seconds_epoch(table.instant(i), table.instant(j))
    assert got == table.elapsed(i, j) * MINUTE


@PROPS
@given(st.data())
def test_next_opening_and_is_open_agree_with_oracle(data: st.DataObject) -> None:
    case_index, table, i = data.draw(starts())
    cal = calendar(case_index)
    # Through the datetime API, from a local (non-UTC) aware datetime.
    zone = ZoneInfo(CASES[case_index].timezone)
    t = datetime.fromtimestamp(table.instant(i), zone)
    assert cal.is_open(t) == bool(table.open[i])
    got = cal.next_opening(t)
    assert got.tzinfo is UTC
    assert int(got.timestamp()) == table.instant(table.next_opening(i))


@PROPS
@given(st.data())
def test_business_days_agree_with_oracle(data: st.DataObject) -> None:
    case_index, table, i = data.draw(starts())
    n = data.draw(st.integers(0, 3))
    cal = fresh_or_shared(data, case_index)
    counting, end = table.business_days(i, n)
    assert cal.counting_day_epoch(table.instant(i)) == counting
    assert cal.add_business_days_epoch(table.instant(i), n) == table.instant(end)


# -- algebra, to the second ---------------------------------------------------------------


@PROPS
@given(st.data())
def test_elapsed_to_deadline_is_the_duration(data: st.DataObject) -> None:
    case_index, start = start_second(data)
    n = data.draw(st.integers(0, CASES[case_index].max_minutes * MINUTE))
    cal = calendar(case_index)
    due = cal.add_business_seconds_epoch(start, n)
    assert cal.business_seconds_epoch(start, due) == n
    # Earliest: one second less would not do (for n > 0 the deadline is open time's end).
    if n > 0:
        assert cal.business_seconds_epoch(start, due - 1) == n - 1


@PROPS
@given(st.data())
def test_deadline_is_monotone_in_duration(data: st.DataObject) -> None:
    case_index, start = start_second(data)
    top = CASES[case_index].max_minutes * MINUTE
    n1, n2 = sorted(data.draw(st.lists(st.integers(0, top), min_size=2, max_size=2)))
    cal = calendar(case_index)
    assert cal.add_business_seconds_epoch(start, n1) <= cal.add_business_seconds_epoch(start, n2)


@PROPS
@given(st.data())
def test_deadline_is_monotone_in_start(data: st.DataObject) -> None:
    case_index, s1 = start_second(data)
    s2 = later(data, s1)
    n = data.draw(st.integers(0, CASES[case_index].max_minutes * MINUTE))
    cal = calendar(case_index)
    assert cal.add_business_seconds_epoch(s1, n) <= cal.add_business_seconds_epoch(s2, n)
    days = data.draw(st.integers(0, 3))
    assert cal.add_business_days_epoch(s1, days) <= cal.add_business_days_epoch(s2, days)


@PROPS
@given(st.data())
def test_elapsed_is_additive(data: st.DataObject) -> None:
    case_index, a = start_second(data)
    b = later(data, a)
    c = later(data, b)
    cal = calendar(case_index)
    ab = cal.business_seconds_epoch(a, b)
    bc = cal.business_seconds_epoch(b, c)
    assert ab + bc == cal.business_seconds_epoch(a, c)
    assert 0 <= ab <= b - a


ALWAYS = Calendar.always()
YEAR_1950 = int(datetime(1950, 1, 1, tzinfo=UTC).timestamp())
YEAR_2100 = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())


@PROPS
@given(st.integers(YEAR_1950, YEAR_2100), st.integers(0, 400 * 86400))
def test_always_is_plain_arithmetic(start: int, n: int) -> None:
    cal = ALWAYS
    assert cal.add_business_seconds_epoch(start, n) == start + n
    assert cal.business_seconds_epoch(start, start + n) == n
    assert cal.business_seconds_epoch(start + n, start) == 0
    assert cal.next_opening_epoch(start) == start
    assert cal.is_open_epoch(start)
