"""Checking, lifecycle: stages, handoffs, recycles and SLA goals that can actually happen.

A stage without a trigger is a milestone a lead can only skip (LANGUAGE §7): counting it
as reached is fine, but a handoff on it, an SLA started by entering it, or a count of its
entries would never fire, so those are errors. A recycle to the last stage never happens
(no lead is ever past it), a warning. SLA goals are tried in order and the first that
holds wins, so a goal after one that always holds (`otherwise`, or no condition) can never
be chosen; goals that may all fail leave cycles `exempt`, a warning. `warn at` must lie
strictly between 0% and 100%: at 0% every clock is at risk from its start, and at 100% a
clock past its time is already missed, never at risk.
"""

from __future__ import annotations

from collections.abc import Iterator

from slalang import ast
from slalang.check.context import Context, location
from slalang.diagnostics import Diagnostic, error, warning


def check(ctx: Context) -> Iterator[Diagnostic]:
    for statement in ctx.statements:
        match statement:
            case ast.Handoff():
                yield from _entered(ctx, statement.stage, "a handoff on it never runs")
            case ast.Recycle():
                yield from _recycle(ctx, statement)
            case ast.Sla():
                yield from _sla(ctx, statement)
    for node, _ in ctx.nodes():
        if isinstance(node, ast.CountStage) and node.mode == "entering":
            yield from _entered(
                ctx, node.stage, "its count of entries is always 0", help_reach=True
            )
        elif isinstance(node, ast.SumField):
            yield from _entered(ctx, node.stage, "the sum over its entries is always 0")


def _entered(
    ctx: Context, stage: ast.Ident, consequence: str, *, help_reach: bool = False
) -> Iterator[Diagnostic]:
    decl = ctx.symbols.stages.get(stage.name)
    if decl is None or ctx.enterable(stage.name):
        return
    help = f"give the stage a trigger, e.g. `stage {stage.name} on EVENT` (line {decl.span.line})"
    if help_reach:
        help += f", or count `reaching {stage.name}`"
    yield error(
        "SLA311",
        f"stage `{stage.name}` is never entered, so {consequence}",
        stage.span,
        help=help,
    )


def _recycle(ctx: Context, recycle: ast.Recycle) -> Iterator[Diagnostic]:
    order = ctx.symbols.stage_order
    if order and recycle.stage.name == order[-1]:
        yield warning(
            "SLA312",
            f"no lead is ever past the last stage `{recycle.stage.name}`, so this recycle "
            "never happens",
            recycle.stage.span,
            help="recycle to an earlier stage, e.g. `recycle to " + order[0] + " on ...`",
        )


def _sla(ctx: Context, sla: ast.Sla) -> Iterator[Diagnostic]:
    for item in sla.items:
        if isinstance(item, ast.StartEntering):
            yield from _entered(ctx, item.stage, "this SLA's clock never starts")
        elif isinstance(item, ast.Warn):
            yield from _warn(item)
    goals = [item for item in sla.items if isinstance(item, ast.Goal)]
    catch_all: ast.Goal | None = None
    for goal in goals:
        if catch_all is not None:
            second = isinstance(goal.condition, ast.Otherwise) and isinstance(
                catch_all.condition, ast.Otherwise
            )
            yield error(
                "SLA314",
                "a second `otherwise` can never be chosen"
                if second
                else "this goal can never be chosen: the goal before it always applies",
                goal.span,
                help=f"goals are tried in order; the one at {location(catch_all.span)} "
                "matches every lead, so put it last",
            )
        elif goal.condition is None or isinstance(goal.condition, ast.Otherwise):
            catch_all = goal
    if goals and catch_all is None:
        yield warning(
            "SLA313",
            f"sla `{sla.name.name}` has no `otherwise` goal, so leads matching no goal get "
            "no deadline",
            goals[-1].span,
            help="their clocks are counted as `exempt`; add e.g. `within 1 day otherwise`",
        )


def _warn(item: ast.Warn) -> Iterator[Diagnostic]:
    share = item.share.value
    if share > 1:
        yield error(
            "SLA232",
            f"`warn at` is a share of the time allowed, at most 100%, found `{item.share.raw}`",
            item.share.span,
            help="e.g. `warn at 75%` flags clocks three quarters of the way to the deadline",
        )
    elif share <= 0 or share == 1:
        why = (
            "every clock would be at risk from its start"
            if share <= 0
            else ("a clock at 100% of its time is missed, never at risk")
        )
        yield error(
            "SLA315",
            f"`warn at {item.share.raw}` never helps: {why}",
            item.share.span,
            help="choose a share between 0% and 100%, e.g. `warn at 75%`",
        )
