"""Symbols: every definition of a program, by namespace, across its imported files.

Namespaces follow LANGUAGE §13: SLAs, targets, stages, scores, calendars, events, fields,
metrics, lets and parties are separate; scores, fields and lets share the expression
namespace. The first definition of a name wins here; the checker reports the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from slalang import ast
from slalang.load import Program


@dataclass(slots=True)
class Symbols:
    agreement: ast.Agreement | None = None
    events: dict[str, ast.Ident] = field(default_factory=dict)
    fields: dict[str, ast.FieldDecl] = field(default_factory=dict)
    metrics: dict[str, ast.MetricDecl] = field(default_factory=dict)
    lets: dict[str, ast.Let] = field(default_factory=dict)
    calendars: dict[str, ast.CalendarDecl] = field(default_factory=dict)
    scores: dict[str, ast.ScoreDecl] = field(default_factory=dict)
    stages: dict[str, ast.StageDecl] = field(default_factory=dict)
    recycles: list[ast.Recycle] = field(default_factory=list)
    exits: list[ast.Exit] = field(default_factory=list)
    handoffs: dict[str, ast.Handoff] = field(default_factory=dict)
    slas: dict[str, ast.Sla] = field(default_factory=dict)
    targets: dict[str, ast.Target] = field(default_factory=dict)
    parties: dict[str, ast.Party] = field(default_factory=dict)

    @property
    def stage_order(self) -> list[str]:
        """Stages in declaration order: the order of the lifecycle (LANGUAGE §7)."""
        return list(self.stages)


IMPORTABLE = (
    ast.Import,
    ast.Events,
    ast.FieldDecl,
    ast.MetricDecl,
    ast.Let,
    ast.CalendarDecl,
    ast.ScoreDecl,
    ast.StageDecl,
)
"""Statements an imported file may hold: definitions, not obligations (LANGUAGE §3)."""


def collect(program: Program) -> Symbols:
    """All definitions, imported files first, so the entry's order follows theirs."""
    symbols = Symbols()
    for module in program.modules:
        imported = module is not program.entry
        for statement in module.statements:
            if imported and not isinstance(statement, IMPORTABLE):
                continue
            _add(symbols, statement)
    return symbols


def _add(symbols: Symbols, statement: ast.Statement) -> None:
    match statement:
        case ast.Agreement():
            if symbols.agreement is None:
                symbols.agreement = statement
                for item in statement.items:
                    if isinstance(item, ast.Party):
                        symbols.parties.setdefault(item.id.name, item)
        case ast.Events():
            for name in statement.names:
                symbols.events.setdefault(name.name, name)
        case ast.FieldDecl():
            symbols.fields.setdefault(statement.name.name, statement)
        case ast.MetricDecl():
            symbols.metrics.setdefault(statement.name.name, statement)
        case ast.Let():
            symbols.lets.setdefault(statement.name.name, statement)
        case ast.CalendarDecl():
            symbols.calendars.setdefault(statement.name.name, statement)
        case ast.ScoreDecl():
            symbols.scores.setdefault(statement.name.name, statement)
        case ast.StageDecl():
            symbols.stages.setdefault(statement.name.name, statement)
        case ast.Recycle():
            symbols.recycles.append(statement)
        case ast.Exit():
            symbols.exits.append(statement)
        case ast.Handoff():
            symbols.handoffs.setdefault(statement.stage.name, statement)
        case ast.Sla():
            symbols.slas.setdefault(statement.name.name, statement)
        case ast.Target():
            symbols.targets.setdefault(statement.name.name, statement)
        case ast.Import():
            pass
