"""Calendars, time zones and dates passes: hours that build, zones and holidays that exist."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from slalang.calendar import Calendar, CalendarError
from slalang.check.calendars import DAYS

if TYPE_CHECKING:
    from tests.check.conftest import Checker

TAIL = """\
events form_submitted, sales_touch
stage lead on form_submitted
sla first_touch {
  start when entering lead
  stop on sales_touch
  within 4 business hours using office
}
"""


def calendar(*lines: str) -> str:
    return "calendar office {\n" + "".join(f"  {line}\n" for line in lines) + "}\n" + TAIL


@pytest.mark.parametrize(
    "lines",
    [
        ('timezone "America/New_York"', "open mon-fri 09:00-17:00", 'closed holidays "US"'),
        ("open mon-thu 09:00-12:00, 13:00-17:00", "open fri 09:00-15:00"),
        ("open fri-mon 22:00-06:00",),  # wraps over the weekend; each night ends at 06:00
        ("open mon, wed 00:00-24:00", "open tue 22:00-00:00", "open thu 12:00-13:00"),
        ('closed holidays "DE" "BY"', "open mon-fri 09:00-17:00", "closed 2026-12-24, 2026-12-31"),
    ],
)
def test_valid_calendars_pass(diagnose: Checker, lines: tuple[str, ...]) -> None:
    assert diagnose(calendar(*lines)) == []


@pytest.mark.parametrize(
    ("line", "code", "column", "message", "label"),
    [
        ("open mon, tues 09:00-17:00", "SLA211", 13, "unknown day `tues`", "tue"),
        ("open monday-fri 09:00-17:00", "SLA211", 8, "unknown day `monday`", "mon"),
        ("open thursday 09:00-17:00", "SLA211", 8, "unknown day `thursday`", "thu"),
        ("open mon-fri 09:00-25:00", "SLA307", 16, "`25:00` is not a time of day", None),
        ("open mon-fri 09:60-17:00", "SLA307", 16, "`09:60` is not a time of day", None),
        ("open mon-fri 24:00-06:00", "SLA307", 16, "`24:00` is not a time of day", None),
        (
            "open mon-fri 09:00-09:00",
            "SLA308",
            16,
            "the range `09:00-09:00` is empty: it ends when it starts",
            None,
        ),
        ("open mon-fri, wed 09:00-17:00", "SLA217", 17, "day `wed` is listed twice", None),
    ],
)
def test_bad_days_and_times(
    diagnose: Checker, line: str, code: str, column: int, message: str, label: str | None
) -> None:
    found = diagnose.one(calendar(line, "open sat 10:00-12:00"), code)
    assert (found.span.line, found.span.column, found.message, found.label) == (
        2,
        column,
        message,
        None if label is None else f"did you mean `{label}`?",
    )


def test_24_00_may_only_end_a_range(diagnose: Checker) -> None:
    found = diagnose.one(calendar("open mon 24:00-06:00"), "SLA307")
    assert found.help == "`24:00` can only end a range; start the day at `00:00`"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            ("open mon-fri 09:00-17:00", "open fri 16:00-20:00"),
            "opening hours overlap: `fri 16:00-20:00` and `fri 09:00-17:00` on line 2",
        ),
        (
            ("open mon 09:00-12:00, 11:00-13:00",),
            "opening hours overlap: `mon 11:00-13:00` and `mon 09:00-12:00`",
        ),
        (  # a night range occupies the next morning
            ("open fri 22:00-06:00", "open sat 05:00-09:00"),
            "opening hours overlap: `sat 05:00-09:00` and `fri 22:00-06:00` on line 2",
        ),
        (  # Sunday night runs into Monday morning
            ("open sun 22:00-02:00", "open mon 01:00-03:00"),
            "opening hours overlap: `mon 01:00-03:00` and `sun 22:00-02:00` on line 2",
        ),
    ],
)
def test_overlapping_hours(diagnose: Checker, lines: tuple[str, ...], message: str) -> None:
    found = diagnose.one(calendar(*lines), "SLA309")
    assert found.message == message
    assert found.span.line == 1 + len(lines)


def test_touching_ranges_do_not_overlap(diagnose: Checker) -> None:
    assert diagnose(calendar("open mon 09:00-12:00, 12:00-13:00", "open sun 20:00-00:00")) == []


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@pytest.mark.parametrize(
    "weekly",
    [
        {4: [(1320, 360)], 5: [(300, 540)]},
        {6: [(1320, 120)], 0: [(60, 180)]},
        {0: [(540, 720), (660, 780)]},
    ],
)
def test_what_the_checker_calls_an_overlap_the_calendar_engine_refuses(
    weekly: dict[int, list[tuple[int, int]]], diagnose: Checker
) -> None:
    with pytest.raises(CalendarError, match="overlap"):
        Calendar("UTC", weekly)
    lines = [
        f"open {DAYS[day]} {hhmm(start)}-{hhmm(end)}"
        for day, ranges in weekly.items()
        for start, end in ranges
    ]
    assert "SLA309" in diagnose.codes(calendar(*lines))


def test_a_calendar_with_no_opening_hours_is_never_open(diagnose: Checker) -> None:
    found = diagnose.one(calendar('timezone "UTC"', 'closed holidays "US"'), "SLA310")
    assert (found.span.line, found.span.column, found.message) == (
        1,
        10,
        "calendar `office` is never open",
    )


@pytest.mark.parametrize(
    ("line", "column", "message", "label"),
    [
        ('closed holidays "EN"', 19, "unknown country `EN` for public holidays", None),
        ('closed holidays "us"', 19, "unknown country `us` for public holidays", "US"),
        (
            'closed holidays "DE" "XY"',
            24,
            "unknown subdivision `XY` of `DE` for public holidays",
            None,
        ),
        (
            'closed holidays "DE" "by"',
            24,
            "unknown subdivision `by` of `DE` for public holidays",
            "BY",
        ),
    ],
)
def test_holidays_name_a_known_country_and_subdivision(
    diagnose: Checker, line: str, column: int, message: str, label: str | None
) -> None:
    found = diagnose.one(calendar("open mon-fri 09:00-17:00", line), "SLA213")
    assert (found.span.line, found.span.column, found.message) == (3, column, message)
    assert found.label == (None if label is None else f"did you mean `{label}`?")


def test_closed_dates_exist_and_are_listed_once(diagnose: Checker) -> None:
    found = diagnose(
        calendar("open mon-fri 09:00-17:00", "closed 2026-02-30, 2026-12-24, 2026-12-24")
    )
    assert [(d.code, d.span.column, d.message, d.help) for d in found] == [
        ("SLA301", 10, "`2026-02-30` is not a date", "February 2026 has 28 days"),
        ("SLA217", 34, "date `2026-12-24` is listed twice", "remove the second mention"),
    ]


@pytest.mark.parametrize(
    ("zone", "suggestion"),
    [
        ("America/NewYork", "America/New_York"),
        ("america/new york", "America/New_York"),
        ("Europe/Berln", "Europe/Berlin"),
        ("Mars/Olympus", None),
    ],
)
def test_unknown_time_zones(diagnose: Checker, zone: str, suggestion: str | None) -> None:
    text = f'agreement "A" {{ timezone "{zone}" }}\n' + calendar(
        f'timezone "{zone}"', "open mon 09:00-17:00"
    )
    found = diagnose(text)
    assert [(d.code, d.span.line, d.span.column) for d in found] == [
        ("SLA212", 1, 26),
        ("SLA212", 3, 12),
    ]
    assert found[0].message == f"unknown time zone `{zone}`"
    assert found[0].label == (None if suggestion is None else f"did you mean `{suggestion}`?")


@pytest.mark.parametrize(
    ("effective", "codes"),
    [
        ("effective 2026-01-01 until 2026-01-01", []),
        ("effective 2026-07-01 until 2026-01-01", [("SLA302", 30)]),
        ("effective 2026-13-01", [("SLA301", 13)]),
        ("effective 2026-04-31 until 2025-01-01", [("SLA301", 13)]),
    ],
)
def test_the_agreement_dates(
    diagnose: Checker, effective: str, codes: list[tuple[str, int]]
) -> None:
    text = f'agreement "A" {{\n  {effective}\n}}\n' + calendar("open mon 09:00-17:00")
    found = diagnose(text)
    assert [(d.code, d.span.column) for d in found] == codes
    if codes == [("SLA302", 30)]:
        assert (
            found[0].message
            == "the agreement ends on `2026-01-01`, before it starts on `2026-07-01`"
        )
    if codes == [("SLA301", 13)] and "13" in effective:
        assert found[0].help == "months run from 01 to 12"
