"""Checking, shared ground: the program, its symbols, and the helpers every pass uses.

A `Context` is built once per check. It lists the statements that take part (an imported
file's non-definitions are left out, as `symbols.collect` leaves them out), every
expression with the role it plays, every name reference, and answers the questions several
passes ask: what does this name mean, what is the closest known name, what constant value
does this expression have. Walks are iterative: a long chain like `1 + 1 + … + 1` builds a
tree deeper than Python's recursion limit, and the checker must not crash on it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from slalang import ast
from slalang.load import Program
from slalang.symbols import IMPORTABLE, Symbols, collect

ALWAYS = "always"
"""The built-in calendar, open all the time (LANGUAGE §5)."""


class Role(StrEnum):
    """What an expression is for, which decides what it may contain and what it yields."""

    CONDITION = "condition"  # `when`, `where`, goal conditions: must be a yes/no test
    REQUIRE = "require"  # a `require` item: a field name (presence) or a condition
    LET = "let"  # a constant: numbers, percentages, arithmetic on other lets
    TARGET = "target"  # a target goal: a comparison of numbers built from aggregates


class Space(StrEnum):
    """The namespace a name reference is looked up in (LANGUAGE §13)."""

    EVENT = "event"
    STAGE = "stage"
    FIELD = "field"
    NAME = "name"  # an expression name: a field, a score or a let
    CALENDAR = "calendar"
    PARTY = "party"
    METRIC = "metric"
    SLA = "sla"


@dataclass(frozen=True, slots=True)
class Root:
    """A whole expression as written in a statement, with the role it plays there."""

    expr: ast.Expr
    role: Role


@dataclass(frozen=True, slots=True)
class Reference:
    """A name used (not declared) somewhere, and the namespace it must be found in."""

    space: Space
    ident: ast.Ident


def children(expr: ast.Expr) -> tuple[ast.Expr, ...]:
    """The direct sub-expressions, in reading order."""
    match expr:
        case ast.BinOp() | ast.Compare() | ast.BoolOp():
            return (expr.left, expr.right)
        case ast.Negate() | ast.Not():
            return (expr.operand,)
        case ast.InList():
            return (expr.subject, *expr.values)
        case ast.Matches():
            return (expr.subject, expr.pattern)
        case ast.Presence():
            return (expr.subject,)
        case ast.CountStage() | ast.CountEvent() | ast.SumField():
            return (expr.where,) if expr.where is not None else ()
        case _:
            return ()


def walk(expr: ast.Expr) -> Iterator[ast.Expr]:
    """Every node of an expression, parents before children, left to right."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def postorder(expr: ast.Expr) -> Iterator[ast.Expr]:
    """Every node of an expression, children before parents: the order to compute in."""
    stack: list[tuple[ast.Expr, bool]] = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            yield node
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(children(node)))


LITERALS = (ast.Number, ast.Percent, ast.String, ast.Bool, ast.DateLit)
FILTERED = (ast.CountStage, ast.CountEvent, ast.SumField)
"""The aggregates that take a `where`."""
AGGREGATES = (ast.CountStage, ast.CountEvent, ast.SumField, ast.Rate, ast.Compliance, ast.MetricRef)


def location(span: ast.Span) -> str:
    """`file:line`, how a message names another place (a first definition, say)."""
    return f"{span.file}:{span.line}"


def head(span: ast.Span, width: int) -> ast.Span:
    """The first `width` characters of a span: a block's keyword, not the whole block."""
    return ast.Span(
        span.file, span.line, span.column, span.line, span.column + width, span.start,
        span.start + width,
    )  # fmt: skip


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The known name closest to a misspelt one, if any is close enough."""
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(suggestion: str | None) -> str | None:
    return f"did you mean `{suggestion}`?" if suggestion else None


def words(names: Iterable[str], conjunction: str = "or") -> str:
    """`a`, `b` or `c`: a short list of names for a help line."""
    quoted = [f"`{n}`" for n in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + f" {conjunction} " + quoted[-1]


@dataclass(frozen=True)
class Context:
    """Everything a pass may read. Built once; passes never change it."""

    program: Program
    symbols: Symbols
    _let_values: dict[str, float | None] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, program: Program) -> Context:
        return cls(program, collect(program))

    # -- what takes part -------------------------------------------------------------

    @cached_property
    def statements(self) -> tuple[ast.Statement, ...]:
        """Statements in program order; an imported file contributes only definitions."""
        result: list[ast.Statement] = []
        for module in self.program.modules:
            imported = module is not self.program.entry
            result.extend(s for s in module.statements if not imported or isinstance(s, IMPORTABLE))
        return tuple(result)

    def in_entry(self, span: ast.Span) -> bool:
        return span.file == self.program.entry.path

    @cached_property
    def roots(self) -> tuple[Root, ...]:
        """Every expression written in a statement, with its role, in program order."""
        found: list[Root] = []

        def on(trigger: ast.OnEvents | None) -> None:
            if trigger is not None and trigger.where is not None:
                found.append(Root(trigger.where, Role.CONDITION))

        for statement in self.statements:
            match statement:
                case ast.Let():
                    found.append(Root(statement.expr, Role.LET))
                case ast.ScoreDecl():
                    for item in statement.items:
                        if isinstance(item, ast.WhenRule):
                            found.append(Root(item.predicate, Role.CONDITION))
                        elif isinstance(item, ast.PerRule) and item.where is not None:
                            found.append(Root(item.where, Role.CONDITION))
                case ast.StageDecl():
                    if isinstance(statement.trigger, ast.WhenTrigger):
                        found.append(Root(statement.trigger.predicate, Role.CONDITION))
                    elif isinstance(statement.trigger, ast.OnEvents):
                        on(statement.trigger)
                case ast.Recycle() | ast.Exit():
                    on(statement.trigger)
                case ast.Handoff():
                    for entry in statement.items:
                        if isinstance(entry, ast.Require):
                            found.extend(Root(e, Role.REQUIRE) for e in entry.items)
                case ast.Sla():
                    for clause in statement.items:
                        if isinstance(clause, ast.StartOn | ast.Stop):
                            on(clause.trigger)
                        elif isinstance(clause, ast.Goal) and not isinstance(
                            clause.condition, ast.Otherwise | None
                        ):
                            found.append(Root(clause.condition, Role.CONDITION))
                case ast.Target():
                    found.extend(
                        Root(goal.expr, Role.TARGET)
                        for goal in statement.items
                        if isinstance(goal, ast.TargetGoal)
                    )
        return tuple(found)

    def nodes(self) -> Iterator[tuple[ast.Expr, Root]]:
        """Every expression node of the program with the root it belongs to."""
        for root in self.roots:
            for node in walk(root.expr):
                yield node, root

    @cached_property
    def durations(self) -> tuple[tuple[ast.Duration, ast.Goal | None], ...]:
        """Every duration written, with the goal it belongs to (None: a score or a rate)."""
        found: list[tuple[ast.Duration, ast.Goal | None]] = []
        for statement in self.statements:
            if isinstance(statement, ast.ScoreDecl) and statement.within is not None:
                found.append((statement.within, None))
            elif isinstance(statement, ast.Sla):
                found.extend((g.duration, g) for g in statement.items if isinstance(g, ast.Goal))
        for node, _ in self.nodes():
            if isinstance(node, ast.Rate) and node.within is not None:
                found.append((node.within, None))
        return tuple(found)

    @cached_property
    def references(self) -> tuple[Reference, ...]:
        """Every name used, in program order, with the namespace it must be found in."""
        found: list[Reference] = []

        def events(trigger: ast.OnEvents) -> None:
            found.extend(Reference(Space.EVENT, e) for e in trigger.events)

        for statement in self.statements:
            match statement:
                case ast.ScoreDecl():
                    found.extend(
                        Reference(Space.EVENT, item.event)
                        for item in statement.items
                        if isinstance(item, ast.PerRule)
                    )
                case ast.StageDecl() if isinstance(statement.trigger, ast.OnEvents):
                    events(statement.trigger)
                case ast.Recycle():
                    found.append(Reference(Space.STAGE, statement.stage))
                    events(statement.trigger)
                case ast.Exit():
                    events(statement.trigger)
                case ast.Handoff():
                    found.append(Reference(Space.STAGE, statement.stage))
                case ast.Sla():
                    for clause in statement.items:
                        if isinstance(clause, ast.StartEntering):
                            found.append(Reference(Space.STAGE, clause.stage))
                        elif isinstance(clause, ast.StartOn | ast.Stop):
                            events(clause.trigger)
                        elif isinstance(clause, ast.Goal) and clause.calendar is not None:
                            found.append(Reference(Space.CALENDAR, clause.calendar))
                case ast.Target():
                    for goal in statement.items:
                        if isinstance(goal, ast.TargetGoal) and goal.by is not None:
                            found.append(Reference(Space.FIELD, goal.by))
            if isinstance(statement, ast.Handoff | ast.Sla | ast.Target):
                found.extend(
                    Reference(Space.PARTY, item.party)
                    for item in statement.items
                    if isinstance(item, ast.Owner)
                )
        for node, _ in self.nodes():
            match node:
                case ast.Ref():
                    found.append(Reference(Space.NAME, node.name))
                case ast.CountEvent():
                    found.append(Reference(Space.EVENT, node.event))
                case ast.CountStage():
                    found.append(Reference(Space.STAGE, node.stage))
                case ast.SumField():
                    found.append(Reference(Space.FIELD, node.field))
                    found.append(Reference(Space.STAGE, node.stage))
                case ast.Rate():
                    found.append(Reference(Space.STAGE, node.source))
                    found.append(Reference(Space.STAGE, node.dest))
                case ast.Compliance():
                    found.append(Reference(Space.SLA, node.sla))
                case ast.MetricRef():
                    found.append(Reference(Space.METRIC, node.metric))
        return tuple(found)

    # -- what names mean ---------------------------------------------------------------

    def resolve(self, name: str) -> str | None:
        """What an expression name is: `field`, `score` or `let` (in that order when a
        name is taken twice, which the duplicates pass reports), or None."""
        if name in self.symbols.fields:
            return "field"
        if name in self.symbols.scores:
            return "score"
        if name in self.symbols.lets:
            return "let"
        return None

    def names_in(self, space: Space) -> list[str]:
        """The known names of a namespace, for suggestions."""
        s = self.symbols
        match space:
            case Space.EVENT:
                return list(s.events)
            case Space.STAGE:
                return list(s.stages)
            case Space.FIELD:
                return list(s.fields)
            case Space.NAME:
                return [*s.fields, *s.scores, *s.lets]
            case Space.CALENDAR:
                return [*s.calendars, ALWAYS]
            case Space.PARTY:
                return list(s.parties)
            case Space.METRIC:
                return list(s.metrics)
            case Space.SLA:
                return list(s.slas)

    def enterable(self, stage: str) -> bool:
        """A stage with a trigger can be entered; one without can only be skipped (§7)."""
        decl = self.symbols.stages.get(stage)
        return decl is None or decl.trigger is not None

    # -- constants ---------------------------------------------------------------------

    def constant(self, expr: ast.Expr) -> float | None:
        """The value of an expression made of numbers, percentages and lets, or None
        (not a constant, a let cycle, or a division by zero)."""
        values: dict[int, float | None] = {}
        for node in postorder(expr):
            value: float | None
            match node:
                case ast.Number() | ast.Percent():
                    value = node.value
                case ast.Ref() if self.resolve(node.name.name) == "let":
                    value = self.let_value(node.name.name)
                case ast.Negate():
                    inner = values[id(node.operand)]
                    value = None if inner is None else -inner
                case ast.BinOp():
                    value = _arithmetic(node.op, values[id(node.left)], values[id(node.right)])
                case _:
                    value = None
            values[id(node)] = value
        return values[id(expr)]

    def let_value(self, name: str) -> float | None:
        """A let's value, computed once; None while being computed, so cycles end."""
        if name not in self._let_values:
            self._let_values[name] = None
            self._let_values[name] = self.constant(self.symbols.lets[name].expr)
        return self._let_values[name]

    def calendar_for(self, duration: ast.Duration, goal: ast.Goal | None) -> str | None:
        """The calendar a business duration counts on: `using`, or the only one declared."""
        if goal is not None and goal.calendar is not None:
            return goal.calendar.name
        if duration.business and len(self.symbols.calendars) == 1:
            return next(iter(self.symbols.calendars))
        return None


def _arithmetic(op: str, left: float | None, right: float | None) -> float | None:
    if left is None or right is None:
        return None
    match op:
        case "+":
            return left + right
        case "-":
            return left - right
        case "*":
            return left * right
        case _:
            return left / right if right != 0 else None


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each group of definitions that depend on one another, once, as a path that starts
    and ends at its first member in the graph's order: `a → b → a`."""
    reported: set[str] = set()
    cycles: list[list[str]] = []
    for start in graph:
        if start in reported:
            continue
        path = _path(graph, start, start)
        if path is None:
            continue
        cycles.append(path)
        reported.update(n for n in graph if _path(graph, start, n) and _path(graph, n, start))
    return cycles


def _path(graph: dict[str, list[str]], source: str, target: str) -> list[str] | None:
    """A shortest path of at least one step from source to target (breadth first)."""
    parents: dict[str, str] = {}
    frontier = [source]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in graph.get(node, []):
                if nxt == target:
                    path = [target, node]
                    while path[-1] != source:
                        path.append(parents[path[-1]])
                    return path[::-1]
                if nxt not in parents and nxt != source:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    return None
