"""Checking, time zones: every `timezone` names an IANA zone that zoneinfo can load.

Periods, dates and calendars are read in these zones (LANGUAGE §3, §5), so a misspelt zone
would silently shift every deadline; it is an error with the closest zone name suggested.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from functools import cache

from slalang import ast
from slalang.check.context import Context, did_you_mean, suggest
from slalang.diagnostics import Diagnostic, error


def check(ctx: Context) -> Iterator[Diagnostic]:
    for statement in ctx.statements:
        if isinstance(statement, ast.Agreement | ast.CalendarDecl):
            for item in statement.items:
                if isinstance(item, ast.Timezone) and not valid_zone(item.value.value):
                    name = item.value.value
                    yield error(
                        "SLA212",
                        f"unknown time zone `{name}`",
                        item.value.span,
                        label=did_you_mean(_closest(name)),
                        help="use an IANA zone name such as `America/New_York`, "
                        "`Europe/Berlin` or `UTC`",
                    )


@cache
def valid_zone(name: str) -> bool:
    if name in _zones():
        return True
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _closest(name: str) -> str | None:
    folded = {z.lower().replace(" ", "_"): z for z in _zones()}
    exact = folded.get(name.strip().lower().replace(" ", "_"))
    return exact or suggest(name, _zones())
