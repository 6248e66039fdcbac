"""Checking, scores: rules that add something, caps that allow something, no circles.

`+0` changes nothing (a warning: probably a placeholder); `at most` caps a rule's points
and must be positive, while `limit` caps the block and may be any number (scores may be
negative, LANGUAGE §6). A score read by its own rules, directly or through other scores,
has no value to read.
"""

from __future__ import annotations

from collections.abc import Iterator

from slalang import ast
from slalang.check.context import Context, find_cycles, walk
from slalang.diagnostics import Diagnostic, error, warning


def check(ctx: Context) -> Iterator[Diagnostic]:
    graph: dict[str, list[str]] = {}
    for name, score in ctx.symbols.scores.items():
        graph[name] = []
        for item in score.items:
            if isinstance(item, ast.WhenRule | ast.PerRule):
                yield from _rule(item)
            predicate = item.predicate if isinstance(item, ast.WhenRule) else None
            predicate = item.where if isinstance(item, ast.PerRule) else predicate
            if predicate is not None:
                graph[name].extend(
                    n.name.name
                    for n in walk(predicate)
                    if isinstance(n, ast.Ref) and ctx.resolve(n.name.name) == "score"
                )
    for cycle in find_cycles(graph):
        score = ctx.symbols.scores[cycle[0]]
        chain = "" if len(cycle) == 2 else ": " + " → ".join(f"`{n}`" for n in cycle)
        yield error(
            "SLA228",
            f"score `{cycle[0]}` is defined in terms of itself{chain}",
            score.name.span,
            help="a score's rules may read fields and other scores, but not itself",
        )


def _rule(rule: ast.WhenRule | ast.PerRule) -> Iterator[Diagnostic]:
    if rule.points.value == 0:
        yield warning(
            "SLA317",
            "this rule adds 0 points",
            rule.points.span,
            help="give it points, e.g. `+5`, or remove it",
        )
    if isinstance(rule, ast.PerRule) and rule.at_most is not None and rule.at_most.value <= 0:
        yield error(
            "SLA316",
            f"`at most` must be more than 0, found `{rule.at_most.raw}`",
            rule.at_most.span,
            help="`at most` caps the points this rule can add; remove it for no cap",
        )
