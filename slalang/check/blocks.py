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
from slalang.check.context import Context, head
from slalang.diagnostics import Diagnostic, error, warning

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
    ast.Pause: "pause",
    ast.Resume: "resume",
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
                help=_once_help(kind, what),
            )
        else:
            first[kind] = span


def _once_help(kind: type, what: str) -> str:
    if kind is ast.TargetGoal:
        return "write a second target for another period or goal"
    if kind in (ast.Pause, ast.Resume):
        return f"list every event on one line, as `stop` does: `{what} on a, b`"
    return "keep one of them"


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
            yield from _pause_and_resume(statement, has)
            yield from _pause_that_stops(statement)
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


def _pause_and_resume(sla: ast.Sla, has: set[type]) -> Iterator[Diagnostic]:
    """A clock that pauses must be able to resume, and `resume` alone never applies (§14.1)."""
    for present, absent, hint in (
        (
            ast.Pause,
            ast.Resume,
            "add e.g. `resume on lead_replied`: a paused clock never ran again",
        ),
        (ast.Resume, ast.Pause, "add e.g. `pause on callback_requested`, or remove the `resume`"),
    ):
        if present in has and absent not in has:
            item = next(i for i in sla.items if isinstance(i, present))
            word, other = _ONCE[present], _ONCE[absent]
            yield error(
                "SLA318",
                f"sla `{sla.name.name}` has `{word}` but no `{other}`",
                head(item.span, len(word)),
                help=hint,
            )


def _pause_that_stops(sla: ast.Sla) -> Iterator[Diagnostic]:
    """An event that matches `stop` stops the clock, so listing it under `pause` too does
    nothing (unless the stop has a `where` that may not hold)."""
    stopping = {
        event.name
        for item in sla.items
        if isinstance(item, ast.Stop) and item.trigger.where is None
        for event in item.trigger.events
    }
    for item in sla.items:
        if isinstance(item, ast.Pause):
            for event in item.trigger.events:
                if event.name in stopping:
                    yield warning(
                        "SLA319",
                        f"`{event.name}` also stops the clock, so it never pauses it",
                        event.span,
                        help="an event that matches `stop` closes the clock; "
                        "list it under `stop` or under `pause`, not both",
                    )


def _missing(owner: str, item: str, ident: ast.Ident, help: str) -> Diagnostic:
    return error("SLA300", f"{owner} has no {item}", ident.span, help=help)
