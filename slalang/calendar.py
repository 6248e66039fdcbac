"""Business time: the calendar engine that turns weekly hours into exact UTC arithmetic.

This module stands alone (of slalang it imports only `slalang.caches`, where public holidays
are kept between runs): the evaluator calls it for every clock of every lead, so it is
built for speed and has no knowledge of the language.

Model
-----
A `Calendar` is a value built from plain data::

    Calendar(
        timezone="America/New_York",              # IANA name, resolved with zoneinfo
        weekly={0: [(540, 1020)], 1: [(540, 1020)]},  # weekday 0=Monday .. 6=Sunday
        closed_dates=frozenset({date(2026, 12, 24)}), # extra closed local dates
        holidays=(("US", None), ("DE", "BY")),     # (country, subdivision or None)
    )

Each weekly range ``(start, end)`` is in minutes from local midnight, half-open
``[start, end)``; ``start`` is 0..1439 and ``end`` 0..1440 (1440 is ``24:00``). An end
before the start crosses midnight and the range belongs to the day it starts on (an end of
0 means ``24:00``). Ranges must not overlap anywhere on the week, including a night range
running into the next morning's ranges. A range belongs to local date D and is dropped when
D is a closed date or a public holiday (the `holidays` library, default categories and its
"observed" days, for every year a query touches, loaded lazily).

Wall time to instants
---------------------
Every wall time W (a local date and time) becomes *the first instant at which the zone's
clock shows W or later*. So:

- an ordinary wall time is its one instant;
- an ambiguous wall time (clocks going back) is its first occurrence (``fold=0``);
- a wall time that does not exist (clocks going forward) snaps to the end of the gap, the
  instant the clock jumps to: 02:30 on 2026-03-08 in New York is 03:00 EDT (07:00Z), *not*
  the 03:30 that ``fold=0`` arithmetic (RFC 5545 style) would give. Reason: the office is
  open whenever its wall clock has reached the opening time, so a day that loses an hour
  loses the open time inside the gap and no more; a range lying wholly inside a gap is
  empty.

The rule is monotone, so ranges that do not overlap on the wall never overlap as instants,
and a range spanning a clock change has its real length (7 or 9 hours for 09:00-17:00 if
the change fell inside it).

Operations
----------
All on whole seconds (a datetime's microseconds are dropped), aware datetimes in, UTC
datetimes out; each ``*_epoch`` twin works on integer Unix seconds and is what the
evaluator should call in its inner loop.

- `is_open(t)`; `next_opening(t)` - first open instant >= t.
- `business_seconds(a, b)` - open time inside ``[a, b)``, 0 when ``b <= a``.
- `add_business_seconds(t, n)` - the earliest instant by which n seconds of open time have
  passed since t (counting from the next opening if t is closed). When n runs out exactly
  at a close, the answer is that close, not the next opening. n = 0 gives t.
- `add_business_days(t, n)` - the close of the n-th open day after the counting day. The
  counting day is the local date on which the open range containing t started (for a clock
  started at 02:00 inside a 22:00-06:00 night shift, the previous day) or, when t is closed,
  the day of the next opening's range. An open day is a date with at least one non-empty
  range; its close is the end of its last non-empty range (for a night range, on the next
  date). n = 0 gives the close of the counting day.
- `wall_to_epoch(wall, zone)` - the wall-time rule above on its own, so other stages
  (reporting periods) turn local midnights into instants exactly as calendars do.

Speed
-----
Open intervals are generated per local year on first use, merged, and kept as sorted
integer arrays with cumulative open seconds, so every query is a couple of `bisect` calls;
nothing steps through time. The cache lives inside the value but never changes an answer.
Searches forward give up with `CalendarError` after ten consecutive years without open time,
or a hundred years after their start.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slalang.caches import cache_root, keep

T = TypeVar("T")

__all__ = [
    "MINUTES_PER_DAY",
    "Calendar",
    "CalendarError",
    "Intervals",
    "Range",
    "from_epoch",
    "to_epoch",
    "wall_to_epoch",
]

MINUTES_PER_DAY = 1440
Range = tuple[int, int]
"""A weekly open range: (start, end) in minutes after local midnight; see the module doc."""

_WEEK = 7 * MINUTES_PER_DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)
_DAY_SECONDS = 86400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
# A search that finds no open time for this many consecutive years is a calendar that is
# (practically) never open; raising beats looping until year 9999.
_MAX_CLOSED_YEARS = 10
# No SLA window is a century long; a search that goes further is a mistake in the data,
# and failing beats generating thousands of years.
_MAX_SEARCH_YEARS = 100
# datetime stops at year 9999 and a year's last night range ends in the next year.
_MIN_YEAR, _MAX_YEAR = 2, 9998
# Local dates of any real zone stay within this distance of UTC dates; the timeline's
# trusted window keeps this margin from the edges of the years it generated.
_MARGIN = 3 * _DAY_SECONDS


class CalendarError(ValueError):
    """A calendar that cannot be built or cannot answer (bad data, or never open)."""


def to_epoch(t: datetime) -> int:
    """Whole Unix seconds of an aware datetime (microseconds dropped, i.e. floored)."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise CalendarError(f"naive datetime {t.isoformat()}: business time needs a time zone")
    return (t - _EPOCH) // _SECOND


def from_epoch(ts: int) -> datetime:
    """The UTC-aware datetime of Unix seconds."""
    return _EPOCH + timedelta(seconds=ts)


def _utc_year(ts: int) -> int:
    return date.fromordinal(_EPOCH_ORDINAL + ts // _DAY_SECONDS).year


@dataclass(frozen=True, init=False)
class Calendar:
    """Business hours in one time zone; an immutable value with a private lazy cache.

    Equal inputs (after normalisation) give equal calendars and equal answers; the fields
    below are the normalised forms, so a compiler can compare and hash calendars freely.
    """

    timezone: str
    weekly: tuple[tuple[Range, ...], ...]
    """Seven tuples, Monday first, each sorted by start; an end of 0 is stored as 1440."""
    closed_dates: frozenset[date]
    holidays: tuple[tuple[str, str | None], ...]
    """Sorted, without duplicates."""
    _timeline: _Timeline = field(init=False, repr=False, compare=False)

    def __init__(
        self,
        timezone: str,
        weekly: Mapping[int, Iterable[Range]] | Sequence[Iterable[Range]],
        closed_dates: Iterable[date] = (),
        holidays: Iterable[tuple[str, str | None]] = (),
    ) -> None:
        """Build from plain data; weekly maps weekday (0=Monday) to ranges, missing = closed.

        Raises CalendarError for an unknown zone, country or subdivision, a malformed or
        overlapping range, or a week with no open time at all.
        """
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise CalendarError(f"unknown time zone `{timezone}`") from exc
        norm_weekly = _normalise_weekly(weekly)
        dates = frozenset(closed_dates)
        for d in dates:
            if not isinstance(d, date) or isinstance(d, datetime):
                raise CalendarError(f"closed date `{d!r}` is not a date")
        norm_holidays = tuple(sorted(set(holidays), key=lambda h: (h[0], h[1] or "")))
        for country, subdiv in norm_holidays:
            _holiday_dates(country, subdiv, None)  # fail now, not on the first query
        object.__setattr__(self, "timezone", timezone)
        object.__setattr__(self, "weekly", norm_weekly)
        object.__setattr__(self, "closed_dates", dates)
        object.__setattr__(self, "holidays", norm_holidays)
        object.__setattr__(self, "_timeline", _Timeline(zone, norm_weekly, dates, norm_holidays))

    def __reduce__(self) -> tuple[Any, ...]:
        # Ship the definition, not the cache, to worker processes.
        return (Calendar, (self.timezone, self.weekly, self.closed_dates, self.holidays))

    @classmethod
    def always(cls) -> Calendar:
        """The built-in `always` calendar: open every second, so it is plain arithmetic.

        Its business days are UTC dates closing at midnight UTC (not 24-hour spans).
        """
        return cls("UTC", {day: [(0, MINUTES_PER_DAY)] for day in range(7)})

    # -- datetime API: thin wrappers over the epoch API ------------------------------------

    def is_open(self, t: datetime) -> bool:
        """Whether the instant t lies in an open interval."""
        return self.is_open_epoch(to_epoch(t))

    def next_opening(self, t: datetime) -> datetime:
        """The first open instant at or after t (t itself when open)."""
        return from_epoch(self.next_opening_epoch(to_epoch(t)))

    def business_seconds(self, a: datetime, b: datetime) -> int:
        """Open seconds inside [a, b); 0 when b <= a."""
        return self.business_seconds_epoch(to_epoch(a), to_epoch(b))

    def add_business_seconds(self, start: datetime, n: int) -> datetime:
        """The earliest instant by which n open seconds have passed since start."""
        return from_epoch(self.add_business_seconds_epoch(to_epoch(start), n))

    def add_business_days(self, start: datetime, n: int) -> datetime:
        """The close of the n-th open day after the day on which counting starts."""
        return from_epoch(self.add_business_days_epoch(to_epoch(start), n))

    def counting_day(self, t: datetime) -> date:
        """The open day a clock started at t counts from (see the module doc)."""
        return date.fromordinal(self.counting_day_epoch(to_epoch(t)))

    # -- epoch API: integer Unix seconds, for the evaluator's inner loop -------------------

    def is_open_epoch(self, ts: int) -> bool:
        """Whether Unix second ts is open."""
        tl = self._timeline
        if not tl.lo <= ts < tl.hi:
            tl.cover(ts)
        i = bisect_right(tl.starts, ts)
        return i > 0 and ts < tl.ends[i - 1]

    def next_opening_epoch(self, ts: int) -> int:
        """The first open Unix second at or after ts."""
        tl = self._timeline
        if not tl.lo <= ts < tl.hi:
            tl.cover(ts)
        i = bisect_right(tl.starts, ts)
        if i > 0 and ts < tl.ends[i - 1]:
            return ts
        while i == len(tl.starts):
            tl.extend_forward(ts)
        return tl.starts[i]

    def business_seconds_epoch(self, a: int, b: int) -> int:
        """Open seconds inside [a, b) for Unix seconds a and b."""
        if b <= a:
            return 0
        tl = self._timeline
        if not tl.lo <= a < tl.hi:
            tl.cover(a)
        if not tl.lo <= b < tl.hi:
            tl.cover(b)
        starts, ends, cum = tl.starts, tl.ends, tl.cum_end
        # Open seconds before x = cumulative total through the interval at or before x,
        # less the part of that interval not yet reached.
        i = bisect_right(starts, a)
        fa = 0 if i == 0 else cum[i - 1] - max(0, ends[i - 1] - a)
        i = bisect_right(starts, b)
        fb = 0 if i == 0 else cum[i - 1] - max(0, ends[i - 1] - b)
        return fb - fa

    def add_business_seconds_epoch(self, ts: int, n: int) -> int:
        """The earliest Unix second by which n open seconds have passed since ts."""
        if n <= 0:
            if n == 0:
                return ts
            raise CalendarError(f"negative business duration {n}s")
        tl = self._timeline
        if not tl.lo <= ts < tl.hi:
            tl.cover(ts)
        i = bisect_right(tl.starts, ts)
        target = n if i == 0 else n + tl.cum_end[i - 1] - max(0, tl.ends[i - 1] - ts)
        # bisect_left: the first interval whose running total reaches the target, so a
        # target met exactly at a close answers that close.
        k = bisect_left(tl.cum_end, target)
        while k == len(tl.cum_end):
            tl.extend_forward(ts)
            k = bisect_left(tl.cum_end, target)
        return tl.ends[k] - (tl.cum_end[k] - target)

    def add_business_days_epoch(self, ts: int, n: int) -> int:
        """The close (Unix seconds) of the n-th open day after ts's counting day."""
        if n < 0:
            raise CalendarError(f"negative business duration {n} days")
        tl = self._timeline
        k = tl.counting_index(ts) + n
        while k >= len(tl.day_close):
            tl.extend_forward(ts)
        return tl.day_close[k]

    def counting_day_epoch(self, ts: int) -> int:
        """The proleptic ordinal (`date.toordinal`) of ts's counting day."""
        tl = self._timeline
        k = tl.counting_index(ts)  # first: it may replace the arrays
        return tl.day_ordinal[k]

    def intervals(self) -> Intervals:
        """The open intervals generated so far, for vectorised queries (the columnar
        engine's deadlines). A query on an instant (and an answer) between two instants
        the epoch methods above have answered for finds its answer in them; asking those
        methods first is how a caller makes sure."""
        tl = self._timeline
        return Intervals(tl.starts, tl.ends, tl.cum_end, tl.raw_end, tl.raw_day, tl.day_close)


class Intervals(NamedTuple):
    """A snapshot of a calendar's timeline (see `Calendar.intervals`): merged open
    intervals [starts[i], ends[i]) with the open seconds through each (`cum_end`); each
    range instance's end and open-day index (`raw_end`, `raw_day`); each open day's close."""

    starts: list[int]
    ends: list[int]
    cum_end: list[int]
    raw_end: list[int]
    raw_day: list[int]
    day_close: list[int]


def _normalise_weekly(
    weekly: Mapping[int, Iterable[Range]] | Sequence[Iterable[Range]],
) -> tuple[tuple[Range, ...], ...]:
    """Validate ranges and give them one canonical form (for equality and hashing)."""
    items: Iterable[tuple[int, Iterable[Range]]]
    if isinstance(weekly, Mapping):
        items = weekly.items()
    else:
        if len(weekly) != 7:
            raise CalendarError(f"weekly hours need 7 days, Monday first; got {len(weekly)}")
        items = enumerate(weekly)
    days: list[list[Range]] = [[] for _ in range(7)]
    for day, ranges in items:
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 6:
            raise CalendarError(f"weekday `{day!r}` is not 0 (Monday) .. 6 (Sunday)")
        for rng in ranges:
            start, end = rng
            for value in (start, end):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise CalendarError(f"range `{rng!r}`: times are minutes as integers")
            if not 0 <= start < MINUTES_PER_DAY or not 0 <= end <= MINUTES_PER_DAY:
                raise CalendarError(f"range `{rng!r}`: start 0..1439, end 0..1440 minutes")
            if start == end:
                raise CalendarError(f"range `{rng!r}` is empty")
            days[day].append((start, MINUTES_PER_DAY if end == 0 else end))
    # Overlaps on the circular week, night ranges included: the day a moment belongs to
    # must be unique, or business days would be ambiguous.
    spans: list[tuple[int, int, int, Range]] = []
    for day, ranges in enumerate(days):
        for start, end in ranges:
            lo = day * MINUTES_PER_DAY + start
            hi = day * MINUTES_PER_DAY + (end if end > start else end + MINUTES_PER_DAY)
            if hi > _WEEK:
                spans.append((lo, _WEEK, day, (start, end)))
                spans.append((0, hi - _WEEK, day, (start, end)))
            else:
                spans.append((lo, hi, day, (start, end)))
    if not spans:
        raise CalendarError("calendar has no open hours")
    spans.sort()
    for (_, hi, day_a, rng_a), (lo, _, day_b, rng_b) in pairwise(spans):
        if lo < hi:
            raise CalendarError(
                f"open ranges overlap: {_describe(day_a, rng_a)} and {_describe(day_b, rng_b)}"
            )
    return tuple(tuple(sorted(ranges)) for ranges in days)


def _describe(day: int, rng: Range) -> str:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

    def hhmm(m: int) -> str:
        return f"{m // 60:02d}:{m % 60:02d}"

    return f"`{names[day]} {hhmm(rng[0])}-{hhmm(rng[1])}`"


def _holiday_dates(country: str, subdiv: str | None, year: int | None) -> frozenset[date]:
    """Public holidays of one country (and subdivision) in one year, or just validate (an
    empty set); kept in the cache (`holidays_kept`)."""
    return holidays_kept(
        f"{country}\n{subdiv}\n{year}",
        lambda: sorted(day.isoformat() for day in _library_dates(country, subdiv, year)),
        lambda texts: frozenset(date.fromisoformat(text) for text in texts),
    )


def holidays_kept(question: str, ask: Callable[[], list[str]], read: Callable[[list[str]], T]) -> T:
    """`read` of the answer `ask` gives, a list of texts from the `holidays` library, kept
    in the cache: asking the library imports every one of its 250 countries' modules
    whatever the question, 0.1-0.3 s of every run that has a calendar with holidays (and
    of every worker process), and of every check of one. A kept answer `read` refuses
    (ValueError, TypeError: a damaged file) is asked again; errors are never kept."""
    path = _holiday_file(question)
    if path is not None:
        with (
            contextlib.suppress(OSError, ValueError, TypeError),
            open(path, encoding="utf-8") as kept,
        ):
            texts = json.load(kept)
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                raise TypeError(f"not a list of texts: {path}")
            return read(texts)
    texts = ask()
    if path is not None:
        keep(Path(path), json.dumps(texts))
    return read(texts)


def _holiday_file(question: str) -> str | None:
    """The cache file of one answer, named by the question and by the installed library
    (its location, size and time, so an upgrade asks afresh); None without the library."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    try:
        stamp = os.stat(spec.origin)
    except OSError:
        return None
    key = f"{spec.origin}\n{stamp.st_size}\n{stamp.st_mtime_ns}\n{question}"
    name = hashlib.sha256(key.encode()).hexdigest()[:24]
    return str(cache_root() / "holidays" / f"{name}.json")


def _library_dates(country: str, subdiv: str | None, year: int | None) -> frozenset[date]:
    """`_holiday_dates` asked of the `holidays` library."""
    import holidays as holidays_lib  # imported late: it is slow to load and often unused

    try:
        found = holidays_lib.country_holidays(
            country, subdiv=subdiv, years=() if year is None else (year - 1, year, year + 1)
        )
    except (NotImplementedError, KeyError, ValueError) as exc:
        where = country if subdiv is None else f"{country}/{subdiv}"
        raise CalendarError(f"unknown holiday calendar `{where}`: {exc}") from exc
    # Observed days can land in a neighbouring year (New Year's Day 2022 observed on
    # 2021-12-31), hence the three years asked for and the filter here.
    return frozenset(d for d in found if d.year == year)


class _Timeline:
    """The mutable cache behind a Calendar: open intervals of a run of local years.

    Invariants: the years y0..y1 are generated; every open interval meeting [lo, hi) is
    known; the arrays hold, in time order, all intervals of those years, so any query at a
    point inside [lo, hi) that finds its answer in the arrays has the true answer. Forward
    extension keeps every existing index and cumulative total (queries rely on that).
    """

    __slots__ = (
        "_closed",
        "_holiday_cache",
        "_holidays",
        "_weekly",
        "_years",
        "_zone",
        "cum_end",
        "day_close",
        "day_ordinal",
        "ends",
        "hi",
        "lo",
        "raw_day",
        "raw_end",
        "starts",
        "y0",
        "y1",
    )

    def __init__(
        self,
        zone: ZoneInfo,
        weekly: tuple[tuple[Range, ...], ...],
        closed: frozenset[date],
        holidays: tuple[tuple[str, str | None], ...],
    ) -> None:
        self._zone = zone
        self._weekly = weekly
        self._closed = closed
        self._holidays = holidays
        self._holiday_cache: dict[int, frozenset[date]] = {}
        # Per generated year: (starts, ends, day ordinals) of its non-empty ranges.
        self._years: dict[int, tuple[list[int], list[int], list[int]]] = {}
        self.y0 = 0
        self.y1 = -1
        self.lo = 0
        self.hi = 0  # empty window: the first query generates
        self.starts: list[int] = []  # merged open intervals [starts[i], ends[i])
        self.ends: list[int] = []
        self.cum_end: list[int] = []  # open seconds from the first interval through i
        self.raw_end: list[int] = []  # unmerged range instances, for business days
        self.raw_day: list[int] = []  # index into day_* of each range instance
        self.day_ordinal: list[int] = []  # open days, in order
        self.day_close: list[int] = []

    # -- coverage ------------------------------------------------------------------------

    def cover(self, ts: int) -> None:
        """Generate enough years that ts lies inside the trusted window."""
        try:
            first, last = _utc_year(ts - _MARGIN), _utc_year(ts + _MARGIN)
        except (ValueError, OverflowError):  # beyond what `date` can represent
            first, last = 0, 0
        if first < _MIN_YEAR or last > _MAX_YEAR:
            raise CalendarError(f"instant {ts} is outside years {_MIN_YEAR}..{_MAX_YEAR}")
        if self.y1 < self.y0:
            self._rebuild(first, last)
        else:
            self._rebuild(min(first, self.y0), max(last, self.y1))

    def extend_forward(self, ts: int) -> None:
        """Generate one more year, or fail when a search has found nothing for too long."""
        empty = 0
        for year in range(self.y1, self.y0 - 1, -1):
            if self._years[year][0]:
                break
            empty += 1
        if empty >= _MAX_CLOSED_YEARS:
            raise CalendarError(
                f"calendar has no open time in the {empty} years up to {self.y1} "
                f"(searching from {from_epoch(ts).isoformat()})"
            )
        if self.y1 + 1 > min(_MAX_YEAR, _utc_year(ts) + _MAX_SEARCH_YEARS):
            raise CalendarError(
                f"business time search from {from_epoch(ts).isoformat()} passed year {self.y1}"
            )
        self._rebuild(self.y0, self.y1 + 1)

    def counting_index(self, ts: int) -> int:
        """Index into day_* of the open day a clock started at ts counts from."""
        if not self.lo <= ts < self.hi:
            self.cover(ts)
        # Range instances never overlap, so their ends are sorted: the first one ending
        # after ts either contains ts or is the next opening.
        k = bisect_right(self.raw_end, ts)
        while k == len(self.raw_end):
            self.extend_forward(ts)
        return self.raw_day[k]

    def _rebuild(self, y0: int, y1: int) -> None:
        for year in range(y0, y1 + 1):
            if year not in self._years:
                self._years[year] = self._generate(year)
        starts: list[int] = []
        ends: list[int] = []
        cum_end: list[int] = []
        raw_end: list[int] = []
        raw_day: list[int] = []
        day_ordinal: list[int] = []
        day_close: list[int] = []
        total = 0
        for year in range(y0, y1 + 1):
            year_starts, year_ends, year_days = self._years[year]
            for s, e, d in zip(year_starts, year_ends, year_days, strict=True):
                if not day_ordinal or day_ordinal[-1] != d:
                    day_ordinal.append(d)
                    day_close.append(e)
                else:
                    day_close[-1] = e
                raw_end.append(e)
                raw_day.append(len(day_ordinal) - 1)
                total += e - s
                if ends and s <= ends[-1]:  # touching ranges form one interval
                    ends[-1] = e
                    cum_end[-1] = total
                else:
                    starts.append(s)
                    ends.append(e)
                    cum_end.append(total)
        self.starts, self.ends, self.cum_end = starts, ends, cum_end
        self.raw_end, self.raw_day = raw_end, raw_day
        self.day_ordinal, self.day_close = day_ordinal, day_close
        self.y0, self.y1 = y0, y1
        self.lo = (date(y0, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY_SECONDS + _MARGIN
        self.hi = (date(y1 + 1, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY_SECONDS - _MARGIN

    # -- one local year ------------------------------------------------------------------

    def _generate(self, year: int) -> tuple[list[int], list[int], list[int]]:
        """The non-empty range instances starting on local dates of one year, in order."""
        closed = self._closed | self._holidays_in(year)
        weekly = self._weekly
        starts: list[int] = []
        ends: list[int] = []
        days: list[int] = []
        first = date(year, 1, 1).toordinal()
        for ordinal in range(first, date(year + 1, 1, 1).toordinal()):
            ranges = weekly[(ordinal - 1) % 7]  # ordinal 1 (0001-01-01) was a Monday
            if not ranges:
                continue
            day = date.fromordinal(ordinal)
            if day in closed:
                continue
            midnight = datetime.fromordinal(ordinal)
            for start, end in ranges:
                if end <= start:
                    end += MINUTES_PER_DAY
                s = self._instant(midnight + timedelta(minutes=start))
                e = self._instant(midnight + timedelta(minutes=end))
                if e > s:  # a range inside a clock-forward gap is empty
                    starts.append(s)
                    ends.append(e)
                    days.append(ordinal)
        return starts, ends, days

    def _holidays_in(self, year: int) -> frozenset[date]:
        found = self._holiday_cache.get(year)
        if found is None:
            found = frozenset().union(
                *(_holiday_dates(country, subdiv, year) for country, subdiv in self._holidays)
            )
            self._holiday_cache[year] = found
        return found

    def _instant(self, wall: datetime) -> int:
        return wall_to_epoch(wall, self._zone)


def wall_to_epoch(wall: datetime, zone: ZoneInfo) -> int:
    """The first Unix second at which the zone's clock shows the naive local `wall` or
    later: the one rule for wall times everywhere in slalang (calendars, periods, data)."""
    local = (wall - _NAIVE_EPOCH) // _SECOND
    before = wall.replace(tzinfo=zone).utcoffset()
    after = wall.replace(tzinfo=zone, fold=1).utcoffset()
    assert before is not None and after is not None
    off0 = before // _SECOND
    off1 = after // _SECOND
    if off0 >= off1:  # existing (off0 == off1), or ambiguous: fold=0 is the first pass
        return local - off0
    # In a gap: the clock jumped from below `wall` to above it at one instant T with
    # local - off1 < T <= local - off0; find T by bisection on whole seconds.
    lo, hi = local - off1, local - off0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        offset = datetime.fromtimestamp(mid, zone).utcoffset()
        assert offset is not None
        if offset // _SECOND == off0:
            lo = mid
        else:
            hi = mid
    return hi
