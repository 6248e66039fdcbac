"""A breach's message (how late, in words) for many breaches at once.

`slalang.numbers` writes a duration as its days, hours and minutes, each in words from
babel; a run's breaches share few such words (hours 1 to 23, minutes 1 to 59, a few
day counts). So each distinct value of each part is written once, by `slalang.numbers`
itself, and Arrow puts every breach's parts together, the zero ones left out as
`numbers` leaves them out.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from slalang import numbers as n
from slalang.engine.lines import TEXT, distinct_rows, join, table
from slalang.evaluate.aggregate import STATUSES
from slalang.evaluate.report import breach_message

Ints = npt.NDArray[np.int64]


def _parts(values: Ints, word: Callable[[int], str], keep: npt.NDArray[np.bool_]) -> pa.Array:
    """`word(value)` where `keep`, null elsewhere; `word` asked once per distinct value."""
    shown = values[keep]
    distinct, inverse = np.unique(shown, return_inverse=True)
    table = pa.array([word(v) for v in distinct.tolist()], TEXT)
    index = np.zeros(len(values), np.int64)
    index[keep] = inverse
    return table.take(pa.array(index, mask=~keep))


def _spaced(parts: Sequence[pa.Array]) -> pa.Array:
    """Each row's non-null parts, a space between them."""
    joined: pa.Array = pc.binary_join_element_wise(
        *parts, pa.scalar(" ", TEXT), null_handling="skip"
    )
    return joined


@functools.lru_cache(maxsize=4096)
def _long(value: int, unit: str) -> str:
    """`numbers._long`, kept: a process folding many partitions says the same few
    numbers in each, and babel takes tens of microseconds a word."""
    return n._long(value, unit)


@functools.lru_cache(maxsize=4096)
def _business(seconds: int, days: int = 0) -> str:
    """`numbers.business_duration`, kept (see `_long`)."""
    return n.business_duration(seconds, days)


def _unit(unit: str) -> Callable[[int], str]:
    return lambda value: _long(value, unit)


def durations(seconds: Ints) -> pa.Array:
    """`numbers.duration` of each span."""
    small = seconds < 60
    days, rest = np.divmod(seconds, 86400)
    hours, rest = np.divmod(rest, 3600)
    minutes = rest // 60
    return _spaced(
        [
            _parts(seconds, _unit("second"), small),
            _parts(days, _unit("day"), ~small & (days != 0)),
            _parts(hours, _unit("hour"), ~small & (hours != 0)),
            _parts(minutes, _unit("minute"), ~small & (minutes != 0)),
        ]
    )


def business_durations(seconds: Ints, days: Ints) -> pa.Array:
    """`numbers.business_duration` of each (open seconds, whole business days): the
    first part said with `business` (as `business_duration` of that part alone says it),
    the others as plain units."""
    hours, rest = np.divmod(seconds, 3600)
    minutes = rest // 60
    first = np.select([days != 0, hours != 0, minutes != 0], [0, 1, 2], 3)
    return _spaced(
        [
            _parts(days, lambda v: _business(0, v), days != 0),
            _parts(hours, lambda v: _business(v * 3600), first == 1),
            _parts(hours, _unit("hour"), (first == 0) & (hours != 0)),
            _parts(minutes, lambda v: _business(v * 60), first == 2),
            _parts(minutes, _unit("minute"), (first < 2) & (minutes != 0)),
            _parts(seconds, _business, first == 3),
        ]
    )


def latenesses(wall: Ints, days: Ints, seconds: Ints, business: npt.NDArray[np.bool_]) -> pa.Array:
    """`numbers.lateness` of each breach: `wall` seconds late on the wall clock, and where
    `business` (a business goal's breach) `days` whole business days and `seconds` further
    open seconds."""
    clock = durations(wall)
    late = join([pc.if_else(pa.array(business), business_durations(seconds, days), clock), " late"])
    alone = ~business | ((days == 0) & (seconds == wall))  # the calendar was open all along
    both = join([late, ", ", clock, " on the wall clock"])
    chosen: pa.Array = pc.if_else(pa.array(alone), late, both)
    return chosen


def messages(
    status: Ints, goal: Ints, goals: Sequence[str | None], paused: Ints, late: pa.Array
) -> pa.Array:
    """`breach_message` of each breach, its goal `goals[goal]` and its words `late`: the
    reference's message written once for each (status, goal, paused time) there is,
    around a mark no goal holds."""
    mark = "\x00" * (1 + max(len(text or "") for text in goals))
    keys = np.stack([status, goal, paused], axis=1)
    distinct, kind = distinct_rows(keys)
    around = [
        breach_message(STATUSES[s], goals[g], p, mark).split(mark) for s, g, p in distinct.tolist()
    ]
    return join([table([a[0] for a in around], kind), late, table([a[1] for a in around], kind)])
