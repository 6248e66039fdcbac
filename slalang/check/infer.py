"""Checking, type inference: the type of every expression node, and the type errors met.

Types are few: the field types (`number`, `text`, `bool`, `date`, `one of`), plus
`condition` for what comparisons and `and`/`or`/`not` yield, and `unknown` for a name the
names pass already reported, so one typo gives one diagnostic, not a cascade. Scores and
lets are numbers; aggregates are numbers (where they may appear is the targets pass's job).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from slalang import ast
from slalang.check.context import AGGREGATES, LITERALS, Context, did_you_mean, postorder, suggest
from slalang.diagnostics import Diagnostic, error


class Kind(StrEnum):
    NUMBER = "number"
    TEXT = "text"
    BOOL = "bool"
    DATE = "date"
    CHOICE = "one of"
    CONDITION = "condition"
    UNKNOWN = "unknown"


FIELD_KINDS = {"number": Kind.NUMBER, "text": Kind.TEXT, "bool": Kind.BOOL, "date": Kind.DATE}
ORDERED = (Kind.NUMBER, Kind.DATE)
_VALUES = (Kind.NUMBER, Kind.TEXT, Kind.BOOL, Kind.DATE, Kind.CHOICE)


@dataclass(frozen=True, slots=True)
class Type:
    kind: Kind
    options: tuple[str, ...] = ()  # the values of a `one of` field


NUMBER = Type(Kind.NUMBER)
TEXT = Type(Kind.TEXT)
CONDITION = Type(Kind.CONDITION)
UNKNOWN = Type(Kind.UNKNOWN)


@dataclass(slots=True)
class Typed:
    """The result of inferring one expression tree: a type per node and the errors."""

    types: dict[int, Type]
    diagnostics: list[Diagnostic]

    def of(self, expr: ast.Expr) -> Type:
        return self.types[id(expr)]


def field_type(decl: ast.FieldDecl) -> Type:
    if decl.type.options:
        return Type(Kind.CHOICE, tuple(o.value for o in decl.type.options))
    return Type(FIELD_KINDS.get(decl.type.kind.name, Kind.UNKNOWN))


def infer(ctx: Context, root: ast.Expr) -> Typed:
    """Types bottom-up, iteratively (deep trees must not exhaust the stack)."""
    typed = Typed({}, [])
    for node in postorder(root):
        typed.types[id(node)] = _type_node(ctx, node, typed)
    return typed


def describe(ctx: Context, expr: ast.Expr, t: Type) -> str:
    """How a message names an operand: `the number field `company_size``, `a condition`."""
    match expr:
        case ast.Ref():
            name = expr.name.name
            kind = ctx.resolve(name)
            if kind == "field":
                word = "`one of`" if t.kind is Kind.CHOICE else t.kind.value
                return f"the {word} field `{name}`"
            return f"the {kind} `{name}`"
        case ast.String():
            return f"the text `{expr.raw or expr.value}`"
        case ast.Number() | ast.Percent():
            return f"the number `{expr.raw}`"
        case ast.Bool():
            return f"`{'true' if expr.value else 'false'}`"
        case ast.DateLit():
            return f"the date `{expr.value}`"
    return {
        Kind.NUMBER: "a number",
        Kind.TEXT: "text",
        Kind.BOOL: "a true/false value",
        Kind.DATE: "a date",
        Kind.CHOICE: "a value",
        Kind.CONDITION: "a condition",
        Kind.UNKNOWN: "a value",
    }[t.kind]


def _type_node(ctx: Context, node: ast.Expr, typed: Typed) -> Type:
    match node:
        case ast.Number() | ast.Percent():
            return NUMBER
        case ast.String():
            return TEXT
        case ast.Bool():
            return Type(Kind.BOOL)
        case ast.DateLit():
            return Type(Kind.DATE)
        case ast.Ref():
            return _ref_type(ctx, node.name.name)
        case ast.BinOp():
            _need_numbers(ctx, (node.left, node.right), typed, f"`{node.op}`")
            return NUMBER
        case ast.Negate():
            _need_numbers(ctx, (node.operand,), typed, "`-`")
            return NUMBER
        case ast.Call():
            # `round`'s decimals are the functions pass's: a whole literal, not any number
            operands = node.args[:1] if node.function.name == "round" else node.args
            _need_numbers(ctx, operands, typed, f"`{node.function.name}`")
            return NUMBER
        case ast.Compare():
            _compare(ctx, node, typed)
            return CONDITION
        case ast.InList():
            _in_list(ctx, node, typed)
            return CONDITION
        case ast.Matches():
            _matches(ctx, node, typed)
            return CONDITION
        case ast.Presence():
            _presence(ctx, node, typed)
            return CONDITION
        case ast.BoolOp():
            need_condition(ctx, node.left, typed.of(node.left), typed.diagnostics)
            need_condition(ctx, node.right, typed.of(node.right), typed.diagnostics)
            return CONDITION
        case ast.Not():
            need_condition(ctx, node.operand, typed.of(node.operand), typed.diagnostics)
            return CONDITION
        case _ if isinstance(node, AGGREGATES):
            return NUMBER
    raise AssertionError(f"no type rule for {type(node).__name__}")  # pragma: no cover


def _ref_type(ctx: Context, name: str) -> Type:
    match ctx.resolve(name):
        case "field":
            return field_type(ctx.symbols.fields[name])
        case "score" | "let":
            return NUMBER
    return UNKNOWN


def need_condition(ctx: Context, expr: ast.Expr, t: Type, diagnostics: list[Diagnostic]) -> None:
    """Report SLA223 when a yes/no test is expected and `expr` is something else."""
    if t.kind in (Kind.CONDITION, Kind.UNKNOWN):
        return
    written = ctx.source_of(expr.span)
    if len(written) > 40 or "\n" in written:
        written = "..."
    hint = {
        Kind.NUMBER: f"compare it, e.g. `{written} >= 10`",
        Kind.TEXT: f'compare it, e.g. `{written} = "..."` or `{written} is present`',
        Kind.CHOICE: f'compare it, e.g. `{written} = "..."` or `{written} is present`',
        Kind.DATE: f"compare it, e.g. `{written} >= 2026-01-01`",
        Kind.BOOL: f"write `{written} = true`",
    }[t.kind]
    diagnostics.append(
        error(
            "SLA223",
            f"expected a condition, found {describe(ctx, expr, t)}",
            expr.span,
            help=hint,
        )
    )


def _need_numbers(ctx: Context, operands: tuple[ast.Expr, ...], typed: Typed, op: str) -> None:
    for operand in operands:
        t = typed.of(operand)
        if t.kind not in (Kind.NUMBER, Kind.UNKNOWN):
            typed.diagnostics.append(
                error(
                    "SLA224",
                    f"expected a number, found {describe(ctx, operand, t)}",
                    operand.span,
                    help=f"{op} works on numbers: fields of type `number`, scores and lets",
                )
            )


def _compatible(a: Kind, b: Kind) -> bool:
    return a == b or {a, b} == {Kind.TEXT, Kind.CHOICE}


def _literal_help(other: Type, literal: ast.Expr) -> str | None:
    """A fix for a literal written in the wrong form, like `"200"` for a number."""
    if not isinstance(literal, ast.String):
        return None
    text = literal.value.strip()
    if other.kind is Kind.NUMBER and re.fullmatch(r"-?[0-9][0-9_]*(\.[0-9]+)?%?", text):
        return f"write the number without quotes: `{text}`"
    if other.kind is Kind.DATE and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return f"write the date without quotes: `{text}`"
    if other.kind is Kind.BOOL and text in ("true", "false"):
        return f"write `{text}` without quotes"
    return None


def _values_match(
    ctx: Context,
    subject: ast.Expr,
    st: Type,
    value: ast.Expr,
    vt: Type,
    typed: Typed,
    where: ast.Span,
) -> None:
    """`subject = value` (or `value` in a list): same type, and inside a `one of` set."""
    if Kind.UNKNOWN in (st.kind, vt.kind):
        return
    if Kind.CONDITION in (st.kind, vt.kind):
        typed.diagnostics.append(
            error(
                "SLA220",
                "cannot compare a condition with a value",
                where,
                help="join conditions with `and` or `or`",
            )
        )
        return
    if not _compatible(st.kind, vt.kind):
        typed.diagnostics.append(
            error(
                "SLA220",
                f"cannot compare {describe(ctx, subject, st)} with {describe(ctx, value, vt)}",
                value.span if isinstance(value, LITERALS) else where,
                help=_literal_help(st, value) or _literal_help(vt, subject),
            )
        )
        return
    for choice, other, ct in ((subject, value, st), (value, subject, vt)):
        if (
            ct.kind is Kind.CHOICE
            and isinstance(other, ast.String)
            and other.value not in ct.options
        ):
            name = choice.name.name if isinstance(choice, ast.Ref) else "this field"
            typed.diagnostics.append(
                error(
                    "SLA221",
                    f"`{other.raw or other.value}` is not one of the values of `{name}`",
                    other.span,
                    help=f"`{name}` is one of " + ", ".join(f'"{o}"' for o in ct.options),
                    label=did_you_mean(suggest(other.value, ct.options)),
                )
            )


def _compare(ctx: Context, node: ast.Compare, typed: Typed) -> None:
    lt, rt = typed.of(node.left), typed.of(node.right)
    _values_match(ctx, node.left, lt, node.right, rt, typed, node.span)
    if node.op in ("=", "!="):
        return
    for operand, t in ((node.left, lt), (node.right, rt)):
        if t.kind not in ORDERED and t.kind in _VALUES and _compatible(lt.kind, rt.kind):
            typed.diagnostics.append(
                error(
                    "SLA225",
                    f"`{node.op}` needs numbers or dates, found {describe(ctx, operand, t)}",
                    node.span,
                    help="text, `one of` and bool values can only be tested with `=`, "
                    "`!=` or `in (...)`",
                )
            )
            return


def _in_list(ctx: Context, node: ast.InList, typed: Typed) -> None:
    st = typed.of(node.subject)
    for value in node.values:
        _values_match(ctx, node.subject, st, value, typed.of(value), typed, value.span)


def _matches(ctx: Context, node: ast.Matches, typed: Typed) -> None:
    t = typed.of(node.subject)
    if t.kind not in (Kind.TEXT, Kind.CHOICE, Kind.UNKNOWN):
        typed.diagnostics.append(
            error(
                "SLA222",
                f"`matches` needs a text field, found {describe(ctx, node.subject, t)}",
                node.subject.span,
                help="use `matches` on `text` fields; compare numbers with `<`, `>=`, ...",
            )
        )


def _presence(ctx: Context, node: ast.Presence, typed: Typed) -> None:
    subject = node.subject
    t = typed.of(subject)
    if t.kind is Kind.UNKNOWN:
        return
    if isinstance(subject, ast.Ref) and ctx.resolve(subject.name.name) == "field":
        return
    word = "present" if node.present else "missing"
    typed.diagnostics.append(
        error(
            "SLA226",
            f"`is {word}` tests a field, found {describe(ctx, subject, t)}",
            subject.span,
            help="scores and lets always have a value; only a lead's fields can be missing",
        )
    )
