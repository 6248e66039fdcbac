"""Checking, duplicates: a name defined twice, names that collide, values listed twice.

The first definition (imported files first, then the entry, in reading order) is the one
the symbol table keeps; every later one is reported where it stands, naming the first
one's file and line, so both places are on the screen. Scores, fields and lets share the
expression namespace (LANGUAGE §13): the same name in two of them is a collision.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from slalang import ast
from slalang.check.context import ALWAYS, Context, head, location
from slalang.diagnostics import Diagnostic, error


def check(ctx: Context) -> Iterator[Diagnostic]:
    yield from _definitions(ctx)
    yield from _collisions(ctx)
    yield from _listed_twice(ctx)


def _definitions(ctx: Context) -> Iterator[Diagnostic]:
    seen: dict[tuple[str, str], ast.Span] = {}
    first_agreement: ast.Agreement | None = None

    def define(kind: str, ident: ast.Ident, verb: str = "declared") -> Iterator[Diagnostic]:
        key = (kind, ident.name)
        if key in seen:
            yield error(
                "SLA214",
                f"{kind} `{ident.name}` is already {verb} at {location(seen[key])}",
                ident.span,
                help=f"each {kind} is {verb} once; rename or remove one of them",
            )
        else:
            seen[key] = ident.span

    for statement in ctx.statements:
        match statement:
            case ast.Agreement():
                if first_agreement is None:
                    first_agreement = statement
                    for item in statement.items:
                        if isinstance(item, ast.Party):
                            yield from define("party", item.id)
                else:
                    yield error(
                        "SLA214",
                        "a policy has one agreement, and one already starts at "
                        + location(first_agreement.span),
                        head(statement.span, len("agreement")),
                        help="merge the two `agreement` blocks",
                    )
            case ast.Events():
                for name in statement.names:
                    yield from define("event", name)
            case ast.FieldDecl():
                yield from define("field", statement.name)
            case ast.MetricDecl():
                yield from define("metric", statement.name)
            case ast.Let():
                yield from define("let", statement.name, "defined")
            case ast.CalendarDecl():
                if statement.name.name == ALWAYS:
                    yield error(
                        "SLA214",
                        "`always` is the built-in calendar and cannot be redefined",
                        statement.name.span,
                        help="choose another name; `always` is open all the time",
                    )
                else:
                    yield from define("calendar", statement.name, "defined")
            case ast.ScoreDecl():
                yield from define("score", statement.name, "defined")
            case ast.StageDecl():
                yield from define("stage", statement.name)
            case ast.Handoff():
                if ("handoff", statement.stage.name) in seen:
                    first = seen["handoff", statement.stage.name]
                    yield error(
                        "SLA214",
                        f"stage `{statement.stage.name}` already has a handoff at "
                        + location(first),
                        statement.stage.span,
                        help="put every requirement of the stage in one `handoff` block",
                    )
                else:
                    seen["handoff", statement.stage.name] = statement.stage.span
            case ast.Sla():
                yield from define("sla", statement.name, "defined")
            case ast.Target():
                yield from define("target", statement.name, "defined")


def _collisions(ctx: Context) -> Iterator[Diagnostic]:
    """A name that is two of field, score, let: reported at the later definition."""
    s = ctx.symbols
    definitions: list[tuple[ast.Span, str, str]] = [
        *((d.name.span, "field", n) for n, d in s.fields.items()),
        *((d.name.span, "score", n) for n, d in s.scores.items()),
        *((d.name.span, "let", n) for n, d in s.lets.items()),
    ]
    order = {m.path: i for i, m in enumerate(ctx.program.modules)}
    definitions.sort(key=lambda d: (order.get(d[0].file, 0), d[0].line, d[0].column))
    first: dict[str, tuple[ast.Span, str]] = {}
    for span, kind, name in definitions:
        if name in first:
            other_span, other_kind = first[name]
            yield error(
                "SLA215",
                f"{kind} `{name}` has the same name as the {other_kind} at " + location(other_span),
                span,
                help="fields, scores and lets are all read by name in conditions, "
                "so their names must differ",
            )
        else:
            first[name] = (span, kind)


def _listed_twice(ctx: Context) -> Iterator[Diagnostic]:
    for statement in ctx.statements:
        match statement:
            case ast.FieldDecl() if statement.type.options:
                yield from _options(statement)
            case ast.StageDecl() if isinstance(statement.trigger, ast.OnEvents):
                yield from _twice(statement.trigger.events, "event")
            case ast.Recycle() | ast.Exit():
                yield from _twice(statement.trigger.events, "event")
            case ast.Sla():
                for item in statement.items:
                    if isinstance(item, ast.StartOn | ast.Stop | ast.Pause | ast.Resume):
                        yield from _twice(item.trigger.events, "event")
            case ast.Handoff():
                required = [
                    e.name
                    for item in statement.items
                    if isinstance(item, ast.Require)
                    for e in item.items
                    if isinstance(e, ast.Ref)
                ]
                yield from _twice(required, "field")


def _twice(idents: Iterable[ast.Ident], kind: str) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for ident in idents:
        if ident.name in seen:
            yield error(
                "SLA217",
                f"{kind} `{ident.name}` is listed twice",
                ident.span,
                help="remove the second mention",
            )
        seen.add(ident.name)


def _options(decl: ast.FieldDecl) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for option in decl.type.options:
        if option.value == "":
            yield error(
                "SLA218",
                f"an empty text cannot be one of the values of `{decl.name.name}`",
                option.span,
                help="an empty value counts as missing; test it with "
                f"`{decl.name.name} is missing`",
            )
        elif option.value in seen:
            yield error(
                "SLA217",
                f"value `{option.raw}` is listed twice",
                option.span,
                help="remove the second mention",
            )
        seen.add(option.value)
