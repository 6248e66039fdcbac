"""What an editor asks of one policy: its diagnostics, and where every name is defined and used.

The language server never parses on its own: an `Analysis` is the checker's own `Program`,
`Context` and symbol table for a file as the editor holds it (unsaved text included), plus an
index from each name to its definition and to every place that uses it. The index is keyed by
namespace and name (LANGUAGE §13: events, stages, calendars… are separate namespaces; fields,
scores and lets share the expression namespace), so hover, go-to-definition, references and
rename all agree with the checker about what a name means.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slalang import ast, suppress
from slalang.check import check
from slalang.check.context import ALWAYS, Context, Space
from slalang.diagnostics import Diagnostic, PolicyError
from slalang.load import Program, load_text
from slalang.suppress import ALL, Selection

KIND_OF_SPACE = {
    Space.EVENT: "event",
    Space.STAGE: "stage",
    Space.FIELD: "name",
    Space.NAME: "name",
    Space.CALENDAR: "calendar",
    Space.PARTY: "party",
    Space.METRIC: "metric",
    Space.SLA: "sla",
}
"""A reference's namespace as an index kind: a field reference and an expression name
share one namespace, so renaming a field renames it in `sum(amount, …)` and in `where` alike."""


@dataclass(frozen=True, slots=True)
class Key:
    """A name in its namespace: what the cursor is on, whichever file it is in."""

    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Definition:
    """Where a name is declared, what declared it, and what the user reads on hover."""

    key: Key
    ident: ast.Ident
    node: object
    detail: str


@dataclass(slots=True)
class Analysis:
    """One policy file as the editor holds it, checked, with its names indexed."""

    path: Path
    program: Program | None
    diagnostics: list[Diagnostic]
    definitions: dict[Key, Definition] = field(default_factory=dict)
    references: list[tuple[Key, ast.Ident]] = field(default_factory=list)
    context: Context | None = None

    def occurrences(self, key: Key) -> Iterator[ast.Span]:
        """The definition (when this analysis has it) and every use of `key`."""
        definition = self.definitions.get(key)
        if definition is not None:
            yield definition.ident.span
        for ref_key, ident in self.references:
            if ref_key == key:
                yield ident.span

    def at(self, file: str, line: int, column: int) -> Key | None:
        """The name under a 1-based position, definition or use."""
        for key, ident in self._idents():
            span = ident.span
            if span.file == file and span.line == line and span.column <= column <= span.end_column:
                return key
        return None

    def _idents(self) -> Iterator[tuple[Key, ast.Ident]]:
        for key, definition in self.definitions.items():
            yield key, definition.ident
        yield from self.references

    def source(self, span: ast.Span) -> str:
        """The text a span covers in whichever loaded file it belongs to."""
        if self.program is None:
            return ""
        for module in self.program.modules:
            if module.path == span.file:
                return module.source[span.start : span.end]
        return ""


def analyse(
    path: Path,
    text: str,
    root: Path,
    overlay: Mapping[Path, str] | None = None,
    selection: Selection = ALL,
) -> Analysis:
    """Check `text` as the policy at `path` (absolute), imports resolved under `root` and
    read from `overlay` (the editor's unsaved buffers) before the disk; the diagnostics are
    those `slalang check` shows: suppression comments and `selection` applied."""
    display = str(path)
    try:
        program = load_text(text, display=display, root=root, overlay=overlay)
    except PolicyError as exc:
        return Analysis(path, None, list(exc.diagnostics))
    sources = {module.path: module.source for module in program.modules}
    diagnostics = suppress.apply(check(program), sources, selection)
    context = Context.build(program)
    analysis = Analysis(path, program, diagnostics, context=context)
    _index(analysis, context)
    return analysis


def _index(analysis: Analysis, ctx: Context) -> None:
    symbols = ctx.symbols
    let_values = ctx.let_values

    def define(kind: str, ident: ast.Ident, node: object, detail: str) -> None:
        analysis.definitions.setdefault(
            Key(kind, ident.name), Definition(Key(kind, ident.name), ident, node, detail)
        )

    for name in symbols.events.values():
        define("event", name, name, f"event `{name.name}`")
    for field_decl in symbols.fields.values():
        shown = field_type(field_decl.type)
        define("name", field_decl.name, field_decl, f"field `{field_decl.name.name}`: {shown}")
    for score in symbols.scores.values():
        define("name", score.name, score, f"score `{score.name.name}`")
    for let in symbols.lets.values():
        value = let_values.get(let.name.name)
        shown = f" = {_number(value)}" if value is not None else ""
        define("name", let.name, let, f"let `{let.name.name}`{shown}")
    named: list[tuple[str, dict[str, Any]]] = [
        ("calendar", symbols.calendars),
        ("stage", symbols.stages),
        ("metric", symbols.metrics),
        ("sla", symbols.slas),
        ("target", symbols.targets),
    ]
    for kind, table in named:
        for node in table.values():
            define(kind, node.name, node, f"{kind} `{node.name.name}`")
    for party in symbols.parties.values():
        define("party", party.id, party, f"party `{party.id.name}` ({party.label.value})")
    for ref in ctx.references:
        if ref.space is Space.CALENDAR and ref.ident.name == ALWAYS:
            continue
        analysis.references.append((Key(KIND_OF_SPACE[ref.space], ref.ident.name), ref.ident))


def field_type(kind: ast.FieldType) -> str:
    """A field's type as the policy writes it (hover and completion show the same words)."""
    if kind.options:
        return "one of " + ", ".join(f'"{o.value}"' for o in kind.options)
    return kind.kind.name


def _number(value: float) -> str:
    """A folded let as a reader writes it: whole numbers without `.0`, thousands grouped."""
    if value == int(value):
        return f"{int(value):,}"
    return format(value, ",.10g")


__all__ = ["KIND_OF_SPACE", "Analysis", "Definition", "Key", "analyse", "field_type"]
