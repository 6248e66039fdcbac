"""Cell converters and timestamp parsing: the rules every row is read by."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slalang.calendar import wall_to_epoch
from slalang.data import FieldSpec
from slalang.data.values import NaiveTimestampError, converter, timestamp_parser


@pytest.mark.parametrize(
    ("spec", "text", "value"),
    [
        (FieldSpec("n", "number"), "12", 12.0),
        (FieldSpec("n", "number"), "-0.5", -0.5),
        (FieldSpec("n", "number"), " 7 ", 7.0),
        (FieldSpec("b", "bool"), "TRUE", True),
        (FieldSpec("b", "bool"), "No", False),
        (FieldSpec("b", "bool"), "1", True),
        (FieldSpec("b", "bool"), " yes ", True),
        (FieldSpec("d", "date"), "2026-03-06", date(2026, 3, 6)),
        (FieldSpec("o", "one_of", ("a", "b")), "b", "b"),
    ],
)
def test_converters_accept(spec: FieldSpec, text: str, value: object) -> None:
    convert = converter(spec)
    assert convert is not None
    assert convert(text) == value


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        (FieldSpec("n", "number"), "inf"),
        (FieldSpec("n", "number"), "NaN"),
        (FieldSpec("n", "number"), "1,00"),
        (FieldSpec("n", "number"), "1,0000"),
        (FieldSpec("n", "number"), ",100"),
        (FieldSpec("b", "bool"), "y"),
        (FieldSpec("d", "date"), "2026-02-30"),
        (FieldSpec("o", "one_of", ("a", "b")), "A"),
    ],
)
def test_converters_refuse(spec: FieldSpec, text: str) -> None:
    convert = converter(spec)
    assert convert is not None
    with pytest.raises(ValueError):
        convert(text)


def test_text_is_taken_as_is_and_unknown_types_are_refused() -> None:
    assert converter(FieldSpec("t", "text")) is None
    with pytest.raises(ValueError):
        FieldSpec("x", "money")  # type: ignore[arg-type]


def test_iso_instants_with_offsets() -> None:
    parse = timestamp_parser(None, None)
    assert parse("2026-03-06T10:00:00Z") == parse("2026-03-06T05:00:00-05:00")
    assert parse("2026-03-06T10:00:00.999999+00:00") == parse("2026-03-06T10:00:00Z")
    with pytest.raises(NaiveTimestampError):
        parse("2026-03-06T10:00:00")
    with pytest.raises(ValueError):
        parse("06/03/2026")


def test_a_format_is_tried_first_and_cached() -> None:
    parse = timestamp_parser("%d.%m.%Y %H:%M", ZoneInfo("Europe/Berlin"))
    assert parse("06.03.2026 11:00") == parse("2026-03-06T10:00:00Z")
    assert parse("06.03.2026 11:00") == parse("06.03.2026 11:00")
    aware = timestamp_parser("%Y%m%d %H%M%z", None)
    assert aware("20260306 1100+0100") == parse("2026-03-06T10:00:00Z")


NEW_YORK = ZoneInfo("America/New_York")


@settings(max_examples=300, derandomize=True)
@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)))
def test_local_times_follow_the_shared_wall_time_rule(wall: datetime) -> None:
    """The per-hour offset cache agrees with calendar.wall_to_epoch everywhere, including
    DST gaps (the first second the clock shows the time or later) and repeated hours."""
    wall = wall.replace(microsecond=0)
    parse = timestamp_parser(None, NEW_YORK)
    assert parse(wall.isoformat()) == wall_to_epoch(wall, NEW_YORK)


def test_transition_nights_in_new_york() -> None:
    parse = timestamp_parser(None, NEW_YORK)

    def utc(text: str) -> datetime:
        return datetime.fromtimestamp(parse(text), UTC).replace(tzinfo=None)

    assert utc("2026-03-08T02:30:00") == datetime(2026, 3, 8, 7, 0), "a gap moves forward"
    assert utc("2026-03-08T03:30:00") == datetime(2026, 3, 8, 7, 30)
    assert utc("2026-11-01T01:30:00") == datetime(2026, 11, 1, 5, 30), "first occurrence"
    assert utc("2026-11-01T02:30:00") - utc("2026-11-01T00:30:00") == timedelta(hours=3)
