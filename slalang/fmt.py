"""Formatting: a parsed policy and its comments → canonical policy text (`slalang fmt`).

The AST keeps no parentheses, blank lines or comments, so the printer puts parentheses
back where precedence needs them and re-attaches comments and blank lines by source line,
using the span of every statement and block item. Before returning, it re-parses its own
output and refuses (`FormatError`) if the meaning changed or a comment went missing, so a
formatter bug can never rewrite a policy. The layout rules are in docs/formatting.md.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slalang import ast
from slalang.diagnostics import PolicyError, SlalangError
from slalang.syntax import parse
from slalang.syntax.lexical import escape

INDENT = "  "
LIST_WIDTH = 88
"""Lines of `events`, `one of` and `require` lists wrap after a comma beyond this column."""
ONE_LINE_BLOCK_WIDTH = 120
"""A target or handoff written on one line stays on one line up to this width (the spec's
own table of targets has a 106-column row)."""

__all__ = ["FormatError", "expr_text", "format_policy", "format_text", "same_tree"]


class FormatError(SlalangError):
    """The formatter's safety check failed (a bug): the caller must leave the file as is."""


def format_text(text: str, path: str = "<stdin>") -> str:
    """The canonical text of a policy; raises `PolicyError` if it does not parse."""
    return format_policy(parse(text, path))


def format_policy(policy: ast.Policy) -> str:
    """The canonical text of a parsed policy, comments and blank-line grouping kept.

    Raises `FormatError` rather than return text that would not mean the same.
    """
    text = _Printer(policy).render()
    _check(policy, text)
    return text


# ---- safety check ---------------------------------------------------------------------


def _check(policy: ast.Policy, text: str) -> None:
    """Black's safety net: the output must mean the same and keep every comment."""
    where = f"`{policy.path}`"
    try:
        again = parse(text, policy.path)
    except PolicyError as exc:
        raise FormatError(
            f"internal error: the formatted text of {where} does not parse ({exc}); "
            "please report this"
        ) from None
    if not same_tree(again.statements, policy.statements):
        raise FormatError(
            f"internal error: formatting would change the meaning of {where}; please report this"
        )
    if Counter(c.text for c in again.comments) != Counter(c.text for c in policy.comments):
        raise FormatError(
            f"internal error: formatting would lose a comment in {where}; please report this"
        )


def same_tree(a: object, b: object) -> bool:
    """AST equality (spans and raw text ignored) without recursion, for very long chains."""
    stack: list[tuple[object, object]] = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, tuple):
            assert isinstance(y, tuple)
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif dataclasses.is_dataclass(x):
            stack.extend(
                (getattr(x, f.name), getattr(y, f.name)) for f in dataclasses.fields(x) if f.compare
            )
        elif x != y:
            return False
    return True


# ---- expressions ------------------------------------------------------------------------

# Binding strength, loosest first, as in the grammar's `?expr` ladder.
_OR, _AND, _NOT, _CMP, _SUM, _PRODUCT, _UNARY, _ATOM = range(1, 9)

_Piece = str | tuple[ast.Expr, int]


def _level(node: ast.Expr) -> int:
    match node:
        case ast.BoolOp(op="or"):
            return _OR
        case ast.BoolOp():
            return _AND
        case ast.Not():
            return _NOT
        case ast.Compare() | ast.InList() | ast.Matches() | ast.Presence():
            return _CMP
        case ast.BinOp(op="+" | "-"):
            return _SUM
        case ast.BinOp():
            return _PRODUCT
        case ast.Negate():
            return _UNARY
    return _ATOM


def _pieces(node: ast.Expr) -> list[_Piece]:
    """The node's text with its children as (child, weakest level printed bare)."""
    match node:
        case ast.BoolOp() | ast.BinOp():
            # left-associative: a right child of the same strength keeps its parentheses
            level = _level(node)
            return [(node.left, level), f" {node.op} ", (node.right, level + 1)]
        case ast.Not():
            # `not (x = 1)` keeps its parentheses: `not x = 1` is the same tree, but a
            # reader cannot tell whether `not` applies to `x` or to the comparison
            return ["not ", (node.operand, _SUM)]
        case ast.Compare():
            # comparisons do not chain, so both sides must be sums
            return [(node.left, _SUM), f" {node.op} ", (node.right, _SUM)]
        case ast.InList():
            pieces: list[_Piece] = [(node.subject, _SUM), " not in (" if node.negated else " in ("]
            for i, value in enumerate(node.values):
                pieces += [", "] if i else []
                pieces.append((value, _ATOM))
            return [*pieces, ")"]
        case ast.Matches():
            return [(node.subject, _SUM), " matches ", _string(node.pattern)]
        case ast.Presence():
            return [(node.subject, _SUM), " is present" if node.present else " is missing"]
        case ast.Negate():
            # `--a` is valid but reads as a typo, so a double negation keeps `-(-a)`
            inner = _ATOM if isinstance(node.operand, ast.Negate) else _UNARY
            return ["-", (node.operand, inner)]
        case ast.CountStage():
            return [f"count({node.mode} {node.stage.name}", *_where(node.where), ")"]
        case ast.CountEvent():
            return [f"count({node.event.name}", *_where(node.where), ")"]
        case ast.SumField():
            head = f"sum({node.field.name}, entering {node.stage.name}"
            return [head, *_where(node.where), ")"]
        case ast.Rate():
            within = f" within {node.within.text()}" if node.within else ""
            return [f"rate({node.source.name} -> {node.dest.name}{within})"]
        case ast.Compliance():
            return [f"compliance({node.sla.name})"]
        case ast.MetricRef():
            return [f"metric({node.metric.name})"]
        case ast.Call():
            call: list[_Piece] = [f"{node.function.name}("]
            for i, arg in enumerate(node.args):
                call += [", "] if i else []
                call.append((arg, _OR))
            return [*call, ")"]
        case ast.Ref():
            return [node.name.name]
    return [_literal(node)]


def _where(predicate: ast.Expr | None) -> list[_Piece]:
    return [] if predicate is None else [" where ", (predicate, _OR)]


def expr_text(root: ast.Expr) -> str:
    """An expression with parentheses exactly where precedence needs them.

    Iterative, because a long `a + b + c + …` chain is a deep left-nested tree.
    """
    out: list[str] = []
    stack: list[_Piece] = [(root, _OR)]
    while stack:
        piece = stack.pop()
        if isinstance(piece, str):
            out.append(piece)
            continue
        node, weakest = piece
        pieces = _pieces(node)
        if _level(node) < weakest:
            pieces = ["(", *pieces, ")"]
        stack.extend(reversed(pieces))
    return "".join(out)


def _literal(node: ast.Expr) -> str:
    match node:
        case ast.Number():
            return node.raw or _plain(node.value)
        case ast.Percent():
            return node.raw or f"{_plain(round(node.value * 100, 9))}%"
        case ast.String():
            return _string(node)
        case ast.Bool():
            return "true" if node.value else "false"
        case ast.DateLit():
            return node.value
    raise AssertionError(f"no printer for {type(node).__name__}")  # pragma: no cover


def _plain(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _string(node: ast.String) -> str:
    return node.raw or escape(node.value)


def _points(node: ast.Number) -> str:
    if node.raw:
        return node.raw
    return ("-" if node.value < 0 else "+") + _plain(abs(node.value))


def _names(idents: Sequence[ast.Ident]) -> str:
    return ", ".join(i.name for i in idents)


def _on(trigger: ast.OnEvents) -> str:
    where = f" where {expr_text(trigger.where)}" if trigger.where else ""
    return f"on {_names(trigger.events)}{where}"


# ---- single lines of statements and block items ---------------------------------------------


def _code(node: Any) -> str:
    """The one-line text of a statement or item that is not a block or a wrapped list."""
    match node:
        case ast.Import():
            return f"import {_string(node.path)}"
        case ast.Events():
            return f"events {_names(node.names)}"
        case ast.FieldDecl():
            return f"field {node.name.name}: {_field_type(node.type)}"
        case ast.MetricDecl():
            label = f" {_string(node.description)}" if node.description else ""
            return f"metric {node.name.name}{label}"
        case ast.Let():
            return f"let {node.name.name} = {expr_text(node.expr)}"
        case ast.StageDecl():
            return " ".join(_stage_cells(node))
        case ast.Recycle():
            return f"recycle to {node.stage.name} {_on(node.trigger)}"
        case ast.Exit():
            return f"exit {_on(node.trigger)}"
        case ast.Version():
            return f"version {_string(node.value)}"
        case ast.Effective():
            until = f" until {node.until.value}" if node.until else ""
            return f"effective {node.start.value}{until}"
        case ast.Timezone():
            return f"timezone {_string(node.value)}"
        case ast.Party():
            contact = f" contact {_string(node.contact)}" if node.contact else ""
            return f"party {node.id.name} {_string(node.label)}{contact}"
        case ast.Description():
            return f"description {_string(node.value)}"
        case ast.OpenHours():
            days = ", ".join(_day_span(d) for d in node.days)
            ranges = ", ".join(f"{r.start}-{r.end}" for r in node.ranges)
            return f"open {days} {ranges}"
        case ast.ClosedHolidays():
            sub = f" {_string(node.subdivision)}" if node.subdivision else ""
            return f"closed holidays {_string(node.country)}{sub}"
        case ast.ClosedDates():
            return "closed " + ", ".join(d.value for d in node.dates)
        case ast.WhenRule() | ast.PerRule():
            return " ".join(_rule_cells(node))
        case ast.Limit():
            return f"limit {_literal(node.value)}"
        case ast.Owner():
            return f"owner {node.party.name}"
        case ast.Severity():
            return f"severity {node.level.name}"
        case ast.Require():
            return "require " + ", ".join(expr_text(e) for e in node.items)
        case ast.StartEntering():
            return f"start when entering {node.stage.name}"
        case ast.StartOn():
            return f"start {_on(node.trigger)}"
        case ast.Stop():
            return f"stop {_on(node.trigger)}"
        case ast.Pause():
            return f"pause {_on(node.trigger)}"
        case ast.Resume():
            return f"resume {_on(node.trigger)}"
        case ast.Goal():
            return _goal(node)
        case ast.Warn():
            return f"warn at {_literal(node.share)}"
        case ast.TargetGoal():
            by = f" by {node.by.name}" if node.by else ""
            return f"{node.period.name}{by}: {expr_text(node.expr)}"
    raise AssertionError(f"no printer for {type(node).__name__}")  # pragma: no cover


def _field_type(kind: ast.FieldType) -> str:
    if kind.options:
        return "one of " + ", ".join(_string(o) for o in kind.options)
    return kind.kind.name


def _day_span(span: ast.DaySpan) -> str:
    return span.first.name + (f"-{span.last.name}" if span.last else "")


def _goal(goal: ast.Goal) -> str:
    words = [f"within {goal.duration.text()}"]
    if goal.calendar:
        words.append(f"using {goal.calendar.name}")
    if isinstance(goal.condition, ast.Otherwise):
        words.append("otherwise")
    elif goal.condition is not None:
        words.append(f"when {expr_text(goal.condition)}")
    return " ".join(words)


def _stage_cells(stage: ast.StageDecl) -> list[str]:
    head = f"stage {stage.name.name}"
    match stage.trigger:
        case ast.OnEvents():
            return [head, _on(stage.trigger)]
        case ast.WhenTrigger():
            return [head, f"when {expr_text(stage.trigger.predicate)}"]
    return [head]


def _rule_cells(rule: ast.WhenRule | ast.PerRule) -> list[str]:
    if isinstance(rule, ast.WhenRule):
        return [_points(rule.points), f"when {expr_text(rule.predicate)}"]
    rest = f"per {rule.event.name}"
    if rule.where is not None:
        rest += f" where {expr_text(rule.where)}"
    if rule.at_most is not None:
        rest += f", at most {_literal(rule.at_most)}"
    return [_points(rule.points), rest]


def _header(node: Any) -> str:
    match node:
        case ast.Agreement():
            return f"agreement {_string(node.label)}"
        case ast.CalendarDecl():
            return f"calendar {node.name.name}"
        case ast.ScoreDecl():
            within = f" within {node.within.text()}" if node.within else ""
            return f"score {node.name.name}{within}"
        case ast.Handoff():
            return f"handoff {node.stage.name}"
        case ast.Sla() | ast.Target():
            keyword = "sla" if isinstance(node, ast.Sla) else "target"
            label = f" {_string(node.label)}" if node.label else ""
            return f"{keyword} {node.name.name}{label}"
    raise AssertionError(f"no header for {type(node).__name__}")  # pragma: no cover


_BLOCKS = (ast.Agreement, ast.CalendarDecl, ast.ScoreDecl, ast.Handoff, ast.Sla, ast.Target)
_ONE_LINE_BLOCKS = (ast.Handoff, ast.Target)


# ---- layout -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    """An output line: code, code and a trailing comment, a comment alone, or blank."""

    indent: str
    code: str = ""
    comment: str | None = None
    fence: bool = False  # a block's `{` or `}` line

    def text(self, comment_column: int) -> str:
        if self.comment is None:
            return self.indent + self.code if self.code else ""
        if not self.code:
            return self.indent + self.comment
        return (self.indent + self.code).ljust(comment_column) + self.comment


def _comment_columns(lines: Sequence[_Line]) -> list[int]:
    """Where each line's trailing comment starts: trailing comments line up within a
    paragraph, two spaces after the longest code that carries one.

    A paragraph is a run of consecutive lines of code: a blank line, a comment line or a
    block's `{` or `}` line (which keeps its comment two spaces after the code) ends it.
    """
    columns = [0] * len(lines)
    run: list[int] = []

    def close() -> None:
        ends = [len(lines[k].indent + lines[k].code) for k in run if lines[k].comment]
        for k in run:
            columns[k] = max(ends, default=0) + 2
        run.clear()

    for k, line in enumerate(lines):
        if not line.code:
            close()
        elif line.fence:
            close()
            columns[k] = len(line.indent + line.code) + 2
        else:
            run.append(k)
    close()
    return columns


_BLANK = _Line("")


@dataclass(slots=True)
class _Row:
    """A one-line unit whose cells line up with its neighbours of the same `kind`."""

    kind: str
    indent: str
    cells: list[str]
    separators: list[str]  # between consecutive cells
    suffix: str = ""
    comment: str | None = None
    shape: tuple[str, ...] = ()  # the kinds of its later cells; unlike rows align only cell 0
    gutter: int = 0  # extra space after cell 0 in a table of two rows or more

    def line(self, widths: Sequence[int]) -> _Line:
        text = self.cells[0]
        for i, (sep, cell) in enumerate(zip(self.separators, self.cells[1:], strict=True)):
            text = text.ljust(len(text) + widths[i] - len(self.cells[i])) + sep + cell
        return _Line(self.indent, text + self.suffix, self.comment)

    def code_width(self) -> int:
        """The width without alignment padding or comment."""
        line = self.line([len(c) for c in self.cells])
        return len(line.indent) + len(line.code)


@dataclass(slots=True)
class _Unit:
    """A statement or item laid out: comments moved above it, then its lines or its row."""

    lead: list[str] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)
    row: _Row | None = None


# A gap between units: own-line comments in source order, None for a run of blank lines.
_Gap = list[ast.Comment | None]


def _last_containing(nodes: Sequence[Any], starts: Sequence[int], line: int) -> int | None:
    """The index of the last node whose lines include `line`, if any.

    Nodes follow one another, so only the last one starting at or before `line` can
    reach it.
    """
    i = bisect_right(starts, line) - 1
    if i >= 0 and nodes[i].span.end_line >= line:
        return i
    return None


def _split_trailing(comments: Sequence[ast.Comment]) -> tuple[list[str], str | None]:
    """Comments of a one-line construct: the last stays at the end of the line, earlier ones
    (written inside it, over several lines) move above it, in their order."""
    texts = [c.text for c in comments]
    if not texts:
        return [], None
    return texts[:-1], texts[-1]


class _Printer:
    """Lays out one policy: its statements, then recursively the items of each block."""

    def __init__(self, policy: ast.Policy) -> None:
        self.policy = policy
        lines = policy.source.split("\n") if policy.source else []
        self.blank_lines = [n for n, text in enumerate(lines, start=1) if not text.strip()]
        self.last_line = len(lines)

    def render(self) -> str:
        comments = sorted(self.policy.comments, key=lambda c: c.line)
        lines = self.sequence(self.policy.statements, comments, 0, self.last_line + 1, "")
        columns = _comment_columns(lines)
        return "".join(line.text(c) + "\n" for line, c in zip(lines, columns, strict=True))

    # -- sequences of units, with their gaps -----------------------------------------------

    def sequence(
        self,
        nodes: Sequence[Any],
        comments: Sequence[ast.Comment],
        first: int,
        last: int,
        indent: str,
    ) -> list[_Line]:
        """Units written strictly between lines `first` and `last`, with the comments there."""
        starts = [n.span.line for n in nodes]
        inside: list[list[ast.Comment]] = [[] for _ in nodes]
        gaps: list[list[tuple[int, ast.Comment | None]]] = [[] for _ in range(len(nodes) + 1)]
        for comment in comments:
            owner = _last_containing(nodes, starts, comment.line)
            if owner is not None:
                inside[owner].append(comment)
            else:
                gaps[bisect_right(starts, comment.line)].append((comment.line, comment))
        lo = bisect_right(self.blank_lines, first)
        hi = bisect_right(self.blank_lines, last - 1)
        for line in self.blank_lines[lo:hi]:
            if _last_containing(nodes, starts, line) is None:
                gaps[bisect_right(starts, line)].append((line, None))
        tidy = [_collapse(g) for g in gaps]
        _strip(tidy[0], leading=True)
        _strip(tidy[-1], leading=False)

        units = [self.unit(node, inside[i], indent) for i, node in enumerate(nodes)]
        _align(units, [None in gap for gap in tidy[:-1]])
        out: list[_Line] = []
        for gap, unit in zip(tidy, units, strict=False):
            out += [_BLANK if c is None else _Line(indent, "", c.text) for c in gap]
            out += [_Line(indent, "", text) for text in unit.lead]
            out += unit.lines
        out += [_BLANK if c is None else _Line(indent, "", c.text) for c in tidy[-1]]
        return out

    # -- one unit ----------------------------------------------------------------------------

    def unit(self, node: Any, comments: list[ast.Comment], indent: str) -> _Unit:
        if isinstance(node, _BLOCKS):
            return self.block(node, comments, indent)
        if isinstance(node, ast.Events):
            return self.listed(indent, "events ", [(n.name, n.span) for n in node.names], comments)
        if isinstance(node, ast.FieldDecl) and node.type.options:
            prefix = f"field {node.name.name}: one of "
            options = [(_string(o), o.span) for o in node.type.options]
            return self.listed(indent, prefix, options, comments)
        if isinstance(node, ast.Require):
            items = [(expr_text(e), e.span) for e in node.items]
            return self.listed(indent, "require ", items, comments)
        lead, trailing = _split_trailing(comments)
        if isinstance(node, ast.StageDecl):
            cells = _stage_cells(node)
            spaces = [" "] * (len(cells) - 1)
            row = _Row("stage", indent, cells, spaces, comment=trailing, gutter=1)
            return _Unit(lead, row=row)
        if isinstance(node, ast.WhenRule | ast.PerRule):
            cells = _rule_cells(node)
            return _Unit(lead, row=_Row("rule", indent, cells, [" "], comment=trailing))
        return _Unit(lead, [_Line(indent, _code(node), trailing)])

    def block(self, node: Any, comments: list[ast.Comment], indent: str) -> _Unit:
        header = _header(node)
        items: tuple[Any, ...] = node.items
        span: ast.Span = node.span
        if span.line == span.end_line:
            # a block on one line can only carry a comment at its end
            lead, trailing = _split_trailing(comments)
            if not items:
                return _Unit(lead, [_Line(indent, header + " {}", trailing)])
            if isinstance(node, _ONE_LINE_BLOCKS):
                cells = [header, *(_code(item) for item in items)]
                separators = [" { "] + ["  "] * (len(items) - 1)
                kind = type(node).__name__
                shape = tuple(type(item).__name__ for item in items)
                row = _Row(kind, indent, cells, separators, " }", trailing, shape, gutter=1)
                if row.code_width() <= ONE_LINE_BLOCK_WIDTH:
                    return _Unit(lead, row=row)
            head = _Line(indent, header + " {", trailing, fence=True)
            body = self.sequence(items, [], span.line, span.end_line, indent + INDENT)
            return _Unit(lead, [head, *body, _Line(indent, "}", fence=True)])

        starts = [item.span.line for item in items]
        head_comment: str | None = None
        close_comment: str | None = None
        rest: list[ast.Comment] = []
        for comment in comments:
            outside_items = _last_containing(items, starts, comment.line) is None
            if not comment.own_line and outside_items and comment.line == span.line:
                head_comment = comment.text
            elif not comment.own_line and outside_items and comment.line == span.end_line:
                close_comment = comment.text
            else:
                rest.append(comment)
        if not items and not rest and close_comment is None:
            return _Unit(lines=[_Line(indent, header + " {}", head_comment)])
        body = self.sequence(items, rest, span.line, span.end_line, indent + INDENT)
        return _Unit(
            lines=[
                _Line(indent, header + " {", head_comment, fence=True),
                *body,
                _Line(indent, "}", close_comment, fence=True),
            ]
        )

    def listed(
        self,
        indent: str,
        prefix: str,
        elements: Sequence[tuple[str, ast.Span]],
        comments: Sequence[ast.Comment],
    ) -> _Unit:
        """A comma list filled greedily up to `LIST_WIDTH`, continued under its first element.

        A comment stays next to the element it was written after (ending that line) or
        before (on lines of its own, under the first element).
        """
        count = len(elements)
        starts = [span.line for _, span in elements]
        before: list[list[str]] = [[] for _ in elements]
        after: list[list[str]] = [[] for _ in elements]
        for comment in comments:
            if comment.own_line:
                i = bisect_right(starts, comment.line)
                (before[i] if i < count else after[-1]).append(comment.text)
            else:
                after[max(0, bisect_right(starts, comment.line) - 1)].append(comment.text)
        for i in range(count):
            # an element printed on one line keeps one comment at its end
            before[i] += after[i][:-1]
            del after[i][:-1]

        continuation = indent + " " * len(prefix)
        lines: list[_Line] = []
        code = prefix
        line_indent = indent
        started = False
        for i, (text, _) in enumerate(elements):
            item = text + ("," if i < count - 1 else "")
            too_long = len(line_indent) + len(code) + 1 + len(item) > LIST_WIDTH
            if started and (before[i] or too_long):
                lines.append(_Line(line_indent, code))
                code, line_indent, started = "", continuation, False
            if i > 0:
                lines += [_Line(continuation, "", c) for c in before[i]]
            code += (" " if started else "") + item
            started = True
            if after[i]:
                lines.append(_Line(line_indent, code, after[i][0]))
                code, line_indent, started = "", continuation, False
        if started:
            lines.append(_Line(line_indent, code))
        return _Unit(before[0], lines)


def _collapse(entries: list[tuple[int, ast.Comment | None]]) -> _Gap:
    """Gap entries in line order, each run of blank lines folded into one."""
    out: _Gap = []
    for _, entry in sorted(entries, key=lambda e: e[0]):
        if entry is None and out and out[-1] is None:
            continue
        out.append(entry)
    return out


def _strip(gap: _Gap, *, leading: bool) -> None:
    """No blank line at the start or end of a file or block."""
    while gap and gap[0 if leading else -1] is None:
        gap.pop(0 if leading else -1)


def _align(units: Sequence[_Unit], blank_before: Sequence[bool]) -> None:
    """Lay out rows, lining up the columns of consecutive rows of the same kind.

    A run ends at a blank line or at a unit of another kind; comment lines do not end it.
    A column is as wide as its widest cell among the rows that have a cell after it; a
    table of stages or targets also gets a wider gutter after its names (a lone row reads
    as a sentence, with single spaces; points read as part of their rule). Only
    the first column lines up when rows hold different kinds of cells (a target with a
    `severity` next to one without), as padding unlike items apart helps no reader.
    """
    i = 0
    while i < len(units):
        row = units[i].row
        if row is None:
            i += 1
            continue
        j = i + 1
        while j < len(units) and not blank_before[j]:
            nxt = units[j].row
            if nxt is None or nxt.kind != row.kind:
                break
            j += 1
        rows = [u.row for u in units[i:j] if u.row is not None]
        alike = all(r.shape == rows[0].shape for r in rows)
        columns = max(len(r.cells) for r in rows) - 1 if alike else 1
        widths = [
            max((len(r.cells[c]) for r in rows if len(r.cells) > c + 1), default=0)
            for c in range(columns)
        ]
        widths += [0] * (max(len(r.cells) for r in rows) - 1 - len(widths))
        if len(rows) > 1 and widths:
            widths[0] += rows[0].gutter
        for unit in units[i:j]:
            assert unit.row is not None
            unit.lines = [unit.row.line(widths)]
        i = j
