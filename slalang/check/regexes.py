"""Checking, regular expressions: every `matches` pattern compiles in linear time (§4).

Patterns are compiled with RE2, the engine the evaluator uses, so what passes here runs
there, in time linear in the text, whatever the lead's data. RE2 refuses backreferences
and lookaround outright; those get their own code and a message naming the construct,
because the pattern is valid elsewhere and the fix is to rewrite it, not to repair it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import re2

from slalang import ast
from slalang.check.context import Context
from slalang.diagnostics import Diagnostic, error

_BACKTRACKING = (
    (re.compile(r"\(\?="), "a lookahead `(?=`"),
    (re.compile(r"\(\?!"), "a negative lookahead `(?!`"),
    (re.compile(r"\(\?<="), "a lookbehind `(?<=`"),
    (re.compile(r"\(\?<!"), "a negative lookbehind `(?<!`"),
    (re.compile(r"\(\?>"), "an atomic group `(?>`"),
    (re.compile(r"\(\?P=\w+\)"), "a backreference `(?P=...)`"),
    (re.compile(r"(?<!\\)(?:\\\\)*\\[1-9]"), "a backreference `\\1`"),
)


def check(ctx: Context) -> Iterator[Diagnostic]:
    for node, _ in ctx.nodes():
        if isinstance(node, ast.Matches):
            found = compile_error(node.pattern.value)
            if found is not None:
                code, message, help = found
                yield error(code, message, node.pattern.span, help=help)


@cache
def compile_error(pattern: str) -> tuple[str, str, str] | None:
    """(code, message, help) when RE2 cannot compile `pattern`, else None."""
    options = re2.Options()
    options.log_errors = False  # RE2 would print to stderr; the reason is reported here
    try:
        re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if isinstance(exc.args[0], bytes) else str(exc.args[0])
    else:
        return None
    for construct, words in _BACKTRACKING:
        if construct.search(pattern):
            return (
                "SLA235",
                f"pattern uses {words}, which needs backtracking",
                "policy patterns run in linear time (RE2): no backreferences or lookaround; "
                "test the other case with `not` or a second condition instead",
            )
    what, _, where = reason.partition(": ")
    message = f"invalid regular expression: {what}"
    if where:
        message += f" in `{where}`"
    return ("SLA234", message, "patterns use RE2 syntax: https://github.com/google/re2/wiki/Syntax")
