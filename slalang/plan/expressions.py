"""Plan stage: expressions and durations of the checked AST → small JSON trees, constants folded.

Everything that does not depend on a lead is computed here, once: `let` names are replaced by
their values, constant arithmetic is folded (`revenue_goal / mql_value` → 56.25) and
durations become whole seconds or whole business days. Folding uses `Decimal` read from the
literal text as written, so `10% + 20%` is 0.3 and not 0.30000000000000004 — the goals a
RevOps manager sees in a report are the numbers they wrote.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from slalang import ast
from slalang.ast import UNIT_SECONDS
from slalang.check.context import walk
from slalang.functions import fold, whole_literal
from slalang.symbols import Symbols

Node = dict[str, Any]
"""One expression node of the plan, e.g. `{"score": "fit"}`; see docs/plan.md."""

Folded = Decimal | Node
"""A lowered expression: a number known at compile time, or a node for the evaluator."""

FIELD_TYPES = {
    "text": "text",
    "number": "number",
    "bool": "bool",
    "date": "date",
    "one of": "one_of",
}


def json_number(value: Decimal) -> int | float:
    """A folded number as JSON writes it: integral values as integers (`56`, not `56.0`)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def literal_decimal(node: ast.Number | ast.Percent) -> Decimal:
    """The exact value of a number or percentage, read from its text when it has one."""
    if node.raw:
        text = node.raw.replace("_", "")
        if isinstance(node, ast.Percent):
            return Decimal(text.removesuffix("%")) / 100
        return Decimal(text)
    return Decimal(repr(node.value))


class ExprLowerer:
    """Lowers expressions against one program's definitions; lets are folded once, lazily."""

    def __init__(self, symbols: Symbols, source_text: Callable[[ast.Span], str]) -> None:
        self.symbols = symbols
        self.source_text = source_text
        self._lets: dict[str, Folded] = {}
        self._folding: set[str] = set()

    # -- entry points -------------------------------------------------------------------

    def expr(self, node: ast.Expr) -> Node:
        """An expression as a plan node (a constant becomes `{"num": …}`)."""
        return as_node(self.lower(node))

    def optional(self, node: ast.Expr | None) -> Node | None:
        return None if node is None else self.expr(node)

    def number(self, node: ast.Expr) -> Decimal:
        """An expression that must be a compile-time number (points, limits, shares)."""
        folded = self.lower(node)
        if not isinstance(folded, Decimal):
            raise AssertionError(f"expected a constant number at {_where(node)}")
        return folded

    def text(self, node: ast.Expr) -> str:
        """The expression as written, on one line: for messages such as a failed `require`."""
        return " ".join(self.source_text(node.span).split())

    # -- lowering -------------------------------------------------------------------------

    def lower(self, node: ast.Expr) -> Folded:
        match node:
            case ast.Number() | ast.Percent():
                return literal_decimal(node)
            case ast.String():
                return {"str": node.value}
            case ast.Bool():
                return {"bool": node.value}
            case ast.DateLit():
                return {"date": node.value}
            case ast.Ref():
                return self._ref(node)
            case ast.BinOp():
                return self._arith(node)
            case ast.Negate():
                operand = self.lower(node.operand)
                if isinstance(operand, Decimal):
                    return -operand
                return {"op": "neg", "args": [operand]}
            case ast.Compare():
                return {"op": node.op, "args": [self.expr(node.left), self.expr(node.right)]}
            case ast.InList():
                return {
                    "op": "not_in" if node.negated else "in",
                    "arg": self.expr(node.subject),
                    "values": [self._scalar(v) for v in node.values],
                }
            case ast.Matches():
                return {
                    "op": "matches",
                    "arg": self.expr(node.subject),
                    "pattern": node.pattern.value,
                }
            case ast.Presence():
                return {
                    "op": "present" if node.present else "missing",
                    "field": self.field_name(node.subject),
                }
            case ast.BoolOp():
                return {"op": node.op, "args": self._flatten(node.op, node)}
            case ast.Not():
                return {"op": "not", "args": [self.expr(node.operand)]}
            case ast.Call():
                return self._call(node)
            case _:
                return self._aggregate(node)

    def field_name(self, node: ast.Expr) -> str:
        """The field a presence test or `require` names (the checker allows nothing else)."""
        if isinstance(node, ast.Ref) and node.name.name in self.symbols.fields:
            return node.name.name
        raise AssertionError(f"expected a field name at {_where(node)}")

    def _ref(self, node: ast.Ref) -> Folded:
        name = node.name.name
        if name in self.symbols.lets:
            return self._let(name)
        if name in self.symbols.fields:
            kind = self.symbols.fields[name].type.kind.name
            return {"field": name, "type": FIELD_TYPES[kind]}
        if name in self.symbols.scores:
            return {"score": name}
        raise AssertionError(f"unresolved name `{name}` at {_where(node)}")

    def _let(self, name: str) -> Folded:
        """A let's value, folding first the lets it reads, in order, with a stack of our own:
        a chain of 3,000 lets, each using the one before, must not recurse 3,000 deep."""
        pending = [name]
        while pending:
            current = pending[-1]
            if current in self._lets:
                pending.pop()
                continue
            unfolded = [
                node.name.name
                for node in walk(self.symbols.lets[current].expr)
                if isinstance(node, ast.Ref)
                and node.name.name in self.symbols.lets
                and node.name.name not in self._lets
            ]
            if unfolded and current not in self._folding:
                self._folding.add(current)
                pending.extend(unfolded)
                continue
            if unfolded:
                raise AssertionError(f"let `{current}` is defined in terms of itself")
            self._lets[current] = self.lower(self.symbols.lets[current].expr)
            self._folding.discard(current)
            pending.pop()
        return self._lets[name]

    def _arith(self, node: ast.BinOp) -> Folded:
        left, right = self.lower(node.left), self.lower(node.right)
        if isinstance(left, Decimal) and isinstance(right, Decimal):
            try:
                return _ARITHMETIC[node.op](left, right)
            except (DivisionByZero, InvalidOperation) as exc:
                raise AssertionError(f"constant division by zero at {_where(node)}") from exc
        return {"op": node.op, "args": [as_node(left), as_node(right)]}

    def _call(self, node: ast.Call) -> Folded:
        """A function on constants folds exactly, as any let (`ceil(90000 / 1600)` is 57);
        on a lead's or a period's numbers it is a node: `round` carries its decimals."""
        name = node.function.name
        digits = 0
        operands = node.args
        if name == "round" and len(node.args) == 2:
            written = whole_literal(node.args[1])
            if written is None:
                raise AssertionError(f"`round` decimals not a whole literal at {_where(node)}")
            digits, operands = written, node.args[:1]
        args = [self.lower(a) for a in operands]
        constants = [a for a in args if isinstance(a, Decimal)]
        if len(constants) == len(args):
            return fold(name, constants, digits)
        lowered: Node = {"op": name, "args": [as_node(a) for a in args]}
        if name == "round":
            lowered["digits"] = digits
        return lowered

    def _flatten(self, op: str, node: ast.Expr) -> list[Node]:
        """`a and b and c` as one node with three arguments: one loop, no recursion."""
        operands: list[Node] = []
        pending = [node]
        while pending:
            current = pending.pop()
            if isinstance(current, ast.BoolOp) and current.op == op:
                pending += (current.right, current.left)
            else:
                operands.append(self.expr(current))
        return operands

    def _scalar(self, node: ast.Expr) -> str | int | float | bool:
        """A value of an `in (…)` list: a literal or a let, as a plain JSON value."""
        folded = self.lower(node)
        if isinstance(folded, Decimal):
            return json_number(folded)
        for key in ("str", "bool", "date"):
            if key in folded:
                value: str | bool = folded[key]
                return value
        raise AssertionError(f"expected a constant at {_where(node)}")

    def _aggregate(self, node: ast.Expr) -> Node:
        match node:
            case ast.CountStage():
                return {
                    "agg": f"count_{node.mode}",
                    "stage": node.stage.name,
                    "where": self.optional(node.where),
                }
            case ast.CountEvent():
                return {
                    "agg": "count_event",
                    "event": node.event.name,
                    "where": self.optional(node.where),
                }
            case ast.SumField():
                return {
                    "agg": "sum",
                    "field": node.field.name,
                    "stage": node.stage.name,
                    "where": self.optional(node.where),
                }
            case ast.Rate():
                within = None if node.within is None else self.duration(node.within, None)
                return {
                    "agg": "rate",
                    "from": node.source.name,
                    "to": node.dest.name,
                    "within": within,
                }
            case ast.Compliance():
                return {"agg": "compliance", "sla": node.sla.name}
            case ast.MetricRef():
                return {"agg": "metric", "metric": node.metric.name}
        raise AssertionError(f"unknown expression {type(node).__name__}")  # pragma: no cover

    # -- durations ------------------------------------------------------------------------

    def duration(self, node: ast.Duration, using: ast.Ident | None) -> Node:
        """Calendar time in seconds, business minutes and hours in business seconds, business
        days as a count of days (their deadline is a close, not a length of time)."""
        amount = literal_decimal(node.amount)
        text = node.text()
        if not node.business:
            return {
                "kind": "calendar",
                "seconds": _whole(amount * UNIT_SECONDS[node.unit], node),
                "text": text,
            }
        calendar = self._calendar_for(node, using)
        if node.unit == "days":
            return {
                "kind": "business_days",
                "days": _whole(amount, node),
                "calendar": calendar,
                "text": text,
            }
        if node.unit in ("minutes", "hours"):
            return {
                "kind": "business_seconds",
                "seconds": _whole(amount * UNIT_SECONDS[node.unit], node),
                "calendar": calendar,
                "text": text,
            }
        raise AssertionError(f"business {node.unit} at {_where(node)}")

    def _calendar_for(self, node: ast.Duration, using: ast.Ident | None) -> str:
        """`using NAME`, or the policy's only calendar (LANGUAGE §5)."""
        if using is not None:
            return using.name
        if len(self.symbols.calendars) == 1:
            return next(iter(self.symbols.calendars))
        raise AssertionError(f"business duration without a calendar at {_where(node)}")


_ARITHMETIC: dict[str, Callable[[Decimal, Decimal], Decimal]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


def as_node(value: Folded) -> Node:
    return {"num": json_number(value)} if isinstance(value, Decimal) else value


def _whole(value: Decimal, node: ast.Duration) -> int:
    """Durations are exact to the second (LANGUAGE §5); a fraction of one is not a duration."""
    if value != value.to_integral_value() or value <= 0:
        raise AssertionError(f"duration `{node.text()}` is not a positive whole number")
    return int(value)


def _where(node: ast.Expr | ast.Duration) -> str:
    return f"{node.span.file}:{node.span.line}:{node.span.column}"
