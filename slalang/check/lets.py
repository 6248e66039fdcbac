"""Checking, lets: named constants, made of numbers, percentages and other lets (§3).

A let is fixed before any data is read, so it may not read a lead's fields, scores or
aggregates; a let defined in terms of itself, directly or through other lets, has no value.
"""

from __future__ import annotations

from collections.abc import Iterator

from slalang import ast
from slalang.check.context import AGGREGATE_WORDS, AGGREGATES, Context, find_cycles
from slalang.diagnostics import Diagnostic, error


def check(ctx: Context) -> Iterator[Diagnostic]:
    graph: dict[str, list[str]] = {}
    for name, let in ctx.symbols.lets.items():
        graph[name] = []
        yield from _contents(ctx, let, graph[name])
    for cycle in find_cycles(graph):
        let = ctx.symbols.lets[cycle[0]]
        chain = "" if len(cycle) == 2 else ": " + " → ".join(f"`{n}`" for n in cycle)
        yield error(
            "SLA228",
            f"let `{cycle[0]}` is defined in terms of itself{chain}",
            let.name.span,
            help="give one of them a number" if chain else "a let cannot read its own value",
        )


def _contents(ctx: Context, let: ast.Let, depends: list[str]) -> Iterator[Diagnostic]:
    stack = [let.expr]
    while stack:
        node = stack.pop()
        match node:
            case ast.Number() | ast.Percent():
                continue
            case ast.BinOp():
                stack.extend((node.right, node.left))
                continue
            case ast.Negate():
                stack.append(node.operand)
                continue
            case ast.Call():
                stack.extend(reversed(node.args))
                continue
            case ast.Ref():
                name = node.name.name
                kind = ctx.resolve(name)
                if kind == "let":
                    depends.append(name)
                elif kind is not None:
                    yield error(
                        "SLA227",
                        f"a let cannot read the {kind} `{name}`",
                        node.span,
                        help="a let is a fixed number; use the "
                        f"{kind} in a condition or a target instead",
                    )
                continue
        if isinstance(node, AGGREGATES):
            word = AGGREGATE_WORDS[type(node)]
            yield error(
                "SLA227",
                f"a let cannot use `{word}(...)`",
                node.span,
                help="a let is a fixed number; put the aggregate in the target's goal",
            )
        else:
            yield error(
                "SLA227",
                "a let must be a number",
                node.span,
                help="a let holds numbers, percentages and arithmetic on other lets",
            )
