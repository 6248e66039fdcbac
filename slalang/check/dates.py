"""Checking, dates: every date written is a real day, and the agreement ends after it starts.

`2026-02-30` has the shape of a date, so it parses; here it is reported (LANGUAGE §2), as
is a date in year 1 or 9999 (see `FIRST`).
`effective FROM until TO` covers FROM to TO, both days included, so TO may equal FROM
but may not be before it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date

from slalang import ast
from slalang.check.context import Context
from slalang.diagnostics import Diagnostic, error

FIRST = date(2, 1, 1)
LAST = date(9998, 12, 31)
"""Dates a policy may write: a year inside Python's calendar on either side, so that the
day after an `until`, or a midnight moved to UTC from any time zone, is still a date."""


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def check(ctx: Context) -> Iterator[Diagnostic]:
    for literal in _dates(ctx):
        day = parse_date(literal.value)
        if day is None:
            yield error(
                "SLA301",
                f"`{literal.value}` is not a date",
                literal.span,
                help=_why(literal.value),
            )
        elif not FIRST <= day <= LAST:
            yield error(
                "SLA301",
                f"`{literal.value}` is out of range",
                literal.span,
                help=f"dates in a policy run from {FIRST.isoformat()} to {LAST.isoformat()}",
            )
    agreement = ctx.symbols.agreement
    for item in agreement.items if agreement else ():
        if isinstance(item, ast.Effective) and item.until is not None:
            start, until = parse_date(item.start.value), parse_date(item.until.value)
            if start and until and until < start:
                yield error(
                    "SLA302",
                    f"the agreement ends on `{until.isoformat()}`, before it starts on "
                    f"`{start.isoformat()}`",
                    item.until.span,
                    help="`effective FROM until TO` needs TO on or after FROM",
                )


def _dates(ctx: Context) -> Iterator[ast.DateLit]:
    for statement in ctx.statements:
        if isinstance(statement, ast.Agreement):
            for item in statement.items:
                if isinstance(item, ast.Effective):
                    yield item.start
                    if item.until is not None:
                        yield item.until
        elif isinstance(statement, ast.CalendarDecl):
            for line in statement.items:
                if isinstance(line, ast.ClosedDates):
                    yield from line.dates
    for node, _ in ctx.nodes():
        if isinstance(node, ast.DateLit):
            yield node


def _why(text: str) -> str:
    year, month, day = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        return "months run from 01 to 12"
    last = calendar.monthrange(year, month)[1] if year >= 1 else 31
    name = calendar.month_name[month]
    return f"{name} {year} has {last} days" if day > last or day < 1 else "dates are YYYY-MM-DD"
