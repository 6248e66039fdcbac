"""Checking, durations: positive, in a unit that fits, on a calendar that is known (§2, §5).

Business time is counted in minutes, hours or days of a calendar; a business week is not
defined. A business duration names its calendar with `using`, and may leave it out when
the policy defines exactly one. A score window (`score x within …`) and a rate's window
(`rate(a -> b within …)`) have no `using`, so a business one there needs that single
calendar. Business days are whole days. `using` on a calendar-time duration is ignored,
which is worth a warning: the writer probably meant business time.
"""

from __future__ import annotations

from collections.abc import Iterator

from slalang import ast
from slalang.check.context import ALWAYS, Context
from slalang.diagnostics import Diagnostic, error, warning


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
        elif duration.business and duration.unit == "days" and amount.value != int(amount.value):
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
        if not duration.business and named is not None and named.name != ALWAYS:
            yield warning(
                "SLA306",
                f"calendar `{named.name}` is ignored: `{duration.text()}` is calendar time",
                named.span,
                help=f"write `{_business(duration).text()}` to count on the calendar",
            )


def _business(duration: ast.Duration) -> ast.Duration:
    return ast.Duration(duration.amount, duration.unit, True, duration.span)


def _as_days(amount: ast.Number) -> str:
    days = amount.value * 5
    return str(int(days)) if days == int(days) else str(days)


def _calendar_help(ctx: Context, goal: ast.Goal | None) -> str:
    names = list(ctx.symbols.calendars)
    if goal is not None and names:
        return "add `using " + "` or `using ".join(names) + "`"
    if goal is not None:
        return "add `using always`, or define a `calendar` block"
    if names:
        return "with several calendars only SLA goals can say which one they use (`using`)"
    return "define a `calendar` block, or use calendar time such as `3 days`"
