"""The policy AST: frozen dataclasses built from the syntax tree, one class per construct.

Every node carries a `span` that is excluded from equality (Cedar's `Node<T>{node, loc}`),
so two policies that mean the same compare equal wherever they were written; the
formatter's round-trip tests rely on that. Literal nodes also keep the text as written
(`raw`, not compared) so the formatter reprints `1_000` or a regex exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file: 1-based line and column, 0-based character offsets."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    start: int = 0
    end: int = 0


NO_SPAN = Span("<generated>", 0, 0, 0, 0)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# ---- leaves -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ident:
    """A name as written: the reference and the place it was written, for diagnostics."""

    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    raw: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Percent:
    """`15%`; `value` is the share (0.15), `raw` the text as written."""

    value: float
    raw: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class String:
    value: str
    raw: str = field(default="", compare=False)
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Bool:
    value: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DateLit:
    value: str  # ISO date, validated by the checker (2026-02-30 parses, then is reported)
    span: Span = _span()


UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}
"""Seconds in one of each duration unit (calendar time; a business day is not a length)."""


@dataclass(frozen=True, slots=True)
class Duration:
    """`4 business hours`: `unit` is normalised to the plural (`hours`)."""

    amount: Number
    unit: str
    business: bool
    span: Span = _span()

    def text(self) -> str:
        """The duration as a person writes it, singular for one: `1 business day`."""
        unit = self.unit[:-1] if self.amount.value == 1 else self.unit
        words = [self.amount.raw or _num_text(self.amount.value)]
        if self.business:
            words.append("business")
        words.append(unit)
        return " ".join(words)


def _num_text(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


# ---- expressions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ref:
    """A name used in an expression: a field, a score or a let (one namespace, §13)."""

    name: Ident
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str  # + - * /
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # = != < <= > >=  (`==` is read as `=`)
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class InList:
    subject: Expr
    values: tuple[Expr, ...]
    negated: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Matches:
    subject: Expr
    pattern: String
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Presence:
    subject: Expr
    present: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: str  # and | or
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class CountStage:
    """`count(entering X)` or `count(reaching X)`."""

    mode: str  # entering | reaching
    stage: Ident
    where: Expr | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class CountEvent:
    event: Ident
    where: Expr | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class SumField:
    field: Ident
    stage: Ident
    where: Expr | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Rate:
    source: Ident
    dest: Ident
    within: Duration | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Compliance:
    sla: Ident
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class MetricRef:
    metric: Ident
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Call:
    """`ceil(x)`, `round(x, 2)`, `max(a, b, c)`: a number function (LANGUAGE §14.2). The
    name is kept as written; the checker says whether such a function exists."""

    function: Ident
    args: tuple[Expr, ...]
    span: Span = _span()


Literal = Number | Percent | String | Bool | DateLit
Aggregate = CountStage | CountEvent | SumField | Rate | Compliance | MetricRef
Expr = (
    Literal
    | Ref
    | BinOp
    | Negate
    | Compare
    | InList
    | Matches
    | Presence
    | BoolOp
    | Not
    | Call
    | Aggregate
)


# ---- block items ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Version:
    value: String
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Effective:
    start: DateLit
    until: DateLit | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Timezone:
    value: String
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Party:
    id: Ident
    label: String
    contact: String | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Description:
    value: String
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DaySpan:
    """`mon` or `mon-fri`; names are checked by the checker."""

    first: Ident
    last: Ident | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class TimeRange:
    """`09:00-17:00` as written; `24:00` allowed as an end, end < start crosses midnight."""

    start: str
    end: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class OpenHours:
    days: tuple[DaySpan, ...]
    ranges: tuple[TimeRange, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ClosedHolidays:
    country: String
    subdivision: String | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ClosedDates:
    dates: tuple[DateLit, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class WhenRule:
    points: Number  # signed
    predicate: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class PerRule:
    points: Number  # signed
    event: Ident
    where: Expr | None
    at_most: Number | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Limit:
    value: Number
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class OnEvents:
    """`on a, b [where PRED]`: the trigger shared by stages, recycle, exit, start and stop."""

    events: tuple[Ident, ...]
    where: Expr | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class WhenTrigger:
    predicate: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Owner:
    party: Ident
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Severity:
    level: Ident
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Require:
    """`require a, b, size > 0`: a bare name requires presence; anything else is a predicate."""

    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class StartEntering:
    stage: Ident
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class StartOn:
    trigger: OnEvents
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Stop:
    trigger: OnEvents
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Pause:
    """`pause on EVENTS [where PRED]`: stops the clock without closing it (§14.1)."""

    trigger: OnEvents
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Resume:
    """`resume on EVENTS [where PRED]`: a paused clock runs again (§14.1)."""

    trigger: OnEvents
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Otherwise:
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Goal:
    """`within DURATION [using CAL] [when PRED | otherwise]`."""

    duration: Duration
    calendar: Ident | None
    condition: Expr | Otherwise | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Warn:
    share: Percent
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class TargetGoal:
    """`monthly [by FIELD]: EXPR`."""

    period: Ident
    by: Ident | None
    expr: Expr
    span: Span = _span()


AgreementItem = Version | Effective | Timezone | Party | Description
CalendarItem = Timezone | OpenHours | ClosedHolidays | ClosedDates
ScoreItem = WhenRule | PerRule | Limit
HandoffItem = Owner | Severity | Require
SlaItem = Owner | Severity | StartEntering | StartOn | Stop | Pause | Resume | Goal | Warn
TargetItem = Owner | Severity | TargetGoal


# ---- statements -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Agreement:
    label: String
    items: tuple[AgreementItem, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Import:
    path: String
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Events:
    names: tuple[Ident, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class FieldType:
    """`text`, `number`, `bool`, `date` (in `kind`), or `one of` with its `options`."""

    kind: Ident
    options: tuple[String, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class FieldDecl:
    name: Ident
    type: FieldType
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class MetricDecl:
    name: Ident
    description: String | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Let:
    name: Ident
    expr: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class CalendarDecl:
    name: Ident
    items: tuple[CalendarItem, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ScoreDecl:
    name: Ident
    within: Duration | None
    items: tuple[ScoreItem, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class StageDecl:
    name: Ident
    trigger: OnEvents | WhenTrigger | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Recycle:
    stage: Ident
    trigger: OnEvents
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Exit:
    trigger: OnEvents
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Handoff:
    stage: Ident
    items: tuple[HandoffItem, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Sla:
    name: Ident
    label: String | None
    items: tuple[SlaItem, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Target:
    name: Ident
    label: String | None
    items: tuple[TargetItem, ...]
    span: Span = _span()


Statement = (
    Agreement
    | Import
    | Events
    | FieldDecl
    | MetricDecl
    | Let
    | CalendarDecl
    | ScoreDecl
    | StageDecl
    | Recycle
    | Exit
    | Handoff
    | Sla
    | Target
)


@dataclass(frozen=True, slots=True)
class Comment:
    """A `#` comment; `own_line` is False for a comment that ends a line of code."""

    text: str
    line: int
    column: int
    own_line: bool


@dataclass(frozen=True, slots=True)
class Policy:
    """One parsed `.sla` file. Imports are resolved later, by the loader."""

    path: str
    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...] = field(default=(), compare=False)
    source: str = field(default="", compare=False, repr=False)
