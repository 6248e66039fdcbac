"""Checking, durations: positive, in a unit that fits, on a calendar that is known (§2, §5).

Business time is counted in minutes, hours or days of a calendar; a business week is not
defined. A business duration names its calendar with `using`, and may leave it out when
the policy defines exactly one. A score window (`score x within …`) and a rate's window
(`rate(a -> b within …)`) have no `using`, so a business one there needs that single
calendar. Business days are whole days. `using` on a calendar-time duration is ignored,
which is worth a warning: the writer probably meant business time.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from slalang import ast
from slalang.check.calendars import open_week
from slalang.check.context import ALWAYS, Context
from slalang.diagnostics import Diagnostic, error, warning
from slalang.syntax.parser import shorten


def check(ctx: Context) -> Iterator[Diagnostic]:
    calendars = ctx.symbols.calendars
    for duration, goal in ctx.durations:
        amount = duration.amount
        if amount.value <= 0:
            yield error(
                "SLA303",
                f"a duration must be more than zero, found `{duration.text()}`",
                duration.span,
                help="give the time allowed, e.g. `4 hours`",
            )
        elif duration.business and duration.unit == "days" and _fraction(amount.value):
            yield error(
                "SLA303",
                f"business days are counted whole, found `{duration.text()}`",
                duration.span,
                help="use business hours for part of a day, e.g. `12 business hours`",
            )
        if duration.business and duration.unit == "weeks":
            yield error(
                "SLA304",
                "business time is counted in minutes, hours or days, not weeks",
                duration.span,
                help=f"write `{_as_days(amount)} business days` for a five-day week",
            )
        named = goal.calendar if goal is not None else None
        if duration.business and named is None and len(calendars) != 1:
            yield error(
                "SLA305",
                f"`{duration.text()}` needs a calendar"
                + (", and the policy defines none" if not calendars else ""),
                duration.span,
                help=_calendar_help(ctx, goal),
            )
        yield from _too_long(ctx, duration, goal)
        if not duration.business and named is not None and named.name != ALWAYS:
            yield warning(
                "SLA306",
                f"calendar `{named.name}` is ignored: `{duration.text()}` is calendar time",
                named.span,
                help=f"write `{_business(duration).text()}` to count on the calendar",
            )


MAX_DAYS = 3_650
"""Longest duration: ten years (3,650 days, 87,600 hours). Far past any response window or
score memory, and short enough that a deadline computed from any event up to year 9989
stays a date, and that business time found on a calendar — searched a hundred years ahead
at most — is found: business durations are bounded by what their calendar is open in
`MAX_WEEKS` weeks, so even a calendar open one hour a week, holidays and all, gets there."""
MAX_WEEKS = 521


def _too_long(ctx: Context, duration: ast.Duration, goal: ast.Goal | None) -> Iterator[Diagnostic]:
    amount = duration.amount.value
    if duration.business and duration.unit == "weeks":
        return  # SLA304
    if not duration.business:
        if amount * ast.UNIT_SECONDS[duration.unit] > MAX_DAYS * 86_400:
            yield error(
                "SLA320",
                f"`{_shown(duration)}` is longer than {MAX_DAYS:,} days (ten years)",
                duration.span,
                help="a duration is at most 3,650 days, 521 weeks or 87,600 hours",
            )
        return
    name = ctx.calendar_for(duration, goal)
    if name is None or (name != ALWAYS and name not in ctx.symbols.calendars):
        return  # SLA305 or SLA204
    days, minutes = open_week(ctx.symbols.calendars.get(name))
    if minutes == 0:
        return  # never open, or its hours are wrong: the calendar's own errors say so
    if duration.unit == "days":
        most, unit = days * MAX_WEEKS, "days"
    else:
        most = minutes * MAX_WEEKS // (60 if duration.unit == "hours" else 1)
        unit = duration.unit
    if amount > most:
        yield error(
            "SLA320",
            f"`{_shown(duration)}` is more than calendar `{name}` is open in ten years "
            f"({most:,} business {unit})",
            duration.span,
            help=f"a business duration is at most what its calendar is open in {MAX_WEEKS} weeks",
        )


def _shown(duration: ast.Duration) -> str:
    return shorten(duration.text())


def _business(duration: ast.Duration) -> ast.Duration:
    return ast.Duration(duration.amount, duration.unit, True, duration.span)


def _as_days(amount: ast.Number) -> str:
    days = amount.value * 5
    return str(days) if _fraction(days) or not math.isfinite(days) else str(int(days))


def _fraction(value: float) -> bool:
    """Not a whole number (an infinity, from a 400-digit amount, is SLA320's to report)."""
    return math.isfinite(value) and not value.is_integer()


def _calendar_help(ctx: Context, goal: ast.Goal | None) -> str:
    names = list(ctx.symbols.calendars)
    if goal is not None and names:
        return "add `using " + "` or `using ".join(names) + "`"
    if goal is not None:
        return "add `using always`, or define a `calendar` block"
    if names:
        return "with several calendars only SLA goals can say which one they use (`using`)"
    return "define a `calendar` block, or use calendar time such as `3 days`"
