"""Checking, calendars: day names, opening hours, overlaps and public holidays (LANGUAGE §5).

Hours are checked the way the business-time engine (`slalang.calendar`) will read them,
so a calendar that passes here builds there:

- days are `mon` … `sun`; a range `fri-mon` wraps over the weekend (fri, sat, sun, mon);
- `HH:MM` runs 00:00 to 23:59, and `24:00` may only end a range; a range whose end equals
  its start is empty, one whose end is before its start crosses midnight;
- no two ranges may cover the same moment of the week. A range crossing midnight belongs
  to the day it starts on but occupies the next morning, so it is checked against that
  morning's ranges too (Sunday night runs into Monday): an overlap would count twice;
- a calendar with no `open` line is never open; without a `timezone` it uses the
  agreement's zone (UTC when there is none);
- `closed holidays "CC" ["SUB"]` must name a country (and subdivision) the `holidays`
  library knows.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from slalang import ast
from slalang.calendar import holidays_kept
from slalang.check.context import Context, did_you_mean, suggest
from slalang.diagnostics import Diagnostic, error

_T = TypeVar("_T")

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 24 * 60
WEEK = 7 * DAY


@dataclass(frozen=True, slots=True)
class _Open:
    """One range on one day, placed on the week: minutes from Monday 00:00."""

    day: int
    start: int
    end: int  # minutes after the day's midnight; may pass 24:00 for a night range
    source: ast.TimeRange

    def pieces(self) -> list[tuple[int, int]]:
        """The range on the circular week, split where Sunday night meets Monday."""
        lo = self.day * DAY + self.start
        hi = self.day * DAY + self.end
        return [(lo, hi)] if hi <= WEEK else [(lo, WEEK), (0, hi - WEEK)]

    def text(self) -> str:
        return f"{DAYS[self.day]} {self.source.start}-{self.source.end}"


def check(ctx: Context) -> Iterator[Diagnostic]:
    for calendar in ctx.symbols.calendars.values():
        yield from _calendar(calendar)


def _calendar(calendar: ast.CalendarDecl) -> Iterator[Diagnostic]:
    placed: list[_Open] = []
    opens = [item for item in calendar.items if isinstance(item, ast.OpenHours)]
    if not opens:
        yield error(
            "SLA310",
            f"calendar `{calendar.name.name}` is never open",
            calendar.name.span,
            help="add opening hours, e.g. `open mon-fri 09:00-17:00`",
        )
    for item in opens:
        days = yield from _days(item)
        for rng in item.ranges:
            minutes = yield from _range(rng)
            if minutes is not None:
                placed.extend(_Open(day, *minutes, rng) for day in days)
    yield from _overlaps(placed)
    seen_dates: set[str] = set()
    for line in calendar.items:
        if isinstance(line, ast.ClosedHolidays):
            yield from _holidays(line)
        elif isinstance(line, ast.ClosedDates):
            for d in line.dates:
                if d.value in seen_dates:
                    yield error(
                        "SLA217",
                        f"date `{d.value}` is listed twice",
                        d.span,
                        help="remove the second mention",
                    )
                seen_dates.add(d.value)


def open_week(calendar: ast.CalendarDecl | None) -> tuple[int, int]:
    """(days, minutes) a calendar is open in a week, as its `open` lines say (None: the
    built-in `always`). Read the way `_calendar` reads them; its diagnostics are its own."""
    if calendar is None:
        return 7, WEEK
    days: set[int] = set()
    minutes = 0
    for item in calendar.items:
        if isinstance(item, ast.OpenHours):
            on = _result(_days(item))
            for rng in item.ranges:
                span = _result(_range(rng))
                if span is not None and on:
                    days.update(on)
                    minutes += (span[1] - span[0]) * len(on)
    return len(days), minutes


def _result(steps: Generator[Diagnostic, None, _T]) -> _T:
    """What a generator of diagnostics returns, its diagnostics left unread."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def _day(ident: ast.Ident) -> Iterator[Diagnostic]:
    if ident.name in DAYS:
        return
    close = ident.name[:3] if ident.name[:3] in DAYS else suggest(ident.name, DAYS)
    yield error(
        "SLA211",
        f"unknown day `{ident.name}`",
        ident.span,
        label=did_you_mean(close),
        help="days are `mon`, `tue`, `wed`, `thu`, `fri`, `sat` and `sun`",
    )


def _days(item: ast.OpenHours) -> Generator[Diagnostic, None, list[int]]:
    """Yields diagnostics; returns the weekday numbers of the line, in order."""
    result: list[int] = []
    for span in item.days:
        ends = [span.first] if span.last is None else [span.first, span.last]
        bad = False
        for ident in ends:
            for d in _day(ident):
                bad = True
                yield d
        if bad:
            continue
        first = DAYS.index(span.first.name)
        last = first if span.last is None else DAYS.index(span.last.name)
        count = (last - first) % 7 + 1
        for offset in range(count):
            day = (first + offset) % 7
            if day in result:
                yield error(
                    "SLA217",
                    f"day `{DAYS[day]}` is listed twice",
                    span.span,
                    help="each day may appear once in an `open` line",
                )
            else:
                result.append(day)
    return result


def _minutes(text: str, *, end: bool) -> int | None:
    hours, minutes = int(text[:2]), int(text[3:])
    if end and (hours, minutes) == (24, 0):
        return DAY
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def _range(rng: ast.TimeRange) -> Generator[Diagnostic, None, tuple[int, int] | None]:
    """Yields diagnostics; returns (start, end) in minutes, end past 24:00 at night."""
    start = _minutes(rng.start, end=False)
    end = _minutes(rng.end, end=True)
    for text, value, is_end in ((rng.start, start, False), (rng.end, end, True)):
        if value is None:
            help = "times run from 00:00 to 23:59"
            if text == "24:00":
                help = "`24:00` can only end a range; start the day at `00:00`"
            elif is_end:
                help = "times run from 00:00 to 23:59, and `24:00` may end a range"
            yield error("SLA307", f"`{text}` is not a time of day", rng.span, help=help)
    if start is None or end is None:
        return None
    if start == end:
        yield error(
            "SLA308",
            f"the range `{rng.start}-{rng.end}` is empty: it ends when it starts",
            rng.span,
            help="for a day open round the clock write `00:00-24:00`",
        )
        return None
    return (start, end if end > start else end + DAY)


def _overlaps(placed: list[_Open]) -> Iterator[Diagnostic]:
    """Each overlapping pair once, reported at the range written later."""
    reported: set[int] = set()
    for i, later in enumerate(placed):
        for earlier in placed[:i]:
            if earlier.source is later.source or id(later.source) in reported:
                continue
            if any(a < d and c < b for a, b in earlier.pieces() for c, d in later.pieces()):
                reported.add(id(later.source))
                where = (
                    ""
                    if earlier.source.span.line == later.source.span.line
                    else f" on line {earlier.source.span.line}"
                )
                yield error(
                    "SLA309",
                    f"opening hours overlap: `{later.text()}` and `{earlier.text()}`{where}",
                    later.source.span,
                    help="each moment of the week may be in one range only; "
                    "a range past midnight also covers the next morning",
                )


@cache
def _countries() -> frozenset[str]:
    """The country codes (and aliases) the holidays library knows, kept in slalang's cache
    as its answers about holidays are (`holidays_kept`: importing the library's registry
    alone is 0.06 s of every check)."""
    return holidays_kept("countries", _library_countries, frozenset)


def _library_countries() -> list[str]:
    """From the library's registry: its `list_supported_countries` imports the module of
    every country to list subdivisions, half a second, where a code is all we ask."""
    from holidays.registry import EntityLoader  # slow to import, and often unused

    return sorted(EntityLoader.get_country_codes(include_aliases=True))


@cache
def _subdivisions(country: str) -> tuple[str, ...]:
    return holidays_kept(f"subdivisions\n{country}", lambda: _library_subdivisions(country), tuple)


def _library_subdivisions(country: str) -> list[str]:
    import holidays

    return list(getattr(holidays, country).subdivisions)


def _holidays(item: ast.ClosedHolidays) -> Iterator[Diagnostic]:
    countries = _countries()
    country = item.country.value
    if country not in countries:
        close = country.upper() if country.upper() in countries else None
        yield error(
            "SLA213",
            f"unknown country `{country}` for public holidays",
            item.country.span,
            label=did_you_mean(close),
            help="use an ISO 3166 country code such as `US`, `GB` or `DE`",
        )
        return
    if item.subdivision is None:
        return
    subdivision = item.subdivision.value
    known = _subdivisions(country)
    if subdivision in known:
        return
    folded = {s.upper(): s for s in known}
    close = folded.get(subdivision.upper()) or suggest(subdivision, known)
    shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
    yield error(
        "SLA213",
        f"unknown subdivision `{subdivision}` of `{country}` for public holidays",
        item.subdivision.span,
        label=did_you_mean(close),
        help=f"`{country}` subdivisions are {shown}"
        if known
        else f"the holidays of `{country}` have no subdivisions",
    )
