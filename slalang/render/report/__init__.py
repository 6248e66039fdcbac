"""Report stage, last step: the report dict → text, one renderer per format.

Every renderer reads the same dict (RUNNER §3), so all formats say the same thing; the
registry below is the list of formats `slalang evaluate --format` offers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slalang.render.report import csv_rows, html, json_text, junit, leads, markdown, table
from slalang.render.report.options import Options

Renderer = Callable[[Mapping[str, Any], Options], str]

RENDERERS: dict[str, Renderer] = {
    "table": table.render,
    "json": json_text.render,
    "jsonl": json_text.render_lines,
    "csv": csv_rows.render,
    "markdown": markdown.render,
    "junit": junit.render,
    "html": html.render,
    "leads": leads.render,
}
FORMATS = tuple(RENDERERS)


def render_report(
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
) -> str:
    """The report as text in format `fmt`, ending with a newline unless empty. The keyword
    arguments are `Options` (see there)."""
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise ValueError(f"unknown report format `{fmt}` (one of {', '.join(FORMATS)})")
    options = Options(color, limit, width, plan, timelines or {}, id_column, hide_empty)
    return renderer(report, options)


__all__ = ["FORMATS", "RENDERERS", "Options", "render_report"]
