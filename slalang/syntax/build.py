"""Step two: the Lark syntax tree → the AST of `slalang.ast` (Lark's create_ast pattern).

A non-recursive transformer, so deep expressions cannot exhaust the Python stack. Names
that are reserved words are collected as diagnostics rather than raised one by one, and so
is an expression nested deeper than `MAX_DEPTH` (SLA110): every later stage — the checker's
passes, the formatter, the plan's lowering and JSON, the reference replay, the generated
kernel source — walks an expression recursively or hands it to Python's own compiler, so
the bound is set here, once, where every caller of `parse` meets it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from lark import Token, Tree
from lark.tree import Meta
from lark.visitors import Transformer_NonRecursive, v_args

from slalang import ast
from slalang.diagnostics import Diagnostic, error
from slalang.syntax.lexical import unescape

_E = TypeVar("_E", bound=ast.Expr)


MAX_DEPTH = 50
"""Most operators inside one another in an expression (`not not x` is 2 deep, `a + b + c`
is 2, a chain of `and`s or of `or`s counts once). Far beyond what a person writes (the
example policies reach 4), and inside what every stage handles with room to spare: the
deepest is the plan's JSON Schema validation, about ten Python frames a level against
Python's recursion limit of 1,000 (it fails near 95), then the generated kernel's nested
parentheses against Python's compiler's 200."""


@dataclass(frozen=True, slots=True)
class _AtMost:
    value: ast.Number


@dataclass(frozen=True, slots=True)
class _Using:
    value: ast.Ident


@dataclass(frozen=True, slots=True)
class _GroupBy:
    value: ast.Ident


def _number(text: str) -> float:
    return float(text.replace("_", "").replace(" ", "").replace("\t", ""))


@v_args(meta=True)
class AstBuilder(Transformer_NonRecursive[Token, Any]):
    """Builds AST nodes; every node gets the span Lark propagated for its rule."""

    def __init__(self, path: str, reserved: frozenset[str]) -> None:
        super().__init__()
        self.path = path
        self.reserved = reserved
        self.diagnostics: list[Diagnostic] = []
        self._depth: dict[int, int] = {}  # id of an expression node → its depth, if > 0
        self._too_deep: list[ast.Expr] = []

    # -- depth ---------------------------------------------------------------------------

    def _nested(self, node: _E, *operands: ast.Expr | None) -> _E:
        """Record the depth of `node` over its operands; an `and` (or `or`) continuing a
        chain of the same operator adds no level, as the plan makes the chain one node."""
        deepest = 0
        for operand in operands:
            if operand is None:
                continue
            below = self._depth.get(id(operand), 0)
            chained = (
                isinstance(node, ast.BoolOp)
                and isinstance(operand, ast.BoolOp)
                and operand.op == node.op
            )
            deepest = max(deepest, below if chained else below + 1)
        self._depth[id(node)] = deepest
        if deepest > MAX_DEPTH:
            self._too_deep.append(node)
        return node

    def _depth_diagnostics(self) -> list[Diagnostic]:
        """One SLA110 per outermost expression nested too deep (not one per level)."""
        found: list[Diagnostic] = []
        end = -1
        for node in sorted(self._too_deep, key=lambda n: (n.span.start, -n.span.end)):
            if node.span.end <= end:
                continue  # inside an expression already reported
            end = node.span.end
            found.append(
                error(
                    "SLA110",
                    f"expression nested {self._depth[id(node)]:,} deep; the limit is {MAX_DEPTH}",
                    ast.Span(
                        node.span.file,
                        node.span.line,
                        node.span.column,
                        node.span.line,
                        node.span.column + 1,
                        node.span.start,
                        node.span.start + 1,
                    ),
                    help="split it with `let` definitions, or use `in (…)` for a list of "
                    "values (each operator inside another counts a level)",
                )
            )
        return found

    # -- spans -------------------------------------------------------------------------

    def span(self, meta: Meta) -> ast.Span:
        if getattr(meta, "empty", True):
            return ast.NO_SPAN
        return ast.Span(
            self.path,
            meta.line,
            meta.column,
            meta.end_line,
            meta.end_column,
            meta.start_pos,
            meta.end_pos,
        )

    def token_span(self, token: Token) -> ast.Span:
        return ast.Span(
            self.path,
            token.line or 0,
            token.column or 0,
            token.end_line or 0,
            token.end_column or 0,
            token.start_pos or 0,
            token.end_pos or 0,
        )

    # -- leaves ------------------------------------------------------------------------

    def start(self, meta: Meta, children: list[Any]) -> tuple[ast.Statement, ...]:
        self.diagnostics.extend(self._depth_diagnostics())
        return tuple(children)

    def name(self, meta: Meta, children: list[Token]) -> ast.Ident:
        token = children[0]
        span = self.token_span(token)
        if token.value in self.reserved:
            self.diagnostics.append(
                error(
                    "SLA106",
                    f"`{token.value}` is a reserved word and cannot be used as a name",
                    span,
                    help=f"choose another name, e.g. `{token.value}_`",
                )
            )
        return ast.Ident(token.value, span)

    def number(self, meta: Meta, children: list[Token]) -> ast.Number:
        raw = children[0].value
        return ast.Number(_number(raw), raw, self.token_span(children[0]))

    def signed_number(self, meta: Meta, children: list[Any]) -> ast.Number:
        child = children[0]
        if isinstance(child, Token):
            return self._points(child)
        return child  # type: ignore[no-any-return]

    def _points(self, token: Token) -> ast.Number:
        raw = token.value.replace(" ", "").replace("\t", "")
        return ast.Number(_number(raw), raw, self.token_span(token))

    def percent(self, meta: Meta, children: list[Token]) -> ast.Percent:
        raw = children[0].value
        return ast.Percent(_number(raw[:-1]) / 100, raw, self.token_span(children[0]))

    def string(self, meta: Meta, children: list[Token]) -> ast.String:
        raw = children[0].value
        return ast.String(unescape(raw), raw, self.token_span(children[0]))

    def date(self, meta: Meta, children: list[Token]) -> ast.DateLit:
        return ast.DateLit(children[0].value, self.token_span(children[0]))

    def true(self, meta: Meta, children: list[Any]) -> ast.Bool:
        return ast.Bool(True, self.span(meta))

    def false(self, meta: Meta, children: list[Any]) -> ast.Bool:
        return ast.Bool(False, self.span(meta))

    def compare_op(self, meta: Meta, children: list[Token]) -> str:
        return str(children[0].value)

    def unit(self, meta: Meta, children: list[Token]) -> str:
        word = str(children[0].value)
        return word if word.endswith("s") else word + "s"

    def duration(self, meta: Meta, children: list[Any]) -> ast.Duration:
        amount, *rest = children
        business = len(rest) == 2
        return ast.Duration(amount, rest[-1], business, self.span(meta))

    def name_list(self, meta: Meta, children: list[ast.Ident]) -> tuple[ast.Ident, ...]:
        return tuple(children)

    def literal_list(self, meta: Meta, children: list[ast.Expr]) -> tuple[ast.Expr, ...]:
        return tuple(children)

    # -- expressions -------------------------------------------------------------------

    def ref(self, meta: Meta, children: list[ast.Ident]) -> ast.Ref:
        return ast.Ref(children[0], self.span(meta))

    def call(self, meta: Meta, children: list[Any]) -> ast.Call:
        function, *args = children
        return self._nested(ast.Call(function, tuple(args), self.span(meta)), *args)

    def _binop(self, op: str, meta: Meta, children: list[Any]) -> ast.BinOp:
        return self._nested(ast.BinOp(op, children[0], children[1], self.span(meta)), *children)

    def add(self, meta: Meta, children: list[Any]) -> ast.BinOp:
        return self._binop("+", meta, children)

    def sub(self, meta: Meta, children: list[Any]) -> ast.BinOp:
        return self._binop("-", meta, children)

    def mul(self, meta: Meta, children: list[Any]) -> ast.BinOp:
        return self._binop("*", meta, children)

    def div(self, meta: Meta, children: list[Any]) -> ast.BinOp:
        return self._binop("/", meta, children)

    def negate(self, meta: Meta, children: list[Any]) -> ast.Negate:
        return self._nested(ast.Negate(children[0], self.span(meta)), children[0])

    def compare(self, meta: Meta, children: list[Any]) -> ast.Compare:
        left, op, right = children
        op_text = "=" if op == "==" else op
        return self._nested(ast.Compare(op_text, left, right, self.span(meta)), left, right)

    def in_list(self, meta: Meta, children: list[Any]) -> ast.InList:
        node = ast.InList(children[0], children[1], False, self.span(meta))
        return self._nested(node, children[0], *children[1])

    def not_in_list(self, meta: Meta, children: list[Any]) -> ast.InList:
        node = ast.InList(children[0], children[1], True, self.span(meta))
        return self._nested(node, children[0], *children[1])

    def matches(self, meta: Meta, children: list[Any]) -> ast.Matches:
        return self._nested(ast.Matches(children[0], children[1], self.span(meta)), children[0])

    def is_present(self, meta: Meta, children: list[Any]) -> ast.Presence:
        return self._nested(ast.Presence(children[0], True, self.span(meta)), children[0])

    def is_missing(self, meta: Meta, children: list[Any]) -> ast.Presence:
        return self._nested(ast.Presence(children[0], False, self.span(meta)), children[0])

    def and_op(self, meta: Meta, children: list[Any]) -> ast.BoolOp:
        node = ast.BoolOp("and", children[0], children[1], self.span(meta))
        return self._nested(node, *children)

    def or_op(self, meta: Meta, children: list[Any]) -> ast.BoolOp:
        node = ast.BoolOp("or", children[0], children[1], self.span(meta))
        return self._nested(node, *children)

    def not_op(self, meta: Meta, children: list[Any]) -> ast.Not:
        return self._nested(ast.Not(children[0], self.span(meta)), children[0])

    def where(self, meta: Meta, children: list[Any]) -> Any:
        return children[0]

    def _stage_count(self, mode: str, meta: Meta, children: list[Any]) -> ast.CountStage:
        stage, *where = children
        node = ast.CountStage(mode, stage, where[0] if where else None, self.span(meta))
        return self._nested(node, node.where)

    def count_entering(self, meta: Meta, children: list[Any]) -> ast.CountStage:
        return self._stage_count("entering", meta, children)

    def count_reaching(self, meta: Meta, children: list[Any]) -> ast.CountStage:
        return self._stage_count("reaching", meta, children)

    def count_event(self, meta: Meta, children: list[Any]) -> ast.CountEvent:
        event, *where = children
        node = ast.CountEvent(event, where[0] if where else None, self.span(meta))
        return self._nested(node, node.where)

    def sum_field(self, meta: Meta, children: list[Any]) -> ast.SumField:
        field, stage, *where = children
        node = ast.SumField(field, stage, where[0] if where else None, self.span(meta))
        return self._nested(node, node.where)

    def rate(self, meta: Meta, children: list[Any]) -> ast.Rate:
        source, dest, *within = children
        return ast.Rate(source, dest, within[0] if within else None, self.span(meta))

    def compliance(self, meta: Meta, children: list[Any]) -> ast.Compliance:
        return ast.Compliance(children[0], self.span(meta))

    def metric_ref(self, meta: Meta, children: list[Any]) -> ast.MetricRef:
        return ast.MetricRef(children[0], self.span(meta))

    # -- block items -------------------------------------------------------------------

    def version(self, meta: Meta, children: list[Any]) -> ast.Version:
        return ast.Version(children[0], self.span(meta))

    def effective(self, meta: Meta, children: list[Any]) -> ast.Effective:
        start, *until = children
        return ast.Effective(start, until[0] if until else None, self.span(meta))

    def timezone(self, meta: Meta, children: list[Any]) -> ast.Timezone:
        return ast.Timezone(children[0], self.span(meta))

    def party(self, meta: Meta, children: list[Any]) -> ast.Party:
        pid, label, *contact = children
        return ast.Party(pid, label, contact[0] if contact else None, self.span(meta))

    def description(self, meta: Meta, children: list[Any]) -> ast.Description:
        return ast.Description(children[0], self.span(meta))

    def day_span(self, meta: Meta, children: list[Any]) -> ast.DaySpan:
        first, *last = children
        return ast.DaySpan(first, last[0] if last else None, self.span(meta))

    def time_range(self, meta: Meta, children: list[Token]) -> ast.TimeRange:
        return ast.TimeRange(children[0].value, children[1].value, self.span(meta))

    def open_hours(self, meta: Meta, children: list[Any]) -> ast.OpenHours:
        days = tuple(c for c in children if isinstance(c, ast.DaySpan))
        ranges = tuple(c for c in children if isinstance(c, ast.TimeRange))
        return ast.OpenHours(days, ranges, self.span(meta))

    def closed_holidays(self, meta: Meta, children: list[Any]) -> ast.ClosedHolidays:
        country, *sub = children
        return ast.ClosedHolidays(country, sub[0] if sub else None, self.span(meta))

    def closed_dates(self, meta: Meta, children: list[Any]) -> ast.ClosedDates:
        return ast.ClosedDates(tuple(children), self.span(meta))

    def when_rule(self, meta: Meta, children: list[Any]) -> ast.WhenRule:
        return ast.WhenRule(self._points(children[0]), children[1], self.span(meta))

    def per_rule(self, meta: Meta, children: list[Any]) -> ast.PerRule:
        points, event, *rest = children
        where = next((c for c in rest if not isinstance(c, _AtMost)), None)
        at_most = next((c.value for c in rest if isinstance(c, _AtMost)), None)
        return ast.PerRule(self._points(points), event, where, at_most, self.span(meta))

    def at_most(self, meta: Meta, children: list[Any]) -> _AtMost:
        return _AtMost(children[0])

    def limit_rule(self, meta: Meta, children: list[Any]) -> ast.Limit:
        return ast.Limit(children[0], self.span(meta))

    def on_events(self, meta: Meta, children: list[Any]) -> ast.OnEvents:
        events, *where = children
        return ast.OnEvents(events, where[0] if where else None, self.span(meta))

    def when_trigger(self, meta: Meta, children: list[Any]) -> ast.WhenTrigger:
        return ast.WhenTrigger(children[0], self.span(meta))

    def owner(self, meta: Meta, children: list[Any]) -> ast.Owner:
        return ast.Owner(children[0], self.span(meta))

    def severity(self, meta: Meta, children: list[Any]) -> ast.Severity:
        return ast.Severity(children[0], self.span(meta))

    def require(self, meta: Meta, children: list[Any]) -> ast.Require:
        return ast.Require(tuple(children), self.span(meta))

    def start_entering(self, meta: Meta, children: list[Any]) -> ast.StartEntering:
        return ast.StartEntering(children[0], self.span(meta))

    def start_on(self, meta: Meta, children: list[Any]) -> ast.StartOn:
        return ast.StartOn(children[0], self.span(meta))

    def stop(self, meta: Meta, children: list[Any]) -> ast.Stop:
        return ast.Stop(children[0], self.span(meta))

    def pause(self, meta: Meta, children: list[Any]) -> ast.Pause:
        return ast.Pause(children[0], self.span(meta))

    def resume(self, meta: Meta, children: list[Any]) -> ast.Resume:
        return ast.Resume(children[0], self.span(meta))

    def goal_when(self, meta: Meta, children: list[Any]) -> Any:
        return children[0]

    def goal_otherwise(self, meta: Meta, children: list[Any]) -> ast.Otherwise:
        return ast.Otherwise(self.span(meta))

    def using(self, meta: Meta, children: list[Any]) -> _Using:
        return _Using(children[0])

    def goal(self, meta: Meta, children: list[Any]) -> ast.Goal:
        duration, *rest = children
        calendar = next((c.value for c in rest if isinstance(c, _Using)), None)
        condition = next((c for c in rest if not isinstance(c, _Using)), None)
        return ast.Goal(duration, calendar, condition, self.span(meta))

    def warn(self, meta: Meta, children: list[Any]) -> ast.Warn:
        return ast.Warn(children[0], self.span(meta))

    def group_by(self, meta: Meta, children: list[Any]) -> _GroupBy:
        return _GroupBy(children[0])

    def target_goal(self, meta: Meta, children: list[Any]) -> ast.TargetGoal:
        period, *rest = children
        by = rest[0].value if isinstance(rest[0], _GroupBy) else None
        return ast.TargetGoal(period, by, rest[-1], self.span(meta))

    # -- statements --------------------------------------------------------------------

    def agreement(self, meta: Meta, children: list[Any]) -> ast.Agreement:
        return ast.Agreement(children[0], tuple(children[1:]), self.span(meta))

    def import_stmt(self, meta: Meta, children: list[Any]) -> ast.Import:
        return ast.Import(children[0], self.span(meta))

    def events_decl(self, meta: Meta, children: list[Any]) -> ast.Events:
        return ast.Events(children[0], self.span(meta))

    def simple_type(self, meta: Meta, children: list[Any]) -> ast.FieldType:
        return ast.FieldType(children[0], (), self.span(meta))

    def one_of_type(self, meta: Meta, children: list[Any]) -> ast.FieldType:
        return ast.FieldType(ast.Ident("one of", self.span(meta)), tuple(children), self.span(meta))

    def field_decl(self, meta: Meta, children: list[Any]) -> ast.FieldDecl:
        return ast.FieldDecl(children[0], children[1], self.span(meta))

    def metric_decl(self, meta: Meta, children: list[Any]) -> ast.MetricDecl:
        name, *description = children
        return ast.MetricDecl(name, description[0] if description else None, self.span(meta))

    def let_decl(self, meta: Meta, children: list[Any]) -> ast.Let:
        return ast.Let(children[0], children[1], self.span(meta))

    def calendar_decl(self, meta: Meta, children: list[Any]) -> ast.CalendarDecl:
        return ast.CalendarDecl(children[0], tuple(children[1:]), self.span(meta))

    def score_decl(self, meta: Meta, children: list[Any]) -> ast.ScoreDecl:
        name, *rest = children
        within = rest[0] if rest and isinstance(rest[0], ast.Duration) else None
        items = tuple(rest[1:] if within is not None else rest)
        return ast.ScoreDecl(name, within, items, self.span(meta))

    def stage_decl(self, meta: Meta, children: list[Any]) -> ast.StageDecl:
        name, *trigger = children
        return ast.StageDecl(name, trigger[0] if trigger else None, self.span(meta))

    def recycle_decl(self, meta: Meta, children: list[Any]) -> ast.Recycle:
        return ast.Recycle(children[0], children[1], self.span(meta))

    def exit_decl(self, meta: Meta, children: list[Any]) -> ast.Exit:
        return ast.Exit(children[0], self.span(meta))

    def handoff_decl(self, meta: Meta, children: list[Any]) -> ast.Handoff:
        return ast.Handoff(children[0], tuple(children[1:]), self.span(meta))

    def _labelled(self, children: list[Any]) -> tuple[Any, Any, tuple[Any, ...]]:
        name, *rest = children
        label = rest[0] if rest and isinstance(rest[0], ast.String) else None
        items = tuple(rest[1:] if label is not None else rest)
        return name, label, items

    def sla_decl(self, meta: Meta, children: list[Any]) -> ast.Sla:
        return ast.Sla(*self._labelled(children), span=self.span(meta))

    def target_decl(self, meta: Meta, children: list[Any]) -> ast.Target:
        return ast.Target(*self._labelled(children), span=self.span(meta))

    def __default__(self, data: str, children: list[Any], meta: Meta) -> Tree[Any]:
        raise AssertionError(f"grammar rule `{data}` has no AST builder")  # pragma: no cover
