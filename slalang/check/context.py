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
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from slalang import ast
from slalang.functions import FUNCTIONS, evaluator, whole_literal
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
        case ast.Call():
            return expr.args
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

AGGREGATE_WORDS: dict[type, str] = {
    ast.CountStage: "count",
    ast.CountEvent: "count",
    ast.SumField: "sum",
    ast.Rate: "rate",
    ast.Compliance: "compliance",
    ast.MetricRef: "metric",
}
"""The word a policy writes for each aggregate, for messages such as "`count(...)` can be
used only in a target's goal"."""


def location(span: ast.Span) -> str:
    """`file:line`, how a message names another place (a first definition, say)."""
    return f"{span.file}:{span.line}"


def head(span: ast.Span, width: int) -> ast.Span:
    """The first `width` characters of a span: a block's keyword, not the whole block."""
    return ast.Span(
        span.file,
        span.line,
        span.column,
        span.line,
        span.column + width,
        span.start,
        span.start + width,
    )


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

    @cached_property
    def _sources(self) -> dict[str, str]:
        return {m.path: m.source for m in self.program.modules}

    def source_of(self, span: ast.Span) -> str:
        """The text a span covers, as written (for a help line that quotes the user)."""
        return self._sources.get(span.file, "")[span.start : span.end]

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
                        if isinstance(clause, ast.StartOn | ast.Stop | ast.Pause | ast.Resume):
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

    @cached_property
    def all_nodes(self) -> tuple[tuple[ast.Expr, Root], ...]:
        return tuple((node, root) for root in self.roots for node in walk(root.expr))

    def nodes(self) -> Iterator[tuple[ast.Expr, Root]]:
        """Every expression node of the program with the root it belongs to (walked
        once: several passes look at every node)."""
        return iter(self.all_nodes)

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
                        elif isinstance(clause, ast.StartOn | ast.Stop | ast.Pause | ast.Resume):
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

    def names_in(self, space: Space) -> dict[str, None]:
        """The known names of a namespace, in declaration order (a dict: fast to test
        membership in, and ordered for suggestions)."""
        return self._known[space]

    @cached_property
    def _known(self) -> dict[Space, dict[str, None]]:
        s = self.symbols
        names: dict[Space, list[str]] = {
            Space.EVENT: list(s.events),
            Space.STAGE: list(s.stages),
            Space.FIELD: list(s.fields),
            Space.NAME: [*s.fields, *s.scores, *s.lets],
            Space.CALENDAR: [*s.calendars, ALWAYS],
            Space.PARTY: list(s.parties),
            Space.METRIC: list(s.metrics),
            Space.SLA: list(s.slas),
        }
        return {space: dict.fromkeys(found) for space, found in names.items()}

    def enterable(self, stage: str) -> bool:
        """A stage with a trigger can be entered; one without can only be skipped (§7)."""
        decl = self.symbols.stages.get(stage)
        return decl is None or decl.trigger is not None

    # -- constants ---------------------------------------------------------------------

    def constant(self, expr: ast.Expr) -> float | None:
        """The value of an expression made of numbers, percentages and lets, or None
        (not a constant, a let cycle, or a division by zero)."""
        return _fold(self, expr, self.let_values)

    def constants(self, expr: ast.Expr) -> dict[int, float | None]:
        """The constant value of every node of an expression, by the node's id: what
        `constant` gives for each of its sub-expressions (None where it is not one)."""
        return _values(self, expr, self.let_values)

    @cached_property
    def let_values(self) -> dict[str, float | None]:
        """Every let's value (None when it is not a number or is part of a cycle),
        dependencies first, iteratively: a long chain of lets cannot exhaust the stack."""
        lets = self.symbols.lets
        depends = {
            name: [
                n.name.name
                for n in walk(let.expr)
                if isinstance(n, ast.Ref) and self.resolve(n.name.name) == "let"
            ]
            for name, let in lets.items()
        }
        values: dict[str, float | None] = {}
        visiting: set[str] = set()
        for root in lets:
            stack = [root]
            while stack:
                name = stack[-1]
                if name in values:
                    stack.pop()
                elif name not in visiting:
                    visiting.add(name)
                    stack.extend(d for d in depends[name] if d not in visiting)
                else:  # its dependencies are done, or part of a cycle with it
                    values[name] = _fold(self, lets[name].expr, values)
                    stack.pop()
        return values

    def calendar_for(self, duration: ast.Duration, goal: ast.Goal | None) -> str | None:
        """The calendar a business duration counts on: `using`, or the only one declared."""
        if goal is not None and goal.calendar is not None:
            return goal.calendar.name
        if duration.business and len(self.symbols.calendars) == 1:
            return next(iter(self.symbols.calendars))
        return None


def _fold(ctx: Context, expr: ast.Expr, lets: dict[str, float | None]) -> float | None:
    return _values(ctx, expr, lets)[id(expr)]


def _values(ctx: Context, expr: ast.Expr, lets: dict[str, float | None]) -> dict[int, float | None]:
    values: dict[int, float | None] = {}
    for node in postorder(expr):
        value: float | None
        match node:
            case ast.Number() | ast.Percent():
                value = node.value
            case ast.Ref() if ctx.resolve(node.name.name) == "let":
                value = lets.get(node.name.name)
            case ast.Negate():
                inner = values[id(node.operand)]
                value = None if inner is None else -inner
            case ast.BinOp():
                value = _arithmetic(node.op, values[id(node.left)], values[id(node.right)])
            case ast.Call():
                value = _call(node, [values[id(a)] for a in node.args])
            case _:
                value = None
        values[id(node)] = value
    return values


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


def _call(node: ast.Call, args: list[float | None]) -> float | None:
    """A call on constants, or None when it is not one or the checker rejects the call."""
    function = FUNCTIONS.get(node.function.name)
    values = [a for a in args if a is not None]
    if function is None or len(values) != len(args) or len(values) < function.least:
        return None
    if function.most is not None and len(values) > function.most:
        return None
    digits: int | None = 0
    if function.name == "round" and len(values) == 2:
        digits = whole_literal(node.args[1])
    return None if digits is None else evaluator(function.name, digits)(values)


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each group of definitions that depend on one another, once, as a path that starts
    and ends at its first member in the graph's order: `a → b → a`."""
    cycles: list[list[str]] = []
    order = {name: i for i, name in enumerate(graph)}
    for group in _strongly_connected(graph):
        first = min(group, key=order.__getitem__)
        if len(group) == 1 and first not in graph[first]:
            continue  # a group of one is a cycle only if it reads itself
        cycles.append(_path(graph, group, first))
    cycles.sort(key=lambda c: order[c[0]])
    return cycles


def _strongly_connected(graph: dict[str, list[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (linear time, no recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(graph[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            nxt = next((e for e in edges if e in graph), None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return groups


def _path(graph: dict[str, list[str]], group: set[str], start: str) -> list[str]:
    """A shortest way round a cycle from `start` back to it, inside its group."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for nxt in graph[node]:
                if nxt == start:
                    path = [start, node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return path[::-1]
                if nxt in group and nxt not in parents:
                    parents[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError("a strongly connected group always leads back")  # pragma: no cover
