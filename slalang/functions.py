"""The number functions of the language (LANGUAGE §14.2): one table, read by every stage.

The checker reads the arities, the plan stage folds calls on constants exactly (`Decimal`,
as the rest of a let), and the evaluator computes calls on the run's numbers (`float`).
Both computations live here, side by side, so a let folded at compile time and the same
call evaluated on a lead's numbers round the same way: half away from zero, as people
round by hand (`round(2.5)` is 3, `round(-2.5)` is -3; Python's `round` would give 2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the checker's: evaluating a kept plan imports no syntax tree (plancache)
    from slalang import ast


@dataclass(frozen=True, slots=True)
class Function:
    """A function's name, how many arguments it takes, and what it means in words."""

    name: str
    least: int
    most: int | None  # None: any number from `least` up
    meaning: str

    def arity(self) -> str:
        """How many arguments, in words: `1`, `1 or 2`, `2 or more`."""
        if self.most is None:
            return f"{self.least} or more"
        if self.most == self.least:
            return str(self.least)
        return f"{self.least} or {self.most}"

    def signature(self) -> str:
        return {
            "round": "round(x[, n])",
            "min": "min(a, b, …)",
            "max": "max(a, b, …)",
        }.get(self.name, f"{self.name}(x)")


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("ceil", 1, 1, "the nearest whole number at or above x"),
        Function("floor", 1, 1, "the nearest whole number at or below x"),
        Function("round", 1, 2, "x rounded half away from zero to n decimals (default 0)"),
        Function("min", 2, None, "the least of its arguments"),
        Function("max", 2, None, "the greatest of its arguments"),
        Function("abs", 1, 1, "the absolute value of x"),
    )
}


def whole_literal(node: ast.Expr) -> int | None:
    """The value of a whole-number literal from 0 to `MAX_DIGITS` (`2`, `1_0`), or None
    for anything else: what `round(x, n)` accepts as `n`."""
    from slalang.ast import Number

    if isinstance(node, Number) and 0 <= node.value <= MAX_DIGITS:
        return int(node.value) if node.value == int(node.value) else None
    return None


# ---- exact: folding constants at compile time --------------------------------------------


MAX_DIGITS = 15
"""Most decimals `round` takes: about what a float holds, far more than money needs."""


def _quantize(x: Decimal, digits: int, rounding: str) -> Decimal:
    """x to `digits` decimals, with the precision that needs (the default 28 digits would
    refuse to round a 30-digit number to whole units)."""
    with localcontext() as context:
        context.prec = max(context.prec, x.adjusted() + digits + 2)
        return x.quantize(Decimal(1).scaleb(-digits), rounding=rounding)


def fold(name: str, args: Sequence[Decimal], digits: int = 0) -> Decimal:
    """A call on constants, exactly. `digits` is `round`'s second argument."""
    match name:
        case "ceil":
            return _quantize(args[0], 0, ROUND_CEILING)
        case "floor":
            return _quantize(args[0], 0, ROUND_FLOOR)
        case "round":
            return _quantize(args[0], digits, ROUND_HALF_UP)
        case "min":
            return min(args)
        case "max":
            return max(args)
        case "abs":
            return abs(args[0])
    raise ValueError(f"unknown function `{name}`")


# ---- on the run's numbers ------------------------------------------------------------------


def round_text(x: float, digits: int) -> float:
    """Half away from zero on the decimal text of x, so `round(2.675, 2)` is 2.68 as
    written, not 2.67 as the binary float nearest 2.675 would give. (The compiled kernel
    computes the same in machine code: `slalang.engine.compile.rounding_source`.)"""
    if not math.isfinite(x):
        return x
    return float(_quantize(Decimal(repr(x)), digits, ROUND_HALF_UP))


def _whole(rounding: Callable[[float], int]) -> Callable[[float], float]:
    def apply(x: float) -> float:
        return float(rounding(x)) if math.isfinite(x) else x

    return apply


_CEIL = _whole(math.ceil)
_FLOOR = _whole(math.floor)


def evaluator(name: str, digits: int = 0) -> Callable[[Sequence[float]], float]:
    """The function as a callable on floats (every argument already known not to be None)."""
    match name:
        case "ceil":
            return lambda args: _CEIL(args[0])
        case "floor":
            return lambda args: _FLOOR(args[0])
        case "round":
            return lambda args: round_text(args[0], digits)
        case "min":
            return min
        case "max":
            return max
        case "abs":
            return lambda args: abs(args[0])
    raise ValueError(f"unknown function `{name}`")
