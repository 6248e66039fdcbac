"""Diagnostics: the one value every stage reports problems with, and the project's errors.

A diagnostic has a stable code (SLA0xx files, SLA1xx syntax, SLA2xx names and types,
SLA3xx semantics, SLA4xx data), a level, a one-line lower-case message with user text in
backticks, the span it points at, and optional help. Codes are never reused; the full
list is in docs/diagnostics.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only named: a run from a kept plan imports no syntax tree (plancache)
    from slalang.ast import Span


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    level: Level
    message: str
    span: Span
    help: str | None = None
    label: str | None = None  # short text shown under the carets

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.file, self.span.line, self.span.column, self.code)


def error(
    code: str, message: str, span: Span, *, help: str | None = None, label: str | None = None
) -> Diagnostic:
    return Diagnostic(code, Level.ERROR, message, span, help, label)


def warning(
    code: str, message: str, span: Span, *, help: str | None = None, label: str | None = None
) -> Diagnostic:
    return Diagnostic(code, Level.WARNING, message, span, help, label)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by place, duplicates (same code at the same place) removed."""
    seen: set[tuple[str, str, int, int, str]] = set()
    result = []
    for d in sorted(diagnostics, key=Diagnostic.sort_key):
        key = (d.code, d.span.file, d.span.line, d.span.column, d.message)
        if key not in seen:
            seen.add(key)
            result.append(d)
    return result


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.level is Level.ERROR for d in diagnostics)


class SlalangError(Exception):
    """The only exception slalang lets escape for bad input: one line, no traceback."""


class PolicyError(SlalangError):
    """A policy that cannot be used; carries every diagnostic found, sorted."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = sort_diagnostics(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        text = (
            f"{first.span.file}:{first.span.line}:{first.span.column}: {first.message}"
            if first
            else "invalid policy"
        )
        super().__init__(text)
