"""Calendar engine: worked examples with hand-computed instants (LANGUAGE §5, §13)."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from slalang.calendar import Calendar, CalendarError, wall_to_epoch

H = 3600
MON_FRI = range(5)
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
KOLKATA = ZoneInfo("Asia/Kolkata")


def local(
    zone: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0
) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=zone)


def z(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A UTC instant: the expected answers are written in UTC to make offsets explicit."""
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


def ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return local(NEW_YORK, y, mo, d, h, mi, s, us)


def office(zone: str = "America/New_York", **kwargs: object) -> Calendar:
    """Mon-Fri 09:00-17:00, the calendar of the spec's examples."""
    return Calendar(zone, {d: [(9 * 60, 17 * 60)] for d in MON_FRI}, **kwargs)  # type: ignore[arg-type]


def sundays(zone: str, *ranges: tuple[int, int]) -> Calendar:
    """Open only on Sundays: DST changes in these zones happen early on a Sunday."""
    return Calendar(zone, {6: list(ranges)})


# -- a weekend ----------------------------------------------------------------------------


def test_weekend_is_skipped() -> None:
    cal = office()
    # Fri 2026-01-09 16:00 EST: 1h left on Friday, then Mon 09:00-10:00 EST (15:00Z).
    assert cal.add_business_seconds(ny(2026, 1, 9, 16), 2 * H) == z(2026, 1, 12, 15)
    assert cal.business_seconds(ny(2026, 1, 9, 16), ny(2026, 1, 12, 10)) == 2 * H
    # Saturday noon: next opening Mon 09:00 EST = 14:00Z.
    assert cal.next_opening(ny(2026, 1, 10, 12)) == z(2026, 1, 12, 14)
    assert not cal.is_open(ny(2026, 1, 10, 12))
    assert cal.is_open(ny(2026, 1, 12, 9))  # [09:00, 17:00): the opening minute is open
    assert not cal.is_open(ny(2026, 1, 12, 17))  # ... and the closing one is not


def test_answers_are_exact_to_the_second_and_utc() -> None:
    cal = office()
    # Mon 16:59:59 + 2s: 1s on Monday, 1s from Tue 09:00:00 EST -> 09:00:01 EST = 14:00:01Z.
    due = cal.add_business_seconds(ny(2026, 1, 12, 16, 59, 59), 2)
    assert due == z(2026, 1, 13, 14, 0, 1)
    assert due.tzinfo is UTC
    # Microseconds are dropped before computing (whole seconds throughout).
    assert cal.business_seconds(ny(2026, 1, 12, 9, 0, 0, 999_999), ny(2026, 1, 12, 9, 0, 1)) == 1


def test_deadline_met_exactly_at_a_close_is_that_close() -> None:
    cal = office()
    # 2h from Mon 15:00 EST runs out at 17:00 EST (22:00Z), not at Tuesday's opening.
    assert cal.add_business_seconds(ny(2026, 1, 12, 15), 2 * H) == z(2026, 1, 12, 22)
    # Started while closed: counting begins at the next opening (Tue 09:00 EST = 14:00Z).
    assert cal.add_business_seconds(ny(2026, 1, 12, 20), H) == z(2026, 1, 13, 15)
    # Zero business time is the start itself (earliest instant), even while closed.
    assert cal.add_business_seconds(ny(2026, 1, 12, 20), 0) == ny(2026, 1, 12, 20)


# -- a holiday ----------------------------------------------------------------------------


def test_thanksgiving_is_closed() -> None:
    cal = office(holidays=(("US", None),))
    # Thanksgiving is Thu 2026-11-26 (EST, -5). Wed 16:00 + 2h: Wed 16-17, Fri 09-10 EST.
    assert cal.add_business_seconds(ny(2026, 11, 25, 16), 2 * H) == z(2026, 11, 27, 15)
    assert not cal.is_open(ny(2026, 11, 26, 12))
    assert cal.next_opening(ny(2026, 11, 26, 12)) == z(2026, 11, 27, 14)
    # Wed 09:00 to Fri 17:00: Wednesday and Friday only.
    assert cal.business_seconds(ny(2026, 11, 25, 9), ny(2026, 11, 27, 17)) == 16 * H
    # 1 business day from Wed 10:00: counting day Wed, next open day Fri, closes 22:00Z.
    assert cal.add_business_days(ny(2026, 11, 25, 10), 1) == z(2026, 11, 27, 22)
    # Without the holiday Thursday counts.
    assert office().add_business_days(ny(2026, 11, 25, 10), 1) == z(2026, 11, 26, 22)


def test_observed_holiday_and_subdivision() -> None:
    # Independence Day 2026 is a Saturday, observed on Fri 2026-07-03.
    cal = office(holidays=(("US", None),))
    assert cal.next_opening(ny(2026, 7, 3, 8)) == z(2026, 7, 6, 13)  # Mon 09:00 EDT
    # Epiphany (Jan 6) is a holiday in Bavaria but not in Berlin state; 2026-01-06 a Tuesday.
    by = office("Europe/Berlin", holidays=(("DE", "BY"),))
    be = office("Europe/Berlin", holidays=(("DE", "BE"),))
    assert not by.is_open(local(BERLIN, 2026, 1, 6, 10))
    assert be.is_open(local(BERLIN, 2026, 1, 6, 10))


# -- daylight saving: New York ------------------------------------------------------------


def test_new_york_spring_forward() -> None:
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT; the office is not open then, but the
    # offset used on Monday must be Monday's (-4), not Friday's (-5).
    cal = office()
    # Fri 16:00 EST (21:00Z) + 2h -> Mon 10:00 EDT = 14:00Z (15:00Z would be the bug).
    assert cal.add_business_seconds(ny(2026, 3, 6, 16), 2 * H) == z(2026, 3, 9, 14)
    # The day itself has 23 hours.
    day = sundays("America/New_York", (0, 1440))
    assert day.business_seconds(z(2026, 3, 7), z(2026, 3, 10)) == 23 * H
    # A range spanning the jump has its real length: 01:00 EST (06:00Z) - 05:00 EDT (09:00Z).
    span = sundays("America/New_York", (60, 300))
    assert span.next_opening(z(2026, 3, 8)) == z(2026, 3, 8, 6)
    assert span.add_business_seconds(z(2026, 3, 8), 3 * H) == z(2026, 3, 8, 9)
    assert span.is_open(z(2026, 3, 8, 8, 59, 59)) and not span.is_open(z(2026, 3, 8, 9))


def test_new_york_gap_snaps_to_its_end() -> None:
    # 02:30 does not exist on 2026-03-08: it becomes 03:00 EDT (07:00Z), the instant the
    # clock jumps to; fold=0 arithmetic would give 03:30 EDT (07:30Z).
    cal = sundays("America/New_York", (150, 240))  # 02:30-04:00
    assert cal.next_opening(z(2026, 3, 8)) == z(2026, 3, 8, 7)
    assert cal.business_seconds(z(2026, 3, 8), z(2026, 3, 9)) == H  # 03:00-04:00 EDT
    assert cal.business_seconds(z(2026, 3, 15), z(2026, 3, 16)) == 90 * 60  # normal Sunday
    # A range wholly inside the gap is empty: the next opening is a week later,
    # Sun 2026-03-15 02:10 EDT = 06:10Z.
    empty = sundays("America/New_York", (130, 170))  # 02:10-02:50
    assert empty.next_opening(z(2026, 3, 8)) == z(2026, 3, 15, 6, 10)
    # ... and that Sunday is not an open day: 1 business day from Sat 2026-03-07 counts
    # from 2026-03-15 and closes 2026-03-22 02:50 EDT = 06:50Z.
    assert empty.add_business_days(z(2026, 3, 7), 1) == z(2026, 3, 22, 6, 50)


def test_new_york_fall_back() -> None:
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:00-01:59 happens twice.
    day = sundays("America/New_York", (0, 1440))
    assert day.business_seconds(z(2026, 10, 31), z(2026, 11, 3)) == 25 * H
    # 01:00 EDT (05:00Z) to 05:00 EST (10:00Z): five real hours.
    span = sundays("America/New_York", (60, 300))
    assert span.business_seconds(z(2026, 11, 1), z(2026, 11, 2)) == 5 * H
    # An ambiguous start is its first occurrence: 01:30 EDT = 05:30Z, to 03:00 EST = 08:00Z.
    late = sundays("America/New_York", (90, 180))
    assert late.next_opening(z(2026, 11, 1)) == z(2026, 11, 1, 5, 30)
    assert late.business_seconds(z(2026, 11, 1), z(2026, 11, 2)) == 150 * 60
    # An ambiguous end too: 00:00 EDT (04:00Z) to 01:30 EDT (05:30Z); the repeated
    # 01:00-01:30 EST is closed.
    early = sundays("America/New_York", (0, 90))
    assert early.add_business_seconds(z(2026, 11, 1), 90 * 60) == z(2026, 11, 1, 5, 30)
    assert not early.is_open(z(2026, 11, 1, 6, 15))  # 01:15 EST, the second pass
    # The office across the change: Fri 16:00 EDT + 2h -> Mon 10:00 EST = 15:00Z.
    assert office().add_business_seconds(ny(2026, 10, 30, 16), 2 * H) == z(2026, 11, 2, 15)


def test_wall_to_epoch_is_the_same_rule() -> None:
    def at(y: int, mo: int, d: int, h: int, mi: int) -> int:
        return wall_to_epoch(datetime(y, mo, d, h, mi), NEW_YORK)

    assert at(2026, 3, 8, 2, 30) == z(2026, 3, 8, 7).timestamp()  # gap: its end, 03:00 EDT
    assert at(2026, 11, 1, 1, 30) == z(2026, 11, 1, 5, 30).timestamp()  # first pass, EDT
    assert at(2026, 1, 12, 9, 0) == z(2026, 1, 12, 14).timestamp()


# -- daylight saving: Berlin --------------------------------------------------------------


def test_berlin_spring_forward() -> None:
    # 2026-03-29: 02:00 CET (+1) jumps to 03:00 CEST (+2).
    day = sundays("Europe/Berlin", (0, 1440))
    assert day.business_seconds(z(2026, 3, 28), z(2026, 3, 30)) == 23 * H
    # Office: Fri 2026-03-27 16:00 CET (15:00Z) + 2h -> Mon 10:00 CEST = 08:00Z.
    cal = office("Europe/Berlin")
    assert cal.add_business_seconds(local(BERLIN, 2026, 3, 27, 16), 2 * H) == z(2026, 3, 30, 8)
    # 02:30-03:30: the start snaps to 03:00 CEST (01:00Z), so 30 minutes are left; with
    # fold=0 arithmetic the start would be 03:30 and the range empty.
    half = sundays("Europe/Berlin", (150, 210))
    assert half.next_opening(z(2026, 3, 29)) == z(2026, 3, 29, 1)
    assert half.business_seconds(z(2026, 3, 29), z(2026, 3, 30)) == 30 * 60


def test_berlin_fall_back() -> None:
    # 2026-10-25: 03:00 CEST (+2) falls back to 02:00 CET (+1).
    day = sundays("Europe/Berlin", (0, 1440))
    assert day.business_seconds(z(2026, 10, 24), z(2026, 10, 26)) == 25 * H
    # 02:30 first occurrence is CEST (00:30Z); 03:30 is CET (02:30Z): two hours.
    cal = sundays("Europe/Berlin", (150, 210))
    assert cal.next_opening(z(2026, 10, 25)) == z(2026, 10, 25, 0, 30)
    assert cal.add_business_seconds(z(2026, 10, 25), 2 * H) == z(2026, 10, 25, 2, 30)
    # Office: Fri 2026-10-23 16:00 CEST (14:00Z) + 2h -> Mon 10:00 CET = 09:00Z.
    assert office("Europe/Berlin").add_business_seconds(
        local(BERLIN, 2026, 10, 23, 16), 2 * H
    ) == z(2026, 10, 26, 9)


# -- Lord Howe: a 30-minute shift ---------------------------------------------------------


def test_lord_howe_half_hour_shift() -> None:
    # Fall back 2026-04-05 02:00 LHDT (+11) -> 01:30 LHST (+10:30): a 24.5-hour day.
    day = sundays("Australia/Lord_Howe", (0, 1440))
    assert day.business_seconds(z(2026, 4, 3), z(2026, 4, 6)) == 24 * H + 30 * 60
    # Spring forward 2026-10-04 02:00 LHST -> 02:30 LHDT: a 23.5-hour day.
    assert day.business_seconds(z(2026, 10, 2), z(2026, 10, 5)) == 23 * H + 30 * 60
    # 01:45-02:15 on the spring day: 01:45 LHST = Oct 3 15:15Z; 02:15 is in the gap and
    # snaps to 02:30 LHDT = 15:30Z, leaving 15 minutes.
    short = sundays("Australia/Lord_Howe", (105, 135))
    assert short.next_opening(z(2026, 10, 3)) == z(2026, 10, 3, 15, 15)
    assert short.add_business_seconds(z(2026, 10, 3), 15 * 60) == z(2026, 10, 3, 15, 30)
    # On the fall-back day: 01:45 first pass LHDT = Apr 4 14:45Z; 02:15 LHST = 15:45Z.
    assert short.business_seconds(z(2026, 4, 4), z(2026, 4, 5)) == H
    # Office: Fri 2026-10-02 16:00 LHST (05:30Z) + 2h -> Mon 10:00 LHDT = Oct 4 23:00Z.
    cal = office("Australia/Lord_Howe")
    assert cal.add_business_seconds(local(LORD_HOWE, 2026, 10, 2, 16), 2 * H) == z(2026, 10, 4, 23)


# -- Kolkata: no daylight saving ----------------------------------------------------------


def test_kolkata_without_dst() -> None:
    cal = Calendar("Asia/Kolkata", {d: [(570, 1110)] for d in range(6)})  # Mon-Sat 09:30-18:30
    # Sat 2026-06-13 18:00 IST (12:30Z) + 1h: 30 min Saturday, Mon 09:30-10:00 IST = 04:30Z.
    assert cal.add_business_seconds(local(KOLKATA, 2026, 6, 13, 18), H) == z(2026, 6, 15, 4, 30)
    # A whole week: six days of nine hours.
    assert cal.business_seconds(local(KOLKATA, 2026, 6, 8), local(KOLKATA, 2026, 6, 15)) == 54 * H
    # 1 business day from Saturday 18:00: counting day Saturday, due Monday 18:30 = 13:00Z.
    assert cal.add_business_days(local(KOLKATA, 2026, 6, 13, 18), 1) == z(2026, 6, 15, 13)


# -- a split day --------------------------------------------------------------------------


def test_split_day() -> None:
    cal = Calendar("America/New_York", {d: [(540, 720), (780, 1020)] for d in MON_FRI})
    # Mon 2026-01-12 11:00 EST + 2h: 11-12, then 13-14 -> 14:00 EST = 19:00Z.
    assert cal.add_business_seconds(ny(2026, 1, 12, 11), 2 * H) == z(2026, 1, 12, 19)
    # + 1h ends exactly at the lunch close, 12:00 EST = 17:00Z (not 13:00).
    assert cal.add_business_seconds(ny(2026, 1, 12, 11), H) == z(2026, 1, 12, 17)
    assert not cal.is_open(ny(2026, 1, 12, 12, 30))
    assert cal.next_opening(ny(2026, 1, 12, 12, 30)) == z(2026, 1, 12, 18)
    assert cal.business_seconds(ny(2026, 1, 12, 8), ny(2026, 1, 12, 18)) == 7 * H
    # Started at lunch: Monday is still the counting day; due Tue 17:00 EST = 22:00Z.
    assert cal.add_business_days(ny(2026, 1, 12, 12, 30), 1) == z(2026, 1, 13, 22)


# -- a night shift ------------------------------------------------------------------------


NIGHT = Calendar("America/New_York", {d: [(22 * 60, 6 * 60)] for d in (6, 0, 1, 2, 3)})
"""Sun-Thu 22:00-06:00: each range runs into the next morning and belongs to its start day."""


def test_night_shift_business_time() -> None:
    # Mon 2026-01-12 local day: 00:00-06:00 (Sunday's range) + 22:00-24:00 (Monday's).
    assert NIGHT.business_seconds(ny(2026, 1, 12), ny(2026, 1, 13)) == 8 * H
    # Fri 03:00 (inside Thursday's range) + 4h: 3h to 06:00, then Sun 22:00-23:00 EST,
    # which is Mon 2026-01-19 04:00Z.
    assert NIGHT.add_business_seconds(ny(2026, 1, 16, 3), 4 * H) == z(2026, 1, 19, 4)
    assert NIGHT.is_open(ny(2026, 1, 16, 5, 59)) and not NIGHT.is_open(ny(2026, 1, 16, 6))


def test_night_shift_business_days_count_from_the_start_day() -> None:
    # Tue 02:00 lies in Monday's 22:00-06:00 range, so Monday is the counting day and one
    # business day later is Tuesday's close: Wed 2026-01-14 06:00 EST = 11:00Z.
    assert NIGHT.counting_day(ny(2026, 1, 13, 2)) == date(2026, 1, 12)
    assert NIGHT.add_business_days(ny(2026, 1, 13, 2), 1) == z(2026, 1, 14, 11)
    # Fri 12:00 is closed; the next opening is Sun 22:00, Sunday's range, so Sunday counts
    # first and the close of Monday's range (Tue 06:00 EST = 11:00Z) is due.
    assert NIGHT.counting_day(ny(2026, 1, 16, 12)) == date(2026, 1, 18)
    assert NIGHT.add_business_days(ny(2026, 1, 16, 12), 1) == z(2026, 1, 20, 11)


def test_holiday_closes_the_night_that_starts_on_it() -> None:
    cal = Calendar(
        "America/New_York",
        {d: [(22 * 60, 6 * 60)] for d in (6, 0, 1, 2, 3)},
        holidays=(("US", None),),
    )
    # Wed 2026-11-25 22:00 runs into Thanksgiving morning (it belongs to Wednesday);
    # Thanksgiving night is closed, so after Thu 06:00 EST the next opening is Sun 22:00.
    assert cal.is_open(ny(2026, 11, 26, 5))
    assert cal.next_opening(ny(2026, 11, 26, 6)) == z(2026, 11, 30, 3)


# -- 24:00 --------------------------------------------------------------------------------


def test_end_of_day_2400() -> None:
    cal = Calendar("America/New_York", {4: [(18 * 60, 1440)], 5: [(0, 1440)]})  # Fri eve, Sat
    assert cal == Calendar("America/New_York", {4: [(18 * 60, 0)], 5: [(0, 1440)]})
    # Fri 2026-01-16: 18:00-24:00, six hours; Friday and Saturday touch at midnight.
    assert cal.business_seconds(ny(2026, 1, 16), ny(2026, 1, 17)) == 6 * H
    assert cal.add_business_seconds(ny(2026, 1, 16, 23), H) == z(2026, 1, 17, 5)
    assert cal.add_business_seconds(ny(2026, 1, 16, 23), 2 * H) == z(2026, 1, 17, 6)
    # Business days: Friday 20:00 counts Friday; one day later is Saturday 24:00 EST
    # = Sun 2026-01-18 05:00Z.
    assert cal.add_business_days(ny(2026, 1, 16, 20), 1) == z(2026, 1, 18, 5)
    # Exactly at midnight the Saturday range has begun: Saturday counts.
    assert cal.counting_day(ny(2026, 1, 17)) == date(2026, 1, 17)


# -- a closed week ------------------------------------------------------------------------


def test_closed_week_across_new_year() -> None:
    week = frozenset(date(2026, 12, 28) + timedelta(days=i) for i in range(7))
    cal = office(closed_dates=week)  # Mon 2026-12-28 .. Sun 2027-01-03, no holidays
    # Fri 2026-12-25 16:00 EST + 2h: 1h Friday, then Mon 2027-01-04 09:00-10:00 = 15:00Z.
    assert cal.add_business_seconds(ny(2026, 12, 25, 16), 2 * H) == z(2027, 1, 4, 15)
    assert cal.next_opening(ny(2026, 12, 28, 10)) == z(2027, 1, 4, 14)
    assert cal.business_seconds(ny(2026, 12, 26), ny(2027, 1, 4)) == 0
    # 1 business day from the closed week: counting day 2027-01-04, due Tue 17:00 = 22:00Z.
    assert cal.add_business_days(ny(2026, 12, 28, 10), 1) == z(2027, 1, 5, 22)


# -- business days, the spec's examples ---------------------------------------------------


def test_business_days_from_the_spec() -> None:
    cal = office(holidays=(("US", None),))
    # Started Monday 10:00 -> due Tuesday 17:00 (EST: 22:00Z).
    assert cal.add_business_days(ny(2026, 1, 12, 10), 1) == z(2026, 1, 13, 22)
    # Started Friday 18:00 -> counting from Monday 09:00 -> due Tuesday 17:00.
    assert cal.add_business_days(ny(2026, 1, 9, 18), 1) == z(2026, 1, 13, 22)
    # Friday 2026-01-16 18:00: Monday 2026-01-19 is MLK Day, so counting starts Tuesday.
    assert cal.add_business_days(ny(2026, 1, 16, 18), 1) == z(2026, 1, 21, 22)
    # 0 days is the close of the counting day; 3 days from Monday is Thursday's close.
    assert cal.add_business_days(ny(2026, 1, 12, 10), 0) == z(2026, 1, 12, 22)
    assert cal.add_business_days(ny(2026, 1, 12, 10), 3) == z(2026, 1, 15, 22)
    # at_risk's allowed time for a business-days goal (§13): Mon 10:00 -> Tue 17:00 = 15h.
    due = cal.add_business_days(ny(2026, 1, 12, 10), 1)
    assert cal.business_seconds(ny(2026, 1, 12, 10), due) == 15 * H
    # The enterprise goal: 4 business hours from Monday 15:00 -> Tuesday 11:00 EST.
    assert cal.add_business_seconds(ny(2026, 1, 12, 15), 4 * H) == z(2026, 1, 13, 16)


# -- always -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "start",
    [z(2026, 3, 8, 6, 59, 59), z(1999, 12, 31, 23), z(2026, 11, 1, 5, 30), z(2040, 2, 29, 12)],
)
@pytest.mark.parametrize("seconds", [0, 1, 3599, 86400, 90 * 86400 + 17])
def test_always_is_plain_arithmetic(start: datetime, seconds: int) -> None:
    cal = Calendar.always()
    end = start + timedelta(seconds=seconds)
    assert cal.is_open(start)
    assert cal.next_opening(start) == start
    assert cal.add_business_seconds(start, seconds) == end
    assert cal.business_seconds(start, end) == seconds
    assert cal.business_seconds(end, start) == 0


def test_always_business_days_close_at_utc_midnight() -> None:
    # `always` has UTC days; one business day from Monday 10:00Z is Tuesday's end.
    assert Calendar.always().add_business_days(z(2026, 1, 12, 10), 1) == z(2026, 1, 14)


# -- errors and value semantics -----------------------------------------------------------


def test_calendar_without_open_hours_is_refused() -> None:
    with pytest.raises(CalendarError, match="no open hours"):
        Calendar("UTC", {})
    with pytest.raises(CalendarError, match="no open hours"):
        Calendar("UTC", [[], [], [], [], [], [], []])


def test_calendar_closed_for_years_raises_instead_of_looping() -> None:
    closed = frozenset(date(2026, 1, 1) + timedelta(days=i) for i in range(11 * 366))
    cal = office(closed_dates=closed)
    start = ny(2026, 1, 5, 10)
    with pytest.raises(CalendarError, match="no open time"):
        cal.next_opening(start)
    with pytest.raises(CalendarError, match="no open time"):
        cal.add_business_seconds(start, 1)
    with pytest.raises(CalendarError, match="no open time"):
        cal.add_business_days(start, 1)
    # Elapsed time needs no search and is simply zero.
    assert cal.business_seconds(start, ny(2030, 1, 1)) == 0


def test_absurd_durations_and_instants_are_refused() -> None:
    cal = office()
    with pytest.raises(CalendarError, match="passed year"):
        cal.add_business_seconds(z(2026, 1, 5), 200 * 366 * 86400)  # 200 years of open time
    with pytest.raises(CalendarError, match="outside years"):
        cal.is_open_epoch(10**15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"weekly": {0: [(540, 600), (570, 700)]}}, "overlap"),
        ({"weekly": {6: [(1320, 120)], 0: [(60, 600)]}}, "overlap"),  # Sun night into Mon
        ({"weekly": {0: [(540, 540)]}}, "empty"),
        ({"weekly": {0: [(540, 1441)]}}, "start 0..1439"),
        ({"weekly": {7: [(540, 600)]}}, "weekday"),
        ({"holidays": (("XX", None),)}, "unknown holiday calendar"),
        ({"holidays": (("DE", "ZZ"),)}, "unknown holiday calendar"),
    ],
)
def test_bad_definitions_are_refused(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"timezone": "UTC", "weekly": {0: [(540, 1020)]}, **kwargs}
    with pytest.raises(CalendarError, match=message):
        Calendar(**args)  # type: ignore[arg-type]


def test_bad_queries_are_refused() -> None:
    cal = office()
    with pytest.raises(CalendarError, match="naive"):
        cal.is_open(datetime(2026, 1, 12, 10))
    with pytest.raises(CalendarError, match="negative"):
        cal.add_business_seconds(z(2026, 1, 12), -1)
    with pytest.raises(CalendarError, match="negative"):
        cal.add_business_days(z(2026, 1, 12), -1)


def test_calendar_is_a_value() -> None:
    a = Calendar(
        "America/New_York",
        {0: [(780, 1020), (540, 720)]},
        closed_dates=[date(2026, 12, 24)],
        holidays=[("US", None), ("US", None)],
    )
    b = Calendar(
        "America/New_York",
        [[(540, 720), (780, 1020)], [], [], [], [], [], []],
        closed_dates=frozenset({date(2026, 12, 24)}),
        holidays=(("US", None),),
    )
    a.add_business_seconds(z(2026, 1, 12), H)  # a warm cache changes nothing
    assert a == b and hash(a) == hash(b)
    assert pickle.loads(pickle.dumps(a)) == a
    assert a.weekly[0] == ((540, 720), (780, 1020))
    # Queries far apart, in any order, agree with a fresh calendar's answers.
    early, late = z(2001, 6, 1, 12), z(2035, 6, 1, 12)
    assert a.next_opening(late) == b.next_opening(late)
    assert a.next_opening(early) == Calendar(b.timezone, b.weekly).next_opening(early)
