"""Data in, cell by cell: typed field values and instants parsed from the text of an export.

Each converter is chosen once per column and then called per cell, so the choice of type,
zone and format is made outside the hot loop. Converters raise ValueError for a bad cell;
the reader turns that into a counted rejection.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from slalang.calendar import wall_to_epoch

FieldType = Literal["text", "number", "bool", "date", "one_of"]
FieldValue = str | float | bool | date
Converter = Callable[[str], FieldValue]

FIELD_TYPES: tuple[FieldType, ...] = ("text", "number", "bool", "date", "one_of")

#: The rejection reason for a cell a converter refused, per field type (any text is valid).
BAD_VALUE_REASONS: dict[FieldType, str] = {
    "number": "bad_number",
    "bool": "bad_bool",
    "date": "bad_date",
    "one_of": "bad_option",
}

_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)
_HOUR = 3600

# Distinct strptime inputs remembered per read; a bound keeps memory flat on exports whose
# timestamps are all different, while minute-resolution exports hit the cache almost always.
_FORMAT_CACHE_LIMIT = 1 << 17


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A declared lead field as the reader needs it: its name, type and, for `one of`, options."""

    name: str
    type: FieldType
    options: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"unknown field type {self.type!r}")


class NaiveTimestampError(ValueError):
    """A timestamp without a UTC offset read when no time zone is known for the export."""


class OutOfRangeError(ValueError):
    """An instant outside the years slalang computes with (FIRST_YEAR to LAST_YEAR)."""


#: The years an instant may fall in. Python's dates end at 0001 and 9999, and a deadline,
#: a business-time search or the period after the last one must still be a date; a CRM
#: export never holds such years except as typos (`0026`) or sentinels (`9999-12-31`
#: for "never"), which are bad timestamps, not a reason for the run to die.
FIRST_YEAR, LAST_YEAR = 1000, 8999
EARLIEST = (datetime(FIRST_YEAR, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
    seconds=1
)
LATEST = (
    datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)
) // timedelta(seconds=1)


def check_range(ts: int) -> int:
    """`ts` itself when it is in the years slalang computes with, else OutOfRangeError."""
    if not EARLIEST <= ts < LATEST:
        raise OutOfRangeError(f"outside the years {FIRST_YEAR} to {LAST_YEAR}")
    return ts


def _finite(text: str) -> float:
    value = float(text)
    if value - value != 0.0:  # nan and ±inf: not a count, amount or size anyone exported
        raise ValueError(text)
    return value


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """How an export writes numbers: the decimal mark and the thousands separator
    (`""` for none). The default reads `1,200.5`; `NumberFormat(",", ".")` reads `1.200,5`."""

    decimal: str = "."
    thousands: str = ","

    def __post_init__(self) -> None:
        if self.decimal not in (".", ","):
            raise ValueError(f"unknown decimal mark {self.decimal!r}")
        if self.decimal == self.thousands:
            raise ValueError("the decimal mark and the thousands separator must differ")

    def grouped(self) -> re.Pattern[str]:
        """A number written with this format's marks: digits grouped by three around the
        thousands separator (so `1,2` is not 12), an optional fraction and exponent."""
        digits = r"\d+"
        if self.thousands:
            digits = rf"(?:\d{{1,3}}(?:{re.escape(self.thousands)}\d{{3}})+|\d+)"
        fraction = rf"(?:{re.escape(self.decimal)}\d+)?"
        return re.compile(rf"\s*[+-]?{digits}{fraction}(?:[eE][+-]?\d+)?\s*\Z")


DEFAULT_NUMBERS = NumberFormat()

#: Spaces an export may group thousands with (a plain space, no-break space, narrow one).
_SPACES = (" ", "\u00a0", "\u202f")


def _numbers(numbers: NumberFormat) -> Callable[[str], float]:
    """The number converter of one format. In the default format, what Python's float
    reads is taken first (`12`, `-0.5`, `1e6`), then grouped thousands (`1,200`); in any
    other a cell must match the format, since `1.200` means 1200 there and float would
    read 1.2."""
    pattern = numbers.grouped()
    spaces = numbers.thousands == " "

    def grouped(text: str) -> float:
        if spaces:
            for space in _SPACES[1:]:
                text = text.replace(space, " ")
        if pattern.match(text) is None:
            raise ValueError(text)
        plain = text.strip()
        if numbers.thousands:
            plain = plain.replace(numbers.thousands, "")
        return _finite(plain.replace(numbers.decimal, "."))

    if numbers == DEFAULT_NUMBERS:

        def number(text: str) -> float:
            try:
                return _finite(text)
            except ValueError:
                return grouped(text)

        return number
    return grouped


_number = _numbers(DEFAULT_NUMBERS)


def _bool(text: str) -> bool:
    value = _BOOLS.get(text)
    if value is None:
        value = _BOOLS.get(text.strip().lower())
        if value is None:
            raise ValueError(text)
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        # CRMs often export date fields as midnight instants; the date is taken as written
        return datetime.fromisoformat(text).date()


def _one_of(options: tuple[str, ...]) -> Converter:
    table = {option: sys.intern(option) for option in options}

    def convert(text: str) -> str:
        value = table.get(text)
        if value is None:
            raise ValueError(text)
        return value

    return convert


def converter(spec: FieldSpec, numbers: NumberFormat = DEFAULT_NUMBERS) -> Converter | None:
    """The function turning a non-empty cell into the field's value; None for text (as is)."""
    if spec.type == "number":
        return _number if numbers == DEFAULT_NUMBERS else _numbers(numbers)
    if spec.type == "bool":
        return _bool
    if spec.type == "date":
        return _date
    if spec.type == "one_of":
        return _one_of(spec.options)
    return None


def printable(text: str, limit: int = 60) -> str:
    """A cell's text as it can be shown and written as UTF-8: bytes that were not text (read
    with `surrogateescape`, or a JSON lone surrogate) as `\\xNN`, line ends escaped,
    shortened when long."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text.replace("\n", "\\n").replace("\r", "\\r")


def quote(text: str, limit: int = 60) -> str:
    """User text in backticks for a one-line message, shortened when long."""
    return "`" + printable(text, limit) + "`"


class LocalClock:
    """Local wall time → UTC epoch seconds in one zone, by slalang's one wall-time rule
    (`calendar.wall_to_epoch`: a time in a DST gap is the first second the clock shows it or
    later, an ambiguous time its first occurrence), with the offset cached per hour.

    That rule costs a few microseconds, more than the rest of a row, while offsets only
    change at transitions: an hour that is unambiguous at both ends with one offset is
    cached; any hour that holds or touches a transition is resolved exactly every time.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        #: hour since the epoch in local time → its offset in seconds; None: a transition
        self.offsets: dict[int, int | None] = {}

    def _plain_offset(self, wall: datetime) -> int | None:
        """The offset at `wall` when it is neither in a gap nor ambiguous, else None."""
        first = wall.replace(tzinfo=self.zone).utcoffset()
        second = wall.replace(tzinfo=self.zone, fold=1).utcoffset()
        return first // _SECOND if first == second and first is not None else None

    def to_epoch(self, wall: datetime) -> int:
        local = (wall - _NAIVE_EPOCH) // _SECOND
        hour = local // _HOUR
        try:
            offset = self.offsets[hour]
        except KeyError:
            start = _NAIVE_EPOCH + timedelta(hours=hour)
            first = self._plain_offset(start)
            last = self._plain_offset(start + timedelta(seconds=_HOUR - 1))
            offset = self.offsets[hour] = first if first == last else None
        if offset is None:
            return wall_to_epoch(wall, self.zone)
        return local - offset


def timestamp_parser(
    formats: str | tuple[str, ...] | None, zone: ZoneInfo | LocalClock | None
) -> Callable[[str], int]:
    """A function from a timestamp cell to UTC epoch seconds, floored to the second.

    Flooring keeps an event in the second (and so the day and period) it was written in.
    With `formats`, cells are read with strptime, each format in order, and fall back to
    ISO-8601; without them, ISO-8601 only (`datetime.fromisoformat`, which takes `Z`). A
    format without a time reads a date as local midnight, by the same wall-time rule as any
    local time. A timestamp without an offset is read in `zone`, and raises
    NaiveTimestampError when there is none; anything else unreadable raises ValueError.
    Given a LocalClock, its `offsets` show afterwards whether any local time was read.
    """
    formats = _formats(formats)
    from_iso = datetime.fromisoformat
    clock = LocalClock(zone) if isinstance(zone, ZoneInfo) else zone

    def to_epoch(moment: datetime) -> int:
        if moment.tzinfo is not None:
            return check_range((moment - _EPOCH) // _SECOND)
        if clock is None:
            raise NaiveTimestampError
        try:
            return check_range(clock.to_epoch(moment))
        except (OverflowError, OSError) as exc:  # year 1 or 9999 near a zone's edge
            raise OutOfRangeError(str(exc)) from None

    if not formats:
        offsets = clock.offsets if clock is not None else {}
        earliest, latest = EARLIEST, LATEST

        def parse_iso(text: str) -> int:
            # this runs per row: the common cases (an offset, or a local time in an hour
            # already seen) are inlined, everything else goes through to_epoch
            moment = from_iso(text)
            if moment.tzinfo is not None:
                ts = (moment - _EPOCH) // _SECOND
            else:
                local = (moment - _NAIVE_EPOCH) // _SECOND
                offset = offsets.get(local // _HOUR)
                if offset is None:
                    return to_epoch(moment)
                ts = local - offset
            if not earliest <= ts < latest:
                raise OutOfRangeError(text)
            return ts

        return parse_iso

    cache: dict[str, int] = {}

    def parse_format(text: str) -> int:
        epoch = cache.get(text)
        if epoch is None:
            epoch = to_epoch(_moment(text, formats))
            if len(cache) >= _FORMAT_CACHE_LIMIT:
                cache.clear()
            cache[text] = epoch
        return epoch

    return parse_format


def _moment(text: str, formats: tuple[str, ...]) -> datetime:
    """A timestamp cell as the datetime it writes: the formats in order, then ISO-8601."""
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return datetime.fromisoformat(text)


def without_offset(text: str, formats: str | tuple[str, ...] | None) -> bool:
    """Whether a timestamp cell the parser of `formats` accepted writes no UTC offset, so
    its instant came from a zone (the one a reader records when it was only assumed)."""
    return _moment(text, _formats(formats)).tzinfo is None


def _formats(formats: str | tuple[str, ...] | None) -> tuple[str, ...]:
    """One format or several, as a tuple (a mapping's key takes either)."""
    if formats is None:
        return ()
    return (formats,) if isinstance(formats, str) else formats


def describe_bad_timestamp(
    text: str, formats: str | tuple[str, ...] | None, error: ValueError | None = None
) -> str:
    """The rejection detail for a timestamp cell that could not be read."""
    formats = _formats(formats)
    if isinstance(error, OutOfRangeError):
        return f"{quote(text)} is outside the years {FIRST_YEAR} to {LAST_YEAR}"
    if not formats:
        return f"{quote(text)} is not an ISO-8601 instant"
    if len(formats) == 1:
        return f"{quote(text)} matches neither `{formats[0]}` nor ISO-8601"
    shown = ", ".join(f"`{fmt}`" for fmt in formats)
    return f"{quote(text)} matches none of {shown} nor ISO-8601"
