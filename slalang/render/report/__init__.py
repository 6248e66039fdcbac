"""Report stage, last step: the report dict → text, one renderer per format.

Every renderer reads the same dict (RUNNER §3), so all formats say the same thing; the
registry below is the list of formats `slalang evaluate --format` offers. A renderer gives
its text whole, or in pieces where the text grows with the report's long lists (`json`,
`jsonl`, `csv`, `junit`), so that a command writes them as they come, never holding the
whole text. The renderers are imported when one is asked for: a run writing JSON (and
every worker process, which imports `json_text` through this package) would otherwise
load jinja2 and rich for nothing, a third of a second.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from slalang.render.report.options import Options

Renderer = Callable[[Mapping[str, Any], Options], str | Iterator[Any]]

_RENDERERS = {
    "table": ("table", "render"),
    "json": ("json_text", "render"),
    "jsonl": ("json_text", "render_lines"),
    "csv": ("csv_rows", "render"),
    "markdown": ("markdown", "render"),
    "junit": ("junit", "render"),
    "html": ("html", "render"),
    "leads": ("leads", "render"),
}
FORMATS = tuple(_RENDERERS)
LISTS: dict[str, tuple[str, ...]] = {fmt: ("violations",) for fmt in FORMATS} | {
    "json": ("stages", "clocks", "violations"),
    "leads": ("stages", "clocks", "violations"),
    "markdown": ("clocks", "violations"),  # compliance per period
    "html": ("clocks", "violations"),
}
"""The report's long lists each format reads (`select`, cutting a report to some rules,
reads the clocks too): a report built for one format may leave the others out. On 10M
events a report has 3 million entries (2.4 million stages, half a million clocks), and as
Python objects they are most of the memory it takes."""


def renderer(fmt: str) -> Renderer:
    """The renderer of format `fmt` (one of `FORMATS`), its module imported now."""
    module, name = _RENDERERS[fmt]
    found: Renderer = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return found


def render_pieces(
    report: Mapping[str, Any],
    fmt: str,
    *,
    color: bool = False,
    limit: int = 20,
    width: int | None = None,
    plan: Mapping[str, Any] | None = None,
    timelines: Mapping[str, str] | None = None,
    id_column: str = "lead_id",
    hide_empty: bool = False,
    encoded: bool = False,
) -> str | Iterator[Any]:
    """The report in format `fmt` as its renderer gives it: a string, or for a format that
    streams, its pieces, rendered as they are taken (`fileio.write_pieces` writes either).
    The keyword arguments are `Options` (see there)."""
    if fmt not in _RENDERERS:
        raise ValueError(f"unknown report format `{fmt}` (one of {', '.join(FORMATS)})")
    options = Options(color, limit, width, plan, timelines or {}, id_column, hide_empty, encoded)
    return renderer(fmt)(report, options)


def render_report(report: Mapping[str, Any], fmt: str, **options: Any) -> str:
    """The report as text in format `fmt`, ending with a newline unless empty: the pieces
    of `render_pieces` (same options, `encoded` left off) joined."""
    return joined(render_pieces(report, fmt, **options))


def joined(text: str | Iterator[str]) -> str:
    """A renderer's text whole."""
    return text if isinstance(text, str) else "".join(text)


__all__ = [
    "FORMATS",
    "LISTS",
    "Options",
    "joined",
    "render_pieces",
    "render_report",
    "renderer",
]
