"""Checking, names: every name used must be declared; every declaration should be used.

An unknown name is an error with the closest known name suggested (LANGUAGE §3). The
fixed vocabularies are checked here too: field types, target periods, severities.
A declared event, field, calendar, metric or let that nothing uses is a warning, for the
entry file only: an imported file is a shared library, and another policy may use what
this one does not. A name offered as a suggestion counts as used, so a typo is reported
once (as the unknown name), not twice (also as an unused declaration).
"""

from __future__ import annotations

from collections.abc import Iterator

from slalang import ast
from slalang.check.context import ALWAYS, Context, Space, did_you_mean, suggest, words
from slalang.diagnostics import Diagnostic, error, warning

FIELD_TYPES = ("text", "number", "bool", "date")
PERIODS = ("weekly", "monthly", "quarterly", "yearly")
SEVERITIES = ("error", "warning", "info")

_TYPE_ALIASES = {
    "string": "text",
    "str": "text",
    "int": "number",
    "integer": "number",
    "float": "number",
    "decimal": "number",
    "boolean": "bool",
    "datetime": "date",
    "timestamp": "date",
}
_PERIOD_ALIASES = {
    "week": "weekly",
    "month": "monthly",
    "quarter": "quarterly",
    "year": "yearly",
    "annually": "yearly",
    "annual": "yearly",
}

_UNKNOWN_CODES = {
    Space.EVENT: "SLA201",
    Space.STAGE: "SLA202",
    Space.FIELD: "SLA203",
    Space.NAME: "SLA203",
    Space.CALENDAR: "SLA204",
    Space.PARTY: "SLA205",
    Space.METRIC: "SLA206",
    Space.SLA: "SLA207",
}

_DECLARE_HELP = {
    Space.EVENT: "declare it in an `events` line",
    Space.STAGE: "declare it: `stage NAME on EVENT`",
    Space.FIELD: "declare it: `field NAME: text`",
    Space.NAME: "declare it as a field (`field NAME: number`), a score or a let",
    Space.CALENDAR: "declare it in a `calendar NAME { ... }` block, or use `always`",
    Space.METRIC: 'declare it: `metric NAME "description"`',
    Space.SLA: "`compliance` takes the name of an `sla` block",
}


def check(ctx: Context) -> Iterator[Diagnostic]:
    suggested: dict[Space, set[str]] = {space: set() for space in Space}
    yield from _unknown(ctx, suggested)
    yield from _vocabulary(ctx)
    yield from _unused(ctx, suggested)


def _unknown(ctx: Context, suggested: dict[Space, set[str]]) -> Iterator[Diagnostic]:
    parties_declared = bool(ctx.symbols.parties)
    for ref in ctx.references:
        name = ref.ident.name
        space = ref.space
        if space is Space.PARTY and not parties_declared:
            continue  # owners are free text until the agreement lists its parties
        known = ctx.names_in(space)
        if name in known:
            continue
        close = suggest(name, known)
        kind = space.value
        if space is Space.NAME:
            kind = (ctx.resolve(close) if close else None) or "field"
        if close:
            suggested[Space.FIELD if kind == "field" else space].add(close)
        help = _DECLARE_HELP.get(space)
        if space is Space.PARTY:
            help = f"the agreement's parties are {words(ctx.symbols.parties, 'and')}"
        yield error(
            _UNKNOWN_CODES[space],
            f"unknown {kind} `{name}`",
            ref.ident.span,
            label=did_you_mean(close),
            help=None if close else help,
        )


def _choose(
    code: str, what: str, ident: ast.Ident, allowed: tuple[str, ...], aliases: dict[str, str]
) -> Iterator[Diagnostic]:
    """A word from a fixed list: unknown ones get a suggestion and the list."""
    if ident.name in allowed:
        return
    close = aliases.get(ident.name) or suggest(ident.name, allowed)
    yield error(
        code,
        f"unknown {what} `{ident.name}`",
        ident.span,
        label=did_you_mean(close),
        help=f"{what} is {words(allowed)}",
    )


def _vocabulary(ctx: Context) -> Iterator[Diagnostic]:
    for statement in ctx.statements:
        if isinstance(statement, ast.FieldDecl) and not statement.type.options:
            yield from _choose(
                "SLA208",
                "field type",
                statement.type.kind,
                (*FIELD_TYPES, "one of"),
                _TYPE_ALIASES,
            )
        if isinstance(statement, ast.Handoff | ast.Sla | ast.Target):
            for item in statement.items:
                if isinstance(item, ast.Severity):
                    yield from _choose("SLA210", "severity", item.level, SEVERITIES, {})
                elif isinstance(item, ast.TargetGoal):
                    yield from _choose("SLA209", "period", item.period, PERIODS, _PERIOD_ALIASES)


def _unused(ctx: Context, suggested: dict[Space, set[str]]) -> Iterator[Diagnostic]:
    used: dict[Space, set[str]] = {space: set(names) for space, names in suggested.items()}
    for ref in ctx.references:
        space = ref.space
        if space is Space.NAME:
            kind = ctx.resolve(ref.ident.name)
            space = Space.FIELD if kind == "field" else Space.NAME
        used[space].add(ref.ident.name)
    for duration, goal in ctx.durations:
        implicit = ctx.calendar_for(duration, goal)
        if implicit is not None:
            used[Space.CALENDAR].add(implicit)

    s = ctx.symbols
    declared: list[tuple[str, ast.Ident, bool]] = [
        *(("event", n, n.name in used[Space.EVENT]) for n in s.events.values()),
        *(("field", d.name, n in used[Space.FIELD]) for n, d in s.fields.items()),
        *(("calendar", d.name, n in used[Space.CALENDAR]) for n, d in s.calendars.items()),
        *(("metric", d.name, n in used[Space.METRIC]) for n, d in s.metrics.items()),
        # a let that collides with a field or score is never read: reported as SLA215
        *(
            ("let", d.name, n in used[Space.NAME] or ctx.resolve(n) != "let")
            for n, d in s.lets.items()
        ),
    ]
    # the symbol table holds first definitions only: a repeated one is already an error
    for kind, ident, is_used in declared:
        if not is_used and ctx.in_entry(ident.span) and ident.name != ALWAYS:
            yield warning(
                "SLA219",
                f"{kind} `{ident.name}` is declared but never used",
                ident.span,
                help="remove it, or use it in a rule",
            )
