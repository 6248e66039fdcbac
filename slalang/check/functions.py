"""Checking, function calls: a known function, the right number of arguments (§14.2).

`ceil`, `floor`, `round`, `min`, `max` and `abs` are the whole list; a misspelt name gets
the closest one suggested. `round(x, n)` takes its number of decimals as a whole-number
literal, so the rounding a reader sees is the rounding applied, whatever the data says.
The types of the arguments are the types pass's (numbers only, SLA224).
"""

from __future__ import annotations

from collections.abc import Iterator

from slalang import ast
from slalang.check.context import Context, did_you_mean, suggest, words
from slalang.diagnostics import Diagnostic, error
from slalang.functions import FUNCTIONS, MAX_DIGITS, whole_literal
from slalang.syntax.parser import shorten


def check(ctx: Context) -> Iterator[Diagnostic]:
    for node, _ in ctx.nodes():
        if isinstance(node, ast.Call):
            yield from _call(ctx, node)


def _call(ctx: Context, node: ast.Call) -> Iterator[Diagnostic]:
    name = node.function.name
    function = FUNCTIONS.get(name)
    if function is None:
        yield error(
            "SLA237",
            f"unknown function `{name}`",
            node.function.span,
            help=f"the functions are {words(FUNCTIONS, 'and')}",
            label=did_you_mean(suggest(name, FUNCTIONS)),
        )
        return
    count = len(node.args)
    if count < function.least or (function.most is not None and count > function.most):
        given = f"{count} argument{'s' if count != 1 else ''}"
        yield error(
            "SLA238",
            f"`{name}` takes {function.arity()} argument"
            f"{'s' if function.arity() != '1' else ''}, found {given}",
            node.span,
            help=f"`{function.signature()}`: {function.meaning}",
        )
        return
    if name == "round" and count == 2 and whole_literal(node.args[1]) is None:
        yield error(
            "SLA239",
            f"the decimals of `round` must be a whole number from 0 to {MAX_DIGITS}, found "
            f"`{shorten(' '.join(ctx.source_of(node.args[1].span).split()))}`",
            node.args[1].span,
            help="e.g. `round(x, 2)` for cents, `round(x)` for whole numbers",
        )
