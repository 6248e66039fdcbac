"""Checking, imports: an imported file brings definitions, never obligations (LANGUAGE §3).

Import paths, cycles and missing files are the loader's (SLA004 to SLA006); this pass adds
the rule on what an imported file may hold. An agreement, an SLA, a target, a handoff, a
recycle or an exit rule belongs to the policy that is judged, so in a file that is only
imported it would be silently ignored: that is an error instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from slalang import ast
from slalang.check.context import Context, head
from slalang.diagnostics import Diagnostic, error
from slalang.symbols import IMPORTABLE

_KEYWORDS: dict[type, str] = {
    ast.Agreement: "agreement",
    ast.Recycle: "recycle",
    ast.Exit: "exit",
    ast.Handoff: "handoff",
    ast.Sla: "sla",
    ast.Target: "target",
}


def check(ctx: Context) -> Iterator[Diagnostic]:
    for module in ctx.program.modules:
        if module is ctx.program.entry:
            continue
        for statement in module.statements:
            if isinstance(statement, IMPORTABLE):
                continue
            keyword = _KEYWORDS[type(statement)]
            yield error(
                "SLA007",
                f"an imported file may hold only definitions, found `{keyword}`",
                head(statement.span, len(keyword)),
                help="move it into the policy that imports this file; imported files "
                "share events, fields, metrics, lets, calendars, scores and stages",
            )
