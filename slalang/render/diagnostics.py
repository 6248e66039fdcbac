"""Rendering diagnostics: Ruff-style text for people; JSON, GitHub annotations and SARIF 2.1.0
for machines. All renderers take the same sorted list and return a string."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slalang import __version__
from slalang.diagnostics import Diagnostic, Level

MAX_SHOWN = 120
"""Longest stretch of a source line or token shown: a 1 MB line must not flood the terminal."""

INFO_URI = "https://github.com/slalang/slalang/blob/main/docs/diagnostics.md"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.level is Level.ERROR for d in diagnostics)
    warnings = sum(d.level is Level.WARNING for d in diagnostics)
    infos = len(diagnostics) - errors - warnings
    parts = [f"{errors} error{'s' if errors != 1 else ''}"]
    parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    if infos:
        parts.append(f"{infos} note{'s' if infos != 1 else ''}")
    return ", ".join(parts)


def _window(line: str, start: int, width: int) -> tuple[str, int, int]:
    """A slice of a long source line around the span: (text, caret start, caret width)."""
    line = line.replace("\t", " ")
    if len(line) <= MAX_SHOWN:
        return line, start, width
    begin = max(0, start - MAX_SHOWN // 3)
    end = begin + MAX_SHOWN
    prefix = "…" if begin else ""
    suffix = "…" if end < len(line) else ""
    width = min(width, end - start)
    return prefix + line[begin:end] + suffix, start - begin + len(prefix), max(1, width)


def render_text(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str]) -> str:
    """Each diagnostic as `file:line:col: level[CODE]: message`, the line, carets, help."""
    blocks = []
    for d in diagnostics:
        span = d.span
        head = f"{span.file}:{span.line}:{span.column}: {d.level.value}[{d.code}]: {d.message}"
        lines = [head]
        text = sources.get(span.file)
        source_lines = text.splitlines() if text is not None else []
        if 1 <= span.line <= len(source_lines):
            source = source_lines[span.line - 1]
            gutter = " " * len(str(span.line))
            start = max(0, span.column - 1)
            if span.end_line == span.line and span.end_column > span.column:
                width = span.end_column - span.column
            else:
                width = max(1, len(source.rstrip()) - start) if start < len(source) else 1
            shown, caret_at, caret_width = _window(source, start, width)
            label = f" {d.label}" if d.label else ""
            lines.append(f"{gutter} |")
            lines.append(f"{span.line} | {shown}".rstrip())
            lines.append(f"{gutter} | {' ' * caret_at}{'^' * caret_width}{label}")
        if d.help:
            lines.append(f"{' ' * len(str(max(span.line, 1)))} = help: {d.help}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _as_dict(d: Diagnostic) -> dict[str, Any]:
    return {
        "code": d.code,
        "severity": d.level.value,
        "message": d.message,
        "help": d.help,
        "file": d.span.file,
        "line": d.span.line,
        "column": d.span.column,
        "end_line": d.span.end_line,
        "end_column": d.span.end_column,
    }


def render_json(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str]) -> str:
    """Terraform `validate -json` in spirit: a verdict, counts, then flat diagnostics."""
    document = {
        "format_version": "1.0",
        "valid": not any(d.level is Level.ERROR for d in diagnostics),
        "error_count": sum(d.level is Level.ERROR for d in diagnostics),
        "warning_count": sum(d.level is Level.WARNING for d in diagnostics),
        "diagnostics": [_as_dict(d) for d in diagnostics],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _gh_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str]) -> str:
    """GitHub Actions workflow commands: one annotation a line on the pull request's diff."""
    kinds = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}
    out = []
    for d in diagnostics:
        span = d.span
        props = [
            f"file={_gh_escape(span.file, property_value=True)}",
            f"line={span.line}",
            f"col={span.column}",
        ]
        if span.end_line:
            props += [f"endLine={span.end_line}", f"endColumn={span.end_column}"]
        props.append(f"title={_gh_escape(d.code, property_value=True)}")
        message = d.message + (f" (help: {d.help})" if d.help else "")
        out.append(f"::{kinds[d.level]} {','.join(props)}::{_gh_escape(message)}")
    return "\n".join(out) + ("\n" if out else "")


def render_sarif(diagnostics: Sequence[Diagnostic], sources: Mapping[str, str]) -> str:
    """SARIF 2.1.0 for code-scanning upload: one rule per code, described by what the code
    means (slalang.codes), one result per diagnostic with its own message."""
    from slalang.codes import CODES

    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    first_message: dict[str, Diagnostic] = {}
    for d in diagnostics:
        first_message.setdefault(d.code, d)
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODES.get(code, first_message[code].message)},
            "helpUri": f"{INFO_URI}#{code.lower()}",
            "defaultConfiguration": {"level": _sarif_level(first_message[code].level)},
        }
        for code in codes
    ]
    results = []
    for d in diagnostics:
        span = d.span
        region: dict[str, int] = {
            "startLine": max(span.line, 1),
            "startColumn": max(span.column, 1),
        }
        if span.end_line >= span.line and span.end_line:
            region["endLine"] = span.end_line
            region["endColumn"] = max(span.end_column, 1)
        text = d.message + (f"\nhelp: {d.help}" if d.help else "")
        results.append(
            {
                "ruleId": d.code,
                "ruleIndex": index[d.code],
                "level": _sarif_level(d.level),
                "message": {"text": text},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": span.file.replace("\\", "/")},
                            "region": region,
                        }
                    }
                ],
            }
        )
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "slalang",
                        "version": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _sarif_level(level: Level) -> str:
    return {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note"}[level]


RENDERERS: dict[str, Callable[[Sequence[Diagnostic], Mapping[str, str]], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "sarif": render_sarif,
}
