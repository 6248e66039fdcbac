"""Checking, numbers: every number a policy writes or works out fits what runs it.

The evaluator computes on float64, the columnar engine compares whole numbers exactly only
up to 2^53 (about 9 * 10^15), and reports print what they are given. So a number written
in a policy — in a condition, a let, a target's goal, an `in` list, a score's points, an
`at most` or a `limit` — and every constant the policy works out from such numbers (a let,
`1_000_000 * 1_000_000_000`) is at most `MAX_NUMBER` either way. Past that, a 400-digit
let would otherwise pass `check` and fail `evaluate` (it does not fit a float), or be
compared differently by two engines. Durations have their own bound (`durations.py`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from slalang import ast
from slalang.check.context import Context, children, postorder
from slalang.diagnostics import Diagnostic, error
from slalang.syntax.parser import shorten

MAX_NUMBER = 10**15
"""Largest magnitude of a number in a policy: a round bound below 2^53, where float64 still
holds every whole number exactly; a quadrillion, far past any count, score or amount."""


def check(ctx: Context) -> Iterator[Diagnostic]:
    for root in ctx.roots:
        yield from _expression(ctx, root.expr)
    for score in ctx.symbols.scores.values():
        for item in score.items:
            if isinstance(item, ast.WhenRule | ast.PerRule):
                yield from _literal(item.points)
            if isinstance(item, ast.PerRule) and item.at_most is not None:
                yield from _literal(item.at_most)
            if isinstance(item, ast.Limit):
                yield from _literal(item.value)


def out_of_range(value: float | None) -> bool:
    return value is not None and not (math.isfinite(value) and abs(value) <= MAX_NUMBER)


def _expression(ctx: Context, expr: ast.Expr) -> Iterator[Diagnostic]:
    """Each literal out of range, and each constant worked out of numbers in range that
    comes out of it (the innermost one: `(a * b) * c` is reported at `a * b` only)."""
    values = ctx.constants(expr)
    for node in postorder(expr):
        if isinstance(node, ast.Number | ast.Percent):
            yield from _literal(node)
            continue
        if isinstance(node, ast.Ref) or not out_of_range(values[id(node)]):
            continue  # a let is reported where it is defined
        if any(out_of_range(values[id(child)]) for child in children(node)):
            continue
        yield error(
            "SLA240",
            f"`{_shown(ctx.source_of(node.span))}` works out to {values[id(node)]:.3g}, "
            "beyond 10^15",
            node.span,
            help=_HELP,
        )


def _literal(node: ast.Number | ast.Percent) -> Iterator[Diagnostic]:
    if not out_of_range(node.value):
        return
    yield error("SLA240", f"the number `{_shown(node.raw)}` is beyond 10^15", node.span, help=_HELP)


_HELP = "numbers in a policy are at most 10^15 (1_000_000_000_000_000) either way"


def _shown(text: str) -> str:
    """User text on one line and cut short: a 400-digit number stays a readable message."""
    return shorten(" ".join(text.split()))
