"""Checking, blocks: the items of each `{ }` block, none missing and none given twice.

What a block must hold is what it cannot work without: an SLA needs a start, a stop and
at least one `within` goal; a target needs its goal; a handoff needs a `require`; a score
needs a rule. An agreement needs nothing (its zone defaults to UTC), and a calendar with no
`open` line is the calendars pass's "never open". Items that set one thing (`version`,
`timezone`, `owner`, `severity`, `warn`, `limit`, a target's goal) may be given once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from slalang import ast
from slalang.check.context import Context
from slalang.diagnostics import Diagnostic, error

_ONCE: dict[type, str] = {
    ast.Version: "version",
    ast.Effective: "effective",
    ast.Timezone: "timezone",
    ast.Description: "description",
    ast.Owner: "owner",
    ast.Severity: "severity",
    ast.Warn: "warn at",
    ast.Limit: "limit",
    ast.TargetGoal: "goal",
}


def check(ctx: Context) -> Iterator[Diagnostic]:
    for statement in ctx.statements:
        match statement:
            case ast.Agreement() | ast.CalendarDecl() | ast.Handoff():
                yield from _once(statement.items)
            case ast.ScoreDecl() | ast.Sla() | ast.Target():
                yield from _once(statement.items)
        yield from _required(statement)


def _once(items: Sequence[object]) -> Iterator[Diagnostic]:
    first: dict[type, ast.Span] = {}
    for item in items:
        kind = type(item)
        if kind not in _ONCE:
            continue
        span: ast.Span = item.span  # type: ignore[attr-defined]
        if kind in first:
            what = _ONCE[kind]
            message = (
                f"a target has one goal, and it is already set on line {first[kind].line}"
                if kind is ast.TargetGoal
                else f"`{what}` is already set on line {first[kind].line}"
            )
            yield error(
                "SLA216",
                message,
                span,
                help="keep one of them"
                if kind is not ast.TargetGoal
                else "write a second target for another period or goal",
            )
        else:
            first[kind] = span


def _required(statement: ast.Statement) -> Iterator[Diagnostic]:
    match statement:
        case ast.Sla():
            has = {type(item) for item in statement.items}
            name = f"sla `{statement.name.name}`"
            if not has & {ast.StartEntering, ast.StartOn}:
                yield _missing(
                    name, "`start` line", statement.name, "add e.g. `start when entering mql`"
                )
            if ast.Stop not in has:
                yield _missing(
                    name,
                    "`stop` line",
                    statement.name,
                    "add e.g. `stop on sales_touch`: without it no clock ever stops",
                )
            if ast.Goal not in has:
                yield _missing(
                    name, "`within` goal", statement.name, "add e.g. `within 4 business hours`"
                )
        case ast.Target():
            if not any(isinstance(item, ast.TargetGoal) for item in statement.items):
                yield _missing(
                    f"target `{statement.name.name}`",
                    "goal",
                    statement.name,
                    "add e.g. `monthly: count(entering mql) >= 50`",
                )
        case ast.Handoff():
            if not any(isinstance(item, ast.Require) for item in statement.items):
                yield _missing(
                    f"the handoff of `{statement.stage.name}`",
                    "`require` line",
                    statement.stage,
                    "add the fields that must be filled in, e.g. `require email`",
                )
        case ast.ScoreDecl():
            if not any(isinstance(i, ast.WhenRule | ast.PerRule) for i in statement.items):
                yield _missing(
                    f"score `{statement.name.name}`",
                    "rule",
                    statement.name,
                    "add e.g. `+10 per demo_request`; a score with no rule is 0",
                )


def _missing(owner: str, item: str, ident: ast.Ident, help: str) -> Diagnostic:
    return error("SLA300", f"{owner} has no {item}", ident.span, help=help)
