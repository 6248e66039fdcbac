"""A goal's deadline and elapsed time for many clocks at once: `Goal.deadline` and
`Goal.elapsed` as numpy searches over the calendar's open intervals.

The reference answers one clock at a time with `bisect` over the same intervals; here the
extreme instants are asked of the reference first, which makes the calendar generate every
year the answers can fall in (and raise the reference's own error, if any), and the rest
is read from a snapshot of its intervals (`Calendar.intervals`) with the very same
arithmetic, so the answers are the reference's.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from slalang.calendar import Calendar
from slalang.evaluate.model import Goal

Instants = npt.NDArray[np.int64]


def deadlines(goal: Goal, starts: Instants) -> Instants:
    """`goal.deadline(start)` of each start."""
    calendar = goal.calendar
    if goal.kind == "calendar" or calendar is None:
        return starts + goal.amount
    if not len(starts):
        return starts.copy()
    for start in (int(starts.min()), int(starts.max())):
        goal.deadline(start)
    table = calendar.intervals()
    if goal.kind == "business_days":
        raw_end = np.asarray(table.raw_end, np.int64)
        raw_day = np.asarray(table.raw_day, np.int64)
        day = raw_day[np.searchsorted(raw_end, starts, side="right")] + goal.amount
        return np.asarray(table.day_close, np.int64)[day]
    if goal.amount == 0:
        return starts.copy()
    target = _open_before(table.starts, table.ends, table.cum_end, starts) + goal.amount
    cum_end = np.asarray(table.cum_end, np.int64)
    k = np.searchsorted(cum_end, target, side="left")
    due: Instants = np.asarray(table.ends, np.int64)[k] - (cum_end[k] - target)
    return due


def add_business_seconds(calendar: Calendar, starts: Instants, amounts: Instants) -> Instants:
    """`calendar.add_business_seconds_epoch(start, amount)` of each pair (amounts are not
    negative). The answer grows with the start and with the amount, so asking the
    reference about the lowest start and for the highest start with the highest amount
    makes the calendar generate every year the answers can fall in."""
    asked = starts[amounts > 0]  # an amount of 0 is the start itself, asked or not
    if not len(asked):
        return starts.copy()
    calendar.is_open_epoch(int(asked.min()))
    calendar.add_business_seconds_epoch(int(asked.max()), int(amounts.max()))
    table = calendar.intervals()
    target = _open_before(table.starts, table.ends, table.cum_end, starts) + amounts
    cum_end = np.asarray(table.cum_end, np.int64)
    k = np.searchsorted(cum_end, target, side="left")
    due: Instants = np.asarray(table.ends, np.int64)[k] - (cum_end[k] - target)
    return np.where(amounts == 0, starts, due)


def elapsed(goal: Goal, starts: Instants, ends: Instants) -> Instants:
    """`goal.elapsed(start, end)` of each pair: business seconds for business goals."""
    calendar = goal.calendar
    if goal.kind == "calendar" or calendar is None:
        spans: Instants = np.maximum(0, ends - starts)
        return spans
    if not len(starts):
        return np.zeros(0, np.int64)
    return business_seconds(calendar, starts, ends)


def business_seconds(calendar: Calendar, a: Instants, b: Instants) -> Instants:
    """`calendar.business_seconds_epoch(a, b)` of each pair."""
    low = int(min(a.min(), b.min()))
    high = int(max(a.max(), b.max()))
    calendar.business_seconds_epoch(low, high)  # covers both ends, as the reference does
    table = calendar.intervals()
    before_b = _open_before(table.starts, table.ends, table.cum_end, b)
    before_a = _open_before(table.starts, table.ends, table.cum_end, a)
    return np.where(b > a, before_b - before_a, 0)


def _open_before(
    starts_list: list[int], ends_list: list[int], cum_list: list[int], at: Instants
) -> Instants:
    """Open seconds from the first generated interval up to each instant."""
    starts = np.asarray(starts_list, np.int64)
    i = np.searchsorted(starts, at, side="right")
    previous = np.maximum(i - 1, 0)
    ends = np.asarray(ends_list, np.int64)
    cum = np.asarray(cum_list, np.int64)
    inside = cum[previous] - np.maximum(0, ends[previous] - at)
    return np.where(i == 0, 0, inside)


def lateness(
    calendar: Calendar, kind: str, due: Instants, end: Instants
) -> tuple[Instants, Instants]:
    """(whole business days, further open seconds) from each deadline to the end of its
    lateness, as `Lateness.words` counts them: for a business-days goal the day closes
    passed since the deadline, then the open seconds since the last of them."""
    if kind != "business_days":
        return np.zeros(len(due), np.int64), business_seconds(calendar, due, end)
    for ts in (int(due.min()), int(due.max())):
        calendar.add_business_days_epoch(ts, 0)
    calendar.counting_day_epoch(int(end.max()))  # generates a day closing after every end
    table = calendar.intervals()
    raw_end = np.asarray(table.raw_end, np.int64)
    first = np.asarray(table.raw_day, np.int64)[np.searchsorted(raw_end, due, side="right")]
    day_close = np.asarray(table.day_close, np.int64)
    days = np.maximum(0, np.searchsorted(day_close, end, side="right") - first)
    since = np.where(days > 0, day_close[np.maximum(first + days - 1, 0)], due)
    return days, business_seconds(calendar, since, end)
