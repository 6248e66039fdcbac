"""Checking, dates: every date written is a real day, and the agreement ends after it starts.

`2026-02-30` has the shape of a date, so it parses; here it is reported (LANGUAGE §2).
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


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def check(ctx: Context) -> Iterator[Diagnostic]:
    for literal in _dates(ctx):
        if parse_date(literal.value) is None:
            yield error(
                "SLA301",
                f"`{literal.value}` is not a date",
                literal.span,
                help=_why(literal.value),
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
