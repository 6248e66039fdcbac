"""Checking, targets: aggregates where they belong, goals that compare numbers (§10).

Aggregates (`count`, `sum`, `rate`, `compliance`, `metric`) measure a period, so they
appear only in target goals, and not inside another aggregate's `where` (which reads one
lead). Conversely a target goal has no single lead: outside a `where` it may not read a
field or a score. A goal is one comparison of numbers that measures something (it uses an
aggregate). A `rate` or a `compliance` is a share, at most 100%: comparing one with more
can never be met (or never missed), so it is an error.
"""

from __future__ import annotations

from collections.abc import Iterator

from slalang import ast
from slalang.check.context import (
    AGGREGATE_WORDS,
    AGGREGATES,
    FILTERED,
    Context,
    Role,
    children,
    walk,
)
from slalang.check.infer import Kind, describe, field_type, infer
from slalang.diagnostics import Diagnostic, error


def check(ctx: Context) -> Iterator[Diagnostic]:
    for root in ctx.roots:
        if root.role is Role.TARGET:
            yield from _goal(ctx, root.expr)
        elif root.role is not Role.LET:  # the lets pass reports aggregates in lets
            yield from _no_aggregates(root.expr, "only in a target's goal")


def _no_aggregates(expr: ast.Expr, where: str) -> Iterator[Diagnostic]:
    for node in walk(expr):
        if isinstance(node, AGGREGATES):
            word = AGGREGATE_WORDS[type(node)]
            yield error(
                "SLA229",
                f"`{word}(...)` can be used {where}",
                node.span,
                help="conditions read one lead at one moment; aggregates measure a period",
            )


def _period_level(expr: ast.Expr) -> Iterator[ast.Expr]:
    """The nodes of a goal outside any aggregate's `where`: what is read per period."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, AGGREGATES):
            stack.extend(reversed(children(node)))


def _goal(ctx: Context, expr: ast.Expr) -> Iterator[Diagnostic]:
    measures = False
    lead_state = False
    for node in _period_level(expr):
        if isinstance(node, AGGREGATES):
            measures = True
            yield from _aggregate(ctx, node)
        elif isinstance(node, ast.Ref) and ctx.resolve(node.name.name) in ("field", "score"):
            lead_state = True
            kind = ctx.resolve(node.name.name)
            yield error(
                "SLA236",
                f"a target's goal cannot read the {kind} `{node.name.name}` of a lead",
                node.span,
                help="a target measures many leads; filter them with `where`, e.g. "
                f"`count(entering {_example_stage(ctx)} where {node.name.name} ...)`",
            )
    if not isinstance(expr, ast.Compare):
        yield error(
            "SLA230",
            "a target's goal must compare what it measures with a number",
            expr.span,
            help=f"e.g. `count(entering {_example_stage(ctx)}) >= 5`",
        )
        return
    typed = infer(ctx, expr)
    sides = [(side, typed.of(side)) for side in (expr.left, expr.right)]
    if all(t.kind not in (Kind.NUMBER, Kind.UNKNOWN) for _, t in sides) and not lead_state:
        side, t = sides[0]
        yield error(
            "SLA230",
            f"a target's goal must compare numbers, found {describe(ctx, side, t)}",
            expr.span,
            help=f"e.g. `count(entering {_example_stage(ctx)}) >= 5`",
        )
    elif not measures and not lead_state:
        yield error(
            "SLA230",
            "this goal measures nothing: it uses no count, sum, rate, compliance or metric",
            expr.span,
            help=f"e.g. `count(entering {_example_stage(ctx)}) >= 5`",
        )
    yield from _share(ctx, expr)


def _example_stage(ctx: Context) -> str:
    order = ctx.symbols.stage_order
    return order[-1] if order else "STAGE"


def _aggregate(ctx: Context, node: ast.Expr) -> Iterator[Diagnostic]:
    if isinstance(node, FILTERED) and node.where is not None:
        yield from _no_aggregates(node.where, "only in a target's goal, not in a `where`")
    if isinstance(node, ast.SumField):
        decl = ctx.symbols.fields.get(node.field.name)
        if decl is not None:
            t = field_type(decl)
            if t.kind not in (Kind.NUMBER, Kind.UNKNOWN):
                word = "`one of`" if t.kind is Kind.CHOICE else t.kind.value
                yield error(
                    "SLA231",
                    f"`sum` needs a number field, found the {word} field `{node.field.name}`",
                    node.field.span,
                    help="count the entries instead: `count(entering "
                    f"{node.stage.name} where {node.field.name} is present)`",
                )


def _share(ctx: Context, compare: ast.Compare) -> Iterator[Diagnostic]:
    """`rate(...) >= 120%`: a share compared with a constant above 100%."""
    for share, other in ((compare.left, compare.right), (compare.right, compare.left)):
        if not isinstance(share, ast.Rate | ast.Compliance):
            continue
        value = ctx.constant(other)
        if value is not None and value > 1:
            word = "a rate" if isinstance(share, ast.Rate) else "compliance"
            found = (
                f"found `{other.raw}`"
                if isinstance(other, ast.Number | ast.Percent)
                else f"and this works out to {value:.0%}"
            )
            yield error(
                "SLA232",
                f"{word} is at most 100%, {found}",
                other.span,
                help="rates and compliance are shares between 0% and 100%, so this goal "
                "is always met or never met",
            )
