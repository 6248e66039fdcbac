"""Step three of the pipeline: a loaded program → every diagnostic about it (`check`).

One pass per module, listed in `PASSES` in the order a reader fixes things: what files
hold, then names, then types, then the meaning of each construct. Every pass reads the
same `Context` and yields diagnostics; none stops the others, so one run reports every
problem (LANGUAGE §12). The loader's own diagnostics (imports) come first in the list
handed back, which is then sorted by place and capped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from slalang.check import (
    blocks,
    calendars,
    dates,
    duplicates,
    durations,
    functions,
    imports,
    lets,
    lifecycle,
    names,
    numbers,
    regexes,
    scores,
    targets,
    timezones,
    types,
)
from slalang.check.context import Context
from slalang.diagnostics import Diagnostic, Level, sort_diagnostics
from slalang.load import Program

Pass = Callable[[Context], Iterable[Diagnostic]]

PASSES: tuple[Pass, ...] = (
    imports.check,
    duplicates.check,
    names.check,
    blocks.check,
    types.check,
    functions.check,
    lets.check,
    numbers.check,
    scores.check,
    regexes.check,
    timezones.check,
    dates.check,
    calendars.check,
    durations.check,
    lifecycle.check,
    targets.check,
)

LIMIT = 200
"""Most diagnostics reported (OPA's error limit): past this, fixing beats reading."""

_RANK = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2}


def check(program: Program, limit: int = LIMIT) -> list[Diagnostic]:
    """Every diagnostic of a loaded program, sorted by place, at most `limit` of them
    plus a closing note saying how many more there were. Errors are kept before warnings
    when the list is cut, so a flood of warnings cannot hide an error."""
    context = Context.build(program)
    found = list(program.diagnostics)
    for run in PASSES:
        found.extend(run(context))
    everything = sort_diagnostics(found)
    if len(everything) <= limit:
        return everything
    kept = sorted(everything, key=lambda d: (_RANK[d.level], d.sort_key()))[:limit]
    shown = sort_diagnostics(kept)
    left = len(everything) - limit
    last = shown[-1]
    return [
        *shown,
        Diagnostic(
            "SLA399",
            Level.INFO,
            f"{left} more problem{'s' if left != 1 else ''} not shown",
            last.span,
            help="fix these first, then check again",
        ),
    ]


__all__ = ["LIMIT", "PASSES", "check"]
