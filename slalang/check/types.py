"""Checking, types: conditions are yes/no tests, arithmetic is on numbers (LANGUAGE §4).

Each expression is typed once by `infer`, which reports mismatched comparisons, values
outside a `one of` set, `matches` on non-text, `is present` on non-fields, and `and`/`or`/
`not` on non-conditions. This pass adds what depends on where the expression stands: a
`when`/`where` must be a condition, a `require` item a field or a condition, and no
expression may divide by zero. Lets and target goals have passes of their own for the
rest of what they may hold.
"""

from __future__ import annotations

from collections.abc import Iterator

from slalang import ast
from slalang.check.context import FILTERED, Context, Role, walk
from slalang.check.infer import Kind, Type, describe, infer, need_condition
from slalang.diagnostics import Diagnostic, error


def check(ctx: Context) -> Iterator[Diagnostic]:
    for root in ctx.roots:
        if root.role is Role.LET:
            yield from _division_by_zero(ctx, root.expr)
            continue  # the lets pass says what a let may hold
        typed = infer(ctx, root.expr)
        diagnostics = typed.diagnostics
        if root.role is Role.CONDITION:
            need_condition(ctx, root.expr, typed.of(root.expr), diagnostics)
        elif root.role is Role.REQUIRE:
            _require(ctx, root.expr, typed.of(root.expr), diagnostics)
        for node in walk(root.expr):
            if isinstance(node, FILTERED) and node.where is not None:
                need_condition(ctx, node.where, typed.of(node.where), diagnostics)
        yield from diagnostics
        yield from _division_by_zero(ctx, root.expr)


def _require(ctx: Context, expr: ast.Expr, t: Type, out: list[Diagnostic]) -> None:
    """`require email` asks for a field's presence; anything else must be a condition."""
    if isinstance(expr, ast.Ref):
        resolved = ctx.resolve(expr.name.name)
        if resolved in ("score", "let"):
            out.append(
                error(
                    "SLA223",
                    f"`require` takes fields or conditions, found the {resolved} "
                    f"`{expr.name.name}`",
                    expr.span,
                    help=f"write a condition, e.g. `require {expr.name.name} >= 10`",
                )
            )
        return
    if t.kind not in (Kind.CONDITION, Kind.UNKNOWN):
        out.append(
            error(
                "SLA223",
                f"`require` takes fields or conditions, found {describe(ctx, expr, t)}",
                expr.span,
                help="name a field (`require email`) or write a condition "
                "(`require company_size > 0`)",
            )
        )


def _division_by_zero(ctx: Context, root: ast.Expr) -> Iterator[Diagnostic]:
    for node in walk(root):
        if isinstance(node, ast.BinOp) and node.op == "/" and ctx.constant(node.right) == 0:
            literal = isinstance(node.right, ast.Number | ast.Percent)
            yield error(
                "SLA233",
                "division by zero",
                node.right.span,
                help=None if literal else "this divisor works out to 0",
            )
