"""The format registry: what `slalang evaluate --format` offers is what can be rendered."""

from __future__ import annotations

from typing import Any

import pytest

from slalang.commands.evaluate import REPORT_FORMATS
from slalang.render.report import FORMATS, render_report


def test_every_cli_format_has_a_renderer() -> None:
    assert set(REPORT_FORMATS) <= set(FORMATS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_text_ending_with_a_newline(hand: dict[str, Any], fmt: str) -> None:
    text = render_report(hand, fmt)
    assert text.endswith("\n")
    assert text == render_report(hand, fmt)


def test_an_unknown_format_is_refused_by_name(hand: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="unknown report format `xml`"):
        render_report(hand, "xml")
